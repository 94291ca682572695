// Implementation manifests (adapters/NAME/impl.json): how to launch an
// implementation, its timing profiles and the contract features it reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gossiplab::harness {

struct Manifest {
    std::string name;
    std::string description;
    std::string ref;             // how to name it again: the name, or the file's absolute path
    std::filesystem::path file;  // the impl.json it was read from
    std::filesystem::path dir;   // the folder holding it ({adapter})
    std::vector<std::string> command;          // template with {placeholders}
    std::vector<std::string> version_command;  // may be empty
    int port = 7946;
    std::string default_profile;
    std::map<std::string, nlohmann::json> profiles;  // name -> timing profile (seconds)
    std::vector<std::string> features;
    int contract = 1;  // the node contract version it speaks: 1, or 2 (application state)
    std::vector<std::string> setup;  // extra scripts/setup.sh options this adapter needs
    // "reset_incarnation": the arguments (placeholders allowed) added to a node's command when
    // a scenario restarts it with its incarnation reset (restart "incarnation": "reset"); empty
    // when every start already begins at the initial incarnation. Unset: it cannot.
    std::optional<std::vector<std::string>> reset_incarnation;
    // "malformed_corpus": a command ({bin}, {adapter}) that prints the implementation's
    // hostile-input corpus as JSON (docs/node-contract.md); empty: it has none, and scenarios
    // that inject hostile input do not apply to it.
    std::vector<std::string> malformed_corpus;

    bool has(const std::string& feature) const;
    // The profile `name` (empty: the default). Throws ScenarioError naming the
    // manifest and the known profiles when it does not exist.
    const nlohmann::json& profile(const std::string& name) const;
};

// The timing-profile knobs every profile must define (a number, or null when
// the implementation has no such knob).
const std::vector<std::string>& profile_knobs();
// Knobs a profile may add (a number >= 0, or null): the heartbeat detector's fail_after and
// cleanup_after, in periods (probe_interval). Bound expressions may use them.
const std::vector<std::string>& optional_profile_knobs();

// Whether `--impl NAME` names a file rather than an implementation of adapters/: it holds a
// '/' or ends in ".json" ("./impl.json", "/ci/mynode.json", "ci/mynode").
bool is_manifest_path(const std::string& name);

// Loads an implementation manifest: HOME/adapters/NAME/impl.json for a plain name, or, when
// NAME is a path (is_manifest_path), that file, or NAME/impl.json for a folder, wherever it
// is; {adapter} is then the file's folder. Throws ScenarioError (file, JSON path, what was
// expected) on any problem, including an unknown NAME (listing the implementations that
// exist) and a path with no file.
Manifest load_manifest(const std::filesystem::path& home, const std::string& name);

// Overrides::profile_of for scenarios that write times over the timing profile: the named
// profile of adapters/IMPL/impl.json under `home` (throws as load_manifest and profile do).
std::function<nlohmann::json(const std::string& impl, const std::string& profile)> profile_lookup(
    const std::filesystem::path& home);

// The arguments that restart a node of `m` at its initial incarnation (its reset_incarnation,
// placeholders substituted from `vars`). Throws std::runtime_error naming the manifest when it
// has none: the implementation cannot be restarted that way.
std::vector<std::string> reset_arguments(const Manifest& m,
                                         const std::map<std::string, std::string>& vars);

// One datagram of an implementation's hostile-input corpus.
struct HostileDatagram {
    std::string name;
    bool refuse = true;  // malformed: the node must drop it whole; false: it must take it
    std::vector<std::uint8_t> bytes;
};

// Runs `m`'s malformed_corpus command and reads what it prints: a JSON array of
// {"name", "expect": "refuse"|"accept", "hex"}. Throws ScenarioError naming the manifest's
// /malformed_corpus and what was wrong (no command, it failed, the output is not the corpus).
std::vector<HostileDatagram> load_corpus(const Manifest& m, const std::filesystem::path& bin);

// An `inject` action's fields for CORPUS sent to NODE: {"node", "refuse", "accept": how many
// of each, "datagrams": their names}. Throws std::runtime_error when the corpus is empty (none
// was loaded).
nlohmann::json inject_fields(const std::string& node, const std::vector<HostileDatagram>& corpus);

// Substitutes {placeholders} in each argument. Unknown placeholders are an
// error naming the manifest.
std::vector<std::string> expand_command(const std::vector<std::string>& tmpl,
                                        const std::map<std::string, std::string>& vars,
                                        const std::string& manifest_file);

}  // namespace gossiplab::harness
