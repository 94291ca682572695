// failure_detection on hand-made histories: detected, undetected, late, partitions, unknown.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

TEST_CASE("failure_detection passes when every live node declares the killed node dead") {
    HB b = cluster();
    b.at(5).kill("n3");
    b.at(6.5).member("n1", "n3", "suspect");
    b.at(6.5).member("n1", "n3", "dead");
    b.at(7).member("n2", "n3", "dead");
    b.at(40).end();
    CheckResult r = check("failure_detection", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    const json& f = r.metrics["failures"][0];
    CHECK(f["cause"] == "killed");
    CHECK(f["first_detection"].get<double>() == Approx(1.5));
    CHECK(f["all_detected"].get<double>() == Approx(2.0));
    CHECK(f["first_suspicion"].get<double>() == Approx(1.5));
    CHECK(f["slowest"] == "n2");
    CHECK(r.bound["value"].get<double>() == Approx(5 + 24 + 1.6));
    CHECK(r.metrics["swim_expected_first_detection_periods"].get<double>() ==
          Approx(1.582).epsilon(0.001));
}

TEST_CASE("failure_detection fails when a live node never declares the crash") {
    HB b;
    auto ids = names(3);
    b.at(0).run_start(ids).start("n1").start("n2").start("n3");
    b.at(0.5).mesh({"n1", "n3"}, ids, "alive");
    b.member("n2", "n1", "alive").member("n2", "n3", "alive");
    uint32_t n2_sees_n3 = uint32_t(b.line());
    b.at(5).crash("n3");
    uint32_t crash = uint32_t(b.line());
    b.at(6).member("n1", "n3", "dead");
    b.at(40).end();
    CheckResult r = check("failure_detection", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("n3 crashed at 5 s: n2 never declared it dead") != std::string::npos);
    CHECK(has_evidence(r, "n3", crash, "crashed"));
    CHECK(has_evidence(r, "n2", n2_sees_n3, "still sees n3 alive (inc 0)"));
    CHECK(r.metrics["failures"][0]["undetected_by"] == json::array({"n2"}));
}

TEST_CASE("failure_detection fails when detection comes after the bound") {
    HB b = cluster();
    b.at(5).kill("n3");
    b.at(6).member("n1", "n3", "dead");
    b.at(38).member("n2", "n3", "dead");
    uint32_t late = uint32_t(b.line());
    b.at(50).end();
    CheckResult r = check("failure_detection", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "n2", late, "only after 33"));
    CHECK(r.metrics["failures"][0]["status"] == "late");
}

TEST_CASE("a node cut off for good must be declared dead on both sides") {
    auto build = [](bool n3_detects) {
        HB b = cluster();
        b.at(5).split({"n1", "n2"}, {"n3"});
        b.at(12).mesh({"n1", "n2"}, {"n3"}, "dead");
        if (n3_detects) b.mesh({"n3"}, {"n1", "n2"}, "dead");
        b.at(60).end();
        return b;
    };
    CHECK(check("failure_detection", build(true).history()).verdict == Verdict::Pass);
    HB b = build(false);
    CheckResult r = check("failure_detection", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("cut off by a partition") != std::string::npos);
    CHECK(has_evidence(r, "n3", 12, "still sees n1 alive"));  // line 12: n3 sees n1 alive
    CHECK(check("failure_detection", b.history(), {{"partitions", false}}).verdict ==
          Verdict::Unknown);
}

TEST_CASE("left counts as a detection only when allowed") {
    HB b = cluster();
    b.at(5).kill("n3");
    b.at(6).member("n1", "n3", "dead").member("n2", "n3", "left");
    b.at(40).end();
    CHECK(check("failure_detection", b.history()).verdict == Verdict::Fail);
    CHECK(check("failure_detection", b.history(), {{"accept_left", true}}).verdict ==
          Verdict::Pass);
}

TEST_CASE("failure_detection is unknown without failures and ignores observers that never knew") {
    HB b = cluster();
    b.at(10).end();
    CheckResult r = check("failure_detection", b.history());
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.reason.find("nothing to check") != std::string::npos);

    HB c;
    c.at(0).run_start({"n1", "n2"}).start("n1").start("n2");
    c.at(1).kill("n2");  // n1 never saw n2
    c.at(40).end();
    CheckResult u = check("failure_detection", c.history());
    CHECK(u.verdict == Verdict::Unknown);
    CHECK(u.metrics["failures"][0]["status"] == "no_observer");
}

TEST_CASE("partitions compose until a heal (the harness adds each grudge to the last)") {
    HB b = cluster();
    b.at(5).split({"n1"}, {"n3"});
    b.at(6).split({"n2"}, {"n3"});  // n3 now cut from both
    b.at(12).member("n2", "n3", "dead").mesh({"n3"}, {"n1", "n2"}, "dead");
    b.at(60).end();
    CheckResult r = check("failure_detection", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "n1", 9, "n1 still sees n3 alive"));  // 9: n1 sees n3 alive
}

