// A report for a recorded run that has none: its controller was killed before it could write
// report.json. Everything comes from the run's own files, as the run left them.
#include <fstream>

#include "gossiplab/history/history.hpp"
#include "gossiplab/reports/report.h"
#include "internal.h"

namespace gossiplab::reports {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The JSON object in `file`, or null when it is missing or not an object (noted).
json object_file(const fs::path& file, std::vector<std::string>& notes) {
    std::ifstream in(file);
    if (!in) {
        notes.push_back(file.string() + ": missing");
        return nullptr;
    }
    json j = json::parse(in, nullptr, false);
    if (!j.is_object()) {
        notes.push_back(file.string() + ": not a JSON object");
        return nullptr;
    }
    return j;
}

}  // namespace

RunInfo recorded_run_info(const fs::path& run_dir, const json& checks,
                          std::vector<std::string>* notes_out) {
    std::vector<std::string> notes;
    RunInfo info;
    info.checks = checks;
    const json sc = object_file(run_dir / "scenario.json", notes);
    if (sc.is_object()) {
        info.scenario = sc;
        if (sc.value("name", json()).is_string()) info.scenario_name = sc["name"];
        if (sc.value("description", json()).is_string())
            info.scenario_description = sc["description"];
    }
    const json impl = object_file(run_dir / "impl.json", notes);
    if (impl.is_object()) {
        if (impl.value("name", json()).is_string()) info.impl = impl["name"];
        info.profile = impl.value("profile", json());
        if (info.profile.is_object() && impl.value("profile_name", json()).is_string())
            info.profile["name"] = impl["profile_name"];
        info.features = impl.value("features", json::array());
    }
    const json env = object_file(run_dir / "environment.json", notes);
    if (env.is_object()) info.environment = env;
    try {
        const history::History h = history::load_history(run_dir / "history.jsonl");
        const json& start = h.run_start;
        if (start.is_object()) {
            if (start.value("seed", json()).is_number_unsigned()) info.seed = start["seed"];
            if (start.value("command", json()).is_string()) info.command = start["command"];
            if (info.scenario_name.empty() && start.value("scenario", json()).is_string())
                info.scenario_name = start["scenario"];
        }
        info.duration_s = h.last_t;
    } catch (const std::exception& e) {
        notes.push_back(e.what());
    }
    if (notes_out) *notes_out = std::move(notes);
    return info;
}

}  // namespace gossiplab::reports
