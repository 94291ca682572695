// run_health: node errors and malformed output recorded by the controller.
#include "gossiplab/harness/run_health.hpp"

#include <fstream>
#include <stdexcept>

#include "gossiplab/checkers/verdict.hpp"

namespace gossiplab::harness {

using nlohmann::json;

json run_health(const std::filesystem::path& run_dir) {
    auto file = run_dir / "history.jsonl";
    std::ifstream in(file);
    if (!in) throw std::runtime_error(file.string() + ": cannot open");
    json evidence = json::array();
    size_t problems = 0, lineno = 0;
    std::string line;
    constexpr size_t kMaxEvidence = 50;
    while (std::getline(in, line)) {
        ++lineno;
        json l = json::parse(line, nullptr, false);
        if (!l.is_object()) continue;  // history_wellformed reports unreadable lines
        std::string kind = l.value("kind", "");
        std::string what;
        if (kind == "malformed") {
            what = "printed a malformed line (" + l.value("why", "?") + ")";
        } else if (kind == "action" &&
                   (l.value("action", "") == "node_error" || l.value("action", "") == "error")) {
            what = l.value("message", "error");
        } else {
            continue;
        }
        ++problems;
        if (evidence.size() < kMaxEvidence)
            evidence.push_back({{"t", l.value("t", 0.0)},
                                {"node", l.contains("node") ? l["node"] : json(nullptr)},
                                {"what", what},
                                {"ref", lineno}});
    }
    json r = {{"check", "run_health"},
              {"bound", nullptr},
              {"measured", problems},
              {"metrics", {{"problems", problems}, {"lines", lineno}}},
              {"evidence", evidence}};
    if (problems == 0) {
        r["verdict"] = checkers::Verdict::Pass;
        r["reason"] = "every node started, behaved and stopped as the scenario asked";
    } else {
        r["verdict"] = checkers::Verdict::Fail;
        const json& e = evidence[0];
        r["reason"] = std::to_string(problems) + " problem(s) with the nodes; first: " +
                      (e["node"].is_string() ? e["node"].get<std::string>() + ": " : "") +
                      e["what"].get<std::string>();
    }
    return r;
}

}  // namespace gossiplab::harness
