// The node's application state: own writes, records learned by gossip, and the Merkle
// anti-entropy exchange (a stateless ping-pong of sync_* datagrams, codec.hpp).
#include <algorithm>

#include "gossip/node.hpp"

namespace gossip {

namespace {

MerkleTree::Sum to_sum(const SyncSum& s) {
    return {s.hash, s.count};
}

// The broadcast-queue key of a record (node.cpp's update_key gives the same for a KvUpdate).
std::string kv_key(const std::string& owner, const std::string& key) {
    return "s:" + owner + "/" + key;
}

}  // namespace

KvUpdate Node::kv_message(const KvEntry& e, bool sync) const {
    return KvUpdate{e.owner, e.key, e.version, e.deleted, e.value, sync};
}

bool Node::write_state(const std::string& key, const std::string* value, std::string* error) {
    auto fail = [&](const std::string& why) {
        if (error != nullptr) *error = why;
        return false;
    };
    if (key.empty() || key.size() > kMaxKeyLen)
        return fail("key: expected 1 to " + std::to_string(kMaxKeyLen) + " bytes, got " +
                    std::to_string(key.size()));
    if (value != nullptr && value->size() > kMaxValueLen)
        return fail("value: expected at most " + std::to_string(kMaxValueLen) + " bytes, got " +
                    std::to_string(value->size()));
    if (leaving_) return fail("the node is leaving");
    KvEntry e{cfg_.id, key, ++state_clock_, value == nullptr, value ? *value : std::string()};
    state_.apply(e);  // always newer: the clock is above every version seen
    events_.push_back(
        StateEvent{e.owner, e.key, e.version, value_digest(e.value), e.deleted, cfg_.id});
    enqueue(kv_key(e.owner, e.key), kv_message(e, false));
    return true;
}

bool Node::set_state(Time /*now*/, const std::string& key, const std::string& value,
                     std::string* error) {
    return write_state(key, &value, error);
}

bool Node::delete_state(Time /*now*/, const std::string& key, std::string* error) {
    return write_state(key, nullptr, error);
}

void Node::request_digest() {
    StateDigestEvent d;
    for (const auto& o : state_.digest()) {
        d.owners.push_back(OwnerDigestItem{o.owner, o.entries, hex64(o.hash)});
        d.entries += o.entries;
    }
    events_.push_back(std::move(d));
}

void Node::handle_kv(const KvUpdate& m, const std::string& via) {
    state_clock_ = std::max(state_clock_, m.version);
    KvEntry e{m.owner, m.key, m.version, m.deleted, m.value};
    if (!state_.apply(e)) return;
    events_.push_back(StateEvent{e.owner, e.key, e.version, value_digest(e.value), e.deleted, via});
    // A gossiped record spreads on; one repaired by anti-entropy does not: the exchange is
    // pairwise, and every member runs it (so its cost is what the counters say).
    if (!m.sync) {
        enqueue(kv_key(m.owner, m.key), m);
    }
}

void Node::sync_send_entry(const KvEntry& e) {
    ++counters_.sync_entries_sent;
    sync_out_.push_back(kv_message(e, true));
}

void Node::sync_differs(int level, std::uint64_t prefix, MerkleTree::Sum theirs) {
    const MerkleTree& t = state_.tree();
    MerkleTree::Sum mine = t.node(level, prefix);
    if (theirs.count == 0) {
        // The peer has nothing here: everything we hold under it differs.
        for (const auto& [pos, h] : t.entries(level, prefix))
            if (const KvEntry* e = state_.at(pos)) sync_send_entry(*e);
        return;
    }
    bool small = mine.count <= MerkleTree::kLeafEntries && theirs.count <= MerkleTree::kLeafEntries;
    if (mine.count == 0 || small || level == MerkleTree::kDepth) {
        SyncLeaf leaf{static_cast<std::uint8_t>(level), prefix, {}};
        for (const auto& [pos, h] : t.entries(level, prefix))
            if (const KvEntry* e = state_.at(pos)) leaf.entries.push_back({pos, e->version, h});
        sync_out_.push_back(std::move(leaf));
        return;
    }
    SyncChildren c{static_cast<std::uint8_t>(level), prefix, {}};
    auto kids = t.children(level, prefix);
    for (std::size_t i = 0; i < kids.size(); ++i) c.children[i] = {kids[i].hash, kids[i].count};
    sync_out_.push_back(c);
}

void Node::handle_sync(const Message& msg) {
    const MerkleTree& t = state_.tree();
    if (auto* r = std::get_if<SyncRoot>(&msg)) {
        ++counters_.sync_hashes;
        MerkleTree::Sum theirs{r->hash, r->count};
        if (!(t.root() == theirs)) sync_differs(0, 0, theirs);
    } else if (auto* c = std::get_if<SyncChildren>(&msg)) {
        auto mine = t.children(c->level, c->prefix);
        for (std::size_t i = 0; i < mine.size(); ++i) {
            ++counters_.sync_hashes;
            MerkleTree::Sum theirs = to_sum(c->children[i]);
            if (mine[i] == theirs) continue;
            sync_differs(c->level + 1, (c->prefix << MerkleTree::kFanoutBits) | i, theirs);
        }
    } else if (auto* l = std::get_if<SyncLeaf>(&msg)) {
        // Both listings are in position order: one merge pass.
        auto mine = t.entries(l->level, l->prefix);
        auto theirs = l->entries;
        std::sort(theirs.begin(), theirs.end(),
                  [](const SyncLeafEntry& a, const SyncLeafEntry& b) { return a.pos < b.pos; });
        SyncWant want;
        std::size_t i = 0, j = 0;
        while (i < mine.size() || j < theirs.size()) {
            if (j == theirs.size() || (i < mine.size() && mine[i].first < theirs[j].pos)) {
                if (const KvEntry* e = state_.at(mine[i].first)) sync_send_entry(*e);
                ++i;
            } else if (i == mine.size() || theirs[j].pos < mine[i].first) {
                want.positions.push_back(theirs[j].pos);
                ++j;
            } else {
                ++counters_.sync_hashes;
                if (mine[i].second != theirs[j].hash) {
                    const KvEntry* e = state_.at(mine[i].first);
                    std::uint64_t v = e ? e->version : 0;
                    // At equal versions only the full records can tell: both are sent, and
                    // each side keeps the winner.
                    if (e != nullptr && v >= theirs[j].version) sync_send_entry(*e);
                    if (v <= theirs[j].version) want.positions.push_back(theirs[j].pos);
                }
                ++i;
                ++j;
            }
        }
        if (!want.positions.empty()) sync_out_.push_back(std::move(want));
    } else if (auto* w = std::get_if<SyncWant>(&msg)) {
        for (auto pos : w->positions)
            if (const KvEntry* e = state_.at(pos)) sync_send_entry(*e);
    }
}

void Node::flush_sync(Addr to) {
    if (sync_out_.empty()) return;
    std::vector<Message> msgs = std::move(sync_out_);
    sync_out_.clear();
    PacketBuilder b(cfg_.id, cfg_.packet_budget);
    auto emit = [&] {
        if (b.count() == 0) return;
        auto bytes = b.finish();
        counters_.sync_bytes_sent += bytes.size();
        out_.push_back(Transmit{to, false, std::move(bytes)});
        b = PacketBuilder(cfg_.id, cfg_.packet_budget);
    };
    for (const auto& m : msgs) {
        auto enc = encode_message(m);
        if (!b.add(enc)) {
            emit();
            b.add(enc);  // a message that fits no packet at all is dropped (the next round retries)
        }
    }
    emit();
}

}  // namespace gossip
