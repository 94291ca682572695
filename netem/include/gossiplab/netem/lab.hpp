// The lab: a private world of network namespaces (one per node, routed through a hub) with an
// impairment engine at the hub.
#pragma once

#include "gossiplab/netem/grudge.hpp"
#include "gossiplab/netem/shape.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gossiplab::netem {

enum class Backend { Auto, Netem, Nfqueue };
std::string to_string(Backend b);                 // "auto" | "netem" | "nfqueue"
Backend backend_from_string(const std::string&);  // throws LabError naming the accepted values

// One thing a run needs from the kernel or the system.
struct Capability {
    std::string name;  // "user namespaces", "sch_netem", ...
    bool ok = false;
    std::string detail;    // what was found
    std::string fix;       // what to do when !ok (empty when ok)
    bool required = true;  // a run is impossible without it (sch_netem is optional)
};

// Probes every capability in a throw-away child process (fresh user/net namespaces), so it
// changes nothing on the host. Call while the process is single-threaded (it forks).
std::vector<Capability> doctor();
// The backend a run will use given the probed capabilities: Auto picks netem when sch_netem
// works, else nfqueue. Throws LabError naming the missing capability and its fix when the
// requested backend (or, for Auto, any backend) is unavailable.
Backend choose_backend(Backend requested, const std::vector<Capability>& caps);
Backend choose_backend(Backend requested);  // probes with doctor()

// Moves the calling process into a fresh network + mount namespace (and a user namespace
// first when not root), so the process's own network namespace becomes the lab's hub and
// nothing it does reaches the host's interfaces, routes or firewall. Everything created after
// it lives only as long as this process. Must be called while the process is single-threaded
// (the kernel refuses user namespaces otherwise), once. Throws LabError on failure (and on a
// second call). Lab refuses to build before it succeeded.
void enter_private_world();
// True once enter_private_world() succeeded in this process (then its mounts are its own).
bool in_private_world();

struct LabConfig {
    std::vector<std::string> nodes;        // node ids, unique, non-empty
    std::string subnet = "198.18.0.0/15";  // IPv4 range for the hub and node addresses
    Backend backend = Backend::Auto;
    // The run's seed. The nfqueue engine draws each directed link's fates from a stream derived
    // from it (one per link: one link's traffic never changes another's fates); the netem
    // backend cannot pass it to the kernel (libnl has no netem seed), so its fates are not
    // reproducible (run_start records both: docs/history-format.md).
    uint64_t seed = 1;
};

class Impairment;  // backend interface (internal)

// A built lab. Construct only inside the private world (after enter_private_world). The
// constructor creates one netns per node, a veth pair from the hub to each (GRO/GSO off),
// addresses, routes, loopback up, forwarding on, and starts the impairment backend; on any
// failure it undoes what it did and throws LabError. The destructor tears it all down (and a
// SIGKILL of the process does so by construction). Methods are not thread-safe with respect to
// each other: call them from one thread (the engine runs in its own thread internally).
class Lab {
  public:
    explicit Lab(LabConfig cfg);
    ~Lab();
    Lab(const Lab&) = delete;
    Lab& operator=(const Lab&) = delete;

    const std::vector<std::string>& nodes() const;
    std::string address(const std::string& node) const;  // IPv4 of the node inside its netns
    int netns_fd(const std::string& node) const;  // owned by the Lab; valid until destruction
    std::string backend_name() const;             // "netem" | "nfqueue"
    // One line for the log saying which backend and why, e.g.
    // "nfqueue (auto: sch_netem unavailable: netem qdisc refused: Object not found)".
    std::string backend_note() const;

    // Shapes the directed link src -> dst; "*" for either side means every node (a node's
    // link to itself is never shaped): all links of node n are (n, "*") plus ("*", n), all
    // links are ("*", "*"). Later calls override earlier ones link by link.
    // Applies while traffic flows. Throws LabError on unknown nodes or invalid shapes.
    void set_shape(const std::string& src, const std::string& dst, const LinkShape& shape);
    void clear_shape(const std::string& src, const std::string& dst);  // same wildcards
    void clear_shapes();
    // Replaces the active partition (an empty grudge heals). Throws LabError on unknown nodes.
    void set_grudge(const Grudge& g);
    void heal();

    struct Stats {
        uint64_t queued = 0;      // packets seen by the engine
        uint64_t passed = 0;      // packets released (verdict accept)
        uint64_t dropped = 0;     // loss + partition
        uint64_t duplicated = 0;  // extra copies injected
        uint64_t delayed = 0;     // packets held for a delay or rate
    };
    Stats stats() const;  // all zero for the netem backend (the kernel keeps those counters)
    // How late the engine released held packets: the most any held packet left after its
    // release time since the previous call, in seconds (0 when none was late or none was
    // held); nullopt for the netem backend, whose release lag the kernel does not report. A
    // starved machine shows here first: a delay of 100 ms becomes 100 ms plus this.
    std::optional<double> take_release_lag();

    // One directed link as configured and as the backend reports it: what is in force (read
    // back from the kernel's qdiscs, classes and iptables rules, or from the engine's table)
    // and what was done to its packets (counters since the lab started, monotonic).
    struct LinkObservation {
        std::string src, dst;
        std::optional<LinkShape> configured;  // nullopt: unshaped
        std::optional<LinkShape> in_force;    // netem cannot report a distribution: "normal"
        bool partitioned = false;             // configured: src -> dst packets are dropped
        bool dropping = false;                // in force: a partition rule for the pair
        uint64_t forwarded = 0;  // packets past the partition rules, towards the link's shaping
        uint64_t packets = 0;    // of those, what the link's shaping element received
        uint64_t lost = 0;       // dropped by the link's loss
        uint64_t held = 0;       // held for a delay, jitter or rate
        uint64_t cut = 0;        // dropped by a partition
    };
    // Every link that is or once was shaped or partitioned, in (src, dst) order. Throws
    // LabError when the backend's state cannot be read.
    std::vector<LinkObservation> observe();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gossiplab::netem
