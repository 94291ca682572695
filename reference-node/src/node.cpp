// The SWIM + Lifeguard state machine: probing, suspicion, dissemination, anti-entropy, joins.
#include "gossip/node.hpp"

#include <algorithm>

namespace gossip {

namespace {

bool is_live(MemberState s) {
    return s == MemberState::alive || s == MemberState::suspect;
}

std::string member_key(const std::string& id) {
    return "m:" + id;
}

// The broadcast-queue key of an update message; empty for other messages.
std::string update_key(const Message& m) {
    if (auto* a = std::get_if<Alive>(&m)) return member_key(a->id);
    if (auto* s = std::get_if<Suspect>(&m)) return member_key(s->id);
    if (auto* d = std::get_if<Dead>(&m)) return member_key(d->id);
    if (auto* r = std::get_if<Rumor>(&m)) return "r:" + r->origin + "/" + r->id;
    if (auto* k = std::get_if<KvUpdate>(&m)) return "s:" + k->owner + "/" + k->key;
    return {};
}

}  // namespace

Node::Node(Config config)
    : cfg_(std::move(config)),
      rng_(cfg_.rng_seed),
      incarnation_(cfg_.incarnation),
      awareness_(cfg_.awareness_max),
      state_clock_(cfg_.incarnation),
      hb_(cfg_.heartbeat_fail_timeout(), cfg_.heartbeat_dead_timeout()) {}

std::size_t Node::random_below(std::size_t n) {
    // Modulo bias is irrelevant at our sizes; determinism across platforms matters more than
    // std::uniform_int_distribution's implementation-defined algorithm.
    return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n);
}

std::vector<const Member*> Node::pick(std::vector<const Member*> from, std::size_t k) {
    k = std::min(k, from.size());
    for (std::size_t i = 0; i < k; ++i) std::swap(from[i], from[i + random_below(from.size() - i)]);
    from.resize(k);
    return from;
}

void Node::start(Time now) {
    if (started_) return;
    started_ = true;
    events_.push_back(StartedEvent{cfg_.id, cfg_.bind, incarnation_});
    heartbeat_ = incarnation_;  // our counter outbids every counter of a previous life
    // Announce ourselves too (memberlist does): the seed's gossip alone leaves a member that
    // missed it unaware of us until the next push-pull; our own sends reach distinct peers.
    // (The heartbeat detector announces us in every table instead.)
    if (!heartbeat_mode()) enqueue(member_key(cfg_.id), Alive{cfg_.id, incarnation_, cfg_.bind});
    // Random phases spread the load of many nodes started at once.
    next_probe_at_ = now + Duration(random_below(cfg_.probe_interval.count()));
    next_gossip_at_ = now + Duration(random_below(cfg_.effective_gossip_interval().count()));
    next_push_pull_at_ = now + Duration(random_below(cfg_.push_pull_interval.count()));
    next_reconnect_at_ = now + cfg_.reconnect_interval;
    next_counters_at_ = now + cfg_.counters_interval;
    for (const Addr& a : cfg_.seeds) {
        seeds_.push_back(Seed{a, now + cfg_.reconnect_interval, cfg_.reconnect_interval * 2});
        push_pull(now, a, true);
    }
}

// ---- outputs -------------------------------------------------------------------------------

std::optional<Transmit> Node::poll_transmit() {
    if (out_.empty()) return std::nullopt;
    Transmit t = std::move(out_.front());
    out_.pop_front();
    ++counters_.pkts_sent;
    counters_.bytes_sent += t.bytes.size();
    return t;
}

std::optional<Event> Node::poll_event() {
    if (events_.empty()) return std::nullopt;
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
}

bool Node::send(Addr to, const std::string& to_id, const std::vector<Message>& primary,
                bool piggyback, const std::set<std::string>* skip, bool only_with_updates) {
    PacketBuilder b(cfg_.id, cfg_.packet_budget);
    std::size_t detector_bytes = 0;
    for (const auto& m : primary) {
        auto bytes = encode_message(m);
        if (b.add(bytes) && is_detector_message(m)) detector_bytes += bytes.size();
    }
    std::size_t updates = 0;
    if (piggyback) {
        auto msgs = queue_.take(b.room(), retransmit_limit(), skip, to_id, members_.live_count());
        updates = msgs.size();
        for (auto& msg : msgs) b.add(msg);
    }
    if (b.count() == 0 || (only_with_updates && updates == 0)) return false;
    if (detector_bytes > 0) {
        ++counters_.detector_pkts_sent;
        counters_.detector_bytes_sent += detector_bytes;
    }
    out_.push_back(Transmit{to, false, b.finish()});
    return true;
}

