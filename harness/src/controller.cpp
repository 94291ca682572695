// The controller's run loop: node processes, their pipes, the schedule, and
// the history writer, all on one Boost.Asio event loop.
#include "gossiplab/harness/controller.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <set>

#include <boost/asio.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>

#include "gossiplab/netem/in_netns.hpp"

namespace gossiplab::harness {

namespace asio = boost::asio;
namespace bp = boost::process;
namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxLine = 64 * 1024;        // longer lines are cut and marked malformed
constexpr size_t kMaxLinesPerSecond = 20000;  // per node; beyond is a flood: lines dropped
constexpr size_t kMaxRawLogBytes = 64 << 20;  // per node, per stream

// In the child between fork and exec: enter the node's namespace (when it has
// one), die with the controller, and leave the controller's process group so
// that a Ctrl-C on the terminal reaches only the controller, which stops the
// nodes itself.
struct node_setup : bp::extend::handler {
    netem::in_netns ns;
    explicit node_setup(int fd) : ns(fd) {}
    template <class Exec>
    void on_exec_setup(Exec& exec) const {
        ::setpgid(0, 0);
        if (ns.fd >= 0) {
            ns.on_exec_setup(exec);
        } else if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != ns.controller) {
            ::_exit(127);
        }
    }
};

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

// One stream of lines from a node (stdout or stderr).
struct LineReader {
    std::unique_ptr<bp::async_pipe> pipe;
    std::array<char, 16384> buf{};
    std::string partial;
    bool open = false;
};

struct Node {
    std::string id;
    pid_t pid = -1;
    bool running = false;
    bool paused = false;
    bool expect_exit = false;  // the controller killed it, or asked it to leave/stop
    int generation = 0;
    LineReader out, err;
    std::unique_ptr<bp::async_pipe> in;
    std::deque<std::string> in_queue;  // lines waiting to be written to stdin
    bool writing = false;
    std::ofstream log, raw;
    size_t log_bytes = 0, raw_bytes = 0;
    double window_start = -1;
    size_t window_lines = 0;
    uint64_t dropped_lines = 0;
    bool flood_reported = false;
    std::unique_ptr<asio::steady_timer> starve_timer;
    bool starving = false;
    double starve_share = 1, starve_period = 0.1;
};

class Controller {
  public:
    Controller(const Scenario& sc, const Manifest& m, Network& net, const RunOptions& opt)
        : sc_(sc),
          m_(m),
          net_(net),
          opt_(opt),
          signals_(ioc_, SIGINT, SIGTERM),
          sigchld_(ioc_, SIGCHLD),
          end_timer_(ioc_),
          tick_(ioc_) {}

    RunResult run() {
        fs::create_directories(opt_.run_dir / "nodes");
        history_.open(opt_.run_dir / "history.jsonl");
        if (!history_)
            throw std::runtime_error("cannot write " + (opt_.run_dir / "history.jsonl").string());
        write_file("scenario.json", sc_.resolved);
        profile_ = m_.profile(sc_.profile);
        write_file(
            "impl.json",
            json{{"name", m_.name},
                 {"profile_name", sc_.profile.empty() ? m_.default_profile : sc_.profile},
                 {"profile", profile_},
                 {"features", m_.features},
                 {"command", m_.command},
                 {"version",
                  opt_.environment.is_object() ? opt_.environment.value("impl_version", "") : ""}});
        write_file("environment.json", opt_.environment);

        for (const auto& id : sc_.nodes) {
            auto& n = nodes_[id];
            n.id = id;
        }
        start_ = Clock::now();
        record_action("run_start", -1,
                      {{"nodes", sc_.nodes},
                       {"seeds", sc_.seeds},
                       {"seed", sc_.seed},
                       {"scenario", sc_.name},
                       {"impl", m_.name},
                       {"backend", net_.name()},
                       {"duration", sc_.duration},
                       {"profile", profile_}});
        if (sc_.baseline_shape) {
            try {
                net_.shape(Links{}, *sc_.baseline_shape);
                record_action("shape", 0,
                              {{"links", "all"},
                               {"shape", netem::to_json(*sc_.baseline_shape)},
                               {"baseline", true}});
                observe_faults();
            } catch (const std::exception& e) {
                record_action("error", 0,
                              {{"message", std::string("baseline shape: ") + e.what()}});
            }
        }

        signals_.async_wait([this](auto ec, int sig) {
            if (!ec) interrupt(sig);
        });
        wait_children();
        for (size_t i = 0; i < sc_.actions.size(); ++i) schedule(i);
        end_timer_.expires_at(start_ + secs(sc_.duration));
        end_timer_.async_wait([this](auto ec) {
            if (!ec) finish("duration");
        });
        progress_tick();
        ioc_.run();
        history_.flush();
        RunResult r;
        r.interrupted = interrupted_;
        r.duration_s = now();
        r.node_errors = node_errors_;
        return r;
    }

