// The suite without a lab: which scenarios --quick and --only pick, that each is validated
// before any runs and read once, the order and naming of runs (a fake run function stands in
// for the lab), and a sweep's load flatness from the runs' results in memory.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>

#include "gossiplab/harness/suite.hpp"

using namespace gossiplab::harness;
using gossiplab::checkers::Verdict;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A scenarios directory of its own, removed at the end.
struct Dir {
    fs::path path;
    Dir() {
        static int n = 0;
        path = fs::temp_directory_path() /
               ("gossiplab-suite-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~Dir() { fs::remove_all(path); }
    void write(const std::string& file, const std::string& text) const {
        std::ofstream(path / file) << text;
    }
    void scenario(const std::string& stem, const json& doc) const {
        write(stem + ".json", doc.dump(2));
    }
};

json scenario(bool quick = false) {
    json doc = json::parse(R"({
      "name": "t", "description": "d", "duration": 10,
      "cluster": {"nodes": 3, "seeds": ["n1"]},
      "checks": {"history_wellformed": {}}
    })");
    if (quick) doc["quick"] = true;
    return doc;
}

json sweep_scenario(std::vector<int> ns) {
    json doc = scenario();
    doc["sweep"] = ns;
    return doc;
}

fs::path home() {
    return GOSSIPLAB_SOURCE_DIR;  // the real adapters/reference/impl.json
}

std::vector<std::string> stems(const std::vector<SuiteScenario>& plan) {
    std::vector<std::string> out;
    for (const auto& s : plan) out.push_back(s.stem);
    return out;
}

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

// A message_load result as the checker writes it.
json message_load(double per_s, int n) {
    return {{"check", "message_load"},
            {"verdict", "pass"},
            {"measured", per_s},
            {"metrics", {{"N", n}, {"mean_pkts_sent_per_s", per_s}}}};
}

// Stands in for the lab: records each call, answers with a verdict and checks chosen by the
// test (per run directory name), and never touches the disk.
struct FakeRuns {
    struct Call {
        std::string name;  // the run directory's name
        size_t nodes;
        uint64_t seed;
    };
    std::vector<Call> calls;
    std::function<RunOutcome(const std::string& name, const Scenario& sc)> answer =
        [](const std::string&, const Scenario&) {
            return RunOutcome{Verdict::Pass, json::array(), false, {}};
        };
    RunFunction fn() {
        return [this](const Scenario& sc, const fs::path& out) {
            calls.push_back({out.filename().string(), sc.nodes.size(), sc.seed});
            return answer(out.filename().string(), sc);
        };
    }
};

// Hooks by name (the rest left empty).
SuiteHooks hooks_of(std::function<void(size_t, size_t, const std::string&)> started,
                    std::function<void(const SweepResult&)> sweep_done = {},
                    std::function<void()> child_init = {}) {
    SuiteHooks h;
    h.scenario_started = std::move(started);
    h.sweep_done = std::move(sweep_done);
    h.child_init = std::move(child_init);
    return h;
}

}  // namespace

TEST_CASE("the list of --only splits on commas, ignoring empty names") {
    CHECK(split_names("") == std::set<std::string>{});
    CHECK(split_names("a") == std::set<std::string>{"a"});
    CHECK(split_names("b,,a,") == std::set<std::string>{"a", "b"});
}

TEST_CASE("scenario_files lists the directory's JSON files in order") {
    Dir d;
    d.scenario("b", scenario());
    d.scenario("a", scenario());
    d.write("notes.txt", "not a scenario");
    auto files = scenario_files(d.path);
    REQUIRE(files.size() == 2);
    CHECK(files[0].file.filename() == "a.json");
    CHECK(files[1].file.filename() == "b.json");
    CHECK(files[0].doc["name"] == "t");

    d.write("c.json", "[1, 2]");
    CHECK_THAT(error_of([&] { scenario_files(d.path); }),
               Catch::Contains("c.json") && Catch::Contains("not a JSON object"));
    CHECK_THAT(error_of([&] { scenario_files(d.path / "nosuch"); }),
               Catch::Contains("not a directory"));
}

