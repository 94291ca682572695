// The record of one run: the names of history.jsonl's actions and events (the only place they
// are spelled out), the in-memory form of a loaded history, and its loader. The writer is
// writer.hpp; the ground truth derived from the actions is truth.hpp.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gossiplab::history {

using nlohmann::json;

// Thrown only when the history as a whole cannot be read (missing file, I/O error). The message
// reads "FILE:LINE: what was expected" (LINE is 0 when it concerns the whole file).
class HistoryError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

inline constexpr uint32_t kNone = 0xffffffffu;

// The three kinds of line: {"t", "kind", ...}.
enum class LineKind : uint8_t { event, action, malformed };
// "event", "action", "malformed".
const char* to_string(LineKind k);

enum class EventType : uint8_t {
    started,
    member,
    refute,
    rumor,
    counters,
    view,
    stopping,
    error,
    state,         // contract v2: an application state record the node applied
    state_digest,  // contract v2: the answer to the `digest` command
    other          // a type the contract does not define (flagged by history_wellformed)
};

// The event type's name in history.jsonl ("member", ...); "other" for EventType::other.
const char* to_string(EventType t);
// The type named `s`; EventType::other for a name the contract does not define.
EventType event_type(std::string_view s);

enum class MemberState : uint8_t { none, alive, suspect, dead, left };

// "alive", "suspect", "dead", "left"; "absent" for MemberState::none.
const char* to_string(MemberState s);
// The state named `s`; MemberState::none for any other string.
MemberState member_state(std::string_view s);

// One `kind: "event"` line, typed. Fields that the event type does not carry are kNone / -1 / NaN.
struct Event {
    double t = 0;              // controller time of the line
    double ts = 0;             // the node's own clock; NaN when missing or not a number
    uint32_t line = 0;         // 1-based line number in history.jsonl
    uint32_t node = kNone;     // interned id of the node that printed it
    uint32_t subject = kNone;  // member: the member's id; rumor: the rumor's id; started: its `id`;
                               // state: the owner's id
    uint32_t aux = kNone;      // counters: index into History::counters; rumor: the origin's id;
                               // state: index into History::states; error: into History::errors
    int64_t incarnation = -1;  // member/started/refute: the incarnation; -1 when absent
    EventType type = EventType::other;
    MemberState state = MemberState::none;  // member events only
};

struct CountersSample {
    double pkts_sent = 0, pkts_recv = 0, bytes_sent = 0, bytes_recv = 0;
    // Anti-entropy (contract v2, optional): 0 when the node does not print them.
    double sync_hashes = 0, sync_entries_sent = 0, sync_bytes_sent = 0;
    // Whether the event carried `sync_entries_sent` at all (an implementation without Merkle
    // anti-entropy, e.g. Serf, never does: its repair cost is unknown, not 0).
    bool has_sync_entries = false;
    // The failure detector's own traffic (optional): datagrams carrying a detector message and
    // those messages' bytes, without what was piggybacked on them; has_detector says whether
    // the event carried `detector_bytes_sent` at all.
    double detector_pkts_sent = 0, detector_bytes_sent = 0;
    bool has_detector = false;
    // Lifeguard's local health (optional gauges): the awareness score at the sample and the
    // highest since the previous one; -1 when the event does not carry them.
    double awareness = -1, awareness_peak = -1;
    // Datagrams the node refused as malformed (the contract's bad_pkts); -1 when the event
    // does not carry it.
    double bad_pkts = -1;
};

// A `state` event's record: which entry (owner, key), its version, value digest and tombstone.
struct StateRecord {
    uint32_t owner = kNone;  // interned id
    std::string key;
    uint64_t version = 0;
    std::string digest;
    bool deleted = false;
};

enum class ActionType : uint8_t {
    run_start,
    node_start,
    node_exit,
    node_error,
    kill,
    pause,
    resume,
    starve_start,
    starve_stop,
    leave,
    restart,
    partition,
    heal,
    shape,
    clear,
    clog,    // swizzle-clog: every packet to and from `node` dropped (field grudge, swizzle)
    unclog,  // swizzle-clog: `node`'s clog lifted (field swizzle)
    inject,  // hostile input sent to `node` (fields refuse, accept: datagram counts; datagrams)
    broadcast,
    set,  // contract v2: a `set` command was sent to `node` (fields key, value)
    del,  // "delete": a `delete` command was sent to `node` (field key)
    observe,
    load,  // the controller's once-a-second sample of how late the lab ran (harness/src/load.hpp)
    run_end,
    error,        // the controller could not do something (a fault, an observation)
    interrupted,  // the controller got SIGINT/SIGTERM and ends the run early
    other         // a name the record does not define
};

