// suspicion_refutation on hand-made histories: short pauses refuted, long pauses declared dead
// and rejoined, isolation, and the parts that need features.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

// n3 paused 5..7 (2 s, below suspicion_min = 4 s); n1 suspects it at 6.
HB short_pause() {
    HB b = cluster();
    b.at(5).pause("n3");
    b.at(6).member("n1", "n3", "suspect", 0);
    b.at(7).resume("n3");
    return b;
}

}  // namespace

TEST_CASE("a short pause is refuted with a higher incarnation and nobody declares death") {
    HB b = short_pause();
    b.at(7.5).member("n1", "n3", "alive", 1);
    b.at(20).end();
    CheckResult r = check("suspicion_refutation", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    const json& ep = r.metrics["episodes"][0];
    CHECK(ep["class"] == "short");
    CHECK(ep["suspected_by"] == json::array({"n1"}));
    CHECK(ep["alive_again_after"]["n1"].get<double>() == Approx(0.5));
}

TEST_CASE("a short pause fails when someone declares the node dead") {
    HB b = short_pause();
    b.at(6.8).member("n1", "n3", "dead", 0);
    uint32_t dead = uint32_t(b.line());
    b.at(7.5).member("n1", "n3", "alive", 1);
    b.at(20).end();
    CheckResult r = check("suspicion_refutation", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "n1", dead, "declared n3 dead although it was away only 2 s"));
    CHECK(has_evidence(r, "n3", 14, "pause began"));
}

TEST_CASE(
    "a suspicion that is never refuted fails, and so does one refuted without a higher "
    "incarnation") {
    HB b = short_pause();
    uint32_t suspect = uint32_t(b.line()) - 1;
    HB same = b;
    b.at(20).end();
    CheckResult r = check("suspicion_refutation", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "n1", suspect, "still sees n3 suspect (inc 0)"));

    same.at(7.5).member("n1", "n3", "alive", 0);
    uint32_t alive = uint32_t(same.line());
    same.at(20).end();
    CheckResult s = check("suspicion_refutation", same.history());
    CHECK(s.verdict == Verdict::Fail);
    CHECK(has_evidence(s, "n1", alive, "still sees n3 alive (inc 0)"));
}

TEST_CASE("a long pause: declared dead by all, then rejoins with a higher incarnation") {
    auto build = [](bool n2_declares, bool rejoin) {
        HB b = cluster();
        b.at(5).pause("n3");
        b.at(20).member("n1", "n3", "dead", 0);
        if (n2_declares) b.member("n2", "n3", "dead", 0);
        b.at(60).resume("n3");
        if (rejoin) b.at(62).mesh({"n1", "n2"}, {"n3"}, "alive", 1);
        b.at(120).end();
        return b;
    };
    CheckResult ok = check("suspicion_refutation", build(true, true).history());
    INFO(ok.to_json().dump(1));
    CHECK(ok.verdict == Verdict::Pass);
    CHECK(ok.metrics["episodes"][0]["class"] == "long");

    CheckResult lazy = check("suspicion_refutation", build(false, true).history());
    CHECK(lazy.verdict == Verdict::Fail);
    CHECK(lazy.reason.find("n2 never declared it dead") != std::string::npos);
    CHECK(has_evidence(lazy, "n2", 11, "had not declared n3 dead"));  // line 11: n2 sees n3

    CheckResult stuck = check("suspicion_refutation", build(true, false).history());
    CHECK(stuck.verdict == Verdict::Fail);
    CHECK(stuck.reason.find("did not see it alive again") != std::string::npos);
}

TEST_CASE("a short isolation is refuted like a pause") {
    HB b = cluster();
    b.at(5).split({"n1", "n2"}, {"n3"});
    b.at(6).member("n1", "n3", "suspect", 0);
    b.at(7).heal();
    b.at(7.2).member("n1", "n3", "alive", 1);
    b.at(20).end();
    CheckResult r = check("suspicion_refutation", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["episodes"][0]["kind"] == "isolation");
}

