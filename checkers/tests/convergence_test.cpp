// membership_convergence on hand-made histories: converged, never, late, restart, leave, unknown.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

TEST_CASE("convergence passes when every start is seen within the bound") {
    HB b = cluster();
    b.at(10).end();
    CheckResult r = check("membership_convergence", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.measured.get<double>() == Approx(0.4));  // n2 started at 0.1, seen at 0.5
    CHECK(r.metrics["changes"].size() == 3);
    CHECK(r.metrics["changes"][1]["slowest"] != nullptr);
    CHECK(r.bound["expr"] == "3 * probe_interval + 2 * retransmits * gossip_interval");
}

TEST_CASE("convergence fails when an observer never sees a started node") {
    HB b;
    auto ids = names(3);
    b.at(0).run_start(ids).start("n1").start("n2");
    b.at(0.2).start("n3");
    uint32_t start_n3 = uint32_t(b.line()) - 1;  // the node_start line
    b.at(0.5).mesh({"n1", "n2"}, {"n1", "n2"}, "alive");
    b.member("n2", "n3", "alive").member("n3", "n1", "alive").member("n3", "n2", "alive");
    b.at(10).end();
    CheckResult r = check("membership_convergence", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("n3 started") != std::string::npos);
    CHECK(has_evidence(r, "n3", start_n3, "started"));
    CHECK(has_evidence(r, "n1", start_n3, "n1 still sees n3 absent"));
}

TEST_CASE("convergence fails when a crash is noticed after the bound") {
    HB b = cluster();
    b.at(5).kill("n3");
    uint32_t kill = uint32_t(b.line()) - 1;
    b.at(5.5).member("n1", "n3", "dead");
    b.at(40).member("n2", "n3", "dead");
    uint32_t late = uint32_t(b.line());
    b.at(50).end();
    CheckResult r = check("membership_convergence", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "n3", kill, "crashed"));
    CHECK(has_evidence(r, "n2", late, "only after 35"));
    CHECK(r.metrics["changes"][3]["status"] == "late");
    CHECK(r.metrics["changes"][3]["slowest"] == "n2");
    CHECK(r.metrics["changes"][3]["lags"]["n1"].get<double>() == Approx(0.5));
}

TEST_CASE("a restarted node must be seen alive with a higher incarnation") {
    auto build = [](bool n2_bumps) {
        HB b = cluster();
        b.at(5).restart("n3");
        b.at(5.5).member("n3", "n1", "alive").member("n3", "n2", "alive");
        b.at(6).member("n1", "n3", "alive", 1);
        if (n2_bumps) b.member("n2", "n3", "alive", 1);
        b.at(20).end();
        return b;
    };
    SECTION("pass") {
        CheckResult r = check("membership_convergence", build(true).history());
        INFO(r.to_json().dump(1));
        CHECK(r.verdict == Verdict::Pass);
    }
    SECTION("fail: n2 still holds the old incarnation") {
        HB b = build(false);
        CheckResult r = check("membership_convergence", b.history());
        CHECK(r.verdict == Verdict::Fail);
        CHECK(r.reason.find("n3 restarted") != std::string::npos);
        // n2's last view of n3 is the alive (inc 0) at 0.5 s.
        bool found = false;
        for (const auto& e : r.evidence)
            found |= e["node"] == "n2" && e["what"].get<std::string>().find(
                                              "still sees n3 alive (inc 0)") != std::string::npos;
        CHECK(found);
    }
    SECTION("without the incarnations feature that part is not applicable; the rest decides") {
        CheckResult r = check("membership_convergence", build(false).history(), json::object(),
                              {"suspicion_events", "rumors", "counters"});
        INFO(r.to_json().dump(1));
        CHECK(r.verdict == Verdict::Pass);
        REQUIRE(r.not_applicable.size() == 1);
        CHECK_THAT(r.not_applicable[0], Catch::Contains("no incarnations feature"));
        CHECK(r.to_json()["not_applicable"].size() == 1);
    }
}

TEST_CASE("a leave must be seen as left, not dead") {
    HB b = cluster();
    b.at(5).leave("n3");
    uint32_t leave = uint32_t(b.line()) - 2;
    b.at(5.5).member("n1", "n3", "left");
    b.member("n2", "n3", "dead");
    uint32_t dead = uint32_t(b.line());
    b.at(20).end();
    CheckResult r = check("membership_convergence", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "n3", leave, "leave"));
    CHECK(has_evidence(r, "n2", dead, "still sees n3 dead (inc 0) (expected left)"));
    CHECK(check("membership_convergence", b.history(), {{"leave_accepts_dead", true}}).verdict ==
          Verdict::Pass);
}

