// The heartbeat-counter detector: its table alone (fake times), one node fed tables by this
// harness under a fake clock, and whole clusters in the in-memory simulator.
#include <catch2/catch.hpp>

#include "gossip/config.hpp"
#include "gossip/heartbeat.hpp"
#include "gossip/node.hpp"
#include "gossip/sim.hpp"

using namespace gossip;
using namespace std::chrono_literals;

namespace {

constexpr Duration kPeriod = 100ms;  // the heartbeat profile's period (probe_interval)

Addr addr_of(char id) {
    return Addr{0x0a000001u + static_cast<std::uint32_t>(id - 'a'), 7946};
}

// One heartbeat node "a" under a fake clock; the harness plays every other member by sending it
// table datagrams, and keeps what it sends and reports.
struct Harness {
    Node node;
    Time now{0};
    std::vector<std::pair<Addr, Packet>> sent;
    std::vector<std::size_t> sizes;
    std::vector<MemberEvent> members;

    static Config config() {
        Config c = heartbeat_profile();
        c.id = "a";
        c.bind = addr_of('a');
        c.incarnation = 5;
        c.counters_interval = Duration::zero();
        c.rng_seed = 3;
        return c;
    }
    explicit Harness(Config c = config()) : node(std::move(c)) {
        node.start(now);
        pump();
    }
    void pump() {
        while (auto t = node.poll_transmit()) {
            if (t->stream) continue;
            sizes.push_back(t->bytes.size());
            Decoded d = decode_packet(t->bytes, 1400);
            REQUIRE(d.ok);
            sent.emplace_back(t->to, std::move(d.packet));
        }
        while (auto e = node.poll_event())
            if (auto* m = std::get_if<MemberEvent>(&*e)) members.push_back(*m);
    }
    // `from` sends its own table entry: (incarnation, heartbeat), age 0.
    void beat(char from, std::uint64_t hb, std::uint64_t inc = 1) {
        std::string id(1, from);
        Heartbeats t{{HeartbeatEntry{id, inc, hb, 0, addr_of(from)}}};
        node.on_packet(now, addr_of(from), encode_packet(Packet{id, {t}}));
        pump();
    }
    void deliver(char from, Heartbeats t) {
        node.on_packet(now, addr_of(from), encode_packet(Packet{std::string(1, from), {t}}));
        pump();
    }
    void run_until(Time t) {
        for (int guard = 0; node.next_deadline() <= t; ++guard) {
            REQUIRE(guard < 100000);
            now = std::max(now, node.next_deadline());
            node.on_tick(now);
            pump();
        }
        now = std::max(now, t);
    }
    std::vector<MemberEvent> about(const std::string& id, MemberState s) const {
        std::vector<MemberEvent> out;
        for (const auto& m : members)
            if (m.member == id && m.state == s) out.push_back(m);
        return out;
    }
    MemberState state(const std::string& id) const { return node.members().find(id)->state; }
};

}  // namespace

TEST_CASE("heartbeat detector: verdicts change exactly at fail and dead timeouts", "[heartbeat]") {
    HeartbeatDetector d(400ms, 800ms);
    CHECK(d.verdict("x", Time(0)) == MemberState::dead);  // never heard
    Time t0 = Time(10s);
    REQUIRE(d.observe("x", 1, 7, 30ms, t0));
    // Fresh news (its sender saw it advance 30 ms ago) is timed by its arrival.
    REQUIRE(d.find("x")->last_seen == t0);
    Time adv = t0;
    CHECK(d.verdict("x", adv + 400ms - 1us) == MemberState::alive);
    CHECK(d.verdict("x", adv + 400ms) == MemberState::suspect);
    CHECK(d.verdict("x", adv + 800ms - 1us) == MemberState::suspect);
    CHECK(d.verdict("x", adv + 800ms) == MemberState::dead);
    CHECK(d.next_change("x", t0) == adv + 400ms);
    CHECK(d.next_change("x", adv + 400ms) == adv + 800ms);
    CHECK(d.next_change("x", adv + 800ms) == Time::max());
}

