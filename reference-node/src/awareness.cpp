// Lifeguard local health score, clamped to [0, max-1].
#include "gossip/awareness.hpp"

#include <algorithm>

namespace gossip {

void Awareness::apply_delta(int delta) {
    score_ = std::clamp(score_ + delta, 0, max_ - 1);
    peak_ = std::max(peak_, score_);
}

}  // namespace gossip
