// A deterministic in-memory network of Node cores in virtual time, for tests and large-scale
// protocol experiments (no sockets, no sleeping: time jumps to the next wake-up).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gossip/node.hpp"

namespace gossip {

class Sim {
  public:
    struct Options {
        Duration latency = std::chrono::milliseconds(1);  // one-way, every link
        double loss = 0.0;                                // datagram loss probability
        std::uint64_t seed = 1;                           // loss decisions
    };
    // One event a node emitted, with the virtual time and the node's index.
    struct Record {
        Time t;
        std::size_t node;
        Event event;
    };
    // Optional hook run on every datagram before delivery: return false to drop it.
    using Filter =
        std::function<bool(std::size_t from, std::size_t to, const std::vector<std::uint8_t>&)>;

    Sim() : Sim(Options{}) {}
    explicit Sim(Options o) : opt_(o), rng_(o.seed) {}

    // Adds a node (not started); its address is 10.0.x.y:7946 unless cfg.bind.ip is set
    // to something else than the default loopback. Returns its index.
    std::size_t add(Config cfg) {
        std::size_t i = nodes_.size();
        if (cfg.bind.ip == 0x7f000001)
            cfg.bind = Addr{0x0a000000u + static_cast<std::uint32_t>(i + 1), 7946};
        nodes_.push_back(Slot{std::make_unique<Node>(cfg), false, false, false, {}, 0});
        by_addr_[nodes_.back().node->config().bind] = i;
        return i;
    }
    Addr addr(std::size_t i) const { return nodes_[i].node->config().bind; }
    Node& node(std::size_t i) { return *nodes_[i].node; }
    std::size_t size() const { return nodes_.size(); }
    Time now() const { return now_; }

    void start(std::size_t i) {
        nodes_[i].running = true;
        nodes_[i].node->start(now_);
        drain(i);
    }
    // SIGKILL: the node stops at once; packets to it vanish.
    void kill(std::size_t i) { nodes_[i].killed = true; }
    // SIGSTOP / SIGCONT: a paused node neither ticks nor receives; its inbox waits.
    void pause(std::size_t i) { nodes_[i].paused = true; }
    void resume(std::size_t i) {
        nodes_[i].paused = false;
        auto inbox = std::move(nodes_[i].inbox);
        nodes_[i].inbox.clear();
        for (auto& d : inbox) deliver(d);
        if (alive(i)) {
            nodes_[i].node->on_tick(now_);
            drain(i);
        }
    }
    // Drops traffic between a and b, both ways, until heal().
    void block(std::size_t a, std::size_t b) {
        blocked_.insert({a, b});
        blocked_.insert({b, a});
    }
    // Blocks every link between the two groups.
    void partition(const std::vector<std::size_t>& g1, const std::vector<std::size_t>& g2) {
        for (auto a : g1)
            for (auto b : g2) block(a, b);
    }
    void heal() { blocked_.clear(); }
    void set_filter(Filter f) { filter_ = std::move(f); }

    // Advances virtual time to `until`, delivering packets and running timers in order.
    // Calls made on node(i) directly (broadcast, leave) are picked up here.
    void run_until(Time until) {
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            if (alive(i)) drain(i);
        }
        while (true) {
            Time next = Time::max();
            if (!inflight_.empty()) next = inflight_.top().at;
            if (auto t = top_deadline(); t) next = std::min(next, *t);
            if (next > until) break;
            now_ = std::max(now_, next);
            while (!inflight_.empty() && inflight_.top().at <= now_) {
                Delivery d = inflight_.top();
                inflight_.pop();
                deliver(d);
            }
            while (true) {
                auto t = top_deadline();
                if (!t || *t > now_) break;
                std::size_t i = deadlines_.top().node;
                deadlines_.pop();
                nodes_[i].node->on_tick(now_);
                drain(i);
            }
        }
        now_ = std::max(now_, until);
    }
    void run_for(Duration d) { run_until(now_ + d); }

    const std::vector<Record>& records() const { return records_; }
    std::uint64_t datagrams() const { return datagrams_; }

    // The state node `viewer` holds about node `subject` (nullopt when unknown).
    std::optional<MemberState> view(std::size_t viewer, std::size_t subject) const {
        const Member* m = nodes_[viewer].node->members().find(nodes_[subject].node->id());
        if (m == nullptr) return std::nullopt;
        return m->state;
    }