void Node::enqueue(const std::string& key, const Message& m) {
    queue_.push(key, encode_message(m));
}

void Node::emit_member(const Member& m, const std::string& from, int confirmations) {
    events_.push_back(MemberEvent{m.id, m.state, m.incarnation, m.addr, from, confirmations});
}

void Node::emit_counters() {
    counters_.awareness = static_cast<std::uint64_t>(awareness_.score());
    counters_.awareness_peak = static_cast<std::uint64_t>(awareness_.take_peak());
    events_.push_back(CountersEvent{counters_});
}

void Node::request_view() {
    ViewEvent v;
    v.self_id = cfg_.id;
    v.self_incarnation = incarnation_;
    for (const auto& [id, m] : members_.all()) {
        v.members.push_back(ViewMember{m.id, m.state, m.incarnation, m.addr});
    }
    events_.push_back(std::move(v));
}

const Suspicion* Node::suspicion_of(const std::string& id) const {
    auto it = suspicions_.find(id);
    return it == suspicions_.end() ? nullptr : &it->second;
}

Message Node::state_message(const Member& m) const {
    switch (m.state) {
        case MemberState::alive:
            return Alive{m.id, m.incarnation, m.addr};
        case MemberState::suspect:
            return Suspect{m.id, m.incarnation, cfg_.id};
        case MemberState::dead:
            return Dead{m.id, m.incarnation, cfg_.id};
        case MemberState::left:
            return Dead{m.id, m.incarnation, m.id};
    }
    return Alive{m.id, m.incarnation, m.addr};
}

PushPull Node::full_state(bool join, bool reply) const {
    PushPull pp;
    pp.join = join;
    pp.reply = reply;
    // The heartbeat detector's members know us by our counter (node_heartbeat.cpp).
    pp.members.push_back(StateEntry{cfg_.id, heartbeat_mode() ? heartbeat_ : incarnation_,
                                    leaving_ ? MemberState::left : MemberState::alive, cfg_.bind});
    for (const auto& [id, m] : members_.all()) {
        pp.members.push_back(StateEntry{m.id, m.incarnation, m.state, m.addr});
    }
    return pp;
}

// ---- inputs --------------------------------------------------------------------------------

void Node::on_packet(Time now, Addr from, std::span<const std::uint8_t> bytes) {
    ++counters_.pkts_recv;
    counters_.bytes_recv += bytes.size();
    if (!started_ || finished_) return;
    Decoded d = decode_packet(bytes, cfg_.packet_budget);
    if (!d.ok) {
        ++counters_.bad_pkts;
        return;
    }
    if (d.packet.sender == cfg_.id) return;  // our own packet looped back: nothing to learn
    // A pull request is answered after the rest of the packet is applied, leaving out what
    // the requester just pushed: sending its own news back would waste retransmissions.
    bool pull = false;
    std::set<std::string> pushed;
    for (const auto& m : d.packet.messages) {
        if (std::holds_alternative<PullReq>(m)) {
            pull = true;
            continue;
        }
        std::string key = update_key(m);
        handle(now, from, d.packet.sender, m);
        if (!key.empty()) {
            // The sender holds this update (and a rumor's origin too): our few sends of it
            // should go to others.
            auto bytes = encode_message(m);
            queue_.note_holder(key, d.packet.sender, bytes);
            if (auto* r = std::get_if<Rumor>(&m)) queue_.note_holder(key, r->origin, bytes);
            pushed.insert(std::move(key));
        }
    }
    flush_sync(from);
    if (pull && !queue_.empty()) send(from, d.packet.sender, {}, true, &pushed);
}

