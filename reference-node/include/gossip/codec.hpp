// The wire format: messages, packets and their binary encoding.
//
// Wire format (version 1), integers are unsigned LEB128 varints unless said otherwise:
//
//   packet  := magic 0x47 'G' | version 0x01 | sender:str | count:varint | message{count}
//   message := type:u8 | length:varint | body[length]
//   str     := length:varint | bytes          (ids <= 64 bytes, payloads <= 1024)
//   addr    := ip:u32 big-endian | port:u16 big-endian
//
//   type 1 ping      seq, target:str              "are you alive?" (target names who we mean)
//   type 2 ping_req  seq, target:str, addr, nack:u8  "ping target for me"
//   type 3 ack       seq
//   type 4 nack      seq                          "I asked, no answer yet" (Lifeguard)
//   type 5 alive     id:str, incarnation, addr
//   type 6 suspect   id:str, incarnation, from:str
//   type 7 dead      id:str, incarnation, from:str   (from == id: the member left)
//   type 8 rumor     id:str, origin:str, payload:str
//   type 9 pull_req  (empty)                      "send me your hot updates"
//   type 10 push_pull join:u8, reply:u8, count, {id:str, incarnation, state:u8, addr}*
//   type 11 kv        owner:str, key:str, version, deleted:u8, value:str, sync:u8
//                     (an application state record; sync = 1: sent by anti-entropy)
//   type 12 sync_root hash:u64le, count        "my Merkle root" (rides on a push-pull request)
//   type 13 sync_children level:u8, prefix, mask:u16le, {hash:u64le, count}*  (one per set bit)
//                     "my children of tree node (level, prefix)"
//   type 14 sync_leaf level:u8, prefix, count, {pos:u64le, version, hash:u64le}*
//                     "every entry I hold under (level, prefix)"
//   type 15 sync_want count, pos:u64le*       "send me these entries"
//   type 16 heartbeats count, {id:str, incarnation, heartbeat, age_ms, addr}*
//                     part of the sender's heartbeat table (Config::detector = heartbeat):
//                     each member's (incarnation, counter) and how long ago, in ms, the
//                     sender saw that counter advance (the sender itself: age 0)
//
// Anti-entropy (gossip/merkle.hpp) is a stateless exchange of these over UDP: each message is
// answered by comparing it with the receiver's own tree, descending one level per round trip.
//
// A packet carries any number of messages (compound), so updates ride on probes. UDP packets
// never exceed Config::packet_budget (1400) bytes; push-pull travels over TCP framed by a
// 4-byte big-endian length. Unknown message types are skipped by their length, so a later
// version can add messages; a truncated or malformed packet is rejected as a whole.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "gossip/types.hpp"

