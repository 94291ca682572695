// The sans-IO SWIM + Lifeguard node: packets and ticks in, packets and events out.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gossip/awareness.hpp"
#include "gossip/broadcast_queue.hpp"
#include "gossip/codec.hpp"
#include "gossip/config.hpp"
#include "gossip/events.hpp"
#include "gossip/heartbeat.hpp"
#include "gossip/membership.hpp"
#include "gossip/merkle.hpp"
#include "gossip/state.hpp"
#include "gossip/suspicion.hpp"
#include "gossip/types.hpp"

namespace gossip {

// Something the driver must send. Datagrams go over UDP from the node's bound port.
// A stream is a push-pull request: the driver opens a TCP connection to `to`, writes the
// bytes framed by a 4-byte big-endian length, reads one framed reply and hands it to
// on_stream_reply (or calls on_stream_failed when that fails or times out).
struct Transmit {
    Addr to;
    bool stream = false;
    std::vector<std::uint8_t> bytes;
};

// One member's protocol state machine (Config::detector picks SWIM's probes, the default, or the
// heartbeat-counter detector: node_heartbeat.cpp). It owns no socket, clock or thread: every call
// passes `now` (monotonic, same origin for all calls) and the driver calls on_tick(now) no later
// than next_deadline(). Outputs accumulate until polled. Not thread-safe: one thread drives it.
// Randomness comes from Config::rng_seed only, so a simulation with the same inputs repeats.
class Node {
  public:
    explicit Node(Config config);

    // Emits `started` and sends a join (push-pull) to every seed. Call once, first.
    void start(Time now);

    // A datagram from `from`. Malformed, truncated or oversized input is counted (bad_pkts)
    // and dropped; unknown message types are skipped.
    void on_packet(Time now, Addr from, std::span<const std::uint8_t> bytes);

    // A push-pull request that arrived over TCP; returns the reply to write back (empty when
    // the request was malformed: close the connection without answering).
    std::vector<std::uint8_t> on_stream(Time now, Addr from, std::span<const std::uint8_t> bytes);
    // The reply to a stream we sent to `from`.
    void on_stream_reply(Time now, Addr from, std::span<const std::uint8_t> bytes);
    // A stream to `to` could not be completed; seed re-contact retries on its own schedule.
    void on_stream_failed(Time now, Addr to);

    // Runs every timer that is due at `now`.
    void on_tick(Time now);
    // The latest time the driver may wait before calling on_tick.
    Time next_deadline() const;

    std::optional<Transmit> poll_transmit();
    std::optional<Event> poll_event();

    // Control commands. broadcast() returns false and sets *error for an invalid or duplicate
    // rumor; otherwise it emits the origin's own `rumor` event and starts disseminating.
    bool broadcast(Time now, const std::string& rumor, const std::string& payload,
                   std::string* error);
    // Announces `left` and keeps gossiping for a few rounds; finished() turns true after.
    void leave(Time now);
    bool finished() const { return finished_; }
    bool leaving() const { return leaving_; }
    // Emits one `view` event / one `counters` event now.
    void request_view();
    void emit_counters();

    // Application state (contract v2, feature `state`; gossip/state.hpp). set_state and
    // delete_state write one of this node's own entries: they return false and set *error for
    // a key of 0 or more than kMaxKeyLen bytes, a value over kMaxValueLen bytes, or while
    // leaving; otherwise the write takes the next version, a `state` event is emitted and the
    // record is gossiped like a membership update. A delete leaves a tombstone.
    bool set_state(Time now, const std::string& key, const std::string& value, std::string* error);
    bool delete_state(Time now, const std::string& key, std::string* error);
    // Emits one `state_digest` event now.
    void request_digest();
    const StateStore& state() const { return state_; }
    // The Lamport clock: at least every version seen; the next own write takes clock + 1.
    std::uint64_t state_clock() const { return state_clock_; }

    // Inspection, for drivers and tests.
    const Config& config() const { return cfg_; }
    const std::string& id() const { return cfg_.id; }
    const Membership& members() const { return members_; }
    std::uint64_t incarnation() const { return incarnation_; }
    int awareness() const { return awareness_.score(); }
    const Counters& counters() const { return counters_; }
    const BroadcastQueue& queue() const { return queue_; }
    const Suspicion* suspicion_of(const std::string& id) const;
    // The heartbeat detector's table and our own counter (Detector::heartbeat only).
    const HeartbeatDetector& heartbeat_detector() const { return hb_; }
    std::uint64_t heartbeat() const { return heartbeat_; }
    // Live members (alive or suspect) plus ourselves: the N of the formulas.
    std::size_t cluster_size() const { return members_.live_count() + 1; }

  private:
    struct Probe {
        std::string target;
        std::uint32_t seq = 0;
        Time timeout_at{0};
        Time end_at{0};
        bool indirect_sent = false;
        int expected_nacks = 0;
        int nacks = 0;
    };
    struct Relay {
        Addr requester;
        std::string requester_id;
        std::uint32_t requester_seq = 0;
        bool want_nack = false;
        bool nack_sent = false;
        Time nack_at{0};
        Time expire_at{0};
    };
    struct Seed {
        Addr addr;
        Time next_try{0};
        Duration backoff{0};
    };

