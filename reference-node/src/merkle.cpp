// The Merkle tree's incremental upkeep and the reference comparison (merkle.hpp).
#include "gossip/merkle.hpp"

#include <algorithm>

namespace gossip {

MerkleTree::MerkleTree() : levels_(kDepth + 1) {}

void MerkleTree::apply(std::uint64_t pos, std::uint64_t hash_delta, int count_delta) {
    for (int level = 0; level <= kDepth; ++level) {
        auto& map = levels_[static_cast<std::size_t>(level)];
        Sum& s = map[prefix_of(pos, level)];
        s.hash ^= hash_delta;
        s.count = static_cast<std::uint64_t>(static_cast<std::int64_t>(s.count) + count_delta);
        if (s.count == 0) map.erase(prefix_of(pos, level));
    }
}

void MerkleTree::put(std::uint64_t pos, std::uint64_t entry_hash) {
    auto [it, inserted] = entries_.try_emplace(pos, entry_hash);
    if (inserted) {
        apply(pos, entry_hash, 1);
    } else if (it->second != entry_hash) {
        apply(pos, it->second ^ entry_hash, 0);
        it->second = entry_hash;
    }
}

void MerkleTree::erase(std::uint64_t pos) {
    auto it = entries_.find(pos);
    if (it == entries_.end()) return;
    apply(pos, it->second, -1);
    entries_.erase(it);
}

MerkleTree::Sum MerkleTree::node(int level, std::uint64_t prefix) const {
    if (level < 0 || level > kDepth) return {};
    const auto& map = levels_[static_cast<std::size_t>(level)];
    auto it = map.find(prefix);
    return it == map.end() ? Sum{} : it->second;
}

std::array<MerkleTree::Sum, MerkleTree::kFanout> MerkleTree::children(int level,
                                                                      std::uint64_t prefix) const {
    std::array<Sum, kFanout> out{};
    if (level < 0 || level >= kDepth) return out;
    // An empty node has no children: skip 16 look-ups.
    if (node(level, prefix).count == 0) return out;
    for (int i = 0; i < kFanout; ++i)
        out[static_cast<std::size_t>(i)] =
            node(level + 1, (prefix << kFanoutBits) | static_cast<std::uint64_t>(i));
    return out;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> MerkleTree::entries(
    int level, std::uint64_t prefix) const {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    if (level < 0 || level > kDepth) return out;
    auto it = entries_.begin();
    auto end = entries_.end();
    if (level > 0) {
        int shift = 64 - kFanoutBits * level;
        std::uint64_t lo = prefix << shift;
        std::uint64_t hi = lo | ((std::uint64_t{1} << shift) - 1);
        it = entries_.lower_bound(lo);
        end = entries_.upper_bound(hi);
    }
    for (; it != end; ++it) out.emplace_back(it->first, it->second);
    return out;
}

namespace {

// Settles one range by listing both sides' entries (what the node's sync_leaf exchange does).
void settle(const MerkleTree& a, const MerkleTree& b, int level, std::uint64_t prefix,
            DiffStats& st, std::vector<std::uint64_t>& out) {
    ++st.leaf_ranges;
    auto ea = a.entries(level, prefix);
    auto eb = b.entries(level, prefix);
    std::size_t i = 0, j = 0;
    while (i < ea.size() || j < eb.size()) {
        if (j == eb.size() || (i < ea.size() && ea[i].first < eb[j].first)) {
            out.push_back(ea[i++].first);
        } else if (i == ea.size() || eb[j].first < ea[i].first) {
            out.push_back(eb[j++].first);
        } else {
            ++st.hashes_compared;
            if (ea[i].second != eb[j].second) out.push_back(ea[i].first);
            ++i;
            ++j;
        }
    }
}

}  // namespace

std::vector<std::uint64_t> diff(const MerkleTree& a, const MerkleTree& b, DiffStats* stats) {
    DiffStats st;
    std::vector<std::uint64_t> out;
    // Breadth first, one level per round trip, as the exchange goes.
    struct Range {
        int level;
        std::uint64_t prefix;
    };
    ++st.rounds;
    ++st.hashes_compared;
    std::vector<Range> todo;
    if (!(a.root() == b.root())) todo.push_back({0, 0});
    while (!todo.empty()) {
        std::vector<Range> next;
        for (const Range& r : todo) {
            MerkleTree::Sum sa = a.node(r.level, r.prefix), sb = b.node(r.level, r.prefix);
            bool small =
                sa.count <= MerkleTree::kLeafEntries && sb.count <= MerkleTree::kLeafEntries;
            if (sa.count == 0 || sb.count == 0 || small || r.level == MerkleTree::kDepth) {
                settle(a, b, r.level, r.prefix, st, out);
                continue;
            }
            auto ca = a.children(r.level, r.prefix), cb = b.children(r.level, r.prefix);
            for (int i = 0; i < MerkleTree::kFanout; ++i) {
                ++st.hashes_compared;
                if (ca[static_cast<std::size_t>(i)] == cb[static_cast<std::size_t>(i)]) continue;
                next.push_back({r.level + 1, (r.prefix << MerkleTree::kFanoutBits) |
                                                 static_cast<std::uint64_t>(i)});
            }
        }
        if (!next.empty()) ++st.rounds;
        todo = std::move(next);
    }
    std::sort(out.begin(), out.end());
    if (stats != nullptr) *stats = st;
    return out;
}

}  // namespace gossip
