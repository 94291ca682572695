// The process supervisor: node processes on Boost.Process and Asio, their pipes framed into
// lines with flood control, their stdin queues, their logs, and their reaping.
#include "supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <deque>
#include <map>
#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>

#include <gossiplab/history/writer.hpp>

#include "contain.hpp"
#include "gossiplab/netem/in_netns.hpp"

namespace gossiplab::harness {

namespace asio = boost::asio;
namespace bp = boost::process;
namespace fs = std::filesystem;

std::string signal_name(int sig) {
    switch (sig) {
        case SIGKILL:
            return "SIGKILL";
        case SIGTERM:
            return "SIGTERM";
        case SIGINT:
            return "SIGINT";
        case SIGSEGV:
            return "SIGSEGV";
        case SIGABRT:
            return "SIGABRT";
        case SIGPIPE:
            return "SIGPIPE";
        default:
            return "SIG" + std::to_string(sig);
    }
}

namespace {

constexpr size_t kMaxLine = 64 * 1024;        // longer lines are cut and marked truncated
constexpr size_t kMaxLinesPerSecond = 20000;  // per node; beyond is a flood: lines dropped
constexpr size_t kMaxRawLogBytes = 64 << 20;  // per node, per stream

// In the child between fork and exec: enter the node's namespace (when it has
// one), die with the controller, leave the controller's process group so
// that a Ctrl-C on the terminal reaches only the controller, which stops the
// nodes itself, and put the node in a PID namespace of its own (contain.hpp).
struct node_setup : bp::extend::handler {
    netem::in_netns ns;
    int report_fd;
    node_setup(int fd, int report) : ns(fd), report_fd(report) {}
    template <class Exec>
    void on_exec_setup(Exec& exec) const {
        ::setpgid(0, 0);
        if (ns.fd >= 0) {
            ns.on_exec_setup(exec);
            if (exec.error()) return;
        } else if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != ns.controller) {
            ::_exit(127);
        }
        contain::enter(report_fd);
    }
};

// Signals go to the node's process group (it leads one, see node_setup):
// an adapter's wrapper and the implementation it runs stop, resume and
// die together.
void signal_group(pid_t pid, int sig) {
    if (pid > 0 && ::kill(-pid, sig) != 0) ::kill(pid, sig);
}

ExitStatus decode(int status) {
    return WIFEXITED(status) ? ExitStatus::exited(WEXITSTATUS(status))
                             : ExitStatus::killed(WTERMSIG(status));
}

// One stream of lines from a node (stdout or stderr).
struct LineReader {
    std::unique_ptr<bp::async_pipe> pipe;
    std::array<char, 16384> buf{};
    std::string partial;
};

// One node's process, its pipes and its logs. Outlives the process: the logs and the flood
// window carry over a restart.
struct Proc {
    std::string id;
    pid_t pid = -1;
    bool running = false;
    int generation = 0;  // bumped on each start: callbacks of an earlier process are ignored
    LineReader out, err;
    std::unique_ptr<bp::async_pipe> in;
    std::deque<std::string> in_queue;  // lines waiting to be written to stdin
    bool writing = false;
    history::LineFile log, raw;
    int report_fd = -1;  // read end of the containment report pipe (contain.hpp)
    size_t log_bytes = 0, raw_bytes = 0;
    double window_start = -1;
    size_t window_lines = 0;
    uint64_t dropped_lines = 0;
};

class ProcessSupervisor final : public NodeSupervisor {
  public:
    ProcessSupervisor(asio::io_context& ioc, fs::path log_dir, const RunClock& clock)
        : ioc_(ioc),
          log_dir_(std::move(log_dir)),
          clock_(clock),
          sigchld_(ioc, SIGCHLD),
          flush_timer_(ioc) {
        wait_children();
        flush_periodically();
    }

    ~ProcessSupervisor() override {
        for (auto& [id, p] : procs_)
            if (p.report_fd >= 0) ::close(p.report_fd);
    }

    void set_handlers(NodeHandlers h) override { h_ = std::move(h); }