std::vector<std::uint8_t> Node::on_stream(Time now, Addr /*from*/,
                                          std::span<const std::uint8_t> bytes) {
    ++counters_.pkts_recv;
    counters_.bytes_recv += bytes.size();
    Decoded d = decode_packet(bytes, kMaxStreamFrame);
    if (!d.ok) {
        ++counters_.bad_pkts;
        return {};
    }
    const PushPull* req = nullptr;
    const SyncRoot* root = nullptr;
    const Heartbeats* table = nullptr;
    for (const auto& m : d.packet.messages) {
        if (auto* pp = std::get_if<PushPull>(&m)) req = pp;
        if (auto* r = std::get_if<SyncRoot>(&m)) root = r;
        if (auto* t = std::get_if<Heartbeats>(&m)) table = t;
    }
    if (req == nullptr || req->reply || d.packet.sender == cfg_.id) return {};
    if (started_ && !finished_) {
        merge_state(now, d.packet.sender, *req);
        if (table != nullptr && heartbeat_mode()) merge_heartbeats(now, d.packet.sender, *table);
        // The requester's Merkle root rode along: when it differs from ours, the exchange goes
        // on over UDP to the requester's own address (its entry in the push-pull).
        const StateEntry* self = nullptr;
        for (const auto& e : req->members)
            if (e.id == d.packet.sender) self = &e;
        if (root != nullptr && self != nullptr && !leaving_) {
            handle_sync(*root);
            flush_sync(self->addr);
        }
    }
    std::vector<Message> answer = {full_state(req->join, true)};
    if (heartbeat_mode()) answer.push_back(heartbeat_table(now));
    auto reply = encode_packet(Packet{cfg_.id, std::move(answer)});
    ++counters_.pkts_sent;
    counters_.bytes_sent += reply.size();
    return reply;
}

void Node::on_stream_reply(Time now, Addr /*from*/, std::span<const std::uint8_t> bytes) {
    ++counters_.pkts_recv;
    counters_.bytes_recv += bytes.size();
    Decoded d = decode_packet(bytes, kMaxStreamFrame);
    if (!d.ok) {
        ++counters_.bad_pkts;
        return;
    }
    if (!started_ || finished_ || d.packet.sender == cfg_.id) return;
    for (const auto& m : d.packet.messages) {
        if (auto* pp = std::get_if<PushPull>(&m); pp != nullptr && pp->reply) {
            merge_state(now, d.packet.sender, *pp);
        }
        if (auto* t = std::get_if<Heartbeats>(&m); t != nullptr && heartbeat_mode()) {
            merge_heartbeats(now, d.packet.sender, *t);
        }
    }
}

void Node::on_stream_failed(Time /*now*/, Addr /*to*/) {
    // Nothing to undo: seeds are retried by reconnect() with backoff, and a failed periodic
    // push-pull is simply repeated next period with another member.
}

