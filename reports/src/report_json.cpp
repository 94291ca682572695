// report.json: the schema-versioned record of a run, normalised so it always validates.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "gossiplab/reports/escape.h"
#include "gossiplab/reports/report.h"
#include "internal.h"

namespace gossiplab::reports {
namespace {

using nlohmann::json;

bool finite_number(const json& v) {
    return v.is_number() && std::isfinite(v.get<double>());
}

using checkers::Verdict;

bool valid_verdict(const json& v) {
    return v.is_string() && checkers::verdict_from_string(v.get_ref<const std::string&>());
}

// Text from any JSON value; strings are kept as they are (sanitised), others dumped.
std::string text_of(const json& v) {
    if (v.is_string()) return sanitize_utf8(v.get_ref<const std::string&>());
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

json normalise_evidence_item(const json& in) {
    json out = json::object();
    if (!in.is_object()) {
        out["t"] = nullptr;
        out["node"] = nullptr;
        out["what"] = text_of(in);
        out["ref"] = nullptr;
        return out;
    }
    out = in;
    out["t"] = finite_number(in.value("t", json())) ? in["t"] : json();
    const json node = in.value("node", json());
    out["node"] = node.is_null() ? json() : json(text_of(node));
    out["what"] = in.contains("what") ? text_of(in["what"]) : std::string();
    const json ref = in.value("ref", json());
    out["ref"] = ref.is_number_integer() && ref.get<int64_t>() >= 1 ? ref : json();
    return out;
}

json normalise_check(const json& in, size_t index) {
    json notes = json::array();
    json out = json::object();
    const std::string fallback_name = "check[" + std::to_string(index) + "]";
    if (!in.is_object()) {
        out["check"] = fallback_name;
        out["verdict"] = Verdict::Unknown;
        out["reason"] = "malformed check result: expected an object, got " + text_of(in);
        out["bound"] = nullptr;
        out["measured"] = nullptr;
        out["metrics"] = json::object();
        out["evidence"] = json::array();
        return out;
    }
    out = in;
    const json name = in.value("check", json());
    if (name.is_string() && !name.get_ref<const std::string&>().empty()) {
        out["check"] = text_of(name);
    } else {
        out["check"] = fallback_name;
        notes.push_back("missing or non-string \"check\"");
    }
    const json verdict = in.value("verdict", json());
    if (valid_verdict(verdict)) {
        out["verdict"] = verdict;
    } else {
        out["verdict"] = Verdict::Unknown;
        notes.push_back("verdict " + text_of(verdict) + " is not pass/fail/unknown");
    }
    const json reason = in.value("reason", json());
    out["reason"] = reason.is_null() ? std::string() : text_of(reason);

    const json bound = in.value("bound", json());
    if (bound.is_null()) {
        out["bound"] = nullptr;
    } else if (finite_number(bound)) {
        out["bound"] = {{"expr", nullptr}, {"value", bound}};
    } else if (bound.is_object()) {
        json b = bound;
        const json expr = bound.value("expr", json());
        b["expr"] = expr.is_null() ? json() : json(text_of(expr));
        const json value = bound.value("value", json());
        b["value"] = finite_number(value) ? value : json();
        out["bound"] = b;
    } else {
        out["bound"] = nullptr;
        notes.push_back("bound " + text_of(bound) + " is not an object");
    }

    const json measured = in.value("measured", json());
    if (finite_number(measured) || measured.is_null()) {
        out["measured"] = measured;
    } else {
        out["measured"] = nullptr;
        notes.push_back("measured " + text_of(measured) + " is not a number");
    }

    const json metrics = in.value("metrics", json());
    if (metrics.is_object()) {
        out["metrics"] = metrics;
    } else {
        out["metrics"] = json::object();
        if (!metrics.is_null()) out["metrics"]["value"] = metrics;
    }

    // The non-deciding findings (docs/checkers.md): kept when well formed, else dropped and noted.
    if (in.contains("model") && !in["model"].is_null() && !in["model"].is_object()) {
        out.erase("model");
        notes.push_back("model " + text_of(in["model"]) + " is not an object");
    }
    if (in.contains("not_applicable")) {
        const json& na = in["not_applicable"];
        bool ok = na.is_array();
        for (const auto& x : na.is_array() ? na : json::array()) ok = ok && x.is_string();
        if (!ok) {
            out.erase("not_applicable");
            notes.push_back("not_applicable is not an array of strings");
        }
    }

    json evidence = json::array();
    const json ev = in.value("evidence", json());
    if (ev.is_array()) {
        for (const auto& item : ev) evidence.push_back(normalise_evidence_item(item));
    } else if (!ev.is_null()) {
        notes.push_back("evidence is not an array");
    }
    out["evidence"] = std::move(evidence);
    if (!notes.empty()) out["report_notes"] = notes;
    return out;
}

}  // namespace

json history_digest(const std::filesystem::path& file) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (!f) return nullptr;
    uint64_t h = 14695981039346656037ull, bytes = 0, lines = 0;
    std::vector<unsigned char> buf(1 << 16);
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
        for (size_t i = 0; i < n; ++i) {
            h = (h ^ buf[i]) * 1099511628211ull;
            lines += buf[i] == '\n';
        }
        bytes += n;
    }
    const bool ok = !std::ferror(f);
    std::fclose(f);
    if (!ok) return nullptr;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return {
        {"file", file.filename().string()}, {"bytes", bytes}, {"lines", lines}, {"fnv1a64", hex}};
}

