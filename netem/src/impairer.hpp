// The sans-IO heart of the nfqueue engine: each packet's fate from the link's shape and a RNG.
#pragma once

#include "impairment.hpp"

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

namespace gossiplab::netem {

// What happens to one packet, decided when it arrives at the hub.
struct Fate {
    bool drop = false;
    bool partitioned = false;   // dropped by the grudge (not by loss)
    int64_t release_ns = 0;     // when to let it go (== now: at once)
    bool duplicate = false;     // also deliver a copy at release time
    bool corrupt = false;       // flip one payload bit before release
    uint64_t corrupt_draw = 0;  // when corrupt: picks the bit (the link's stream, like the rest)
};

// A small generator per directed link (xoshiro256**, seeded through SplitMix64): 32 bytes, so
// an n-node lab holds n*n of them cheaply. A UniformRandomBitGenerator.
class LinkRng {
  public:
    using result_type = uint64_t;
    LinkRng() : LinkRng(0) {}
    explicit LinkRng(uint64_t seed);
    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return ~result_type(0); }
    result_type operator()();

  private:
    uint64_t s_[4];
};

// The seed of directed link src -> dst's stream in a run seeded `seed`: SplitMix64 over the
// run seed and the pair (node indexes in LabConfig::nodes order), so that each link's fates
// depend only on the run seed and that link's own packets.
uint64_t link_seed(uint64_t seed, int src, int dst);

// Decides fates with netem's semantics (see decide()). Time is passed in (nanoseconds on any
// monotonic clock); randomness comes from one stream per directed link, derived from `seed`
// (link_seed), so the same seed and the same packets of a link, in the same order, give that
// link the same fates whatever the other links carry. Not thread-safe: one engine thread
// owns it.
class Impairer {
  public:
    explicit Impairer(uint64_t seed = 1) : seed_(seed), spare_(link_seed(seed, -1, -1)) {}
    uint64_t seed() const { return seed_; }
    // Replaces the table; per-link state (correlation memory, rate backlog) is kept when the
    // size is unchanged, so a shape change mid-stream does not reset it.
    void set_table(std::shared_ptr<const Table> t);
    const Table* table() const { return table_.get(); }
    // Fate of a `len`-byte packet src -> dst arriving at `now_ns`.
    Fate decide(int64_t now_ns, int src, int dst, size_t len);

    // Delay sample in ms for a shape (mu +- jitter per distribution, never below 0), from a
    // stream of its own (tests; decide() draws from the link's).
    double sample_delay_ms(const LinkShape& s) { return sample_delay_ms(s, spare_); }

  private:
    struct LinkState {
        double last_loss = 0;      // previous correlated draw (netem's get_crandom)
        int64_t next_free_ns = 0;  // when the rate-limited link is free again
        bool ge_bad = false;       // Gilbert–Elliott: in the bad (bursty) state
        LinkRng rng;               // this link's stream (link_seed)
    };
    static double uniform(LinkRng& r) {
        return std::uniform_real_distribution<double>(0.0, 1.0)(r);
    }
    static double correlated(LinkRng& r, double rho, double& last);
    static double sample_delay_ms(const LinkShape& s, LinkRng& r);

    uint64_t seed_;
    LinkRng spare_;
    std::shared_ptr<const Table> table_;
    std::vector<LinkState> state_;
};

}  // namespace gossiplab::netem
