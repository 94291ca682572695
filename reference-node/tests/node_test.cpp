// Unit tests of the node core, driven with a fake clock and a scripted in-memory network.
#include <catch2/catch.hpp>
#include <cmath>

#include "gossip/malformed.hpp"
#include "gossip/node.hpp"

using namespace gossip;
using namespace std::chrono_literals;

namespace {

// One core under test; every other member is played by this harness, which answers pings
// (unless told a member is down) and records everything the core sends and reports.
struct Fake {
    Node node;
    Time now{0};
    std::set<std::string> down;         // neither direct nor indirect pings answered
    std::set<std::string> direct_down;  // direct pings lost, ping-req through others works
    std::vector<std::pair<Addr, Packet>> sent;
    std::vector<std::vector<std::uint8_t>> raw;
    std::vector<Transmit> streams;
    std::vector<Event> events;

    static Addr addr_of(const std::string& id) {
        return Addr{0x0a000001u + static_cast<std::uint32_t>(id[0] - 'a'), 7946};
    }
    static std::string id_of(Addr a) {
        return std::string(1, static_cast<char>('a' + (a.ip - 0x0a000001u)));
    }
    static Config base() {
        Config c = fast_profile();
        c.id = "a";
        c.bind = addr_of("a");
        c.incarnation = 5;
        c.counters_interval = Duration::zero();
        c.rng_seed = 7;
        return c;
    }

    explicit Fake(Config c = base()) : node(c) {}

    void start() {
        node.start(now);
        pump();
    }
    void deliver(const std::string& sender, std::vector<Message> msgs) {
        node.on_packet(now, addr_of(sender), encode_packet(Packet{sender, std::move(msgs)}));
        pump();
    }
    void add_members(const std::string& ids, std::uint64_t inc = 1) {
        for (char ch : ids) {
            std::string id(1, ch);
            deliver(id, {Alive{id, inc, addr_of(id)}});
        }
    }
    void pump() {
        std::vector<std::pair<std::string, std::vector<Message>>> replies;
        while (auto t = node.poll_transmit()) {
            if (t->stream) {
                streams.push_back(*t);
                continue;
            }
            raw.push_back(t->bytes);
            Decoded d = decode_packet(t->bytes, 1400);
            REQUIRE(d.ok);
            std::string to = id_of(t->to);
            for (const auto& m : d.packet.messages) {
                if (auto* p = std::get_if<Ping>(&m);
                    p && !down.count(to) && !direct_down.count(to)) {
                    replies.push_back({to, {Ack{p->seq}}});
                }
                if (auto* pr = std::get_if<PingReq>(&m);
                    pr && !down.count(pr->target) && !down.count(to)) {
                    replies.push_back({to, {Ack{pr->seq}}});
                }
            }
            sent.emplace_back(t->to, std::move(d.packet));
        }
        while (auto e = node.poll_event()) events.push_back(std::move(*e));
        for (auto& [from, msgs] : replies) deliver(from, msgs);
    }
    void run_until(Time t) {
        for (int guard = 0; node.next_deadline() <= t; ++guard) {
            REQUIRE(guard < 1000000);
            now = std::max(now, node.next_deadline());
            node.on_tick(now);
            pump();
        }
        now = std::max(now, t);
    }
    void run_for(Duration d) { run_until(now + d); }

    template <typename T>
    std::vector<T> sent_of() const {
        std::vector<T> out;
        for (const auto& [to, p] : sent)
            for (const auto& m : p.messages)
                if (auto* x = std::get_if<T>(&m)) out.push_back(*x);
        return out;
    }
    template <typename T>
    std::vector<T> events_of() const {
        std::vector<T> out;
        for (const auto& e : events)
            if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
        return out;
    }
    MemberState state(const std::string& id) const { return node.members().find(id)->state; }
};

}  // namespace

