// judgement_horizon: the bound each planned change is judged by, as the checks choose it.
#include <gossiplab/checkers/horizon.hpp>

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using nlohmann::json;

namespace {

json profile() {
    return {{"probe_interval", 1.0},
            {"probe_timeout", 0.2},
            {"gossip_interval", 0.1},
            {"fanout", 3},
            {"indirect_checks", 1},
            {"suspicion_mult", 3},
            {"suspicion_max_timeout_mult", 6},
            {"retransmit_mult", 2},
            {"push_pull_interval", 15.0},
            {"dead_retention", 15.0},
            {"reconnect_interval", nullptr}};
}

}  // namespace

TEST_CASE("the latest change plus its bound decides the horizon") {
    json checks = {{"failure_detection", {{"bound", "5 * probe_interval"}}},
                   {"membership_convergence", {{"bound_join", 2}, {"bound_crash", 4}}}};
    Horizon h = judgement_horizon(
        checks, {{PlannedKind::start, 0}, {PlannedKind::crash, 10}, {PlannedKind::start, 14}},
        profile(), 6);
    // Each change is held to its guarantee: the model plus two push-pull periods (2 * 15 s).
    // crash at 10 + 5 + 30 s (failure_detection), 10 + 4 + 30 s (membership_convergence); start
    // at 14 + 2 + 30 s.
    CHECK(h.t == Approx(46));
    CHECK(h.because["check"] == "membership_convergence");
    CHECK(h.because["change"] == "start");
    CHECK(h.because["bound"]["expr"] == "(2) + 2 * push_pull_interval");
    CHECK(h.unbounded.empty());

    // One "bound" replaces membership_convergence's per-kind bounds, as in the check.
    checks["membership_convergence"] = {{"bound", 9}};
    h = judgement_horizon(checks, {{PlannedKind::crash, 10}}, profile(), 6);
    CHECK(h.t == Approx(49));
    CHECK(h.because["check"] == "membership_convergence");
    // An explicit guarantee is the run's horizon, as it is the check's verdict.
    checks["membership_convergence"] = {{"bound", 9}, {"guarantee", 12}};
    checks["failure_detection"] = {{"bound", 1}, {"guarantee", 2}};
    h = judgement_horizon(checks, {{PlannedKind::crash, 10}}, profile(), 6);
    CHECK(h.t == Approx(22));
    CHECK(h.because["bound"]["expr"] == "12");
    // Without push-pull the guarantee is the model.
    json no_pp = profile();
    no_pp["push_pull_interval"] = nullptr;
    checks["membership_convergence"] = {{"bound", 9}};
    h = judgement_horizon(checks, {{PlannedKind::crash, 10}}, no_pp, 6);
    CHECK(h.t == Approx(19));
}

TEST_CASE("only the scenario's checks oblige, with their defaults") {
    // dissemination is not listed: a rumor obliges nothing.
    Horizon none = judgement_horizon({{"failure_detection", json::object()}},
                                     {{PlannedKind::broadcast, 5}}, profile(), 6);
    CHECK(none.t == 0);
    CHECK(none.because.is_null());
    // failure_detection's default bound: 5 * probe_interval + suspicion_max + 2 * retransmits *
    // gossip_interval with N = 6 (suspicion_max = 6 * 3 * 1 * 1 = 18, retransmits = 2).
    Horizon h = judgement_horizon({{"failure_detection", json::object()}},
                                  {{PlannedKind::crash, 4}}, profile(), 6);
    CHECK(h.t == Approx(4 + 5 + 18 + 0.4 + 30));
    // A null `checks` runs every check: the rumor is bounded by dissemination's default.
    Horizon all = judgement_horizon(nullptr, {{PlannedKind::broadcast, 5}}, profile(), 6);
    CHECK(all.t > 5);
    CHECK(all.because["check"] == "dissemination");
}

