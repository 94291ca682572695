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
    bool partitioned = false;  // dropped by the grudge (not by loss)
    int64_t release_ns = 0;    // when to let it go (== now: at once)
    bool duplicate = false;    // also deliver a copy at release time
    bool corrupt = false;      // flip one payload bit before release
};

// Decides fates with netem's semantics (see decide()). Time is passed in (nanoseconds on any
// monotonic clock), randomness comes from a seeded generator, so tests replay exactly.
// Not thread-safe: one engine thread owns it.
class Impairer {
  public:
    explicit Impairer(uint64_t seed = 1) : rng_(seed) {}
    // Replaces the table; per-link state (correlation memory, rate backlog) is kept when the
    // size is unchanged, so a shape change mid-stream does not reset it.
    void set_table(std::shared_ptr<const Table> t);
    const Table* table() const { return table_.get(); }
    // Fate of a `len`-byte packet src -> dst arriving at `now_ns`.
    Fate decide(int64_t now_ns, int src, int dst, size_t len);

    // Delay sample in ms for a shape (mu +- jitter per distribution, never below 0).
    double sample_delay_ms(const LinkShape& s);

  private:
    struct LinkState {
        double last_loss = 0;      // previous correlated draw (netem's get_crandom)
        int64_t next_free_ns = 0;  // when the rate-limited link is free again
        bool ge_bad = false;       // Gilbert–Elliott: in the bad (bursty) state
    };
    double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
    double correlated(double rho, double& last);

    std::mt19937_64 rng_;
    std::shared_ptr<const Table> table_;
    std::vector<LinkState> state_;
};

}  // namespace gossiplab::netem
