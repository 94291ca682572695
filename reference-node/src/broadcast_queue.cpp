// Retransmission-limited, fewest-sent-first queue of piggybacked updates.
#include "gossip/broadcast_queue.hpp"

#include <algorithm>
#include <functional>

namespace gossip {

namespace {
constexpr std::size_t kMaxHolders = 32;
constexpr std::size_t kMaxSkipped = 256;
}  // namespace

void BroadcastQueue::push(const std::string& key, std::vector<std::uint8_t> message) {
    if (auto it = items_.find(key); it != items_.end()) by_rank_.erase(it->second.rank);
    // Newer messages get smaller second components, so they sort first among equals.
    Rank rank{0, ~next_order_++};
    items_[key] = Item{std::move(message), rank, {}};
    by_rank_.emplace(rank, key);
}

std::vector<std::vector<std::uint8_t>> BroadcastQueue::take(std::size_t room, int limit,
                                                            const std::set<std::string>* skip,
                                                            const std::string& target,
                                                            std::size_t others) {
    // No queued update is smaller than this: below it, scanning on is pointless.
    constexpr std::size_t kSmallest = 8;
    std::vector<std::vector<std::uint8_t>> out;
    std::vector<std::map<Rank, std::string>::iterator> taken;
    const std::size_t target_hash = std::hash<std::string>{}(target);
    std::size_t skipped = 0;
    for (auto it = by_rank_.begin(); it != by_rank_.end() && room >= kSmallest; ++it) {
        if (skip != nullptr && skip->count(it->second) != 0) continue;
        const Item& item = items_.at(it->second);
        if (item.message.size() > room) continue;  // a smaller one may still fit
        if (!target.empty() && item.holders.size() < others &&
            std::find(item.holders.begin(), item.holders.end(), target_hash) !=
                item.holders.end()) {
            // Bound the scan: a target holding most of a long queue must not make each
            // packet cost O(queue).
            if (++skipped > kMaxSkipped) break;
            continue;
        }
        room -= item.message.size();
        out.push_back(item.message);
        taken.push_back(it);
    }
    for (auto it : taken) {
        std::string key = std::move(it->second);
        by_rank_.erase(it);
        auto item = items_.find(key);
        item->second.rank.first += 1;
        // Bounded: the list only steers sends, it need not be complete.
        if (!target.empty() && item->second.holders.size() < kMaxHolders) {
            item->second.holders.push_back(target_hash);
        }
        if (item->second.rank.first >= limit) {
            items_.erase(item);
        } else {
            by_rank_.emplace(item->second.rank, std::move(key));
        }
    }
    return out;
}

void BroadcastQueue::note_holder(const std::string& key, const std::string& holder,
                                 const std::vector<std::uint8_t>& message) {
    auto it = items_.find(key);
    if (it == items_.end() || it->second.message != message) return;
    auto& h = it->second.holders;
    std::size_t hh = std::hash<std::string>{}(holder);
    if (h.size() < kMaxHolders && std::find(h.begin(), h.end(), hh) == h.end()) h.push_back(hh);
}

int BroadcastQueue::transmits(const std::string& key) const {
    auto it = items_.find(key);
    return it == items_.end() ? -1 : it->second.rank.first;
}

}  // namespace gossip