TEST_CASE("a suspected node refutes with a higher incarnation", "[node]") {
    Fake f;
    f.start();
    f.add_members("bcd");
    f.deliver("b", {Suspect{"a", 5, "c"}});
    auto r = f.events_of<RefuteEvent>();
    REQUIRE(r.size() == 1);
    CHECK(r[0].incarnation == 6);
    CHECK(r[0].accused_incarnation == 5);
    CHECK(f.node.incarnation() == 6);
    CHECK(f.node.awareness() == 1);  // Lifeguard: being suspected counts against us
    f.run_for(50ms);
    bool announced = false;
    for (auto& a : f.sent_of<Alive>()) announced |= a.id == "a" && a.incarnation == 6;
    CHECK(announced);
    // A stale suspicion (lower incarnation) needs no answer; a death sentence does.
    f.deliver("c", {Suspect{"a", 5, "d"}});
    CHECK(f.node.incarnation() == 6);
    f.deliver("c", {Dead{"a", 9, "d"}});
    CHECK(f.node.incarnation() == 10);
    CHECK(f.events_of<RefuteEvent>().size() == 2);
}

TEST_CASE("the refutation break leaves suspicions unanswered", "[node][break]") {
    Config c = Fake::base();
    c.breaks = static_cast<unsigned>(Break::refutation);
    Fake f(c);
    f.start();
    f.add_members("b");
    f.deliver("b", {Suspect{"a", 5, "b"}});
    CHECK(f.events_of<RefuteEvent>().empty());
    CHECK(f.node.incarnation() == 5);
}

TEST_CASE("an unconfirmed suspicion becomes dead after exactly the max timeout", "[node]") {
    Fake f;
    f.start();
    f.add_members("bcde");  // N = 5: k = 2, min = 4*log10(10)*0.1s = 0.4s, max = 2.4s
    f.run_for(1s);
    Time t0 = f.now;
    f.deliver("c", {Suspect{"b", 1, "c"}});
    CHECK(f.state("b") == MemberState::suspect);
    auto ev = f.events_of<MemberEvent>().back();
    CHECK(ev.member == "b");
    CHECK(ev.state == MemberState::suspect);
    CHECK(ev.from == "c");
    // b answers our pings (the harness acks), but only b itself can clear the suspicion.
    f.run_until(t0 + 2400ms - 1us);
    CHECK(f.state("b") == MemberState::suspect);
    f.run_until(t0 + 2400ms);
    CHECK(f.state("b") == MemberState::dead);
    auto dead = f.events_of<MemberEvent>().back();
    CHECK(dead.state == MemberState::dead);
    CHECK(dead.incarnation == 1);
    f.run_for(100ms);
    bool gossiped = false;
    for (auto& d : f.sent_of<Dead>()) gossiped |= d.id == "b" && d.from == "a";
    CHECK(gossiped);
}

TEST_CASE("independent confirmations shorten the suspicion timeout to the formula's value",
          "[node]") {
    Fake f;
    f.start();
    f.add_members("bcdef");  // N = 6: k = 2, min = 0.4s, max = 2.4s
    Time t0 = f.now;
    f.deliver("c", {Suspect{"b", 1, "c"}});
    f.deliver("c", {Suspect{"b", 1, "c"}});  // the same accuser again: no confirmation
    f.deliver("d", {Suspect{"b", 1, "d"}});  // one independent confirmation
    REQUIRE(f.node.suspicion_of("b") != nullptr);
    CHECK(f.node.suspicion_of("b")->confirmations() == 1);
    double min = 4 * std::log10(10.0) * 0.1, max = 6 * min;
    double timeout = std::max(min, max - (max - min) * std::log(2.0) / std::log(3.0));
    Time deadline = t0 + Duration(static_cast<std::int64_t>(std::floor(timeout * 1e6)));
    f.run_until(deadline - 1us);
    CHECK(f.state("b") == MemberState::suspect);
    f.run_until(deadline);
    CHECK(f.state("b") == MemberState::dead);

    // Two confirmations reach the minimum.
    Time t1 = f.now;
    f.deliver("e", {Suspect{"c", 1, "e"}});
    f.deliver("d", {Suspect{"c", 1, "d"}});
    f.deliver("f", {Suspect{"c", 1, "f"}});
    f.run_until(t1 + 400ms - 1us);
    CHECK(f.state("c") == MemberState::suspect);
    f.run_until(t1 + 400ms);
    CHECK(f.state("c") == MemberState::dead);
}

