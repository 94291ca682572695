// The suite: scenario selection, the runs (through an injected run function) and the sweeps.
#include "gossiplab/harness/suite.hpp"

#include <algorithm>
#include <fstream>

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

}  // namespace

SuiteResult run_suite(const std::vector<SuiteScenario>& plan, const fs::path& suite_dir,
                      const RunFunction& run, const SuiteHooks& hooks) {
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
