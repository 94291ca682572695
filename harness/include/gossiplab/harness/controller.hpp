// The controller: runs one scenario — builds the network, launches the nodes,
// drives the schedule on one event loop and records history.jsonl.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "gossiplab/harness/manifest.hpp"
#include "gossiplab/harness/scenario.hpp"
#include "gossiplab/netem/lab.hpp"

namespace gossiplab::netem {
class Lab;
}

namespace gossiplab::harness {

// Where node processes live. The lab (one network namespace per node,
// impairment at the hub) is the normal case; `loopback` runs nodes on
// 127.0.0.0/8 with no impairment, for hosts without namespaces and for
// scenarios that need no network faults.
class Network {
  public:
    virtual ~Network() = default;
    virtual std::string name() const = 0;  // "nfqueue", "netem", "loopback"
    virtual std::string address(const std::string& node) const = 0;
    virtual int netns_fd(const std::string& node) const = 0;  // -1: stay in this one
    // Throws std::runtime_error when the network cannot do it (loopback). Partitions compose:
    // a new grudge adds to what is already cut, until heal().
    virtual void set_grudge(const netem::Grudge& grudge) = 0;
    // Clears every partition and every clog.
    virtual void heal() = 0;
    // A swizzle-clog's step: every packet to and from `node` is dropped (on top of the
    // partitions), until unclog(node) or heal(). Throws as set_grudge.
    virtual void clog(const std::string& node) = 0;
    virtual void unclog(const std::string& node) = 0;
    virtual void shape(const Links& links, const netem::LinkShape& shape) = 0;
    virtual void clear(const Links& links) = 0;
    virtual nlohmann::json stats() const = 0;
    // What the impairment has in force on each shaped or partitioned link and what it did
    // (the history's "observe" action, docs/history-format.md); null when there is nothing
    // to observe (loopback). Throws when the backend's state cannot be read.
    virtual nlohmann::json observe() { return nullptr; }
    // How packet fates are drawn, for run_start's "fates" (docs/history-format.md): the
    // engine, its seed and whether the same seed replays them; null when nothing is impaired.
    virtual nlohmann::json fates() const { return nullptr; }
    // The most the impairment engine released a held packet late since the last call, in
    // seconds; nullopt when that is not visible (the kernel's netem, loopback).
    virtual std::optional<double> release_lag() { return std::nullopt; }
};

// `seed`: the run's seed, from which the nfqueue engine derives one stream per directed link.
std::unique_ptr<Network> make_lab_network(const std::vector<std::string>& nodes,
                                          netem::Backend backend, uint64_t seed = 1);
std::unique_ptr<Network> make_loopback_network(const std::vector<std::string>& nodes);

struct RunOptions {
    std::filesystem::path run_dir;  // created; must not exist or be empty
    std::filesystem::path bin_dir;  // {bin}
    std::string command_line;       // the exact command that reproduces this run
    bool progress = false;          // one live line on stderr (a terminal)
    double term_grace_s = 2.0;      // SIGTERM -> SIGKILL
    nlohmann::json environment;     // kernel, backend, versions (filled by the caller)
    // The implementation's hostile-input corpus (load_corpus), for the scenario's inject
    // actions; empty when it has none.
    std::vector<HostileDatagram> corpus;
};

struct RunResult {
    bool interrupted = false;
    double duration_s = 0;
};

// Runs the scenario to its end (or until SIGINT/SIGTERM) and writes, in
// run_dir: history.jsonl, scenario.json, impl.json, environment.json and
// nodes/ID.log (stderr, each line prefixed with the controller time) and
// nodes/ID.out (stdout as printed). Never throws because of a node; throws
// std::runtime_error when the run directory cannot be written.
RunResult run_scenario(const Scenario& sc, const Manifest& impl, Network& net,
                       const RunOptions& opt);

}  // namespace gossiplab::harness
