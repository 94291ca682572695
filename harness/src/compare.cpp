// Comparing two suite directories: which checks' verdicts changed, and how each check's
// headline metrics moved.
#include "gossiplab/harness/compare.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "gossiplab/harness/scenario.hpp"

namespace gossiplab::harness {

namespace fs = std::filesystem;
using nlohmann::json;

bool Comparison::regressed() const {
    return count(CheckDelta::Change::Regression) > 0;
}

size_t Comparison::count(CheckDelta::Change c) const {
    return static_cast<size_t>(std::count_if(rows.begin(), rows.end(),
                                             [c](const CheckDelta& r) { return r.change == c; }));
}

const char* to_string(CheckDelta::Change c) {
    switch (c) {
        case CheckDelta::Change::Same:
            return "same";
        case CheckDelta::Change::Regression:
            return "REGRESSION";
        case CheckDelta::Change::Improvement:
            return "improved";
        case CheckDelta::Change::Changed:
            return "changed";
        case CheckDelta::Change::Missing:
            return "missing";
        case CheckDelta::Change::Added:
            return "added";
    }
    return "?";
}

namespace {

std::optional<double> number(const json& j) {
    if (j.is_number()) return j.get<double>();
    return std::nullopt;
}

std::optional<double> metric(const json& check, const char* key) {
    const json& m = check.contains("metrics") ? check["metrics"] : json();
    return m.is_object() && m.contains(key) ? number(m[key]) : std::nullopt;
}

// The largest number FIELD among the objects of metrics.LIST (null when none has one).
std::optional<double> max_of(const json& check, const char* list, const char* field) {
    const json& m = check.contains("metrics") ? check["metrics"] : json();
    if (!m.is_object() || !m.contains(list) || !m[list].is_array()) return std::nullopt;
    std::optional<double> best;
    for (const auto& e : m[list])
        if (e.is_object() && e.contains(field))
            if (auto v = number(e[field]); v && (!best || *v > *best)) best = v;
    return best;
}

// A check's headline metric: its name, its unit, its noise floor and where it is read from.
struct MetricSpec {
    const char* name;
    const char* unit;
    double floor;
    std::function<std::optional<double>(const json&)> read;
};

// The noise floor of the time metrics: a join that starts before its seed is up waits one
// reconnect interval (0.2 s in the reference's fast profile), and whether a run's nodes do
// is chance; two seeds of the same build differ by that much (docs/ci.md "Measured").
constexpr double kTimeFloor = 0.2;

// The metrics compared per check (docs/checkers.md names each field). Every one is
// lower-is-better. false_suspicions' floor: under 20 % loss the count varies by a third
// between seeds (41 and 59 in lossy-network).
const std::map<std::string, std::vector<MetricSpec>>& metric_specs() {
    static const std::map<std::string, std::vector<MetricSpec>> specs = {
        {"membership_convergence",
         {{"convergence_s", "s", kTimeFloor,
           [](const json& c) { return max_of(c, "changes", "convergence"); }}}},
        {"partition_healing",
         {{"heal_s", "s", kTimeFloor,
           [](const json& c) { return max_of(c, "changes", "convergence"); }}}},
        {"failure_detection",
         {{"detection_periods", "periods", 0.5,
           [](const json& c) { return metric(c, "mean_first_detection_periods"); }}}},
        {"accuracy",
         {{"false_deaths", "", 1, [](const json& c) { return metric(c, "false_deaths"); }},
          {"false_suspicions", "", 20,
           [](const json& c) { return metric(c, "false_suspicions"); }}}},
        {"dissemination",
         {{"time_to_all_s", "s", kTimeFloor,
           [](const json& c) { return max_of(c, "rumors", "p100"); }},
          {"msgs_per_rumor", "", 1, [](const json& c) { return metric(c, "msgs_per_rumor"); }}}},
        {"message_load",
         {{"pkts_per_member_s", "pkts/s", 1,
           [](const json& c) { return metric(c, "mean_pkts_sent_per_s"); }}}},
    };
    return specs;
}

using Checks = std::map<std::string, json>;  // check name -> its result object

// A suite directory's runs: run directory name -> its checks (a sweep's load flatness is
// the check "load_flatness" of the run "STEM (sweep)").
std::map<std::string, Checks> read_suite(const fs::path& dir) {
    if (!fs::is_directory(dir)) throw ScenarioError(dir.string(), "", "not a directory");
    std::map<std::string, Checks> runs;
    for (const auto& e : fs::directory_iterator(dir)) {
        const fs::path report = e.path() / "report.json";
        const std::string name = e.path().filename().string();
        const bool sweep = e.is_regular_file() && name.size() > 11 &&
                           name.compare(name.size() - 11, 11, "-sweep.json") == 0;
        if (!fs::is_regular_file(report) && !sweep) continue;
        std::ifstream in(sweep ? e.path() : report);
        json j = json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            throw ScenarioError((sweep ? e.path() : report).string(), "", "not a JSON object");
        if (sweep) {
            if (j.contains("load_flatness") && j["load_flatness"].is_object())
                runs[name.substr(0, name.size() - 11) + " (sweep)"]["load_flatness"] =
                    j["load_flatness"];
            continue;
        }
        Checks& checks = runs[name];
        if (j.contains("checks") && j["checks"].is_array())
            for (const auto& c : j["checks"])
                if (c.is_object() && c.contains("check") && c["check"].is_string())
                    checks[c["check"].get<std::string>()] = c;
    }
    if (runs.empty())
        throw ScenarioError(dir.string(), "",
                            "not a suite directory (no RUN/report.json in it; give the --out of "
                            "`gossiplab suite`)");
    return runs;
}

std::string verdict(const json& c) {
    return c.is_object() ? c.value("verdict", "unknown") : "";
}

// Fills D's change and why from its verdicts and metrics.
void judge(CheckDelta& d) {
    const std::string& b = d.base_verdict;
    const std::string& n = d.new_verdict;
    if (b.empty()) {
        d.change = CheckDelta::Change::Added;
        d.why = "only in NEW (" + n + ")";
        return;
    }
    if (n.empty()) {
        d.change = CheckDelta::Change::Missing;
        d.why = "only in BASE (" + b + ")";
        return;
    }
    if (n == "fail" && b != "fail") {
        d.change = CheckDelta::Change::Regression;
        d.why = "verdict " + b + " -> " + n;
        return;
    }
    for (const auto& m : d.metrics)
        if (m.regression) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "%s %.3g -> %.3g%s%s (x%.2f)", m.name.c_str(), *m.base,
                          *m.now, m.unit.empty() ? "" : " ", m.unit.c_str(), *m.ratio);
            d.change = CheckDelta::Change::Regression;
            d.why += (d.why.empty() ? "" : "; ") + std::string(buf);
        }
    if (d.change == CheckDelta::Change::Regression) return;
    if (b == "fail" && n != "fail") {
        d.change = CheckDelta::Change::Improvement;
        d.why = "verdict " + b + " -> " + n;
    } else if (b != n) {
        d.change = CheckDelta::Change::Changed;
        d.why = "verdict " + b + " -> " + n;
    }
}

