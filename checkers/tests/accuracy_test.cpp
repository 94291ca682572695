// accuracy on hand-made histories: false deaths and suspicions of healthy nodes, with faults.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

TEST_CASE("accuracy passes with no deaths and reports node-hours") {
    HB b = cluster();
    b.at(3600).end();
    CheckResult r = check("accuracy", b.history());
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.measured == 0);
    CHECK(r.metrics["node_hours"].get<double>() == Approx(3 - 0.3 / 3600));
    CHECK(r.metrics["false_suspicions"] == 0);
}

TEST_CASE("accuracy fails on the false death of a healthy node, naming the active fault") {
    HB b = cluster();
    b.at(10).action("shape", {{"links", "all"}, {"shape", {{"loss", 0.3}}}});
    b.at(20).member("n1", "n2", "suspect");
    b.at(25).member("n1", "n2", "dead");
    uint32_t dead = uint32_t(b.line());
    b.at(3600).end();
    CheckResult r = check("accuracy", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "n1", dead, "n1 declared n2 dead while it was live and reachable"));
    CHECK(has_evidence(r, "n1", dead, "loss"));
    CHECK(r.metrics["false_deaths"] == 1);
    CHECK(r.metrics["false_suspicions"] == 1);
    CHECK(r.metrics["false_deaths_per_node_hour"].get<double>() == Approx(1 / (3 - 0.3 / 3600)));
    CHECK(r.metrics["items"][1]["faults"][0].get<std::string>().find("shape") == 0);
    // Configurable: one false death allowed.
    CHECK(check("accuracy", b.history(), {{"bound", 1}}).verdict == Verdict::Pass);
    // False suspicions have their own optional limit.
    CheckResult s = check("accuracy", b.history(), {{"bound", 1}, {"max_false_suspicions", 0}});
    CHECK(s.verdict == Verdict::Fail);
    CheckResult u = check("accuracy", b.history(), {{"bound", 1}, {"max_false_suspicions", 0}},
                          {"incarnations"});
    // Without suspicion events that limit is not applicable; the false deaths decide.
    CHECK(u.verdict == Verdict::Pass);
    CHECK(u.metrics["false_suspicions"].is_null());
    REQUIRE(u.not_applicable.size() == 1);
    CHECK_THAT(u.not_applicable[0], Catch::Contains("needs the suspicion_events feature"));
}

TEST_CASE("deaths explained by a real fault are not false positives") {
    HB b = cluster();
    b.at(10).pause("n3");  // a pause: suspicion_refutation judges this one
    b.at(12).resume("n3");
    b.at(13).member("n1", "n3", "dead");
    b.at(20).restart("n2");  // old news about n2's previous process
    b.at(21).member("n1", "n2", "dead");
    b.at(30).split({"n1"}, {"n2", "n3"});
    b.at(35).member("n1", "n3", "dead");
    b.at(40).heal();
    b.at(100).end();
    CheckResult r = check("accuracy", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
}

TEST_CASE("a false left (no leave command) counts as a false death") {
    HB b = cluster();
    b.at(50).member("n2", "n3", "left");
    uint32_t line = uint32_t(b.line());
    b.at(60).leave("n1");
    b.at(60.5).member("n2", "n1", "left");  // a real leave: fine
    b.at(100).end();
    CheckResult r = check("accuracy", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.measured == 1);
    CHECK(has_evidence(r, "n2", line, "declared n3 left"));
}

TEST_CASE("accuracy still reports when evidence is capped to nothing") {
    HB b = cluster();
    b.at(25).member("n1", "n2", "dead");
    b.at(3600).end();
    CheckResult r = check("accuracy", b.history(), {{"max_evidence", 0}});
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.evidence.empty());
    CHECK(r.metrics["evidence_dropped"] == 1);
    CHECK(r.reason.find("first: n1 declared n2 dead") != std::string::npos);
}

TEST_CASE("a one-way cut that other members route around does not excuse a death") {
    // n2 stops hearing n3; both still talk to n1 (and n1 to both): SWIM's indirect probes
    // through n1 must keep n3 alive in n2's view.
    HB b = cluster();
    b.at(10).partition({{"n2", {"n3"}}});
    b.at(20).member("n2", "n3", "suspect");
    uint32_t susp = uint32_t(b.line());
    b.at(22).member("n2", "n3", "dead");
    uint32_t dead = uint32_t(b.line());
    b.at(3600).end();
    CheckResult r = check("accuracy", b.history(), {{"max_false_suspicions", 0}});
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "n2", dead, "n2 declared n3 dead while it was live and reachable"));
    CHECK(has_evidence(r, "n2", susp, "n3"));
    CHECK(r.metrics["false_deaths"] == 1);
    CHECK(r.metrics["false_suspicions"] == 1);
}

TEST_CASE("a dead member is no bridge between the halves of a partition") {
    HB b = cluster();
    b.at(5).kill("n3");
    b.at(10).split({"n1"}, {"n2"});  // n3, dead, is in neither group
    b.at(20).member("n1", "n2", "dead");
    b.at(3600).end();
    CheckResult r = check("accuracy", b.history());
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["false_deaths"] == 0);
}

TEST_CASE("reachability follows the live set within one partition") {
    // n3 bridges n1 and n2 (the grudge cuts only n1-n2) until it is killed: n2's death
    // declared while n3 lives is false, the same declaration after n3 died is not. One
    // partition epoch, the same accuser, two live sets: the answer must not be reused.
    HB b = cluster();
    b.at(10).split({"n1"}, {"n2"});
    b.at(40).member("n1", "n2", "dead");
    uint32_t bridged = uint32_t(b.line());
    b.at(41).member("n1", "n2", "alive", 1);
    b.at(50).kill("n3");
    b.at(80).member("n1", "n2", "dead", 1);
    uint32_t cut = uint32_t(b.line());
    b.at(3600).end();
    CheckResult r = check("accuracy", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.metrics["false_deaths"] == 1);
    CHECK(has_evidence(r, "n1", bridged, "n1 declared n2 dead while it was live and reachable"));
    CHECK_FALSE(has_evidence(r, "n1", cut));
}
