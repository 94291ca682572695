// Binary encoding and defensive decoding of gossip packets (format in codec.hpp).
#include "gossip/codec.hpp"

#include <stdexcept>

namespace gossip {

namespace {

enum Type : std::uint8_t {
    kPing = 1,
    kPingReq = 2,
    kAck = 3,
    kNack = 4,
    kAlive = 5,
    kSuspect = 6,
    kDead = 7,
    kRumor = 8,
    kPullReq = 9,
    kPushPull = 10,
    kKv = 11,
    kSyncRoot = 12,
    kSyncChildren = 13,
    kSyncLeaf = 14,
    kSyncWant = 15,
    kHeartbeats = 16,
    kLastType = kHeartbeats,
};

struct Writer {
    std::vector<std::uint8_t> out;
    void u8(std::uint8_t v) { out.push_back(v); }
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out.push_back(static_cast<std::uint8_t>(v | 0x80));
            v >>= 7;
        }
        out.push_back(static_cast<std::uint8_t>(v));
    }
    void str(const std::string& s) {
        varint(s.size());
        out.insert(out.end(), s.begin(), s.end());
    }
    void u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void addr(const Addr& a) {
        for (int shift = 24; shift >= 0; shift -= 8) u8(static_cast<std::uint8_t>(a.ip >> shift));
        u8(static_cast<std::uint8_t>(a.port >> 8));
        u8(static_cast<std::uint8_t>(a.port));
    }
};

// Reads within [p, end); any overrun throws DecodeError, caught at the packet level, so a
// hostile length can never make us read out of bounds.
struct DecodeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Reader {
    const std::uint8_t* begin;
    const std::uint8_t* p;
    const std::uint8_t* end;
    std::size_t offset() const { return static_cast<std::size_t>(p - begin); }
    [[noreturn]] void fail(const std::string& what) const {
        throw DecodeError(what + " at byte " + std::to_string(offset()));
    }
    std::uint8_t u8() {
        if (p >= end) fail("truncated");
        return *p++;
    }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            std::uint8_t b = u8();
            v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        fail("varint too long");
    }
    std::uint32_t u32v() {
        std::uint64_t v = varint();
        if (v > 0xffffffffu) fail("sequence number too large");
        return static_cast<std::uint32_t>(v);
    }
    std::string str(std::size_t max) {
        std::uint64_t n = varint();
        if (n > max) fail("string longer than " + std::to_string(max));
        if (static_cast<std::uint64_t>(end - p) < n) fail("truncated string");
        std::string s(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
        p += n;
        return s;
    }
    std::string id() {
        std::string s = str(kMaxIdLen);
        if (s.empty()) fail("empty id");
        return s;
    }
    std::uint64_t u64() {
        if (end - p < 8) fail("truncated");
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
        p += 8;
        return v;
    }
    std::uint8_t level() {
        std::uint8_t l = u8();
        if (l > kMaxSyncLevel) fail("tree level " + std::to_string(l) + " too deep");
        return l;
    }
    std::uint64_t prefix(std::uint8_t level) {
        std::uint64_t v = varint();
        if (level < 16 && (v >> (4 * level)) != 0) fail("tree prefix too large for its level");
        return v;
    }
    Addr addr() {
        Addr a;
        for (int i = 0; i < 4; ++i) a.ip = (a.ip << 8) | u8();
        a.port = static_cast<std::uint16_t>(u8() << 8);
        a.port = static_cast<std::uint16_t>(a.port | u8());
        return a;
    }
};