TEST_CASE("quick and only pick the scenarios, and the rest are not even validated") {
    Dir d;
    d.scenario("a-quick", scenario(true));
    d.scenario("b-slow", scenario(false));
    d.scenario("c-quick", scenario(true));
    json broken = scenario(false);
    broken["cluster"]["nodez"] = 1;
    d.scenario("d-broken", broken);

    CHECK(stems(plan_suite(d.path, {true, {}}, {}, home())) ==
          std::vector<std::string>{"a-quick", "c-quick"});
    CHECK(stems(plan_suite(d.path, {false, {"b-slow", "c-quick"}}, {}, home())) ==
          std::vector<std::string>{"b-slow", "c-quick"});
    CHECK(stems(plan_suite(d.path, {true, {"b-slow", "c-quick"}}, {}, home())) ==
          std::vector<std::string>{"c-quick"});

    // Without a filter the broken one is picked, and fails the whole plan before any run.
    CHECK_THAT(error_of([&] { plan_suite(d.path, {}, {}, home()); }),
               Catch::Contains("d-broken.json") && Catch::Contains("/cluster/nodez"));
    CHECK_THAT(error_of([&] {
                   plan_suite(d.path, {false, {"nosuch"}}, {}, home());
               }),
               Catch::Contains("no scenarios selected"));
}

TEST_CASE("the plan checks each scenario's implementation and profile") {
    Dir d;
    d.scenario("a", scenario());
    Overrides ov;
    ov.impl = "nosuch-impl";
    CHECK_THAT(error_of([&] { plan_suite(d.path, {}, ov, home()); }),
               Catch::Contains("nosuch-impl"));
    json bad_profile = scenario();
    bad_profile["cluster"]["profile"] = "nosuch-profile";
    d.scenario("a", bad_profile);
    CHECK_THAT(error_of([&] { plan_suite(d.path, {}, {}, home()); }),
               Catch::Contains("nosuch-profile"));
}

TEST_CASE("the suite runs each scenario once, from memory, in order") {
    Dir d;
    d.scenario("a", scenario());
    d.scenario("b", scenario());
    Overrides ov;
    ov.seed = 7;
    auto plan = plan_suite(d.path, {}, ov, home());
    fs::remove_all(d.path);  // the runs read nothing from the scenarios directory

    FakeRuns fake;
    fake.answer = [](const std::string& name, const Scenario&) {
        return RunOutcome{name == "b" ? Verdict::Fail : Verdict::Pass, json::array(), false, {}};
    };
    std::vector<std::string> started;
    SuiteResult r = run_suite(
        plan, "/suite", fake.fn(), hooks_of([&](size_t i, size_t n, const std::string& stem) {
            started.push_back(std::to_string(i) + "/" + std::to_string(n) + " " + stem);
        }));
    REQUIRE(fake.calls.size() == 2);
    CHECK(fake.calls[0].name == "a");
    CHECK(fake.calls[0].seed == 7);
    CHECK(started == std::vector<std::string>{"0/2 a", "1/2 b"});
    CHECK(r.run_dirs == std::vector<fs::path>{"/suite/a", "/suite/b"});
    REQUIRE(r.verdicts.size() == 2);
    CHECK(r.verdicts[1] == std::pair<std::string, Verdict>{"b", Verdict::Fail});
    CHECK(r.any_fail());
    CHECK_FALSE(r.interrupted);
    CHECK(r.sweeps.empty());
}

