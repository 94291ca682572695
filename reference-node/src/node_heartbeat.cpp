// The node's heartbeat-counter detector (Config::detector = heartbeat): the per-period round
// that raises our counter and sends the table, the merge of tables we receive, and the turning
// of the detector's verdicts into member events. SWIM's probes are off in this mode; joins,
// leaves, rumors, application state and push-pull repair work as in node.cpp.
//
// The incarnation our member events and view report for a member is its heartbeat counter as of
// the state change: the member's own version, raised only by it, that refutes a suspicion (a
// suspect comes back alive only with a higher one, as SWIM's incarnation does). Our counter
// starts at our incarnation, the wall-clock floor, so a restart outbids every counter of the
// previous life. Alive events are printed for state changes and restarts, not for every advance.
#include <algorithm>

#include "gossip/node.hpp"

namespace gossip {

namespace {

bool is_live(MemberState s) {
    return s == MemberState::alive || s == MemberState::suspect;
}

std::uint64_t to_ms(Duration d) {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count() / 1000));
}

}  // namespace

Heartbeats Node::heartbeat_table(Time now) const {
    Heartbeats t;
    t.entries.push_back(HeartbeatEntry{cfg_.id, incarnation_, heartbeat_, 0, cfg_.bind});
    for (const auto& [id, m] : members_.all()) {
        if (!is_live(m.state)) continue;  // dead and left members are not news
        const HeartbeatDetector::Entry* e = hb_.find(id);
        if (e == nullptr) continue;
        t.entries.push_back(
            HeartbeatEntry{id, e->incarnation, e->heartbeat, to_ms(now - e->last_seen), m.addr});
    }
    return t;
}

void Node::heartbeat_round(Time now) {
    next_probe_at_ = now + cfg_.probe_interval;
    ++heartbeat_;
    // Targets: live members and, so that a healed partition re-merges, members dead for less
    // than dead_retention (as SWIM's gossip round does).
    std::vector<const Member*> cands;
    for (const Member* m : members_.by_index()) {
        bool recent_dead = m->state == MemberState::dead && !cfg_.broken(Break::seed_recontact) &&
                           now - m->state_since <= cfg_.dead_retention;
        if (is_live(m->state) || recent_dead) cands.push_back(m);
    }
    auto targets = pick(std::move(cands), static_cast<std::size_t>(cfg_.effective_fanout()));
    if (targets.empty()) return;
    // The whole table, in as many datagrams as it takes; queued updates fill what room is left.
    const Heartbeats table = heartbeat_table(now);
    const std::size_t head = 2 + 1 + cfg_.id.size() + 3;  // magic, version, sender, count
    const std::size_t room = cfg_.packet_budget > head + kHeartbeatsOverhead
                                 ? cfg_.packet_budget - head - kHeartbeatsOverhead
                                 : 0;
    std::vector<Heartbeats> parts(1);
    std::size_t used = 0;
    for (const auto& e : table.entries) {
        std::size_t sz = encoded_size(e);
        if (used + sz > room && !parts.back().entries.empty()) {
            parts.emplace_back();
            used = 0;
        }
        parts.back().entries.push_back(e);
        used += sz;
    }
    for (const Member* t : targets) {
        for (const auto& part : parts) send(t->addr, t->id, {part}, true);
    }
}

void Node::merge_heartbeats(Time now, const std::string& sender, const Heartbeats& table) {
    for (const auto& e : table.entries) {
        if (e.id == cfg_.id) continue;  // only we raise our counter
        // Ages beyond a day are nonsense (or hostile): no counter that old means anything.
        Duration age = std::chrono::milliseconds(std::min<std::uint64_t>(e.age_ms, 86'400'000));
        const Member* m = members_.find(e.id);
        if (m == nullptr) {
            // A member we never knew, whose counter has been silent past the suspicion timeout
            // already: the sender is only slow to forget it. Learning it would show a dead
            // member alive.
            if (age >= hb_.fail_timeout()) continue;
            hb_.observe(e.id, e.incarnation, e.heartbeat, age, now);
            members_.apply(e.id, MemberState::alive, e.heartbeat, &e.addr, now);
            add_to_orders(e.id);
            emit_member(*members_.find(e.id), sender, -1);
            continue;
        }
        const HeartbeatDetector::Entry* held = hb_.find(e.id);
        const bool restart = held == nullptr || e.incarnation > held->incarnation;
        // A member that left comes back only as a new life (a higher incarnation).
        if (m->state == MemberState::left && !restart) continue;
        if (!hb_.observe(e.id, e.incarnation, e.heartbeat, age, now)) continue;
        // The counter advanced: recent enough, that refutes a suspicion or a death, and a new
        // life is news even to a member we hold alive; too old, and the timers below take it.
        if (hb_.verdict(e.id, now) != MemberState::alive) continue;
        if (m->state == MemberState::alive && !restart) continue;
        if (members_.assign(e.id, MemberState::alive, e.heartbeat, &e.addr, now))
            emit_member(*members_.find(e.id), sender, -1);
    }
    schedule_heartbeat_check(now);
}

void Node::excuse_stall(Time now) {
    // next_probe_at_ is the period's next round; a tick that finds it more than a period past
    // means this process did not run (stopped, descheduled) for that long.
    if (leaving_ || now - next_probe_at_ <= cfg_.probe_interval) return;
    // Our last counter left a period before the round that is due: when that is fail_after
    // periods ago, our peers have suspected us, and the counter of the round about to go out
    // refutes it. Say so (feature refute_events), as SWIM's node does when it learns it.
    if (now - (next_probe_at_ - cfg_.probe_interval) >= hb_.fail_timeout())
        events_.push_back(RefuteEvent{heartbeat_ + 1, heartbeat_, ""});
    hb_.excuse(now - next_probe_at_, now);
    next_probe_at_ = now;
}

void Node::expire_heartbeats(Time now) {
    if (now < hb_check_at_) return;
    for (const auto& [id, m] : members_.all()) {
        if (!is_live(m.state)) continue;
        MemberState v = hb_.verdict(id, now);
        if (v == MemberState::alive || v == m.state) continue;
        const HeartbeatDetector::Entry* e = hb_.find(id);
        members_.assign(id, v, e != nullptr ? std::max(e->heartbeat, m.incarnation) : m.incarnation,
                        nullptr, now);
        emit_member(m, cfg_.id, v == MemberState::suspect ? 0 : -1);
    }
    schedule_heartbeat_check(now);
}

void Node::schedule_heartbeat_check(Time now) {
    hb_check_at_ = Time::max();
    for (const auto& [id, m] : members_.all()) {
        if (!is_live(m.state)) continue;
        Time t = hb_.next_change(id, now);
        // A member whose verdict already worsened but is not yet applied is due now.
        if (hb_.verdict(id, now) != m.state && hb_.verdict(id, now) != MemberState::alive) t = now;
        hb_check_at_ = std::min(hb_check_at_, t);
    }
}

}  // namespace gossip
