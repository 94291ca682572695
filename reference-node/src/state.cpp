// Application state records, their order and hashes, and the store (state.hpp).
#include "gossip/state.hpp"

#include <tuple>

namespace gossip {

std::uint64_t hash64(std::string_view bytes, std::uint64_t seed) {
    std::uint64_t h = 1469598103934665603ULL ^ seed;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    h += 0x9e3779b97f4a7c15ULL;
    h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
    h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

std::string hex64(std::uint64_t v) {
    static const char* kDigits = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i) {
        s[static_cast<std::size_t>(i)] = kDigits[v & 0xf];
        v >>= 4;
    }
    return s;
}

std::string value_digest(const std::string& value) {
    return hex64(hash64(value));
}

bool newer(const KvEntry& a, const KvEntry& b) {
    auto da = value_digest(a.value), db = value_digest(b.value);
    return std::tie(a.version, a.owner, da, a.deleted) >
           std::tie(b.version, b.owner, db, b.deleted);
}

std::uint64_t entry_position(const std::string& owner, const std::string& key) {
    std::string s = owner;
    s.push_back('\0');
    s += key;
    return hash64(s);
}

std::uint64_t entry_hash(const KvEntry& e) {
    std::string s = e.owner;
    s.push_back('\0');
    s += e.key;
    s.push_back('\0');
    for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(e.version >> (8 * i)));
    s.push_back(e.deleted ? 1 : 0);
    s += e.value;
    return hash64(s, 0x5eed);
}

bool StateStore::apply(const KvEntry& e) {
    auto [it, inserted] = entries_.try_emplace(std::make_pair(e.owner, e.key), e);
    OwnerDigest& od = owners_[e.owner];
    od.owner = e.owner;
    std::uint64_t pos = entry_position(e.owner, e.key);
    if (inserted) {
        ++od.entries;
    } else {
        if (!newer(e, it->second)) return false;
        od.hash ^= entry_hash(it->second);
        it->second = e;
    }
    std::uint64_t h = entry_hash(e);
    od.hash ^= h;
    by_pos_[pos] = &it->second;
    tree_.put(pos, h);
    return true;
}

const KvEntry* StateStore::find(const std::string& owner, const std::string& key) const {
    auto it = entries_.find({owner, key});
    return it == entries_.end() ? nullptr : &it->second;
}

const KvEntry* StateStore::at(std::uint64_t pos) const {
    auto it = by_pos_.find(pos);
    return it == by_pos_.end() ? nullptr : it->second;
}

std::vector<OwnerDigest> StateStore::digest() const {
    std::vector<OwnerDigest> out;
    for (const auto& [owner, d] : owners_) out.push_back(d);
    return out;
}

}  // namespace gossip
