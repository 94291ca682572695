// Events the core reports to its driver, and their JSON form from docs/node-contract.md.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "gossip/types.hpp"

namespace gossip {

// The node contract version the reference node speaks (docs/node-contract.md).
constexpr int kContractVersion = 2;

struct StartedEvent {
    std::string id;
    Addr addr;
    std::uint64_t incarnation = 0;
};
// A change of the (state, incarnation) pair of another member in our view.
struct MemberEvent {
    std::string member;
    MemberState state = MemberState::alive;
    std::uint64_t incarnation = 0;
    Addr addr;
    std::string from;        // whose message caused it ("" when unknown)
    int confirmations = -1;  // suspect only; -1 elsewhere
};
struct RefuteEvent {
    std::uint64_t incarnation = 0;
    std::uint64_t accused_incarnation = 0;
    std::string from;
};
struct RumorEvent {
    std::string rumor;
    std::string origin;
    std::string payload;
};
struct Counters {
    std::uint64_t pkts_sent = 0;
    std::uint64_t pkts_recv = 0;
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_recv = 0;
    std::uint64_t bad_pkts = 0;
    // Anti-entropy (state sync): exchanges started (push-pulls carrying our Merkle root),
    // hashes compared (tree nodes and leaf entries), entries sent because they differed, and
    // the bytes of the sync datagrams we sent (sync_root, sync_children, sync_leaf, sync_want
    // and the kv records they answer with).
    std::uint64_t sync_started = 0;
    std::uint64_t sync_hashes = 0;
    std::uint64_t sync_entries_sent = 0;
    std::uint64_t sync_bytes_sent = 0;
    // The failure detector's own traffic: datagrams that carry one of its messages (SWIM:
    // ping, ack, ping-req, nack; the heartbeat detector: its table) and the bytes of those
    // messages, without the updates piggybacked beside them. What a detector costs per member,
    // apart from dissemination and anti-entropy.
    std::uint64_t detector_pkts_sent = 0;
    std::uint64_t detector_bytes_sent = 0;
    // Lifeguard's local health (awareness score, 0 = healthy): now, and the highest it reached
    // since the previous counters event. Gauges, not counts.
    std::uint64_t awareness = 0;
    std::uint64_t awareness_peak = 0;
};
struct CountersEvent {
    Counters counters;
};
struct ViewMember {
    std::string id;
    MemberState state = MemberState::alive;
    std::uint64_t incarnation = 0;
    Addr addr;
};
struct ViewEvent {
    std::vector<ViewMember> members;
    std::string self_id;
    std::uint64_t self_incarnation = 0;
};
// An application state record this node applied (its own write, or one it learned).
struct StateEvent {
    std::string owner;
    std::string key;
    std::uint64_t version = 0;
    std::string digest;  // value_digest(value)
    bool deleted = false;
    std::string from;  // whose message carried it (ourselves for our own writes)
};
struct OwnerDigestItem {
    std::string owner;
    std::uint64_t entries = 0;
    std::string hash;  // hex64
};
// The answer to the `digest` command.
struct StateDigestEvent {
    std::vector<OwnerDigestItem> owners;
    std::uint64_t entries = 0;
};
struct ErrorEvent {
    std::string message;
};

using Event = std::variant<StartedEvent, MemberEvent, RefuteEvent, RumorEvent, CountersEvent,
                           ViewEvent, ErrorEvent, StateEvent, StateDigestEvent>;

// The contract's JSON line for `e`, stamped with `ts` (wall-clock seconds since the epoch).
nlohmann::json to_json(const Event& e, double ts);

// The contract's last line of a node that stops on request (`reason`: "signal", "stdin",
// a command), with its final counters.
nlohmann::json stopping_json(const Counters& c, const char* reason, double ts);

}  // namespace gossip