TEST_CASE("precedence in the core: stale alive does not clear a suspicion; newer alive does",
          "[node]") {
    Fake f;
    f.start();
    f.add_members("bcd", 3);
    f.deliver("c", {Suspect{"b", 3, "c"}});
    f.deliver("d", {Alive{"b", 3, Fake::addr_of("b")}});
    CHECK(f.state("b") == MemberState::suspect);
    f.deliver("b", {Alive{"b", 4, Fake::addr_of("b")}});
    CHECK(f.state("b") == MemberState::alive);
    CHECK(f.node.suspicion_of("b") == nullptr);
    f.deliver("c", {Dead{"b", 4, "c"}});
    CHECK(f.state("b") == MemberState::dead);
    f.deliver("c", {Suspect{"b", 4, "c"}});  // suspect never overrides dead
    CHECK(f.state("b") == MemberState::dead);
    f.deliver("b", {Alive{"b", 5, Fake::addr_of("b")}});
    CHECK(f.state("b") == MemberState::alive);
    // Every (state, incarnation) change was reported, nothing else.
    std::vector<std::string> seen;
    for (auto& e : f.events_of<MemberEvent>())
        if (e.member == "b")
            seen.push_back(std::string(to_string(e.state)) + std::to_string(e.incarnation));
    CHECK(seen == std::vector<std::string>{"alive3", "suspect3", "alive4", "dead4", "alive5"});
}

TEST_CASE("a missed direct ack triggers ping-req; an indirect ack prevents suspicion", "[node]") {
    Fake f;
    f.start();
    f.add_members("bcde");
    f.direct_down.insert("b");
    f.run_for(3s);
    CHECK(f.state("b") == MemberState::alive);
    auto reqs = f.sent_of<PingReq>();
    REQUIRE_FALSE(reqs.empty());
    CHECK(reqs[0].target == "b");
    CHECK(reqs[0].want_nack);
    for (auto& r : reqs) CHECK(r.target == "b");
}

TEST_CASE("a member that answers no probe is suspected; without indirect probes too", "[node]") {
    for (bool broken : {false, true}) {
        Config c = Fake::base();
        if (broken) c.breaks = static_cast<unsigned>(Break::indirect_probes);
        Fake f(c);
        f.start();
        f.add_members("bcde");
        f.down.insert("b");
        f.run_for(2s);
        INFO("indirect probes broken: " << broken);
        CHECK(f.state("b") != MemberState::alive);
        CHECK(f.sent_of<PingReq>().empty() == broken);
        // No nacks came back from the (silent) helpers, or no helpers: awareness rose.
        if (!broken) CHECK(f.node.awareness() > 0);
    }
}

TEST_CASE("the suspicion break declares a failed member dead at once", "[node][break]") {
    Config c = Fake::base();
    c.breaks = static_cast<unsigned>(Break::suspicion);
    Fake f(c);
    f.start();
    f.add_members("bcde");
    f.deliver("c", {Suspect{"b", 1, "c"}});
    CHECK(f.state("b") == MemberState::dead);
}

