// run_health for a run directory: the registered check (checkers/src/run_health.cpp) on its
// history.
#include "gossiplab/harness/run_health.hpp"

#include "gossiplab/checkers/checkers.hpp"

namespace gossiplab::harness {

using nlohmann::json;

json run_health(const std::filesystem::path& run_dir) {
    const checkers::History h = checkers::load_history(run_dir / "history.jsonl");
    const checkers::Context ctx{h, json::object(), nullptr, {}};
    return checkers::run_check("run_health", ctx, json::object()).to_json();
}

}  // namespace gossiplab::harness
