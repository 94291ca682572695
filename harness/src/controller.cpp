// The controller's run loop: the schedule, node output into the history, and the shutdown,
// on one Boost.Asio event loop. Processes are the supervisor's (supervisor.cpp), faults the
// nemesis' (nemesis.cpp).
#include "controller.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace gossiplab::harness {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using nlohmann::json;

Controller::Controller(asio::io_context& ioc, RunClock& clock, NodeSupervisor& sup,
                       const Scenario& sc, const Manifest& m, Network& net, const RunOptions& opt)
    : ioc_(ioc),
      clock_(clock),
      sup_(sup),
      sc_(sc),
      m_(m),
      net_(net),
      opt_(opt),
      profile_(m.profile(sc.profile)),
      horizon_(run_horizon(sc, profile_)),
      length_(run_length(sc.duration, horizon_)),
      rec_(clock),
      nodes_(sc, m, net, opt.bin_dir, sup, rec_, scratch_),
      nemesis_(ioc, net, nodes_, rec_),
      progress_(ioc, opt.progress, sc.name, length_,
                [this] {
                    return ProgressSample{clock_.now(), nodes_.up(), nodes_.ids().size(),
                                          nemesis_.describe()};
                }),
      signals_(ioc, SIGINT, SIGTERM),
      end_timer_(ioc),
      flush_timer_(ioc),
      load_timer_(ioc) {
    NodeHandlers h;
    h.on_stdout = [this](const std::string& node, const std::string& line, bool truncated) {
        on_stdout(node, line, truncated);
    };
    h.on_flood = [this](const std::string& node, uint64_t dropped) {
        rec_.action(ActionType::node_error, -1,
                    {{"node", node}, {"message", "flooding stdout"}, {"dropped_lines", dropped}});
    };
    h.on_exit = [this](const std::string& node, pid_t pid, const ExitStatus& status) {
        on_exit(node, pid, status);
    };
    sup_.set_handlers(std::move(h));
}

void Controller::write_file(const std::string& name, const json& j) {
    std::ofstream f(opt_.run_dir / name);
    f << j.dump(2) << "\n";
    if (!f) throw std::runtime_error("cannot write " + (opt_.run_dir / name).string());
}

void Controller::write_run_files() {
    fs::create_directories(opt_.run_dir / "nodes");
    rec_.open(opt_.run_dir / "history.jsonl");
    write_file("scenario.json", sc_.resolved);
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
}

RunResult Controller::run() {
    write_run_files();
    scratch_.open(opt_.run_dir / "scratch", netem::in_private_world());
    clock_.start = RunClock::Clock::now();
    // The wall time of t = 0, so that outside observers (a kill, a log) can be placed on it.
    const double started_at =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    rec_.action(ActionType::run_start, -1,
                {{"nodes", sc_.nodes},
                 {"started_at", std::round(started_at * 1e6) / 1e6},
                 {"seeds", sc_.seeds},
                 {"seed", sc_.seed},
                 {"scenario", sc_.name},
                 {"command", opt_.command_line},
                 {"impl", m_.name},
                 {"backend", net_.name()},
                 {"fates", net_.fates()},
                 {"duration", length_},
                 {"scenario_duration", sc_.duration},
                 {"horizon", horizon_.to_json()},
                 {"profile", profile_}});
    if (sc_.baseline_shape) nemesis_.baseline(*sc_.baseline_shape);

    wait_signals();
    for (size_t i = 0; i < sc_.actions.size(); ++i) schedule(i);
    end_timer_.expires_at(clock_.at(length_));
    end_timer_.async_wait([this](auto ec) {
        if (!ec) finish("duration");
    });
    progress_.start();
    flush_periodically();
    sample_load();
    ioc_.run();
    scratch_.remove();  // every node has exited
    rec_.flush();
    RunResult r;
    r.interrupted = interrupted_;
    r.duration_s = clock_.now();
    return r;
}

// A SIGKILL of the controller loses at most the lines of the last flush period (docs/
// history-format.md "Durability"); actions are flushed as they are written.
void Controller::flush_periodically() {
    rec_.flush();
    flush_timer_.expires_after(RunClock::secs(0.05));
    flush_timer_.async_wait([this](auto ec) {
        if (ec) return;
        load_.timer_fired(flush_timer_.expiry());
        flush_periodically();
    });
}

// Once a second, how late the lab ran (harness/src/load.hpp): a failure on a starved machine
// is then judged as the environment's, not the protocol's (docs/checkers.md "Starved runs").
void Controller::sample_load() {
    load_timer_.expires_at(clock_.at(load_since_ + 1.0));
    load_timer_.async_wait([this](auto ec) {
        if (ec || finishing_) return;
        load_.timer_fired(load_timer_.expiry());
        record_load();
        sample_load();
    });
}

