// The simulation backend: N reference-node cores in this process, a simulated network with the
// nfqueue engine's per-link fates, and the controller's schedule, all in virtual time. One
// event queue orders everything (packets, the cores' timers, the schedule), so a run depends
// only on its scenario, manifest and seed (docs/simulation.md).
#include "gossiplab/harness/sim.hpp"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <gossip/config.hpp>
#include <gossip/events.hpp>
#include <gossip/node.hpp>
#include <gossiplab/history/writer.hpp>

#include "gossiplab/version.hpp"
#include "impairer.hpp"  // netem's LinkRng and link_seed: the nfqueue engine's per-link streams

namespace gossiplab::harness {

namespace fs = std::filesystem;
using nlohmann::json;

void require_simulable(const Manifest& m) {
    const bool reference =
        m.name == "reference" && !m.command.empty() && m.command[0] == "{bin}/gossip-node";
    if (!reference)
        throw ScenarioError(
            m.file.string(), "/command",
            "--impairment sim runs the reference node's core inside gossiplab, and '" + m.name +
                "' is another program; run it in the lab (--impairment auto|nfqueue|netem)");
}

namespace {

using gossip::Time;
using history::ActionType;

constexpr int64_t kBaseLatencyUs = 100;  // one way, on an unshaped link (a veth pair and a hub)
constexpr size_t kRcvBuf = 212992;       // a stopped node's UDP socket buffer (Linux rmem_default)
constexpr size_t kDenseMax = 2048;       // up to this many nodes links are tracked as the lab does
constexpr size_t kObserveMax = 100000;   // links one observe line lists at most
constexpr size_t kIpUdpHeader = 28;      // what a datagram weighs on the wire besides its payload

volatile std::sig_atomic_t g_signal = 0;
extern "C" void sim_on_signal(int s) {
    g_signal = s;
}

int64_t us_of(double s) {
    return std::llround(s * 1e6);
}
double secs(int64_t us) {
    return static_cast<double>(us) / 1e6;
}

// What the simulated hub decided for one datagram (the nfqueue engine's Fate, in µs).
struct Fate {
    bool drop = false;
    int64_t release_us = 0;
    bool duplicate = false;
};

// The counters the lab reads back per directed link (netem's LinkCounters).
struct LinkCounters {
    uint64_t forwarded = 0, packets = 0, lost = 0, held = 0, cut = 0;
};

// Per directed link: the nfqueue engine's state (correlation memory, rate backlog,
// Gilbert-Elliott state) and its random stream.
struct LinkState {
    double last_loss = 0;
    int64_t next_free_us = 0;
    bool ge_bad = false;
    netem::LinkRng rng;
};

enum class Kind : uint8_t {
    datagram,        // to `node`, packet `aux`
    stream_req,      // a push-pull request arriving at `node`, packet `aux`
    stream_reply,    // its reply arriving at the requester `node`, packet `aux`
    stream_rst,      // connection `aux` of `node` refused or closed unanswered
    stream_timeout,  // connection `aux` of `node` reached the driver's stream timeout
    tick,            // node `node`'s timer, valid while `aux` is its stamp
    action,          // scenario action `aux`
    starve,          // node `node`'s duty cycle: aux = epoch * 2 + (stopped phase)
    end,             // the run's length is reached
};

bool carries_packet(Kind k) {
    return k == Kind::datagram || k == Kind::stream_req || k == Kind::stream_reply;
}

struct Item {
    int64_t at;
    uint8_t prio;  // at one instant: packets, then timers, then the schedule
    uint64_t seq;
    Kind kind;
    uint32_t node;
    uint64_t aux;
    bool operator>(const Item& o) const {
        if (at != o.at) return at > o.at;
        if (prio != o.prio) return prio > o.prio;
        return seq > o.seq;
    }
};

struct Packet {
    uint32_t src = 0, dst = 0;
    uint64_t conn = 0;  // streams
    std::vector<uint8_t> bytes;
};

// One push-pull connection, from the requester's side.
struct Conn {
    uint32_t node = 0;
    uint32_t gen = 0;  // the requester's life: a reply to an earlier life is lost with it
    gossip::Addr peer;
};

struct Slot {
    std::string id;
    gossip::Addr addr;
    std::unique_ptr<gossip::Node> node;  // null: no process (never started, killed, exited)
    uint32_t gen = 0;                    // lives so far
    int starts = 0;                      // successful starts: salts the core's RNG seed
    bool expect_exit = false;
    bool paused = false;          // between pause and resume (SIGSTOP)
    bool starve_on = false;       // between starve_start and starve_stop
    bool starve_stopped = false;  // in the stopped phase of the duty cycle
    double share = 1, period = 0.1;
    uint64_t starve_epoch = 0;
    uint64_t stamp = 0;                            // the valid tick entry
    int64_t armed = -1;                            // when that entry fires; -1: none
    std::vector<std::pair<Kind, uint64_t>> inbox;  // what reached it while stopped
    size_t inbox_bytes = 0;
    bool stopped() const { return paused || starve_stopped; }
};

class SimRun {
  public:
    SimRun(const Scenario& sc, const Manifest& m, const RunOptions& opt)
        : sc_(sc),
          m_(m),
          opt_(opt),
          profile_(m.profile(sc.profile)),
          horizon_(run_horizon(sc, profile_)),
          length_(run_length(sc.duration, horizon_)),
          n_(sc.nodes.size()),
          dense_(sc.nodes.size() <= kDenseMax) {
        if (n_ == 0 || n_ > (1u << 24) - 2)
            throw ScenarioError(sc.file, "/cluster/nodes", "the simulator takes 1 to 16M nodes");
        slots_.resize(n_);
        for (uint32_t i = 0; i < n_; ++i) {
            slots_[i].id = sc.nodes[i];
            slots_[i].addr = gossip::Addr{0x0a000001u + i, static_cast<uint16_t>(m.port)};
            index_[sc.nodes[i]] = i;
        }
        order_.resize(n_);
        for (uint32_t i = 0; i < n_; ++i) order_[i] = i;
        std::sort(order_.begin(), order_.end(),
                  [&](uint32_t a, uint32_t b) { return slots_[a].id < slots_[b].id; });
    }

