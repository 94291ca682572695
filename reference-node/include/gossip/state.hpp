// Application state: each member owns key -> value entries (Cassandra's application state,
// Serf's tags), versioned by its owner and merged last-writer-wins; deletes are tombstones.
//
// Versions are Lamport-style: a member's clock is at least every version it has seen, and a
// local write takes clock + 1. The clock starts at the member's starting incarnation (the wall
// clock in ms in the lab), so a restarted member, which has lost its state, still writes
// versions above those of its previous life. Order of two records of one entry: the higher
// version wins; at equal versions the writer (owner) id, then the value digest, then a
// tombstone over a value decide, so any two different records have exactly one winner and
// every member picks the same one.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gossip/merkle.hpp"

namespace gossip {

// 64-bit FNV-1a, finished by a strong mixer (splitmix64's), so XOR-combined values are uniform.
std::uint64_t hash64(std::string_view bytes, std::uint64_t seed = 0);
// 16 lowercase hex digits.
std::string hex64(std::uint64_t v);
// The `digest` of the contract's state event: hex64 of hash64(value) (of "" for a tombstone).
std::string value_digest(const std::string& value);

// One record of an entry, as stored and as sent.
struct KvEntry {
    std::string owner;
    std::string key;
    std::uint64_t version = 0;
    bool deleted = false;
    std::string value;  // empty for a tombstone
};

// Whether `a` wins over `b` (both records of one entry; see the order above). Irreflexive.
bool newer(const KvEntry& a, const KvEntry& b);
// The entry's place in the Merkle tree: hash64 of (owner, key).
std::uint64_t entry_position(const std::string& owner, const std::string& key);
// The Merkle tree's hash of a record: covers owner, key, version, tombstone flag and value.
std::uint64_t entry_hash(const KvEntry& e);

// Per owner: the number of entries (tombstones included) and the XOR of their entry hashes.
struct OwnerDigest {
    std::string owner;
    std::uint64_t entries = 0;
    std::uint64_t hash = 0;
};

// The entries a member holds, with their Merkle tree. Not thread-safe.
class StateStore {
  public:
    // Stores `e` if it is newer than the record held (or none is); returns whether it did.
    bool apply(const KvEntry& e);
    const KvEntry* find(const std::string& owner, const std::string& key) const;
    // The record at Merkle position `pos`, or null.
    const KvEntry* at(std::uint64_t pos) const;
    const MerkleTree& tree() const { return tree_; }
    std::size_t size() const { return entries_.size(); }
    // In owner order.
    std::vector<OwnerDigest> digest() const;
    const std::map<std::pair<std::string, std::string>, KvEntry>& all() const { return entries_; }

  private:
    std::map<std::pair<std::string, std::string>, KvEntry> entries_;  // nodes never move
    std::unordered_map<std::uint64_t, const KvEntry*> by_pos_;
    std::map<std::string, OwnerDigest> owners_;
    MerkleTree tree_;
};

}  // namespace gossip
