// Lifeguard's dynamic suspicion timeout: starts at its max and shrinks with confirmations.
#pragma once

#include <set>
#include <string>

#include "gossip/types.hpp"

namespace gossip {

// One suspicion of one member at one incarnation. Not a timer: the owner asks deadline()
// and compares it with its own `now`, so tests need no real time.
class Suspicion {
  public:
    // `k` is the number of independent confirmations that bring the timeout down to `min`;
    // `accuser` is whoever raised it (confirmations from it do not count again).
    Suspicion(Time start, Duration min, Duration max, int k, const std::string& accuser);

    // Records a suspicion of the same member and incarnation from `from`. Returns true when
    // it is a new independent confirmation (which the caller re-gossips); the deadline
    // shrinks accordingly. Confirmations past k change nothing and return false.
    bool confirm(const std::string& from);

    Time start() const { return start_; }
    Time deadline() const { return start_ + timeout(min_, max_, k_, confirmations()); }
    int confirmations() const { return static_cast<int>(confirmers_.size()); }

    // max(min, max - (max-min) * log(c+1)/log(k+1)); min when k < 1.
    static Duration timeout(Duration min, Duration max, int k, int c);

  private:
    Time start_;
    Duration min_;
    Duration max_;
    int k_;
    std::string accuser_;
    std::set<std::string> confirmers_;
};

}  // namespace gossip
