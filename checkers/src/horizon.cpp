// The bounds each planned change will be judged by, as the checks choose them (the same option
// keys and defaults), evaluated before the run.
#include <gossiplab/checkers/horizon.hpp>

#include <algorithm>
#include <string>

#include "common.hpp"
#include "timing.hpp"

#include <optional>

namespace gossiplab::checkers {

using detail::BoundSpec;
using detail::Obliged;
using detail::timing_spec;

namespace {

const json& options_of(const json& checks, const char* check, bool& listed) {
    static const json kNone = json::object();
    listed = !checks.is_object() || checks.contains(check);
    if (!checks.is_object() || !checks.contains(check) || !checks[check].is_object()) return kNone;
    return checks[check];
}

// The kind of obligation a planned change creates for membership_convergence.
std::optional<detail::Obliged> convergence_kind(PlannedKind k) {
    switch (k) {
        case PlannedKind::start:
        case PlannedKind::restart:
            return detail::Obliged::join;
        case PlannedKind::crash:
            return detail::Obliged::crash;
        case PlannedKind::leave:
            return detail::Obliged::leave;
        case PlannedKind::heal:
            return detail::Obliged::heal;
        default:
            return std::nullopt;
    }
}

class Builder {
  public:
    Builder(const json& checks, const json& profile, double n)
        : checks_(checks),
          profile_(profile.is_object() ? profile : json::object()),
          vars_(profile_vars(profile_, std::max(n, 1.0))) {}

    // Each check that judges the change holds it to its guarantee (timing.hpp), chosen as the
    // check itself chooses it.
    void add(const Planned& p) {
        bool listed = false;
        const json& conv = options_of(checks_, "membership_convergence", listed);
        if (auto k = convergence_kind(p.kind); listed && k)
            oblige("membership_convergence", p, *k, conv);
        if (p.kind == PlannedKind::heal) {
            const json& o = options_of(checks_, "partition_healing", listed);
            if (listed) oblige("partition_healing", p, Obliged::heal, o);
        }
        if (p.kind == PlannedKind::crash) {
            const json& o = options_of(checks_, "failure_detection", listed);
            if (listed) oblige("failure_detection", p, Obliged::crash, o);
        }
        if (p.kind == PlannedKind::broadcast) {
            const json& o = options_of(checks_, "dissemination", listed);
            if (listed) oblige("dissemination", p, Obliged::spread, o);
        }
        if (p.kind == PlannedKind::resume) {
            const json& o = options_of(checks_, "suspicion_refutation", listed);
            if (listed) refutation(p, o);
        }
        // state_convergence's window opens at the last write or fault: each write and each
        // heal is held to its one bound (it has no guarantee/model split).
        if (p.kind == PlannedKind::write || (p.kind == PlannedKind::heal && writes_)) {
            const json& o = options_of(checks_, "state_convergence", listed);
            if (listed) state(p, o);
        }
    }

    Horizon done() { return std::move(h_); }
    // Whether the plan writes application state at all (a heal obliges state_convergence only
    // then: a run without state must not last longer for it).
    void set_writes(bool w) { writes_ = w; }

  private:
    // A pause shorter than short_below must end in a refutation (bound); a longer one may
    // also end in a death and a rejoin (rejoin_bound), as suspicion_refutation judges it.
    void refutation(const Planned& p, const json& o) {
        oblige("suspicion_refutation", p, Obliged::refute, o);
        try {
            const double short_below =
                eval_bound(detail::bound_spec(o, "short_below", "suspicion_min").expr, vars_);
            if (p.t - p.since < short_below) return;
        } catch (const std::exception&) {
            // Unclassifiable: a rejoin may be expected.
        }
        oblige("suspicion_refutation", p, Obliged::rejoin, o);
    }

    void oblige(const char* check, const Planned& p, Obliged k, const json& options) {
        oblige_with(check, p, [&] { return timing_spec(check, k, options, profile_).guarantee; });
    }

    void state(const Planned& p, const json& options) {
        oblige_with("state_convergence", p,
                    [&] { return detail::bound_spec(options, "bound", detail::kStateBound); });
    }

    template <class Spec>
    void oblige_with(const char* check, const Planned& p, Spec spec_of) {
        json item = {{"check", check}, {"change", to_string(p.kind)}, {"at", p.t}};
        try {
            const BoundSpec spec = spec_of();
            const double b = eval_bound(spec.expr, vars_);
            if (p.t + b > h_.t) {
                h_.t = p.t + b;
                item["bound"] = {{"expr", spec.expr}, {"value", b}};
                h_.because = std::move(item);
            }
        } catch (const std::exception& e) {
            // One entry per check and kind of change (a rumor workload has thousands).
            for (auto& u : h_.unbounded)
                if (u["check"] == check && u["change"] == item["change"]) {
                    u["count"] = u["count"].get<int>() + 1;
                    return;
                }
            item["error"] = e.what();
            item["count"] = 1;
            h_.unbounded.push_back(std::move(item));
        }
    }

    const json& checks_;
    const json profile_;
    const Vars vars_;
    Horizon h_;
    bool writes_ = false;
};

}  // namespace

const char* to_string(PlannedKind k) {
    static constexpr const char* kNames[] = {"start", "restart", "crash",     "leave",
                                             "heal",  "resume",  "broadcast", "write"};
    return kNames[static_cast<size_t>(k)];
}

json Horizon::to_json() const {
    return {{"t", t}, {"because", because}, {"unbounded", unbounded}};
}

Horizon judgement_horizon(const json& checks, const std::vector<Planned>& plan, const json& profile,
                          double n) {
    Builder b(checks, profile, n);
    b.set_writes(std::any_of(plan.begin(), plan.end(),
                             [](const Planned& p) { return p.kind == PlannedKind::write; }));
    for (const Planned& p : plan) b.add(p);
    return b.done();
}

}  // namespace gossiplab::checkers
