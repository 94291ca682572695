// The heartbeat-counter detector's table: newer counters, their last advance, and verdicts.
#include "gossip/heartbeat.hpp"

#include <algorithm>

namespace gossip {

bool HeartbeatDetector::observe(const std::string& id, std::uint64_t incarnation,
                                std::uint64_t heartbeat, Duration age, Time now) {
    // Fresh news counts from its arrival: timing it by the sender's age too would make a
    // counter's spread latency (log N rounds) count as silence.
    const Time seen = age >= fail_ ? now - age : now;
    auto it = entries_.find(id);
    if (it == entries_.end()) {
        entries_.emplace(id, Entry{incarnation, heartbeat, seen});
        return true;
    }
    Entry& e = it->second;
    if (incarnation < e.incarnation || (incarnation == e.incarnation && heartbeat <= e.heartbeat))
        return false;
    e.incarnation = incarnation;
    e.heartbeat = heartbeat;
    e.last_seen = std::max(e.last_seen, seen);
    return true;
}

MemberState HeartbeatDetector::verdict(const std::string& id, Time now) const {
    const Entry* e = find(id);
    if (e == nullptr) return MemberState::dead;
    Duration silent = now - e->last_seen;
    if (silent < fail_) return MemberState::alive;
    if (silent < dead_) return MemberState::suspect;
    return MemberState::dead;
}

Time HeartbeatDetector::next_change(const std::string& id, Time now) const {
    const Entry* e = find(id);
    if (e == nullptr) return Time::max();
    if (now < e->last_seen + fail_) return e->last_seen + fail_;
    if (now < e->last_seen + dead_) return e->last_seen + dead_;
    return Time::max();
}

void HeartbeatDetector::excuse(Duration gap, Time now) {
    if (gap <= Duration::zero()) return;
    for (auto& [id, e] : entries_) e.last_seen = std::min(e.last_seen + gap, now);
}

const HeartbeatDetector::Entry* HeartbeatDetector::find(const std::string& id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace gossip
