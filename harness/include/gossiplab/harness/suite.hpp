// The suite: which scenarios of a directory run (--quick, --only), running each once or, for a
// scale sweep, once per N, and the sweep's load flatness across those runs. The runs
// themselves come from a function the caller passes in (the command line's: lab, nodes,
// checks, reports), so this module writes no files and prints nothing.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gossiplab/checkers/checkers.hpp"
#include "gossiplab/harness/manifest.hpp"
#include "gossiplab/harness/scenario.hpp"

namespace gossiplab::harness {

// How much the mean packets sent per member per second may vary across a sweep's runs.
inline constexpr double kLoadFlatnessTolerance = 0.25;

// A scenario file of a directory, parsed as JSON (not yet validated as a scenario).
struct ScenarioFile {
    std::filesystem::path file;
    nlohmann::json doc;  // an object
};

// DIR's *.json files, sorted by name, each parsed. Throws ScenarioError when DIR is not a
// directory or a file is not a JSON object.
std::vector<ScenarioFile> scenario_files(const std::filesystem::path& dir);

// "a,b,,c" -> {a, b, c}: the names --only lists.
std::set<std::string> split_names(const std::string& list);

// Which scenarios a suite runs.
struct SuiteFilter {
    bool quick = false;          // only those whose file says "quick": true
    std::set<std::string> only;  // only these file stems; empty: all
};

// A scenario picked for the suite, read and validated once.
struct SuiteScenario {
    std::filesystem::path file;
    std::string stem;     // the file name without .json: names its run directories
    nlohmann::json doc;   // the file's content, expanded again for each N of a sweep
    Overrides overrides;  // the suite's (--impl, --seed)
    Scenario scenario;    // `doc` loaded with `overrides`
    // Why the implementation cannot be judged on it (a contract feature the scenario's
    // operations need and the manifest does not declare); empty when it runs.
    std::string not_applicable;

    // The scenario with `nodes` nodes (one run of a sweep). Throws ScenarioError when the
    // scenario cannot have that many.
    Scenario at(int nodes) const;
};

// Why implementation M cannot be judged on SC: an operation needs a contract feature M does not
// declare (set/delete need `state`). Empty when it can.
std::string missing_feature(const Scenario& sc, const Manifest& m);

// Picks DIR's scenarios that pass FILTER and loads each with OV; then checks that its
// implementation (HOME/adapters/IMPL/impl.json) and profile exist, so every scenario is known
// valid before any runs. Throws ScenarioError (or what load_manifest throws) on the first
// problem, and ScenarioError "no scenarios selected" when none is left. A scenario the
// implementation lacks a feature for stays in the plan with its `not_applicable` reason.
std::vector<SuiteScenario> plan_suite(const std::filesystem::path& dir, const SuiteFilter& filter,
                                      const Overrides& ov, const std::filesystem::path& home);

// What one run came to, as the run function reports it.
struct RunOutcome {
    checkers::Verdict verdict = checkers::Verdict::Unknown;
    nlohmann::json checks = nlohmann::json::array();  // its check results, as in report.json
    bool interrupted = false;                         // SIGINT/SIGTERM ended it: stop the suite
    // Checks failed on a starved machine and were judged unknown (checkers::starved_environment):
    // the environment's problem, exit 3. Its reason; empty otherwise.
    std::string starved;
};

// Runs SC into the run directory OUT (which it creates) and reports how it went. May throw:
// the suite passes the exception on.
using RunFunction = std::function<RunOutcome(const Scenario& sc, const std::filesystem::path& out)>;

// One run of a sweep.
struct SweepRun {
    int nodes = 0;
    std::string name;  // its run directory's name: STEM-nN
    RunOutcome outcome;
};

// A scale sweep: its runs and SWIM's constant-load property across them.
struct SweepResult {
    std::string stem;
    nlohmann::json runs = nlohmann::json::array();  // per run: nodes, verdict, run, each check
    checkers::CheckResult load_flatness;
    std::string details_file() const { return stem + "-sweep.json"; }  // in the suite directory
    nlohmann::json to_json() const;  // the details file: {"runs": ..., "load_flatness": ...}
};

// Builds the sweep's result from its runs' message_load results (load_flatness with
// kLoadFlatnessTolerance); a run without one does not count.
SweepResult aggregate_sweep(const std::string& stem, const std::vector<SweepRun>& runs);

struct SuiteResult {
    std::vector<std::filesystem::path> run_dirs;  // every run, in order
    // One line per run and per sweep's load flatness ("STEM (load flatness)"), in order.
    std::vector<std::pair<std::string, checkers::Verdict>> verdicts;
    std::vector<SweepResult> sweeps;
    // Scenarios not run, with the reason (SuiteScenario::not_applicable), in order.
    std::vector<std::pair<std::string, std::string>> not_applicable;
    bool interrupted = false;
    // The runs whose failed checks were the starved machine's (RunOutcome::starved), with why.
    std::vector<std::pair<std::string, std::string>> starved;
    bool any_fail() const;
};

// What the caller hears while the suite runs (either may be empty).
struct SuiteHooks {
    // Before scenario `index` (0-based) of `count`.
    std::function<void(size_t index, size_t count, const std::string& stem)> scenario_started;
    // After a sweep's last run (also when it was interrupted), with its result.
    std::function<void(const SweepResult&)> sweep_done;
    // With jobs > 1: called in each run's child process before the run (to enter a network
    // world of its own, say).
    std::function<void()> child_init;
    // With jobs > 1: how long a run lasts, in seconds, to start the longest first (default:
    // the scenario's duration).
    std::function<double(const Scenario&)> length;
};

// Runs PLAN's scenarios in order into SUITE_DIR/STEM (a sweep: SUITE_DIR/STEM-nN for each N),
// stopping after a run that was interrupted. Exceptions from RUN and the hooks pass through.
//
// With JOBS > 1, up to JOBS runs at a time, each in a child process (fork), longest scenario
// first, except that a run of more than 25 nodes per CPU runs alone: a run's output goes to
// SUITE_DIR/logs/NAME.log and is printed whole when it ends, and the result is the same as
// sequentially (same order). An interrupted run stops the launching of more. A run whose child
// failed (an exception, a crash) throws SuiteError after the others have ended, naming it and its
// log's last line.
SuiteResult run_suite(const std::vector<SuiteScenario>& plan,
                      const std::filesystem::path& suite_dir, const RunFunction& run,
                      const SuiteHooks& hooks = {}, int jobs = 1);

struct SuiteError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace gossiplab::harness