TEST_CASE("a scenario that writes state is not applicable to an implementation without it") {
    Dir d;
    json writes = scenario();
    writes["workload"] = {{"writes", {{"per_s", 2}, {"from", 1}, {"until", 3}}}};
    d.scenario("a", scenario());
    d.scenario("b", writes);
    // A contract v1 implementation (Serf and memberlist have `state` now): the reference's
    // manifest without the state features.
    Dir v1;
    json m = json::parse(std::ifstream(home() / "adapters/reference/impl.json"));
    m["contract"] = 1;
    m["features"] = {"suspicion_events", "incarnations", "counters", "view", "leave"};
    v1.write("impl.json", m.dump());
    Overrides ov;
    ov.impl = (v1.path / "impl.json").string();
    auto plan = plan_suite(d.path, {}, ov, home());
    REQUIRE(plan.size() == 2);
    CHECK(plan[0].not_applicable.empty());
    CHECK_THAT(plan[1].not_applicable,
               Catch::Contains("writes application state") && Catch::Contains("`state` feature"));
    FakeRuns fake;
    SuiteResult r = run_suite(plan, "/suite", fake.fn());
    REQUIRE(fake.calls.size() == 1);  // b never runs
    CHECK(fake.calls[0].name == "a");
    REQUIRE(r.not_applicable.size() == 1);
    CHECK(r.not_applicable[0].first == "b");
    CHECK(r.verdicts.size() == 1);

    // The reference declares `state`: both run.
    ov.impl = "reference";
    auto plan2 = plan_suite(d.path, {}, ov, home());
    CHECK(plan2[1].not_applicable.empty());
    FakeRuns fake2;
    CHECK(run_suite(plan2, "/suite", fake2.fn()).not_applicable.empty());
    CHECK(fake2.calls.size() == 2);
}

TEST_CASE("an interrupted run ends the suite") {
    Dir d;
    for (const char* s : {"a", "b", "c"}) d.scenario(s, scenario());
    auto plan = plan_suite(d.path, {}, {}, home());
    FakeRuns fake;
    fake.answer = [](const std::string& name, const Scenario&) {
        return RunOutcome{Verdict::Unknown, json::array(), name == "b", {}};
    };
    SuiteResult r = run_suite(plan, "/suite", fake.fn());
    CHECK(fake.calls.size() == 2);
    CHECK(r.interrupted);
    CHECK_FALSE(r.any_fail());
}

TEST_CASE("a sweep runs once per N and judges load flatness from the runs' results") {
    Dir d;
    d.scenario("s", sweep_scenario({3, 6}));
    auto plan = plan_suite(d.path, {}, {}, home());
    fs::remove_all(d.path);

    FakeRuns fake;
    double load_at_6 = 10.5;  // within 25% of 10
    fake.answer = [&](const std::string&, const Scenario& sc) {
        const int n = static_cast<int>(sc.nodes.size());
        json checks = {message_load(n == 3 ? 10.0 : load_at_6, n),
                       {{"check", "history_wellformed"}, {"verdict", "pass"}}};
        return RunOutcome{Verdict::Pass, checks, false, {}};
    };
    std::vector<SweepResult> done;
    SuiteResult r = run_suite(plan, "/suite", fake.fn(),
                              hooks_of({}, [&](const SweepResult& s) { done.push_back(s); }));
    REQUIRE(fake.calls.size() == 2);
    CHECK(fake.calls[0].name == "s-n3");
    CHECK(fake.calls[0].nodes == 3);
    CHECK(fake.calls[1].name == "s-n6");
    CHECK(fake.calls[1].nodes == 6);
    CHECK(r.run_dirs == std::vector<fs::path>{"/suite/s-n3", "/suite/s-n6"});
    REQUIRE(r.verdicts.size() == 3);
    CHECK(r.verdicts[2] == std::pair<std::string, Verdict>{"s (load flatness)", Verdict::Pass});
    REQUIRE(done.size() == 1);
    REQUIRE(r.sweeps.size() == 1);
    CHECK(r.sweeps[0].details_file() == "s-sweep.json");
    CHECK(r.sweeps[0].load_flatness.check == "load_flatness");

    const json details = r.sweeps[0].to_json();
    REQUIRE(details["runs"].size() == 2);
    CHECK(details["runs"][1]["nodes"] == 6);
    CHECK(details["runs"][1]["run"] == "s-n6");
    CHECK(details["runs"][1]["verdict"] == "pass");
    CHECK(details["runs"][1]["message_load"]["measured"] == 10.5);
    CHECK(details["runs"][1]["history_wellformed"]["measured"].is_null());
    CHECK(details["load_flatness"]["verdict"] == "pass");

    // Load that grows with N fails the sweep, and the suite.
    load_at_6 = 20;
    fake.calls.clear();
    SuiteResult f = run_suite(plan, "/suite", fake.fn());
    CHECK(f.verdicts.back() == std::pair<std::string, Verdict>{"s (load flatness)", Verdict::Fail});
    CHECK(f.any_fail());
}

