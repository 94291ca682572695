// `gossiplab compare BASE NEW`: regressions between two suite directories (e.g. the last green
// run on main and this commit), per scenario and check: verdict changes, and the ratio NEW/BASE
// of each check's headline metrics (all of them lower-is-better), with a threshold for what
// counts as a regression. Reads only the runs' report.json files (and the sweeps' details).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gossiplab::harness {

// The default --threshold: a metric twice as bad (100 % worse), on a check that passed both
// times. Not 25 %: two seeds of the same build differ by up to x1.83 in this project's quick
// suite (docs/ci.md "Measured"); a verdict that turns to fail is a regression at any threshold.
inline constexpr double kCompareThreshold = 1.0;

// One headline metric of a check, in both runs. Lower is better for every one.
struct MetricDelta {
    std::string name;  // "detection_periods", "msgs_per_rumor", ...
    std::string unit;  // "s", "periods", "pkts/s", "" (a count)
    std::optional<double> base, now;
    // (now + floor) / (base + floor): `floor` is the metric's noise floor (0.2 s, one
    // message, ...), so 0 -> 1 false suspicion is not an infinite ratio. Null without both.
    std::optional<double> ratio;
    bool regression = false;  // ratio > 1 + threshold on a check that passed both times
};

struct CheckDelta {
    enum class Change {
        Same,         // verdict unchanged, no metric past the threshold
        Regression,   // verdict got worse (to fail), or a metric past the threshold
        Improvement,  // fail -> pass or unknown
        Changed,      // another verdict change (pass <-> unknown)
        Missing,      // in BASE, not in NEW (not a regression: NEW may be a subset)
        Added,        // in NEW only
    };
    std::string scenario;  // the run directory's name in the suite (a sweep's STEM-nN)
    std::string check;
    std::string base_verdict, new_verdict;  // "pass", "fail", "unknown"; "" when absent
    std::vector<MetricDelta> metrics;
    Change change = Change::Same;
    std::string why;  // one line for a regression or a change: "verdict pass -> fail", ...
};

struct Comparison {
    std::filesystem::path base, now;
    double threshold = kCompareThreshold;
    std::vector<CheckDelta> rows;  // by scenario, then check
    bool regressed() const;
    size_t count(CheckDelta::Change c) const;
};

// Compares the suite directories BASE and NOW (each holding one folder per run with its
// report.json, and STEM-sweep.json per sweep). Throws ScenarioError naming the directory when
// one is not a suite directory (no run with a report.json) or a report.json is not JSON.
Comparison compare_suites(const std::filesystem::path& base, const std::filesystem::path& now,
                          double threshold = kCompareThreshold);

const char* to_string(CheckDelta::Change c);

// The comparison as a table for stdout: one line per check that has a metric or a change,
// then a summary line.
std::string format_comparison(const Comparison& c);
// A self-contained HTML page (compare.html, written beside the suite's index.html).
std::string comparison_html(const Comparison& c);
// JUnit XML: one testcase per scenario and check, a <failure> for each regression.
std::string comparison_junit(const Comparison& c);

}  // namespace gossiplab::harness