TEST_CASE("a bound over a knob the implementation lacks does not lengthen the run") {
    json checks = {{"failure_detection", {{"bound", "reconnect_interval + 1"}}}};
    Horizon h = judgement_horizon(checks, {{PlannedKind::crash, 20}, {PlannedKind::crash, 30}},
                                  profile(), 6);
    CHECK(h.t == 0);
    REQUIRE(h.unbounded.size() == 1);  // one entry per check and kind of change
    CHECK(h.unbounded[0]["check"] == "failure_detection");
    CHECK(h.unbounded[0]["count"] == 2);
    CHECK_THAT(h.unbounded[0]["error"].get<std::string>(), Catch::Contains("reconnect_interval"));
    // A bad option is reported the same way, never thrown.
    Horizon bad = judgement_horizon({{"failure_detection", {{"bound", json::array()}}}},
                                    {{PlannedKind::crash, 1}}, profile(), 6);
    CHECK(bad.t == 0);
    REQUIRE(bad.unbounded.size() == 1);
    CHECK_THAT(bad.unbounded[0]["error"].get<std::string>(), Catch::Contains("\"bound\""));
}

TEST_CASE("without a reconnect mechanism a heal is bounded by push-pull") {
    // reconnect_interval is null: the heal's default bound leaves it out (30 + 2 + 0.4 s).
    Horizon h = judgement_horizon({{"partition_healing", json::object()}},
                                  {{PlannedKind::heal, 20}}, profile(), 6);
    CHECK(h.t == Approx(20 + 30 + 2 + 0.4));
    CHECK(h.because["bound"]["expr"] ==
          "2 * push_pull_interval + 2 * probe_interval + 2 * retransmits * gossip_interval");
    CHECK(h.unbounded.empty());
    // With one, the reconnect loop's interval is part of it.
    json with = profile();
    with["reconnect_interval"] = 30;
    CHECK(judgement_horizon({{"partition_healing", json::object()}}, {{PlannedKind::heal, 20}},
                            with, 6)
              .t == Approx(20 + 30 + 30 + 2 + 0.4));
}

TEST_CASE("a pause that may end in a death is judged as a rejoin, a short one as a refutation") {
    json checks = {{"suspicion_refutation",
                    {{"bound", 1}, {"guarantee", 2}, {"rejoin_bound", 7}, {"short_below", 3}}}};
    Horizon shrt = judgement_horizon(checks, {{PlannedKind::resume, 10, 9}}, profile(), 6);
    CHECK(shrt.t == Approx(12));  // the refutation's guarantee
    CHECK(shrt.because["bound"]["expr"] == "2");
    Horizon lng = judgement_horizon(checks, {{PlannedKind::resume, 10, 2}}, profile(), 6);
    CHECK(lng.t == Approx(17));
    CHECK(lng.because["bound"]["expr"] == "7");
}

TEST_CASE("state writes and heals are held to state_convergence's bound") {
    json checks = {{"state_convergence", json::object()}};
    // 3 * push_pull_interval + 2 * retransmits * gossip_interval + probe_interval, N = 6:
    // retransmits = 2 * ceil(log10(7)) = 2, so 45 + 0.4 + 1 = 46.4 s.
    Horizon h =
        judgement_horizon(checks, {{PlannedKind::write, 3}, {PlannedKind::write, 8}}, profile(), 6);
    CHECK(h.t == Approx(54.4));
    CHECK(h.because["check"] == "state_convergence");
    CHECK(h.because["change"] == "write");
    h = judgement_horizon(checks, {{PlannedKind::write, 8}, {PlannedKind::heal, 20}}, profile(), 6);
    CHECK(h.t == Approx(66.4));
    CHECK(h.because["change"] == "heal");
    // A heal without any write obliges nothing of state_convergence.
    h = judgement_horizon(checks, {{PlannedKind::heal, 20}}, profile(), 6);
    CHECK(h.t == 0);
    // Not listed: no obligation. A bound the profile cannot evaluate is unbounded, not fatal.
    h = judgement_horizon({{"history_wellformed", json::object()}}, {{PlannedKind::write, 8}},
                          profile(), 6);
    CHECK(h.t == 0);
    json no_pp = profile();
    no_pp["push_pull_interval"] = nullptr;
    h = judgement_horizon(checks, {{PlannedKind::write, 8}}, no_pp, 6);
    CHECK(h.t == 0);
    REQUIRE(h.unbounded.size() == 1);
    CHECK(h.unbounded[0]["check"] == "state_convergence");
    CHECK(std::string(to_string(PlannedKind::write)) == "write");
}
