// local_health on hand-made histories: nodes left alone stay healthy, refuters raise their score.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

HB& health(HB& b, const std::string& node, int now, int peak) {
    return b.event(node, {{"type", "counters"},
                          {"pkts_sent", 10},
                          {"pkts_recv", 10},
                          {"bytes_sent", 100},
                          {"bytes_recv", 100},
                          {"awareness", now},
                          {"awareness_peak", peak}});
}

// Four nodes; n4 is killed at 3 s, n2 paused from 5 s to 5.3 s and refutes at 5.4 s.
HB scene(int n1_peak, int n2_peak_after_refute, uint32_t* n1_line = nullptr,
         uint32_t* refute_line = nullptr) {
    HB b = cluster(4);
    b.at(2);
    for (const char* n : {"n1", "n2", "n3", "n4"}) health(b, n, 0, 0);
    b.at(3).kill("n4");
    b.at(4);
    health(b, "n1", 0, n1_peak);
    if (n1_line) *n1_line = uint32_t(b.line());
    health(b, "n3", 0, 0);
    b.at(5).pause("n2");
    b.at(5.3).resume("n2");
    b.at(5.4).event("n2", {{"type", "refute"}, {"incarnation", 1}});
    if (refute_line) *refute_line = uint32_t(b.line());
    b.at(6);
    health(b, "n2", n2_peak_after_refute, n2_peak_after_refute);
    b.at(10).end();
    return b;
}

}  // namespace

TEST_CASE("local_health passes when nodes left alone stay healthy and a refuter doubts itself") {
    CheckResult r = check("local_health", scene(1, 1).history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["left_alone"] == 2);  // n1 and n3; n2 paused, n4 crashed
    CHECK(r.metrics["per_node"]["n2"]["disturbed"] == "paused");
    CHECK(r.metrics["per_node"]["n4"]["disturbed"] == "crashed");
    CHECK(r.metrics["refutations"] == 1);
    CHECK(r.metrics["refutations_raised"] == 1);
    CHECK(r.measured == 1);
}

TEST_CASE("local_health fails when a node left alone blames itself for a crash") {
    uint32_t n1_line = 0;
    CheckResult r = check("local_health", scene(3, 1, &n1_line).history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("n1, which the scenario left alone, raised its local health score to 3 "
                        "(bound 1)") != std::string::npos);
    CHECK(has_evidence(r, "n1", n1_line, "awareness reached 3"));
    // A looser bound of the scenario's own.
    CHECK(check("local_health", scene(3, 1).history(), {{"healthy_max", 3}}).verdict ==
          Verdict::Pass);
}

TEST_CASE("local_health fails when a refutation leaves the refuter's score at 0") {
    uint32_t refute_line = 0;
    CheckResult r = check("local_health", scene(0, 0, nullptr, &refute_line).history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("n2 refuted a suspicion of itself at 5.4 s without raising its local "
                        "health score") != std::string::npos);
    CHECK(has_evidence(r, "n2", refute_line, "refuted a suspicion of itself"));
    CHECK(check("local_health", scene(0, 0).history(), {{"refute_raises", false}}).verdict ==
          Verdict::Pass);
}

TEST_CASE("local_health is not applicable without awareness in the counters") {
    HB b = cluster(3);
    b.at(2).counters("n1", 10, 100);
    b.at(10).end();
    CheckResult r = check("local_health", b.history());
    CHECK(r.verdict == Verdict::Pass);
    REQUIRE(r.not_applicable.size() == 1);
    CHECK(r.not_applicable[0].find("carry no awareness") != std::string::npos);
    CHECK(check("local_health", b.history(), json::object(), {"incarnations"}).verdict ==
          Verdict::Unknown);
}

TEST_CASE("local_health: a node cut off from everyone must reach the cap of its score") {
    // n1 is isolated (both ways) from 2 s to 8 s; its awareness peaks at `peak`.
    auto isolated = [](int peak, uint32_t* iso_line = nullptr, uint32_t* after_line = nullptr) {
        HB b = cluster(4);
        b.at(1);
        for (const char* n : {"n1", "n2", "n3", "n4"}) health(b, n, 0, 0);
        b.at(2).partition(
            {{"n1", {"n2", "n3", "n4"}}, {"n2", {"n1"}}, {"n3", {"n1"}}, {"n4", {"n1"}}});
        if (iso_line) *iso_line = uint32_t(b.line());
        b.at(5);
        health(b, "n1", peak, peak);
        b.at(8).heal();
        b.at(9);
        health(b, "n1", 0, 1);
        if (after_line) *after_line = uint32_t(b.line());
        b.at(10).end();
        return b;
    };
    CheckResult ok = check("local_health", isolated(7).history());
    INFO(ok.to_json().dump(1));
    CHECK(ok.verdict == Verdict::Pass);
    REQUIRE(ok.metrics["isolations"].size() == 1);
    CHECK(ok.metrics["isolations"][0]["node"] == "n1");
    CHECK(ok.metrics["isolations"][0]["peak"] == 7);

    uint32_t iso_line = 0, after_line = 0;
    CheckResult bad = check("local_health", isolated(6, &iso_line, &after_line).history());
    CHECK(bad.verdict == Verdict::Fail);
    CHECK_THAT(bad.reason,
               Catch::Contains("n1, cut off from every other member for 6 s, raised "
                               "its local health score only to 6 (expected the cap, 7)"));
    CHECK(has_evidence(bad, "n1", iso_line, "cut off from every other member until 8 s"));
    // The peak is read from the samples up to the first one after the isolation.
    CHECK(has_evidence(bad, "n1", after_line, "its awareness peaked at 6"));

    // A shorter isolation is not judged (and here nothing else is to judge).
    CheckResult brief = check("local_health", isolated(6).history(), {{"isolated_for", 7}});
    CHECK(brief.verdict == Verdict::Unknown);
    CHECK(brief.metrics["isolations"].empty());
}
