// Node processes behind an interface: the controller starts, signals and feeds nodes and
// hears their output and their exits through a NodeSupervisor, so that its schedule and
// shutdown can be tested with a fake one and no processes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "run_clock.hpp"

namespace gossiplab::harness {

// How a node process ended: its exit code, or the signal that killed it.
struct ExitStatus {
    int code = 0;    // when signal == 0
    int signal = 0;  // 0: it exited
    // Processes still in the node's PID namespace when it exited, killed then (contain.hpp);
    // -1: not known (the node ran uncontained, or its namespace was killed whole).
    int left_behind = -1;
    static ExitStatus exited(int code) { return {code, 0}; }
    static ExitStatus killed(int sig) { return {0, sig}; }
};

// "SIGKILL", "SIGTERM", ... ("SIG<n>" for the ones without a name here).
std::string signal_name(int sig);

// What a supervisor reports. Every callback runs on the event loop the supervisor was made
// with (kill_now's on_exit runs inside kill_now).
struct NodeHandlers {
    // One line the node printed on stdout, without its newline; never empty. `truncated`: the
    // line was longer than the framing allows and this is its beginning.
    std::function<void(const std::string& node, const std::string& line, bool truncated)> on_stdout;
    // One line the node printed on stderr (may be empty; may be left unset).
    std::function<void(const std::string& node, const std::string& line)> on_stderr;
    // The node printed more stdout lines in the last second than the supervisor keeps;
    // `dropped` lines were thrown away. Reported before the next line that is kept.
    std::function<void(const std::string& node, uint64_t dropped)> on_flood;
    // The node's process ended (it is no longer running() when this runs).
    std::function<void(const std::string& node, pid_t pid, const ExitStatus& status)> on_exit;
};

class NodeSupervisor {
  public:
    virtual ~NodeSupervisor() = default;

    // Called once, before the first start().
    virtual void set_handlers(NodeHandlers h) = 0;
    // Starts argv (argv[0] the program) as node `node`'s process: in the network namespace
    // `netns_fd` (-1: this one), in a PID namespace of its own where the system allows
    // (nothing it starts outlives it: contain.hpp), leading its own process group,
    // stdin/stdout/stderr piped.
    // Returns its pid. Throws std::runtime_error("failed to start ARGV0: WHY") when it cannot;
    // the node is then not running. Precondition: the node is not running.
    virtual pid_t start(const std::string& node, const std::vector<std::string>& argv,
                        int netns_fd) = 0;
    virtual bool running(const std::string& node) const = 0;
    // Sends `sig` to the node's process group; nothing when it is not running.
    virtual void signal(const std::string& node, int sig) = 0;
    // Queues `line` (a newline is added) for the node's stdin; lines are written in order.
    // Dropped when the node is not running or its stdin is closed.
    virtual void send(const std::string& node, const std::string& line) = 0;
    // SIGKILLs the node's process group and reaps it now (on_exit runs before this returns),
    // waiting a bounded time for a process stuck in the kernel. Nothing when not running.
    virtual void kill_now(const std::string& node) = 0;
};

// The real supervisor: Boost.Process children on `ioc`, reaped on SIGCHLD. Node NODE's stderr
// goes to log_dir/NODE.log (each line prefixed with the run clock's time) and its stdout, as
// printed, to log_dir/NODE.out (each capped at 64 MiB); both hold whole lines only and are
// flushed every 50 ms (history::LineFile), so a SIGKILL of the controller loses at most the
// last ~100 ms. Stdout is framed into lines of at most
// 64 KiB; more than 20000 lines a second from one node is a flood: the excess is dropped.
std::unique_ptr<NodeSupervisor> make_process_supervisor(boost::asio::io_context& ioc,
                                                        std::filesystem::path log_dir,
                                                        const RunClock& clock);

}  // namespace gossiplab::harness