// The action's name in history.jsonl ("run_start", ...); "other" for ActionType::other.
const char* to_string(ActionType a);
// The action named `s`; ActionType::other for a name the record does not define.
ActionType action_type(std::string_view s);
// Whether an action of this type must carry a string "node" (node_start, kill, pause, ...).
bool needs_node(ActionType a);

// One `kind: "action"` line. Actions are few, so the whole line is kept as `body`.
struct Action {
    double t = 0;
    uint32_t line = 0;
    ActionType type = ActionType::other;
    uint32_t node = kNone;  // interned `node` field, when the action has one
    // A broadcast of a rumor id its node already broadcast (set by History::finish): not a
    // new rumor but a command the node must refuse (docs/checkers.md, dissemination).
    bool repeat = false;
    json body;
};

// A `kind: "malformed"` line: output of a node that was not an event (the controller's `why`).
// Also recorded as a Problem.
struct Malformed {
    double t = 0;
    uint32_t line = 0;
    uint32_t node = kNone;           // interned `node`, when it is a string
    std::optional<std::string> why;  // when it is a string
};

// A per-line problem found while loading (kept for history_wellformed, never thrown).
struct Problem {
    uint32_t line = 0;
    uint32_t node = kNone;
    double t = 0;
    std::string what;
};

// A loaded history. Node ids and rumor ids are interned to dense integers; `events` and
// `actions` are each in line order; the indexes below are built by the loader.
struct History {
    std::string file;                    // the name used in error messages and refs
    std::vector<std::string> ids;        // node id by interned number
    std::vector<std::string> rumor_ids;  // rumor id by interned number
    std::vector<uint32_t> declared;      // run_start.nodes, interned (empty without run_start)
    std::vector<Event> events;
    std::vector<Action> actions;
    std::vector<CountersSample> counters;
    std::vector<StateRecord> states;  // one per state event, in line order
    std::vector<std::string> errors;  // one per error event: its message ("" without one)
    std::vector<Problem> problems;
    std::vector<Malformed> malformed;  // in line order
    json run_start;                    // the run_start action line, or null
    uint32_t lines = 0;                // number of lines read
    double last_t = 0;                 // the largest `t` seen (0 before any)
    bool any_t = false;                // whether a line with a valid `t` was read

    // Indexes into `events`, built by finish(): member events by (observer, member) pair
    // (pair_index(o, m)), all events by node, rumor events by rumor id.
    std::vector<std::vector<uint32_t>> by_pair;
    std::vector<std::vector<uint32_t>> by_node;
    std::vector<std::vector<uint32_t>> by_rumor;

    size_t node_count() const { return ids.size(); }
    size_t pair_index(uint32_t observer, uint32_t member) const {
        return size_t(observer) * ids.size() + member;
    }
    // The interned number of `id`, or kNone.
    uint32_t find(std::string_view id) const;
    uint32_t find_rumor(std::string_view id) const;
    // The action written on `line`, or null (actions are in line order: a binary search).
    const Action* action_at(uint32_t line) const;
    uint32_t intern(std::string_view id);
    uint32_t intern_rumor(std::string_view id);
    // Builds the indexes and marks repeated broadcasts (Action::repeat); called by the loaders
    // (and by anyone who appends events by hand).
    void finish();

  private:
    // Transparent hashing: look-ups by string_view allocate nothing.
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> index_;
    std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> rumor_index_;
};

// Loads history.jsonl. Throws HistoryError("FILE:0: ...") when the file cannot be read; a bad
// line becomes a Problem (with its line number) and loading goes on.
History load_history(const std::filesystem::path& file);

// The same, from text already in memory (tests, benchmarks). `name` is used in refs.
History parse_history(std::string_view text, std::string name = "history.jsonl");

// The same without the fast scanner: every line takes the general JSON path. The two must
// load every text alike; the fuzzer (bench/fuzz) and the tests compare them.
History parse_history_general(std::string_view text, std::string name = "history.jsonl");

// Appends one line (`line` is its 1-based number) to `h`; the building block of both loaders.
// Call h.finish() after the last line.
void add_line(History& h, std::string_view text, uint32_t line);

}  // namespace gossiplab::history
