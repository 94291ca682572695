// File input/output and small formatting helpers shared by the renderers.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "gossiplab/reports/escape.h"
#include "gossiplab/reports/report.h"
#include "internal.h"

namespace gossiplab::reports::detail {

namespace fs = std::filesystem;
using nlohmann::json;

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw ReportError(p.string() + ": cannot read (" + std::strerror(errno) + ")");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw ReportError(p.string() + ": read error");
    return ss.str();
}

void write_file_atomic(const fs::path& p, std::string_view content) {
    const fs::path tmp = p.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw ReportError(tmp.string() + ": cannot write (" + std::strerror(errno) + ")");
        }
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        out.flush();
        if (!out) throw ReportError(tmp.string() + ": write failed (disk full?)");
    }
    std::error_code ec;
    fs::rename(tmp, p, ec);
    if (ec) throw ReportError(p.string() + ": cannot replace (" + ec.message() + ")");
}

json load_report(const fs::path& report_json) {
    if (!fs::exists(report_json)) {
        throw ReportError(report_json.string() +
                          ": missing (expected the report.json written by gossiplab run)");
    }
    const std::string text = read_file(report_json);
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for a number too big
        throw ReportError(report_json.string() + ": not JSON: " + e.what());
    }
    const auto bad = [&](const std::string& what) {
        return ReportError(report_json.string() + ": " + what +
                           " (expected a report.json of schema_version " +
                           std::to_string(kReportSchemaVersion) + ")");
    };
    if (!j.is_object()) throw bad("top level is not an object");
    if (!j.contains("schema_version") || !j["schema_version"].is_number_integer()) {
        throw bad("no integer \"schema_version\"");
    }
    if (j["schema_version"].get<int64_t>() != kReportSchemaVersion) {
        throw bad("schema_version " + j["schema_version"].dump() + " is not supported");
    }
    if (!j.contains("checks") || !j["checks"].is_array()) throw bad("\"checks\" is not an array");
    for (size_t i = 0; i < j["checks"].size(); ++i) {
        const auto& c = j["checks"][i];
        if (!c.is_object() || !c.contains("check") || !c["check"].is_string() ||
            !c.contains("verdict") || !c["verdict"].is_string()) {
            throw bad("checks[" + std::to_string(i) + "] lacks string \"check\" and \"verdict\"");
        }
        for (const char* key : {"bound", "measured", "metrics", "evidence", "reason"}) {
            if (!c.contains(key))
                throw bad("checks[" + std::to_string(i) + "] lacks \"" + key + "\"");
        }
        if (!c["evidence"].is_array()) {
            throw bad("checks[" + std::to_string(i) + "].evidence is not an array");
        }
    }
    for (const char* key : {"scenario", "implementation", "environment", "summary"}) {
        if (!j.contains(key) || !j[key].is_object()) {
            throw bad(std::string("\"") + key + "\" is not an object");
        }
    }
    if (!j.contains("verdict") || !j["verdict"].is_string()) throw bad("no string \"verdict\"");

    // Rebuild through build_report so the renderers only ever see the documented types, even
    // for a hand-edited file (a number where a string belongs would otherwise throw there).
    const auto str = [](const json& obj, const char* key) {
        const json v = obj.value(key, json());
        return v.is_string() ? v.get<std::string>() : v.is_null() ? std::string() : v.dump();
    };
    const json& sc = j["scenario"];
    const json& impl = j["implementation"];
    RunInfo info;
    info.scenario_name = str(sc, "name");
    info.scenario_description = str(sc, "description");
    info.scenario = sc.value("resolved", json::object());
    info.seed = j.value("seed", json()).is_number_unsigned() ? j["seed"].get<uint64_t>() : 0;
    info.impl = str(impl, "name");
    info.profile = impl.value("profile", json());
    info.features = impl.value("features", json::array());
    info.environment = j["environment"];
    info.command = str(j, "command");
    info.duration_s = j.value("duration_s", json()).is_number() ? j["duration_s"].get<double>() : 0;
    info.checks = j["checks"];
    info.verdict = checkers::verdict_from_string(j["verdict"].get<std::string>());
    return build_report(info);
}

std::string fmt_num(double v) {
    if (!std::isfinite(v)) return "—";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    std::string s = buf;
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    if (s == "-0") s = "0";
    return s;
}

std::string display(const json& v) {
    if (v.is_null()) return "—";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_float()) return fmt_num(v.get<double>());
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::string> check_findings(const json& check) {
    std::vector<std::string> out;
    if (!check.is_object()) return out;
    const json model = check.value("model", json());
    if (model.is_object() && model.value("finding", json()).is_string())
        out.push_back(model["finding"].get<std::string>() +
                      (model.value("enforced", false) ? "" : " (reported; the guarantee decides)"));
    const json na = check.value("not_applicable", json());
    if (na.is_array())
        for (const auto& x : na) out.push_back("not applicable: " + display(x));
    return out;
}

}  // namespace gossiplab::reports::detail