void Controller::record_load() {
    const double now = clock_.now();
    rec_.action(ActionType::load, -1,
                load_.sample(now - load_since_, nodes_.groups(), net_.release_lag()));
    load_since_ = now;
}

// -- the schedule -----------------------------------------------------------------------------

void Controller::schedule(size_t i) {
    auto timer = std::make_shared<asio::steady_timer>(ioc_, clock_.at(sc_.actions[i].at));
    timer->async_wait([this, i, timer](auto ec) {
        if (ec || finishing_) return;
        load_.timer_fired(timer->expiry());
        apply(sc_.actions[i]);
        load_.busy_until(RunClock::Clock::now());
    });
}

// The one place that dispatches on an action's operation.
void Controller::apply(const Action& a) {
    const std::string id = op_node(a.op);
    const double at = a.at;
    try {
        if (!id.empty() && !nodes_.has(id)) throw std::out_of_range("unknown node " + id);
        std::visit(
            Overload{
                [&](const op::Start&) { nodes_.start(id, at, false); },
                [&](const op::Kill&) { nemesis_.kill(id, at); },
                [&](const op::Pause&) { nemesis_.pause(id, at); },
                [&](const op::Resume&) { nemesis_.resume(id, at); },
                [&](const op::Restart& r) { nemesis_.restart(id, at, r.reset); },
                [&](const op::Leave&) { nemesis_.leave(id, at); },
                [&](const op::StarveStart& s) { nemesis_.starve_start(id, at, s.share, s.period); },
                [&](const op::StarveStop&) { nemesis_.starve_stop(id, at); },
                [&](const op::Partition& p) { nemesis_.partition(at, p); },
                [&](const op::Heal&) { nemesis_.heal(at); },
                [&](const op::Shape& sh) { nemesis_.shape(at, sh); },
                [&](const op::Clear& c) { nemesis_.clear(at, c); },
                [&](const op::Clog& c) { nemesis_.clog(at, c); },
                [&](const op::Unclog& c) { nemesis_.unclog(at, c); },
                [&](const op::Inject&) { inject(id, at); },
                [&](const op::Broadcast& b) {
                    rec_.action(ActionType::broadcast, at, op_fields(a.op));
                    nodes_.send(id,
                                {{"cmd", "broadcast"}, {"rumor", b.rumor}, {"payload", b.payload}});
                },
                [&](const op::Set& w) {
                    rec_.action(ActionType::set, at, op_fields(a.op));
                    nodes_.send(id, {{"cmd", "set"}, {"key", w.key}, {"value", w.value}});
                },
                [&](const op::Delete& w) {
                    rec_.action(ActionType::del, at, op_fields(a.op));
                    nodes_.send(id, {{"cmd", "delete"}, {"key", w.key}});
                }},
            a.op);
    } catch (const std::exception& e) {
        rec_.action(ActionType::error, at, {{"op", op_name(a.op)}, {"message", e.what()}});
    }
}

// A UDP socket in network namespace NS (-1: this one). Throws std::system_error.
static int udp_socket_in(int ns) {
    auto fail = [](const char* what) {
        throw std::system_error(errno, std::system_category(), what);
    };
    if (ns < 0) {
        int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) fail("socket");
        return fd;
    }
    int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) fail("open /proc/thread-self/ns/net");
    if (::setns(ns, CLONE_NEWNET) != 0) {
        ::close(self);
        fail("setns into the node's namespace");
    }
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const int err = errno;
    const bool back = ::setns(self, CLONE_NEWNET) == 0;
    ::close(self);
    if (!back) fail("setns back into the controller's namespace");
    errno = err;
    if (fd < 0) fail("socket in the node's namespace");
    return fd;
}

// Hostile input: the corpus, from inside the node's namespace to its own address (no link, no
// impairment in between). Recorded first, so that every counters line read afterwards is later
// in the history than the action.
void Controller::inject(const std::string& node, double at) {
    rec_.action(ActionType::inject, at, inject_fields(node, opt_.corpus));
    const int fd = udp_socket_in(net_.netns_fd(node));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(m_.port));
    if (::inet_pton(AF_INET, net_.address(node).c_str(), &to.sin_addr) != 1) {
        ::close(fd);
        throw std::runtime_error("inject: bad address " + net_.address(node));
    }
    std::string failed;
    for (const auto& d : opt_.corpus) {
        const ssize_t n = ::sendto(fd, d.bytes.data(), d.bytes.size(), 0,
                                   reinterpret_cast<const sockaddr*>(&to), sizeof to);
        if (n != static_cast<ssize_t>(d.bytes.size()) && failed.empty())
            failed = d.name + ": " + std::strerror(errno);
    }
    ::close(fd);
    if (!failed.empty()) throw std::runtime_error("inject: sendto failed (" + failed + ")");
}

