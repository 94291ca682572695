// Scenario files: loading, validation with precise errors, defaults, and the
// seeded expansion of the schedule into concrete, timed actions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gossiplab::harness {

using nlohmann::json;

// A scenario (or manifest) that cannot be used. what() reads
// "FILE: at /json/path: what was expected", ready to print.
class ScenarioError : public std::runtime_error {
  public:
    ScenarioError(const std::string& file, const std::string& path, const std::string& msg)
        : std::runtime_error(file + ": at " + (path.empty() ? "/" : path) + ": " + msg) {}
};

// One concrete controller action at a planned time. `args` holds the action's
// resolved parameters (node ids, grudge groups, shapes ...); random choices
// are already made.
struct Action {
    double at = 0;
    std::string op;  // start, kill, pause, resume, restart, leave, partition, heal,
                     // shape, clear, starve_start, starve_stop, broadcast
    json args = json::object();
};

// What the command line may override in a scenario.
struct Overrides {
    std::optional<std::string> impl;
    std::optional<int> nodes;
    std::optional<std::string> profile;
    uint64_t seed = 1;
};

struct Scenario {
    std::string file;
    std::string name;
    std::string description;
    std::string source;
    bool quick = false;      // part of `suite --quick`
    std::vector<int> sweep;  // node counts `gossiplab suite` runs this scenario at (scale sweep)

    std::vector<std::string> nodes;                              // every node the run may start
    std::vector<std::string> seeds;                              // seed node ids
    std::map<std::string, std::vector<std::string>> node_seeds;  // per node: seeds it is given
    std::string impl = "reference";
    std::string profile;  // empty: the manifest's default

    json baseline_shape;  // null or a link shape object
    double duration = 0;
    std::vector<Action> actions;  // sorted by `at`, includes initial starts
    json checks = json::object();
    uint64_t seed = 1;

    json resolved;  // the whole scenario with every default filled in (scenario.json)
};

// Loads and validates FILE, applies overrides, expands the schedule with the
// seed. Throws ScenarioError on any problem; never returns a half-valid one.
Scenario load_scenario(const std::filesystem::path& file, const Overrides& ov);

// Same, from an already parsed document (`file` only names it in errors).
Scenario parse_scenario(const json& doc, const std::string& file, const Overrides& ov);

// Validates a link shape object; `path` names it in errors.
json validate_shape(const json& shape, const std::string& file, const std::string& path);

// A stable 64-bit mix of the run seed and a string (per-node RNG seeds).
uint64_t derive_seed(uint64_t seed, const std::string& salt);

}  // namespace gossiplab::harness
