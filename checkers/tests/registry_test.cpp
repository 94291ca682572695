// The registry: names, containment of errors, composition, and check_run_dir.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

TEST_CASE("the registry names every checker of the issue") {
    auto names = check_names();
    CHECK(names.size() == 15);
    for (const char* n :
         {"membership_convergence", "failure_detection", "accuracy", "suspicion_refutation",
          "partition_healing", "dissemination", "message_load", "history_wellformed", "run_health",
          "faults_landed", "latency", "state_convergence", "local_health", "exercised",
          "input_validation"})
        CHECK(std::find(names.begin(), names.end(), n) != names.end());
    // The two checks of the run's own soundness come first.
    REQUIRE(names.size() >= 2);
    CHECK(names[0] == "history_wellformed");
    CHECK(names[1] == "run_health");
}

TEST_CASE("errors become unknown, never exceptions") {
    History h = cluster().history();
    CheckResult a = check("no_such_check", h);
    CHECK(a.verdict == Verdict::Unknown);
    CHECK(a.reason.find("no checker named \"no_such_check\"") == 0);
    CheckResult b = check("accuracy", h, {{"bound", json::array()}});
    CHECK(b.verdict == Verdict::Unknown);
    CHECK(b.reason.find("option \"bound\"") != std::string::npos);
    CheckResult c = check("accuracy", h, json(42));
    CHECK(c.verdict == Verdict::Unknown);
    Context ctx{h, json::object(), lan_profile(), all_features()};
    auto bad = run_checks(ctx, json::array());
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].verdict == Verdict::Unknown);
    CHECK(run_checks(ctx, nullptr).size() == 15);
    auto some = run_checks(ctx, {{"accuracy", nullptr}, {"history_wellformed", json::object()}});
    REQUIRE(some.size() == 2);
    CHECK(some[0].to_json()["check"] == "accuracy");
}

TEST_CASE("a Context derives the truth once and shares it between checks and threads") {
    HB b = cluster();
    b.at(2).kill("n3").at(3).split({"n1"}, {"n2"}).at(9).end();
    History h = b.history();
    Context ctx{h, json::object(), lan_profile(), all_features()};
    std::vector<const gossiplab::history::Truth*> seen(8, nullptr);
    std::vector<json> results(8);
    {
        std::vector<std::thread> threads;
        for (size_t i = 0; i < seen.size(); ++i)
            threads.emplace_back([&, i] {
                seen[i] = &ctx.truth();
                results[i] = run_check(i % 2 ? "failure_detection" : "accuracy", ctx, {}).to_json();
            });
        for (auto& t : threads) t.join();
    }
    for (const auto* t : seen) CHECK(t == seen[0]);
    const Context copy = ctx;
    CHECK(&copy.truth() == seen[0]);
    CHECK(seen[0]->lives[h.find("n3")].at(0).how == gossiplab::history::EndHow::killed);
    CHECK(seen[0]->epochs.size() == 1);
    // The same answers as checks that each derive the truth on a fresh Context.
    for (size_t i = 0; i < results.size(); ++i) {
        Context fresh{h, json::object(), lan_profile(), all_features()};
        CHECK(results[i] ==
              run_check(i % 2 ? "failure_detection" : "accuracy", fresh, {}).to_json());
    }
}

TEST_CASE("verdicts compose: fail > unknown > pass") {
    using V = Verdict;
    CHECK(compose({V::Pass, V::Pass}) == V::Pass);
    CHECK(compose({V::Pass, V::Unknown}) == V::Unknown);
    CHECK(compose({V::Unknown, V::Fail, V::Pass}) == V::Fail);
    CHECK(compose({}) == V::Unknown);  // nothing was checked (docs/checkers.md)
}

TEST_CASE("verdicts keep their report.json spelling") {
    for (Verdict v : {Verdict::Pass, Verdict::Fail, Verdict::Unknown}) {
        CHECK(verdict_from_string(to_string(v)) == v);
        CHECK(json(v) == to_string(v));
    }
    CHECK(to_string(Verdict::Pass) == "pass");
    CHECK(to_string(Verdict::Fail) == "fail");
    CHECK(to_string(Verdict::Unknown) == "unknown");
    CHECK_FALSE(verdict_from_string("maybe").has_value());
    CHECK_FALSE(verdict_from_string("PASS").has_value());
    CHECK_FALSE(verdict_from_string("").has_value());
}