  private:
    static Clock::duration secs(double s) {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    }
    double now() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

    void write_file(const std::string& name, const json& j) {
        std::ofstream f(opt_.run_dir / name);
        f << j.dump(2) << "\n";
        if (!f) throw std::runtime_error("cannot write " + (opt_.run_dir / name).string());
    }

    void write_line(json line) {
        history_ << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    }

    void record_action(const std::string& action, double planned, json fields = json::object()) {
        // The envelope is set last so that no field can overwrite it.
        json line = fields.is_object() ? std::move(fields) : json::object();
        line["t"] = round_ms(now());
        line["kind"] = "action";
        line["action"] = action;
        if (planned >= 0) line["planned"] = planned;
        write_line(std::move(line));
        if (action == "node_error" || action == "error") ++node_errors_;
    }
    static double round_ms(double t) { return std::round(t * 1e6) / 1e6; }

    // Reads back what the network has in force and what it counted, into the history, right
    // after each network fault ("after"), and right before the next one and at the end
    // ("before", closing the interval, so that packets counted while a change is applied
    // are not blamed on the configuration before it): faults_landed compares it with what
    // was configured.
    void close_fault_interval() {
        if (faults_seen_) observe_faults("before");
    }
    void observe_faults(const char* when = "after") {
        faults_seen_ = true;
        try {
            json links = net_.observe();
            if (!links.is_null())
                record_action("observe", -1, {{"when", when}, {"links", std::move(links)}});
        } catch (const std::exception& e) {
            record_action("error", -1, {{"op", "observe"}, {"message", e.what()}});
        }
    }

    // -- nodes -------------------------------------------------------------------
    std::vector<std::string> seed_addrs(const std::string& id) {
        std::vector<std::string> out;
        auto it = sc_.node_seeds.find(id);
        if (it == sc_.node_seeds.end()) return out;
        for (const auto& s : it->second)
            if (s != id) out.push_back(s);
        return out;
    }

