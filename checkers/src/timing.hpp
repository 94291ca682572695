// Guarantee and model (docs/checkers.md): every timing check holds a change to two bounds.
//  - The guarantee is what the protocol promises eventually, through its repair mechanisms
//    (push-pull anti-entropy, reconnect, refutation). Missing it is a failure.
//  - The model is the epidemic fast path (O(log N) gossip rounds, SWIM's detection time).
//    Each measured item is compared with it and the misses are reported as a finding, with
//    the ratio measured/predicted; a miss fails the check only when the scenario enforces the
//    model (option "model": "enforce"), as the scenarios that exist to test it do.
// The checks and the run's horizon (horizon.cpp) choose their bounds here, so that a run is
// always long enough for the bound it is judged by.
#pragma once

#include "common.hpp"

#include <string>
#include <string_view>

namespace gossiplab::checkers::detail {

// What a change obliges a check to judge.
enum class Obliged : uint8_t { join, crash, leave, heal, refute, rejoin, spread };

struct TimingSpec {
    BoundSpec model;      // the fast path
    BoundSpec guarantee;  // the eventual promise: decides the verdict
    // False where the bound is itself a repair bound (a heal, a rejoin): there is no fast path
    // apart from it, and model == guarantee.
    bool has_model = true;
};

// The bounds `check` holds a change of kind `k` to, from the check's options and the timing
// profile. The model is the option the check has always had ("bound", or membership_convergence's
// "bound_join", "bound_crash", ...) or its default; the guarantee is option "guarantee" (or
// "guarantee_join", ...) or, by default, the model plus two push-pull periods
// (kRepair: `2 * push_pull_interval`), the repair every implementation here runs. An implementation without
// push-pull (push_pull_interval null or absent) promises its fast path only: the guarantee is
// the model. Throws BoundError on an option of the wrong type.
TimingSpec timing_spec(std::string_view check, Obliged k, const json& options, const json& profile);

// suspicion_refutation's "long_above": a pause (starvation, isolation) at least this long must
// end in a death, since every implementation promises to detect a failure within the crash
// guarantee; the default is that guarantee (failure_detection's, with its defaults).
BoundSpec long_pause_spec(const json& options, const json& profile);

enum class ModelMode { report, enforce };
// Option "model": "report" (the default) or "enforce". Throws BoundError otherwise.
ModelMode model_mode(const json& options);

// The option keys of timing_spec for `check`, for the registry's list of known options.
std::vector<std::string> timing_options(std::string_view check);

// The model half of a timing check's result: each measured item against its model bound.
class ModelTally {
  public:
    explicit ModelTally(ModelMode mode) : mode_(mode) {}

    // One item that met its guarantee after `lag` seconds, against a model bound of `model`;
    // `what` says who saw what ("n3 saw n7 alive"), at time t (the change's), line `ref`.
    void item(double lag, double model, double t, uint32_t node, const std::string& what,
              uint32_t ref);

    size_t misses() const { return misses_; }

    // Puts the tally into rb.r.model (null when no item was measured): {"enforced", "items",
    // "misses", "worst": {...}, "mean_ratio", "finding"}, and with "enforce" fails the check on a
    // miss, with the slowest misses as evidence.
    void finish(ResultBuilder& rb, const std::string& items_name);

  private:
    struct Miss {
        double lag, model, t;
        uint32_t node, ref;
        std::string what;
    };
    ModelMode mode_;
    size_t items_ = 0, misses_ = 0;
    double sum_ratio_ = 0;
    std::vector<Miss> worst_;  // the slowest misses by ratio, at most kKept
    static constexpr size_t kKept = 5;
};

}  // namespace gossiplab::checkers::detail