TEST_CASE("heartbeat detector: only a newer (incarnation, counter) is an advance", "[heartbeat]") {
    HeartbeatDetector d(400ms, 800ms);
    Time t0 = Time(10s);
    REQUIRE(d.observe("x", 3, 10, 0ms, t0));
    // The same counter again, or an older one, later: no advance, the clock keeps running.
    CHECK_FALSE(d.observe("x", 3, 10, 0ms, t0 + 300ms));
    CHECK_FALSE(d.observe("x", 3, 9, 0ms, t0 + 350ms));
    CHECK_FALSE(d.observe("x", 2, 99, 0ms, t0 + 380ms));
    CHECK(d.verdict("x", t0 + 400ms) == MemberState::suspect);
    // A restart: a higher incarnation whose counter starts again at 0.
    CHECK(d.observe("x", 4, 0, 0ms, t0 + 500ms));
    CHECK(d.verdict("x", t0 + 500ms) == MemberState::alive);
    // A newer counter its sender held past the fail timeout is stale news: timed by its age,
    // and never moving the last advance back.
    CHECK(d.observe("x", 4, 1, 2s, t0 + 600ms));
    CHECK(d.find("x")->last_seen == t0 + 500ms);
    CHECK(d.observe("y", 1, 1, 450ms, t0 + 600ms));
    CHECK(d.find("y")->last_seen == t0 + 150ms);
    CHECK(d.verdict("y", t0 + 600ms) == MemberState::suspect);
    // Our own stall is not their silence; but the advance is never put in the future.
    d.excuse(10s, t0 + 700ms);
    CHECK(d.find("x")->last_seen == t0 + 700ms);
}

TEST_CASE("heartbeat node: suspects after exactly fail_after periods, dead after cleanup_after",
          "[heartbeat]") {
    Harness h;
    const Config& c = h.node.config();
    REQUIRE(c.detector == Detector::heartbeat);
    REQUIRE(c.fail_after == 4);
    REQUIRE(c.cleanup_after == 4);
    h.run_until(Time(1s));
    h.beat('b', 1);
    REQUIRE(h.about("b", MemberState::alive).size() == 1);
    const Time adv = h.now;
    // Not one microsecond early.
    h.run_until(adv + kPeriod * c.fail_after - 1us);
    CHECK(h.state("b") == MemberState::alive);
    CHECK(h.about("b", MemberState::suspect).empty());
    h.run_until(adv + kPeriod * c.fail_after);
    CHECK(h.state("b") == MemberState::suspect);
    auto s = h.about("b", MemberState::suspect);
    REQUIRE(s.size() == 1);
    CHECK(s[0].from == "a");       // our own verdict
    CHECK(s[0].incarnation == 1);  // the counter it fell silent at
    h.run_until(adv + kPeriod * (c.fail_after + c.cleanup_after) - 1us);
    CHECK(h.state("b") == MemberState::suspect);
    CHECK(h.about("b", MemberState::dead).empty());
    h.run_until(adv + kPeriod * (c.fail_after + c.cleanup_after));
    CHECK(h.state("b") == MemberState::dead);
    CHECK(h.about("b", MemberState::dead).size() == 1);
    // The same counter again is no sign of life; the next one is, at the same incarnation.
    h.run_until(h.now + 1s);
    h.beat('b', 1);
    CHECK(h.state("b") == MemberState::dead);
    h.beat('b', 2);
    CHECK(h.state("b") == MemberState::alive);
    // Reported with the counter that revived it, so the history shows a refutation.
    auto alive = h.about("b", MemberState::alive);
    REQUIRE(alive.size() == 2);
    CHECK(alive[1].incarnation == 2);
}

TEST_CASE("heartbeat node: an advancing counter keeps a member alive; one advance refutes",
          "[heartbeat]") {
    Harness h;
    const Config& c = h.node.config();
    h.run_until(Time(1s));
    std::uint64_t hb = 1;
    h.beat('b', hb);
    // An advance every fail_after - 1 periods for 10 s: never suspected.
    for (int i = 0; i < 30; ++i) {
        h.run_until(h.now + kPeriod * (c.fail_after - 1));
        h.beat('b', ++hb);
    }
    CHECK(h.about("b", MemberState::suspect).empty());
    CHECK(h.state("b") == MemberState::alive);
    // Silent into suspicion, then one advance before cleanup: alive again, and the clocks restart
    // from that advance (no death where the first silence would have ended in one).
    const Time last = h.now;
    h.run_until(last + kPeriod * (c.fail_after + 1));
    REQUIRE(h.state("b") == MemberState::suspect);
    h.beat('b', ++hb);
    CHECK(h.state("b") == MemberState::alive);
    const Time refuted = h.now;
    h.run_until(last + kPeriod * (c.fail_after + c.cleanup_after) + kPeriod / 2);
    CHECK(h.state("b") == MemberState::alive);
    CHECK(h.about("b", MemberState::dead).empty());
    h.run_until(refuted + kPeriod * c.fail_after);
    CHECK(h.state("b") == MemberState::suspect);
}