TEST_CASE("a rumor is sent retransmit_mult * ceil(log10(N+1)) times", "[node]") {
    for (std::string members : {std::string("bcd"), std::string("bcdefghij")}) {
        Fake f;
        f.start();
        f.add_members(members);
        f.run_for(2s);  // let the membership updates drain
        std::size_t n = members.size() + 1;
        int expect = Fake::base().retransmit_mult *
                     static_cast<int>(std::ceil(std::log10(static_cast<double>(n) + 1)));
        std::size_t before = f.sent_of<Rumor>().size();
        std::string err;
        REQUIRE(f.node.broadcast(f.now, "r1", "hello", &err));
        f.pump();
        auto mine = f.events_of<RumorEvent>();
        REQUIRE(mine.size() == 1);
        CHECK(mine[0].origin == "a");
        f.run_for(5s);
        INFO("N = " << n);
        CHECK(f.sent_of<Rumor>().size() - before == static_cast<std::size_t>(expect));
        CHECK_FALSE(f.node.broadcast(f.now, "r1", "again", &err));  // duplicate id
        CHECK(err.find("already") != std::string::npos);
    }
}

TEST_CASE("a received rumor is delivered once and passed on", "[node]") {
    Fake f;
    f.start();
    f.add_members("bcd");
    f.deliver("b", {Rumor{"r9", "b", "payload"}});
    f.deliver("c", {Rumor{"r9", "b", "payload"}});
    auto got = f.events_of<RumorEvent>();
    REQUIRE(got.size() == 1);
    CHECK(got[0].rumor == "r9");
    CHECK(got[0].payload == "payload");
    f.run_for(1s);
    CHECK_FALSE(f.sent_of<Rumor>().empty());
}

TEST_CASE("every packet stays within the 1400-byte budget under a flood of updates", "[node]") {
    Fake f;
    f.start();
    std::string many;
    for (char ch = 'b'; ch <= 'z'; ++ch) many.push_back(ch);
    f.add_members(many);
    std::string err;
    for (int i = 0; i < 40; ++i) {
        REQUIRE(f.node.broadcast(f.now, "r" + std::to_string(i), std::string(1000, 'x'), &err));
    }
    REQUIRE_FALSE(f.node.broadcast(f.now, "big", std::string(1025, 'x'), &err));
    f.run_for(10s);
    REQUIRE(f.raw.size() > 100);
    for (const auto& p : f.raw) CHECK(p.size() <= 1400);
    // Every rumor made it out despite the budget.
    std::set<std::string> ids;
    for (auto& r : f.sent_of<Rumor>()) ids.insert(r.id);
    CHECK(ids.size() == 40);
}

TEST_CASE("push-pull merges the remote state and answers with ours", "[node]") {
    Fake f;
    f.start();
    f.add_members("bd");
    PushPull req;
    req.join = true;
    req.members = {{"c", 2, MemberState::alive, Fake::addr_of("c")},
                   {"d", 1, MemberState::suspect, Fake::addr_of("d")},
                   {"e", 3, MemberState::dead, Fake::addr_of("e")},  // unknown: ignored
                   {"b", 1, MemberState::left, Fake::addr_of("b")},
                   {"a", 5, MemberState::dead, Fake::addr_of("a")}};  // about us: refute
    auto reply = f.node.on_stream(f.now, Fake::addr_of("c"), encode_packet(Packet{"c", {req}}));
    f.pump();
    CHECK(f.state("c") == MemberState::alive);
    CHECK(f.state("d") == MemberState::suspect);
    CHECK(f.node.members().find("e") == nullptr);
    CHECK(f.state("b") == MemberState::left);
    CHECK(f.node.incarnation() == 6);
    Decoded d = decode_packet(reply, kMaxStreamFrame);
    REQUIRE(d.ok);
    auto pp = std::get<PushPull>(d.packet.messages.at(0));
    CHECK(pp.reply);
    CHECK(pp.join);
    std::map<std::string, StateEntry> got;
    for (auto& e : pp.members) got[e.id] = e;
    CHECK(got.size() == 4);  // a, b, c, d
    CHECK(got["a"].incarnation == 6);
    CHECK(got["a"].state == MemberState::alive);
    CHECK(got["b"].state == MemberState::left);

    // The reply to our own push-pull merges the same way.
    PushPull rep;
    rep.reply = true;
    rep.members = {{"f", 1, MemberState::alive, Fake::addr_of("f")}};
    f.node.on_stream_reply(f.now, Fake::addr_of("c"), encode_packet(Packet{"c", {rep}}));
    f.pump();
    CHECK(f.state("f") == MemberState::alive);
    // Garbage on the stream is counted, not trusted.
    std::uint64_t bad = f.node.counters().bad_pkts;
    CHECK(f.node.on_stream(f.now, Fake::addr_of("c"), std::vector<std::uint8_t>{1, 2, 3}).empty());
    CHECK(f.node.counters().bad_pkts == bad + 1);
}

