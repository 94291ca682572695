// The queue of updates waiting to be piggybacked: each is sent a bounded number of times,
// fewest-sent first.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace gossip {

class BroadcastQueue {
  public:
    // Queues an encoded message under `key`; a message with the same key (an older update
    // about the same member, say) is replaced and its send count restarts at zero.
    void push(const std::string& key, std::vector<std::uint8_t> message);

    // Takes messages that fit in `room` bytes in total, fewest-sent first (newest first among
    // equals), counts one transmission for each, and drops those sent `limit` times.
    // Keys in `skip` are left alone (a peer that just pushed them needs no copy back).
    std::vector<std::vector<std::uint8_t>> take(std::size_t room, int limit,
                                                const std::set<std::string>* skip = nullptr);

    // The send count of `key`, or -1 when it is not queued (tests).
    int transmits(const std::string& key) const;
    bool empty() const { return items_.empty(); }
    std::size_t size() const { return items_.size(); }
    void clear() {
        items_.clear();
        by_rank_.clear();
    }

  private:
    // (transmits, newest first): iteration order of take(), kept sorted so a packet costs
    // O(messages taken * log size), not a sort of the whole queue (joins queue N updates).
    using Rank = std::pair<int, std::uint64_t>;
    struct Item {
        std::vector<std::uint8_t> message;
        Rank rank;
    };
    std::map<std::string, Item> items_;
    std::map<Rank, std::string> by_rank_;
    std::uint64_t next_order_ = 0;
};

}  // namespace gossip
