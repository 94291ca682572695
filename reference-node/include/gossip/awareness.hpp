// Lifeguard's local health multiplier: how much to distrust our own timeliness.
#pragma once

#include "gossip/types.hpp"

namespace gossip {

// A score in [0, max-1]. Failed probes and missed nacks raise it (we may be the slow one),
// successful probes lower it; probe interval and timeout are stretched by (score+1), so an
// overloaded node accuses others more slowly instead of flooding false suspicions.
class Awareness {
  public:
    explicit Awareness(int max) : max_(max < 1 ? 1 : max) {}
    void apply_delta(int delta);
    int score() const { return score_; }
    // The highest score since the last call (the current one at least), for the counters: a
    // score that rose and fell between two samples still shows.
    int take_peak() {
        int p = peak_;
        peak_ = score_;
        return p;
    }
    Duration scale(Duration d) const { return d * (score_ + 1); }

  private:
    int max_;
    int score_ = 0;
    int peak_ = 0;
};

}  // namespace gossip
