// The checkers: pure functions from a history, the resolved scenario and the timing profile
// to verdicts with metrics and evidence.
#pragma once

#include <gossiplab/checkers/bound.hpp>
#include <gossiplab/checkers/history.hpp>
#include <gossiplab/checkers/verdict.hpp>
#include <gossiplab/history/truth.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gossiplab::checkers {

using nlohmann::json;

// What a checker sees. `profile` is the timing profile actually used (seconds; null knobs
// allowed); when it is null the run_start action's `profile` is used. `features` are the
// implementation's features (docs/node-contract.md §5).
struct Context {
    const History& history;
    json scenario;
    json profile;
    std::vector<std::string> features;

    bool has(const std::string& feature) const;

    // The ground truth of `history` (gossiplab/history/truth.hpp): built on the first call, then
    // shared by every check run on this Context (and on its copies), so a run derives it once.
    // Safe to call from several threads at once. Throws what building it throws (json's
    // type_error for an action field of the wrong type; run_check reports it as unknown), and
    // the next call tries again.
    const history::Truth& truth() const;

    // Behind truth(); not to be used directly.
    struct LazyTruth {
        std::once_flag once;
        std::optional<history::Truth> truth;
    };
    std::shared_ptr<LazyTruth> lazy_truth = std::make_shared<LazyTruth>();
};

// One checker's answer; to_json() gives the object of docs/history-format.md "Check results".
struct CheckResult {
    std::string check;
    Verdict verdict = Verdict::Unknown;
    std::string reason;  // one line
    json bound;          // {"expr": ..., "value": ...} or null
    json measured;       // number or null
    json metrics = json::object();
    json evidence = json::array();  // [{"t","node","what","ref"}...]
    // A timing check's model half (docs/checkers.md "Guarantee and model"): null, or
    // {"enforced", "items", "misses", "mean_ratio", "worst", "slowest", "finding"}. Written
    // only when set.
    json model = nullptr;
    // The parts of the check that could not apply (a feature the implementation lacks), each a
    // sentence; they do not decide the verdict. Written only when not empty.
    std::vector<std::string> not_applicable;

    json to_json() const;
};

// A mechanism a scenario may declare it exercises ("exercises"; the check `exercised`): its
// name, what in the history shows it happened (one line), and the features an implementation
// needs to show it (docs/node-contract.md section 5; without them it is not judged).
struct Mechanism {
    std::string name;
    std::string means;
    std::vector<std::string> needs;
};
// Every mechanism, in documentation order (docs/checkers.md, exercised).
const std::vector<Mechanism>& mechanisms();
// The mechanism named `name`, or null.
const Mechanism* find_mechanism(const std::string& name);

// The names run_check knows, in report order.
std::vector<std::string> check_names();

// Runs one checker. Checkers only read the History, so several may run at once on one History.
// Never throws: an unknown name, bad options or an exception inside the
// checker give verdict "unknown" with the error as the reason.
CheckResult run_check(const std::string& name, const Context& ctx, const json& options);

// Runs the checks of a scenario's `checks` object ({"name": {options}, ...}; an option object
// may be null or {}). A null `checks` runs every checker with its defaults. Never throws; a
// `checks` that is not an object gives one unknown result named "checks".
std::vector<CheckResult> run_checks(const Context& ctx, const json& checks);

// The verdicts of results, in order, for compose() (verdict.hpp).
std::vector<Verdict> verdicts_of(const std::vector<CheckResult>& results);

// Re-checks a recorded run: loads RUN_DIR/history.jsonl, RUN_DIR/scenario.json (its "checks")
// and RUN_DIR/impl.json ("profile", "features"), runs the checks (plus faults_landed when a fault
// was observed and run_health, when the scenario does not list them) and returns
// {"checks": [result...], "verdict": "pass|fail|unknown", "starved": null or
// starved_environment()'s}. Throws HistoryError naming the file when one of the three cannot be
// read or is not the expected JSON object.
json check_run_dir(const std::filesystem::path& run_dir);

// A starved lab (docs/checkers.md "Starved runs"): when RESULTS fail and run_health's load
// summary counts starved samples, every failed check but run_health and history_wellformed
// becomes unknown, its reason prefixed "environment: the lab was starved: ...", and the
// return value says so ({"starved", "reason", "worst", "checks"}); null otherwise (RESULTS
// unchanged). check_run_dir applies it and writes the value as "starved".
json starved_environment(std::vector<CheckResult>& results);

// SWIM's constant-load property across runs of one scenario at several N: `runs` are
// message_load results (CheckResult::to_json()) of those runs; passes when the mean packets sent
// per member per second varies by at most `tolerance` (relative, e.g. 0.25) between the runs.
// Needs at least two runs with measurements, else unknown.
CheckResult load_flatness(const std::vector<json>& runs, double tolerance);

}  // namespace gossiplab::checkers