    void start_node(const std::string& id, double planned, bool restart) {
        Node& n = nodes_[id];
        if (n.running) {
            record_action("node_error", planned,
                          {{"node", id}, {"message", "start requested but the node is running"}});
            return;
        }
        std::string seeds, seed_ids;
        for (const auto& s : seed_addrs(id)) {
            seeds += (seeds.empty() ? "" : ",") + net_.address(s) + ":" + std::to_string(m_.port);
            seed_ids += (seed_ids.empty() ? "" : ",") + s;
        }
        std::map<std::string, std::string> vars = {
            {"id", id},
            {"addr", net_.address(id)},
            {"port", std::to_string(m_.port)},
            {"seeds", seeds},
            {"seed_ids", seed_ids},
            {"profile", sc_.profile.empty() ? m_.default_profile : sc_.profile},
            {"rng_seed",
             std::to_string(derive_seed(sc_.seed, id + "#" + std::to_string(n.generation)))},
            {"bin", opt_.bin_dir.string()},
            {"adapter", m_.dir.string()}};
        std::vector<std::string> argv;
        try {
            argv = expand_command(m_.command, vars, (m_.dir / "impl.json").string());
        } catch (const std::exception& e) {
            record_action("node_error", planned, {{"node", id}, {"message", e.what()}});
            return;
        }
        if (!n.log.is_open()) {
            n.log.open(opt_.run_dir / "nodes" / (id + ".log"), std::ios::app);
            n.raw.open(opt_.run_dir / "nodes" / (id + ".out"), std::ios::app);
        }
        n.out.pipe = std::make_unique<bp::async_pipe>(ioc_);
        n.err.pipe = std::make_unique<bp::async_pipe>(ioc_);
        n.in = std::make_unique<bp::async_pipe>(ioc_);
        n.in_queue.clear();
        n.writing = false;
        std::error_code ec;
        std::vector<std::string> args(argv.begin() + 1, argv.end());
        bp::child c(bp::exe = argv[0], bp::args = args, bp::std_out > *n.out.pipe,
                    bp::std_err > *n.err.pipe, bp::std_in < *n.in, node_setup(net_.netns_fd(id)),
                    ec);
        if (ec || !c.valid()) {
            record_action(
                "node_error", planned,
                {{"node", id}, {"message", "failed to start " + argv[0] + ": " + ec.message()}});
            n.out.pipe.reset();
            n.err.pipe.reset();
            n.in.reset();
            return;
        }
        n.pid = c.id();
        c.detach();  // reaped by wait_children, which sees the raw status
        n.running = true;
        n.paused = false;
        n.expect_exit = false;
        ++n.generation;
        record_action("node_start", planned,
                      {{"node", id},
                       {"pid", n.pid},
                       {"addr", net_.address(id) + ":" + std::to_string(m_.port)},
                       {"seeds", seed_addrs(id)},
                       {"restart", restart},
                       {"argv", argv}});
        read_lines(n, n.out, true);
        read_lines(n, n.err, false);
    }

    void read_lines(Node& n, LineReader& r, bool is_stdout) {
        r.open = true;
        r.partial.clear();
        continue_read(n, r, is_stdout, n.generation);
    }
    void continue_read(Node& n, LineReader& r, bool is_stdout, int gen) {
        r.pipe->async_read_some(
            asio::buffer(r.buf), [this, &n, &r, is_stdout, gen](auto ec, size_t len) {
                if (gen != n.generation) return;
                if (len > 0) {
                    r.partial.append(r.buf.data(), len);
                    size_t pos;
                    while ((pos = r.partial.find('\n')) != std::string::npos) {
                        std::string line = r.partial.substr(0, pos);
                        r.partial.erase(0, pos + 1);
                        on_line(n, line, is_stdout, false);
                    }
                    if (r.partial.size() > kMaxLine) {
                        on_line(n, r.partial.substr(0, kMaxLine), is_stdout, true);
                        r.partial.clear();
                    }
                }
                if (ec) {
                    if (!r.partial.empty()) on_line(n, r.partial, is_stdout, false);
                    r.partial.clear();
                    r.open = false;
                    return;
                }
                continue_read(n, r, is_stdout, gen);
            });
    }

    void on_line(Node& n, const std::string& line, bool is_stdout, bool truncated) {
        double t = now();
        char stamp[32];
        std::snprintf(stamp, sizeof stamp, "%.3f ", t);
        if (!is_stdout) {
            if (n.log_bytes < kMaxRawLogBytes) {
                n.log << stamp << line << "\n";
                n.log_bytes += line.size() + 10;
            }
            return;
        }
        if (n.raw_bytes < kMaxRawLogBytes) {
            n.raw << line << "\n";
            n.raw_bytes += line.size() + 1;
        }
        // Flood control: a node that prints faster than any honest node could
        // must not exhaust memory or disk; the excess is counted, not kept.
        if (t - n.window_start >= 1.0) {
            if (n.dropped_lines > 0)
                record_action("node_error", -1,
                              {{"node", n.id},
                               {"message", "flooding stdout"},
                               {"dropped_lines", n.dropped_lines}});
            n.window_start = t;
            n.window_lines = 0;
            n.dropped_lines = 0;
        }
        if (++n.window_lines > kMaxLinesPerSecond) {
            ++n.dropped_lines;
            return;
        }
        if (line.empty()) return;
        json ev = json::parse(line, nullptr, false);
        if (truncated || ev.is_discarded() || !ev.is_object() || !ev.contains("type") ||
            !ev["type"].is_string()) {
            std::string why = truncated           ? "line longer than 64 KiB"
                              : ev.is_discarded() ? "not JSON"
                              : !ev.is_object()   ? "not a JSON object"
                                                  : "no string 'type'";
            write_line({{"t", round_ms(t)},
                        {"kind", "malformed"},
                        {"node", n.id},
                        {"raw", line.substr(0, 4096)},
                        {"why", why}});
            ++malformed_;
            return;
        }
        const std::string& type = ev["type"].get_ref<const std::string&>();
        if (type == "member") {
            auto& st = views_[n.id];
            if (ev.contains("member") && ev["member"].is_string() && ev.contains("state") &&
                ev["state"].is_string())
                st[ev["member"].get<std::string>()] = ev["state"].get<std::string>();
        }
        write_line(
            {{"t", round_ms(t)}, {"kind", "event"}, {"node", n.id}, {"event", std::move(ev)}});
    }