json build_report(const RunInfo& info) {
    json checks = json::array();
    if (info.checks.is_array()) {
        for (size_t i = 0; i < info.checks.size(); ++i) {
            checks.push_back(normalise_check(info.checks[i], i));
        }
    } else if (!info.checks.is_null()) {
        checks.push_back(normalise_check(info.checks, 0));
    }

    json summary = {{"total", checks.size()},
                    {"pass", 0},
                    {"fail", 0},
                    {"unknown", 0},
                    {"failing", json::array()},
                    {"unknown_checks", json::array()}};
    std::vector<Verdict> verdicts;
    for (const auto& c : checks) {
        const Verdict v = detail::verdict_of(c);  // normalised: always one of the three
        verdicts.push_back(v);
        const std::string key = checkers::to_string(v);
        summary[key] = summary[key].get<int>() + 1;
        if (v == Verdict::Fail) summary["failing"].push_back(c["check"]);
        if (v == Verdict::Unknown) summary["unknown_checks"].push_back(c["check"]);
    }

    json profile = info.profile;
    if (!profile.is_object() && !profile.is_string()) profile = nullptr;
    json features = json::array();
    if (info.features.is_array()) {
        for (const auto& f : info.features) features.push_back(text_of(f));
    }

    // A run that did not finish (run_health's metrics.interrupted: no run_end, or SIGINT) proves
    // nothing past its last line: marked with that time, and its verdict is at best unknown.
    json interrupted = nullptr;
    for (const auto& c : checks) {
        const json& m = c["metrics"];
        if (c["check"] == "run_health" && m.is_object() && m.value("interrupted", false) == true)
            interrupted = {{"last_t", m.value("last_t", json())}, {"reason", c["reason"]}};
    }
    Verdict verdict = info.verdict ? *info.verdict : checkers::compose(verdicts);
    if (!interrupted.is_null() && verdict == Verdict::Pass) verdict = Verdict::Unknown;
    // A starved lab (checkers::starved_environment): the checks that failed on it are unknown,
    // each marked metrics.environment; the run says which and why.
    json starved = nullptr;
    for (const auto& c : checks) {
        const json& m = c["metrics"];
        if (!m.is_object() || m.value("environment", false) != true) continue;
        if (starved.is_null()) starved = {{"checks", json::array()}, {"reason", nullptr}};
        starved["checks"].push_back(c["check"]);
    }
    if (!starved.is_null())
        for (const auto& c : checks)
            if (c["check"] == "run_health" && c["metrics"].is_object()) {
                const json load = c["metrics"].value("load", json::object());
                const json worst = load.is_object() ? load.value("worst", json()) : json();
                if (worst.is_object()) starved["reason"] = worst.value("what", json());
            }

    json report = {
        {"schema_version", kReportSchemaVersion},
        {"generator", {{"name", "gossiplab"}, {"component", "reports"}}},
        {"scenario",
         {{"name", sanitize_utf8(info.scenario_name)},
          {"description", sanitize_utf8(info.scenario_description)},
          {"resolved", info.scenario.is_object() ? info.scenario : json::object()}}},
        {"seed", info.seed},
        {"implementation",
         {{"name", sanitize_utf8(info.impl)}, {"profile", profile}, {"features", features}}},
        {"environment", info.environment.is_object() ? info.environment : json::object()},
        {"command", sanitize_utf8(info.command)},
        {"duration_s",
         std::isfinite(info.duration_s) && info.duration_s >= 0 ? info.duration_s : 0.0},
        {"verdict", verdict},
        {"interrupted", interrupted},
        {"starved", starved},
        {"history", info.history.is_object() ? info.history : json(nullptr)},
        {"summary", summary},
        {"checks", checks},
    };
    return report;
}

}  // namespace gossiplab::reports
