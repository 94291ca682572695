// Unit tests of application state: record order (versions, last-writer-wins ties), the store,
// the Merkle tree and its comparison cost, the sync messages' encoding, and convergence of a
// simulated cluster (gossip under loss, anti-entropy after a partition).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "gossip/codec.hpp"
#include "gossip/merkle.hpp"
#include "gossip/sim.hpp"
#include "gossip/state.hpp"

using namespace gossip;
using namespace std::chrono_literals;

TEST_CASE("records order by version, then owner id, then digest", "[state]") {
    KvEntry a{"n1", "k", 5, false, "x"};
    KvEntry b{"n1", "k", 6, false, "a"};
    CHECK(newer(b, a));
    CHECK_FALSE(newer(a, b));
    CHECK_FALSE(newer(a, a));  // irreflexive: a record does not replace itself
    // Equal versions: the owner (writer) id breaks the tie, the same way everywhere.
    KvEntry c{"n2", "k", 5, false, "x"};
    CHECK(newer(c, a));
    CHECK_FALSE(newer(a, c));
    // Same owner, same version (a restarted owner): the value digest decides, so every member
    // keeps the same one of the two.
    KvEntry d{"n1", "k", 5, false, "y"};
    CHECK(newer(a, d) != newer(d, a));
    // A tombstone of a higher version beats any value.
    KvEntry del{"n1", "k", 7, true, ""};
    CHECK(newer(del, b));
}

TEST_CASE("the store keeps the newest record and its Merkle hash follows", "[state]") {
    StateStore s;
    const auto empty = s.tree().root();
    CHECK(s.apply({"n1", "k", 2, false, "v2"}));
    const auto one = s.tree().root();
    CHECK(one.count == 1);
    CHECK_FALSE(s.apply({"n1", "k", 1, false, "v1"}));  // older: ignored
    CHECK_FALSE(s.apply({"n1", "k", 2, false, "v2"}));  // the same: ignored
    CHECK(s.find("n1", "k")->value == "v2");
    CHECK(s.apply({"n1", "k", 3, true, ""}));
    CHECK(s.find("n1", "k")->deleted);
    CHECK(s.tree().root().count == 1);  // a tombstone stays an entry
    CHECK_FALSE(s.tree().root() == one);
    CHECK_FALSE(s.tree().root() == empty);
    CHECK(s.at(entry_position("n1", "k")) == s.find("n1", "k"));
    // Another store that learned the same records in another order holds the same hashes.
    StateStore t;
    t.apply({"n1", "k", 3, true, ""});
    t.apply({"n1", "k", 2, false, "v2"});
    CHECK(t.tree().root() == s.tree().root());
    auto ds = s.digest(), dt = t.digest();
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].owner == "n1");
    CHECK(ds[0].entries == 1);
    CHECK(ds[0].hash == dt[0].hash);
}

TEST_CASE("a Merkle tree's hashes are incremental: erase undoes put", "[merkle]") {
    MerkleTree t;
    t.put(1, 11);
    auto r1 = t.root();
    t.put(2, 22);
    t.put(2, 23);  // replaced
    t.erase(2);
    CHECK(t.root() == r1);
    t.erase(1);
    CHECK(t.root() == MerkleTree::Sum{});
    CHECK(t.size() == 0);
}