TEST_CASE("heartbeat node: stale relayed news neither revives nor introduces a member",
          "[heartbeat]") {
    Harness h;
    const Config& c = h.node.config();
    h.run_until(Time(1s));
    // c relays b's counter, which it saw advance 300 ms ago (fresh: timed by its arrival), and
    // d's, silent at c for fail_after periods already.
    h.deliver('c', Heartbeats{{HeartbeatEntry{"c", 1, 1, 0, addr_of('c')},
                               HeartbeatEntry{"b", 1, 9, 300, addr_of('b')},
                               HeartbeatEntry{"d", 1, 4, 400, addr_of('d')}}});
    CHECK(h.state("b") == MemberState::alive);
    CHECK(h.node.members().find("d") == nullptr);  // not news of a live member
    const Time heard = h.now;
    h.run_until(heard + kPeriod * (c.fail_after + c.cleanup_after));
    REQUIRE(h.state("b") == MemberState::dead);
    // A newer counter that c has held for a second: b stays dead.
    h.deliver('c', Heartbeats{{HeartbeatEntry{"c", 1, 2, 0, addr_of('c')},
                               HeartbeatEntry{"b", 1, 10, 1000, addr_of('b')}}});
    CHECK(h.state("b") == MemberState::dead);
    // b's own next counter: alive again.
    h.beat('b', 11);
    CHECK(h.state("b") == MemberState::alive);
}

TEST_CASE("heartbeat node: a restart is a new life, reported with its higher counter",
          "[heartbeat]") {
    Harness h;
    h.run_until(Time(1s));
    h.beat('b', 500, 400);
    h.run_until(h.now + kPeriod);
    h.beat('b', 501, 400);
    REQUIRE(h.about("b", MemberState::alive).size() == 1);  // an advance is not an event
    // b restarts: a higher incarnation, its counter from that floor.
    h.beat('b', 900, 900);
    auto alive = h.about("b", MemberState::alive);
    REQUIRE(alive.size() == 2);
    CHECK(alive[1].incarnation == 900);
    // Our own leave carries our counter, which is at least our incarnation.
    CHECK(h.node.heartbeat() >= h.node.incarnation());
}

TEST_CASE("heartbeat node: raises its counter once per period and sends its whole table",
          "[heartbeat]") {
    Harness h;
    const Config& c = h.node.config();
    // 100 members, so the table (about 2 kB) takes two datagrams; they arrive in two too.
    for (int half = 0; half < 2; ++half) {
        Heartbeats t;
        for (int i = half * 50; i < half * 50 + 50; ++i) {
            std::string id = "member-" + std::to_string(1000 + i);  // 20 bytes an entry
            t.entries.push_back(HeartbeatEntry{
                id, 1, 1, 0, Addr{0x0b000001u + static_cast<std::uint32_t>(i), 7946}});
        }
        h.deliver('b', t);
    }
    REQUIRE(h.node.members().size() == 100);
    h.sent.clear();
    h.sizes.clear();
    const Time from = h.now;
    // Three periods: the 100 are still live (suspected from the fourth on, still in the table).
    h.run_until(from + kPeriod * 3);
    // Per period: fanout targets, each sent every entry (ourselves and the 100) at least once.
    std::map<Addr, std::set<std::string>> entries_to;
    std::map<Addr, std::set<std::uint64_t>> own_counters_to;
    for (const auto& [to, p] : h.sent) {
        for (const auto& m : p.messages) {
            auto* hb = std::get_if<Heartbeats>(&m);
            if (hb == nullptr) continue;
            for (const auto& e : hb->entries) {
                entries_to[to].insert(e.id);
                if (e.id == "a") own_counters_to[to].insert(e.heartbeat);
            }
        }
    }
    std::set<std::uint64_t> own;
    for (const auto& [to, hbs] : own_counters_to) own.insert(hbs.begin(), hbs.end());
    // Three rounds in three periods, each with a new counter.
    REQUIRE(own.size() == 3);
    CHECK(*own.rbegin() - *own.begin() == 2);
    for (const auto& [to, ids] : entries_to) CHECK(ids.size() == 101);
    for (auto sz : h.sizes) CHECK(sz <= c.packet_budget);
    // 3 targets x 3 rounds x (at least two datagrams for 101 entries).
    CHECK(h.sizes.size() >= static_cast<std::size_t>(c.fanout * 3 * 2));
}

