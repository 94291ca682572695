// exercised on hand-made histories: each mechanism seen (pass, with the line that shows it),
// not seen (unknown: "not exercised: X"), and not judged where the implementation cannot show it.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

CheckResult judge(const History& h, const json& exercises,
                  std::vector<std::string> features = all_features()) {
    Context ctx{h, json{{"exercises", exercises}}, lan_profile(), std::move(features)};
    return run_check("exercised", ctx, json::object());
}

// n3 paused 5..7; n1 suspects it at 6 (inc 0).
HB suspected() {
    HB b = cluster();
    b.at(5).pause("n3");
    b.at(6).member("n1", "n3", "suspect", 0);
    b.at(7).resume("n3");
    return b;
}

// n3 restarts at 10 and starts at incarnation `inc`; n1 had seen it at 5 before.
HB restarted(int64_t inc) {
    HB b = cluster();
    b.at(2).member("n1", "n3", "alive", 5);
    b.at(10).action("restart", {{"node", "n3"}});
    b.action("node_exit",
             {{"node", "n3"}, {"status", nullptr}, {"signal", "SIGKILL"}, {"expected", true}});
    b.action("node_start", {{"node", "n3"},
                            {"pid", 101},
                            {"addr", "198.18.0.4:7946"},
                            {"seeds", json::array()},
                            {"restart", true}});
    b.event("n3", {{"type", "started"}, {"id", "n3"}, {"incarnation", inc}, {"contract", 1}});
    return b;
}

}  // namespace

TEST_CASE("a suspicion refuted at a higher incarnation is exercised, with the line that shows it") {
    HB b = suspected();
    b.at(7.5).member("n1", "n3", "alive", 1);
    const uint32_t alive = uint32_t(b.line());
    b.at(20).end();
    CheckResult r = judge(b.history(), {"suspicion_raised", "suspicion_refuted"});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.reason == "2 of 2 declared mechanism(s) exercised");
    CHECK(has_evidence(r, "n1", alive,
                       "exercised: suspicion_refuted: n1 saw n3 alive (inc 1) at 7.5 s after "
                       "suspect (inc 0) at 6 s"));
    CHECK(r.metrics["exercised"] == json::array({"suspicion_raised", "suspicion_refuted"}));
}

TEST_CASE("a run in which the declared mechanism never happened is unknown: not exercised") {
    HB quiet = cluster();
    quiet.at(20).end();
    CheckResult r = judge(quiet.history(), {"suspicion_refuted"});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Unknown);
    CHECK_THAT(r.reason, Catch::StartsWith("not exercised: suspicion_refuted"));
    CHECK(has_evidence(r, "", 0, "not exercised: suspicion_refuted (looked for: a node saw"));
    CHECK(r.metrics["not_exercised"] == json::array({"suspicion_refuted"}));

    // Suspected, but alive again only at the same incarnation: not a refutation.
    HB same = suspected();
    same.at(7.5).member("n1", "n3", "alive", 0);
    same.at(20).end();
    CheckResult s = judge(same.history(), {"suspicion_raised", "suspicion_refuted"});
    CHECK(s.verdict == Verdict::Unknown);
    CHECK(s.metrics["exercised"] == json::array({"suspicion_raised"}));

    // Alive at a higher incarnation, but in a new life: a restart outbids, it does not refute.
    HB life = suspected();
    life.at(8).restart("n3");
    life.at(9).member("n1", "n3", "alive", 9);
    life.at(20).end();
    CHECK(judge(life.history(), {"suspicion_refuted"}).verdict == Verdict::Unknown);
}

TEST_CASE("a member declared dead and alive again in the same life is a death reverted") {
    HB b = cluster();
    b.at(5).split({"n1", "n2"}, {"n3"});
    b.at(8).member("n1", "n3", "dead", 0);
    b.at(12).heal();
    b.at(13).member("n1", "n3", "suspect", 0);  // push-pull merges the death as a suspicion
    b.at(13.5).member("n1", "n3", "alive", 1);
    const uint32_t alive = uint32_t(b.line());
    b.at(20).end();
    CheckResult r = judge(b.history(), {"death_declared", "death_reverted"});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(has_evidence(r, "n1", alive, "exercised: death_reverted: n1 saw n3 alive (inc 1)"));

    // Killed, declared dead, restarted: the new life's alive is a rejoin, not a revert.
    HB crash = cluster();
    crash.at(5).kill("n3");
    crash.at(8).member("n1", "n3", "dead", 0);
    crash.at(10).start("n3", true);
    crash.at(11).member("n1", "n3", "alive", 7);
    crash.at(20).end();
    CheckResult c = judge(crash.history(), {"death_declared", "death_reverted"});
    CHECK(c.verdict == Verdict::Unknown);
    CHECK_THAT(c.reason, Catch::StartsWith("not exercised: death_reverted"));
}