namespace {

// Two trees over n keys that differ in exactly k of them (changed, missing on one side, or
// added on one side, in turn); returns the differing positions.
std::vector<std::uint64_t> build_pair(MerkleTree& a, MerkleTree& b, std::size_t n, std::size_t k,
                                      std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint64_t> pos(n);
    for (std::size_t i = 0; i < n; ++i) {
        pos[i] = entry_position("n" + std::to_string(i % 50), "key" + std::to_string(i));
        std::uint64_t h = hash64(std::to_string(i), 7);
        a.put(pos[i], h);
        b.put(pos[i], h);
    }
    std::vector<std::uint64_t> differ;
    std::vector<std::size_t> idx(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = i;
    std::shuffle(idx.begin(), idx.end(), rng);
    for (std::size_t j = 0; j < k; ++j) {
        std::uint64_t p = pos[idx[j]];
        switch (j % 3) {
            case 0:
                b.put(p, hash64("changed" + std::to_string(j), 9));
                break;
            case 1:
                b.erase(p);
                break;
            case 2:
                a.erase(p);
                break;
        }
        differ.push_back(p);
    }
    std::sort(differ.begin(), differ.end());
    return differ;
}

}  // namespace

TEST_CASE("Merkle trees differing in k of 100,000 keys find exactly those k with O(k log n) hashes",
          "[merkle]") {
    const std::size_t n = 100000;
    const double log2n = std::log2(double(n));
    for (std::size_t k :
         {std::size_t{1}, std::size_t{3}, std::size_t{10}, std::size_t{100}, std::size_t{1000}}) {
        MerkleTree a, b;
        auto expect = build_pair(a, b, n, k, k);
        DiffStats st;
        auto got = diff(a, b, &st);
        WARN("k = " << k << " of n = " << n << ": hashes compared = " << st.hashes_compared
                    << " (bound 8 k log2 n = " << 8.0 * double(k) * log2n << "), rounds "
                    << st.rounds);
        CHECK(got == expect);
        // The bound: 8 * k * log2(n), against n for comparing every entry.
        CHECK(double(st.hashes_compared) <= 8.0 * double(k) * log2n);
        CHECK(st.rounds <= MerkleTree::kDepth + 1);
        // And the other way round: the comparison is symmetric.
        DiffStats back;
        CHECK(diff(b, a, &back) == expect);
        CHECK(back.hashes_compared == st.hashes_compared);
    }
    // Equal trees: the roots alone.
    MerkleTree a, b;
    build_pair(a, b, n, 0, 1);
    DiffStats st;
    CHECK(diff(a, b, &st).empty());
    CHECK(st.hashes_compared == 1);
}

TEST_CASE("a tree against an empty one lists every entry without descending", "[merkle]") {
    MerkleTree a, empty;
    for (int i = 0; i < 1000; ++i) a.put(hash64(std::to_string(i)), std::uint64_t(i) + 1);
    DiffStats st;
    CHECK(diff(a, empty, &st).size() == 1000);
    CHECK(st.hashes_compared == 1);
    CHECK(st.leaf_ranges == 1);
}

TEST_CASE("state and sync messages survive a round trip", "[codec][state]") {
    SyncChildren c{3, 0xabc, {}};
    c.children[0] = {0x1122334455667788ull, 3};
    c.children[15] = {42, 1};
    Packet p{"n1",
             {KvUpdate{"n2", "color", 1795360850475ull, false, std::string("bl\0ue", 5), true},
              KvUpdate{"n3", "k", 7, true, "", false}, SyncRoot{0xdeadbeefcafef00dull, 100000}, c,
              SyncLeaf{8, 0xffffffffull, {{1, 2, 3}, {0xffffffffffffffffull, 0, 9}}},
              SyncWant{{5, 0x8000000000000000ull}}}};
    Decoded d = decode_packet(encode_packet(p), 1 << 20);
    REQUIRE(d.ok);
    REQUIRE(d.packet.messages.size() == 6);
    auto kv = std::get<KvUpdate>(d.packet.messages[0]);
    CHECK(kv.owner == "n2");
    CHECK(kv.key == "color");
    CHECK(kv.version == 1795360850475ull);
    CHECK(kv.value == std::string("bl\0ue", 5));
    CHECK(kv.sync);
    CHECK_FALSE(kv.deleted);
    auto del = std::get<KvUpdate>(d.packet.messages[1]);
    CHECK(del.deleted);
    CHECK_FALSE(del.sync);
    auto root = std::get<SyncRoot>(d.packet.messages[2]);
    CHECK(root.hash == 0xdeadbeefcafef00dull);
    CHECK(root.count == 100000);
    auto ch = std::get<SyncChildren>(d.packet.messages[3]);
    CHECK(ch.level == 3);
    CHECK(ch.prefix == 0xabc);
    CHECK(ch.children == c.children);
    auto leaf = std::get<SyncLeaf>(d.packet.messages[4]);
    CHECK(leaf.level == 8);
    CHECK(leaf.prefix == 0xffffffffull);
    CHECK(leaf.entries == std::vector<SyncLeafEntry>{{1, 2, 3}, {0xffffffffffffffffull, 0, 9}});
    CHECK(std::get<SyncWant>(d.packet.messages[5]).positions ==
          std::vector<std::uint64_t>{5, 0x8000000000000000ull});
}

TEST_CASE("malformed sync messages are rejected with the reason", "[codec][state]") {
    auto reject = [](const Message& m, const std::string& why) {
        Decoded d = decode_packet(encode_packet(Packet{"n1", {m}}), 1 << 20);
        CHECK_FALSE(d.ok);
        CHECK_THAT(d.error, Catch::Contains(why));
    };
    reject(SyncLeaf{9, 0, {}}, "tree level 9 too deep");
    reject(SyncChildren{8, 0, {}}, "leaf level has no children");
    reject(SyncChildren{1, 16, {}}, "tree prefix too large for its level");
    reject(SyncLeaf{0, 1, {}}, "tree prefix too large for its level");
    reject(KvUpdate{"n1", "", 1, false, "v", false}, "empty key");
    reject(KvUpdate{"n1", std::string(65, 'k'), 1, false, "v", false}, "string longer than 64");
    reject(KvUpdate{"", "k", 1, false, "v", false}, "empty id");
}

// ---- in the simulator ------------------------------------------------------------------------

namespace {

Addr sim_addr(std::size_t i) {
    return Addr{0x0a000001u + static_cast<std::uint32_t>(i), 7946};
}

Config sim_config(std::size_t i) {
    Config c = fast_profile();
    c.id = "n" + std::to_string(i);
    if (i != 0) c.seeds = {sim_addr(0)};
    c.rng_seed = 4242 + i;
    c.incarnation = 100;
    c.counters_interval = Duration::zero();
    return c;
}

bool same_state(Sim& sim, const std::vector<std::size_t>& nodes) {
    for (auto i : nodes)
        if (!(sim.node(i).state().tree().root() == sim.node(nodes[0]).state().tree().root()))
            return false;
    return true;
}

std::uint64_t sync_entries_sent(Sim& sim) {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < sim.size(); ++i) n += sim.node(i).counters().sync_entries_sent;
    return n;
}

}  // namespace