TEST_CASE(
    "heartbeat node: after a stall past the fail timeout it says it refutes, and "
    "accuses nobody",
    "[heartbeat]") {
    Harness h;
    h.run_until(Time(1s));
    h.beat('b', 1);
    std::vector<RefuteEvent> refutes;
    auto tick_at = [&](Time t) {
        h.now = t;
        h.node.on_tick(h.now);
        while (auto t2 = h.node.poll_transmit()) {
        }
        while (auto e = h.node.poll_event()) {
            if (auto* r = std::get_if<RefuteEvent>(&*e)) refutes.push_back(*r);
            if (auto* m = std::get_if<MemberEvent>(&*e)) h.members.push_back(*m);
        }
    };
    // Stopped for two periods: no one has suspected us yet, nothing to say.
    tick_at(h.node.next_deadline() + kPeriod * 2);
    CHECK(refutes.empty());
    h.run_until(h.now + kPeriod);
    h.beat('b', 2);
    // Stopped for a second: our peers have suspected us; b's silence is ours, not b's.
    const std::uint64_t before = h.node.heartbeat();
    tick_at(h.node.next_deadline() + 1s);
    REQUIRE(refutes.size() == 1);
    CHECK(refutes[0].accused_incarnation == before);
    CHECK(refutes[0].incarnation == before + 1);
    CHECK(h.node.heartbeat() == before + 1);
    CHECK(h.state("b") == MemberState::alive);
    CHECK(h.about("b", MemberState::suspect).empty());
}

namespace {

Config sim_config(std::size_t i, std::vector<Addr> seeds) {
    Config c = heartbeat_profile();
    c.id = "n" + std::to_string(i);
    c.seeds = std::move(seeds);
    c.rng_seed = 1000 + i;
    c.incarnation = 100;
    c.counters_interval = Duration::zero();
    return c;
}

}  // namespace

TEST_CASE(
    "heartbeat sim: a cluster converges, and a crash is suspected no sooner than fail_after "
    "periods and declared within fail_after + cleanup_after + 2",
    "[heartbeat][sim]") {
    Sim sim;
    const std::size_t n = 8;
    for (std::size_t i = 0; i < n; ++i)
        sim.add(sim_config(i, i == 0 ? std::vector<Addr>{} : std::vector<Addr>{sim.addr(0)}));
    for (std::size_t i = 0; i < n; ++i) sim.start(i);
    sim.run_for(3s);
    for (std::size_t v = 0; v < n; ++v)
        for (std::size_t s = 0; s < n; ++s)
            if (v != s) REQUIRE(sim.view(v, s) == MemberState::alive);
    const Config& c = sim.node(0).config();
    const Time kill = sim.now();
    sim.kill(5);
    sim.run_for(3s);
    bool false_suspicion = false;
    for (const auto& r : sim.records()) {
        auto* m = std::get_if<MemberEvent>(&r.event);
        if (m == nullptr || m->state == MemberState::alive) continue;
        if (m->member != "n5") {
            false_suspicion = true;
            continue;
        }
        // Its last counter left at most one period before the kill.
        if (m->state == MemberState::suspect) CHECK(r.t >= kill + kPeriod * (c.fail_after - 1));
        if (m->state == MemberState::dead) {
            CHECK(r.t >= kill + kPeriod * (c.fail_after + c.cleanup_after - 1));
            CHECK(r.t <= kill + kPeriod * (c.fail_after + c.cleanup_after + 2));
        }
    }
    CHECK_FALSE(false_suspicion);
    for (std::size_t v = 0; v < n; ++v)
        if (v != 5) CHECK(sim.view(v, 5) == MemberState::dead);
}

TEST_CASE("heartbeat sim: a pause past the dead timeout ends in a death and a revival",
          "[heartbeat][sim]") {
    Sim sim;
    const std::size_t n = 5;
    for (std::size_t i = 0; i < n; ++i)
        sim.add(sim_config(i, i == 0 ? std::vector<Addr>{} : std::vector<Addr>{sim.addr(0)}));
    for (std::size_t i = 0; i < n; ++i) sim.start(i);
    sim.run_for(3s);
    sim.pause(2);
    sim.run_for(2s);
    for (std::size_t v = 0; v < n; ++v)
        if (v != 2) CHECK(sim.view(v, 2) == MemberState::dead);
    sim.resume(2);
    sim.run_for(1s);
    // Everyone sees it alive again, and it, stopped for 2 s, accused nobody on waking.
    for (std::size_t v = 0; v < n; ++v)
        for (std::size_t s = 0; s < n; ++s)
            if (v != s) CHECK(sim.view(v, s) == MemberState::alive);
    for (const auto& r : sim.records()) {
        auto* m = std::get_if<MemberEvent>(&r.event);
        if (m != nullptr && r.node == 2) CHECK(m->state == MemberState::alive);
    }
}

