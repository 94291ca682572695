// input_validation on hand-made histories: a node's bad_pkts must rise by exactly the malformed
// datagrams it was sent; fewer is malformed input taken as valid, more is valid input refused.
#include "history_builder.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

HB& counters(HB& b, const std::string& node, double bad) {
    return b.event(node, {{"type", "counters"},
                          {"pkts_sent", 10},
                          {"pkts_recv", 10},
                          {"bytes_sent", 100},
                          {"bytes_recv", 100},
                          {"bad_pkts", bad}});
}

// Three nodes; n2 gets 9 malformed and 2 well-formed datagrams at 3 s, and reports bad_pkts
// `after` at 5 s (it had 1 before).
HB scene(double after, uint32_t* inject_line = nullptr, uint32_t* after_line = nullptr) {
    HB b = cluster(3);
    b.at(2);
    for (const char* n : {"n1", "n2", "n3"}) counters(b, n, n == std::string("n2") ? 1 : 0);
    b.at(3).action("inject",
                   {{"node", "n2"}, {"refuse", 9}, {"accept", 2}, {"datagrams", json::array()}});
    if (inject_line) *inject_line = uint32_t(b.line());
    b.at(3.5);
    counters(b, "n2", 1);  // too early to be judged (within the settle time)
    b.at(5);
    counters(b, "n2", after);
    if (after_line) *after_line = uint32_t(b.line());
    b.at(8).end();
    return b;
}

}  // namespace

TEST_CASE("input_validation passes when the node refused exactly the malformed datagrams") {
    CheckResult r = check("input_validation", scene(10).history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.measured == 1);
    REQUIRE(r.metrics["injections"].size() == 1);
    CHECK(r.metrics["injections"][0]["bad_pkts_rose"] == 9);
    CHECK(r.metrics["injections"][0]["node"] == "n2");
}

TEST_CASE("input_validation fails when malformed datagrams were taken as valid") {
    uint32_t inject_line = 0, after_line = 0;
    CheckResult r = check("input_validation", scene(7, &inject_line, &after_line).history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK_THAT(r.reason, Catch::Contains("n2 took 3 of the 9 malformed datagrams") &&
                             Catch::Contains("accepts what it should refuse"));
    CHECK(has_evidence(r, "n2", inject_line, "sent 9 malformed and 2 well-formed"));
    CHECK(has_evidence(r, "n2", after_line, "bad_pkts rose by 6 (expected 9)"));
}

TEST_CASE("input_validation fails when a well-formed datagram was refused") {
    CheckResult r = check("input_validation", scene(11).history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK_THAT(r.reason, Catch::Contains("n2 refused 1 datagram(s) more") &&
                             Catch::Contains("refuses valid input"));
}

TEST_CASE("input_validation is unknown without an injection, a later sample or counters") {
    HB none = cluster(3);
    none.at(5).end();
    CheckResult r = check("input_validation", none.history());
    CHECK(r.verdict == Verdict::Unknown);
    CHECK_THAT(r.reason, Catch::Contains("no hostile input was sent"));

    // The node's next counters come too soon after the injection to be judged.
    HB soon = cluster(3);
    soon.at(2);
    counters(soon, "n2", 0);
    soon.at(3).action("inject", {{"node", "n2"}, {"refuse", 9}, {"accept", 2}});
    soon.at(3.5);
    counters(soon, "n2", 9);
    soon.at(4).end();
    r = check("input_validation", soon.history());
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.metrics["injections"][0]["judged"].get<std::string>().find("no counters sample") == 0);

    std::vector<std::string> no_counters = all_features();
    no_counters.erase(std::remove(no_counters.begin(), no_counters.end(), "counters"),
                      no_counters.end());
    r = check("input_validation", scene(10).history(), json::object(), no_counters);
    CHECK(r.verdict == Verdict::Unknown);
    CHECK_THAT(r.reason, Catch::Contains("no counters feature"));
}