TEST_CASE("writes on many nodes converge under 20% loss", "[state][sim]") {
    Sim::Options o;
    o.seed = 11;
    Sim sim(o);
    const std::size_t n = 8;
    std::vector<std::size_t> all;
    for (std::size_t i = 0; i < n; ++i) {
        sim.add(sim_config(i));
        all.push_back(i);
    }
    for (auto i : all) sim.start(i);
    sim.run_for(2s);
    std::mt19937_64 rng(3);
    sim.set_filter([&](std::size_t, std::size_t, const std::vector<std::uint8_t>&) {
        return rng() % 5 != 0;  // 20% of datagrams lost
    });
    std::string err;
    for (int w = 0; w < 40; ++w) {
        std::size_t i = w % n;
        if (w % 7 == 6)
            REQUIRE(sim.node(i).delete_state(sim.now(), "k" + std::to_string(w % 5), &err));
        else
            REQUIRE(sim.node(i).set_state(sim.now(), "k" + std::to_string(w % 5),
                                          "v" + std::to_string(w), &err));
        sim.run_for(50ms);
    }
    // Gossip delivers most; the push-pull's Merkle exchange (every 3 s) the rest.
    Time t0 = sim.now();
    while (!same_state(sim, all) && sim.now() - t0 < 20s) sim.run_for(100ms);
    WARN("converged " << seconds(sim.now() - t0) << " s after the last write");
    REQUIRE(same_state(sim, all));
    // Every node holds the owner's own newest record of each entry.
    for (std::size_t owner = 0; owner < n; ++owner)
        for (const auto& [k, e] : sim.node(owner).state().all()) {
            if (e.owner != sim.node(owner).id()) continue;
            for (auto i : all) {
                const KvEntry* got = sim.node(i).state().find(e.owner, e.key);
                REQUIRE(got != nullptr);
                CHECK(got->version == e.version);
                CHECK(got->deleted == e.deleted);
            }
        }
    // Lamport: each node's clock is at least every version it holds.
    for (auto i : all)
        for (const auto& [k, e] : sim.node(i).state().all())
            CHECK(sim.node(i).state_clock() >= e.version);
}

