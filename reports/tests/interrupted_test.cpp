// A run that did not finish: report.json, report.html and junit.xml mark it interrupted with
// the time of its last line and never pass it, also when the report is made afterwards from
// the history of a run whose controller was killed (recorded_run_info).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "gossiplab/checkers/checkers.hpp"
#include "gossiplab/reports/report.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace gossiplab::reports;

namespace {

struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& tag) {
        path = fs::temp_directory_path() /
               ("gossiplab-interrupted-" + tag + "-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

json check(const std::string& name, const std::string& verdict, json metrics = json::object()) {
    return {{"check", name},
            {"verdict", verdict},
            {"reason", name + " says " + verdict},
            {"bound", nullptr},
            {"measured", 0},
            {"metrics", std::move(metrics)},
            {"evidence", json::array()}};
}

RunInfo run_with(json health_metrics) {
    RunInfo info;
    info.scenario_name = "cut";
    info.impl = "reference";
    info.checks = json::array(
        {check("convergence", "pass"),
         check("run_health", health_metrics.value("interrupted", false) ? "unknown" : "pass",
               health_metrics)});
    return info;
}

}  // namespace

TEST_CASE("an interrupted run is marked in report.json with its last time, and never passes") {
    RunInfo info = run_with({{"interrupted", true}, {"last_t", 5.25}, {"problems", 0}});
    info.verdict = gossiplab::checkers::Verdict::Pass;  // a caller's verdict cannot pass it
    const json r = build_report(info);
    REQUIRE(r["interrupted"].is_object());
    CHECK(r["interrupted"]["last_t"] == 5.25);
    CHECK(r["interrupted"]["reason"] == "run_health says unknown");
    CHECK(r["verdict"] == "unknown");

    const json done = build_report(run_with({{"interrupted", false}, {"problems", 0}}));
    CHECK(done["interrupted"].is_null());
    CHECK(done["verdict"] == "pass");
}

TEST_CASE("junit.xml gives an interrupted run an error test case and its last time") {
    TempDir d("junit");
    write_run_reports(d.path, run_with({{"interrupted", true}, {"last_t", 5.25}}));
    const std::string xml = slurp(d.path / "junit.xml");
    INFO(xml);
    CHECK(count(xml, "<error ") == 1);
    CHECK(xml.find("type=\"interrupted\"") != std::string::npos);
    CHECK(xml.find("interrupted: the last line recorded is at t = 5.25 s") != std::string::npos);
    CHECK(xml.find("<property name=\"last_t\" value=\"5.25\"/>") != std::string::npos);
    CHECK(xml.find("errors=\"1\"") != std::string::npos);
    CHECK(xml.find("tests=\"3\"") != std::string::npos);  // two checks and the run
    const std::string html = slurp(d.path / "report.html");
    CHECK(html.find("id=\"interrupted\"") != std::string::npos);
    CHECK(html.find("the last line recorded is at t = 5.25 s") != std::string::npos);

    TempDir f("finished");
    write_run_reports(f.path, run_with({{"interrupted", false}}));
    CHECK(count(slurp(f.path / "junit.xml"), "<error ") == 0);
    CHECK(slurp(f.path / "report.html").find("id=\"interrupted\"") == std::string::npos);
}

TEST_CASE("a run whose controller was killed gets its reports from its own files") {
    // A real recorded run (reports/tests/data/churn) cut after line 400, as a SIGKILL leaves it:
    // no run_end, no report.json.
    const fs::path data = fs::path(GOSSIPLAB_SOURCE_DIR) / "reports/tests/data/churn";
    TempDir d("killed");
    fs::copy_file(data / "scenario.json", d.path / "scenario.json");
    std::ifstream in(data / "history.jsonl");
    std::ofstream out(d.path / "history.jsonl");
    double last_t = 0;
    json start;
    std::string line;
    for (int i = 0; i < 400 && std::getline(in, line); ++i) {
        json j = json::parse(line);
        if (j.value("action", "") == "run_start") {
            j["command"] = "gossiplab run scenarios/churn.json --seed 3";
            start = j;
        }
        last_t = std::max(last_t, j["t"].get<double>());
        out << j.dump() << "\n";
    }
    out.close();
    REQUIRE(start.is_object());
    std::ofstream(d.path / "impl.json") << json{
        {"name", "reference"},
        {"profile_name", "fast"},
        {"profile", start["profile"]},
        {"features", {"rumors"}}}.dump();

    const json checked = gossiplab::checkers::check_run_dir(d.path);
    std::vector<std::string> notes;
    const RunInfo info = recorded_run_info(d.path, checked["checks"], &notes);
    REQUIRE(notes.size() == 1);  // environment.json is missing, and said so
    CHECK(notes[0].find("environment.json: missing") != std::string::npos);
    CHECK(info.scenario_name == "churn");
    CHECK(info.impl == "reference");
    CHECK(info.profile["name"] == "fast");
    CHECK(info.seed == start["seed"].get<uint64_t>());
    CHECK(info.command == "gossiplab run scenarios/churn.json --seed 3");
    CHECK(info.duration_s == Approx(last_t));

    write_run_reports(d.path, info);
    const json r = json::parse(slurp(d.path / "report.json"));
    REQUIRE(r["interrupted"].is_object());
    CHECK(r["interrupted"]["last_t"].get<double>() == Approx(last_t));
    CHECK(r["verdict"] != "pass");
    CHECK(slurp(d.path / "junit.xml").find("type=\"interrupted\"") != std::string::npos);
}

// The same mistake bench/fuzz/fuzz_manifest found in impl.json's loader: nlohmann::json throws
// out_of_range, not parse_error, for a number too big for a double.
TEST_CASE("render_run names report.json when a number in it is too big for a double") {
    TempDir d("bignum");
    std::ofstream(d.path / "report.json") << R"({"schema_version": 1e99999})";
    CHECK_THROWS_WITH(render_run(d.path),
                      Catch::Contains("report.json: not JSON") && Catch::Contains("overflow"));
}
