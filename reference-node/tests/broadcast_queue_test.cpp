// Unit tests of the retransmission queue: order, limits, replacement and budget.
#include <catch2/catch.hpp>

#include "gossip/broadcast_queue.hpp"

using namespace gossip;

namespace {
std::vector<std::uint8_t> msg(std::uint8_t tag, std::size_t size) {
    return std::vector<std::uint8_t>(size, tag);
}
}  // namespace

TEST_CASE("each message is sent exactly `limit` times, fewest-sent first", "[queue]") {
    BroadcastQueue q;
    q.push("a", msg(1, 10));
    auto first = q.take(10, 3);  // room for one: a
    REQUIRE(first.size() == 1);
    q.push("b", msg(2, 10));
    auto second = q.take(10, 3);  // b has 0 sends, a has 1: b goes first
    REQUIRE(second.size() == 1);
    CHECK(second[0][0] == 2);
    std::map<std::uint8_t, int> sends{{1, 1}, {2, 1}};
    for (int i = 0; i < 10; ++i) {
        for (auto& m : q.take(100, 3)) ++sends[m[0]];
    }
    CHECK(sends[1] == 3);
    CHECK(sends[2] == 3);
    CHECK(q.empty());
}

TEST_CASE("a newer update for the same key replaces the old one and restarts its count",
          "[queue]") {
    BroadcastQueue q;
    q.push("m:x", msg(1, 5));
    q.take(100, 4);
    CHECK(q.transmits("m:x") == 1);
    q.push("m:x", msg(2, 5));
    CHECK(q.size() == 1);
    CHECK(q.transmits("m:x") == 0);
    auto out = q.take(100, 4);
    REQUIRE(out.size() == 1);
    CHECK(out[0][0] == 2);
}

TEST_CASE("take never exceeds its room but uses smaller messages that fit", "[queue]") {
    BroadcastQueue q;
    q.push("big", msg(1, 90));
    q.push("small", msg(2, 20));
    q.push("mid", msg(3, 50));
    auto out = q.take(75, 10);
    std::size_t total = 0;
    for (auto& m : out) total += m.size();
    CHECK(total <= 75);
    CHECK(out.size() == 2);  // mid (newest first) then small; big does not fit
    CHECK(q.transmits("big") == 0);
}
