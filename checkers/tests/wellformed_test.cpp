// history_wellformed: bad lines, clocks, types, transitions, output while paused or dead.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

TEST_CASE("a clean history is well formed") {
    HB b = cluster();
    b.at(5).member("n1", "n2", "suspect", 0).at(5.5).member("n1", "n2", "alive", 1);
    b.at(10).end();
    CheckResult r = check("history_wellformed", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["lines"] == 16);
}

TEST_CASE("each kind of problem is reported with its line") {
    HB b = cluster();
    b.at(1).raw("{oops");
    uint32_t bad_json = uint32_t(b.line());
    b.raw(R"({"t":1,"kind":"malformed","node":"n2","raw":"garbage","why":"not JSON"})");
    uint32_t malformed = uint32_t(b.line());
    b.at(2).event("n1", {{"type", "gossip"}});
    uint32_t unknown_type = uint32_t(b.line());
    b.at(3).event("n2", {{"type", "member"}, {"member", "n1"}, {"state", "alive"}, {"ts", 1.0}});
    uint32_t clock_back = uint32_t(b.line());
    b.at(4).member("n1", "n2", "suspect", 0).member("n1", "n2", "alive", 0);
    uint32_t same_inc = uint32_t(b.line());
    b.member("n3", "n3", "alive");
    uint32_t self = uint32_t(b.line());
    b.at(5).pause("n3");
    b.at(6).member("n3", "n1", "suspect");
    uint32_t while_paused = uint32_t(b.line());
    b.at(7).resume("n3");
    b.at(8).kill("n2");
    b.at(9).member("n2", "n1", "alive", 5);
    uint32_t while_dead = uint32_t(b.line());
    b.at(9).event("n9", {{"type", "stopping"}});
    uint32_t never_started = uint32_t(b.line());
    b.at(10).end();
    CheckResult r = check("history_wellformed", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "", bad_json, "not a JSON object"));
    CHECK(has_evidence(r, "n2", malformed, "malformed line: not JSON"));
    CHECK(has_evidence(r, "n1", unknown_type, "unknown type \"gossip\""));
    CHECK(has_evidence(r, "n2", clock_back, "clock went back"));
    CHECK(has_evidence(r, "n1", same_inc, "suspect -> alive needs a higher incarnation"));
    CHECK(has_evidence(r, "n3", self, "about itself"));
    CHECK(has_evidence(r, "n3", while_paused, "printed while paused"));
    CHECK(has_evidence(r, "n2", while_dead, "printed while not running"));
    CHECK(has_evidence(r, "n9", never_started, "before it was started"));
    CHECK(r.metrics["problems"] == 9);
}

TEST_CASE("a history without lines or run_start is not well formed") {
    History empty = parse_history("");
    CHECK(check("history_wellformed", empty).verdict == Verdict::Fail);
    HB b;
    b.at(0).start("n1");
    CheckResult r = check("history_wellformed", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("no run_start") != std::string::npos);
}
