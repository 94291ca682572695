// Events the core reports to its driver, and their JSON form from docs/node-contract.md.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "gossip/types.hpp"

namespace gossip {

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
struct ErrorEvent {
    std::string message;
};

using Event = std::variant<StartedEvent, MemberEvent, RefuteEvent, RumorEvent, CountersEvent,
                           ViewEvent, ErrorEvent>;

// The contract's JSON line for `e`, stamped with `ts` (wall-clock seconds since the epoch).
nlohmann::json to_json(const Event& e, double ts);

}  // namespace gossip
