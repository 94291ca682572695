// When a run's obligations can be judged. Each change a schedule plans (a node starts,
// restarts, crashes or leaves, a partition heals, a pause ends, a rumor is sent, a node writes
// application state) obliges the
// cluster to react within a bound that the scenario's checks hold it to, written over the
// implementation's timing profile. The controller keeps a run going until the latest of those
// bounds has elapsed, so that the run's end never decides a verdict (docs/checkers.md,
// "Run length").
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace gossiplab::checkers {

// `write`: an application state set or delete (node contract v2).
enum class PlannedKind : uint8_t { start, restart, crash, leave, heal, resume, broadcast, write };
const char* to_string(PlannedKind k);

// One planned change: what, when, and for a resume the start of the pause (or starvation) it
// ends.
struct Planned {
    PlannedKind kind;
    double t = 0;
    double since = 0;
};

struct Horizon {
    double t = 0;  // the latest planned change + its bound; 0 when nothing is bounded
    // The obligation that decided t: {"check", "change", "at", "bound": {"expr", "value"}}.
    nlohmann::json because = nullptr;
    // Obligations whose bound cannot be evaluated (a knob the implementation lacks, a bad
    // option): {"check", "change", "at" (the first), "count", "error"}, one per check and kind
    // of change. They do not lengthen the run.
    nlohmann::json unbounded = nlohmann::json::array();

    nlohmann::json to_json() const;
};

// The horizon of `plan` under a scenario's `checks` (an object of check -> options; null: every
// check with its defaults), with `profile` the timing profile and `n` the cluster's size (the
// bounds grow with N; the cluster's size is the most a change can see). Never throws.
Horizon judgement_horizon(const nlohmann::json& checks, const std::vector<Planned>& plan,
                          const nlohmann::json& profile, double n);

}  // namespace gossiplab::checkers
