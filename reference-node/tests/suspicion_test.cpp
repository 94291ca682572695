// Unit tests of Lifeguard's suspicion timeout and awareness score.
#include <catch2/catch.hpp>
#include <cmath>

#include "gossip/awareness.hpp"
#include "gossip/suspicion.hpp"

using namespace gossip;
using namespace std::chrono_literals;

TEST_CASE("the suspicion timeout starts at max and falls to min with k confirmations",
          "[suspicion]") {
    Duration min = 400ms, max = 2400ms;
    int k = 2;
    Suspicion s(Time(10s), min, max, k, "a");
    CHECK(s.deadline() == Time(10s) + max);
    CHECK_FALSE(s.confirm("a"));  // the accuser does not confirm itself
    CHECK(s.confirmations() == 0);
    CHECK(s.confirm("b"));
    CHECK_FALSE(s.confirm("b"));  // nor does anyone twice
    // max - (max-min) * ln(2)/ln(3), computed here independently of the implementation
    double expect = 2.4 - 2.0 * std::log(2.0) / std::log(3.0);
    CHECK(std::abs(seconds(s.deadline() - Time(10s)) - expect) < 2e-6);
    CHECK(s.confirm("c"));
    CHECK(s.deadline() == Time(10s) + min);
    CHECK_FALSE(s.confirm("d"));  // past k nothing changes
    CHECK(s.deadline() == Time(10s) + min);
}

TEST_CASE("the timeout formula at its corners", "[suspicion]") {
    CHECK(Suspicion::timeout(1s, 6s, 0, 0) == 1s);  // k < 1: min at once
    CHECK(Suspicion::timeout(1s, 6s, 3, 0) == 6s);
    CHECK(Suspicion::timeout(1s, 6s, 3, 3) == 1s);
    CHECK(Suspicion::timeout(1s, 6s, 3, 7) == 1s);  // never below min
    auto t = Suspicion::timeout(1s, 6s, 3, 1);
    CHECK(std::abs(seconds(t) - (6.0 - 5.0 * std::log(2.0) / std::log(4.0))) < 2e-6);
}

TEST_CASE("awareness is clamped and scales durations by score+1", "[awareness]") {
    Awareness a(8);
    CHECK(a.scale(100ms) == 100ms);
    a.apply_delta(3);
    CHECK(a.score() == 3);
    CHECK(a.scale(100ms) == 400ms);
    a.apply_delta(100);
    CHECK(a.score() == 7);
    a.apply_delta(-100);
    CHECK(a.score() == 0);
}