void Node::handle(Time now, Addr from, const std::string& sender, const Message& msg) {
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Ping>) {
                if (m.target != cfg_.id) return;  // meant for a previous owner of this address
                std::vector<Message> reply;
                // Reverse buddy system: tell a member we think is suspect or dead at once, so
                // it refutes without waiting for gossip to reach it.
                if (const Member* s = members_.find(sender);
                    s != nullptr &&
                    (s->state == MemberState::suspect || s->state == MemberState::dead)) {
                    reply.push_back(state_message(*s));
                }
                reply.push_back(Ack{m.seq});
                send(from, sender, reply, true);
            } else if constexpr (std::is_same_v<T, PingReq>) {
                if (m.target == cfg_.id) {
                    send(from, sender, {Ack{m.seq}}, true);
                    return;
                }
                std::uint32_t seq = next_seq_++;
                relays_[seq] = Relay{from,
                                     sender,
                                     m.seq,
                                     m.want_nack,
                                     false,
                                     now + cfg_.probe_timeout * 8 / 10,
                                     now + cfg_.probe_interval};
                std::vector<Message> ping;
                if (const Member* t = members_.find(m.target);
                    t != nullptr && t->state == MemberState::suspect) {
                    ping.push_back(state_message(*t));  // buddy system, relayed
                }
                ping.push_back(Ping{seq, m.target});
                send(m.target_addr, m.target, ping, true);
            } else if constexpr (std::is_same_v<T, Ack>) {
                if (probe_ && probe_->seq == m.seq) {
                    awareness_.apply_delta(-1);
                    probe_.reset();
                } else if (auto it = relays_.find(m.seq); it != relays_.end()) {
                    send(it->second.requester, it->second.requester_id,
                         {Ack{it->second.requester_seq}}, true);
                    relays_.erase(it);
                }
            } else if constexpr (std::is_same_v<T, Nack>) {
                if (probe_ && probe_->seq == m.seq) ++probe_->nacks;
            } else if constexpr (std::is_same_v<T, Alive>) {
                // The heartbeat detector learns members and their liveness from tables only;
                // of SWIM's updates it keeps a member's own leave.
                if (!heartbeat_mode()) handle_alive(now, m, sender);
            } else if constexpr (std::is_same_v<T, Suspect>) {
                if (!heartbeat_mode()) handle_suspect(now, m, sender);
            } else if constexpr (std::is_same_v<T, Dead>) {
                if (!heartbeat_mode() || m.left()) handle_dead(now, m, sender);
            } else if constexpr (std::is_same_v<T, Heartbeats>) {
                if (heartbeat_mode()) merge_heartbeats(now, sender, m);
            } else if constexpr (std::is_same_v<T, Rumor>) {
                handle_rumor(m);
            } else if constexpr (std::is_same_v<T, PullReq>) {
                // Answered by on_packet once the whole packet is applied.
            } else if constexpr (std::is_same_v<T, PushPull>) {
                // Push-pull travels over streams only; a datagram carrying one is ignored.
            } else if constexpr (std::is_same_v<T, KvUpdate>) {
                handle_kv(m, sender);
            } else if constexpr (std::is_same_v<T, SyncRoot> || std::is_same_v<T, SyncChildren> ||
                                 std::is_same_v<T, SyncLeaf> || std::is_same_v<T, SyncWant>) {
                if (!leaving_) handle_sync(msg);  // answered by on_packet, in one go
            }
        },
        msg);
}

void Node::refute(std::uint64_t accused, const std::string& from) {
    if (cfg_.broken(Break::refutation) || leaving_) return;
    incarnation_ = std::max(incarnation_ + 1, accused + 1);
    // Being suspected hints that we are the slow one (Lifeguard).
    awareness_.apply_delta(1);
    events_.push_back(RefuteEvent{incarnation_, accused, from});
    enqueue(member_key(cfg_.id), Alive{cfg_.id, incarnation_, cfg_.bind});
}

void Node::renew_alive() {
    // Someone still accuses an incarnation we already refuted: our refutation ran out of
    // retransmissions before reaching it. Queue it afresh; the reply to the accuser's packet
    // (a buddy-system ping, typically) carries it first. Without this, a member that missed
    // the refutation declares us dead when its timer runs out (1.5% of false suspicions at
    // 10% loss in simulation).
    if (cfg_.broken(Break::refutation) || leaving_) return;
    if (queue_.transmits(member_key(cfg_.id)) != 0) {
        enqueue(member_key(cfg_.id), Alive{cfg_.id, incarnation_, cfg_.bind});
    }
}

void Node::handle_alive(Time now, const Alive& m, const std::string& via) {
    if (m.id == cfg_.id) {
        // Someone holds a newer alive of ours (a previous life with a faster clock): outbid it.
        if (m.incarnation > incarnation_) refute(m.incarnation, "");
        return;
    }
    bool known = members_.find(m.id) != nullptr;
    if (!members_.apply(m.id, MemberState::alive, m.incarnation, &m.addr, now)) return;
    suspicions_.erase(m.id);
    if (!known) add_to_orders(m.id);
    const Member* mem = members_.find(m.id);
    emit_member(*mem, via, -1);
    enqueue(member_key(m.id), m);
}

void Node::add_to_orders(const std::string& id) {
    // A newcomer joins the probe order at a random place (memberlist does the same), so
    // it is probed within one round.
    std::size_t lo = std::min(probe_index_, probe_order_.size());
    probe_order_.insert(probe_order_.begin() + static_cast<std::ptrdiff_t>(
                                                   lo + random_below(probe_order_.size() - lo + 1)),
                        id);
    // Likewise for gossip targets: without this, an order shuffled during a join burst
    // would keep leaving out the members that joined after it (in simulation those
    // then missed rumors ten times more often).
    const Member* added = members_.find(id);
    std::size_t glo = std::min(gossip_index_, gossip_order_.size());
    gossip_order_.insert(
        gossip_order_.begin() +
            static_cast<std::ptrdiff_t>(glo + random_below(gossip_order_.size() - glo + 1)),
        added);
}