void encode_body(Writer& w, const Message& m, std::uint8_t& type) {
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, Ping>) {
                type = kPing;
                w.varint(v.seq);
                w.str(v.target);
            } else if constexpr (std::is_same_v<T, PingReq>) {
                type = kPingReq;
                w.varint(v.seq);
                w.str(v.target);
                w.addr(v.target_addr);
                w.u8(v.want_nack ? 1 : 0);
            } else if constexpr (std::is_same_v<T, Ack>) {
                type = kAck;
                w.varint(v.seq);
            } else if constexpr (std::is_same_v<T, Nack>) {
                type = kNack;
                w.varint(v.seq);
            } else if constexpr (std::is_same_v<T, Alive>) {
                type = kAlive;
                w.str(v.id);
                w.varint(v.incarnation);
                w.addr(v.addr);
            } else if constexpr (std::is_same_v<T, Suspect>) {
                type = kSuspect;
                w.str(v.id);
                w.varint(v.incarnation);
                w.str(v.from);
            } else if constexpr (std::is_same_v<T, Dead>) {
                type = kDead;
                w.str(v.id);
                w.varint(v.incarnation);
                w.str(v.from);
            } else if constexpr (std::is_same_v<T, Rumor>) {
                type = kRumor;
                w.str(v.id);
                w.str(v.origin);
                w.str(v.payload);
            } else if constexpr (std::is_same_v<T, PullReq>) {
                type = kPullReq;
            } else if constexpr (std::is_same_v<T, PushPull>) {
                type = kPushPull;
                w.u8(v.join ? 1 : 0);
                w.u8(v.reply ? 1 : 0);
                w.varint(v.members.size());
                for (const auto& e : v.members) {
                    w.str(e.id);
                    w.varint(e.incarnation);
                    w.u8(static_cast<std::uint8_t>(e.state));
                    w.addr(e.addr);
                }
            } else if constexpr (std::is_same_v<T, KvUpdate>) {
                type = kKv;
                w.str(v.owner);
                w.str(v.key);
                w.varint(v.version);
                w.u8(v.deleted ? 1 : 0);
                w.str(v.value);
                w.u8(v.sync ? 1 : 0);
            } else if constexpr (std::is_same_v<T, SyncRoot>) {
                type = kSyncRoot;
                w.u64(v.hash);
                w.varint(v.count);
            } else if constexpr (std::is_same_v<T, SyncChildren>) {
                type = kSyncChildren;
                w.u8(v.level);
                w.varint(v.prefix);
                std::uint16_t mask = 0;
                for (std::size_t i = 0; i < v.children.size(); ++i)
                    if (v.children[i].count != 0)
                        mask = static_cast<std::uint16_t>(mask | (1u << i));
                w.u8(static_cast<std::uint8_t>(mask));
                w.u8(static_cast<std::uint8_t>(mask >> 8));
                for (const auto& c : v.children) {
                    if (c.count == 0) continue;
                    w.u64(c.hash);
                    w.varint(c.count);
                }
            } else if constexpr (std::is_same_v<T, SyncLeaf>) {
                type = kSyncLeaf;
                w.u8(v.level);
                w.varint(v.prefix);
                w.varint(v.entries.size());
                for (const auto& e : v.entries) {
                    w.u64(e.pos);
                    w.varint(e.version);
                    w.u64(e.hash);
                }
            } else if constexpr (std::is_same_v<T, SyncWant>) {
                type = kSyncWant;
                w.varint(v.positions.size());
                for (auto p : v.positions) w.u64(p);
            } else if constexpr (std::is_same_v<T, Heartbeats>) {
                type = kHeartbeats;
                w.varint(v.entries.size());
                for (const auto& e : v.entries) {
                    w.str(e.id);
                    w.varint(e.incarnation);
                    w.varint(e.heartbeat);
                    w.varint(e.age_ms);
                    w.addr(e.addr);
                }
            }
        },
        m);
}