TEST_CASE("config: --detector, --fail-after and --cleanup-after, with clear errors",
          "[heartbeat][config]") {
    ParsedArgs a = parse_args({"--id", "x", "--profile", "heartbeat"});
    CHECK(a.config.detector == Detector::heartbeat);
    CHECK(a.config.probe_interval == 100ms);
    a = parse_args(
        {"--id", "x", "--detector", "heartbeat", "--fail-after", "6", "--cleanup-after", "9"});
    CHECK(a.config.detector == Detector::heartbeat);
    CHECK(a.config.fail_after == 6);
    CHECK(a.config.cleanup_after == 9);
    CHECK(a.config.heartbeat_fail_timeout() == 6s);
    CHECK(a.config.heartbeat_dead_timeout() == 15s);
    CHECK(parse_args({"--id", "x"}).config.detector == Detector::swim);
    auto error_of = [](std::vector<std::string> args) {
        try {
            parse_args(args);
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(error_of({"--id", "x", "--detector", "gossip"}) ==
          "--detector: expected swim or heartbeat, got 'gossip'");
    CHECK(error_of({"--id", "x", "--fail-after", "0"}) ==
          "--fail-after: expected an integer in [1, 1000], got '0'");
    CHECK(error_of({"--id", "x", "--cleanup-after", "x"}) ==
          "--cleanup-after: expected an integer in [1, 1000], got 'x'");
    // The profile states its detector in the contract's knobs (docs/node-contract.md).
    nlohmann::json p = timing_profile(heartbeat_profile());
    CHECK(p["probe_timeout"].is_null());
    CHECK(p["indirect_checks"] == 0);
    CHECK(p["suspicion_mult"] == 4);
    CHECK(p["suspicion_max_timeout_mult"] == 1);
    CHECK(p["fail_after"] == 4);
    CHECK(p["cleanup_after"] == 4);
    CHECK_FALSE(timing_profile(fast_profile()).contains("fail_after"));
}

TEST_CASE(
    "detector traffic: SWIM's probe bytes per member stay flat in N, the heartbeat table's grow "
    "with N",
    "[heartbeat][sim]") {
    // Steady state of a converged cluster with no faults: the counters' detector_* fields
    // count the detector's own messages (pings, acks; the table), not what rides beside them.
    auto per_member = [](bool heartbeat, std::size_t n) {
        Sim sim;
        for (std::size_t i = 0; i < n; ++i) {
            Config c = sim_config(i, i == 0 ? std::vector<Addr>{} : std::vector<Addr>{sim.addr(0)});
            if (!heartbeat) {
                Config f = fast_profile();
                f.id = c.id;
                f.seeds = c.seeds;
                f.rng_seed = c.rng_seed;
                f.incarnation = c.incarnation;
                f.counters_interval = c.counters_interval;
                c = f;
            }
            sim.add(c);
        }
        for (std::size_t i = 0; i < n; ++i) sim.start(i);
        sim.run_for(5s);
        std::vector<Counters> before;
        for (std::size_t i = 0; i < n; ++i) before.push_back(sim.node(i).counters());
        sim.run_for(5s);
        double bytes = 0, detector = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const Counters& c = sim.node(i).counters();
            bytes += double(c.bytes_sent - before[i].bytes_sent);
            detector += double(c.detector_bytes_sent - before[i].detector_bytes_sent);
            CHECK(c.detector_pkts_sent > before[i].detector_pkts_sent);
            CHECK(c.detector_pkts_sent <= c.pkts_sent);
        }
        CHECK(detector > 0);
        CHECK(detector < bytes);  // packet headers and piggybacked updates are not the detector's
        return detector / double(n) / 5.0;
    };
    const double swim10 = per_member(false, 10), swim40 = per_member(false, 40);
    const double hb10 = per_member(true, 10), hb40 = per_member(true, 40);
    INFO("SWIM " << swim10 << " -> " << swim40 << " B/member/s, heartbeat " << hb10 << " -> "
                 << hb40);
    CHECK(swim40 / swim10 < 1.25);
    CHECK(swim40 / swim10 > 0.8);
    CHECK(hb40 / hb10 > 3.0);
}
