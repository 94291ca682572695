// Retransmission-limited, fewest-sent-first queue of piggybacked updates.
#include "gossip/broadcast_queue.hpp"

#include <algorithm>

namespace gossip {

void BroadcastQueue::push(const std::string& key, std::vector<std::uint8_t> message) {
    items_[key] = Item{std::move(message), 0, next_order_++};
}

std::vector<std::vector<std::uint8_t>> BroadcastQueue::take(std::size_t room, int limit,
                                                            const std::set<std::string>* skip) {
    std::vector<std::map<std::string, Item>::iterator> order;
    order.reserve(items_.size());
    for (auto it = items_.begin(); it != items_.end(); ++it) {
        if (skip == nullptr || skip->count(it->first) == 0) order.push_back(it);
    }
    std::sort(order.begin(), order.end(), [](auto a, auto b) {
        if (a->second.transmits != b->second.transmits) {
            return a->second.transmits < b->second.transmits;
        }
        return a->second.order > b->second.order;
    });
    std::vector<std::vector<std::uint8_t>> out;
    for (auto it : order) {
        if (room == 0) break;
        if (it->second.message.size() > room) continue;  // a smaller one may still fit
        room -= it->second.message.size();
        out.push_back(it->second.message);
        if (++it->second.transmits >= limit) items_.erase(it);
    }
    return out;
}

int BroadcastQueue::transmits(const std::string& key) const {
    auto it = items_.find(key);
    return it == items_.end() ? -1 : it->second.transmits;
}

}  // namespace gossip