TEST_CASE("joining sends a push-pull to every seed, and re-contacts an unseen seed with backoff",
          "[node]") {
    Config c = Fake::base();
    c.seeds = {Fake::addr_of("s"), Fake::addr_of("t")};
    Fake f(c);
    f.start();
    REQUIRE(f.streams.size() == 2);
    f.add_members("t");  // t is visible from now on; s never answers
    f.run_for(5s);
    std::vector<Time> tries;
    std::size_t to_t = 0;
    for (auto& s : f.streams) {
        if (s.to == Fake::addr_of("s")) {
            Decoded d = decode_packet(s.bytes, kMaxStreamFrame);
            REQUIRE(d.ok);
            CHECK(std::get<PushPull>(d.packet.messages.at(0)).join);
        }
        to_t += s.to == Fake::addr_of("t") ? 1 : 0;
    }
    std::size_t to_s = f.streams.size() - to_t;
    // 0.2s base doubling to a 2s cap over 5s: 0, 0.2, 0.6, 1.4, 3.0, 5.0 -> about 6 attempts.
    CHECK(to_s >= 4);
    CHECK(to_s <= 8);
    CHECK(to_t <= 3);  // the join, plus at most periodic anti-entropy

    Config b = c;
    b.breaks = static_cast<unsigned>(Break::seed_recontact);
    Fake g(b);
    g.start();
    g.run_for(5s);
    std::size_t seeds = 0;
    for (auto& s : g.streams)
        seeds += (s.to == Fake::addr_of("s") || s.to == Fake::addr_of("t")) ? 1 : 0;
    CHECK(seeds == 2);  // the join only
}

TEST_CASE(
    "buddy system: a ping to a suspect carries the suspicion, and the suspect refutes in its ack",
    "[node]") {
    // As the prober: our ping to a suspect member carries the suspicion.
    Fake f;
    f.start();
    f.add_members("bcd");
    f.deliver("c", {Suspect{"b", 1, "c"}});
    std::size_t from = f.sent.size();
    f.run_for(1s);
    bool carried = false;
    for (std::size_t i = from; i < f.sent.size(); ++i) {
        bool ping = false, sus = false;
        for (auto& m : f.sent[i].second.messages) {
            if (auto* p = std::get_if<Ping>(&m)) ping |= p->target == "b";
            if (auto* s = std::get_if<Suspect>(&m)) sus |= s->id == "b";
        }
        carried |= ping && sus && f.sent[i].first == Fake::addr_of("b");
    }
    CHECK(carried);

    // As the suspect: the ack to that ping already holds our refutation.
    Fake g;
    g.start();
    g.add_members("bcd");
    std::size_t before = g.sent.size();
    g.deliver("b", {Suspect{"a", 5, "b"}, Ping{77, "a"}});
    REQUIRE(g.sent.size() > before);
    const auto& reply = g.sent[before];
    CHECK(reply.first == Fake::addr_of("b"));
    bool ack = false, alive = false;
    for (auto& m : reply.second.messages) {
        if (auto* a = std::get_if<Ack>(&m)) ack |= a->seq == 77;
        if (auto* a = std::get_if<Alive>(&m)) alive |= a->id == "a" && a->incarnation == 6;
    }
    CHECK(ack);
    CHECK(alive);
}

