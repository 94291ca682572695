// A NodeSupervisor with no processes, for the controller's unit tests: "nodes" that exit
// when signalled as real ones would (SIGTERM while stopped waits for SIGCONT), with knobs
// for stubborn or broken nodes, and a log of every signal, stdin line and start.
#pragma once

#include <signal.h>

#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "run_clock.hpp"
#include "supervisor.hpp"

namespace gossiplab::harness::testing {

class FakeSupervisor final : public NodeSupervisor {
  public:
    FakeSupervisor(boost::asio::io_context& ioc, const RunClock& clock)
        : ioc_(ioc), clock_(clock) {}

    // -- knobs
    std::set<std::string> ignores_sigterm;  // these nodes do not exit on SIGTERM
    std::set<std::string> cannot_start;     // start() throws for these
    bool exits_on_leave = true;             // a node that reads {"cmd":"leave"} exits 0

    // -- what the controller did
    struct Signal {
        std::string node;
        int sig;
        double t;  // run clock
    };
    std::vector<Signal> signals;
    std::map<std::string, std::vector<std::string>> sent;                // node -> stdin lines
    std::map<std::string, std::vector<std::vector<std::string>>> argvs;  // node -> each start

    std::vector<int> signals_of(const std::string& node) const {
        std::vector<int> out;
        for (const auto& s : signals)
            if (s.node == node) out.push_back(s.sig);
        return out;
    }

    // -- what a node does (call on the event loop)
    void print(const std::string& node, const std::string& line, bool truncated = false) {
        if (running(node)) h_.on_stdout(node, line, truncated);
    }
    void flood(const std::string& node, uint64_t dropped) { h_.on_flood(node, dropped); }
    void exit(const std::string& node, ExitStatus st) {
        auto it = procs_.find(node);
        if (it == procs_.end() || !it->second.running) return;
        it->second.running = false;
        h_.on_exit(node, it->second.pid, st);
    }

    // -- NodeSupervisor
    void set_handlers(NodeHandlers h) override { h_ = std::move(h); }

    pid_t start(const std::string& node, const std::vector<std::string>& argv, int) override {
        if (running(node)) throw std::logic_error("start of a running node");
        if (cannot_start.count(node))
            throw std::runtime_error("failed to start " + argv.at(0) + ": No such file");
        argvs[node].push_back(argv);
        Proc& p = procs_[node];
        p = Proc{};
        p.pid = next_pid_++;
        p.running = true;
        return p.pid;
    }

    bool running(const std::string& node) const override {
        auto it = procs_.find(node);
        return it != procs_.end() && it->second.running;
    }

    void signal(const std::string& node, int sig) override {
        if (!running(node)) return;
        signals.push_back({node, sig, clock_.now()});
        Proc& p = procs_[node];
        switch (sig) {
            case SIGSTOP:
                p.stopped = true;
                break;
            case SIGCONT:
                p.stopped = false;
                if (p.term_pending) exit_later(node, ExitStatus::exited(0));
                break;
            case SIGTERM:
                if (ignores_sigterm.count(node)) break;
                if (p.stopped)
                    p.term_pending = true;
                else
                    exit_later(node, ExitStatus::exited(0));
                break;
            case SIGKILL:
                exit_later(node, ExitStatus::killed(SIGKILL));
                break;
        }
    }

    void send(const std::string& node, const std::string& line) override {
        if (!running(node)) return;
        sent[node].push_back(line);
        if (exits_on_leave && line == R"({"cmd":"leave"})") exit_later(node, ExitStatus::exited(0));
    }

    void kill_now(const std::string& node) override {
        if (!running(node)) return;
        signals.push_back({node, SIGKILL, clock_.now()});
        exit(node, ExitStatus::killed(SIGKILL));
    }

  private:
    struct Proc {
        pid_t pid = 0;
        bool running = false, stopped = false, term_pending = false;
    };
    // A process exits a moment after the signal, as SIGCHLD arrives later; only the process
    // signalled (not a later one of the same node) exits.
    void exit_later(const std::string& node, ExitStatus st) {
        pid_t pid = procs_[node].pid;
        boost::asio::post(ioc_, [this, node, pid, st] {
            if (procs_[node].pid == pid) exit(node, st);
        });
    }

    boost::asio::io_context& ioc_;
    const RunClock& clock_;
    NodeHandlers h_;
    std::map<std::string, Proc> procs_;
    pid_t next_pid_ = 1000;
};

}  // namespace gossiplab::harness::testing