    void send(Node& n, const json& cmd) {
        if (!n.running || !n.in) return;
        n.in_queue.push_back(cmd.dump() + "\n");
        flush_stdin(n);
    }
    void flush_stdin(Node& n) {
        if (n.writing || n.in_queue.empty() || !n.in) return;
        n.writing = true;
        asio::async_write(*n.in, asio::buffer(n.in_queue.front()),
                          [this, &n, gen = n.generation](auto ec, size_t) {
                              if (gen != n.generation) return;
                              n.writing = false;
                              if (ec) {
                                  n.in_queue.clear();
                                  return;
                              }
                              n.in_queue.pop_front();
                              flush_stdin(n);
                          });
    }

    // Signals go to the node's process group (it leads one, see node_setup):
    // an adapter's wrapper and the implementation it runs stop, resume and
    // die together.
    static void signal_group(pid_t pid, int sig) {
        if (pid > 0 && ::kill(-pid, sig) != 0) ::kill(pid, sig);
    }
    void signal_node(Node& n, int sig) {
        if (n.running) signal_group(n.pid, sig);
    }

    void wait_children() {
        sigchld_.async_wait([this](auto ec, int) {
            if (ec) return;
            reap();
            wait_children();
        });
    }
    void reap() {
        for (auto& [id, n] : nodes_) {
            if (!n.running || n.pid <= 0) continue;
            int status = 0;
            pid_t r = ::waitpid(n.pid, &status, WNOHANG);
            if (r == n.pid) on_exit(n, status);
        }
    }
    void on_exit(Node& n, int status) {
        // Whatever the node left behind in its process group goes with it.
        ::kill(-n.pid, SIGKILL);
        n.running = false;
        n.paused = false;
        stop_starving(n);
        json f = {{"node", n.id}, {"pid", n.pid}, {"expected", n.expect_exit}};
        if (WIFEXITED(status)) {
            f["status"] = WEXITSTATUS(status);
            f["signal"] = nullptr;
        } else {
            f["status"] = nullptr;
            f["signal"] = signal_name(WTERMSIG(status));
        }
        record_action("node_exit", -1, f);
        if (!n.expect_exit && !finishing_) {
            record_action("node_error", -1, {{"node", n.id}, {"message", "exited unexpectedly"}});
        }
        if (finishing_) maybe_done();
    }

    // Stops a node now and reaps it (SIGKILL cannot be ignored; the wait is
    // bounded in case the process is stuck in the kernel).
    void kill_now(Node& n) {
        if (!n.running) return;
        n.expect_exit = true;
        signal_group(n.pid, SIGKILL);
        for (int i = 0; i < 200 && n.running; ++i) {
            int status = 0;
            pid_t r = ::waitpid(n.pid, &status, WNOHANG);
            if (r == n.pid) {
                on_exit(n, status);
                break;
            }
            ::usleep(5000);
        }
    }

