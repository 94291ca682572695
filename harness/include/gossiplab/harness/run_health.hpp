// run_health: whether the run itself was sound — every node started, stayed
// up unless the scenario stopped it, printed well-formed lines and obeyed
// SIGTERM. A run that was not sound cannot pass, whatever the other checks say.
#pragma once

#include <filesystem>

#include <nlohmann/json.hpp>

namespace gossiplab::harness {

// Reads RUN_DIR/history.jsonl and returns a check result object (see
// docs/history-format.md, "Check results") named "run_health": fail with one
// piece of evidence per node_error/error action and malformed line; pass
// otherwise. Throws std::runtime_error naming the file when it cannot be read.
nlohmann::json run_health(const std::filesystem::path& run_dir);

}  // namespace gossiplab::harness