namespace gossip {

constexpr std::uint8_t kMagic = 0x47;
constexpr std::uint8_t kWireVersion = 1;
constexpr std::size_t kMaxIdLen = 64;
constexpr std::size_t kMaxPayloadLen = 1024;
constexpr std::size_t kMaxKeyLen = 64;      // application state keys
constexpr std::size_t kMaxValueLen = 1024;  // and values
constexpr std::uint8_t kMaxSyncLevel = 8;   // MerkleTree::kDepth
// Push-pull state of ~20k members fits; anything larger is refused as hostile.
constexpr std::size_t kMaxStreamFrame = 4u << 20;

struct Ping {
    std::uint32_t seq = 0;
    std::string target;
};
struct PingReq {
    std::uint32_t seq = 0;
    std::string target;
    Addr target_addr;
    bool want_nack = false;
};
struct Ack {
    std::uint32_t seq = 0;
};
struct Nack {
    std::uint32_t seq = 0;
};
struct Alive {
    std::string id;
    std::uint64_t incarnation = 0;
    Addr addr;
};
struct Suspect {
    std::string id;
    std::uint64_t incarnation = 0;
    std::string from;
};
struct Dead {
    std::string id;
    std::uint64_t incarnation = 0;
    std::string from;
    bool left() const { return from == id; }
};
struct Rumor {
    std::string id;
    std::string origin;
    std::string payload;
};
struct PullReq {};
struct StateEntry {
    std::string id;
    std::uint64_t incarnation = 0;
    MemberState state = MemberState::alive;
    Addr addr;
};
struct PushPull {
    bool join = false;
    bool reply = false;
    std::vector<StateEntry> members;
};

struct KvUpdate {
    std::string owner;
    std::string key;
    std::uint64_t version = 0;
    bool deleted = false;
    std::string value;
    bool sync = false;  // sent by anti-entropy, not gossip: the receiver does not re-gossip it
};
struct SyncRoot {
    std::uint64_t hash = 0;
    std::uint64_t count = 0;
};
struct SyncSum {
    std::uint64_t hash = 0;
    std::uint64_t count = 0;
    bool operator==(const SyncSum&) const = default;
};
struct SyncChildren {
    std::uint8_t level = 0;
    std::uint64_t prefix = 0;
    std::array<SyncSum, 16> children{};  // empty children are not sent
};
struct SyncLeafEntry {
    std::uint64_t pos = 0;
    std::uint64_t version = 0;
    std::uint64_t hash = 0;
    bool operator==(const SyncLeafEntry&) const = default;
};
struct SyncLeaf {
    std::uint8_t level = 0;
    std::uint64_t prefix = 0;
    std::vector<SyncLeafEntry> entries;
};
struct SyncWant {
    std::vector<std::uint64_t> positions;
};
struct HeartbeatEntry {
    std::string id;
    std::uint64_t incarnation = 0;
    std::uint64_t heartbeat = 0;
    std::uint64_t age_ms = 0;
    Addr addr;
    bool operator==(const HeartbeatEntry&) const = default;
};
struct Heartbeats {
    std::vector<HeartbeatEntry> entries;
};
// The bytes one entry adds to a Heartbeats message, so a table can be split into datagrams.
std::size_t encoded_size(const HeartbeatEntry& e);
// The bytes of a Heartbeats message beyond its entries, at most (type, length, count).
constexpr std::size_t kHeartbeatsOverhead = 1 + 3 + 3;

using Message =
    std::variant<Ping, PingReq, Ack, Nack, Alive, Suspect, Dead, Rumor, PullReq, PushPull, KvUpdate,
                 SyncRoot, SyncChildren, SyncLeaf, SyncWant, Heartbeats>;

// The failure detector's own messages (SWIM's probes and their answers, the heartbeat table),
// as the counters' detector_* fields count them.
inline bool is_detector_message(const Message& m) {
    return std::holds_alternative<Ping>(m) || std::holds_alternative<PingReq>(m) ||
           std::holds_alternative<Ack>(m) || std::holds_alternative<Nack>(m) ||
           std::holds_alternative<Heartbeats>(m);
}

struct Packet {
    std::string sender;
    std::vector<Message> messages;
};

// Encodes one message (type, length, body), ready to be appended to a packet.
std::vector<std::uint8_t> encode_message(const Message& m);

// Encodes a whole packet with no size limit (used for TCP frames and in tests).
std::vector<std::uint8_t> encode_packet(const Packet& p);

// Assembles a packet from pre-encoded messages without exceeding `budget` bytes.
class PacketBuilder {
  public:
    PacketBuilder(const std::string& sender, std::size_t budget);
    // Appends `msg` if the packet stays within budget; returns false (and changes nothing)
    // otherwise. The count field is budgeted at its widest (3 bytes), so finish() never grows
    // the packet past the budget.
    bool add(const std::vector<std::uint8_t>& msg);
    bool fits(std::size_t msg_size) const { return used_ + msg_size <= budget_; }
    std::size_t room() const { return budget_ > used_ ? budget_ - used_ : 0; }
    std::size_t count() const { return count_; }
    std::vector<std::uint8_t> finish() const;

  private:
    std::vector<std::uint8_t> head_;  // magic, version, sender
    std::vector<std::uint8_t> body_;  // messages
    std::size_t count_ = 0;
    std::size_t budget_;
    std::size_t used_;
};

// The outcome of decoding: a packet, or a reason it was rejected.
struct Decoded {
    bool ok = false;
    Packet packet;
    std::string error;  // when !ok: what was wrong and at which byte
    std::size_t unknown_messages = 0;
};

// Decodes a packet of at most max_size bytes. Never throws; never reads past `bytes`.
Decoded decode_packet(std::span<const std::uint8_t> bytes, std::size_t max_size);

}  // namespace gossip
