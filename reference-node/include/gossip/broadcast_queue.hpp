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
    // With a `target`, messages it is known to hold are skipped, and it is recorded as
    // holding what it is sent, so a member's few sends of an update reach members that lack
    // it. Once `others` members hold a message (everyone else, the caller says), it is sent
    // to anyone again, so every message still leaves exactly `limit` times.
    std::vector<std::vector<std::uint8_t>> take(std::size_t room, int limit,
                                                const std::set<std::string>* skip = nullptr,
                                                const std::string& target = {},
                                                std::size_t others = 0);

    // Records that `holder` has the message queued under `key`, if `message` is exactly it
    // (an older version does not count). The one who sent it to us, say.
    void note_holder(const std::string& key, const std::string& holder,
                     const std::vector<std::uint8_t>& message);

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
        // Members known to have this message, by hash of their id: a collision only skips
        // one send to one member, and integer compares keep take() cheap.
        std::vector<std::size_t> holders;
    };
    std::map<std::string, Item> items_;
    std::map<Rank, std::string> by_rank_;
    std::uint64_t next_order_ = 0;
};

}  // namespace gossip
