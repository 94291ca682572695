// Whole-cluster tests of the core in the in-memory simulator (virtual time, no sockets).
#include <catch2/catch.hpp>

#include "gossip/sim.hpp"

using namespace gossip;
using namespace std::chrono_literals;

namespace {

Config node_config(std::size_t i, std::vector<Addr> seeds, std::uint64_t seed = 1) {
    Config c = fast_profile();
    c.id = "n" + std::to_string(i);
    c.seeds = std::move(seeds);
    c.rng_seed = seed * 1000 + i;
    c.incarnation = 100;
    c.counters_interval = Duration::zero();
    return c;
}

Addr sim_addr(std::size_t i) {
    return Addr{0x0a000001u + static_cast<std::uint32_t>(i), 7946};
}

// n nodes, all seeded with node 0, started together.
void build(Sim& sim, std::size_t n, std::uint64_t seed = 1) {
    for (std::size_t i = 0; i < n; ++i) {
        sim.add(
            node_config(i, i == 0 ? std::vector<Addr>{} : std::vector<Addr>{sim_addr(0)}, seed));
    }
    for (std::size_t i = 0; i < n; ++i) sim.start(i);
}

bool all_see(Sim& sim, const std::vector<std::size_t>& viewers, std::size_t subject,
             MemberState s) {
    for (auto v : viewers) {
        if (v == subject) continue;
        if (sim.view(v, subject) != s) return false;
    }
    return true;
}

bool converged(Sim& sim, const std::vector<std::size_t>& nodes) {
    for (auto s : nodes)
        if (!all_see(sim, nodes, s, MemberState::alive)) return false;
    return true;
}

std::vector<std::size_t> range(std::size_t a, std::size_t b) {
    std::vector<std::size_t> v;
    for (auto i = a; i < b; ++i) v.push_back(i);
    return v;
}

// Steps until pred holds or `limit` passes; returns the time it took (or limit + 1us).
template <typename P>
Duration until(Sim& sim, Duration limit, P pred) {
    Time start = sim.now();
    while (sim.now() - start <= limit) {
        if (pred()) return sim.now() - start;
        sim.run_for(10ms);
    }
    return limit + 1us;
}

}  // namespace

TEST_CASE("sim: five nodes converge, detect a crash, and the dead stay dead", "[sim]") {
    Sim sim;
    build(sim, 5);
    auto all = range(0, 5);
    CHECK(until(sim, 3s, [&] { return converged(sim, all); }) <= 3s);
    sim.run_for(2s);
    sim.kill(4);
    auto others = range(0, 4);
    // Detection bound: a full probe round of every prober, plus max suspicion, plus gossip.
    Config c = sim.node(0).config();
    Duration bound = c.probe_interval * 2 * 4 + c.suspicion_max(5) + c.gossip_interval * 10;
    Duration took = until(sim, bound, [&] { return all_see(sim, others, 4, MemberState::dead); });
    CHECK(took <= bound);
    CHECK(converged(sim, others));
}

TEST_CASE("sim: a paused node that resumes before its suspicion timeout refutes and never dies",
          "[sim]") {
    Sim sim;
    build(sim, 5);
    auto all = range(0, 5);
    REQUIRE(until(sim, 3s, [&] { return converged(sim, all); }) <= 3s);
    sim.pause(2);
    // Wait until someone suspects it, then resume at once.
    auto suspected = [&] {
        for (auto v : all)
            if (v != 2 && sim.view(v, 2) == MemberState::suspect) return true;
        return false;
    };
    REQUIRE(until(sim, 3s, suspected) <= 3s);
    sim.resume(2);
    sim.run_for(3s);
    CHECK(converged(sim, all));
    bool refuted = false, died = false;
    for (const auto& r : sim.records()) {
        if (std::holds_alternative<RefuteEvent>(r.event) && r.node == 2) refuted = true;
        if (auto* m = std::get_if<MemberEvent>(&r.event);
            m && m->member == "n2" && m->state == MemberState::dead)
            died = true;
    }
    CHECK(refuted);
    CHECK_FALSE(died);
    CHECK(sim.node(2).incarnation() > 100);
}

TEST_CASE("sim: a partition long enough for mutual death heals and re-merges", "[sim]") {
    Sim sim;
    build(sim, 6);
    auto all = range(0, 6);
    REQUIRE(until(sim, 3s, [&] { return converged(sim, all); }) <= 3s);
    sim.partition({0, 1, 2}, {3, 4, 5});
    sim.run_for(10s);
    CHECK(all_see(sim, {0, 1, 2}, 4, MemberState::dead));
    CHECK(all_see(sim, {3, 4, 5}, 0, MemberState::dead));
    sim.heal();
    CHECK(until(sim, 10s, [&] { return converged(sim, all); }) <= 10s);
}