void Node::handle_suspect(Time now, const Suspect& m, const std::string& via) {
    if (m.id == cfg_.id) {
        if (m.incarnation >= incarnation_) {
            refute(m.incarnation, via);
        } else {
            renew_alive();
        }
        return;
    }
    const Member* cur = members_.find(m.id);
    if (cur == nullptr) return;
    if (cur->state == MemberState::suspect && cur->incarnation == m.incarnation) {
        auto it = suspicions_.find(m.id);
        if (it != suspicions_.end() && it->second.confirm(m.from)) {
            // Pass independent confirmations on, so others shorten their timers too.
            enqueue(member_key(m.id), m);
        }
        return;
    }
    if (!members_.apply(m.id, MemberState::suspect, m.incarnation, nullptr, now)) return;
    std::size_t n = cluster_size();
    int k = std::max(0, static_cast<int>(cfg_.suspicion_mult) - 2);
    // With too few members to confirm, waiting for confirmations is pointless (memberlist).
    if (static_cast<int>(n) - 2 < k) k = 0;
    Duration min = cfg_.suspicion_min(n);
    Duration max = cfg_.suspicion_max(n);
    if (cfg_.broken(Break::suspicion)) min = max = Duration::zero();
    suspicions_.insert_or_assign(m.id, Suspicion(now, min, max, k, m.from));
    emit_member(*members_.find(m.id), m.from, 0);
    enqueue(member_key(m.id), m);
    if (cfg_.broken(Break::suspicion)) expire_suspicions(now);
}

void Node::handle_dead(Time now, const Dead& m, const std::string& via) {
    if (m.id == cfg_.id) {
        // Our own leave echoed back needs no answer; a death sentence does.
        if (m.left() || leaving_) return;
        if (m.incarnation >= incarnation_) {
            refute(m.incarnation, via);
        } else {
            renew_alive();
        }
        return;
    }
    MemberState s = m.left() ? MemberState::left : MemberState::dead;
    if (!members_.apply(m.id, s, m.incarnation, nullptr, now)) return;
    suspicions_.erase(m.id);
    emit_member(*members_.find(m.id), m.from, -1);
    enqueue(member_key(m.id), m);
}

void Node::handle_rumor(const Rumor& m) {
    if (!seen_rumors_.insert(m.origin + "/" + m.id).second) return;
    events_.push_back(RumorEvent{m.id, m.origin, m.payload});
    enqueue(update_key(m), m);
}

void Node::merge_state(Time now, const std::string& sender, const PushPull& pp) {
    for (const auto& e : pp.members) {
        // The heartbeat detector takes membership from the table riding along (Heartbeats);
        // of the push-pull it keeps the leaves.
        if (heartbeat_mode() && e.state != MemberState::left) continue;
        switch (e.state) {
            case MemberState::alive:
                handle_alive(now, Alive{e.id, e.incarnation, e.addr}, sender);
                break;
            case MemberState::suspect:
                handle_suspect(now, Suspect{e.id, e.incarnation, sender}, sender);
                break;
            // A remote death may be stale (a partition, a restart): suspect instead, which
            // gives the member the chance to refute (memberlist's mergeState does the same).
            case MemberState::dead:
                handle_suspect(now, Suspect{e.id, e.incarnation, sender}, sender);
                break;
            case MemberState::left:
                handle_dead(now, Dead{e.id, e.incarnation, e.id}, sender);
                break;
        }
    }
}

// ---- commands ------------------------------------------------------------------------------

