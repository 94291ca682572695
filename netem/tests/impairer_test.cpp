// Unit: the nfqueue engine's decisions (seeded randomness, virtual time), no packets involved.
#include "impairer.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace gossiplab::netem;

namespace {

std::shared_ptr<Table> one_link(const LinkShape& s) {
    auto t = std::make_shared<Table>(2);
    t->shape[t->at(0, 1)] = s;
    return t;
}

double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
}

double sd(const std::vector<double>& v) {
    const double m = mean(v);
    double s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / static_cast<double>(v.size()));
}

}  // namespace

TEST_CASE("loss drops the configured fraction, only on its link", "[unit]") {
    Impairer imp(42);
    imp.set_table(one_link(LinkShape{.loss = 0.3}));
    int dropped = 0, reverse_dropped = 0;
    for (int i = 0; i < 100000; ++i) {
        dropped += imp.decide(i, 0, 1, 100).drop;
        reverse_dropped += imp.decide(i, 1, 0, 100).drop;
    }
    CHECK(std::abs(dropped / 100000.0 - 0.3) < 0.01);
    CHECK(reverse_dropped == 0);
}

TEST_CASE("loss correlation makes losses come in bursts", "[unit]") {
    auto runs = [](double rho) {
        Impairer imp(7);
        imp.set_table(one_link(LinkShape{.loss = 0.3, .loss_correlation = rho}));
        int changes = 0;
        bool last = false;
        for (int i = 0; i < 50000; ++i) {
            bool d = imp.decide(i, 0, 1, 100).drop;
            changes += d != last;
            last = d;
        }
        return changes;
    };
    CHECK(runs(0.9) < runs(0.0) / 2);  // fewer switches between lost and delivered
}

TEST_CASE("delay distributions have the configured centre and spread", "[unit]") {
    for (const char* dist : {"normal", "uniform", "pareto"}) {
        Impairer imp(1);
        LinkShape s{.delay_ms = 100, .jitter_ms = 20, .distribution = dist};
        std::vector<double> v;
        for (int i = 0; i < 20000; ++i) v.push_back(imp.sample_delay_ms(s));
        INFO(dist << " mean " << mean(v) << " sd " << sd(v));
        CHECK(std::abs(mean(v) - 100) < 1.0);
        if (std::string(dist) == "uniform") {
            CHECK(std::abs(sd(v) - 20 / std::sqrt(3.0)) < 0.5);  // half-width 20
        } else {
            CHECK(std::abs(sd(v) - 20) < 2.0);
        }
    }
    Impairer imp(1);
    for (int i = 0; i < 1000; ++i)
        CHECK(imp.sample_delay_ms(LinkShape{.delay_ms = 1, .jitter_ms = 50}) >= 0);
}

