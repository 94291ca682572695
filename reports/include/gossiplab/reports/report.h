// The public API of the reports: report.json, report.html, junit.xml and the suite index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gossiplab/checkers/verdict.hpp"

namespace gossiplab::reports {

// The version of report.json's layout, written as "schema_version" and described by
// docs/report-schema.json. Bump it when a field changes meaning or disappears.
inline constexpr int kReportSchemaVersion = 1;

// Thrown when an input file is missing or unreadable; what() names the file and what was
// expected there (e.g. "runs/x/report.json: not JSON: ... (expected a report written by
// gossiplab run)").
class ReportError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Everything the harness knows about a run, as it goes into report.json.
struct RunInfo {
    std::string scenario_name;
    std::string scenario_description;
    nlohmann::json scenario;  // the resolved scenario (scenario.json)
    uint64_t seed = 0;
    std::string impl;            // implementation name (adapters/NAME)
    nlohmann::json profile;      // timing profile object (seconds); may carry "name"
    nlohmann::json features;     // array of feature names from impl.json
    nlohmann::json environment;  // kernel, impairment backend, versions ... (object)
    std::string command;         // the exact command that reproduces the run
    double duration_s = 0;
    nlohmann::json checks;  // array of check results (docs/history-format.md)
    // report.json's "history" (history_digest); null: write_run_reports digests
    // RUN_DIR/history.jsonl.
    nlohmann::json history;
    std::optional<checkers::Verdict> verdict;  // none: composed from the checks
};

// The digest of a history file, report.json's "history": {"file" (its name), "bytes", "lines",
// "fnv1a64": FNV-1a 64 over every byte of the file, 16 lowercase hex digits}, so that two runs
// can be shown to have recorded byte-identical histories (the simulator's determinism). Null
// when the file cannot be read.
nlohmann::json history_digest(const std::filesystem::path& file);

// Builds report.json's content. Check results are normalised so the output always
// validates against docs/report-schema.json: a missing or malformed field becomes its
// documented default and a note in the check's "report_notes"; a verdict outside
// pass/fail/unknown becomes "unknown". Never throws for any RunInfo content.
nlohmann::json build_report(const RunInfo& info);

// Writes run_dir/report.json (replaced atomically), then renders report.html and
// junit.xml from it (see render_run). Throws ReportError when a file cannot be written.
void write_run_reports(const std::filesystem::path& run_dir, const RunInfo& info);

// Re-renders run_dir/report.html and run_dir/junit.xml from run_dir/report.json,
// run_dir/history.jsonl and run_dir/nodes/ID.log (used by `gossiplab report RUN_DIR`).
// A missing or malformed report.json throws ReportError naming the file; a missing
// history or log, or malformed history lines, are noted on the page instead.
void render_run(const std::filesystem::path& run_dir);

// The RunInfo of a recorded run from its own files, for `gossiplab report` on a run that has
// no report.json (its controller was killed before it wrote one): scenario.json (name,
// description, resolved), impl.json (name, profile, features), environment.json, and
// history.jsonl's run_start (seed, command) and its last line's t (duration_s). `checks`: the
// results of checkers::check_run_dir on the run. A missing or malformed file leaves its fields
// empty and adds a line to *notes (when given); never throws.
RunInfo recorded_run_info(const std::filesystem::path& run_dir, const nlohmann::json& checks,
                          std::vector<std::string>* notes = nullptr);

// A check that judges several runs together, so it belongs to the suite and to no one run:
// the scale sweep's load_flatness.
struct SuiteCheck {
    std::string scenario;   // the scenario whose runs it judged, e.g. "scale-sweep"
    nlohmann::json result;  // a check-result object (docs/history-format.md); normalised
    std::string details;    // a file under suite_dir with the details (may be empty)
};

// Writes suite_dir/index.html (one row per run: verdict per check, duration, link to its
// report.html; then one row per check across runs) and suite_dir/junit.xml (one testsuite
// per run, and one per scenario with checks across runs). A run directory without a
// readable report.json gets a row and a testsuite that say so; throws ReportError only
// when suite_dir's files cannot be written.
void write_suite_index(const std::filesystem::path& suite_dir,
                       const std::vector<std::filesystem::path>& run_dirs,
                       const std::vector<SuiteCheck>& across_runs = {});

}  // namespace gossiplab::reports