bool Node::broadcast(Time /*now*/, const std::string& rumor, const std::string& payload,
                     std::string* error) {
    auto fail = [&](const std::string& why) {
        if (error != nullptr) *error = why;
        return false;
    };
    if (rumor.empty() || rumor.size() > kMaxIdLen) {
        return fail("rumor: expected an id of 1 to " + std::to_string(kMaxIdLen) + " bytes");
    }
    if (payload.size() > kMaxPayloadLen) {
        return fail("payload: expected at most " + std::to_string(kMaxPayloadLen) + " bytes, got " +
                    std::to_string(payload.size()));
    }
    if (leaving_) return fail("broadcast: the node is leaving");
    Rumor r{rumor, cfg_.id, payload};
    if (seen_rumors_.count(cfg_.id + "/" + rumor) != 0)
        return fail("rumor '" + rumor + "' was already broadcast");
    handle_rumor(r);
    return true;
}

void Node::leave(Time now) {
    if (leaving_ || !started_) return;
    leaving_ = true;
    probe_.reset();
    enqueue(member_key(cfg_.id),
            Dead{cfg_.id, heartbeat_mode() ? heartbeat_ : incarnation_, cfg_.id});
    next_gossip_at_ = now;  // spread the news at once
    leave_deadline_ = now + cfg_.effective_gossip_interval() * 3;
}

// ---- timers --------------------------------------------------------------------------------

bool Node::gossip_due() const {
    return cfg_.dissemination == Dissemination::pull || !queue_.empty();
}

Time Node::next_deadline() const {
    Time t = gossip_due() ? next_gossip_at_ : Time::max();
    auto upd = [&](Time x) { t = std::min(t, x); };
    if (finished_) return Time::max();
    if (leaving_)
        upd(leave_deadline_);
    else
        upd(next_probe_at_);
    if (probe_) upd(probe_->indirect_sent ? probe_->end_at : probe_->timeout_at);
    upd(hb_check_at_);
    if (!cfg_.broken(Break::push_pull)) upd(next_push_pull_at_);
    upd(next_reconnect_at_);
    if (cfg_.counters_interval > Duration::zero()) upd(next_counters_at_);
    for (const auto& [id, s] : suspicions_) upd(s.deadline());
    for (const auto& [seq, r] : relays_)
        upd(r.want_nack && !r.nack_sent ? std::min(r.nack_at, r.expire_at) : r.expire_at);
    return t;
}

void Node::on_tick(Time now) {
    if (!started_ || finished_) return;
    if (cfg_.counters_interval > Duration::zero() && now >= next_counters_at_) {
        emit_counters();
        next_counters_at_ = std::max(next_counters_at_ + cfg_.counters_interval, now);
    }
    if (leaving_ && now >= leave_deadline_) {
        finished_ = true;
        return;
    }
    if (heartbeat_mode()) {
        excuse_stall(now);
        expire_heartbeats(now);
    }
    expire_suspicions(now);
    run_relays(now);
    if (probe_ && !probe_->indirect_sent && now >= probe_->timeout_at) {
        if (cfg_.broken(Break::indirect_probes)) {
            probe_failed(now, probe_->timeout_at);
        } else {
            send_indirect(now);
        }
    }
    if (probe_ && probe_->indirect_sent && now >= probe_->end_at) probe_failed(now, probe_->end_at);
    if (!leaving_ && !probe_ && now >= next_probe_at_) {
        if (heartbeat_mode())
            heartbeat_round(now);
        else
            start_probe(now);
    }
    // With nothing to push, a push or push-pull node skips the round and sleeps; the next
    // update is then gossiped at once (next_deadline() is already due), at most one round
    // per interval. An idle cluster thus costs no timer wake-ups for gossip.
    if (now >= next_gossip_at_ && gossip_due()) {
        gossip_round(now);
        next_gossip_at_ = now + cfg_.effective_gossip_interval();
    }
    if (now >= next_push_pull_at_) {
        next_push_pull_at_ = now + cfg_.push_pull_interval;
        if (!cfg_.broken(Break::push_pull) && !leaving_) {
            auto live = members_.live();
            std::erase_if(live, [](const Member* m) { return m->state != MemberState::alive; });
            if (!live.empty()) push_pull(now, pick(live, 1).front()->addr, false);
        }
    }
    if (now >= next_reconnect_at_) {
        next_reconnect_at_ = now + cfg_.reconnect_interval;
        if (!leaving_) reconnect(now);
    }
}