TEST_CASE("a sweep interrupted part way still judges the runs it has, then ends the suite") {
    Dir d;
    d.scenario("s", sweep_scenario({3, 4, 5}));
    d.scenario("t", scenario());
    auto plan = plan_suite(d.path, {}, {}, home());
    FakeRuns fake;
    fake.answer = [](const std::string& name, const Scenario& sc) {
        return RunOutcome{
            Verdict::Pass, json{message_load(10, int(sc.nodes.size()))}, name == "s-n4", {}};
    };
    int sweeps_done = 0;
    SuiteResult r = run_suite(plan, "/suite", fake.fn(), hooks_of({}, [&](const SweepResult& s) {
                                  ++sweeps_done;
                                  CHECK(s.runs.size() == 2);
                              }));
    CHECK(fake.calls.size() == 2);  // s-n5 and t never run
    CHECK(sweeps_done == 1);
    CHECK(r.interrupted);
    REQUIRE(r.verdicts.size() == 3);
    CHECK(r.verdicts[2].first == "s (load flatness)");
}

TEST_CASE("aggregate_sweep counts only runs with a message_load result") {
    std::vector<SweepRun> runs = {
        {3, "s-n3", {Verdict::Pass, json{message_load(10, 3)}, false, {}}},
        {6, "s-n6", {Verdict::Unknown, json::array(), false, {}}},
        {9,
         "s-n9",
         {Verdict::Fail, json{{{"check", "dissemination"}, {"verdict", "fail"}}}, false, {}}},
    };
    SweepResult s = aggregate_sweep("s", runs);
    CHECK(s.stem == "s");
    REQUIRE(s.runs.size() == 3);
    CHECK(s.runs[2]["verdict"] == "fail");
    CHECK(s.runs[2]["dissemination"]["verdict"] == "fail");
    CHECK_FALSE(s.runs[1].contains("message_load"));
    // One measured run is not enough to compare.
    CHECK(s.load_flatness.verdict == Verdict::Unknown);
    CHECK(s.load_flatness.metrics["runs"].size() == 1);
}

TEST_CASE("with jobs, runs go to child processes and the result is the sequential one") {
    Dir d;
    for (const char* s : {"a", "b"}) d.scenario(s, scenario());
    json longer = scenario();
    longer["duration"] = 20;  // started first
    d.scenario("c", longer);
    d.scenario("s", sweep_scenario({3, 6}));
    auto plan = plan_suite(d.path, {}, {}, home());
    Dir suite;
    const fs::path parent_dir = suite.path / "in-parent";
    // Each run says, on its directory's files, which process ran it and what it printed.
    auto answer = [](const Scenario& sc, const fs::path& out) {
        fs::create_directories(out);
        std::ofstream(out / "pid") << ::getpid();
        std::printf("ran %s with %zu nodes\n", out.filename().c_str(), sc.nodes.size());
        const std::string name = out.filename().string();
        const int n = static_cast<int>(sc.nodes.size());
        json checks = json::array({message_load(10.0 + n, n)});
        return RunOutcome{name == "b" ? Verdict::Fail : Verdict::Pass, checks, false,
                          name == "a" ? "starved for 3 s" : ""};
    };
    std::vector<std::string> started;
    SuiteHooks hooks = hooks_of(
        [&](size_t, size_t n, const std::string& stem) {
            started.push_back(stem + "/" + std::to_string(n));
        },
        {}, [&] { std::ofstream(suite.path / ("init-" + std::to_string(::getpid()))); });
    SuiteResult par = run_suite(plan, suite.path, answer, hooks, 2);
    SuiteResult seq = run_suite(plan, parent_dir, answer);

    CHECK(par.verdicts == seq.verdicts);
    REQUIRE(par.verdicts.size() == 6);  // a, b, c, s-n3, s-n6, s (load flatness)
    CHECK(par.verdicts[1] == std::pair<std::string, Verdict>{"b", Verdict::Fail});
    CHECK(par.verdicts[5].first == "s (load flatness)");
    REQUIRE(par.starved.size() == 1);
    CHECK(par.starved[0].first == "a");
    CHECK(par.sweeps.size() == 1);
    CHECK(par.any_fail());
    REQUIRE(par.run_dirs.size() == 5);
    CHECK(par.run_dirs[0] == suite.path / "a");
    // Longest first: c (20 s) before the 10 s runs.
    REQUIRE(started.size() == 5);
    CHECK(started[0] == "c/5");
    for (const char* run : {"a", "b", "c", "s-n3", "s-n6"}) {
        pid_t pid = 0;
        std::ifstream(suite.path / run / "pid") >> pid;
        CHECK(pid != 0);
        CHECK(pid != ::getpid());
        CHECK(fs::exists(suite.path / ("init-" + std::to_string(pid))));  // child_init ran there
        std::ifstream log(suite.path / "logs" / (std::string(run) + ".log"));
        std::string line;
        std::getline(log, line);
        CHECK_THAT(line, Catch::StartsWith(std::string("ran ") + run));
    }
}