    RunResult run();

  private:
    // -- the record --
    void action(ActionType t, double planned, json f = json::object()) {
        out_->action(secs(now_), t, std::move(f), planned);
    }
    void event_line(uint32_t i, json j) { out_->event(secs(now_), slots_[i].id, std::move(j)); }
    void write_file(const std::string& name, const json& j);
    void write_run_files();

    // -- the queue --
    void push(int64_t at, uint8_t prio, Kind k, uint32_t node, uint64_t aux) {
        heap_.push(Item{at, prio, seq_++, k, node, aux});
    }
    uint32_t alloc(uint32_t src, uint32_t dst, uint64_t conn, std::vector<uint8_t>&& bytes);
    void release(uint32_t p) {
        packets_[p].bytes.clear();
        free_.push_back(p);
    }
    void dispatch(const Item& it);

    // -- nodes --
    std::string ip_of(uint32_t i) const;
    std::vector<std::string> seed_ids(uint32_t i) const;
    void start(uint32_t i, double planned, bool restart, bool reset = false);
    void after(uint32_t i);
    void exit_process(uint32_t i, const char* signal);
    void stop_process(uint32_t i, const char* reason);
    void wake(uint32_t i);
    void deliver(uint32_t i, Kind k, uint64_t aux);
    void stream_done(uint32_t i, uint64_t conn, const Packet* reply);
    void starve_cycle(uint32_t i, bool stopped_phase);

    // -- the network --
    bool index_of(const gossip::Addr& a, uint32_t* out) const;
    void route(uint32_t src, gossip::Transmit&& t);
    void send_datagram(uint32_t src, uint32_t dst, std::vector<uint8_t>&& bytes);
    Fate decide(uint32_t src, uint32_t dst, size_t len);
    int64_t stream_delay(uint32_t src, uint32_t dst, size_t len) const;
    uint64_t key(uint32_t s, uint32_t d) const { return uint64_t(s) * n_ + d; }
    bool cut(uint32_t s, uint32_t d) const {
        if (cut_bits_.empty()) return false;
        const uint64_t k = key(s, d);
        return (cut_bits_[k >> 6] >> (k & 63)) & 1;
    }
    const netem::LinkShape* shape_of(uint64_t k) const {
        if (!explicit_.empty()) {
            auto it = explicit_.find(k);
            if (it != explicit_.end()) return it->second ? &*it->second : nullptr;
        }
        return wildcard_ ? &*wildcard_ : nullptr;
    }
    LinkCounters* counters(uint64_t k);
    void touch(uint64_t k);
    void network_fault();
    void observe(const char* when);
    void set_grudge(const netem::Grudge& g);
    void heal();
    // A swizzle-clog's step: `node`'s links all cut on top of the partitions, or restored.
    void clog(const std::string& node, bool on);
    void shape(const Links& links, const netem::LinkShape& s);
    void clear(const Links& links);
    template <class F>
    void for_links(const Links& links, F f);

    // -- the schedule --
    void apply(const Action& a);
    void finish(const std::string& reason);

    const Scenario& sc_;
    const Manifest& m_;
    const RunOptions& opt_;
    json profile_;
    checkers::Horizon horizon_;
    double length_;
    const size_t n_;
    const bool dense_;

    std::unique_ptr<history::Writer> out_;
    int64_t now_ = 0;
    uint64_t seq_ = 0;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> heap_;
    std::vector<Packet> packets_;
    std::vector<uint32_t> free_;
    std::vector<Slot> slots_;
    std::vector<uint32_t> order_;  // slots by id (the controller's node order)
    std::unordered_map<std::string, uint32_t> index_;
    std::unordered_map<uint64_t, Conn> conns_;
    uint64_t next_conn_ = 1;
    bool finishing_ = false, done_ = false, interrupted_ = false;

