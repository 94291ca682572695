// The sans-IO heart of the nfqueue engine: each packet's fate from the link's shape and a RNG.
#include "impairer.hpp"

#include <algorithm>
#include <cmath>

namespace gossiplab::netem {

namespace {

uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

}  // namespace

LinkRng::LinkRng(uint64_t seed) {
    for (auto& w : s_) w = splitmix64(seed);
}

LinkRng::result_type LinkRng::operator()() {
    const uint64_t out = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return out;
}

uint64_t link_seed(uint64_t seed, int src, int dst) {
    uint64_t x = seed;
    const uint64_t a = splitmix64(x);
    uint64_t pair = (uint64_t(uint32_t(src)) << 32) | uint32_t(dst);
    return a ^ splitmix64(pair);
}

void Impairer::set_table(std::shared_ptr<const Table> t) {
    if (!t) return;
    if (!table_ || table_->n != t->n) {
        state_.assign(t->shape.size(), LinkState{});
        for (int s = 0; s < t->n; ++s)
            for (int d = 0; d < t->n; ++d)
                state_[t->at(s, d)].rng = LinkRng(link_seed(seed_, s, d));
    }
    table_ = std::move(t);
}

// netem's correlated uniform: a weighted mix of a fresh draw and the previous value.
double Impairer::correlated(LinkRng& r, double rho, double& last) {
    double v = uniform(r);
    if (rho <= 0) return v;
    last = v * (1 - rho) + last * rho;
    return last;
}

double Impairer::sample_delay_ms(const LinkShape& s, LinkRng& r) {
    double d = s.delay_ms;
    if (s.jitter_ms > 0) {
        if (s.distribution == "uniform") {
            d += (uniform(r) * 2 - 1) * s.jitter_ms;
        } else if (s.distribution == "pareto") {
            // Pareto with shape 3 and scale 1 (mean 1.5, sd sqrt(0.75)), standardised, like
            // netem's pareto table: a long right tail around the mean.
            const double x = 1.0 / std::cbrt(1.0 - uniform(r));
            d += (x - 1.5) / std::sqrt(0.75) * s.jitter_ms;
        } else {
            d += std::normal_distribution<double>(0.0, 1.0)(r) * s.jitter_ms;
        }
    }
    return std::max(0.0, d);
}

Fate Impairer::decide(int64_t now_ns, int src, int dst, size_t len) {
    Fate f;
    f.release_ns = now_ns;
    if (!table_ || src < 0 || dst < 0 || src >= table_->n || dst >= table_->n) return f;
    const size_t i = table_->at(src, dst);
    if (table_->drop[i]) {
        f.drop = f.partitioned = true;
        return f;
    }
    const auto& shape = table_->shape[i];
    if (!shape) return f;
    const LinkShape& s = *shape;
    LinkState& st = state_[i];
    if (s.gemodel) {
        // netem's loss_gilb_ell: move on the chain, then draw the loss of the state it was in.
        const GeModel& g = *s.gemodel;
        const bool was_bad = st.ge_bad;
        if (uniform(st.rng) < (was_bad ? g.r : g.p)) st.ge_bad = !was_bad;
        if (uniform(st.rng) < (was_bad ? g.bad_loss : g.good_loss)) {
            f.drop = true;
            return f;
        }
    } else if (s.loss > 0 && correlated(st.rng, s.loss_correlation, st.last_loss) < s.loss) {
        f.drop = true;
        return f;
    }
    f.duplicate = s.duplicate > 0 && uniform(st.rng) < s.duplicate;
    f.corrupt = s.corrupt > 0 && uniform(st.rng) < s.corrupt;
    if (f.corrupt) f.corrupt_draw = st.rng();
    // netem's reorder: a packet that wins the draw skips the delay and so overtakes the
    // packets held before it.
    const bool skip_delay = s.reorder > 0 && uniform(st.rng) < s.reorder;
    int64_t t = now_ns;
    if (!skip_delay) t += static_cast<int64_t>(sample_delay_ms(s, st.rng) * 1e6);
    if (s.rate_kbit > 0) {
        // Serialisation on a link of rate_kbit: packets queue behind each other.
        const auto tx = static_cast<int64_t>(static_cast<double>(len) * 8.0 / s.rate_kbit * 1e6);
        t = std::max(t, st.next_free_ns) + tx;
        st.next_free_ns = t;
    }
    f.release_ns = t;
    return f;
}

}  // namespace gossiplab::netem