TEST_CASE("delay sets the release time from the arrival time", "[unit]") {
    Impairer imp(1);
    imp.set_table(one_link(LinkShape{.delay_ms = 50}));
    auto f = imp.decide(1'000'000'000, 0, 1, 100);
    CHECK_FALSE(f.drop);
    CHECK(f.release_ns == 1'050'000'000);
    CHECK(imp.decide(5, 1, 0, 100).release_ns == 5);  // unshaped: at once
}

TEST_CASE("reorder lets the configured fraction skip the delay", "[unit]") {
    Impairer imp(3);
    imp.set_table(one_link(LinkShape{.delay_ms = 10, .reorder = 0.25}));
    int skipped = 0;
    for (int i = 0; i < 40000; ++i) skipped += imp.decide(i, 0, 1, 100).release_ns == i;
    CHECK(std::abs(skipped / 40000.0 - 0.25) < 0.01);
}

TEST_CASE("duplicate and corrupt mark the configured fractions", "[unit]") {
    Impairer imp(5);
    imp.set_table(one_link(LinkShape{.duplicate = 0.2, .corrupt = 0.05}));
    int dup = 0, bad = 0;
    for (int i = 0; i < 40000; ++i) {
        auto f = imp.decide(i, 0, 1, 100);
        dup += f.duplicate;
        bad += f.corrupt;
    }
    CHECK(std::abs(dup / 40000.0 - 0.2) < 0.01);
    CHECK(std::abs(bad / 40000.0 - 0.05) < 0.005);
}

TEST_CASE("rate serialises packets behind each other", "[unit]") {
    Impairer imp(1);
    imp.set_table(one_link(LinkShape{.rate_kbit = 8000}));  // 1 byte per microsecond
    CHECK(imp.decide(0, 0, 1, 1000).release_ns == 1'000'000);
    CHECK(imp.decide(0, 0, 1, 1000).release_ns == 2'000'000);           // queued behind the first
    CHECK(imp.decide(10'000'000, 0, 1, 500).release_ns == 10'500'000);  // link idle again
}

TEST_CASE("the grudge drops before any shape applies, and tables swap live", "[unit]") {
    Impairer imp(1);
    auto t = std::make_shared<Table>(3);
    t->drop[t->at(0, 2)] = 1;  // node 2 drops packets from node 0
    imp.set_table(t);
    auto f = imp.decide(0, 0, 2, 100);
    CHECK(f.drop);
    CHECK(f.partitioned);
    CHECK_FALSE(imp.decide(0, 2, 0, 100).drop);  // one way only
    imp.set_table(std::make_shared<Table>(3));   // heal
    CHECK_FALSE(imp.decide(0, 0, 2, 100).drop);
    CHECK_FALSE(imp.decide(0, -1, 2, 100).drop);  // packets from outside the lab pass
}

// -- reproducible fates: the run seed, one stream per directed link ---------------------------

namespace {

// Every shaping knob that draws, on links 0 -> 1 and 2 -> 1 of a 3-node table.
std::shared_ptr<Table> drawing_links() {
    auto t = std::make_shared<Table>(3);
    const LinkShape s{.delay_ms = 20,
                      .jitter_ms = 10,
                      .loss = 0.2,
                      .duplicate = 0.1,
                      .reorder = 0.1,
                      .corrupt = 0.05};
    t->shape[t->at(0, 1)] = s;
    t->shape[t->at(2, 1)] = s;
    return t;
}

struct Trace {
    std::vector<Fate> fates;
    bool operator==(const Trace& o) const {
        if (fates.size() != o.fates.size()) return false;
        for (size_t i = 0; i < fates.size(); ++i) {
            const Fate &a = fates[i], &b = o.fates[i];
            if (a.drop != b.drop || a.release_ns != b.release_ns || a.duplicate != b.duplicate ||
                a.corrupt != b.corrupt || a.corrupt_draw != b.corrupt_draw)
                return false;
        }
        return true;
    }
};

// Link 0 -> 1's fates for 2000 packets, with `other` packets of link 2 -> 1 between each.
Trace fates_of_link_0_1(uint64_t seed, int other) {
    Impairer imp(seed);
    imp.set_table(drawing_links());
    Trace tr;
    for (int i = 0; i < 2000; ++i) {
        const int64_t now = int64_t(i) * 1'000'000;
        tr.fates.push_back(imp.decide(now, 0, 1, 200));
        for (int k = 0; k < other; ++k) imp.decide(now + k, 2, 1, 100 + k);
    }
    return tr;
}

}  // namespace

TEST_CASE("the same seed and the same packets give the same fates", "[unit]") {
    const Trace a = fates_of_link_0_1(7, 0), b = fates_of_link_0_1(7, 0);
    CHECK(a == b);
    int dropped = 0, delayed = 0;
    for (const Fate& f : a.fates) {
        dropped += f.drop;
        delayed += !f.drop && f.release_ns > 0;
    }
    // The trace exercises the draws (a constant trace would replay trivially).
    CHECK(dropped > 200);
    CHECK(delayed > 1000);
    // Another seed, other fates.
    CHECK_FALSE(fates_of_link_0_1(8, 0) == a);
}

TEST_CASE("one link's traffic does not change another link's fates", "[unit]") {
    const Trace alone = fates_of_link_0_1(7, 0);
    CHECK(fates_of_link_0_1(7, 1) == alone);
    CHECK(fates_of_link_0_1(7, 5) == alone);
}

TEST_CASE("each directed link has its own stream", "[unit]") {
    CHECK(link_seed(1, 0, 1) != link_seed(1, 1, 0));
    CHECK(link_seed(1, 0, 1) != link_seed(2, 0, 1));
    CHECK(link_seed(1, 0, 1) == link_seed(1, 0, 1));
    LinkRng a(link_seed(1, 0, 1)), b(link_seed(1, 1, 0));
    int same = 0;
    for (int i = 0; i < 100; ++i) same += a() == b();
    CHECK(same == 0);
}
