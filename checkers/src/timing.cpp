// Guarantee and model: the two bounds of every timing check, and the model's tally.
#include "timing.hpp"

#include <algorithm>
#include <cmath>

namespace gossiplab::checkers::detail {

namespace {

bool given(const json& options, const char* key) {
    return options.is_object() && options.contains(key) && !options[key].is_null();
}

// The guarantee over a model: one push-pull period more, where the implementation has push-pull.
BoundSpec repaired(const BoundSpec& model, const json& profile) {
    const bool push_pull = profile.is_object() && profile.contains("push_pull_interval") &&
                           profile["push_pull_interval"].is_number();
    if (!push_pull) return model;
    return {"(" + model.expr + ") + " + kRepair, model.from_default};
}

// membership_convergence's per-kind keys.
const char* kind_suffix(Obliged k) {
    switch (k) {
        case Obliged::join:
            return "join";
        case Obliged::crash:
            return "crash";
        case Obliged::leave:
            return "leave";
        case Obliged::heal:
            return "heal";
        default:
            return "";
    }
}

std::string model_default(Obliged k, const json& profile) {
    switch (k) {
        case Obliged::join:
            return kJoinBound;
        case Obliged::crash:
            return kDetectBound;
        case Obliged::leave:
            return kLeaveBound;
        case Obliged::refute:
            return kRefuteBound;
        case Obliged::spread:
            return kSpreadBound;
        case Obliged::heal:
        case Obliged::rejoin:
            break;
    }
    return heal_bound(profile);
}

// A ratio with two decimals: 2.17x.
std::string ratio_text(double r) {
    return fmt(std::round(r * 100) / 100) + "x";
}

}  // namespace

TimingSpec timing_spec(std::string_view check, Obliged k, const json& options,
                       const json& profile) {
    const std::string dflt = model_default(k, profile);
    // A heal or a rejoin is judged by a repair bound: there is no faster path to hold it to.
    if (k == Obliged::heal || k == Obliged::rejoin) {
        const char* key = "bound";
        if (check == "membership_convergence" && !given(options, "bound"))
            key = "bound_heal";
        else if (check == "suspicion_refutation")
            key = "rejoin_bound";
        BoundSpec b = bound_spec(options, key, dflt);
        return {b, b, false};
    }
    std::string mkey = "bound", gkey = "guarantee";
    if (check == "membership_convergence") {
        if (!given(options, "bound")) mkey = std::string("bound_") + kind_suffix(k);
        if (!given(options, "guarantee")) gkey = std::string("guarantee_") + kind_suffix(k);
    }
    TimingSpec s;
    s.model = bound_spec(options, mkey.c_str(), dflt);
    s.guarantee = given(options, gkey.c_str()) ? bound_spec(options, gkey.c_str(), dflt)
                                               : repaired(s.model, profile);
    return s;
}

BoundSpec long_pause_spec(const json& options, const json& profile) {
    const TimingSpec crash =
        timing_spec("failure_detection", Obliged::crash, json::object(), profile);
    return bound_spec(options, "long_above", crash.guarantee.expr);
}

ModelMode model_mode(const json& options) {
    if (!given(options, "model")) return ModelMode::report;
    const json& m = options["model"];
    if (m == "report") return ModelMode::report;
    if (m == "enforce") return ModelMode::enforce;
    throw BoundError("option \"model\": expected \"report\" or \"enforce\", got " + m.dump());
}

std::vector<std::string> timing_options(std::string_view check) {
    if (check == "membership_convergence")
        return {"guarantee",      "guarantee_join", "guarantee_crash",
                "guarantee_leave", "model"};
    if (check == "failure_detection" || check == "dissemination" ||
        check == "suspicion_refutation")
        return {"guarantee", "model"};
    return {};
}

void ModelTally::item(double lag, double model, double t, uint32_t node, const std::string& what,
                      uint32_t ref) {
    ++items_;
    const double ratio = model > 0 ? lag / model : 0;
    sum_ratio_ += ratio;
    if (lag <= model) return;
    ++misses_;
    worst_.push_back({lag, model, t, node, ref, what});
    std::stable_sort(worst_.begin(), worst_.end(), [](const Miss& a, const Miss& b) {
        return a.lag / a.model > b.lag / b.model;
    });
    if (worst_.size() > kKept) worst_.pop_back();
}

void ModelTally::finish(ResultBuilder& rb, const std::string& items_name) {
    if (items_ == 0) return;
    const bool enforced = mode_ == ModelMode::enforce;
    json m = {{"enforced", enforced},
              {"items", items_},
              {"misses", misses_},
              {"mean_ratio", sum_ratio_ / double(items_)},
              {"worst", nullptr},
              {"finding", nullptr}};
    if (misses_ == 0) {
        rb.r.model = std::move(m);
        return;
    }
    const Miss& w = worst_.front();
    const double ratio = w.lag / w.model;
    m["worst"] = {{"what", w.what},   {"t", w.t},         {"ref", w.ref},
                  {"measured", w.lag}, {"predicted", w.model}, {"ratio", ratio}};
    json slowest = json::array();
    for (const Miss& x : worst_)
        slowest.push_back({{"what", x.what},
                           {"measured", x.lag},
                           {"predicted", x.model},
                           {"ratio", x.lag / x.model},
                           {"ref", x.ref}});
    m["slowest"] = std::move(slowest);
    const std::string finding = "slower than the model: " + std::to_string(misses_) + " of " +
                                std::to_string(items_) + " " + items_name + " after the model's " +
                                "bound (worst " + ratio_text(ratio) + ": " + w.what + " after " +
                                fmt(w.lag) + " s, model " + fmt(w.model) + " s)";
    m["finding"] = finding;
    rb.r.model = std::move(m);
    if (!enforced) return;
    for (const Miss& x : worst_)
        rb.evidence(x.t + x.lag, x.node,
                    x.what + " after " + fmt(x.lag) + " s (model " + fmt(x.model) + " s, " +
                        ratio_text(x.lag / x.model) + ")",
                    x.ref);
    rb.fail(finding);
}

}  // namespace gossiplab::checkers::detail
