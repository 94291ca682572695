// The Merkle tree of anti-entropy: a fixed-shape hash tree over 64-bit entry positions, so that
// two members compare their state root first and descend only into the ranges that differ.
//
// Shape: a node at level L (0 = root, kDepth = leaves) with prefix p covers every position
// whose top 4*L bits equal p; it has 16 children. A node's hash is the XOR of the hashes of the
// entries under it (Cassandra's MerkleTree combines rows the same way), so a change updates the
// kDepth + 1 nodes on its path in O(kDepth), with no rebuild; `count` is the number of entries
// under it. Entry hashes must be well mixed 64-bit values (entry_hash() in state.hpp): XOR of
// such values collides only by chance (2^-64 per comparison).
//
// Cost of a comparison (diff() below, and the node's exchange): a differing node's 16 children
// are compared, and only differing children are descended into; a range small on both sides
// (<= kLeafEntries entries) is settled by listing its entries. k differing entries among n cost
// at most about 16 * k * log16(n / kLeafEntries) + k hash comparisons, i.e. O(k log n).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

namespace gossip {

class MerkleTree {
  public:
    static constexpr int kFanoutBits = 4;
    static constexpr int kFanout = 1 << kFanoutBits;
    static constexpr int kDepth = 8;  // leaves are 32-bit prefixes of the position
    // A differing range with at most this many entries on both sides is settled by listing
    // its entries instead of descending further.
    static constexpr std::uint64_t kLeafEntries = 4;

    struct Sum {
        std::uint64_t hash = 0;
        std::uint64_t count = 0;
        bool operator==(const Sum&) const = default;
    };

    MerkleTree();

    // Inserts the entry at `pos`, or replaces the one there.
    void put(std::uint64_t pos, std::uint64_t entry_hash);
    // Removes the entry at `pos` (nothing when there is none).
    void erase(std::uint64_t pos);

    // The node (level, prefix); an empty range is {0, 0}. level in [0, kDepth].
    Sum node(int level, std::uint64_t prefix) const;
    // The 16 children of (level, prefix), level in [0, kDepth).
    std::array<Sum, kFanout> children(int level, std::uint64_t prefix) const;
    // The entries under (level, prefix): (position, entry hash), in position order.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> entries(int level,
                                                                 std::uint64_t prefix) const;
    Sum root() const { return node(0, 0); }
    std::size_t size() const { return entries_.size(); }

    // The prefix at `level` of position `pos`.
    static std::uint64_t prefix_of(std::uint64_t pos, int level) {
        return level == 0 ? 0 : pos >> (64 - kFanoutBits * level);
    }

  private:
    void apply(std::uint64_t pos, std::uint64_t hash_delta, int count_delta);

    std::map<std::uint64_t, std::uint64_t> entries_;              // position -> entry hash
    std::vector<std::unordered_map<std::uint64_t, Sum>> levels_;  // per level: prefix -> sum
};

// What a comparison cost: hashes compared (each node or entry hash looked at), ranges settled
// by listing, and the protocol's round trips (levels descended).
struct DiffStats {
    std::uint64_t hashes_compared = 0;
    std::uint64_t leaf_ranges = 0;
    std::uint64_t rounds = 0;
};

// The positions whose entry differs between `a` and `b` (present in one only, or with
// different hashes), in position order, found as the node's exchange finds them: the roots
// first, then only the children of differing nodes. A local model of the wire protocol, for
// tests and benchmarks.
std::vector<std::uint64_t> diff(const MerkleTree& a, const MerkleTree& b, DiffStats* stats);

}  // namespace gossip
