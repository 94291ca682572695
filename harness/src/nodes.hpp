// The nodes of one run as the controller sees them: how each is launched (the manifest's
// command template filled in for it) and what the controller intends (whether an exit is
// expected). Their processes are the supervisor's.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gossiplab/harness/controller.hpp"
#include "gossiplab/harness/manifest.hpp"
#include "gossiplab/harness/scenario.hpp"
#include "recorder.hpp"
#include "scratch.hpp"
#include "supervisor.hpp"

namespace gossiplab::harness {

class Nodes {
  public:
    // Holds references to all of them; they must outlive it. `scratch` gives {scratch} (made
    // only when the manifest's command uses it).
    Nodes(const Scenario& sc, const Manifest& m, const Network& net,
          const std::filesystem::path& bin_dir, NodeSupervisor& sup, Recorder& rec,
          ScratchArea& scratch);

    // Every node the scenario may start, in id order (the order the controller visits them).
    const std::vector<std::string>& ids() const { return ids_; }
    bool has(const std::string& id) const { return state_.count(id) > 0; }
    bool running(const std::string& id) const { return sup_.running(id); }
    int up() const;
    // Each running node's process group (the pid the supervisor started): what the load
    // probe reads the nodes' run-queue wait from.
    std::map<std::string, pid_t> groups() const;

    // Starts node `id` and records node_start, or a node_error when it is running already,
    // its command cannot be expanded or its process cannot be started. `planned` as in
    // Recorder::action. Throws std::out_of_range for an id the scenario does not have.
    // `reset`: with the manifest's reset_incarnation arguments (a node_error when it has none).
    void start(const std::string& id, double planned, bool restart, bool reset = false);

    // The controller caused (or asked for) the node's next exit: its node_exit says so.
    void expect_exit(const std::string& id) { state_.at(id).expect_exit = true; }
    bool exit_expected(const std::string& id) const { return state_.at(id).expect_exit; }
    // Expects the exit, SIGKILLs the node and reaps it now (see NodeSupervisor::kill_now).
    void kill_now(const std::string& id);
    void signal(const std::string& id, int sig) { sup_.signal(id, sig); }
    // Writes one JSON-lines command to the node's stdin.
    void send(const std::string& id, const nlohmann::json& cmd) { sup_.send(id, cmd.dump()); }

  private:
    struct State {
        bool expect_exit = false;
        int starts = 0;  // successful starts so far: salts the node's RNG seed
        pid_t pid = -1;  // of the last start
    };
    std::vector<std::string> seed_ids(const std::string& id) const;
    std::vector<std::string> command(const std::string& id, const State& st, bool reset);

    const Scenario& sc_;
    const Manifest& m_;
    const Network& net_;
    std::filesystem::path bin_dir_;
    NodeSupervisor& sup_;
    Recorder& rec_;
    ScratchArea& scratch_;
    bool uses_scratch_ = false;
    std::map<std::string, State> state_;
    std::vector<std::string> ids_;
};

}  // namespace gossiplab::harness
