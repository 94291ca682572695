// state_convergence: histories that pass and that fail, with their evidence.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

// The reference node's: per-entry versions and tombstones.
std::vector<std::string> state_features() {
    auto f = all_features();
    f.push_back("state");
    f.push_back("state_versions");
    return f;
}

// Serf's tags, memberlist's metadata: state without per-entry versions or tombstones.
std::vector<std::string> versionless_features() {
    auto f = all_features();
    f.push_back("state");
    return f;
}

json state(const std::string& owner, const std::string& key, uint64_t version,
           const std::string& digest = "d1", bool deleted = false) {
    return {{"type", "state"},    {"owner", owner},   {"key", key},
            {"version", version}, {"digest", digest}, {"deleted", deleted}};
}

// n1 writes k (v10) at 2.0; n1 applies it at once, n2 at 2.3; n3 as `n3` says.
HB written() {
    HB b = cluster(3);
    b.at(2.0).action("set", {{"node", "n1"}, {"key", "k"}, {"value", "x"}});
    b.at(2.01).event("n1", state("n1", "k", 10));
    b.at(2.3).event("n2", state("n1", "k", 10));
    return b;
}

CheckResult run(const HB& b, json options = {{"bound", 5}}) {
    return check("state_convergence", b.history(), options, state_features());
}

}  // namespace

TEST_CASE("state_convergence passes when every live node holds the newest record in time",
          "[state_convergence]") {
    HB b = written();
    b.at(2.6).event("n3", state("n1", "k", 10));
    b.at(10).end();
    auto r = run(b);
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.measured.get<double>() == Approx(0.6));
    CHECK(r.metrics["entries"] == 1);
    CHECK(r.metrics["per_entry"][0]["entry"] == "n1/k");
    CHECK(r.metrics["per_entry"][0]["holders"] == 3);
    CHECK(r.metrics["per_entry"][0]["converged_at"].get<double>() == Approx(2.6));
    CHECK(r.bound["value"] == 5);
}

TEST_CASE("state_convergence: a node that never got the entry is a lost write",
          "[state_convergence]") {
    HB b = written();
    b.at(10).end();
    auto r = run(b);
    CHECK(r.verdict == Verdict::Fail);
    CHECK_THAT(r.reason, Catch::Contains("1 (node, entry) pair(s) never converged: 1 missing"));
    CHECK(r.metrics["missing"] == 1);
    // The evidence points at the line that printed the newest record.
    const auto h = b.history();
    REQUIRE(h.states.size() == 2);
    uint32_t line = h.events[h.events.size() - 2].line;
    CHECK(has_evidence(r, "n3", line, "lost write: n3 never received n1/k (newest v10"));
}

TEST_CASE("state_convergence: an older version winning is a lost write", "[state_convergence]") {
    SECTION("a node still holds an older version at the end") {
        HB b = cluster(3);
        b.at(1.0).action("set", {{"node", "n1"}, {"key", "k"}, {"value", "old"}});
        b.at(1.0).event("n1", state("n1", "k", 9, "d0"));
        b.at(1.2).event("n2", state("n1", "k", 9, "d0"));
        b.at(1.2).event("n3", state("n1", "k", 9, "d0"));
        b.at(2.0).action("set", {{"node", "n1"}, {"key", "k"}, {"value", "x"}});
        b.at(2.01).event("n1", state("n1", "k", 10));
        const uint32_t newest_line = uint32_t(b.line());
        b.at(2.3).event("n2", state("n1", "k", 10));
        b.at(10).end();
        auto r = run(b);
        CHECK(r.verdict == Verdict::Fail);
        CHECK(r.metrics["stale"] == 1);
        CHECK(has_evidence(r, "n3", newest_line,
                           "lost write: n3 still holds v9 digest d0 of n1/k at the end; the newest "
                           "is v10 digest d1"));
    }
    SECTION("a node replaces a newer record by an older one") {
        HB b = written();
        b.at(2.6).event("n3", state("n1", "k", 10));
        b.at(3.0).event("n3", state("n1", "k", 9, "d0"));
        const uint32_t bad = uint32_t(b.line());
        b.at(10).end();
        auto r = run(b);
        CHECK(r.verdict == Verdict::Fail);
        CHECK(r.metrics["regressions"] == 1);
        CHECK(has_evidence(r, "n3", bad,
                           "lost write: n3 replaced v10 digest d1 of n1/k by the older v9"));
        CHECK(r.metrics["stale"] == 1);  // and it ends holding the older one
    }
}