  private:
    enum class Kind { datagram, stream_request, stream_reply, stream_failed };
    struct Delivery {
        Time at;
        std::uint64_t order;
        std::size_t from;
        std::size_t to;
        Kind kind;
        std::vector<std::uint8_t> bytes;
        Addr target;  // for stream_failed: whom we could not reach
        bool operator>(const Delivery& o) const { return at != o.at ? at > o.at : order > o.order; }
    };
    struct Slot {
        std::unique_ptr<Node> node;
        bool running;
        bool killed;
        bool paused;
        std::vector<Delivery> inbox;
        std::uint64_t stamp = 0;  // bumps on each call; older heap entries are stale
    };
    struct Deadline {
        Time at;
        std::size_t node;
        std::uint64_t stamp;
        bool operator>(const Deadline& o) const { return at != o.at ? at > o.at : node > o.node; }
    };

    // The earliest current timer of a running node, dropping stale heap entries.
    std::optional<Time> top_deadline() {
        while (!deadlines_.empty()) {
            const Deadline& d = deadlines_.top();
            if (d.stamp == nodes_[d.node].stamp && alive(d.node) && !nodes_[d.node].paused)
                return d.at;
            deadlines_.pop();
        }
        return std::nullopt;
    }

    bool alive(std::size_t i) const {
        return nodes_[i].running && !nodes_[i].killed && !nodes_[i].node->finished();
    }
    bool link_ok(std::size_t a, std::size_t b) const { return blocked_.count({a, b}) == 0; }

    void schedule(Delivery d) {
        d.order = order_++;
        inflight_.push(std::move(d));
    }

    void drain(std::size_t i) {
        Node& n = *nodes_[i].node;
        // Every call into a node may move its next deadline: index the new one.
        ++nodes_[i].stamp;
        if (n.next_deadline() != Time::max())
            deadlines_.push(Deadline{n.next_deadline(), i, nodes_[i].stamp});
        while (auto t = n.poll_transmit()) {
            auto it = by_addr_.find(t->to);
            if (!t->stream) {
                ++datagrams_;
                if (it == by_addr_.end() || !link_ok(i, it->second)) continue;
                if (opt_.loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < opt_.loss)
                    continue;
                if (filter_ && !filter_(i, it->second, t->bytes)) continue;
                schedule(Delivery{now_ + opt_.latency, 0, i, it->second, Kind::datagram,
                                  std::move(t->bytes), t->to});
            } else if (it == by_addr_.end() || !link_ok(i, it->second)) {
                schedule(
                    Delivery{now_ + opt_.latency * 2, 0, i, i, Kind::stream_failed, {}, t->to});
            } else {
                schedule(Delivery{now_ + opt_.latency, 0, i, it->second, Kind::stream_request,
                                  std::move(t->bytes), t->to});
            }
        }
        while (auto e = n.poll_event()) records_.push_back(Record{now_, i, std::move(*e)});
    }

    void deliver(const Delivery& d) {
        if (!alive(d.to)) {
            if (d.kind == Kind::stream_request && alive(d.from)) {
                schedule(Delivery{
                    now_ + opt_.latency, 0, d.from, d.from, Kind::stream_failed, {}, d.target});
            }
            return;
        }
        if (nodes_[d.to].paused) {
            nodes_[d.to].inbox.push_back(d);
            return;
        }
        Node& n = *nodes_[d.to].node;
        switch (d.kind) {
            case Kind::datagram:
                n.on_packet(now_, addr(d.from), d.bytes);
                break;
            case Kind::stream_request: {
                auto reply = n.on_stream(now_, addr(d.from), d.bytes);
                if (!reply.empty() && link_ok(d.to, d.from)) {
                    schedule(Delivery{now_ + opt_.latency, 0, d.to, d.from, Kind::stream_reply,
                                      std::move(reply), addr(d.to)});
                }
                break;
            }
            case Kind::stream_reply:
                n.on_stream_reply(now_, addr(d.from), d.bytes);
                break;
            case Kind::stream_failed:
                n.on_stream_failed(now_, d.target);
                break;
        }
        drain(d.to);
    }

    Options opt_;
    std::mt19937_64 rng_;
    Time now_{0};
    std::vector<Slot> nodes_;
    std::map<Addr, std::size_t> by_addr_;
    std::set<std::pair<std::size_t, std::size_t>> blocked_;
    std::priority_queue<Delivery, std::vector<Delivery>, std::greater<>> inflight_;
    std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
    std::uint64_t order_ = 0;
    std::uint64_t datagrams_ = 0;
    std::vector<Record> records_;
    Filter filter_;
};

}  // namespace gossip
