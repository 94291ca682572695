// `gossiplab init DIR`: a starting manifest for a new implementation and the script it runs.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

namespace gossiplab::harness {

// Writes DIR/impl.json (name NAME, the reference node's timing profile PROFILE as "fast",
// every contract feature) and DIR/node.sh, which runs the reference node until its exec line
// is replaced by the implementation's own command; both pass `gossiplab contract` as written.
// Creates DIR. Throws ScenarioError naming the file when one already exists (nothing is
// overwritten) and std::runtime_error when a file cannot be written.
void write_starter(const std::filesystem::path& dir, const std::string& name,
                   const nlohmann::json& profile);

}  // namespace gossiplab::harness