TEST_CASE("check_run_dir re-judges a recorded run") {
    auto dir = std::filesystem::temp_directory_path() / "gossiplab_checkers_run_dir_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    HB b = cluster();
    b.at(5).kill("n3");
    b.at(6).mesh({"n1", "n2"}, {"n3"}, "dead");
    b.at(40).end();
    std::ofstream(dir / "history.jsonl") << b.text();
    std::ofstream(dir / "scenario.json") << json{
        {"name", "t"},
        {"nodes", {"n1", "n2", "n3"}},
        {"seeds", {"n1"}},
        {"duration", 40},
        {"checks",
         {{"failure_detection", {{"bound", "2 * probe_interval"}}},
          {"history_wellformed",
           json::object()}}}}.dump();
    SECTION("a complete run directory") {
        std::ofstream(dir / "impl.json") << json{
            {"name", "reference"},
            {"profile", lan_profile()},
            {"features", all_features()}}.dump();
        json out = check_run_dir(dir);
        INFO(out.dump(1));
        CHECK(out["verdict"] == "pass");
        REQUIRE(out["checks"].size() == 3);  // run_health is added, last
        CHECK(out["checks"][0]["check"] == "failure_detection");
        CHECK(out["checks"][2]["check"] == "run_health");
        CHECK(out["checks"][2]["verdict"] == "pass");
        // The guarantee (the model plus two push-pull periods) decides; the model is reported.
        CHECK(out["checks"][0]["bound"]["value"] == 62.0);
        CHECK(out["checks"][0]["measured"] == 1.0);
        CHECK(out["checks"][0]["model"]["items"] == 1);
        CHECK(out["checks"][0]["model"]["misses"] == 0);
    }
    SECTION("a missing or broken impl.json is bad input naming the file") {
        std::ofstream(dir / "impl.json") << "[1,2";
        try {
            check_run_dir(dir);
            FAIL("no exception");
        } catch (const HistoryError& e) {
            CHECK(std::string(e.what()).find("impl.json:0: not a JSON object") !=
                  std::string::npos);
        }
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("a misspelt option is bad input, not silently ignored") {
    History h = cluster().history();
    CheckResult r = check("accuracy", h, {{"bund", 3}});
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.reason ==
          "\"bund\" is not an option of accuracy (expected one of: bound, max_evidence, lookback, "
          "max_false_suspicions)");
    CHECK(check("accuracy", h, {{"bound", 3}, {"lookback", 10}}).verdict == Verdict::Pass);
}

TEST_CASE("check_run_dir names a missing history") {
    auto dir = std::filesystem::temp_directory_path() / "gossiplab_checkers_empty_run_dir";
    std::filesystem::create_directories(dir);
    try {
        check_run_dir(dir);
        FAIL("no exception");
    } catch (const HistoryError& e) {
        CHECK(std::string(e.what()).find("history.jsonl:0: cannot open") != std::string::npos);
    }
    std::filesystem::remove_all(dir);
}

TEST_CASE("a check that failed on a starved lab is the environment's: unknown, and said why") {
    auto dir = std::filesystem::temp_directory_path() / "gossiplab_checkers_starved_test";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto write = [&](double wait) {
        HB b = cluster();
        b.at(1).action("load", {{"interval", 1.0},
                                {"controller_lag", 0.001},
                                {"engine_lag", 0.0},
                                {"cpu_pressure", 1.0},
                                {"node_wait", {{"n2", wait}}}});
        b.at(9).mesh({"n1"}, {"n3"}, "dead");  // n3 is alive: a false death
        b.at(40).end();
        std::ofstream(dir / "history.jsonl") << b.text();
        std::ofstream(dir / "scenario.json")
            << json{{"name", "t"},
                    {"checks",
                     {{"accuracy", json::object()}, {"history_wellformed", json::object()}}}}
                   .dump();
        std::ofstream(dir / "impl.json") << json{
            {"name", "reference"},
            {"profile", lan_profile()},
            {"features", all_features()}}.dump();
    };
    SECTION("starved: the failure becomes unknown, with the worst sample in its reason") {
        write(0.8);  // n2 waited 800 ms of the second for a CPU: the limit is 500 ms
        json out = check_run_dir(dir);
        INFO(out.dump(1));
        CHECK(out["verdict"] == "unknown");
        REQUIRE(out["starved"].is_object());
        CHECK(out["starved"]["checks"] == json::array({"accuracy"}));
        const std::string why =
            "the lab was starved: n2 waited 800 ms for a CPU in the second before t = 1.000 s "
            "(limit 500 ms); 1 of 1 load sample(s) reached the limit";
        CHECK(out["starved"]["reason"] == why);
        const json& fd = out["checks"][0];
        CHECK(fd["check"] == "accuracy");
        CHECK(fd["verdict"] == "unknown");
        CHECK(fd["metrics"]["environment"] == true);
        CHECK(fd["reason"].get<std::string>().rfind(
                  "environment: " + why + "; the check had failed: ", 0) == 0);
        CHECK_FALSE(fd["evidence"].empty());  // the failure's evidence is kept
        CHECK(out["checks"][1]["verdict"] == "pass");
        CHECK(out["checks"][2]["check"] == "run_health");
        CHECK(out["checks"][2]["verdict"] == "pass");
    }
    SECTION("not starved: the failure stands") {
        write(0.2);
        json out = check_run_dir(dir);
        CHECK(out["verdict"] == "fail");
        CHECK(out["starved"].is_null());
        CHECK(out["checks"][0]["verdict"] == "fail");
        CHECK_FALSE(out["checks"][0]["metrics"].contains("environment"));
    }
    std::filesystem::remove_all(dir);
}