    pid_t start(const std::string& id, const std::vector<std::string>& argv,
                int netns_fd) override {
        Proc& p = procs_[id];
        p.id = id;
        if (!p.log.is_open()) {
            p.log = history::LineFile(log_dir_ / (id + ".log"), true);
            p.raw = history::LineFile(log_dir_ / (id + ".out"), true);
        }
        int report[2];
        if (::pipe2(report, O_CLOEXEC) != 0)
            throw std::runtime_error("failed to start " + argv[0] + ": no pipe");
        ::fcntl(report[0], F_SETFL, O_NONBLOCK);
        if (p.report_fd >= 0) ::close(p.report_fd);
        p.report_fd = report[0];
        p.out.pipe = std::make_unique<bp::async_pipe>(ioc_);
        p.err.pipe = std::make_unique<bp::async_pipe>(ioc_);
        p.in = std::make_unique<bp::async_pipe>(ioc_);
        p.in_queue.clear();
        p.writing = false;
        std::error_code ec;
        std::vector<std::string> args(argv.begin() + 1, argv.end());
        bp::child c(bp::exe = argv[0], bp::args = args, bp::std_out > *p.out.pipe,
                    bp::std_err > *p.err.pipe, bp::std_in < *p.in, node_setup(netns_fd, report[1]),
                    ec);
        ::close(report[1]);
        if (ec || !c.valid()) {
            p.out.pipe.reset();
            p.err.pipe.reset();
            p.in.reset();
            throw std::runtime_error("failed to start " + argv[0] + ": " + ec.message());
        }
        p.pid = c.id();
        c.detach();  // reaped by reap(), which sees the raw status
        p.running = true;
        ++p.generation;
        read_lines(p, p.out, true);
        read_lines(p, p.err, false);
        return p.pid;
    }

    bool running(const std::string& id) const override {
        auto it = procs_.find(id);
        return it != procs_.end() && it->second.running;
    }

    void signal(const std::string& id, int sig) override {
        auto it = procs_.find(id);
        if (it != procs_.end() && it->second.running) signal_group(it->second.pid, sig);
    }

    void send(const std::string& id, const std::string& line) override {
        auto it = procs_.find(id);
        if (it == procs_.end() || !it->second.running || !it->second.in) return;
        it->second.in_queue.push_back(line + "\n");
        flush_stdin(it->second);
    }

    void kill_now(const std::string& id) override {
        auto it = procs_.find(id);
        if (it == procs_.end() || !it->second.running) return;
        Proc& p = it->second;
        signal_group(p.pid, SIGKILL);
        // SIGKILL cannot be ignored; the wait is bounded in case the process is stuck in
        // the kernel.
        for (int i = 0; i < 200 && p.running; ++i) {
            int status = 0;
            if (::waitpid(p.pid, &status, WNOHANG) == p.pid) {
                exited(p, status);
                break;
            }
            ::usleep(5000);
        }
    }

  private:
    void read_lines(Proc& p, LineReader& r, bool is_stdout) {
        r.partial.clear();
        continue_read(p, r, is_stdout, p.generation);
    }

    void continue_read(Proc& p, LineReader& r, bool is_stdout, int gen) {
        r.pipe->async_read_some(
            asio::buffer(r.buf), [this, &p, &r, is_stdout, gen](auto ec, size_t len) {
                if (gen != p.generation) return;
                if (len > 0) {
                    r.partial.append(r.buf.data(), len);
                    size_t pos;
                    while ((pos = r.partial.find('\n')) != std::string::npos) {
                        std::string line = r.partial.substr(0, pos);
                        r.partial.erase(0, pos + 1);
                        on_line(p, line, is_stdout, false);
                    }
                    if (r.partial.size() > kMaxLine) {
                        on_line(p, r.partial.substr(0, kMaxLine), is_stdout, true);
                        r.partial.clear();
                    }
                }
                if (ec) {
                    if (!r.partial.empty()) on_line(p, r.partial, is_stdout, false);
                    r.partial.clear();
                    return;
                }
                continue_read(p, r, is_stdout, gen);
            });
    }