Message decode_body(Reader& r, std::uint8_t type) {
    switch (type) {
        case kPing: {
            Ping m;
            m.seq = r.u32v();
            m.target = r.id();
            return m;
        }
        case kPingReq: {
            PingReq m;
            m.seq = r.u32v();
            m.target = r.id();
            m.target_addr = r.addr();
            m.want_nack = r.u8() != 0;
            return m;
        }
        case kAck:
            return Ack{r.u32v()};
        case kNack:
            return Nack{r.u32v()};
        case kAlive: {
            Alive m;
            m.id = r.id();
            m.incarnation = r.varint();
            m.addr = r.addr();
            return m;
        }
        case kSuspect: {
            Suspect m;
            m.id = r.id();
            m.incarnation = r.varint();
            m.from = r.id();
            return m;
        }
        case kDead: {
            Dead m;
            m.id = r.id();
            m.incarnation = r.varint();
            m.from = r.id();
            return m;
        }
        case kRumor: {
            Rumor m;
            m.id = r.str(kMaxIdLen);
            if (m.id.empty()) r.fail("empty rumor id");
            m.origin = r.id();
            m.payload = r.str(kMaxPayloadLen);
            return m;
        }
        case kPullReq:
            return PullReq{};
        case kPushPull: {
            PushPull m;
            m.join = r.u8() != 0;
            m.reply = r.u8() != 0;
            std::uint64_t n = r.varint();
            // Each entry takes at least 10 bytes: a count beyond that is a lie.
            if (n > static_cast<std::uint64_t>(r.end - r.p) / 10) r.fail("member count too large");
            m.members.reserve(static_cast<std::size_t>(n));
            for (std::uint64_t i = 0; i < n; ++i) {
                StateEntry e;
                e.id = r.id();
                e.incarnation = r.varint();
                std::uint8_t s = r.u8();
                if (s > 3) r.fail("unknown member state " + std::to_string(s));
                e.state = static_cast<MemberState>(s);
                e.addr = r.addr();
                m.members.push_back(std::move(e));
            }
            return m;
        }
        case kKv: {
            KvUpdate m;
            m.owner = r.id();
            m.key = r.str(kMaxKeyLen);
            if (m.key.empty()) r.fail("empty key");
            m.version = r.varint();
            m.deleted = r.u8() != 0;
            m.value = r.str(kMaxValueLen);
            m.sync = r.u8() != 0;
            return m;
        }
        case kSyncRoot: {
            SyncRoot m;
            m.hash = r.u64();
            m.count = r.varint();
            return m;
        }
        case kSyncChildren: {
            SyncChildren m;
            m.level = r.level();
            if (m.level >= kMaxSyncLevel) r.fail("leaf level has no children");
            m.prefix = r.prefix(m.level);
            std::uint16_t mask = r.u8();
            mask = static_cast<std::uint16_t>(mask | (r.u8() << 8));
            for (std::size_t i = 0; i < m.children.size(); ++i) {
                if (!(mask & (1u << i))) continue;
                m.children[i].hash = r.u64();
                m.children[i].count = r.varint();
                if (m.children[i].count == 0) r.fail("empty child listed");
            }
            return m;
        }
        case kSyncLeaf: {
            SyncLeaf m;
            m.level = r.level();
            m.prefix = r.prefix(m.level);
            std::uint64_t n = r.varint();
            // Each entry takes at least 17 bytes.
            if (n > static_cast<std::uint64_t>(r.end - r.p) / 17) r.fail("entry count too large");
            for (std::uint64_t i = 0; i < n; ++i) {
                SyncLeafEntry e;
                e.pos = r.u64();
                e.version = r.varint();
                e.hash = r.u64();
                m.entries.push_back(e);
            }
            return m;
        }
        case kSyncWant: {
            SyncWant m;
            std::uint64_t n = r.varint();
            if (n > static_cast<std::uint64_t>(r.end - r.p) / 8) r.fail("position count too large");
            for (std::uint64_t i = 0; i < n; ++i) m.positions.push_back(r.u64());
            return m;
        }
        case kHeartbeats: {
            Heartbeats m;
            std::uint64_t n = r.varint();
            // Each entry takes at least 11 bytes (a 1-byte id, three 1-byte varints, the addr).
            if (n > static_cast<std::uint64_t>(r.end - r.p) / 11) r.fail("entry count too large");
            m.entries.reserve(static_cast<std::size_t>(n));
            for (std::uint64_t i = 0; i < n; ++i) {
                HeartbeatEntry e;
                e.id = r.id();
                e.incarnation = r.varint();
                e.heartbeat = r.varint();
                e.age_ms = r.varint();
                e.addr = r.addr();
                m.entries.push_back(std::move(e));
            }
            return m;
        }
        default:
            r.fail("unknown message type");
    }
}

