// dissemination on hand-made histories: delivered, missing, duplicated, not accepted, partitions.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

HB rumor_run(bool n3_gets_it) {
    HB b = cluster();
    b.at(5).broadcast("n1", "r1");
    b.at(5.0).rumor("n1", "r1", "n1");
    b.at(5.1).rumor("n2", "r1", "n1");
    if (n3_gets_it) b.at(5.2).rumor("n3", "r1", "n1");
    b.at(10).counters("n1", 100, 1000).counters("n2", 50, 500);
    b.at(20).end();
    return b;
}

}  // namespace

TEST_CASE("dissemination passes when every live node gets the rumor in time") {
    CheckResult r = check("dissemination", rumor_run(true).history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    const json& it = r.metrics["rumors"][0];
    CHECK(it["targets"] == 2);
    CHECK(it["first"].get<double>() == Approx(0.1));
    CHECK(it["p50"].get<double>() == Approx(0.1));
    CHECK(it["p100"].get<double>() == Approx(0.2));
    CHECK(it["delivery_ratio"] == 1.0);
    CHECK(it["expected"].get<double>() == Approx((std::log(3) / std::log(3) + std::log(3)) * 0.2));
    CHECK(r.metrics["msgs_per_rumor"].get<double>() == Approx(150));
    CHECK(r.measured.get<double>() == Approx(0.2));
}

TEST_CASE("dissemination fails when a live connected node never gets the rumor") {
    HB b = rumor_run(false);
    CheckResult r = check("dissemination", b.history());
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("reached 1 of 2") != std::string::npos);
    CHECK(has_evidence(r, "n3", 14, "n3 never got r1"));  // 14: the broadcast line
    CHECK(r.metrics["rumors"][0]["p100"].is_null());
}

TEST_CASE("dissemination fails on late delivery, duplicates and an origin that never accepted") {
    HB late = cluster();
    late.at(5).broadcast("n1", "r1").rumor("n1", "r1", "n1").rumor("n2", "r1", "n1");
    late.at(9).rumor("n3", "r1", "n1");
    uint32_t late_line = uint32_t(late.line());
    late.at(20).end();
    CheckResult l = check("dissemination", late.history());
    CHECK(l.verdict == Verdict::Fail);
    CHECK(has_evidence(l, "n3", late_line, "n3 got r1 only after 4 s"));

    HB dup = rumor_run(true);
    dup.rumor("n2", "r1", "n1");
    uint32_t dup_line = uint32_t(dup.line());
    CheckResult d = check("dissemination", dup.history());
    CHECK(d.verdict == Verdict::Fail);
    CHECK(has_evidence(d, "n2", dup_line, "delivered r1 again"));
    CHECK(d.metrics["duplicates"] == 1);
    CHECK(check("dissemination", dup.history(), {{"max_duplicates", 1}}).verdict == Verdict::Pass);

    HB silent = cluster();
    silent.at(5).broadcast("n1", "r1");
    uint32_t bc = uint32_t(silent.line());
    silent.rumor("n2", "r1", "n1").rumor("n3", "r1", "n1");
    silent.at(20).end();
    CheckResult s = check("dissemination", silent.history());
    CHECK(s.verdict == Verdict::Fail);
    CHECK(has_evidence(s, "n1", bc, "never printed r1"));
}

TEST_CASE("nodes cut off from the origin are not targets") {
    HB b = cluster();
    b.at(4).split({"n1", "n2"}, {"n3"});
    b.at(5).broadcast("n1", "r1").rumor("n1", "r1", "n1").rumor("n2", "r1", "n1");
    b.at(20).end();
    CheckResult r = check("dissemination", b.history());
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["rumors"][0]["targets"] == 1);
}