TEST_CASE("state_convergence: a write its node never applied is a lost write",
          "[state_convergence]") {
    HB b = written();
    b.at(2.6).event("n3", state("n1", "k", 10));
    b.at(3.0).action("delete", {{"node", "n2"}, {"key", "gone"}});
    const uint32_t del = uint32_t(b.line());
    b.at(10).end();
    auto r = run(b);
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.metrics["unapplied_writes"] == 1);
    CHECK(has_evidence(r, "n2", del, "lost write: n2 never applied its delete of gone"));
}

TEST_CASE("state_convergence: convergence after the bound is late", "[state_convergence]") {
    HB b = written();
    b.at(9.0).event("n3", state("n1", "k", 10));
    const uint32_t late = uint32_t(b.line());
    b.at(12).end();
    auto r = run(b);
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.metrics["late"] == 1);
    CHECK(has_evidence(r, "n3", late, "n3 got the newest v10 digest d1 of n1/k 7 s after"));
    CHECK(r.measured.get<double>() == Approx(7.0));
}

TEST_CASE("state_convergence: the window opens at the last fault", "[state_convergence]") {
    // n3 is cut off until the heal at 8; it gets the entry 1 s after: within the bound.
    HB b = cluster(3);
    b.at(1.0).split({"n1", "n2"}, {"n3"});
    b.at(2.0).action("set", {{"node", "n1"}, {"key", "k"}, {"value", "x"}});
    b.at(2.01).event("n1", state("n1", "k", 10));
    b.at(2.3).event("n2", state("n1", "k", 10));
    b.at(2.5).counters("n1", 10, 100);
    b.at(8.0).heal();
    b.at(9.0).event("n3", state("n1", "k", 10, "d1")).at(9.0);
    b.event("n1", {{"type", "counters"},
                   {"pkts_sent", 20},
                   {"pkts_recv", 20},
                   {"bytes_sent", 200},
                   {"bytes_recv", 200},
                   {"sync_entries_sent", 1}});
    b.at(14).end();
    auto r = run(b, {{"bound", 5}, {"max_repair_ratio", 2}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["window_from"] == 8.0);
    CHECK(r.measured.get<double>() == Approx(1.0));
    const json& rep = r.metrics["repair"];
    CHECK(rep["diverged"] == 1);  // n3 lacked n1/k at the heal
    CHECK(rep["entries_sent"] == 1);
    CHECK(rep["ratio"] == 1.0);
    CHECK(rep["repair_time"].get<double>() == Approx(1.0));

    SECTION("a repair that costs more than the ratio allows fails") {
        b.at(14).event("n2", {{"type", "counters"},
                              {"pkts_sent", 20},
                              {"pkts_recv", 20},
                              {"bytes_sent", 200},
                              {"bytes_recv", 200},
                              {"sync_entries_sent", 5}});
        auto r2 = run(b, {{"bound", 5}, {"max_repair_ratio", 2}});
        CHECK(r2.verdict == Verdict::Fail);
        CHECK_THAT(r2.reason, Catch::Contains("sent 6 entries for 1 diverged (node, entry) pairs: "
                                              "more than 2x"));
    }
}

TEST_CASE("state_convergence: unknown without the feature or before the deadline",
          "[state_convergence]") {
    SECTION("no state feature") {
        HB b = written();
        b.at(10).end();
        auto r = check("state_convergence", b.history(), {{"bound", 5}}, all_features());
        CHECK(r.verdict == Verdict::Unknown);
        CHECK_THAT(r.reason, Catch::Contains("no state feature"));
    }
    SECTION("the run ends before the deadline") {
        HB b = written();
        b.at(4).end();
        auto r = run(b);
        CHECK(r.verdict == Verdict::Unknown);
        CHECK_THAT(r.reason, Catch::Contains("before the deadline 7 s"));
    }
    SECTION("no state at all passes") {
        HB b = cluster(3);
        b.at(10).end();
        auto r = check("state_convergence", b.history(), json::object(), all_features());
        CHECK(r.verdict == Verdict::Pass);
        CHECK_THAT(r.reason, Catch::Contains("no application state"));
    }
    SECTION("a restarted node starts empty and must relearn") {
        HB b = written();
        b.at(2.6).event("n3", state("n1", "k", 10));
        b.at(3.0).restart("n3");
        b.at(10).end();
        auto r = run(b);
        CHECK(r.verdict == Verdict::Fail);
        CHECK(r.metrics["missing"] == 1);
    }
}

namespace {

// n1 writes k = "dz" then k = "da" (its order, not the digests', decides); versions are all 0,
// as a version-less adapter prints them. n2 follows both writes; n3 as the caller adds.
HB versionless() {
    HB b = cluster(3);
    b.at(1.0).action("set", {{"node", "n1"}, {"key", "k"}, {"value", "z"}});
    b.at(1.01).event("n1", state("n1", "k", 0, "dz"));
    b.at(1.2).event("n2", state("n1", "k", 0, "dz"));
    b.at(2.0).action("set", {{"node", "n1"}, {"key", "k"}, {"value", "a"}});
    b.at(2.01).event("n1", state("n1", "k", 0, "da"));
    b.at(2.3).event("n2", state("n1", "k", 0, "da"));
    return b;
}

CheckResult run_versionless(const HB& b) {
    return check("state_convergence", b.history(), {{"bound", 5}}, versionless_features());
}

}  // namespace

TEST_CASE("state_convergence without state_versions: the owner's last write is the newest",
          "[state_convergence]") {
    SECTION("every node ends on the owner's last value: pass, whatever the digests' order") {
        HB b = versionless();
        b.at(1.3).event("n3", state("n1", "k", 0, "dz"));
        b.at(2.5).event("n3", state("n1", "k", 0, "da"));
        b.at(10).end();
        auto r = run_versionless(b);
        INFO(r.to_json().dump(1));
        CHECK(r.verdict == Verdict::Pass);
        CHECK(r.measured.get<double>() == Approx(0.5));
        CHECK(r.metrics["versions"] == false);
        CHECK(r.metrics["regressions"].is_null());  // not judged: no order to judge it by
        // With versions the same records would be ordered by digest at equal versions, and "dz"
        // would be the newest: n1 itself would then hold a stale record.
        auto with_versions =
            check("state_convergence", b.history(), {{"bound", 5}}, state_features());
        CHECK(with_versions.verdict == Verdict::Fail);
    }
    SECTION("a node left on the owner's earlier value never converged") {
        HB b = versionless();
        b.at(1.3).event("n3", state("n1", "k", 0, "dz"));
        b.at(10).end();
        auto r = run_versionless(b);
        CHECK(r.verdict == Verdict::Fail);
        CHECK(r.metrics["stale"] == 1);
        CHECK_THAT(r.reason, Catch::Contains("1 (node, entry) pair(s) never converged"));
        const auto h = b.history();
        uint32_t line = 0;  // n1's print of "da": the newest record's first line
        for (const auto& e : h.events)
            if (e.type == gossiplab::history::EventType::state && h.ids[e.node] == "n1" &&
                h.states[e.aux].digest == "da")
                line = e.line;
        REQUIRE(line != 0);
        CHECK(has_evidence(r, "n3", line,
                           "lost write: n3 still holds digest dz of n1/k at the end; the newest "
                           "is digest da"));
    }
    SECTION("going back and forth is not judged, only where it ends") {
        HB b = versionless();
        b.at(2.4).event("n2", state("n1", "k", 0, "dz"));
        b.at(2.6).event("n2", state("n1", "k", 0, "da"));
        b.at(2.7).event("n3", state("n1", "k", 0, "da"));
        b.at(10).end();
        auto r = run_versionless(b);
        CHECK(r.verdict == Verdict::Pass);
        // n2 held the newest again from 2.6 on: that is when it converged.
        CHECK(r.measured.get<double>() == Approx(0.7));
    }
}

TEST_CASE("state_convergence without state_versions: a deleted entry and an absent one are equal",
          "[state_convergence]") {
    HB b = cluster(3);
    b.at(1.0).action("set", {{"node", "n1"}, {"key", "k"}, {"value", "x"}});
    b.at(1.01).event("n1", state("n1", "k", 0, "dx"));
    b.at(1.2).event("n2", state("n1", "k", 0, "dx"));
    b.at(2.0).action("delete", {{"node", "n1"}, {"key", "k"}});
    b.at(2.01).event("n1", state("n1", "k", 0, "d0", true));
    b.at(2.2).event("n2", state("n1", "k", 0, "d0", true));
    SECTION("n3 never saw k: it holds what n1 holds, no entry") {
        b.at(10).end();
        auto r = run_versionless(b);
        INFO(r.to_json().dump(1));
        CHECK(r.verdict == Verdict::Pass);
        CHECK(r.metrics["per_entry"][0]["holders"] == 3);
        // With tombstones (state_versions), n3 must have received the delete.
        auto with_versions =
            check("state_convergence", b.history(), {{"bound", 5}}, state_features());
        CHECK(with_versions.verdict == Verdict::Fail);
        CHECK(with_versions.metrics["missing"] == 1);
    }
    SECTION("n3 saw the set but not the delete: it still holds a deleted value") {
        b.at(1.3).event("n3", state("n1", "k", 0, "dx"));
        b.at(10).end();
        auto r = run_versionless(b);
        CHECK(r.verdict == Verdict::Fail);
        CHECK(r.metrics["stale"] == 1);
        CHECK_THAT(r.to_json().dump(), Catch::Contains("n3 still holds digest dx of n1/k at the "
                                                       "end; the newest is deleted"));
    }
}

TEST_CASE("state_convergence: a repair cost is unknown, not 0, without sync counters",
          "[state_convergence]") {
    HB b = cluster(3);
    b.at(1.0).split({"n1", "n2"}, {"n3"});
    b.at(2.0).action("set", {{"node", "n1"}, {"key", "k"}, {"value", "x"}});
    b.at(2.01).event("n1", state("n1", "k", 0, "dx"));
    b.at(2.3).event("n2", state("n1", "k", 0, "dx"));
    b.at(2.5).counters("n1", 10, 100);  // packets only, as Serf's adapter prints them
    b.at(8.0).heal();
    b.at(9.0).event("n3", state("n1", "k", 0, "dx"));
    b.at(9.5).counters("n1", 20, 200);
    b.at(14).end();
    auto r = check("state_convergence", b.history(), {{"bound", 5}, {"max_repair_ratio", 2}},
                   versionless_features());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    const json& rep = r.metrics["repair"];
    CHECK(rep["diverged"] == 1);
    CHECK(rep["entries_sent"].is_null());
    CHECK(rep["ratio"].is_null());
    CHECK(rep["repair_time"].get<double>() == Approx(1.0));
}

TEST_CASE("state_convergence: a record its owner never wrote is a forgery", "[state_convergence]") {
    // n1 wrote k as a value (v10, d1); the gossip turned it into a tombstone at the same
    // version, which outranks the value and spreads everywhere, the owner included: the nodes
    // agree, and the agreement is on something nobody wrote.
    HB b = written();
    b.at(2.4).event("n3", state("n1", "k", 10, "d1", true));
    const uint32_t line = uint32_t(b.line());
    b.at(2.5).event("n2", state("n1", "k", 10, "d1", true));
    b.at(2.6).event("n1", state("n1", "k", 10, "d1", true));
    b.at(10).end();
    auto r = run(b);
    CHECK(r.verdict == Verdict::Fail);
    CHECK_THAT(r.reason, Catch::Contains("1 record(s) that their owner never wrote"));
    CHECK(r.metrics["forged"] == 1);  // one record, reported where it first appeared
    CHECK(has_evidence(r, "n3", line, "forged record: n3 holds v10 (deleted) of n1/k"));

    // The same tombstone, written by a delete command, is no forgery.
    HB d = written();
    d.at(2.35).action("delete", {{"node", "n1"}, {"key", "k"}});
    d.at(2.36).event("n1", state("n1", "k", 11, "d1", true));
    for (const char* n : {"n2", "n3"}) d.at(2.5).event(n, state("n1", "k", 11, "d1", true));
    d.at(10).end();
    auto ok = run(d);
    INFO(ok.to_json().dump(1));
    CHECK(ok.verdict == Verdict::Pass);
    CHECK(ok.metrics["forged"] == 0);
}