    void handle(Time now, Addr from, const std::string& sender, const Message& m);
    void handle_alive(Time now, const Alive& m, const std::string& via);
    void handle_suspect(Time now, const Suspect& m, const std::string& via);
    void handle_dead(Time now, const Dead& m, const std::string& via);
    void handle_rumor(const Rumor& m);
    void merge_state(Time now, const std::string& sender, const PushPull& pp);
    void refute(std::uint64_t accused, const std::string& from);
    void renew_alive();

    void start_probe(Time now);
    void send_indirect(Time now);
    void probe_failed(Time now, Time due);
    void gossip_round(Time now);
    bool gossip_due() const;
    void push_pull(Time now, Addr to, bool join);
    void reconnect(Time now);
    void expire_suspicions(Time now);
    void run_relays(Time now);

    // Sends `primary` messages to `to`, filling the rest of the budget with queued updates.
    // Returns false (sending nothing) when the packet would be empty.
    // `to_id` (when known) steers piggybacked updates away from what it already holds.
    // With only_with_updates, a packet that would carry no queued update is not sent.
    bool send(Addr to, const std::string& to_id, const std::vector<Message>& primary,
              bool piggyback, const std::set<std::string>* skip = nullptr,
              bool only_with_updates = false);
    void enqueue(const std::string& key, const Message& m);
    int retransmit_limit() const { return cfg_.retransmits(cluster_size()); }
    PushPull full_state(bool join, bool reply) const;
    void emit_member(const Member& m, const std::string& from, int confirmations);
    const Member* next_probe_target();
    std::vector<const Member*> pick(std::vector<const Member*> from, std::size_t k);
    std::size_t random_below(std::size_t n);
    Message state_message(const Member& m) const;

    // Application state and anti-entropy (Merkle exchange, gossip/merkle.hpp).
    bool write_state(const std::string& key, const std::string* value, std::string* error);
    void handle_kv(const KvUpdate& m, const std::string& via);
    // Answers one sync_* message into sync_out_.
    void handle_sync(const Message& m);
    // A tree node that differs from the peer's `theirs`: what to send about it.
    void sync_differs(int level, std::uint64_t prefix, MerkleTree::Sum theirs);
    void sync_send_entry(const KvEntry& e);
    // Sends sync_out_ to `to` in as many datagrams as it takes.
    void flush_sync(Addr to);
    KvUpdate kv_message(const KvEntry& e, bool sync) const;

    // The heartbeat detector (node_heartbeat.cpp; Config::detector = heartbeat). Each period
    // (in place of a probe): raise our counter, send the table to `fanout` members.
    bool heartbeat_mode() const { return cfg_.detector == Detector::heartbeat; }
    void heartbeat_round(Time now);
    // Our whole table: ourselves (age 0) and every live member, ages measured at `now`.
    Heartbeats heartbeat_table(Time now) const;
    void merge_heartbeats(Time now, const std::string& sender, const Heartbeats& table);
    // A tick that came more than a period late means we did not run: excuse the gap.
    void excuse_stall(Time now);
    // Turns the detector's verdicts on live members into suspect and dead events.
    void expire_heartbeats(Time now);
    // Recomputes hb_check_at_, the earliest time a verdict on a live member worsens.
    void schedule_heartbeat_check(Time now);
    // A member new to the table joins the probe and gossip orders at a random place.
    void add_to_orders(const std::string& id);

    Config cfg_;
    std::mt19937_64 rng_;
    std::uint64_t incarnation_;
    Membership members_;
    std::map<std::string, Suspicion> suspicions_;
    Awareness awareness_;
    BroadcastQueue queue_;
    std::deque<Transmit> out_;
    std::deque<Event> events_;
    Counters counters_;
    std::set<std::string> seen_rumors_;
    StateStore state_;
    std::uint64_t state_clock_ = 0;
    std::vector<Message> sync_out_;
    HeartbeatDetector hb_;
    std::uint64_t heartbeat_ = 0;
    Time hb_check_at_ = Time::max();

    bool started_ = false;
    bool leaving_ = false;
    bool finished_ = false;
    Time leave_deadline_{0};

    std::vector<std::string> probe_order_;
    std::vector<const Member*> gossip_order_;  // table entries never move or vanish
    std::size_t gossip_index_ = 0;
    std::size_t probe_index_ = 0;
    std::uint32_t next_seq_ = 1;
    std::optional<Probe> probe_;
    std::map<std::uint32_t, Relay> relays_;
    std::vector<Seed> seeds_;

    Time next_probe_at_{0};
    Time next_gossip_at_{0};
    Time next_push_pull_at_{0};
    Time next_reconnect_at_{0};
    Time next_counters_at_{0};
};

}  // namespace gossip