TEST_CASE("a node that was not yet a member when the rumor was sent is not a target") {
    // n3's process is launched at 0.2 s but prints `started` (ready, a member) only at
    // `ready`; the rumor goes out at 5 s and never reaches n3.
    uint32_t bc = 0;  // the broadcast's line
    auto run = [&bc](double ready) {
        HB b;
        b.at(0).run_start({"n1", "n2", "n3"}).start("n1").start("n2");
        b.at(0.2).action("node_start", {{"node", "n3"},
                                        {"pid", 100},
                                        {"addr", "198.18.0.4:7946"},
                                        {"seeds", json::array()},
                                        {"restart", false}});
        b.at(ready).event("n3",
                          {{"type", "started"}, {"id", "n3"}, {"incarnation", 0}, {"contract", 1}});
        b.at(5).broadcast("n1", "r1");
        bc = uint32_t(b.line());
        b.rumor("n1", "r1", "n1");
        b.at(5.1).rumor("n2", "r1", "n1");
        b.at(20).end();
        return b;
    };
    CheckResult late = check("dissemination", run(6).history());
    INFO(late.to_json().dump(1));
    CHECK(late.verdict == Verdict::Pass);
    CHECK(late.metrics["rumors"][0]["targets"] == 1);
    CheckResult lat = check("latency", run(6).history());
    CHECK(lat.metrics["rumors"][0]["targets"] == 1);
    // A member before the broadcast is obliged: n3 never got it.
    CheckResult early = check("dissemination", run(4.9).history());
    CHECK(early.verdict == Verdict::Fail);
    CHECK(early.reason.find("reached 1 of 2") != std::string::npos);
    CHECK(has_evidence(early, "n3", bc, "n3 never got r1"));

    // An origin told to broadcast before it was a member obliges nobody.
    HB b;
    b.at(0).run_start({"n1", "n2"}).start("n1");
    b.at(0.2).action("node_start", {{"node", "n2"},
                                    {"pid", 100},
                                    {"addr", "198.18.0.3:7946"},
                                    {"seeds", json::array()},
                                    {"restart", false}});
    b.at(5).broadcast("n2", "r1").rumor("n2", "r1", "n2");
    b.at(6).event("n2", {{"type", "started"}, {"id", "n2"}, {"incarnation", 0}, {"contract", 1}});
    b.at(20).end();
    CheckResult orphan = check("dissemination", b.history());
    INFO(orphan.to_json().dump(1));
    CHECK(orphan.verdict == Verdict::Pass);
    CHECK(orphan.metrics["rumors"][0]["targets"] == 0);
}

TEST_CASE("dissemination is unknown without broadcasts or without the rumors feature") {
    HB b = cluster();
    b.at(10).end();
    CHECK(check("dissemination", b.history()).verdict == Verdict::Unknown);
    CheckResult r = check("dissemination", rumor_run(true).history(), json::object(), {"counters"});
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.reason.find("rumors feature") != std::string::npos);
    CheckResult m =
        check("dissemination", rumor_run(true).history(), {{"max_msgs_per_rumor", 10}}, {"rumors"});
    CHECK(m.verdict == Verdict::Unknown);
    CHECK(check("dissemination", rumor_run(true).history(), {{"max_msgs_per_rumor", 10}}).verdict ==
          Verdict::Fail);
}

TEST_CASE("a repeated broadcast must be refused with an error that names the rumor") {
    auto run = [](const json& answer) {
        HB b = rumor_run(true);
        b.at(12).broadcast("n1", "r1");
        const auto bc = uint32_t(b.line());
        if (!answer.is_null()) b.at(12.001).event("n1", answer);
        b.at(20).end();
        return std::make_pair(check("dissemination", b.history()), bc);
    };
    // Refused, naming the rumor: a pass, and the repeat is not judged as a new rumor.
    auto [ok, ok_line] =
        run({{"type", "error"}, {"message", "broadcast: rumor 'r1' was already broadcast"}});
    INFO(ok.to_json().dump(1));
    CHECK(ok.verdict == Verdict::Pass);
    CHECK(ok.metrics["count"] == 1);
    REQUIRE(ok.metrics["repeated_broadcasts"].size() == 1);
    CHECK(ok.metrics["repeated_broadcasts"][0]["refused"] == true);
    CHECK(ok.metrics["repeated_broadcasts"][0]["ref"] == ok_line);

    // Accepted: no error at all.
    auto [acc, acc_line] = run(nullptr);
    INFO(acc.to_json().dump(1));
    CHECK(acc.verdict == Verdict::Fail);
    CHECK(acc.reason.find("second broadcast of rumor r1 by n1 at 12 s: accepted") !=
          std::string::npos);
    CHECK(has_evidence(acc, "n1", acc_line, "printed no error for the repeated broadcast of r1"));
    CHECK(acc.metrics["repeated_broadcasts"][0]["refused"] == false);

    // Refused without saying what: the error must name the rumor it refuses.
    auto [mute, mute_line] = run({{"type", "error"}, {"message", "broadcast: "}});
    INFO(mute.to_json().dump(1));
    CHECK(mute.verdict == Verdict::Fail);
    CHECK(mute.reason.find("refused without naming the rumor") != std::string::npos);
    CHECK(has_evidence(mute, "n1", mute_line + 1, "does not name r1: \"broadcast: \""));

    // A node killed right after the command owes no answer: unknown, not a failure.
    HB dead = rumor_run(true);
    dead.at(12).broadcast("n1", "r1");
    dead.at(12.2).kill("n1");
    dead.at(20).end();
    CheckResult k = check("dissemination", dead.history());
    INFO(k.to_json().dump(1));
    CHECK(k.verdict == Verdict::Unknown);
    CHECK(k.reason.find("n1 was not running throughout") != std::string::npos);

    // Accepted and spread again: the second delivery is a duplicate of the first broadcast's.
    HB again = rumor_run(true);
    again.at(12).broadcast("n1", "r1").rumor("n1", "r1", "n1");
    again.at(20).end();
    CheckResult d = check("dissemination", again.history());
    CHECK(d.verdict == Verdict::Fail);
    CHECK(d.metrics["duplicates"] == 1);
}
