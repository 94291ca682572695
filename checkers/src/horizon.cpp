// The bounds each planned change will be judged by, as the checks choose them (the same option
// keys and defaults), evaluated before the run.
#include <gossiplab/checkers/horizon.hpp>

#include <algorithm>
#include <string>

#include "common.hpp"

namespace gossiplab::checkers {

using detail::bound_spec;
using detail::BoundSpec;

namespace {

const json& options_of(const json& checks, const char* check, bool& listed) {
    static const json kNone = json::object();
    listed = !checks.is_object() || checks.contains(check);
    if (!checks.is_object() || !checks.contains(check) || !checks[check].is_object()) return kNone;
    return checks[check];
}

// The option key and default a check uses for one kind of change ("" when the check does not
// judge it). membership_convergence's one "bound" replaces every per-kind bound, as it does
// in the check itself.
struct Rule {
    const char* key = "";
    const std::string* dflt = nullptr;
};

Rule convergence_rule(const json& options, PlannedKind k, const std::string& heal) {
    const bool one = options.contains("bound") && !options["bound"].is_null();
    auto pick = [&](const char* key, const std::string& d) {
        return Rule{one ? "bound" : key, &d};
    };
    switch (k) {
        case PlannedKind::start:
        case PlannedKind::restart:
            return pick("bound_join", detail::kJoinBound);
        case PlannedKind::crash:
            return pick("bound_crash", detail::kDetectBound);
        case PlannedKind::leave:
            return pick("bound_leave", detail::kLeaveBound);
        case PlannedKind::heal:
            return pick("bound_heal", heal);
        default:
            return {};
    }
}

class Builder {
  public:
    Builder(const json& checks, const json& profile, double n)
        : checks_(checks),
          heal_(detail::heal_bound(profile)),
          vars_(profile_vars(profile.is_object() ? profile : json::object(), std::max(n, 1.0))) {}

    void add(const Planned& p) {
        bool listed = false;
        const json& conv = options_of(checks_, "membership_convergence", listed);
        if (listed)
            oblige("membership_convergence", p, convergence_rule(conv, p.kind, heal_), conv);
        if (p.kind == PlannedKind::heal) {
            const json& o = options_of(checks_, "partition_healing", listed);
            if (listed) oblige("partition_healing", p, {"bound", &heal_}, o);
        }
        if (p.kind == PlannedKind::crash) {
            const json& o = options_of(checks_, "failure_detection", listed);
            if (listed) oblige("failure_detection", p, {"bound", &detail::kDetectBound}, o);
        }
        if (p.kind == PlannedKind::broadcast) {
            const json& o = options_of(checks_, "dissemination", listed);
            if (listed) oblige("dissemination", p, {"bound", &detail::kSpreadBound}, o);
        }
        if (p.kind == PlannedKind::resume) {
            const json& o = options_of(checks_, "suspicion_refutation", listed);
            if (listed) refutation(p, o);
        }
    }

    Horizon done() { return std::move(h_); }

  private:
    // A pause longer than long_above ends in a rejoin (rejoin_bound); a shorter one in a
    // refutation (bound), as suspicion_refutation classifies it.
    void refutation(const Planned& p, const json& o) {
        try {
            const double long_above =
                eval_bound(bound_spec(o, "long_above", detail::kDetectBound).expr, vars_);
            if (p.t - p.since > long_above)
                return oblige("suspicion_refutation", p, {"rejoin_bound", &heal_}, o);
        } catch (const std::exception&) {
            // Unclassifiable: judged by the refutation bound below.
        }
        oblige("suspicion_refutation", p, {"bound", &detail::kRefuteBound}, o);
    }

    void oblige(const char* check, const Planned& p, const Rule& r, const json& options) {
        if (!r.dflt) return;
        json item = {{"check", check}, {"change", to_string(p.kind)}, {"at", p.t}};
        try {
            const BoundSpec spec = bound_spec(options, r.key, *r.dflt);
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
    const std::string& heal_;
    const Vars vars_;
    Horizon h_;
};

}  // namespace

const char* to_string(PlannedKind k) {
    static constexpr const char* kNames[] = {"start", "restart", "crash",    "leave",
                                             "heal",  "resume",  "broadcast"};
    return kNames[static_cast<size_t>(k)];
}

json Horizon::to_json() const {
    return {{"t", t}, {"because", because}, {"unbounded", unbounded}};
}

Horizon judgement_horizon(const json& checks, const std::vector<Planned>& plan, const json& profile,
                          double n) {
    Builder b(checks, profile, n);
    for (const Planned& p : plan) b.add(p);
    return b.done();
}

}  // namespace gossiplab::checkers
