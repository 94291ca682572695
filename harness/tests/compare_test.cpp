// `gossiplab compare`: two suite directories made of report.json files, with a verdict
// regression, a metric regression, noise under the threshold, an improvement and a scenario
// missing from NEW; then the CLI's exit codes and files.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "gossiplab/harness/compare.hpp"
#include "gossiplab/harness/scenario.hpp"

namespace fs = std::filesystem;
using gossiplab::harness::CheckDelta;
using gossiplab::harness::compare_suites;
using nlohmann::json;

namespace {

struct Suites {
    fs::path dir = fs::temp_directory_path() / ("gossiplab-compare-" + std::to_string(::getpid()));
    Suites() {
        fs::remove_all(dir);
        run("base", "crash-detect", json::array({detection("pass", 1.6)}));
        run("new", "crash-detect",
            json::array({detection("pass", 2.6)}));  // (2.6+.5)/(1.6+.5) = 1.48
        run("base", "rumor-dissemination", json::array({dissemination("pass", 0.3)}));
        run("new", "rumor-dissemination", json::array({dissemination("fail", 2.9)}));
        run("base", "join-all", json::array({convergence("pass", 0.20)}));
        run("new", "join-all", json::array({convergence("pass", 0.24)}));  // 0.44/0.40 = 1.1: noise
        run("base", "pause-refute",
            json::array({{{"check", "suspicion_refutation"}, {"verdict", "fail"}}}));
        run("new", "pause-refute",
            json::array({{{"check", "suspicion_refutation"}, {"verdict", "pass"}}}));
        run("base", "graceful-leave", json::array({convergence("pass", 0.1)}));
    }
    ~Suites() { fs::remove_all(dir); }
    void run(const std::string& suite, const std::string& name, const json& checks) {
        fs::create_directories(dir / suite / name);
        std::ofstream(dir / suite / name / "report.json") << json{{"checks", checks}}.dump();
    }
    static json detection(const char* v, double periods) {
        return {{"check", "failure_detection"},
                {"verdict", v},
                {"metrics", {{"mean_first_detection_periods", periods}}}};
    }
    static json dissemination(const char* v, double p100) {
        return {{"check", "dissemination"},
                {"verdict", v},
                {"metrics", {{"rumors", {{{"p100", p100}}}}, {"msgs_per_rumor", 40}}}};
    }
    static json convergence(const char* v, double s) {
        return {{"check", "membership_convergence"},
                {"verdict", v},
                {"metrics", {{"changes", {{{"convergence", s}}, {{"convergence", nullptr}}}}}}};
    }
};

const CheckDelta& row(const gossiplab::harness::Comparison& c, const std::string& scenario) {
    for (const auto& r : c.rows)
        if (r.scenario == scenario) return r;
    FAIL("no row for " << scenario);
    throw;
}

}  // namespace

TEST_CASE("compare finds verdict and metric regressions but not noise") {
    Suites s;
    auto c = compare_suites(s.dir / "base", s.dir / "new", 0.25);
    CHECK(c.regressed());
    CHECK(c.count(CheckDelta::Change::Regression) == 2);
    const auto& diss = row(c, "rumor-dissemination");
    CHECK(diss.change == CheckDelta::Change::Regression);
    CHECK(diss.why == "verdict pass -> fail");
    REQUIRE(diss.metrics.size() == 2);
    CHECK(diss.metrics[0].name == "time_to_all_s");
    CHECK(diss.metrics[0].ratio.value() == Approx(3.1 / 0.5));
    CHECK_FALSE(diss.metrics[0].regression);  // it failed: the verdict says it, not the ratio
    const auto& det = row(c, "crash-detect");
    CHECK(det.change == CheckDelta::Change::Regression);
    CHECK_THAT(det.why, Catch::Contains("detection_periods 1.6 -> 2.6 periods (x1.48)"));
    CHECK(row(c, "join-all").change == CheckDelta::Change::Same);
    CHECK(row(c, "join-all").metrics.at(0).ratio.value() == Approx(0.44 / 0.40));
    CHECK(row(c, "pause-refute").change == CheckDelta::Change::Improvement);
    CHECK(row(c, "graceful-leave").change == CheckDelta::Change::Missing);

    SECTION("the default threshold (100 %) leaves only the verdict regression") {
        auto lax = compare_suites(s.dir / "base", s.dir / "new");
        CHECK(lax.count(CheckDelta::Change::Regression) == 1);
        CHECK(row(lax, "crash-detect").change == CheckDelta::Change::Same);
    }
    SECTION("the outputs name each regression") {
        const std::string table = gossiplab::harness::format_comparison(c);
        CHECK_THAT(table,
                   Catch::Contains("REGRESSION: verdict pass -> fail") &&
                       Catch::Contains("compare: REGRESSION (2 regressions, 1 improvements"));
        const std::string junit = gossiplab::harness::comparison_junit(c);
        CHECK_THAT(junit, Catch::Contains("tests=\"5\" failures=\"2\"") &&
                              Catch::Contains("<failure message=\"verdict pass -&gt; fail\"") &&
                              Catch::Contains("<skipped"));
        CHECK_THAT(gossiplab::harness::comparison_html(c),
                   Catch::Contains("<tr class=\"REGRESSION\">") &&
                       Catch::Contains("href=\"crash-detect/report.html\""));
    }
    SECTION("a directory without runs is bad input") {
        CHECK_THROWS_AS(compare_suites(s.dir, s.dir / "new"), gossiplab::harness::ScenarioError);
    }
}

TEST_CASE("compare CLI exits 1 on a regression and writes its files beside the index") {
    Suites s;
    const std::string gl = std::string(std::getenv("GOSSIPLAB_BIN")) + "/gossiplab";
    auto run = [&](const std::string& args) {
        int rc = std::system((gl + " compare " + args + " >/dev/null 2>&1").c_str());
        return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    };
    const std::string base = (s.dir / "base").string(), now = (s.dir / "new").string();
    CHECK(run(base + " " + now) == 1);
    CHECK(fs::exists(s.dir / "new/compare.html"));
    CHECK(fs::exists(s.dir / "new/compare-junit.xml"));
    CHECK(run(base + " " + base + " --out " + (s.dir / "same").string()) == 0);
    CHECK(fs::exists(s.dir / "same/compare.html"));
    CHECK(run(base) == 2);
}
