// partition_healing on hand-made histories: healed, never healed, late, shared-seed joiners.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

HB long_split() {
    HB b = cluster();
    b.at(5).split({"n1", "n2"}, {"n3"});
    b.at(40).mesh({"n1", "n2"}, {"n3"}, "dead").mesh({"n3"}, {"n1", "n2"}, "dead");
    b.at(60).heal();
    return b;
}

}  // namespace

TEST_CASE("partition_healing passes when every pair sees each other alive again") {
    HB b = long_split();
    b.at(61).mesh({"n3"}, {"n1", "n2"}, "alive", 1);
    b.at(62).mesh({"n1", "n2"}, {"n3"}, "alive", 1);
    b.at(150).end();
    CheckResult r = check_lan("partition_healing", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.measured.get<double>() == Approx(2));
    CHECK(r.metrics["changes"][0]["lags"]["n3"].get<double>() == Approx(1));
    CHECK(r.metrics["changes"][0]["slowest"] == "n2");
    CHECK(r.bound["value"].get<double>() == Approx(2 + 60 + 2 + 1.6));
}

TEST_CASE("partition_healing fails when a pair never heals") {
    HB b = long_split();
    uint32_t heal = uint32_t(b.line());
    b.at(61).mesh({"n3"}, {"n1", "n2"}, "alive", 1);
    b.at(62).member("n1", "n3", "alive", 1);
    b.at(150).end();
    CheckResult r = check_lan("partition_healing", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "", heal, "partition healed"));
    // n2's last view of n3: the dead at 40 s (line 16).
    CHECK(has_evidence(r, "n2", 16, "n2 still sees n3 dead (inc 0) (expected alive)"));
    CHECK(r.metrics["changes"][0]["lags"]["n2"].is_null());
}

TEST_CASE("partition_healing fails when healing takes longer than the bound") {
    HB b = long_split();
    b.at(65).mesh({"n1", "n2", "n3"}, {"n1", "n2", "n3"}, "alive", 1);
    b.at(150).end();
    CHECK(check_lan("partition_healing", b.history()).verdict == Verdict::Pass);
    CheckResult r = check_lan("partition_healing", b.history(), {{"bound", "probe_interval * 2"}});
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.bound == json({{"expr", "probe_interval * 2"}, {"value", 2.0}}));
    CHECK(r.reason.find("converged after 5 s") != std::string::npos);
}

TEST_CASE("two nodes that joined separately through one seed find each other after the heal") {
    auto build = [](bool found) {
        HB b;
        b.at(0).run_start({"s", "a", "b"}).start("s");
        b.at(1).partition({{"a", {"b"}}, {"b", {"a"}}});
        b.at(1.1).start("a").start("b");
        b.at(1.5)
            .mesh({"s"}, {"a", "b"}, "alive")
            .member("a", "s", "alive")
            .member("b", "s", "alive");
        b.at(10).heal();
        b.at(12).member("a", "b", "alive");
        if (found) b.member("b", "a", "alive");
        b.at(90).end();
        return b;
    };
    CHECK(check_lan("partition_healing", build(true).history()).verdict == Verdict::Pass);
    HB b = build(false);
    CheckResult r = check_lan("partition_healing", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(has_evidence(r, "b", 13, "b still sees a absent"));  // 13: the heal line
}

TEST_CASE("partition_healing is unknown without a heal") {
    HB b = cluster();
    b.at(5).split({"n1"}, {"n2", "n3"});
    b.at(10).end();
    CheckResult r = check_lan("partition_healing", b.history());
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.reason == "nothing to check: no heal in this history");
}

TEST_CASE("without a reconnect mechanism a split that never heals fails, with who never saw whom") {
    // memberlist's case: reconnect_interval is null. The heal is judged by push-pull (the
    // members still known), and a pair that never sees each other again is a failure.
    json profile = lan_profile();
    profile["reconnect_interval"] = nullptr;
    HB b = long_split();
    uint32_t heal = uint32_t(b.line());
    b.at(61).mesh({"n3"}, {"n1", "n2"}, "alive", 1);
    b.at(62).member("n1", "n3", "alive", 1);
    b.at(150).end();
    History h = b.history();
    Context ctx{h, json::object(), profile, {}};
    CheckResult r = run_check("partition_healing", ctx, json::object());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.bound["expr"] ==
          "2 * push_pull_interval + 2 * probe_interval + 2 * retransmits * gossip_interval");
    CHECK(r.bound["value"].get<double>() == Approx(60 + 2 + 1.6));
    CHECK(has_evidence(r, "", heal, "partition healed"));
    CHECK(has_evidence(r, "n2", 16, "n2 still sees n3 dead (inc 0) (expected alive)"));

    // The same heal completed within push-pull passes.
    HB ok = long_split();
    ok.at(61).mesh({"n3"}, {"n1", "n2"}, "alive", 1);
    ok.at(62).mesh({"n1", "n2"}, {"n3"}, "alive", 1);
    ok.at(150).end();
    History hok = ok.history();
    Context okctx{hok, json::object(), profile, {}};
    CHECK(run_check("partition_healing", okctx, json::object()).verdict == Verdict::Pass);
}
