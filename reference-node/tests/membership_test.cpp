// Unit tests of SWIM's precedence rules and the membership table.
#include <catch2/catch.hpp>

#include "gossip/membership.hpp"

using namespace gossip;
using S = MemberState;

TEST_CASE("every precedence case of SWIM (with left)", "[membership]") {
    struct Case {
        S update;
        std::uint64_t i;
        S current;
        std::uint64_t j;
        bool wins;
    };
    // alive(i) overrides anything iff i > j
    // suspect(i) overrides alive(j) iff i >= j, suspect(j) iff i > j, never dead/left
    // dead(i)/left(i) override alive/suspect(j) iff i >= j, dead/left(j) iff i > j
    std::vector<Case> cases = {
        {S::alive, 4, S::alive, 3, true},      {S::alive, 3, S::alive, 3, false},
        {S::alive, 2, S::alive, 3, false},     {S::alive, 4, S::suspect, 3, true},
        {S::alive, 3, S::suspect, 3, false},   {S::alive, 2, S::suspect, 3, false},
        {S::alive, 4, S::dead, 3, true},       {S::alive, 3, S::dead, 3, false},
        {S::alive, 4, S::left, 3, true},       {S::alive, 3, S::left, 3, false},
        {S::suspect, 3, S::alive, 3, true},    {S::suspect, 4, S::alive, 3, true},
        {S::suspect, 2, S::alive, 3, false},   {S::suspect, 4, S::suspect, 3, true},
        {S::suspect, 3, S::suspect, 3, false}, {S::suspect, 2, S::suspect, 3, false},
        {S::suspect, 9, S::dead, 3, false},    {S::suspect, 9, S::left, 3, false},
        {S::dead, 3, S::alive, 3, true},       {S::dead, 4, S::alive, 3, true},
        {S::dead, 2, S::alive, 3, false},      {S::dead, 3, S::suspect, 3, true},
        {S::dead, 2, S::suspect, 3, false},    {S::dead, 3, S::dead, 3, false},
        {S::dead, 4, S::dead, 3, true},        {S::dead, 3, S::left, 3, false},
        {S::left, 3, S::alive, 3, true},       {S::left, 3, S::suspect, 3, true},
        {S::left, 2, S::suspect, 3, false},    {S::left, 3, S::dead, 3, false},
        {S::left, 4, S::dead, 3, true},        {S::left, 3, S::left, 3, false},
    };
    for (const auto& c : cases) {
        INFO(to_string(c.update) << "(" << c.i << ") over " << to_string(c.current) << "(" << c.j
                                 << ")");
        CHECK(supersedes(c.update, c.i, c.current, c.j) == c.wins);
        // The table applies exactly the same rule: walk an entry to (current, j), then update.
        Membership m;
        Addr a{1, 1};
        REQUIRE(m.apply("x", S::alive, c.j, &a, Time(0)));
        if (c.current != S::alive) REQUIRE(m.apply("x", c.current, c.j, nullptr, Time(0)));
        bool changed = m.apply("x", c.update, c.i, &a, Time(1));
        CHECK(changed == c.wins);
        CHECK(m.find("x")->state == (c.wins ? c.update : c.current));
        CHECK(m.find("x")->incarnation == (c.wins ? c.i : c.j));
    }
}

TEST_CASE("unknown members appear only through alive", "[membership]") {
    Membership m;
    Addr a{1, 2};
    CHECK_FALSE(m.apply("x", S::suspect, 1, nullptr, Time(0)));
    CHECK_FALSE(m.apply("x", S::dead, 1, nullptr, Time(0)));
    CHECK_FALSE(m.apply("x", S::left, 1, nullptr, Time(0)));
    CHECK(m.size() == 0);
    CHECK(m.apply("x", S::alive, 1, &a, Time(0)));
    CHECK(m.find("x")->addr == a);
    CHECK(m.live_count() == 1);
    CHECK(m.apply("x", S::dead, 1, nullptr, Time(5)));
    CHECK(m.find("x")->state_since == Time(5));
    CHECK(m.live_count() == 0);
    CHECK(m.size() == 1);  // the dead are remembered
    Addr b{3, 4};
    CHECK(m.apply("x", S::alive, 2, &b, Time(6)));  // a restart from elsewhere
    CHECK(m.find("x")->addr == b);
}