TEST_CASE("a restart below what peers remembered, seen alive above it, outbids") {
    HB b = restarted(0);
    b.at(11).member("n1", "n3", "alive", 6);
    const uint32_t alive = uint32_t(b.line());
    b.at(20).end();
    CheckResult r = judge(b.history(), {"restart_outbid"});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(has_evidence(
        r, "n1", alive,
        "exercised: restart_outbid: n3 restarted at inc 0 while peers had seen inc 5; n1 saw "
        "it alive at inc 6"));

    // Seen again only at the remembered incarnation: not outbid.
    HB stuck = restarted(0);
    stuck.at(11).member("n1", "n3", "alive", 5);
    stuck.at(20).end();
    CHECK(judge(stuck.history(), {"restart_outbid"}).verdict == Verdict::Unknown);

    // A restart that starts above what peers saw (the clock floor) never has to outbid.
    HB above = restarted(10);
    above.at(11).member("n1", "n3", "alive", 10);
    above.at(20).end();
    CheckResult a = judge(above.history(), {"restart_outbid"});
    CHECK(a.verdict == Verdict::Unknown);
    CHECK(has_evidence(a, "", 0, "n3 restarted at inc 10, above the 5 its peers had seen"));
}

TEST_CASE("anti-entropy repair is read from the counters, and not judged without them") {
    HB b = cluster();
    b.at(5).event("n2", {{"type", "counters"},
                         {"pkts_sent", 10},
                         {"pkts_recv", 10},
                         {"bytes_sent", 100},
                         {"bytes_recv", 100},
                         {"bad_pkts", 0},
                         {"sync_entries_sent", 0}});
    HB none = b;
    b.at(9).event("n2", {{"type", "counters"},
                         {"pkts_sent", 20},
                         {"pkts_recv", 20},
                         {"bytes_sent", 200},
                         {"bytes_recv", 200},
                         {"bad_pkts", 0},
                         {"sync_entries_sent", 3}});
    const uint32_t line = uint32_t(b.line());
    b.at(20).end();
    std::vector<std::string> f = all_features();
    f.push_back("state");
    CheckResult r = judge(b.history(), {"anti_entropy_repair"}, f);
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(has_evidence(r, "n2", line, "n2 had sent 3 state entries by anti-entropy"));

    none.at(20).end();
    CHECK(judge(none.history(), {"anti_entropy_repair"}, f).verdict == Verdict::Unknown);

    // Counters without the field (Serf: no Merkle anti-entropy): not judged, and said so.
    HB serf = cluster();
    serf.at(5).counters("n2", 10, 100);
    serf.at(20).end();
    CheckResult s = judge(serf.history(), {"anti_entropy_repair"}, f);
    CHECK(s.verdict == Verdict::Pass);
    REQUIRE(s.not_applicable.size() == 1);
    CHECK_THAT(s.not_applicable[0], Catch::Contains("no counters event reports sync_entries_sent"));
    CHECK(has_evidence(s, "", 0, "not judged: anti_entropy_repair"));
}

TEST_CASE("a mechanism the implementation cannot report is not judged rather than unknown") {
    HB quiet = cluster();
    quiet.at(20).end();
    // Serf's adapter prints no suspect events and no incarnations.
    CheckResult r = judge(quiet.history(), {"suspicion_refuted", "death_declared"},
                          {"refute_events", "rumors", "counters", "view", "leave", "state"});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Unknown);  // death_declared is judged, and did not happen
    CHECK(r.metrics["not_judged"] == json::array({"suspicion_refuted"}));
    CHECK(has_evidence(r, "", 0,
                       "not judged: suspicion_refuted: the implementation lacks the feature(s) "
                       "suspicion_events, incarnations that show it"));
    CheckResult only = judge(quiet.history(), {"suspicion_refuted"}, {"rumors"});
    CHECK(only.verdict == Verdict::Pass);
    CHECK(only.reason == "0 of 1 declared mechanism(s) exercised, 1 not judged");
}

TEST_CASE("no declaration passes and says so; a bad declaration is unknown") {
    HB b = cluster();
    b.at(20).end();
    CheckResult r = judge(b.history(), json::array());
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.reason == "the scenario declares no mechanism (\"exercises\")");
    CheckResult bad = judge(b.history(), {"nonsense"});
    CHECK(bad.verdict == Verdict::Unknown);
    CHECK_THAT(bad.reason, Catch::StartsWith("unknown mechanism \"nonsense\" (expected one of: "));
}

TEST_CASE("check_run_dir judges the declared mechanisms whether or not the checks name them") {
    auto dir = std::filesystem::temp_directory_path() / "gossiplab_exercised_run_dir_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    HB b = cluster();
    b.at(20).end();
    std::ofstream(dir / "history.jsonl") << b.text();
    std::ofstream(dir / "scenario.json")
        << json{{"name", "t"},
                {"duration", 20},
                {"exercises", {"death_declared"}},
                {"checks", {{"history_wellformed", json::object()}}}}
               .dump();
    std::ofstream(dir / "impl.json") << json{
        {"name", "reference"},
        {"profile", lan_profile()},
        {"features", all_features()}}.dump();
    json out = check_run_dir(dir);
    INFO(out.dump(1));
    CHECK(out["verdict"] == "unknown");
    bool seen = false;
    for (const auto& c : out["checks"])
        if (c["check"] == "exercised") {
            seen = true;
            CHECK(c["verdict"] == "unknown");
            CHECK_THAT(c["reason"].get<std::string>(),
                       Catch::StartsWith("not exercised: death_declared"));
        }
    CHECK(seen);
    std::filesystem::remove_all(dir);
}