TEST_CASE("a ping-req is relayed, the ack forwarded, and a nack sent when the target is silent",
          "[node]") {
    Fake f;
    f.start();
    f.add_members("bcd");
    f.down.insert("d");
    f.deliver("b", {PingReq{500, "d", Fake::addr_of("d"), true}});
    auto pings = f.sent_of<Ping>();
    REQUIRE_FALSE(pings.empty());
    CHECK(pings.back().target == "d");
    std::uint32_t relay_seq = pings.back().seq;
    f.run_for(45ms);  // 80% of the 50 ms probe timeout
    auto nacks = f.sent_of<Nack>();
    REQUIRE(nacks.size() == 1);
    CHECK(nacks[0].seq == 500);
    f.deliver("d", {Ack{relay_seq}});  // a late ack is still forwarded
    bool forwarded = false;
    for (auto& [to, p] : f.sent)
        for (auto& m : p.messages)
            if (auto* a = std::get_if<Ack>(&m))
                forwarded |= a->seq == 500 && to == Fake::addr_of("b");
    CHECK(forwarded);
}

TEST_CASE("malformed datagrams are counted and dropped; pings for another id are ignored",
          "[node]") {
    Fake f;
    f.start();
    f.add_members("b");
    std::size_t sent = f.sent.size();
    std::vector<std::uint8_t> junk(2000, 0x47);
    f.node.on_packet(f.now, Fake::addr_of("b"), junk);
    f.node.on_packet(f.now, Fake::addr_of("b"), std::vector<std::uint8_t>{});
    f.node.on_packet(f.now, Fake::addr_of("b"), std::vector<std::uint8_t>{0x47, 1, 5, 'b'});
    CHECK(f.node.counters().bad_pkts == 3);
    f.deliver("b", {Ping{1, "someone-else"}});
    f.pump();
    CHECK(f.sent.size() == sent);
}

TEST_CASE("leave announces `left` to the cluster and finishes after a few gossip rounds",
          "[node]") {
    Fake f;
    f.start();
    f.add_members("bcde");
    f.run_for(1s);
    f.node.leave(f.now);
    Time t0 = f.now;
    f.run_for(30ms);
    bool announced = false;
    for (auto& d : f.sent_of<Dead>()) announced |= d.id == "a" && d.left();
    CHECK(announced);
    CHECK_FALSE(f.node.finished());
    f.run_until(t0 + 60ms);
    CHECK(f.node.finished());
}

TEST_CASE("the view and counters events report the table and traffic", "[node]") {
    Fake f;
    f.start();
    f.add_members("bc");
    f.node.request_view();
    f.node.emit_counters();
    f.pump();
    auto v = f.events_of<ViewEvent>();
    REQUIRE(v.size() == 1);
    CHECK(v[0].members.size() == 2);
    CHECK(v[0].self_id == "a");
    CHECK(v[0].self_incarnation == 5);
    auto c = f.events_of<CountersEvent>();
    REQUIRE(c.size() == 1);
    CHECK(c[0].counters.pkts_recv == 2);
    CHECK(c[0].counters.pkts_sent == f.raw.size() + f.streams.size());
    auto j = to_json(v[0], 1.5);
    CHECK(j["type"] == "view");
    CHECK(j["members"].size() == 2);
    CHECK(j["self"]["id"] == "a");
    auto started = to_json(f.events.front(), 2.0);
    CHECK(started["type"] == "started");
    CHECK(started["contract"] == 2);
    CHECK(started["incarnation"] == 5);
}

TEST_CASE("a stale accusation gets our current alive back, even after its retransmissions ran out",
          "[node]") {
    Fake f;
    f.start();
    f.add_members("bcd");
    f.deliver("c", {Suspect{"a", 5, "c"}});
    REQUIRE(f.node.incarnation() == 6);
    f.run_for(2s);  // the refutation is sent its 4 times and leaves the queue
    REQUIRE(f.node.queue().transmits("m:a") == -1);
    std::size_t before = f.sent.size();
    f.deliver("b", {Suspect{"a", 5, "b"}, Ping{99, "a"}});  // b missed the refutation
    REQUIRE(f.sent.size() > before);
    bool alive = false;
    for (auto& m : f.sent[before].second.messages)
        if (auto* a = std::get_if<Alive>(&m)) alive |= a->id == "a" && a->incarnation == 6;
    CHECK(alive);
    CHECK(f.node.incarnation() == 6);  // no new refutation for a stale accusation
}

