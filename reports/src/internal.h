// Helpers shared by the report renderers; not part of the public API.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gossiplab/checkers/verdict.hpp"

namespace gossiplab::reports::detail {

// The script and style inlined into every report.html (generated from reports/assets/).
extern const std::string_view kReportJs;
extern const std::string_view kReportCss;

// Reads a whole file; throws ReportError "PATH: cannot read (WHY)".
std::string read_file(const std::filesystem::path& p);

// Writes PATH.tmp then renames it over PATH, so readers never see half a file; throws
// ReportError naming the file.
void write_file_atomic(const std::filesystem::path& p, std::string_view content);

// Loads and checks run_dir/report.json: throws ReportError naming the file when it is
// missing, not JSON, or lacks the fields the renderers need (checks array, verdict).
nlohmann::json load_report(const std::filesystem::path& report_json);

// One <testsuite> element for a report (one testcase per check).
std::string junit_testsuite(const nlohmann::json& report);

// A whole junit.xml around already rendered <testsuite> elements; the counts are totals.
std::string junit_document(const std::string& suites, int tests, int failures, int errors,
                           int skipped, double time_s);

// Counts used by junit_document for one report: tests, failures, skipped.
struct JunitCounts {
    int tests = 0, failures = 0, skipped = 0, errors = 0;  // errors: the run was interrupted
};
JunitCounts junit_counts(const nlohmann::json& report);

using checkers::verdict_of;

// A number formatted for people: up to 3 decimals, no trailing zeros.
std::string fmt_num(double v);

// A JSON value as short display text (strings unquoted, null as "—").
std::string display(const nlohmann::json& v);

// A check result's findings that do not decide its verdict, one line each (docs/checkers.md):
// the model's ("slower than the model: ..."), and "not applicable: ..." for each part that
// could not apply. Empty when there are none.
std::vector<std::string> check_findings(const nlohmann::json& check);

}  // namespace gossiplab::reports::detail
