// The nemesis: applies faults — to the network (partition, heal, shape, clear), each
// bracketed by read-backs of what is in force, and to nodes through their supervisor (kill,
// pause, resume, restart, leave, CPU starvation by duty cycle) — and records each one.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "gossiplab/harness/controller.hpp"
#include "nodes.hpp"
#include "recorder.hpp"
#include "run_clock.hpp"

namespace gossiplab::harness {

// Single-threaded, on the event loop `ioc` (the duty cycle's timers). `planned`: the
// scheduled time, recorded as the action's planned; `id`: a node of the scenario. A network
// fault that throws (the network cannot do it) has recorded nothing past the read-back
// before it.
class Nemesis {
  public:
    Nemesis(boost::asio::io_context& ioc, Network& net, Nodes& nodes, Recorder& rec);

    // The scenario's baseline link shape on all links, before any node starts; an error
    // line when the network cannot apply it.
    void baseline(const netem::LinkShape& shape);

    // Network faults, recorded with the operation's fields (op_fields: grudge, split, ...).
    void partition(double planned, const op::Partition& p);
    void heal(double planned);
    void shape(double planned, const op::Shape& s);
    void clear(double planned, const op::Clear& c);
    // One step of a swizzle-clog: every link of the node stopped, or restored.
    void clog(double planned, const op::Clog& c);
    void unclog(double planned, const op::Unclog& c);
    // The read-back that closes the last interval; called once when the run ends.
    void close_interval();

    // Node faults.
    void kill(const std::string& id, double planned);
    void pause(const std::string& id, double planned);
    void resume(const std::string& id, double planned);
    // `reset`: the node comes back at its initial incarnation (Manifest::reset_incarnation).
    void restart(const std::string& id, double planned, bool reset = false);
    void leave(const std::string& id, double planned);
    // The node runs `share` of every `period` seconds (SIGSTOP/SIGCONT) until starve_stop.
    void starve_start(const std::string& id, double planned, double share, double period);
    void starve_stop(const std::string& id, double planned);

    // The node exited: it is no longer paused or starved.
    void on_exit(const std::string& id);
    // The run ends: ends the node's starvation and resumes it when paused, so that it can
    // act on SIGTERM. (It still counts as paused.)
    void release(const std::string& id);

    // The faults in force for the progress line: " partition shaped paused:n1 starved:n2",
    // empty when none.
    std::string describe() const;

  private:
    struct Starve {
        bool on = false;
        double share = 1, period = 0.1;
        std::unique_ptr<boost::asio::steady_timer> timer;
    };
    struct Faults {
        bool paused = false;
        Starve starve;
    };
    Faults& of(const std::string& id) { return faults_.at(id); }
    void before_network_fault();
    void observe(const char* when);
    void stop_starving(const std::string& id);
    void starve_cycle(const std::string& id, bool stopped_phase);

    boost::asio::io_context& ioc_;
    Network& net_;
    Nodes& nodes_;
    Recorder& rec_;
    std::map<std::string, Faults> faults_;
    int active_partitions_ = 0, active_shapes_ = 0, active_clogs_ = 0;
    bool faults_seen_ = false;  // a network fault was applied: observe at the end too
};

}  // namespace gossiplab::harness