// Lifeguard's confirmations (option confirmed_within): in the lan profile with 6 nodes,
// suspicion_min 4 s and suspicion_max 24 s; the default bound is suspicion_min + N probe
// periods + probe_timeout + 2 * retransmits * gossip_interval = 4 + 6 + 0.5 + 1.6 s.
HB confirmed_history(double first_dead, uint32_t* suspected = nullptr) {
    HB b = cluster(6);
    b.at(5).kill("n3");
    b.at(6).member("n1", "n3", "suspect");
    if (suspected) *suspected = uint32_t(b.line());
    b.at(6.3).member("n2", "n3", "suspect");
    for (const char* o : {"n1", "n2", "n4", "n5", "n6"})
        b.at(first_dead + (o[1] - '1') * 0.1).member(o, "n3", "dead");
    b.at(60).end();
    return b;
}

TEST_CASE("confirmed_within passes when a confirmed suspicion ends near suspicion_min") {
    CheckResult r =
        check("failure_detection", confirmed_history(10.5).history(), {{"confirmed_within", true}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    const json& c = r.metrics["failures"][0]["confirmed"];
    CHECK(c["status"] == "ok");
    CHECK(c["suspicion_to_death"].get<double>() == Approx(4.5));
    CHECK(c["bound"].get<double>() == Approx(4 + 6 + 0.5 + 1.6));
    CHECK(c["confirmations"] == 2);
    CHECK(r.metrics["confirmed_checked"] == 1);
}

TEST_CASE("confirmed_within fails when the suspicion waits out suspicion_max") {
    uint32_t suspected = 0;
    HB b = confirmed_history(29.5, &suspected);
    CheckResult r = check("failure_detection", b.history(), {{"confirmed_within", true}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("n3 killed at 5 s: first declared dead 23.5 s after its first "
                        "suspicion (bound 12.1 s") != std::string::npos);
    CHECK(r.reason.find("suspicion_max 24 s") != std::string::npos);
    CHECK(r.metrics["failures"][0]["confirmed"]["status"] == "late");
    CHECK(r.metrics["failures"][0]["status"] == "detected");  // within the detection bound
    CHECK(has_evidence(r, "n3", suspected, "first suspicion of n3"));
    // Without the option the same history passes: the confirmation is judged only when asked.
    CHECK(check("failure_detection", b.history()).verdict == Verdict::Pass);
    // A bound of its own.
    CHECK(
        check("failure_detection", b.history(), {{"confirmed_within", "suspicion_max"}}).verdict ==
        Verdict::Pass);
}

TEST_CASE("confirmed_within: too few members to confirm means suspicion_min from the start") {
    // Three nodes: with n3 suspected, n - 2 = 1 < k = 2, so no confirmation is awaited and the
    // bound is suspicion_min + probe_timeout + 2 * retransmits * gossip_interval = 4 + 0.5 + 1.6.
    auto three = [](double dead) {
        HB b = cluster(3);
        b.at(5).kill("n3");
        b.at(6).member("n1", "n3", "suspect");
        b.at(dead).member("n1", "n3", "dead");
        b.at(dead + 0.2).member("n2", "n3", "dead");
        b.at(60).end();
        return b;
    };
    CheckResult ok =
        check("failure_detection", three(10.2).history(), {{"confirmed_within", true}});
    INFO(ok.to_json().dump(1));
    CHECK(ok.verdict == Verdict::Pass);
    const json& c = ok.metrics["failures"][0]["confirmed"];
    CHECK(c["too_few_to_confirm"] == true);
    CHECK(c["confirmations"] == 0);
    CHECK(c["bound"].get<double>() == Approx(4 + 0.5 + 1.6));
    CHECK(c["suspicion_to_death"].get<double>() == Approx(4.2));
    // Waiting for confirmations that cannot come (the timer shrinks only part of the way).
    CheckResult late =
        check("failure_detection", three(17).history(), {{"confirmed_within", true}});
    CHECK(late.verdict == Verdict::Fail);
    CHECK(late.reason.find("first declared dead 11 s after its first suspicion (bound 6.1 s: with "
                           "3 members, too few for 2 confirmations") != std::string::npos);
    CHECK(late.metrics["confirmed_failed"] == 1);
}

TEST_CASE("confirmed_within is not applicable where nothing can confirm") {
    HB b = cluster(3);
    b.at(5).kill("n3");
    b.at(6).member("n1", "n3", "suspect");
    b.at(29).member("n1", "n3", "dead");
    b.at(29.2).member("n2", "n3", "dead");
    b.at(60).end();
    CHECK(check("failure_detection", b.history(), {{"confirmed_within", true}},
                {"incarnations", "refute_events"})
              .metrics["confirmed_not_applicable"]
              .get<std::string>()
              .find("no suspicions (suspicion_events)") != std::string::npos);
    json flat = lan_profile();
    flat["suspicion_max_timeout_mult"] = 1;
    History h = b.history();
    Context ctx{h, json::object(), flat, all_features()};
    CheckResult r = run_check("failure_detection", ctx, {{"confirmed_within", true}});
    CHECK(r.metrics["confirmed_checked"] == 0);
    CHECK(r.metrics["confirmed_not_applicable"].get<std::string>().find("does not shrink") !=
          std::string::npos);
}
