// The hostile-input corpus (gossip/malformed.hpp), built from the codec's own encodings, then
// broken one rule at a time.
#include "gossip/malformed.hpp"

#include <cstdio>

#include "gossip/codec.hpp"

namespace gossip {

namespace {

using Bytes = std::vector<std::uint8_t>;

void varint(Bytes& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(v | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(v));
}

void str(Bytes& out, const std::string& s) {
    varint(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

// magic, version, sender, message count.
Bytes header(const std::string& sender, std::uint64_t count) {
    Bytes b{kMagic, kWireVersion};
    str(b, sender);
    varint(b, count);
    return b;
}

// One message: type, length, body (the length as given, which may lie).
void message(Bytes& out, std::uint8_t type, const Bytes& body, std::uint64_t len) {
    out.push_back(type);
    varint(out, len);
    out.insert(out.end(), body.begin(), body.end());
}
void message(Bytes& out, std::uint8_t type, const Bytes& body) {
    message(out, type, body, body.size());
}

// The wire's message types (codec.cpp).
constexpr std::uint8_t kPingType = 1, kNackType = 4, kPushPullType = 10, kSyncRootType = 12,
                       kSyncChildrenType = 13, kSyncLeafType = 14;

// A Nack's body for a sequence number no probe uses (so an accepted one changes nothing).
Bytes nack_body() {
    Bytes b;
    varint(b, 0xffffffffu);
    return b;
}

}  // namespace

std::vector<CorpusDatagram> malformed_corpus(const std::string& sender) {
    std::vector<CorpusDatagram> out;
    auto refuse = [&](std::string name, Bytes b) {
        out.push_back({std::move(name), true, std::move(b)});
    };
    auto accept = [&](std::string name, Bytes b) {
        out.push_back({std::move(name), false, std::move(b)});
    };

    // Truncations: the packet ends where a field should be.
    refuse("ends before its message count", [&] {
        Bytes b{kMagic, kWireVersion};
        str(b, sender);
        return b;
    }());
    {
        Bytes b = header(sender, 1);
        Bytes body(7, 0xab);  // SyncRoot: an 8-byte hash, 7 bytes here, the packet's last
        message(b, kSyncRootType, body);
        refuse("8-byte field with 7 bytes left", b);
    }
    {
        Bytes b = header(sender, 1);
        Bytes body;
        varint(body, 7);   // a ping's sequence number
        varint(body, 40);  // its target id: 40 bytes, which the message length claims too
        message(b, kPingType, body, body.size() + 40);  // but the packet ends here
        refuse("message length beyond the packet", b);
    }
    // Lengths, counts and values out of range.
    {
        Bytes b = header(sender, 1);
        Bytes body;
        varint(body, 7);
        str(body, std::string(kMaxIdLen + 1, 'x'));  // a ping's target id, one byte too long
        message(b, kPingType, body);
        refuse("id longer than the limit", b);
    }
    {
        Bytes b = header(sender, 1);
        Bytes body{0, 0};          // join, reply
        varint(body, 1ull << 40);  // members claimed, with none following
        message(b, kPushPullType, body);
        refuse("member count beyond the packet", b);
    }
    {
        Bytes b = header(sender, 1);
        Bytes body{0, 0};
        varint(body, 1);
        str(body, "x1");
        varint(body, 1);                                // incarnation
        body.push_back(4);                              // state: 0..3 exist
        for (int i = 0; i < 6; ++i) body.push_back(0);  // address
        message(b, kPushPullType, body);
        refuse("member state 4", b);
    }
    {
        Bytes b = header(sender, 1);
        Bytes body{kMaxSyncLevel};  // the leaf level: no children below it
        varint(body, 0);
        body.push_back(0);
        body.push_back(0);
        message(b, kSyncChildrenType, body);
        refuse("tree children at the leaf level", b);
    }
    {
        Bytes b = header(sender, 1);
        Bytes body{1};  // level 1: a prefix of one hex digit
        varint(body, 0x10);
        varint(body, 0);  // no entries
        message(b, kSyncLeafType, body);
        refuse("tree prefix too large for its level", b);
    }
    {
        Bytes b = header(sender, 1);
        message(b, kNackType, nack_body());
        b.push_back(0);
        refuse("a byte after the last message", b);
    }
    {
        Bytes b = header(sender, 1);
        Bytes body;
        for (int i = 0; i < 10; ++i) body.push_back(0x80);
        body.push_back(0);  // 11 groups: past 64 bits
        message(b, kNackType, body);
        refuse("varint of 11 bytes", b);
    }
    // Unusual but well-formed: the node must take them.
    {
        Bytes b = header(sender, 1);
        // 0xffffffff in ten groups (LEB128 allows padding): the longest a 64-bit varint gets.
        Bytes body{0xff, 0xff, 0xff, 0xff, 0x8f, 0x80, 0x80, 0x80, 0x80, 0x00};
        message(b, kNackType, body);
        accept("varint padded to 10 bytes", b);
    }
    {
        Bytes b = header(sender, 2);
        message(b, 200, Bytes{1, 2, 3});  // a newer peer's type: skipped
        message(b, kNackType, nack_body());
        accept("message of an unknown type", b);
    }
    return out;
}

nlohmann::json corpus_to_json(const std::vector<CorpusDatagram>& corpus) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : corpus) {
        std::string hex;
        char h[3];
        for (std::uint8_t c : d.bytes) {
            std::snprintf(h, sizeof h, "%02x", c);
            hex += h;
        }
        out.push_back({{"name", d.name}, {"expect", d.refuse ? "refuse" : "accept"}, {"hex", hex}});
    }
    return out;
}

}  // namespace gossip