std::size_t varint_size(std::uint64_t v) {
    std::size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        ++n;
    }
    return n;
}

}  // namespace

std::size_t encoded_size(const HeartbeatEntry& e) {
    return varint_size(e.id.size()) + e.id.size() + varint_size(e.incarnation) +
           varint_size(e.heartbeat) + varint_size(e.age_ms) + 6;
}

std::vector<std::uint8_t> encode_message(const Message& m) {
    Writer body;
    std::uint8_t type = 0;
    encode_body(body, m, type);
    Writer w;
    w.u8(type);
    w.varint(body.out.size());
    w.out.insert(w.out.end(), body.out.begin(), body.out.end());
    return std::move(w.out);
}

PacketBuilder::PacketBuilder(const std::string& sender, std::size_t budget) : budget_(budget) {
    Writer w;
    w.u8(kMagic);
    w.u8(kWireVersion);
    w.str(sender);
    head_ = std::move(w.out);
    used_ = head_.size() + 3;  // the count varint, at most 3 bytes for < 2^21 messages
}

bool PacketBuilder::add(const std::vector<std::uint8_t>& msg) {
    if (!fits(msg.size())) return false;
    body_.insert(body_.end(), msg.begin(), msg.end());
    used_ += msg.size();
    ++count_;
    return true;
}

std::vector<std::uint8_t> PacketBuilder::finish() const {
    Writer w;
    w.out = head_;
    w.varint(count_);
    w.out.insert(w.out.end(), body_.begin(), body_.end());
    return std::move(w.out);
}

std::vector<std::uint8_t> encode_packet(const Packet& p) {
    PacketBuilder b(p.sender, static_cast<std::size_t>(-1) / 2);
    for (const auto& m : p.messages) b.add(encode_message(m));
    return b.finish();
}

Decoded decode_packet(std::span<const std::uint8_t> bytes, std::size_t max_size) {
    Decoded d;
    if (bytes.size() > max_size) {
        d.error =
            "oversized: " + std::to_string(bytes.size()) + " bytes > " + std::to_string(max_size);
        return d;
    }
    Reader r{bytes.data(), bytes.data(), bytes.data() + bytes.size()};
    try {
        if (r.u8() != kMagic) r.fail("bad magic");
        if (r.u8() != kWireVersion) r.fail("unsupported version");
        d.packet.sender = r.id();
        std::uint64_t count = r.varint();
        // Each message takes at least 2 bytes (type, length).
        if (count > static_cast<std::uint64_t>(r.end - r.p) / 2) r.fail("message count too large");
        for (std::uint64_t i = 0; i < count; ++i) {
            std::uint8_t type = r.u8();
            std::uint64_t len = r.varint();
            if (static_cast<std::uint64_t>(r.end - r.p) < len) r.fail("truncated message");
            Reader body{r.begin, r.p, r.p + len};
            r.p += len;
            if (type < kPing || type > kLastType) {
                ++d.unknown_messages;  // a newer peer's message: skip it, keep the rest
                continue;
            }
            d.packet.messages.push_back(decode_body(body, type));
            if (body.p != body.end) body.fail("trailing bytes in message");
        }
        if (r.p != r.end) r.fail("trailing bytes after messages");
        d.ok = true;
    } catch (const DecodeError& e) {
        d.ok = false;
        d.packet = {};
        d.error = e.what();
    }
    return d;
}

}  // namespace gossip