    void on_line(Proc& p, const std::string& line, bool is_stdout, bool truncated) {
        double t = clock_.now();
        if (!is_stdout) {
            if (p.log_bytes < kMaxRawLogBytes) {
                char stamp[32];
                std::snprintf(stamp, sizeof stamp, "%.3f ", t);
                p.log.append(stamp + line);
                p.log_bytes += line.size() + 10;
            }
            if (h_.on_stderr) h_.on_stderr(p.id, line);
            return;
        }
        if (p.raw_bytes < kMaxRawLogBytes) {
            p.raw.append(line);
            p.raw_bytes += line.size() + 1;
        }
        // Flood control: a node that prints faster than any honest node could
        // must not exhaust memory or disk; the excess is counted, not kept.
        if (t - p.window_start >= 1.0) {
            if (p.dropped_lines > 0 && h_.on_flood) h_.on_flood(p.id, p.dropped_lines);
            p.window_start = t;
            p.window_lines = 0;
            p.dropped_lines = 0;
        }
        if (++p.window_lines > kMaxLinesPerSecond) {
            ++p.dropped_lines;
            return;
        }
        if (!line.empty() && h_.on_stdout) h_.on_stdout(p.id, line, truncated);
    }

    void flush_stdin(Proc& p) {
        if (p.writing || p.in_queue.empty() || !p.in) return;
        p.writing = true;
        asio::async_write(*p.in, asio::buffer(p.in_queue.front()),
                          [this, &p, gen = p.generation](auto ec, size_t) {
                              if (gen != p.generation) return;
                              p.writing = false;
                              if (ec) {
                                  p.in_queue.clear();
                                  return;
                              }
                              p.in_queue.pop_front();
                              flush_stdin(p);
                          });
    }

    void wait_children() {
        sigchld_.async_wait([this](auto ec, int) {
            if (ec) return;
            reap();
            wait_children();
        });
    }

    void reap() {
        for (auto& [id, p] : procs_) {
            if (!p.running || p.pid <= 0) continue;
            int status = 0;
            if (::waitpid(p.pid, &status, WNOHANG) == p.pid) exited(p, status);
        }
    }

    void exited(Proc& p, int status) {
        // Whatever the node left behind in its process group goes with it (its namespace
        // went already, when it had one).
        ::kill(-p.pid, SIGKILL);
        p.running = false;
        ExitStatus st = decode(status);
        st.left_behind = read_report(p);
        if (h_.on_exit) h_.on_exit(p.id, p.pid, st);
    }

    // What the node's containment reported (contain.hpp): the count it left behind, or -1.
    static int read_report(Proc& p) {
        int left = -1;
        contain::Report r;
        while (p.report_fd >= 0 && ::read(p.report_fd, &r, sizeof r) == ssize_t(sizeof r))
            left = r.status == contain::kNotContained ? -1 : r.left_behind;
        if (p.report_fd >= 0) ::close(p.report_fd);
        p.report_fd = -1;
        return left;
    }

    // Node output reaches its files at least every 50 ms (history::LineFile keeps lines whole).
    void flush_periodically() {
        for (auto& [id, p] : procs_) {
            p.log.flush();
            p.raw.flush();
        }
        flush_timer_.expires_after(std::chrono::milliseconds(50));
        flush_timer_.async_wait([this](auto ec) {
            if (!ec) flush_periodically();
        });
    }

    asio::io_context& ioc_;
    fs::path log_dir_;
    const RunClock& clock_;
    asio::signal_set sigchld_;
    asio::steady_timer flush_timer_;
    NodeHandlers h_;
    std::map<std::string, Proc> procs_;
};

}  // namespace

std::unique_ptr<NodeSupervisor> make_process_supervisor(asio::io_context& ioc, fs::path log_dir,
                                                        const RunClock& clock) {
    return std::make_unique<ProcessSupervisor>(ioc, std::move(log_dir), clock);
}

}  // namespace gossiplab::harness