    // network state
    bool impaired_ = false;  // a network fault was applied once: fates are drawn from then on
    bool faults_seen_ = false;
    std::optional<netem::LinkShape> wildcard_;  // the shape of every link without its own
    bool wildcard_touched_ = false;
    std::unordered_map<uint64_t, std::optional<netem::LinkShape>> explicit_;  // nullopt: cleared
    std::vector<uint64_t> cut_bits_;  // bit key(s, d): packets s -> d are dropped
    std::set<uint32_t> clogged_;      // swizzle-clog: nodes whose links are all cut
    netem::Grudge partitions_;        // the partitions since the last heal (for an unclog)
    std::vector<char> touched_;       // dense: the links ever shaped or partitioned
    std::vector<LinkCounters> dense_counters_;
    std::unordered_map<uint64_t, LinkCounters> sparse_counters_;
    std::unordered_set<uint64_t> sparse_touched_;
    std::unordered_map<uint64_t, LinkState> states_;
};

// -- files ------------------------------------------------------------------------------------

void SimRun::write_file(const std::string& name, const json& j) {
    std::ofstream f(opt_.run_dir / name);
    f << j.dump(2) << "\n";
    if (!f) throw std::runtime_error("cannot write " + (opt_.run_dir / name).string());
}

void SimRun::write_run_files() {
    fs::create_directories(opt_.run_dir / "nodes");
    out_ = std::make_unique<history::Writer>(opt_.run_dir / "history.jsonl");
    write_file("scenario.json", sc_.resolved);
    write_file("impl.json",
               json{{"name", m_.name},
                    {"profile_name", sc_.profile.empty() ? m_.default_profile : sc_.profile},
                    {"profile", profile_},
                    {"features", m_.features},
                    {"command", m_.command},
                    {"version", gossiplab::kVersion}});
    write_file("environment.json", opt_.environment);
}

// -- the run ----------------------------------------------------------------------------------

RunResult SimRun::run() {
    write_run_files();
    const auto wall0 = std::chrono::steady_clock::now();
    action(ActionType::run_start, -1,
           {{"nodes", sc_.nodes},
            {"started_at", 0},
            {"clock", "virtual"},
            {"seeds", sc_.seeds},
            {"seed", sc_.seed},
            {"scenario", sc_.name},
            {"command", opt_.command_line},
            {"impl", m_.name},
            {"backend", "sim"},
            {"fates",
             {{"engine", "sim"},
              {"seed", sc_.seed},
              {"streams",
               "one per directed link: link_seed(seed, src, dst), src and dst indexes in "
               "run_start.nodes order (the nfqueue engine's)"},
              {"reproducible", true}}},
            {"duration", length_},
            {"scenario_duration", sc_.duration},
            {"horizon", horizon_.to_json()},
            {"profile", profile_}});
    if (sc_.baseline_shape) {
        network_fault();
        shape(Links{}, *sc_.baseline_shape);
        action(
            ActionType::shape, 0,
            {{"links", "all"}, {"shape", netem::to_json(*sc_.baseline_shape)}, {"baseline", true}});
        observe("after");
    }
    for (size_t i = 0; i < sc_.actions.size(); ++i)
        push(us_of(sc_.actions[i].at), 2, Kind::action, 0, i);
    push(us_of(length_), 3, Kind::end, 0, 0);

    struct sigaction sa {
    }, old_int{}, old_term{};
    sa.sa_handler = sim_on_signal;
    sigemptyset(&sa.sa_mask);
    g_signal = 0;
    ::sigaction(SIGINT, &sa, &old_int);
    ::sigaction(SIGTERM, &sa, &old_term);
    uint64_t steps = 0;
    int64_t next_progress = 0;
    while (!done_ && !heap_.empty()) {
        if ((++steps & 0x3ff) == 0 && g_signal != 0 && !finishing_) {
            interrupted_ = true;
            action(ActionType::interrupted, -1,
                   {{"signal", g_signal == SIGINT ? "SIGINT" : "SIGTERM"}});
            finish("interrupted");
            break;
        }
        const Item it = heap_.top();
        heap_.pop();
        now_ = std::max(now_, it.at);
        if (opt_.progress && now_ >= next_progress) {
            const double wall =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
            std::fprintf(stderr, "\rgossiplab: sim %s: t = %.0f / %.0f s (wall %.0f s)   ",
                         sc_.name.c_str(), secs(now_), length_, wall);
            next_progress = now_ + 1000000;
        }
        dispatch(it);
    }
    if (opt_.progress) std::fprintf(stderr, "\n");
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    out_->flush();
    RunResult r;
    r.interrupted = interrupted_;
    r.duration_s = secs(now_);
    return r;
}

void SimRun::dispatch(const Item& it) {
    switch (it.kind) {
        case Kind::end:
            finish("duration");
            return;
        case Kind::action:
            if (!finishing_) apply(sc_.actions[it.aux]);
            return;
        case Kind::starve: {
            Slot& s = slots_[it.node];
            if (s.starve_on && (it.aux >> 1) == s.starve_epoch) starve_cycle(it.node, it.aux & 1);
            return;
        }
        case Kind::tick: {
            Slot& s = slots_[it.node];
            if (it.aux != s.stamp || !s.node) return;
            s.armed = -1;
            if (s.stopped()) return;  // wake() runs the overdue timers
            s.node->on_tick(Time(now_));
            after(it.node);
            return;
        }
        default:
            break;
    }
    // Something for a node's sockets.
    Slot& s = slots_[it.node];
    if (it.kind == Kind::datagram || it.kind == Kind::stream_req) {
        Packet& p = packets_[it.aux];
        if (!s.node) {
            // No process: a datagram vanishes, a connection is refused.
            if (it.kind == Kind::stream_req)
                push(now_ + stream_delay(p.dst, p.src, 0), 0, Kind::stream_rst, p.src, p.conn);
            release(static_cast<uint32_t>(it.aux));
            return;
        }
        if (s.stopped()) {
            if (it.kind == Kind::datagram && s.inbox_bytes + p.bytes.size() > kRcvBuf) {
                release(static_cast<uint32_t>(it.aux));  // the socket buffer is full
                return;
            }
            s.inbox_bytes += p.bytes.size();
            s.inbox.emplace_back(it.kind, it.aux);
            return;
        }
    } else if (s.node && s.stopped()) {
        s.inbox.emplace_back(it.kind, it.aux);
        return;
    }
    deliver(it.node, it.kind, it.aux);
}

// A packet or a connection's outcome reaches a running, unstopped node (or one that is gone,
// for a connection: then it is dropped).
void SimRun::deliver(uint32_t i, Kind k, uint64_t aux) {
    Slot& s = slots_[i];
    switch (k) {
        case Kind::datagram: {
            Packet& p = packets_[aux];
            s.node->on_packet(Time(now_), slots_[p.src].addr, p.bytes);
            release(static_cast<uint32_t>(aux));
            after(i);
            return;
        }
        case Kind::stream_req: {
            const uint32_t p = static_cast<uint32_t>(aux);
            const uint32_t src = packets_[p].src;
            std::vector<uint8_t> reply =
                s.node->on_stream(Time(now_), slots_[src].addr, packets_[p].bytes);
            if (reply.empty()) {
                // Closed without an answer: the requester reads EOF.
                push(now_ + stream_delay(i, src, 0), 0, Kind::stream_rst, src, packets_[p].conn);
                release(p);
            } else if (cut(i, src)) {
                release(p);  // the reply never crosses; the requester's timeout ends it
            } else {
                const int64_t at = now_ + stream_delay(i, src, reply.size());
                packets_[p].bytes = std::move(reply);
                push(at, 0, Kind::stream_reply, src, p);
            }
            after(i);
            return;
        }
        case Kind::stream_reply: {
            const Packet& p = packets_[aux];
            stream_done(i, p.conn, &p);
            release(static_cast<uint32_t>(aux));
            return;
        }
        case Kind::stream_rst:
        case Kind::stream_timeout:
            stream_done(i, aux, nullptr);
            return;
        default:
            return;
    }
}

// Connection `conn` of node i ends: with `reply`, or failed (refused, closed, timed out).
// The first outcome counts; a connection of an earlier life of the node is gone with it.
void SimRun::stream_done(uint32_t i, uint64_t conn, const Packet* reply) {
    auto it = conns_.find(conn);
    if (it == conns_.end()) return;
    const Conn c = it->second;
    conns_.erase(it);
    Slot& s = slots_[i];
    if (!s.node || c.gen != s.gen) return;
    if (reply)
        s.node->on_stream_reply(Time(now_), c.peer, reply->bytes);
    else
        s.node->on_stream_failed(Time(now_), c.peer);
    after(i);
}

uint32_t SimRun::alloc(uint32_t src, uint32_t dst, uint64_t conn, std::vector<uint8_t>&& bytes) {
    uint32_t p;
    if (!free_.empty()) {
        p = free_.back();
        free_.pop_back();
    } else {
        p = static_cast<uint32_t>(packets_.size());
        packets_.emplace_back();
    }
    packets_[p].src = src;
    packets_[p].dst = dst;
    packets_[p].conn = conn;
    packets_[p].bytes = std::move(bytes);
    return p;
}

// -- nodes ------------------------------------------------------------------------------------

std::string SimRun::ip_of(uint32_t i) const {
    const uint32_t ip = slots_[i].addr.ip;
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
           std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

std::vector<std::string> SimRun::seed_ids(uint32_t i) const {
    std::vector<std::string> out;
    auto it = sc_.node_seeds.find(slots_[i].id);
    if (it == sc_.node_seeds.end()) return out;
    for (const auto& s : it->second)
        if (s != slots_[i].id) out.push_back(s);
    return out;
}

// The node's process starts: its core is configured from the manifest's command, exactly as
// gossip-node would parse it, and its incarnation floor is the virtual clock in ms (the
// driver's is the wall clock's: a restart outbids the lives before it).
void SimRun::start(uint32_t i, double planned, bool restart, bool reset) {
    Slot& s = slots_[i];
    if (s.node) {
        action(ActionType::node_error, planned,
               {{"node", s.id}, {"message", "start requested but the node is running"}});
        return;
    }
    std::vector<std::string> argv;
    gossip::ParsedArgs args;
    try {
        std::string seeds;
        for (const auto& id : seed_ids(i))
            seeds +=
                (seeds.empty() ? "" : ",") + ip_of(index_.at(id)) + ":" + std::to_string(m_.port);
        std::string seed_list;
        for (const auto& id : seed_ids(i)) seed_list += (seed_list.empty() ? "" : ",") + id;
        const std::map<std::string, std::string> vars = {
            {"id", s.id},
            {"addr", ip_of(i)},
            {"port", std::to_string(m_.port)},
            {"seeds", seeds},
            {"seed_ids", seed_list},
            {"profile", sc_.profile.empty() ? m_.default_profile : sc_.profile},
            {"rng_seed",
             std::to_string(derive_seed(sc_.seed, s.id + "#" + std::to_string(s.starts)))},
            {"bin", "in-process"},
            {"adapter", m_.dir.string()},
            {"scratch", ""}};
        argv = expand_command(m_.command, vars, m_.file.string());
        if (reset) {
            const std::vector<std::string> extra = reset_arguments(m_, vars);
            argv.insert(argv.end(), extra.begin(), extra.end());
        }
        args = gossip::parse_args(std::vector<std::string>(argv.begin() + 1, argv.end()));
        if (!args.incarnation_given) args.config.incarnation = static_cast<uint64_t>(now_ / 1000);
    } catch (const std::exception& e) {
        action(ActionType::node_error, planned, {{"node", s.id}, {"message", e.what()}});
        return;
    }
    s.node = std::make_unique<gossip::Node>(args.config);
    ++s.gen;
    ++s.starts;
    s.expect_exit = false;
    s.paused = false;
    s.armed = -1;
    action(ActionType::node_start, planned,
           {{"node", s.id},
            {"pid", nullptr},
            {"addr", ip_of(i) + ":" + std::to_string(m_.port)},
            {"seeds", seed_ids(i)},
            {"restart", restart},
            {"argv", argv}});
    s.node->start(Time(now_));
    after(i);
}

// After every call into a core: what it sends goes on the network, what it prints into the
// history, and its next deadline into the queue. A core that finished leaving stops as
// gossip-node does.
void SimRun::after(uint32_t i) {
    Slot& s = slots_[i];
    gossip::Node& n = *s.node;
    while (auto t = n.poll_transmit()) route(i, std::move(*t));
    while (auto e = n.poll_event()) event_line(i, gossip::to_json(*e, secs(now_)));
    if (n.finished()) {
        stop_process(i, "leave");
        return;
    }
    const Time d = n.next_deadline();
    if (d == Time::max()) return;
    const int64_t at = std::max<int64_t>(d.count(), now_);
    if (at == s.armed) return;
    s.armed = at;
    push(at, 1, Kind::tick, i, ++s.stamp);
}

// gossip-node's stop(): its last counters and a `stopping` line, then exit status 0.
void SimRun::stop_process(uint32_t i, const char* reason) {
    Slot& s = slots_[i];
    gossip::Node& n = *s.node;
    n.emit_counters();
    while (auto e = n.poll_event()) event_line(i, gossip::to_json(*e, secs(now_)));
    event_line(i, gossip::stopping_json(n.counters(), reason, secs(now_)));
    exit_process(i, nullptr);
}

// The process is gone (`signal` null: it exited with status 0). What waited in its sockets
// goes with it.
void SimRun::exit_process(uint32_t i, const char* signal) {
    Slot& s = slots_[i];
    for (const auto& [k, aux] : s.inbox)
        if (carries_packet(k)) release(static_cast<uint32_t>(aux));
    s.inbox.clear();
    s.inbox_bytes = 0;
    s.node.reset();
    s.paused = false;
    s.starve_on = false;
    s.starve_stopped = false;
    ++s.starve_epoch;
    ++s.stamp;
    s.armed = -1;
    json f = {{"node", s.id},
              {"pid", nullptr},
              {"expected", s.expect_exit},
              {"status", signal ? json(nullptr) : json(0)},
              {"signal", signal ? json(signal) : json(nullptr)},
              {"left_behind", nullptr}};
    action(ActionType::node_exit, -1, f);
    if (!s.expect_exit && !finishing_)
        action(ActionType::node_error, -1, {{"node", s.id}, {"message", "exited unexpectedly"}});
}

// SIGCONT: what arrived while it was stopped, in order, then its overdue timers.
void SimRun::wake(uint32_t i) {
    Slot& s = slots_[i];
    if (!s.node || s.stopped()) return;
    auto inbox = std::move(s.inbox);
    s.inbox.clear();
    s.inbox_bytes = 0;
    size_t k = 0;
    for (; k < inbox.size() && s.node && !s.stopped(); ++k)
        deliver(i, inbox[k].first, inbox[k].second);
    for (; k < inbox.size(); ++k)  // it exited (left) on the way
        if (carries_packet(inbox[k].first)) release(static_cast<uint32_t>(inbox[k].second));
    if (!s.node) return;
    s.node->on_tick(Time(now_));
    after(i);
}

// One phase of the duty cycle, as the nemesis runs it with SIGSTOP/SIGCONT: stopped for
// (1 - share) of the period, running for the rest.
void SimRun::starve_cycle(uint32_t i, bool stopped_phase) {
    Slot& s = slots_[i];
    if (!s.starve_on || !s.node) return;
    const double run_s = s.share * s.period, stop_s = s.period - run_s;
    s.starve_stopped = stopped_phase;
    if (!stopped_phase) wake(i);
    push(now_ + us_of(stopped_phase ? stop_s : run_s), 2, Kind::starve, i,
         s.starve_epoch * 2 + (stopped_phase ? 0 : 1));
}

// -- the network ------------------------------------------------------------------------------

bool SimRun::index_of(const gossip::Addr& a, uint32_t* out) const {
    if (a.ip < 0x0a000001u || a.ip - 0x0a000001u >= n_) return false;
    if (a.port != static_cast<uint16_t>(m_.port)) return false;
    *out = a.ip - 0x0a000001u;
    return true;
}

void SimRun::route(uint32_t src, gossip::Transmit&& t) {
    uint32_t dst = 0;
    const bool known = index_of(t.to, &dst);
    if (!t.stream) {
        if (known) send_datagram(src, dst, std::move(t.bytes));
        return;
    }
    // A push-pull over TCP: one connection, ended by its reply, a refusal or the driver's
    // timeout (10 probe intervals, 3 s to 10 s), whichever comes first.
    const uint64_t conn = next_conn_++;
    conns_[conn] = Conn{src, slots_[src].gen, t.to};
    const auto timeout =
        std::clamp<gossip::Duration>(slots_[src].node->config().probe_interval * 10,
                                     std::chrono::seconds(3), std::chrono::seconds(10));
    push(now_ + timeout.count(), 0, Kind::stream_timeout, src, conn);
    if (!known) {
        push(now_ + 2 * kBaseLatencyUs, 0, Kind::stream_rst, src, conn);
        return;
    }
    if (cut(src, dst) || cut(dst, src)) return;  // the handshake never completes
    const int64_t at = now_ + stream_delay(src, dst, t.bytes.size());
    push(at, 0, Kind::stream_req, dst, alloc(src, dst, conn, std::move(t.bytes)));
}

// A TCP transfer's one-way time: the link's fixed delay and its rate; TCP repairs loss, so a
// stream is never lost (docs/simulation.md).
int64_t SimRun::stream_delay(uint32_t src, uint32_t dst, size_t len) const {
    int64_t d = kBaseLatencyUs;
    if (const netem::LinkShape* s = impaired_ ? shape_of(key(src, dst)) : nullptr) {
        d += std::llround(s->delay_ms * 1000);
        if (s->rate_kbit > 0)
            d += std::llround(static_cast<double>(len + kIpUdpHeader) * 8.0 / s->rate_kbit * 1e3);
    }
    return d;
}

void SimRun::send_datagram(uint32_t src, uint32_t dst, std::vector<uint8_t>&& bytes) {
    int64_t at = now_ + kBaseLatencyUs;
    bool dup = false;
    if (impaired_) {
        const Fate f = decide(src, dst, bytes.size() + kIpUdpHeader);
        if (f.drop) return;
        at = f.release_us + kBaseLatencyUs;
        dup = f.duplicate;
    }
    if (dup) {
        std::vector<uint8_t> copy = bytes;
        push(at, 0, Kind::datagram, dst, alloc(src, dst, 0, std::move(copy)));
    }
    push(at, 0, Kind::datagram, dst, alloc(src, dst, 0, std::move(bytes)));
}

namespace {
double uniform(netem::LinkRng& r) {
    return std::uniform_real_distribution<double>(0.0, 1.0)(r);
}
}  // namespace

// The nfqueue engine's decision (netem/src/impairer.cpp), draw for draw from the same per-link
// stream, so a link's fates match the lab's for the same packets; counted as the lab counts.
Fate SimRun::decide(uint32_t src, uint32_t dst, size_t len) {
    Fate f;
    f.release_us = now_;
    const uint64_t k = key(src, dst);
    LinkCounters* c = counters(k);
    if (cut(src, dst)) {
        f.drop = true;
        if (c) ++c->cut;
        return f;
    }
    if (c) ++c->forwarded;
    const netem::LinkShape* sp = shape_of(k);
    if (!sp) return f;
    const netem::LinkShape& s = *sp;
    if (c) ++c->packets;
    auto st_it = states_.find(k);
    if (st_it == states_.end())
        st_it =
            states_
                .emplace(k, LinkState{0, 0, false,
                                      netem::LinkRng(netem::link_seed(
                                          sc_.seed, static_cast<int>(src), static_cast<int>(dst)))})
                .first;
    LinkState& st = st_it->second;
    bool lost = false;
    if (s.gemodel) {
        const netem::GeModel& g = *s.gemodel;
        const bool was_bad = st.ge_bad;
        if (uniform(st.rng) < (was_bad ? g.r : g.p)) st.ge_bad = !was_bad;
        lost = uniform(st.rng) < (was_bad ? g.bad_loss : g.good_loss);
    } else if (s.loss > 0) {
        double v = uniform(st.rng);
        if (s.loss_correlation > 0) {
            st.last_loss = v * (1 - s.loss_correlation) + st.last_loss * s.loss_correlation;
            v = st.last_loss;
        }
        lost = v < s.loss;
    }
    if (lost) {
        if (c) ++c->lost;
        f.drop = true;
        return f;
    }
    f.duplicate = s.duplicate > 0 && uniform(st.rng) < s.duplicate;
    // A corrupted datagram fails its UDP checksum at the receiver: the kernel drops it.
    const bool corrupt = s.corrupt > 0 && uniform(st.rng) < s.corrupt;
    if (corrupt) (void)st.rng();  // the engine's bit draw: keeps the stream aligned
    const bool skip_delay = s.reorder > 0 && uniform(st.rng) < s.reorder;
    int64_t t = now_;
    if (!skip_delay) {
        double d = s.delay_ms;
        if (s.jitter_ms > 0) {
            if (s.distribution == "uniform") {
                d += (uniform(st.rng) * 2 - 1) * s.jitter_ms;
            } else if (s.distribution == "pareto") {
                const double x = 1.0 / std::cbrt(1.0 - uniform(st.rng));
                d += (x - 1.5) / std::sqrt(0.75) * s.jitter_ms;
            } else {
                d += std::normal_distribution<double>(0.0, 1.0)(st.rng) * s.jitter_ms;
            }
        }
        t += std::llround(std::max(0.0, d) * 1000);
    }
    if (s.rate_kbit > 0) {
        const auto tx = std::llround(static_cast<double>(len) * 8.0 / s.rate_kbit * 1e3);
        t = std::max(t, st.next_free_us) + tx;
        st.next_free_us = t;
    }
    f.release_us = t;
    if (c && t > now_) ++c->held;
    if (corrupt) f.drop = true;
    return f;
}

// The counters of link k: every link once the network was first impaired (densely up to
// kDenseMax nodes, else for the links that carried a packet).
LinkCounters* SimRun::counters(uint64_t k) {
    if (dense_) return dense_counters_.empty() ? nullptr : &dense_counters_[k];
    return &sparse_counters_[k];
}

void SimRun::touch(uint64_t k) {
    if (dense_)
        touched_[k] = 1;
    else
        sparse_touched_.insert(k);
}

void SimRun::network_fault() {
    if (impaired_) return;
    impaired_ = true;
    if (dense_) {
        touched_.assign(n_ * n_, 0);
        dense_counters_.assign(n_ * n_, LinkCounters{});
    }
}

void SimRun::observe(const char* when) {
    faults_seen_ = true;
    json links = json::array();
    size_t omitted = 0;
    auto row = [&](uint64_t k, const LinkCounters& c) {
        if (links.size() >= kObserveMax) {
            ++omitted;
            return;
        }
        const uint32_t s = static_cast<uint32_t>(k / n_), d = static_cast<uint32_t>(k % n_);
        const netem::LinkShape* sh = shape_of(k);
        const json conf = sh ? netem::to_json(*sh) : json(nullptr);
        const bool p = cut(s, d);
        links.push_back({{"src", slots_[s].id},
                         {"dst", slots_[d].id},
                         {"configured", conf},
                         {"in_force", conf},
                         {"partitioned", p},
                         {"dropping", p},
                         {"forwarded", c.forwarded},
                         {"packets", c.packets},
                         {"lost", c.lost},
                         {"held", c.held},
                         {"cut", c.cut}});
    };
    if (dense_) {
        // As the lab: every link ever shaped or partitioned, in node order.
        for (uint64_t k = 0; k < n_ * n_; ++k)
            if (touched_[k]) row(k, dense_counters_[k]);
    } else {
        // Too many links to list them all: those ever shaped or partitioned on their own, and
        // under a shape of every link those that carried a packet, in node order.
        std::vector<uint64_t> keys;
        keys.assign(sparse_touched_.begin(), sparse_touched_.end());
        if (wildcard_touched_ || !cut_bits_.empty())
            for (const auto& kv : sparse_counters_) keys.push_back(kv.first);
        std::sort(keys.begin(), keys.end());
        keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
        static const LinkCounters none{};
        for (uint64_t k : keys) {
            auto it = sparse_counters_.find(k);
            row(k, it == sparse_counters_.end() ? none : it->second);
        }
    }
    json f = {{"when", when}, {"links", std::move(links)}};
    if (omitted) f["links_omitted"] = omitted;
    action(ActionType::observe, -1, std::move(f));
}

void SimRun::set_grudge(const netem::Grudge& g) {
    network_fault();
    partitions_ = netem::merge(partitions_, g);
    if (cut_bits_.empty()) cut_bits_.assign((n_ * n_ + 63) / 64, 0);
    for (const auto& [to, froms] : g) {
        const uint32_t d = index_.at(to);
        for (const auto& from : froms) {
            const uint64_t k = key(index_.at(from), d);
            cut_bits_[k >> 6] |= uint64_t(1) << (k & 63);
            if (dense_ || sparse_touched_.size() < kObserveMax) touch(k);
        }
    }
}

void SimRun::heal() {
    std::fill(cut_bits_.begin(), cut_bits_.end(), 0);
    partitions_.clear();
    clogged_.clear();
}

// The cut is rebuilt from the partitions and the clogs still in force, so that restoring one
// node leaves what a partition or another clog cuts.
void SimRun::clog(const std::string& node, bool on) {
    network_fault();
    const uint32_t c = index_.at(node);
    if (on) {
        clogged_.insert(c);
    } else {
        clogged_.erase(c);
    }
    if (cut_bits_.empty()) cut_bits_.assign((n_ * n_ + 63) / 64, 0);
    std::fill(cut_bits_.begin(), cut_bits_.end(), 0);
    const netem::Grudge parts = partitions_;
    set_grudge(parts);
    for (uint32_t x : clogged_)
        for (uint32_t o = 0; o < n_; ++o) {
            if (o == x) continue;
            for (const uint64_t k : {key(x, o), key(o, x)}) {
                cut_bits_[k >> 6] |= uint64_t(1) << (k & 63);
                if (dense_ || sparse_touched_.size() < kObserveMax) touch(k);
            }
        }
}

template <class F>
void SimRun::for_links(const Links& links, F f) {
    switch (links.kind) {
        case Links::Kind::all:
            return;
        case Links::Kind::node: {
            const uint32_t a = index_.at(links.node);
            for (uint32_t b = 0; b < n_; ++b)
                if (b != a) {
                    f(key(a, b));
                    f(key(b, a));
                }
            return;
        }
        case Links::Kind::pairs:
            for (const auto& [a, b] : links.pairs) f(key(index_.at(a), index_.at(b)));
            return;
    }
}

void SimRun::shape(const Links& links, const netem::LinkShape& s) {
    network_fault();
    if (links.kind == Links::Kind::all) {
        explicit_.clear();
        wildcard_ = s;
        wildcard_touched_ = true;
        if (dense_) std::fill(touched_.begin(), touched_.end(), 1);
        for (uint32_t a = 0; dense_ && a < n_; ++a) touched_[key(a, a)] = 0;
        return;
    }
    for_links(links, [&](uint64_t k) {
        explicit_[k] = s;
        touch(k);
    });
}

void SimRun::clear(const Links& links) {
    network_fault();
    if (links.kind == Links::Kind::all) {
        explicit_.clear();
        wildcard_.reset();
        return;
    }
    for_links(links, [&](uint64_t k) { explicit_[k] = std::nullopt; });
}

// -- the schedule -----------------------------------------------------------------------------

// The controller's apply() and the nemesis, on the cores: the same records in the same order.
void SimRun::apply(const Action& a) {
    const std::string id = op_node(a.op);
    const double at = a.at;
    try {
        const uint32_t i = id.empty() ? 0 : index_.at(id);
        Slot& s = slots_[i];
        auto network = [&](auto&& change) {
            if (faults_seen_) observe("before");
            change();
            observe("after");
        };
        std::visit(
            Overload{
                [&](const op::Start&) { start(i, at, false); },
                [&](const op::Kill&) {
                    const bool running = s.node != nullptr;
                    action(ActionType::kill, at, {{"node", id}, {"was_running", running}});
                    if (running) {
                        s.expect_exit = true;
                        exit_process(i, "SIGKILL");
                    }
                },
                [&](const op::Pause&) {
                    action(ActionType::pause, at, {{"node", id}});
                    s.paused = true;
                },
                [&](const op::Resume&) {
                    action(ActionType::resume, at, {{"node", id}});
                    s.paused = false;
                    wake(i);
                },
                [&](const op::Restart& r) {
                    action(ActionType::restart, at, op_fields(a.op));
                    if (s.node) {
                        s.expect_exit = true;
                        exit_process(i, "SIGKILL");
                    }
                    start(i, at, true, r.reset);
                },
                [&](const op::Leave&) {
                    action(ActionType::leave, at, {{"node", id}});
                    s.expect_exit = true;
                    if (s.node) {
                        s.node->leave(Time(now_));
                        after(i);
                    }
                },
                [&](const op::StarveStart& st) {
                    action(ActionType::starve_start, at,
                           {{"node", id},
                            {"method", "duty_cycle"},
                            {"share", st.share},
                            {"period", st.period}});
                    s.starve_on = true;
                    s.share = st.share;
                    s.period = st.period;
                    ++s.starve_epoch;
                    starve_cycle(i, true);
                },
                [&](const op::StarveStop&) {
                    action(ActionType::starve_stop, at, {{"node", id}});
                    s.starve_on = false;
                    s.starve_stopped = false;
                    ++s.starve_epoch;
                    wake(i);
                },
                [&](const op::Partition& p) {
                    network([&] {
                        set_grudge(p.grudge);
                        action(ActionType::partition, at, op_fields(p));
                    });
                },
                [&](const op::Heal&) {
                    network([&] {
                        heal();
                        action(ActionType::heal, at);
                    });
                },
                [&](const op::Clog&) {
                    network([&] {
                        clog(id, true);
                        action(ActionType::clog, at, op_fields(a.op));
                    });
                },
                [&](const op::Unclog&) {
                    network([&] {
                        clog(id, false);
                        action(ActionType::unclog, at, op_fields(a.op));
                    });
                },
                [&](const op::Shape& sh) {
                    network([&] {
                        shape(sh.links, sh.shape);
                        action(ActionType::shape, at, op_fields(sh));
                    });
                },
                [&](const op::Clear& c) {
                    network([&] {
                        clear(c.links);
                        action(ActionType::clear, at, op_fields(c));
                    });
                },
                // Hostile input: the corpus, delivered at once from an address of the node's
                // own (the lab sends it from inside the node's namespace).
                [&](const op::Inject&) {
                    action(ActionType::inject, at, inject_fields(id, opt_.corpus));
                    if (!s.node || s.stopped()) return;
                    gossip::Addr from = s.addr;
                    from.port = 1;
                    for (const auto& d : opt_.corpus) {
                        // Exactly its size, as a datagram read off a socket: a read past its
                        // end is then outside the allocation (AddressSanitizer sees it).
                        const std::vector<uint8_t> exact(d.bytes.begin(), d.bytes.end());
                        s.node->on_packet(Time(now_), from, exact);
                    }
                    after(i);
                },
                [&](const op::Broadcast& b) {
                    action(ActionType::broadcast, at, op_fields(a.op));
                    if (!s.node) return;
                    std::string err;
                    if (!s.node->broadcast(Time(now_), b.rumor, b.payload, &err))
                        event_line(i, {{"ts", secs(now_)},
                                       {"type", "error"},
                                       {"message", "broadcast: " + err}});
                    after(i);
                },
                // Application state (contract v2): as the driver's set/delete commands.
                [&](const op::Set& w) {
                    action(ActionType::set, at, op_fields(a.op));
                    if (!s.node) return;
                    std::string err;
                    if (!s.node->set_state(Time(now_), w.key, w.value, &err))
                        event_line(
                            i, {{"ts", secs(now_)}, {"type", "error"}, {"message", "set: " + err}});
                    after(i);
                },
                [&](const op::Delete& w) {
                    action(ActionType::del, at, op_fields(a.op));
                    if (!s.node) return;
                    std::string err;
                    if (!s.node->delete_state(Time(now_), w.key, &err))
                        event_line(
                            i,
                            {{"ts", secs(now_)}, {"type", "error"}, {"message", "delete: " + err}});
                    after(i);
                }},
            a.op);
    } catch (const std::exception& e) {
        action(ActionType::error, at, {{"op", op_name(a.op)}, {"message", e.what()}});
    }
}

// The controller's finish(): the last interval's read-back, then every running node is
// stopped as SIGTERM stops gossip-node (its final counters and `stopping`), in id order.
void SimRun::finish(const std::string& reason) {
    if (finishing_) return;
    finishing_ = true;
    if (faults_seen_) observe("before");
    for (uint32_t i : order_) {
        Slot& s = slots_[i];
        if (!s.node) continue;
        s.paused = false;
        s.starve_on = false;
        s.starve_stopped = false;
        s.expect_exit = true;
        stop_process(i, "signal");
    }
    action(ActionType::run_end, -1, {{"reason", reason}, {"malformed_lines", 0}});
    done_ = true;
}

}  // namespace

RunResult run_simulated(const Scenario& sc, const Manifest& m, const RunOptions& opt,
                        double* wall_s) {
    require_simulable(m);
    const auto t0 = std::chrono::steady_clock::now();
    SimRun run(sc, m, opt);
    RunResult r = run.run();
    if (wall_s)
        *wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace gossiplab::harness
