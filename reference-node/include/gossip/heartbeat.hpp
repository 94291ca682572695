// The heartbeat-counter failure detector (gossip-style failure detection: van Renesse, Minsky
// and Hayden, Middleware 1998), the detector SWIM replaced: each member raises its own counter
// every period and gossips its whole table; a member whose counter stops advancing is
// suspected, then declared dead. This class keeps the table's timing and gives the verdicts;
// Node (Config::detector = heartbeat) sends the tables and turns verdicts into member events.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "gossip/types.hpp"

namespace gossip {

class HeartbeatDetector {
  public:
    struct Entry {
        std::uint64_t incarnation = 0;
        std::uint64_t heartbeat = 0;
        // When the counter last advanced, on our clock: when a newer counter reached us (van
        // Renesse et al. time an advance by its local arrival), or, for one its sender had
        // already held past the fail timeout, that long before.
        Time last_seen{0};
    };

    // A member is alive while its counter advanced less than `fail` ago, suspect until `dead`,
    // dead after (Config::heartbeat_fail_timeout and heartbeat_dead_timeout). Requires
    // 0 < fail <= dead.
    HeartbeatDetector(Duration fail, Duration dead) : fail_(fail), dead_(dead) {}

    // A table entry heard at `now`: `id` had (incarnation, heartbeat), which its sender saw
    // advance `age` before. Returns true when the pair is newer than what we hold
    // (lexicographically; a restart raises the incarnation), and then holds it: the advance is
    // timed `now`, or `now - age` when age >= fail (stale news, which must not revive a member
    // everyone else has stopped hearing). Never moves last_seen back. An equal or older pair
    // changes nothing: it is no advance.
    bool observe(const std::string& id, std::uint64_t incarnation, std::uint64_t heartbeat,
                 Duration age, Time now);

    // The counter's silence judged at `now`: alive below `fail`, suspect below `dead`, dead from
    // then on. An unknown member is dead (nothing ever advanced).
    MemberState verdict(const std::string& id, Time now) const;
    // When the verdict on `id` next worsens after `now`; Time::max() when it cannot (dead).
    Time next_change(const std::string& id, Time now) const;

    // Our own process did not run for `gap` (SIGSTOP, a descheduled driver): we could not hear
    // anyone meanwhile, so that time is not counted as anyone's silence: every last advance
    // moves `gap` later, but never past `now`.
    void excuse(Duration gap, Time now);

    const Entry* find(const std::string& id) const;
    const std::map<std::string, Entry>& entries() const { return entries_; }
    Duration fail_timeout() const { return fail_; }
    Duration dead_timeout() const { return dead_; }

  private:
    Duration fail_;
    Duration dead_;
    std::map<std::string, Entry> entries_;
};

}  // namespace gossip
