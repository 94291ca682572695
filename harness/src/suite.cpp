// The suite: scenario selection, the runs (through an injected run function) and the sweeps.
#include "gossiplab/harness/suite.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "gossiplab/harness/manifest.hpp"

namespace gossiplab::harness {

namespace fs = std::filesystem;
using checkers::Verdict;
using nlohmann::json;

std::vector<ScenarioFile> scenario_files(const fs::path& dir) {
    if (!fs::is_directory(dir)) throw ScenarioError(dir.string(), "", "not a directory");
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::vector<ScenarioFile> out;
    for (const auto& f : files) {
        std::ifstream in(f);
        json j = json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            throw ScenarioError(f.string(), "", "not a JSON object");
        out.push_back({f, std::move(j)});
    }
    return out;
}

std::set<std::string> split_names(const std::string& list) {
    std::set<std::string> names;
    for (size_t p = 0; p <= list.size();) {
        size_t e = list.find(',', p);
        if (e == std::string::npos) e = list.size();
        if (e > p) names.insert(list.substr(p, e - p));
        p = e + 1;
    }
    return names;
}

Scenario SuiteScenario::at(int nodes) const {
    Overrides at_n = overrides;
    at_n.nodes = nodes;
    return parse_scenario(doc, file.string(), at_n);
}

std::string missing_feature(const Scenario& sc, const Manifest& m) {
    for (const Action& a : sc.actions) {
        const bool state =
            std::holds_alternative<op::Set>(a.op) || std::holds_alternative<op::Delete>(a.op);
        if (state && !m.has("state"))
            return "the scenario writes application state; " + m.name +
                   " does not declare the `state` feature";
        if (std::holds_alternative<op::Inject>(a.op) && m.malformed_corpus.empty())
            return "the scenario sends hostile input (do: inject); " + m.name +
                   " names no malformed_corpus (docs/node-contract.md)";
    }
    return "";
}

std::vector<SuiteScenario> plan_suite(const fs::path& dir, const SuiteFilter& filter,
                                      const Overrides& ov, const fs::path& home) {
    std::vector<SuiteScenario> plan;
    for (auto& [f, doc] : scenario_files(dir)) {
        // The filter reads the file, not the scenario: one left out is never validated.
        if (filter.quick && !doc.value("quick", false)) continue;
        if (!filter.only.empty() && !filter.only.count(f.stem().string())) continue;
        Scenario sc = parse_scenario(doc, f.string(), ov);
        const Manifest m = load_manifest(home, sc.impl);
        m.profile(sc.profile);  // an unknown profile throws
        std::string why = missing_feature(sc, m);
        plan.push_back({f, f.stem().string(), std::move(doc), ov, std::move(sc), std::move(why)});
    }
    if (plan.empty()) throw ScenarioError(dir.string(), "", "no scenarios selected");
    return plan;
}

json SweepResult::to_json() const {
    return {{"runs", runs}, {"load_flatness", load_flatness.to_json()}};
}

SweepResult aggregate_sweep(const std::string& stem, const std::vector<SweepRun>& runs) {
    SweepResult s;
    s.stem = stem;
    std::vector<json> loads;
    for (const SweepRun& r : runs) {
        json row = {{"nodes", r.nodes}, {"verdict", r.outcome.verdict}, {"run", r.name}};
        if (r.outcome.checks.is_array())
            for (const auto& c : r.outcome.checks) {
                if (!c.is_object()) continue;
                if (c.value("check", "") == "message_load") loads.push_back(c);
                row[c.value("check", "?")] = {{"verdict", c.value("verdict", "?")},
                                              {"measured", c.value("measured", json())}};
            }
        s.runs.push_back(std::move(row));
    }
    s.load_flatness = checkers::load_flatness(loads, kLoadFlatnessTolerance);
    return s;
}

bool SuiteResult::any_fail() const {
    return std::any_of(verdicts.begin(), verdicts.end(),
                       [](const auto& v) { return v.second == Verdict::Fail; });
}

namespace {

// The runs of one sweep, one per N, then their load flatness.
void run_sweep(const SuiteScenario& s, const fs::path& suite_dir, const RunFunction& run,
               const SuiteHooks& hooks, SuiteResult& result) {
    std::vector<SweepRun> runs;
    for (int n : s.scenario.sweep) {
        SweepRun r{n, s.stem + "-n" + std::to_string(n), {}};
        Scenario sc = s.at(n);
        r.outcome = run(sc, suite_dir / r.name);
        result.run_dirs.push_back(suite_dir / r.name);
        result.verdicts.push_back({r.name, r.outcome.verdict});
        if (!r.outcome.starved.empty()) result.starved.push_back({r.name, r.outcome.starved});
        runs.push_back(std::move(r));
        if (runs.back().outcome.interrupted) {
            result.interrupted = true;
            break;
        }
    }
    SweepResult sweep = aggregate_sweep(s.stem, runs);
    if (hooks.sweep_done) hooks.sweep_done(sweep);
    result.verdicts.push_back({s.stem + " (load flatness)", sweep.load_flatness.verdict});
    result.sweeps.push_back(std::move(sweep));
}

// A run of more nodes than this per CPU runs alone in a parallel suite: 100 real nodes beside
// another lab starved 2 cores (scale-sweep-n100, judged unknown).
constexpr long kNodesPerCpuBeside = 25;

// One run of a parallel suite: a scenario's, or one N of a sweep's.
struct Task {
    size_t plan_index = 0;
    std::string name;  // its run directory's name
    int nodes = 0;     // a sweep's N; 0 otherwise
    Scenario scenario;
    RunOutcome outcome;
    bool done = false;
    std::string failure;  // the child failed: why
};

json outcome_to_json(const RunOutcome& o) {
    return {{"verdict", checkers::to_string(o.verdict)},
            {"checks", o.checks},
            {"interrupted", o.interrupted},
            {"starved", o.starved}};
}

RunOutcome outcome_from_json(const json& j) {
    RunOutcome o;
    o.verdict = checkers::verdict_from_string(j.at("verdict").get<std::string>())
                    .value_or(Verdict::Unknown);
    o.checks = j.at("checks");
    o.interrupted = j.at("interrupted").get<bool>();
    o.starved = j.at("starved").get<std::string>();
    return o;
}

std::string read_file(const fs::path& f) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string last_line(const std::string& text) {
    std::string t = text;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    auto nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
}

// The child: its output into LOG, the run, its outcome into OUTCOME. Never returns.
[[noreturn]] void run_child(const Task& t, const fs::path& dir, const fs::path& log,
                            const fs::path& outcome, const RunFunction& run,
                            const SuiteHooks& hooks) {
    std::fflush(nullptr);
    if (std::freopen(log.c_str(), "w", stdout) == nullptr) ::_exit(2);
    ::dup2(::fileno(stdout), 2);
    int rc = 0;
    try {
        if (hooks.child_init) hooks.child_init();
        RunOutcome o = run(t.scenario, dir);
        std::ofstream(outcome) << outcome_to_json(o).dump();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gossiplab: error: %s\n", e.what());
        rc = 2;
    }
    std::fflush(nullptr);
    ::_exit(rc);
}

SuiteResult run_parallel(const std::vector<SuiteScenario>& plan, const fs::path& suite_dir,
                         const RunFunction& run, const SuiteHooks& hooks, int jobs) {
    SuiteResult result;
    std::vector<Task> tasks;
    for (size_t i = 0; i < plan.size(); ++i) {
        const SuiteScenario& s = plan[i];
        if (!s.not_applicable.empty()) continue;
        if (s.scenario.sweep.empty()) {
            tasks.push_back({i, s.stem, 0, s.scenario, {}, false, {}});
            continue;
        }
        for (int n : s.scenario.sweep)
            tasks.push_back({i, s.stem + "-n" + std::to_string(n), n, s.at(n), {}, false, {}});
    }
    // Longest first: the last to start are the short ones, so the runs end close together.
    std::vector<size_t> order(tasks.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::vector<double> length(tasks.size());
    for (size_t i = 0; i < tasks.size(); ++i)
        length[i] = hooks.length ? hooks.length(tasks[i].scenario) : tasks[i].scenario.duration;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return length[a] > length[b]; });
    const fs::path logs = suite_dir / "logs";
    fs::create_directories(logs);
    std::map<pid_t, size_t> running;
    size_t next = 0, started = 0;
    bool stop = false;
    bool alone = false;  // a big run is running
    const long cpus = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
    auto is_big = [&](const Task& t) {
        return static_cast<long>(t.scenario.nodes.size()) > kNodesPerCpuBeside * cpus;
    };
    while (true) {
        while (!stop && next < order.size() && running.size() < static_cast<size_t>(jobs)) {
            // A big run goes alone: beside another lab its nodes would starve (judged unknown),
            // and nothing starts beside it.
            const bool big = is_big(tasks[order[next]]);
            if (big && !running.empty()) break;
            if (alone) break;
            Task& t = tasks[order[next++]];
            alone = big;
            if (hooks.scenario_started) hooks.scenario_started(started++, tasks.size(), t.name);
            std::fflush(nullptr);
            pid_t pid = ::fork();
            if (pid < 0) throw SuiteError(std::string("fork: ") + std::strerror(errno));
            if (pid == 0)
                run_child(t, suite_dir / t.name, logs / (t.name + ".log"),
                          logs / (t.name + ".outcome.json"), run, hooks);
            running[pid] = static_cast<size_t>(&t - tasks.data());
        }
        if (running.empty()) break;
        int st = 0;
        pid_t pid = ::waitpid(-1, &st, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            throw SuiteError(std::string("waitpid: ") + std::strerror(errno));
        }
        auto it = running.find(pid);
        if (it == running.end()) continue;
        Task& t = tasks[it->second];
        running.erase(it);
        if (is_big(t)) alone = false;
        const fs::path log = logs / (t.name + ".log");
        const std::string text = read_file(log);
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        const fs::path outcome = logs / (t.name + ".outcome.json");
        // The child writes its outcome last, then exits 0: anything else is a failed child.
        const json got = WIFEXITED(st) && WEXITSTATUS(st) == 0 && fs::exists(outcome)
                             ? json::parse(read_file(outcome), nullptr, false)
                             : json();
        if (got.is_object()) {
            t.outcome = outcome_from_json(got);
            fs::remove(outcome);
            t.done = true;
            if (t.outcome.interrupted) stop = true;
        } else {
            char how[64];
            if (WIFSIGNALED(st))
                std::snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(st));
            else
                std::snprintf(how, sizeof how, "exit %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            t.failure = std::string(how) + ": " + last_line(text) + " (log: " + log.string() + ")";
        }
    }
    for (const auto& t : tasks)
        if (!t.failure.empty())
            throw SuiteError("suite: the run of " + t.name + " failed (" + t.failure + ")");
    // The results in the plan's order, as a sequential suite gives them.
    for (size_t i = 0; i < plan.size(); ++i) {
        const SuiteScenario& s = plan[i];
        if (!s.not_applicable.empty()) {
            result.not_applicable.push_back({s.stem, s.not_applicable});
            continue;
        }
        std::vector<SweepRun> runs;
        for (auto& t : tasks) {
            if (t.plan_index != i || !t.done) continue;
            result.run_dirs.push_back(suite_dir / t.name);
            result.verdicts.push_back({t.name, t.outcome.verdict});
            if (!t.outcome.starved.empty()) result.starved.push_back({t.name, t.outcome.starved});
            if (t.outcome.interrupted) result.interrupted = true;
            if (!s.scenario.sweep.empty()) runs.push_back({t.nodes, t.name, t.outcome});
        }
        if (!s.scenario.sweep.empty() && !runs.empty()) {
            SweepResult sweep = aggregate_sweep(s.stem, runs);
            if (hooks.sweep_done) hooks.sweep_done(sweep);
            result.verdicts.push_back({s.stem + " (load flatness)", sweep.load_flatness.verdict});
            result.sweeps.push_back(std::move(sweep));
        }
    }
    return result;
}

}  // namespace

SuiteResult run_suite(const std::vector<SuiteScenario>& plan, const fs::path& suite_dir,
                      const RunFunction& run, const SuiteHooks& hooks, int jobs) {
    if (jobs > 1) return run_parallel(plan, suite_dir, run, hooks, jobs);
    SuiteResult result;
    const size_t count = plan.size();
    for (size_t i = 0; i < count && !result.interrupted; ++i) {
        const SuiteScenario& s = plan[i];
        if (!s.not_applicable.empty()) {
            result.not_applicable.push_back({s.stem, s.not_applicable});
            continue;
        }
        if (hooks.scenario_started) hooks.scenario_started(i, count, s.stem);
        if (!s.scenario.sweep.empty()) {
            run_sweep(s, suite_dir, run, hooks, result);
            continue;
        }
        RunOutcome r = run(s.scenario, suite_dir / s.stem);
        result.run_dirs.push_back(suite_dir / s.stem);
        result.verdicts.push_back({s.stem, r.verdict});
        if (!r.starved.empty()) result.starved.push_back({s.stem, r.starved});
        result.interrupted = r.interrupted;
    }
    return result;
}

}  // namespace gossiplab::harness
