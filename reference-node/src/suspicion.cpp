// Suspicion timeouts shrinking logarithmically with independent confirmations (Lifeguard).
#include "gossip/suspicion.hpp"

#include <algorithm>
#include <cmath>

namespace gossip {

Suspicion::Suspicion(Time start, Duration min, Duration max, int k, const std::string& accuser)
    : start_(start), min_(min), max_(std::max(min, max)), k_(k), accuser_(accuser) {}

bool Suspicion::confirm(const std::string& from) {
    if (from == accuser_ || confirmations() >= k_) return false;
    return confirmers_.insert(from).second;
}

Duration Suspicion::timeout(Duration min, Duration max, int k, int c) {
    if (k < 1) return min;
    double frac = std::log(static_cast<double>(c) + 1.0) / std::log(static_cast<double>(k) + 1.0);
    double t = static_cast<double>(max.count()) - static_cast<double>((max - min).count()) * frac;
    auto us = static_cast<std::int64_t>(std::floor(t));
    return std::max(min, Duration(us));
}

}  // namespace gossip
