// Scenario files: loading, validation with precise errors, defaults, and the
// seeded expansion of the schedule into concrete, timed actions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "gossiplab/checkers/horizon.hpp"
#include "gossiplab/history/history.hpp"
#include "gossiplab/netem/grudge.hpp"
#include "gossiplab/netem/shape.hpp"

namespace gossiplab::harness {

using nlohmann::json;

// A scenario (or manifest) that cannot be used. what() reads
// "FILE: at /json/path: what was expected", ready to print.
class ScenarioError : public std::runtime_error {
  public:
    ScenarioError(const std::string& file, const std::string& path, const std::string& msg)
        : std::runtime_error(file + ": at " + (path.empty() ? "/" : path) + ": " + msg) {}
};

// The links a shape or clear applies to: every link, every link from and to one node, or the
// listed directed [src, dst] pairs.
struct Links {
    enum class Kind : uint8_t { all, node, pairs };
    Kind kind = Kind::all;
    std::string node;                                        // Kind::node
    std::vector<std::pair<std::string, std::string>> pairs;  // Kind::pairs
};
// The scenario and history form: "all", {"node": id} or [[src, dst], ...].
json to_json(const Links& l);

// The operations a schedule expands into, typed: random choices are already made and every
// node id is one of the cluster's. JSON exists only at the edges (scenario.json, history).
namespace op {
struct Start {
    std::string node;
};
struct Kill {
    std::string node;
};
struct Pause {
    std::string node;
};
struct Resume {
    std::string node;
};
// `reset`: the node comes back at its initial incarnation instead of outbidding its previous
// life (the manifest's reset_incarnation arguments; memberlist#311): it must refute what its
// peers remember to rejoin.
struct Restart {
    std::string node;
    bool reset = false;
};
struct Leave {
    std::string node;
};
struct Broadcast {
    std::string node, rumor, payload;
};
// Hostile input: the implementation's malformed-datagram corpus (its manifest's
// malformed_corpus) sent to `node`'s own address from inside its namespace.
struct Inject {
    std::string node;
};
// Application state (node contract v2): the node writes one of its own entries.
struct Set {
    std::string node, key, value;
};
struct Delete {
    std::string node, key;
};
struct StarveStart {
    std::string node;
    double share = 0.1, period = 0.1;
};
struct StarveStop {
    std::string node;
};
// A partition: the grudge it adds, and how the scenario described it (for the history).
struct Partition {
    std::string split;  // halves, isolate, groups, one_way, bridge, random
    netem::Grudge grudge;
    std::vector<std::vector<std::string>> groups;  // halves/random/groups; else empty
    std::string node;                              // isolate, bridge; else empty
    std::string from, to;                          // one_way; else empty
};
struct Heal {};
struct Shape {
    Links links;
    netem::LinkShape shape;
};
struct Clear {
    Links links;
};
// One step of a swizzle-clog (FoundationDB): `node`'s links are all stopped (Clog: `grudge`
// isolates it) or restored (Unclog). `subset` is the swizzle's random subset, `step` this
// step's number (1-based) of `steps` (two per node: its clog, then its restore).
struct Clog {
    std::string node;
    netem::Grudge grudge;
    std::vector<std::string> subset;
    int step = 0, steps = 0;
};
struct Unclog {
    std::string node;
    std::vector<std::string> subset;
    int step = 0, steps = 0;
};
}  // namespace op

using Op =
    std::variant<op::Start, op::Kill, op::Pause, op::Resume, op::Restart, op::Leave, op::Broadcast,
                 op::StarveStart, op::StarveStop, op::Partition, op::Heal, op::Shape, op::Clear,
                 op::Set, op::Delete, op::Clog, op::Unclog, op::Inject>;

// std::visit with one lambda per operation: std::visit(Overload{[](const op::Kill&) {...}, ...},
// o).
template <class... F>
struct Overload : F... {
    using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

// The history action the operation is recorded as (node_start for a start).
history::ActionType op_action(const Op& o);
// The operation's name in scenario.json's resolved "actions" ("start", "starve_start", ...).
const char* op_name(const Op& o);
// The node the operation acts on (node operations and broadcast), else empty.
std::string op_node(const Op& o);
// The operation's parameters as scenario.json and the history write them (no "at"/"do").
json op_fields(const Op& o);

// One concrete controller action at a planned time.
struct Action {
    double at = 0;
    Op op;
};

// What the command line may override in a scenario.
struct Overrides {
    std::optional<std::string> impl;
    std::optional<int> nodes;
    std::optional<std::string> profile;
    uint64_t seed = 1;
    // The timing profile (seconds, null knobs allowed) of implementation IMPL's profile PROFILE
    // (empty: its default), for numbers a scenario writes as expressions over the profile
    // ("at": "5 + 3 * probe_interval"). Unset: such a scenario is an error.
    std::function<json(const std::string& impl, const std::string& profile)> profile_of;
};

struct Scenario {
    std::string file;
    std::string name;
    std::string description;
    std::string source;
    bool quick = false;      // part of `suite --quick`
    std::vector<int> sweep;  // node counts `gossiplab suite` runs this scenario at (scale sweep)
    // The mechanisms the run must see happen (checkers::mechanisms(); the check `exercised`).
    std::vector<std::string> exercises;

    std::vector<std::string> nodes;                              // every node the run may start
    std::vector<std::string> seeds;                              // seed node ids
    std::map<std::string, std::vector<std::string>> node_seeds;  // per node: seeds it is given
    std::string impl = "reference";
    std::string profile;  // empty: the manifest's default

    std::optional<netem::LinkShape> baseline_shape;  // the whole run's shape on every link
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

// The changes the schedule plans, in time order, for checkers::judgement_horizon: a start
// (a restart when the node ran before), restart, kill (a crash), leave, heal, the end of a
// pause or of a starvation (a resume, with when it began) and each rumor.
std::vector<checkers::Planned> planned_changes(const Scenario& sc);

// When the run's obligations can all be judged, under the scenario's checks and `profile` (the
// timing profile the run uses), and how long the run therefore lasts: its duration, or the
// horizon plus 1 s for the controller's own latency (an action lands a little after its
// planned time), whichever is later (docs/checkers.md, "Run length").
checkers::Horizon run_horizon(const Scenario& sc, const json& profile);
double run_length(double duration, const checkers::Horizon& h);
// Both in one: how long a run of SC under `profile` lasts.
double run_length(const Scenario& sc, const json& profile);

// A stable 64-bit mix of the run seed and a string (per-node RNG seeds).
uint64_t derive_seed(uint64_t seed, const std::string& salt);

}  // namespace gossiplab::harness