    void stop_starving(Node& n) {
        if (!n.starving) return;
        n.starving = false;
        if (n.starve_timer) n.starve_timer->cancel();
        if (!n.paused) signal_node(n, SIGCONT);
    }
    void starve_cycle(Node& n, bool stopped_phase) {
        if (!n.starving || !n.running) return;
        double run_s = n.starve_share * n.starve_period;
        double stop_s = n.starve_period - run_s;
        if (!n.paused) signal_node(n, stopped_phase ? SIGSTOP : SIGCONT);
        n.starve_timer->expires_after(secs(stopped_phase ? stop_s : run_s));
        n.starve_timer->async_wait([this, &n, stopped_phase](auto ec) {
            if (!ec) starve_cycle(n, !stopped_phase);
        });
    }

    // -- the schedule --------------------------------------------------------------
    void schedule(size_t i) {
        auto timer = std::make_shared<asio::steady_timer>(ioc_, start_ + secs(sc_.actions[i].at));
        timer->async_wait([this, i, timer](auto ec) {
            if (!ec && !finishing_) apply(sc_.actions[i]);
        });
    }

    // Applies one typed action: node faults through the processes, network faults through the
    // Network (each bracketed by observations), and records it in the history.
    void apply(const Action& a) {
        const double at = a.at;
        std::string id = op_node(a.op);
        Node* n = id.empty() ? nullptr : &nodes_.at(id);
        auto network = [&](auto&& change, const char* name, json fields) {
            close_fault_interval();
            change();
            record_action(name, at, std::move(fields));
            observe_faults();
        };
        try {
            if (std::holds_alternative<op::Start>(a.op)) {
                start_node(id, at, false);
            } else if (std::holds_alternative<op::Kill>(a.op)) {
                record_action("kill", at, {{"node", id}, {"was_running", n->running}});
                if (n->running) {
                    n->expect_exit = true;
                    signal_node(*n, SIGKILL);
                }
            } else if (std::holds_alternative<op::Pause>(a.op)) {
                record_action("pause", at, {{"node", id}});
                signal_node(*n, SIGSTOP);
                n->paused = true;
            } else if (std::holds_alternative<op::Resume>(a.op)) {
                record_action("resume", at, {{"node", id}});
                n->paused = false;
                signal_node(*n, SIGCONT);
            } else if (std::holds_alternative<op::Restart>(a.op)) {
                record_action("restart", at, {{"node", id}});
                kill_now(*n);
                start_node(id, at, true);
            } else if (std::holds_alternative<op::Leave>(a.op)) {
                record_action("leave", at, {{"node", id}});
                n->expect_exit = true;
                send(*n, {{"cmd", "leave"}});
            } else if (auto* b = std::get_if<op::Broadcast>(&a.op)) {
                record_action("broadcast", at, op_fields(a.op));
                send(*n, {{"cmd", "broadcast"}, {"rumor", b->rumor}, {"payload", b->payload}});
            } else if (auto* p = std::get_if<op::Partition>(&a.op)) {
                network([&] { net_.set_grudge(p->grudge); }, "partition", op_fields(a.op));
                ++active_partitions_;
            } else if (std::holds_alternative<op::Heal>(a.op)) {
                network([&] { net_.heal(); }, "heal", json::object());
                active_partitions_ = 0;
            } else if (auto* sh = std::get_if<op::Shape>(&a.op)) {
                network([&] { net_.shape(sh->links, sh->shape); }, "shape", op_fields(a.op));
                ++active_shapes_;
            } else if (auto* c = std::get_if<op::Clear>(&a.op)) {
                network([&] { net_.clear(c->links); }, "clear", op_fields(a.op));
                active_shapes_ = 0;
            } else if (auto* st = std::get_if<op::StarveStart>(&a.op)) {
                record_action("starve_start", at,
                              {{"node", id},
                               {"method", "duty_cycle"},
                               {"share", st->share},
                               {"period", st->period}});
                n->starving = true;
                n->starve_share = st->share;
                n->starve_period = st->period;
                n->starve_timer = std::make_unique<asio::steady_timer>(ioc_);
                starve_cycle(*n, true);
            } else if (std::holds_alternative<op::StarveStop>(a.op)) {
                record_action("starve_stop", at, {{"node", id}});
                stop_starving(*n);
            }
        } catch (const std::exception& e) {
            record_action("error", at, {{"op", op_name(a.op)}, {"message", e.what()}});
        }
    }