CheckDelta compare_check(const std::string& scenario, const std::string& check, const json& b,
                         const json& n, double threshold) {
    CheckDelta d;
    d.scenario = scenario;
    d.check = check;
    d.base_verdict = verdict(b);
    d.new_verdict = verdict(n);
    const bool both_pass = d.base_verdict == "pass" && d.new_verdict == "pass";
    auto spec = metric_specs().find(check);
    if (spec != metric_specs().end())
        for (const MetricSpec& s : spec->second) {
            MetricDelta m;
            m.name = s.name;
            m.unit = s.unit;
            if (b.is_object()) m.base = s.read(b);
            if (n.is_object()) m.now = s.read(n);
            if (!m.base && !m.now) continue;
            if (m.base && m.now) {
                m.ratio = (*m.now + s.floor) / (*m.base + s.floor);
                m.regression = both_pass && *m.ratio > 1 + threshold;
            }
            d.metrics.push_back(m);
        }
    judge(d);
    return d;
}

}  // namespace

Comparison compare_suites(const fs::path& base, const fs::path& now, double threshold) {
    Comparison c;
    c.base = base;
    c.now = now;
    c.threshold = threshold;
    const auto b = read_suite(base), n = read_suite(now);
    std::map<std::string, std::pair<json, json>> all;  // "scenario\ncheck" -> (base, new)
    std::vector<std::pair<std::string, std::string>> keys;
    for (int side = 0; side < 2; ++side)
        for (const auto& [run, checks] : side ? n : b)
            for (const auto& [check, result] : checks) {
                auto [it, fresh] = all.try_emplace(run + "\n" + check);
                (side ? it->second.second : it->second.first) = result;
                if (fresh) keys.push_back({run, check});
            }
    std::sort(keys.begin(), keys.end());
    for (const auto& [run, check] : keys) {
        const auto& [bj, nj] = all[run + "\n" + check];
        c.rows.push_back(compare_check(run, check, bj, nj, threshold));
    }
    return c;
}

}  // namespace gossiplab::harness