TEST_CASE("without suspicion events or incarnations those parts are not applicable") {
    HB b = cluster();
    b.at(5).pause("n3");
    b.at(7).resume("n3");
    b.at(20).end();
    CheckResult r = check("suspicion_refutation", b.history(), json::object(), {"rumors"});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);  // nobody doubted n3: the rest decides
    REQUIRE(r.not_applicable.size() == 2);
    CHECK_THAT(r.not_applicable[0], Catch::Contains("no suspicion_events feature"));
    CHECK_THAT(r.not_applicable[1], Catch::Contains("no incarnations feature"));

    HB d = b;
    HB c = cluster();
    c.at(5).pause("n3");
    c.at(6).member("n1", "n3", "dead");
    c.at(7).resume("n3");
    c.at(8).member("n1", "n3", "alive");
    c.at(20).end();
    CheckResult f = check("suspicion_refutation", c.history(), json::object(), {"rumors"});
    CHECK(f.verdict == Verdict::Fail);  // a death is visible without any feature

    HB none = cluster();
    none.at(10).end();
    CHECK(check("suspicion_refutation", none.history()).verdict == Verdict::Unknown);
}

TEST_CASE("suspicion_refutation reports the refutation time next to its bound") {
    HB b = short_pause();
    b.at(7.5).member("n1", "n3", "alive", 1);
    b.at(20).end();
    CheckResult r = check("suspicion_refutation", b.history());
    CHECK(r.measured.get<double>() == Approx(0.5));
    CHECK(r.bound["value"].get<double>() == Approx(2 + 1.6));
}

TEST_CASE(
    "an isolation through several clog steps is one episode; a clogged observer is not held") {
    // n3 clogged 5..15 while n2 is clogged 8..20: n3's isolation spans four epochs, and n2,
    // still clogged when n3 comes back, cannot see it rejoin before its own restore.
    HB b = cluster(4);
    b.at(5).action("clog", {{"node", "n3"}});
    b.at(8).action("clog", {{"node", "n2"}});
    b.at(9).member("n1", "n3", "dead", 0);
    b.at(9).member("n4", "n3", "dead", 0);
    b.at(9).member("n2", "n3", "dead", 0);
    b.at(11).member("n1", "n2", "dead", 0);
    b.at(11).member("n4", "n2", "dead", 0);
    b.at(15).action("unclog", {{"node", "n3"}});
    b.at(15.2).member("n1", "n3", "alive", 1);
    b.at(15.2).member("n4", "n3", "alive", 1);
    b.at(20).action("unclog", {{"node", "n2"}});
    b.at(20.3).member("n2", "n3", "alive", 1);
    b.at(20.3).member("n1", "n2", "alive", 1);
    b.at(20.3).member("n4", "n2", "alive", 1);
    b.at(60).end();
    CheckResult r = check_lan("suspicion_refutation", b.history(), {{"rejoin_bound", 1}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    const json& eps = r.metrics["episodes"];
    REQUIRE(eps.size() == 2);
    CHECK(eps[0]["node"] == "n3");
    CHECK(eps[0]["from"] == 5);
    CHECK(eps[0]["to"] == 15);                         // one episode, not one per epoch
    REQUIRE(eps[0]["alive_again_after"].size() == 2);  // n1, n4; n2 was clogged: not held
    CHECK(eps[0]["alive_again_after"]["n1"].get<double>() == Approx(0.2));
    CHECK(eps[1]["node"] == "n2");
    CHECK(eps[1]["to"] == 20);

    // n1 slow to see n3 back: fails on n1 alone.
    HB late = cluster();
    late.at(5).action("clog", {{"node", "n3"}});
    late.at(9).member("n1", "n3", "dead", 0);
    late.at(15).action("unclog", {{"node", "n3"}});
    late.at(17).member("n1", "n3", "alive", 1);
    late.at(60).end();
    CheckResult f = check_lan("suspicion_refutation", late.history(), {{"rejoin_bound", 1}});
    CHECK(f.verdict == Verdict::Fail);
}