// -- node output ------------------------------------------------------------------------------

void Controller::on_stdout(const std::string& node, const std::string& line, bool truncated) {
    json ev = json::parse(line, nullptr, false);
    if (truncated || ev.is_discarded() || !ev.is_object() || !ev.contains("type") ||
        !ev["type"].is_string()) {
        std::string why = truncated           ? "line longer than 64 KiB"
                          : ev.is_discarded() ? "not JSON"
                          : !ev.is_object()   ? "not a JSON object"
                                              : "no string 'type'";
        rec_.malformed(node, line, why);
        return;
    }
    rec_.event(node, std::move(ev));
}

void Controller::on_exit(const std::string& node, pid_t pid, const ExitStatus& status) {
    nemesis_.on_exit(node);
    const bool expected = nodes_.exit_expected(node);
    json f = {{"node", node}, {"pid", pid}, {"expected", expected}};
    if (status.signal == 0) {
        f["status"] = status.code;
        f["signal"] = nullptr;
    } else {
        f["status"] = nullptr;
        f["signal"] = signal_name(status.signal);
    }
    // Processes the node left in its PID namespace, killed as it exited (null: not known).
    f["left_behind"] = status.left_behind < 0 ? json(nullptr) : json(status.left_behind);
    rec_.action(ActionType::node_exit, -1, f);
    if (!expected && !finishing_)
        rec_.action(ActionType::node_error, -1,
                    {{"node", node}, {"message", "exited unexpectedly"}});
    if (finishing_) maybe_done();
}

// -- the end ----------------------------------------------------------------------------------

void Controller::wait_signals() {
    signals_.async_wait([this](auto ec, int sig) {
        if (!ec) interrupt(sig);
    });
}

void Controller::interrupt(int sig) {
    if (finishing_) {
        // A second Ctrl-C: stop waiting for nodes.
        for (const auto& id : nodes_.ids()) nodes_.kill_now(id);
        maybe_done();
        return;
    }
    interrupted_ = true;
    rec_.action(ActionType::interrupted, -1, {{"signal", signal_name(sig)}});
    finish("interrupted");
    wait_signals();
}

void Controller::finish(const std::string& reason) {
    if (finishing_) return;
    finishing_ = true;
    end_reason_ = reason;
    end_timer_.cancel();
    load_timer_.cancel();
    record_load();              // the last, partial, interval
    nemesis_.close_interval();  // the last interval's counters
    // Ask every node for its final view, then to stop.
    for (const auto& id : nodes_.ids()) {
        if (!nodes_.running(id)) continue;
        nemesis_.release(id);
        nodes_.expect_exit(id);
        nodes_.signal(id, SIGTERM);
    }
    end_timer_.expires_after(RunClock::secs(opt_.term_grace_s));
    end_timer_.async_wait([this](auto ec) {
        if (!ec) kill_stragglers();
    });
    maybe_done();
}

void Controller::kill_stragglers() {
    for (const auto& id : nodes_.ids()) {
        if (!nodes_.running(id)) continue;
        rec_.action(ActionType::node_error, -1,
                    {{"node", id},
                     {"message",
                      "ignored SIGTERM for " + std::to_string(opt_.term_grace_s) + " s; killed"}});
        nodes_.kill_now(id);
    }
    maybe_done();
}

void Controller::maybe_done() {
    for (const auto& id : nodes_.ids())
        if (nodes_.running(id)) return;
    if (done_) return;
    done_ = true;
    // Give the pipes a moment to deliver what the nodes printed last.
    auto t = std::make_shared<asio::steady_timer>(ioc_, RunClock::secs(0.05));
    t->async_wait([this, t](auto) {
        rec_.action(ActionType::run_end, -1,
                    {{"reason", end_reason_}, {"malformed_lines", rec_.malformed_count()}});
        progress_.stop();
        ioc_.stop();
    });
}

RunResult run_scenario(const Scenario& sc, const Manifest& impl, Network& net,
                       const RunOptions& opt) {
    // A node that closes its stdin must not kill the controller.
    ::signal(SIGPIPE, SIG_IGN);
    asio::io_context ioc;
    RunClock clock;
    std::unique_ptr<NodeSupervisor> sup =
        make_process_supervisor(ioc, opt.run_dir / "nodes", clock);
    Controller c(ioc, clock, *sup, sc, impl, net, opt);
    return c.run();
}

}  // namespace gossiplab::harness