    // -- the end -------------------------------------------------------------------
    void interrupt(int sig) {
        if (finishing_) {
            // A second Ctrl-C: stop waiting for nodes.
            for (auto& [id, n] : nodes_) kill_now(n);
            maybe_done();
            return;
        }
        interrupted_ = true;
        record_action("interrupted", -1, {{"signal", signal_name(sig)}});
        finish("interrupted");
        signals_.async_wait([this](auto ec, int s) {
            if (!ec) interrupt(s);
        });
    }

    void finish(const std::string& reason) {
        if (finishing_) return;
        finishing_ = true;
        end_reason_ = reason;
        end_timer_.cancel();
        close_fault_interval();  // the last interval's counters
        // Ask every node for its final view, then to stop.
        for (auto& [id, n] : nodes_) {
            if (!n.running) continue;
            stop_starving(n);
            n.expect_exit = true;
            if (n.paused) signal_node(n, SIGCONT);
            signal_node(n, SIGTERM);
        }
        end_timer_.expires_after(secs(opt_.term_grace_s));
        end_timer_.async_wait([this](auto ec) {
            if (ec) return;
            for (auto& [id, n] : nodes_) {
                if (!n.running) continue;
                record_action("node_error", -1,
                              {{"node", id},
                               {"message", "ignored SIGTERM for " +
                                               std::to_string(opt_.term_grace_s) + " s; killed"}});
                kill_now(n);
            }
            maybe_done();
        });
        maybe_done();
    }

    void maybe_done() {
        for (auto& [id, n] : nodes_)
            if (n.running) return;
        if (done_) return;
        done_ = true;
        // Give the pipes a moment to deliver what the nodes printed last.
        auto t = std::make_shared<asio::steady_timer>(ioc_, secs(0.05));
        t->async_wait([this, t](auto) {
            record_action("run_end", -1,
                          {{"reason", end_reason_}, {"malformed_lines", malformed_}});
            if (opt_.progress) std::fprintf(stderr, "\n");
            ioc_.stop();
        });
    }

    void progress_tick() {
        if (!opt_.progress) return;
        tick_.expires_after(secs(0.5));
        tick_.async_wait([this](auto ec) {
            if (ec || done_) return;
            int up = 0;
            for (auto& [id, n] : nodes_) up += n.running;
            std::string faults;
            if (active_partitions_) faults += " partition";
            if (active_shapes_) faults += " shaped";
            for (auto& [id, n] : nodes_) {
                if (n.paused) faults += " paused:" + id;
                if (n.starving) faults += " starved:" + id;
            }
            std::fprintf(stderr, "\r\033[K%s  %5.1f/%.0f s  nodes up %d/%zu  faults:%s",
                         sc_.name.c_str(), now(), sc_.duration, up, nodes_.size(),
                         faults.empty() ? " none" : faults.c_str());
            std::fflush(stderr);
            progress_tick();
        });
    }

    const Scenario& sc_;
    const Manifest& m_;
    Network& net_;
    const RunOptions& opt_;
    json profile_;
    asio::io_context ioc_;
    asio::signal_set signals_;
    asio::signal_set sigchld_;
    asio::steady_timer end_timer_;
    asio::steady_timer tick_;
    Clock::time_point start_;
    std::ofstream history_;
    std::map<std::string, Node> nodes_;
    std::map<std::string, std::map<std::string, std::string>> views_;
    bool finishing_ = false, done_ = false, interrupted_ = false;
    std::string end_reason_ = "duration";
    int node_errors_ = 0;
    uint64_t malformed_ = 0;
    int active_partitions_ = 0, active_shapes_ = 0;
    bool faults_seen_ = false;  // a network fault was applied: observe at the end too
};

}  // namespace

RunResult run_scenario(const Scenario& sc, const Manifest& impl, Network& net,
                       const RunOptions& opt) {
    // A node that closes its stdin must not kill the controller.
    ::signal(SIGPIPE, SIG_IGN);
    Controller c(sc, impl, net, opt);
    return c.run();
}

}  // namespace gossiplab::harness
