// run_health: whether the run itself was sound — every node started, stayed
// up unless the scenario stopped it, printed well-formed lines and obeyed
// SIGTERM. A run that was not sound cannot pass, whatever the other checks say.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace gossiplab::harness {

// Loads RUN_DIR/history.jsonl and returns the registered check "run_health"
// (docs/checkers.md) as a check result object (docs/history-format.md, "Check
// results"): fail with one piece of evidence per node_error/error action and
// malformed line; pass otherwise. Throws checkers::HistoryError (a
// std::runtime_error) naming the file when it cannot be read.
nlohmann::json run_health(const std::filesystem::path& run_dir);

}  // namespace gossiplab::harness
