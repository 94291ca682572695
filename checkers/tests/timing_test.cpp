// Guarantee and model (docs/checkers.md): in the lan profile (push-pull every 30 s) each timing
// check is decided by its guarantee, the model plus one push-pull period, and reports the
// items slower than the model; "model": "enforce" fails on them.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

// n1..n3 as cluster(); n4 starts at 2 and is seen by n1 and n2 at 2.5, by n3 only at `n3_sees`
// (never when negative). The join model in lan with N = 4: 3 * 1 + 2 * 4 * 0.2 = 4.6 s.
HB late_join(double n3_sees, double end) {
    HB b = cluster();
    b.at(2).start("n4");
    b.at(2.5).member("n1", "n4", "alive").member("n2", "n4", "alive");
    b.member("n4", "n1", "alive").member("n4", "n2", "alive").member("n4", "n3", "alive");
    if (n3_sees >= 0) b.at(n3_sees).member("n3", "n4", "alive");
    b.at(end).end();
    return b;
}

const json& change(const CheckResult& r, const std::string& node) {
    for (const auto& c : r.metrics["changes"])
        if (c["node"] == node) return c;
    FAIL("no change of " << node);
    static json none;
    return none;
}

}  // namespace

TEST_CASE("a join slower than the model but within the guarantee passes with a finding") {
    const HB b = late_join(12.0, 50);
    CheckResult r = check_lan("membership_convergence", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    const json& c = change(r, "n4");
    CHECK(c["status"] == "converged");
    CHECK(c["convergence"].get<double>() == Approx(10));
    CHECK(c["model_bound"].get<double>() == Approx(4.6));
    CHECK(c["bound"].get<double>() == Approx(64.6));
    REQUIRE(r.model.is_object());
    CHECK(r.model["enforced"] == false);
    CHECK(r.model["misses"] == 1);
    CHECK(r.model["items"] == 3);  // n2..n4's starts (n1's had nobody to see it)
    CHECK(r.model["worst"]["ratio"].get<double>() == Approx(10 / 4.6));
    CHECK_THAT(r.model["worst"]["what"].get<std::string>(), Catch::Contains("n3 saw n4 alive"));
    CHECK_THAT(r.model["finding"].get<std::string>(),
               Catch::Contains("slower than the model: 1 of 3 change(s) after the model's bound (worst 2.17x: n3 saw n4 alive"));
    CHECK(r.evidence.empty());  // a model miss is a finding, not evidence of a failure
    CHECK(r.to_json()["model"] == r.model);
}

TEST_CASE("an enforced model fails on the same join, naming the slow view") {
    const HB b = late_join(12.0, 50);
    CheckResult r = check_lan("membership_convergence", b.history(), {{"model", "enforce"}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK_THAT(r.reason, Catch::StartsWith("slower than the model"));
    REQUIRE(r.evidence.size() == 1);
    CHECK(r.evidence[0]["node"] == "n3");
    CHECK_THAT(r.evidence[0]["what"].get<std::string>(),
               Catch::Contains("after 10 s (model 4.6 s"));
}

TEST_CASE("a join beyond the guarantee fails, and one never seen fails once it is due") {
    CheckResult late = check_lan("membership_convergence", late_join(70.0, 80).history());
    INFO(late.to_json().dump(1));
    CHECK(late.verdict == Verdict::Fail);
    CHECK(change(late, "n4")["status"] == "late");
    bool named = false;
    for (const auto& e : late.evidence)
        named |= e["what"].get<std::string>().find("n3 saw n4 alive only after 68 s") !=
                 std::string::npos;
    CHECK(named);

    CheckResult never = check_lan("membership_convergence", late_join(-1, 80).history());
    CHECK(never.verdict == Verdict::Fail);
    CHECK(change(never, "n4")["status"] == "not_converged");
}

TEST_CASE("without push-pull the guarantee is the model") {
    // check() runs in lan without push-pull: the same late view fails at 4.6 s.
    CheckResult r = check("membership_convergence", late_join(12.0, 50).history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(change(r, "n4")["bound"].get<double>() == Approx(4.6));
    CHECK(r.bound["expr"] == "3 * probe_interval + 2 * retransmits * gossip_interval");
}

TEST_CASE("failure_detection: a death declared after the model is a finding, never one a fail") {
    // lan with N = 3 + 1: detection model 5 + suspicion_max 24 + 1.6 = 30.6 s; guarantee 90.6 s.
    auto run = [](double n2_declares) {
        HB b = cluster();
        b.at(5).kill("n3");
        b.at(6).member("n1", "n3", "dead");
        if (n2_declares >= 0) b.at(n2_declares).member("n2", "n3", "dead");
        b.at(100).end();
        return b;
    };
    CheckResult slow = check_lan("failure_detection", run(45).history());
    INFO(slow.to_json().dump(1));
    CHECK(slow.verdict == Verdict::Pass);
    CHECK(slow.model["misses"] == 1);
    CHECK(slow.model["worst"]["measured"].get<double>() == Approx(40));
    CHECK(slow.metrics["failures"][0]["model_bound"].get<double>() == Approx(30.6));
    CHECK(slow.bound["value"].get<double>() == Approx(90.6));

    CheckResult never = check_lan("failure_detection", run(-1).history());
    CHECK(never.verdict == Verdict::Fail);
    CHECK_THAT(never.reason, Catch::Contains("n2 never declared it dead (bound 90.6 s)"));
}

TEST_CASE("dissemination: a scenario that exists to test the model enforces it") {
    // lan, N = 3: the spread model is 2 * (1 + ln 3) * 0.2 + 1 = 1.84 s.
    HB b = cluster();
    b.at(5).broadcast("n1", "r1");
    b.at(5.0).rumor("n1", "r1", "n1");
    b.at(5.1).rumor("n2", "r1", "n1");
    b.at(9.0).rumor("n3", "r1", "n1");
    b.at(40).end();
    CheckResult reported = check_lan("dissemination", b.history());
    INFO(reported.to_json().dump(1));
    CHECK(reported.verdict == Verdict::Pass);
    CHECK(reported.model["misses"] == 1);
    CHECK_THAT(reported.model["worst"]["what"].get<std::string>(), Catch::Contains("last n3"));

    CheckResult enforced = check_lan("dissemination", b.history(), {{"model", "enforce"}});
    CHECK(enforced.verdict == Verdict::Fail);
    REQUIRE(enforced.evidence.size() == 1);
    CHECK(enforced.evidence[0]["node"] == "n3");
    CHECK_THAT(enforced.reason, Catch::Contains("1 of 1 rumor(s)"));
}

TEST_CASE("a bad model option is named") {
    CheckResult r = check_lan("failure_detection", cluster().at(5).end().history(),
                              {{"model", "strict"}});
    CHECK(r.verdict == Verdict::Unknown);
    CHECK_THAT(r.reason, Catch::Contains("option \"model\": expected \"report\" or \"enforce\""));
}

TEST_CASE("a split no mechanism repairs fails partition healing, naming who never saw whom") {
    // Neither reconnect nor push-pull: the heal bound is its fast part alone (2 + 1.6 s).
    HB b = cluster(4);
    b.at(3).split({"n1", "n2"}, {"n3", "n4"});
    b.at(4).mesh({"n1", "n2"}, {"n3", "n4"}, "dead").mesh({"n3", "n4"}, {"n1", "n2"}, "dead");
    b.at(6).heal();
    b.at(30).end();
    json profile = lan_profile();
    profile["reconnect_interval"] = nullptr;
    profile["push_pull_interval"] = nullptr;
    const History h = b.history();
    Context ctx{h, json::object(), profile, all_features()};
    CheckResult r = run_check("partition_healing", ctx, json::object());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.bound["expr"] == "2 * probe_interval + 2 * retransmits * gossip_interval");
    bool named = false;
    for (const auto& e : r.evidence)
        named |= e["what"].get<std::string>().find("n1 still sees n3 dead") != std::string::npos;
    CHECK(named);
}
