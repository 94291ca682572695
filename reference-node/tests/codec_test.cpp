// Unit tests of the wire codec: round trips, budgets and hostile input.
#include <catch2/catch.hpp>
#include <random>

#include "gossip/codec.hpp"

using namespace gossip;

TEST_CASE("every message type survives a round trip", "[codec]") {
    Packet p;
    p.sender = "node-1";
    p.messages = {Ping{7, "n2"},
                  PingReq{8, "n3", Addr{0x0a000003, 7946}, true},
                  Ack{9},
                  Nack{10},
                  Alive{"n4", 1795360850475ull, Addr{0xc6120002, 1}},
                  Suspect{"n5", 3, "n6"},
                  Dead{"n7", 4, "n7"},
                  Rumor{"r1", "n1", std::string("hello\0world", 11)},
                  PullReq{},
                  PushPull{true,
                           false,
                           {{"a", 1, MemberState::suspect, Addr{1, 2}},
                            {"b", 2, MemberState::left, Addr{3, 4}}}}};
    auto bytes = encode_packet(p);
    Decoded d = decode_packet(bytes, 1 << 20);
    REQUIRE(d.ok);
    REQUIRE(d.packet.sender == "node-1");
    REQUIRE(d.packet.messages.size() == p.messages.size());
    CHECK(std::get<Ping>(d.packet.messages[0]).target == "n2");
    auto pr = std::get<PingReq>(d.packet.messages[1]);
    CHECK(pr.seq == 8);
    CHECK(pr.target_addr == Addr{0x0a000003, 7946});
    CHECK(pr.want_nack);
    CHECK(std::get<Ack>(d.packet.messages[2]).seq == 9);
    CHECK(std::get<Nack>(d.packet.messages[3]).seq == 10);
    CHECK(std::get<Alive>(d.packet.messages[4]).incarnation == 1795360850475ull);
    CHECK(std::get<Alive>(d.packet.messages[4]).addr == Addr{0xc6120002, 1});
    CHECK(std::get<Suspect>(d.packet.messages[5]).from == "n6");
    CHECK(std::get<Dead>(d.packet.messages[6]).left());
    CHECK(std::get<Rumor>(d.packet.messages[7]).payload == std::string("hello\0world", 11));
    auto pp = std::get<PushPull>(d.packet.messages[9]);
    CHECK(pp.join);
    REQUIRE(pp.members.size() == 2);
    CHECK(pp.members[1].state == MemberState::left);
    CHECK(pp.members[1].addr == Addr{3, 4});
}

TEST_CASE("every truncation of a valid packet is rejected", "[codec]") {
    auto bytes = encode_packet(
        Packet{"n1", {Ping{1, "n2"}, Alive{"n3", 5, Addr{1, 2}}, Rumor{"r", "n1", "x"}}});
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        Decoded d = decode_packet(std::span(bytes.data(), n), 1400);
        INFO("prefix of " << n << " bytes");
        CHECK_FALSE(d.ok);
        CHECK_FALSE(d.error.empty());
    }
    CHECK(decode_packet(bytes, 1400).ok);
}

TEST_CASE("oversized, bad magic, bad version and trailing bytes are rejected", "[codec]") {
    auto bytes = encode_packet(Packet{"n1", {Ack{1}}});
    CHECK_FALSE(decode_packet(bytes, bytes.size() - 1).ok);
    CHECK(decode_packet(bytes, bytes.size() - 1).error.find("oversized") != std::string::npos);
    auto bad = bytes;
    bad[0] ^= 0xff;
    CHECK(decode_packet(bad, 1400).error.find("magic") != std::string::npos);
    bad = bytes;
    bad[1] = 99;
    CHECK(decode_packet(bad, 1400).error.find("version") != std::string::npos);
    bad = bytes;
    bad.push_back(0);
    CHECK_FALSE(decode_packet(bad, 1400).ok);
}

TEST_CASE("unknown message types are skipped, the rest is kept", "[codec]") {
    PacketBuilder b("n1", 1400);
    b.add({200, 3, 1, 2, 3});  // type 200, 3 bytes of body
    b.add(encode_message(Ack{42}));
    Decoded d = decode_packet(b.finish(), 1400);
    REQUIRE(d.ok);
    CHECK(d.unknown_messages == 1);
    REQUIRE(d.packet.messages.size() == 1);
    CHECK(std::get<Ack>(d.packet.messages[0]).seq == 42);
}

TEST_CASE("hostile lengths and counts never overrun", "[codec]") {
    // A count claiming a billion members in a push-pull of a few bytes.
    std::vector<std::uint8_t> pp = {kMagic, kWireVersion, 1,    'x',  1,    10,  7, 0,
                                    0,      0x80,         0x80, 0x80, 0x80, 0x04};
    CHECK_FALSE(decode_packet(pp, 1400).ok);
    // A string length past the end.
    std::vector<std::uint8_t> s = {kMagic, kWireVersion, 0x7f, 'x'};
    CHECK_FALSE(decode_packet(s, 1400).ok);
    // An empty sender id.
    std::vector<std::uint8_t> e = {kMagic, kWireVersion, 0, 0};
    CHECK_FALSE(decode_packet(e, 1400).ok);
    std::mt19937 rng(1);
    for (int i = 0; i < 20000; ++i) {
        std::vector<std::uint8_t> buf(rng() % 64);
        for (auto& c : buf) c = static_cast<std::uint8_t>(rng());
        if (!buf.empty()) buf[0] = kMagic;
        if (buf.size() > 1) buf[1] = kWireVersion;
        (void)decode_packet(buf, 1400);  // must neither crash nor hang
    }
    // Mutations of a valid packet.
    auto good =
        encode_packet(Packet{"n1", {PingReq{1, "n2", Addr{1, 2}, true}, Suspect{"n3", 9, "n1"}}});
    for (int i = 0; i < 20000; ++i) {
        auto m = good;
        m[rng() % m.size()] = static_cast<std::uint8_t>(rng());
        (void)decode_packet(m, 1400);
    }
}

TEST_CASE("the packet builder never exceeds its budget", "[codec]") {
    PacketBuilder b("a-rather-long-sender-name", 1400);
    std::size_t added = 0;
    for (int i = 0; i < 500; ++i) {
        if (b.add(
                encode_message(Rumor{"r" + std::to_string(i), "origin", std::string(i % 97, 'p')})))
            ++added;
    }
    auto bytes = b.finish();
    CHECK(bytes.size() <= 1400);
    CHECK(added == b.count());
    CHECK(added > 10);
    CHECK(decode_packet(bytes, 1400).packet.messages.size() == added);
}