TEST_CASE("sim: nodes that started while their seed was down find each other once it is up",
          "[sim]") {
    Sim sim;
    build(sim, 0);
    for (std::size_t i = 0; i < 3; ++i)
        sim.add(node_config(i, i == 0 ? std::vector<Addr>{} : std::vector<Addr>{sim_addr(0)}));
    sim.start(1);
    sim.start(2);
    sim.run_for(3s);
    CHECK(sim.view(1, 2) == std::nullopt);
    sim.start(0);
    // The seeds' backoff is capped at 10x the reconnect interval (2 s in fast).
    CHECK(until(sim, 5s, [&] { return converged(sim, range(0, 3)); }) <= 5s);
}

TEST_CASE("sim: without seed re-contact a late seed is never found", "[sim][break]") {
    Sim sim;
    for (std::size_t i = 0; i < 3; ++i) {
        Config c = node_config(i, i == 0 ? std::vector<Addr>{} : std::vector<Addr>{sim_addr(0)});
        c.breaks = static_cast<unsigned>(Break::seed_recontact);
        sim.add(c);
    }
    sim.start(1);
    sim.start(2);
    sim.run_for(1s);
    sim.start(0);
    sim.run_for(5s);
    CHECK_FALSE(converged(sim, range(0, 3)));
}

TEST_CASE("sim: a rumor reaches all 30 nodes in every dissemination mode, once each", "[sim]") {
    for (auto mode : {Dissemination::push, Dissemination::pull, Dissemination::push_pull}) {
        Sim sim;
        for (std::size_t i = 0; i < 30; ++i) {
            Config c =
                node_config(i, i == 0 ? std::vector<Addr>{} : std::vector<Addr>{sim_addr(0)});
            c.dissemination = mode;
            sim.add(c);
        }
        for (std::size_t i = 0; i < 30; ++i) sim.start(i);
        // Pull alone can starve the first joiner (the seed's news is spent before it asks),
        // so the bound is the anti-entropy period, which every mode keeps.
        REQUIRE(until(sim, 4s, [&] { return converged(sim, range(0, 30)); }) <= 4s);
        std::string err;
        REQUIRE(sim.node(7).broadcast(sim.now(), "r1", "hi", &err));
        sim.run_for(2s);
        std::map<std::size_t, int> got;
        for (const auto& r : sim.records())
            if (auto* e = std::get_if<RumorEvent>(&r.event); e && e->rumor == "r1") ++got[r.node];
        INFO("mode " << static_cast<int>(mode));
        for (std::size_t i = 0; i < 30; ++i)
            if (!got.count(i)) WARN("missing " << i << " queue " << sim.node(i).queue().size());
        CHECK(got.size() == 30);
        for (auto& [n, count] : got) CHECK(count == 1);
    }
}

TEST_CASE("sim: under 10% loss no live member is declared dead", "[sim]") {
    Sim::Options o;
    o.loss = 0.10;
    o.seed = 3;
    Sim sim(o);
    build(sim, 8);
    sim.run_for(20s);
    for (const auto& r : sim.records()) {
        if (auto* m = std::get_if<MemberEvent>(&r.event)) CHECK(m->state != MemberState::dead);
    }
    CHECK(converged(sim, range(0, 8)));
}

TEST_CASE("sim: a run is reproducible from its seeds", "[sim]") {
    auto run = [](std::uint64_t seed) {
        Sim::Options o;
        o.loss = 0.05;
        o.seed = seed;
        Sim sim(o);
        build(sim, 6, seed);
        sim.run_for(5s);
        sim.kill(3);
        sim.run_for(5s);
        return std::make_pair(sim.records().size(), sim.datagrams());
    };
    CHECK(run(1) == run(1));
    CHECK(run(1) != run(2));
}

TEST_CASE("sim: a graceful leave is seen as left by everyone", "[sim]") {
    Sim sim;
    build(sim, 5);
    REQUIRE(until(sim, 3s, [&] { return converged(sim, range(0, 5)); }) <= 3s);
    sim.node(3).leave(sim.now());
    sim.run_for(1s);
    CHECK(sim.node(3).finished());
    CHECK(all_see(sim, {0, 1, 2, 4}, 3, MemberState::left));
}