const Member* Node::next_probe_target() {
    for (std::size_t attempts = 0; attempts <= probe_order_.size() + 1; ++attempts) {
        if (probe_index_ >= probe_order_.size()) {
            probe_order_.clear();
            for (const Member* m : members_.live()) probe_order_.push_back(m->id);
            std::shuffle(probe_order_.begin(), probe_order_.end(), rng_);
            probe_index_ = 0;
            if (probe_order_.empty()) return nullptr;
        }
        const Member* m = members_.find(probe_order_[probe_index_++]);
        if (m != nullptr && is_live(m->state)) return m;
    }
    return nullptr;
}

void Node::start_probe(Time now) {
    Duration interval = awareness_.scale(cfg_.probe_interval);
    next_probe_at_ = now + interval;
    const Member* t = next_probe_target();
    if (t == nullptr) return;
    Probe p;
    p.target = t->id;
    p.seq = next_seq_++;
    p.timeout_at = now + awareness_.scale(cfg_.probe_timeout);
    p.end_at = now + interval;
    std::vector<Message> msgs;
    // Buddy system (Lifeguard): a suspect learns of its suspicion from our ping at once.
    if (t->state == MemberState::suspect) msgs.push_back(Suspect{t->id, t->incarnation, cfg_.id});
    msgs.push_back(Ping{p.seq, t->id});
    send(t->addr, t->id, msgs, true);
    probe_ = p;
}

void Node::send_indirect(Time now) {
    Probe& p = *probe_;
    p.indirect_sent = true;
    const Member* target = members_.find(p.target);
    if (target == nullptr || !is_live(target->state)) {
        probe_.reset();  // it died or left meanwhile; nothing to check
        return;
    }
    auto cands = members_.live();
    std::erase_if(cands, [&](const Member* m) {
        return m->id == p.target || m->state != MemberState::alive;
    });
    auto helpers = pick(cands, static_cast<std::size_t>(std::max(0, cfg_.indirect_checks)));
    for (const Member* h : helpers) {
        send(h->addr, h->id, {PingReq{p.seq, p.target, target->addr, true}}, true);
    }
    p.expected_nacks = static_cast<int>(helpers.size());
    // Measured from now, not from the ping: after a stall the helpers still get their window.
    Duration rest = awareness_.scale(cfg_.probe_interval - cfg_.probe_timeout);
    p.end_at = std::max(p.end_at, now + rest);
    next_probe_at_ = std::max(next_probe_at_, p.end_at);
}

void Node::probe_failed(Time now, Time due) {
    Probe p = *probe_;
    probe_.reset();
    if (now - due > cfg_.probe_timeout) {
        // We ran late by more than a probe timeout: our process was descheduled or stopped,
        // so the missing ack says more about us than about the target (Lifeguard's point).
        // No verdict; we count it against our own health instead.
        awareness_.apply_delta(1);
        return;
    }
    // Lifeguard: missing nacks mean our own network or CPU may be at fault.
    int delta = 1;
    if (p.expected_nacks > 0) delta = std::max(0, p.expected_nacks - p.nacks);
    awareness_.apply_delta(delta);
    const Member* t = members_.find(p.target);
    if (t == nullptr || !is_live(t->state)) return;
    handle_suspect(now, Suspect{t->id, t->incarnation, cfg_.id}, cfg_.id);
}

void Node::expire_suspicions(Time now) {
    for (auto it = suspicions_.begin(); it != suspicions_.end();) {
        if (it->second.deadline() > now) {
            ++it;
            continue;
        }
        std::string id = it->first;
        it = suspicions_.erase(it);
        const Member* m = members_.find(id);
        if (m == nullptr || m->state != MemberState::suspect) continue;
        Dead d{id, m->incarnation, cfg_.id};
        members_.apply(id, MemberState::dead, m->incarnation, nullptr, now);
        emit_member(*members_.find(id), cfg_.id, -1);
        enqueue(member_key(id), d);
    }
}

void Node::run_relays(Time now) {
    for (auto it = relays_.begin(); it != relays_.end();) {
        Relay& r = it->second;
        if (r.want_nack && !r.nack_sent && now >= r.nack_at) {
            r.nack_sent = true;
            send(r.requester, r.requester_id, {Nack{r.requester_seq}}, false);
        }
        if (now >= r.expire_at) {
            it = relays_.erase(it);
        } else {
            ++it;
        }
    }
}