TEST_CASE("after a partition heals, anti-entropy repairs only what diverged", "[state][sim]") {
    Sim::Options o;
    o.seed = 5;
    Sim sim(o);
    const std::size_t n = 6;
    std::vector<std::size_t> all, left{0, 1, 2}, right{3, 4, 5};
    for (std::size_t i = 0; i < n; ++i) {
        sim.add(sim_config(i));
        all.push_back(i);
    }
    for (auto i : all) sim.start(i);
    sim.run_for(2s);
    std::string err;
    // Shared history before the split: 30 entries everyone holds.
    for (int w = 0; w < 30; ++w)
        REQUIRE(sim.node(w % n).set_state(sim.now(), "base" + std::to_string(w), "b", &err));
    sim.run_for(8s);
    REQUIRE(same_state(sim, all));
    sim.partition(left, right);
    sim.run_for(1s);
    // Writes on both sides: 4 new entries on the left, 3 on the right.
    for (int w = 0; w < 4; ++w)
        REQUIRE(sim.node(left[w % 3]).set_state(sim.now(), "L" + std::to_string(w), "l", &err));
    for (int w = 0; w < 3; ++w)
        REQUIRE(sim.node(right[w]).set_state(sim.now(), "R" + std::to_string(w), "r", &err));
    sim.run_for(5s);  // gossip's retransmissions are spent inside each side
    REQUIRE(same_state(sim, left));
    REQUIRE(same_state(sim, right));
    REQUIRE_FALSE(same_state(sim, all));
    // Diverged (node, entry) pairs: each left node lacks the 3 right entries and vice versa.
    const std::uint64_t diverged = 3 * 3 + 3 * 4;
    const std::uint64_t before = sync_entries_sent(sim);
    sim.heal();
    Time t0 = sim.now();
    while (!same_state(sim, all) && sim.now() - t0 < 40s) sim.run_for(100ms);
    WARN("repaired " << seconds(sim.now() - t0) << " s after the heal");
    REQUIRE(same_state(sim, all));
    const std::uint64_t sent = sync_entries_sent(sim) - before;
    WARN("entries sent by anti-entropy: " << sent << " for " << diverged
                                          << " diverged (node, entry) pairs");
    CHECK(sent >= 1);
    CHECK(sent <= 2 * diverged);
    for (auto i : all) CHECK(sim.node(i).state().size() == 37);
}

TEST_CASE("a write takes the next version, prints a state event, and bad writes are refused",
          "[state][node]") {
    Config c = sim_config(1);
    c.seeds.clear();
    Node node(c);
    node.start(Time{0});
    while (node.poll_event()) {
    }
    std::string err;
    REQUIRE(node.set_state(Time{0}, "color", "blue", &err));
    REQUIRE(node.delete_state(Time{0}, "color", &err));
    auto e1 = node.poll_event();
    auto e2 = node.poll_event();
    REQUIRE(e1);
    REQUIRE(e2);
    auto s1 = std::get<StateEvent>(*e1);
    auto s2 = std::get<StateEvent>(*e2);
    CHECK(s1.owner == "n1");
    CHECK(s1.key == "color");
    CHECK(s1.version == 101);  // the clock starts at the incarnation (100)
    CHECK(s1.digest == value_digest("blue"));
    CHECK_FALSE(s1.deleted);
    CHECK(s2.version == 102);
    CHECK(s2.deleted);
    CHECK(to_json(*e1, 1.0)["type"] == "state");
    CHECK(to_json(*e2, 1.0)["deleted"] == true);
    // A record from elsewhere with a higher version raises the clock (Lamport).
    node.on_packet(Time{1000}, sim_addr(2),
                   encode_packet(Packet{"n2", {KvUpdate{"n2", "x", 500, false, "y", false}}}));
    CHECK(node.state_clock() == 500);
    REQUIRE(node.set_state(Time{2000}, "color", "red", &err));
    CHECK(node.state().find("n1", "color")->version == 501);
    while (node.poll_event()) {
    }
    node.request_digest();
    auto d = node.poll_event();
    REQUIRE(d);
    auto j = to_json(*d, 1.0);
    CHECK(j["type"] == "state_digest");
    CHECK(j["entries"] == 2);
    REQUIRE(j["owners"].size() == 2);
    CHECK(j["owners"][0]["owner"] == "n1");
    CHECK(j["owners"][0]["entries"] == 1);
    CHECK(j["owners"][0]["hash"].get<std::string>().size() == 16);

    CHECK_FALSE(node.set_state(Time{0}, "", "v", &err));
    CHECK_THAT(err, Catch::Contains("key: expected 1 to 64 bytes, got 0"));
    CHECK_FALSE(node.set_state(Time{0}, "k", std::string(1025, 'v'), &err));
    CHECK_THAT(err, Catch::Contains("value: expected at most 1024 bytes, got 1025"));
    CHECK_FALSE(node.delete_state(Time{0}, std::string(65, 'k'), &err));
}