TEST_CASE("with jobs, a run that fails in its child process is named, with its error") {
    Dir d;
    for (const char* s : {"a", "b"}) d.scenario(s, scenario());
    auto plan = plan_suite(d.path, {}, {}, home());
    Dir suite;
    auto answer = [](const Scenario&, const fs::path& out) -> RunOutcome {
        if (out.filename() == "b") throw std::runtime_error("the lab could not be built");
        return RunOutcome{Verdict::Pass, json::array(), false, {}};
    };
    CHECK_THROWS_WITH(run_suite(plan, suite.path, answer, {}, 2),
                      Catch::Contains("the run of b failed") && Catch::Contains("exit 2") &&
                          Catch::Contains("the lab could not be built"));
    // The other run still ran to its end.
    CHECK_FALSE(fs::exists(suite.path / "logs" / "a.outcome.json"));
    CHECK(fs::exists(suite.path / "logs" / "a.log"));
}

TEST_CASE("with jobs, an interrupted run stops the launching of more") {
    Dir d;
    for (const char* s : {"a", "b", "c", "e"}) d.scenario(s, scenario());
    auto plan = plan_suite(d.path, {}, {}, home());
    Dir suite;
    auto answer = [](const Scenario&, const fs::path& out) {
        fs::create_directories(out);
        const bool first = out.filename() == "a";
        if (!first) ::usleep(300 * 1000);  // a, interrupted, ends while b still runs
        return RunOutcome{Verdict::Unknown, json::array(), first, {}};
    };
    SuiteResult r = run_suite(plan, suite.path, answer, {}, 2);
    CHECK(r.interrupted);
    CHECK(fs::exists(suite.path / "b"));  // it was running: it ends, and counts
    CHECK_FALSE(fs::exists(suite.path / "c"));
    CHECK_FALSE(fs::exists(suite.path / "e"));
    CHECK(r.verdicts.size() == 2);
}

TEST_CASE("with jobs, a run of many nodes runs alone") {
    Dir d;
    for (const char* s : {"a", "b", "c"}) d.scenario(s, scenario());
    json big = scenario();
    big["cluster"]["nodes"] = 25 * std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)) + 1;
    d.scenario("big", big);
    auto plan = plan_suite(d.path, {}, {}, home());
    Dir suite;
    // Each run records when it ran (monotonic ms); none may overlap the big one.
    auto answer = [](const Scenario&, const fs::path& out) {
        fs::create_directories(out);
        auto ms = [] {
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
        };
        const auto from = ms();
        ::usleep(150 * 1000);
        std::ofstream(out / "span") << from << " " << ms();
        return RunOutcome{Verdict::Pass, json::array(), false, {}};
    };
    SuiteResult r = run_suite(plan, suite.path, answer, {}, 3);
    REQUIRE(r.verdicts.size() == 4);
    auto span = [&](const char* run) {
        long long a = 0, b = 0;
        std::ifstream(suite.path / run / "span") >> a >> b;
        return std::make_pair(a, b);
    };
    const auto [bf, bt] = span("big");
    CHECK(bt > bf);
    for (const char* run : {"a", "b", "c"}) {
        const auto [f, t] = span(run);
        INFO(run << " ran " << f << ".." << t << ", big " << bf << ".." << bt);
        CHECK((t <= bf || f >= bt));
    }
}