void Node::gossip_round(Time now) {
    bool pull = cfg_.dissemination != Dissemination::push;
    bool push = cfg_.dissemination != Dissemination::pull;
    // Push-pull asks back only when it has something to push, so an idle cluster is silent.
    if (cfg_.dissemination == Dissemination::push_pull && queue_.empty()) return;
    if (cfg_.dissemination == Dissemination::push && queue_.empty()) return;
    auto eligible = [&](const Member* m) {
        bool recent_dead = !is_live(m->state) && !cfg_.broken(Break::seed_recontact) &&
                           now - m->state_since <= cfg_.dead_retention;
        return is_live(m->state) || recent_dead;
    };
    // Targets come from a shuffled round-robin over the table (as probe targets do), not
    // independent draws: an update's few sends from one member then reach distinct peers
    // (in simulation, missed rumor deliveries fell from 6 in 38400 to 0) at no cost in
    // packets, and a round costs O(fanout), not O(N).
    std::size_t want = static_cast<std::size_t>(cfg_.effective_fanout());
    std::vector<const Member*> cands;
    const auto& all = members_.by_index();
    for (std::size_t steps = 0; cands.size() < want && steps < 2 * all.size() + 2; ++steps) {
        if (gossip_index_ >= gossip_order_.size()) {
            gossip_order_ = all;
            std::shuffle(gossip_order_.begin(), gossip_order_.end(), rng_);
            gossip_index_ = 0;
            if (gossip_order_.empty()) break;
        }
        const Member* m = gossip_order_[gossip_index_++];
        if (eligible(m) && std::find(cands.begin(), cands.end(), m) == cands.end()) {
            cands.push_back(m);
        }
    }
    for (const Member* t : cands) {
        std::vector<Message> primary;
        if (pull) primary.push_back(PullReq{});
        // Push-pull asks back only along with news for this target.
        send(t->addr, t->id, primary, push, nullptr,
             cfg_.dissemination == Dissemination::push_pull);
    }
}

void Node::push_pull(Time now, Addr to, bool join) {
    // Our Merkle root rides along: the peer compares it with its own and, when they differ,
    // starts the anti-entropy exchange (this is the periodic state comparison with one random
    // member, and a joiner's way to the cluster's state).
    std::vector<Message> msgs = {full_state(join, false)};
    if (heartbeat_mode()) msgs.push_back(heartbeat_table(now));
    if (!cfg_.broken(Break::anti_entropy)) {
        MerkleTree::Sum r = state_.tree().root();
        msgs.push_back(SyncRoot{r.hash, r.count});
        ++counters_.sync_started;
    }
    out_.push_back(Transmit{to, true, encode_packet(Packet{cfg_.id, std::move(msgs)})});
}

void Node::reconnect(Time now) {
    if (cfg_.broken(Break::seed_recontact)) return;
    // One pass over the table: which seeds are visible, which members died recently.
    std::vector<bool> visible(seeds_.size(), false);
    std::vector<const Member*> dead;
    for (const auto& [id, m] : members_.all()) {
        if (is_live(m.state)) {
            for (std::size_t k = 0; k < seeds_.size(); ++k)
                visible[k] = visible[k] || seeds_[k].addr == m.addr;
        } else if (m.state == MemberState::dead && now - m.state_since <= cfg_.dead_retention) {
            dead.push_back(&m);
        }
    }
    for (std::size_t k = 0; k < seeds_.size(); ++k) {
        Seed& s = seeds_[k];
        if (visible[k]) {
            s.backoff = cfg_.reconnect_interval;
            s.next_try = now;
            continue;
        }
        if (now < s.next_try) continue;
        push_pull(now, s.addr, true);
        s.next_try = now + s.backoff;
        s.backoff = std::min(s.backoff * 2, cfg_.reconnect_interval * 10);
    }
    // Recently dead members get a push-pull now and then (Serf's reconnect): with probability
    // dead/live, so a cluster does this about once per interval however large it is.
    if (dead.empty()) return;
    std::size_t live = members_.live_count() + 1;
    if (random_below(live) < dead.size()) push_pull(now, pick(dead, 1).front()->addr, false);
}

}  // namespace gossip