TEST_CASE("the push-pull break stops periodic anti-entropy but not the join", "[node][break]") {
    for (bool broken : {false, true}) {
        Config c = Fake::base();
        c.seeds = {Fake::addr_of("b")};
        if (broken) c.breaks = static_cast<unsigned>(Break::push_pull);
        Fake f(c);
        f.start();
        REQUIRE(f.streams.size() == 1);  // the join
        f.add_members("bcd");
        f.run_for(10s);
        INFO("push-pull broken: " << broken);
        if (broken) {
            CHECK(f.streams.size() == 1);
        } else {
            CHECK(f.streams.size() >= 3);  // every 3 s in fast
        }
    }
}

TEST_CASE("a prober that ran late (starved or stopped) suspects no one and distrusts itself",
          "[node]") {
    Fake f;
    f.start();
    f.add_members("bc");
    f.down.insert("b");
    // Tick exactly at each deadline until the probe of b is in its indirect phase.
    for (int guard = 0; f.sent_of<PingReq>().empty(); ++guard) {
        REQUIRE(guard < 1000);
        f.now = f.node.next_deadline();
        f.node.on_tick(f.now);
        f.pump();
    }
    // Then the process is descheduled for a second.
    f.now += 1s;
    f.node.on_tick(f.now);
    CHECK(f.node.awareness() == 1);
    f.pump();
    f.now += 1ms;
    f.node.on_tick(f.now);
    f.pump();
    CHECK(f.state("b") == MemberState::alive);
    // On time, the same silence is a suspicion.
    f.run_for(2s);
    CHECK(f.state("b") != MemberState::alive);
}

TEST_CASE("a joining node announces its own alive once it knows members", "[node]") {
    Fake f;
    f.start();
    CHECK(f.node.queue().transmits("m:a") == 0);
    f.add_members("bcdef");
    f.run_for(500ms);
    std::set<Addr> told;
    for (auto& [to, p] : f.sent)
        for (auto& m : p.messages)
            if (auto* a = std::get_if<Alive>(&m); a && a->id == "a") told.insert(to);
    // retransmit_mult * ceil(log10(6+1)) sends, to distinct members (all 5 when that is more).
    CHECK(told.size() == std::min<std::size_t>(5, Fake::base().retransmit_mult));
}

TEST_CASE(
    "the hostile-input corpus: each datagram to refuse is refused and counted, the others "
    "are taken and change nothing",
    "[node]") {
    const auto corpus = malformed_corpus();
    REQUIRE(corpus.size() >= 10);
    Fake f;
    f.start();
    f.add_members("b");
    f.pump();
    const auto before = f.node.counters().bad_pkts;
    const std::size_t members = f.node.members().size();
    std::size_t refused = 0;
    for (const auto& d : corpus) {
        INFO(d.name);
        const Decoded got = decode_packet(d.bytes, 1400);
        CHECK(got.ok == !d.refuse);
        const auto bad = f.node.counters().bad_pkts;
        f.node.on_packet(f.now, Fake::addr_of("b"), d.bytes);
        f.pump();
        CHECK(f.node.counters().bad_pkts == bad + (d.refuse ? 1 : 0));
        refused += d.refuse ? 1 : 0;
    }
    CHECK(f.node.counters().bad_pkts == before + refused);
    CHECK(f.node.members().size() == members);  // no member came of it
    // Printed as JSON for the harness: names, expectations and bytes.
    const auto j = corpus_to_json(corpus);
    REQUIRE(j.size() == corpus.size());
    CHECK(j[0]["expect"] == "refuse");
    CHECK(j[0]["hex"].get<std::string>().substr(0, 4) == "4701");
}