TEST_CASE("a paused observer is not held to a change it could not see") {
    HB b = cluster();
    b.at(4).pause("n2");
    b.at(5).kill("n3");
    b.at(6).member("n1", "n3", "dead");
    b.at(45).resume("n2");
    b.at(46).member("n2", "n3", "dead");
    b.at(60).end();
    CheckResult r = check("membership_convergence", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
}

TEST_CASE("convergence of a change cut off by the run's end is not a failure") {
    HB b = cluster();
    b.at(5).kill("n3");
    b.at(6).end();
    CheckResult r = check("membership_convergence", b.history());
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["changes"][3]["status"] == "truncated");
}

TEST_CASE("convergence is unknown with nothing to measure, or with a bad bound") {
    HB b;
    b.at(0).run_start({"n1"}).at(1).end();
    CHECK(check("membership_convergence", b.history()).verdict == Verdict::Unknown);
    CheckResult r = check("membership_convergence", cluster().history(), {{"bound", "3 *"}});
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.reason.find("bound '3 *'") != std::string::npos);
}

TEST_CASE("a scenario bound in seconds overrides the defaults") {
    HB b = cluster();
    b.at(5).kill("n3");
    b.at(7).mesh({"n1", "n2"}, {"n3"}, "dead");
    b.at(20).end();
    CHECK(check("membership_convergence", b.history()).verdict == Verdict::Pass);
    CheckResult r = check("membership_convergence", b.history(), {{"bound", 1.5}});
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.bound["value"].get<double>() == Approx(1.5));
}

TEST_CASE("the run ends where the teardown begins, not at run_end") {
    HB b;
    auto ids = names(3);
    b.at(0).action("run_start", {{"nodes", ids}, {"duration", 10}, {"profile", lan_profile()}});
    for (const auto& n : ids) b.start(n);
    b.at(0.5).mesh(ids, ids, "alive");
    b.at(9.5).kill("n3");
    for (const char* n : {"n1", "n2"})
        b.at(10.1).action("node_exit",
                          {{"node", n}, {"status", 0}, {"signal", nullptr}, {"expected", true}});
    b.at(10.3).end();
    CheckResult r = check("membership_convergence", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    REQUIRE(r.metrics["changes"].size() == 4);  // three starts and the kill; no teardown crashes
    CHECK(r.metrics["changes"][3]["status"] == "truncated");
    CHECK(check("failure_detection", b.history()).verdict == Verdict::Unknown);
}

TEST_CASE("final views: a late joiner that learns a dead node as alive, a never-started node") {
    HB b;
    b.at(0).run_start({"n1", "n2", "n3", "n4"}).start("n1").start("n2").start("n3");
    b.at(0.5).mesh({"n1", "n2", "n3"}, {"n1", "n2", "n3"}, "alive");
    b.at(5).kill("n3");
    b.at(6).mesh({"n1", "n2"}, {"n3"}, "dead");
    b.at(50).start("n4");  // a late joiner; n4 in run_start but started late
    b.at(50.5).mesh({"n1", "n2"}, {"n4"}, "alive").mesh({"n4"}, {"n1", "n2"}, "alive");
    b.member("n4", "n3", "alive");  // stale news from a seed: a zombie
    uint32_t zombie = uint32_t(b.line());
    b.at(100).end();
    CheckResult r = check("membership_convergence", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("final views: 1 view(s) wrong") == 0);
    CHECK(has_evidence(r, "n4", zombie,
                       "n4 sees n3 alive (inc 0) at the end of the run (expected dead or left)"));
    CHECK(r.metrics["final"]["mismatches"] == 1);
    CHECK(check("membership_convergence", b.history(), {{"final_views", false}}).verdict ==
          Verdict::Pass);
}

TEST_CASE("final views: a view that was right once and went wrong later") {
    HB b = cluster();
    b.at(30).member("n1", "n2", "dead");  // a false death nobody undoes
    uint32_t dead = uint32_t(b.line());
    b.at(100).end();
    CheckResult r = check("membership_convergence", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "n1", dead,
                       "n1 sees n2 dead (inc 0) at the end of the run (expected alive)"));
}
