// The controller's run loop (internal): the schedule, the nodes' output into the history,
// and the shutdown. Processes are the supervisor's, faults the nemesis', so the loop can be
// driven by a test with a fake supervisor and a fake network.
#pragma once

#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "gossiplab/harness/controller.hpp"
#include "load.hpp"
#include "nemesis.hpp"
#include "nodes.hpp"
#include "progress.hpp"
#include "recorder.hpp"
#include "run_clock.hpp"
#include "scratch.hpp"
#include "supervisor.hpp"

namespace gossiplab::harness {

// One run. Everything passed in must outlive it; `sup` must run its callbacks on `ioc`.
//
// The run: writes the run directory's files, records run_start (and the baseline shape),
// applies each scenario action at its planned time, and finishes when the duration is over
// or on SIGINT/SIGTERM ("interrupted"): every running node gets SIGTERM (after a SIGCONT
// when paused or starved); one still running after opt.term_grace_s gets a node_error and
// SIGKILL; a second SIGINT/SIGTERM kills them all at once. run_end is recorded once every
// node has exited, and run() returns. A node that exits while the controller did not
// expect it gets a node_error.
class Controller {
  public:
    Controller(boost::asio::io_context& ioc, RunClock& clock, NodeSupervisor& sup,
               const Scenario& sc, const Manifest& m, Network& net, const RunOptions& opt);

    // Runs `ioc` until run_end. Throws std::runtime_error when the run directory cannot be
    // written.
    RunResult run();

  private:
    void write_file(const std::string& name, const nlohmann::json& j);
    void write_run_files();
    void schedule(size_t i);
    void apply(const Action& a);
    void inject(const std::string& node, double at);
    void on_stdout(const std::string& node, const std::string& line, bool truncated);
    void on_exit(const std::string& node, pid_t pid, const ExitStatus& status);
    void interrupt(int sig);
    void wait_signals();
    void finish(const std::string& reason);
    void kill_stragglers();
    void maybe_done();
    void flush_periodically();
    void sample_load();
    void record_load();

    boost::asio::io_context& ioc_;
    RunClock& clock_;
    NodeSupervisor& sup_;
    const Scenario& sc_;
    const Manifest& m_;
    Network& net_;
    const RunOptions& opt_;
    nlohmann::json profile_;
    checkers::Horizon horizon_;  // when the run's obligations can all be judged
    double length_;              // the run's length: the duration, or past the horizon
    Recorder rec_;
    ScratchArea scratch_;  // RUN_DIR/scratch: removed when run() returns
    Nodes nodes_;
    Nemesis nemesis_;
    Progress progress_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer end_timer_;
    boost::asio::steady_timer flush_timer_;  // the history's lines reach the file every 50 ms
    boost::asio::steady_timer load_timer_;   // a `load` sample every second
    LoadProbe load_;
    double load_since_ = 0;  // the run time the current load interval began
    bool finishing_ = false, done_ = false, interrupted_ = false;
    std::string end_reason_ = "duration";
};

}  // namespace gossiplab::harness
