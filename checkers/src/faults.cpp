// faults_landed: every network fault the run configured was in force and did what it says,
// link by link, judged from the lab's own read-back ("observe" actions: what the kernel or the
// engine had in force, and the per-link counters between two observations).
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace gossiplab::checkers::detail {
namespace {

double num(const json& o, const char* k) {
    if (!o.is_object()) return 0;
    auto it = o.find(k);
    return it != o.end() && it->is_number() ? it->get<double>() : 0;
}

// What differs between a configured and an in-force shape ("" when they agree). The kernel
// reports no delay distribution, so it is not compared; times are compared to 10 µs (netem
// stores them in scheduler ticks), probabilities to 1e-6, rates to 1%.
std::string shape_difference(const json& want, const json& got) {
    if (want.is_null() && got.is_null()) return "";
    const json none = json::object();
    const json& w = want.is_null() ? none : want;
    const json& g = got.is_null() ? none : got;
    std::string out;
    auto cmp = [&](const char* k, double tol_abs, double tol_rel) {
        const double a = num(w, k), b = num(g, k);
        if (std::fabs(a - b) > std::max(tol_abs, tol_rel * std::fabs(a)))
            out += std::string(out.empty() ? "" : ", ") + k + " " + fmt(a) + " configured, " +
                   fmt(b) + " in force";
    };
    cmp("delay_ms", 0.01, 0);
    cmp("jitter_ms", 0.01, 0);
    for (const char* k : {"loss", "loss_correlation", "duplicate", "reorder", "corrupt"})
        cmp(k, 1e-6, 0);
    cmp("rate_kbit", 0.5, 0.01);
    const json ge_none = nullptr;
    const json& wg = w.contains("gemodel") ? w["gemodel"] : ge_none;
    const json& gg = g.contains("gemodel") ? g["gemodel"] : ge_none;
    if (wg.is_object() != gg.is_object()) {
        out += std::string(out.empty() ? "" : ", ") + "gemodel " +
               (wg.is_object() ? "configured, none in force" : "in force, none configured");
    } else if (wg.is_object()) {
        for (const char* k : {"p", "r", "bad_loss", "good_loss"}) {
            const double a = num(wg, k), b = num(gg, k);
            if (std::fabs(a - b) > 1e-6)
                out += std::string(out.empty() ? "" : ", ") + "gemodel." + k + " " + fmt(a) +
                       " configured, " + fmt(b) + " in force";
        }
    }
    return out;
}

struct Link {
    const json* last = nullptr;  // the previous observation of this link
    bool last_before = false;    // it was taken right before a change (ends an interval)
    double last_t = 0;
    uint32_t last_line = 0;
};

// The loss a configuration asks for, and how much correlated loss widens the binomial's spread:
// by (1+rho)/(1-rho) for netem's correlation, by (2-p-r)/(p+r) for a Gilbert-Elliott chain.
struct LossModel {
    double loss = 0;
    double inflation = 1;
};

LossModel loss_model(const json& conf) {
    LossModel m;
    m.loss = num(conf, "loss");
    if (conf.contains("gemodel") && conf["gemodel"].is_object()) {
        const json& ge = conf["gemodel"];
        const double p = num(ge, "p"), r = num(ge, "r");
        if (p + r > 0) {
            m.loss = (r * num(ge, "good_loss") + p * num(ge, "bad_loss")) / (p + r);
            m.inflation = std::max(1.0, (2 - p - r) / (p + r));
        }
    } else {
        const double rho = std::min(0.95, num(conf, "loss_correlation"));
        m.inflation = (1 + rho) / (1 - rho);
    }
    return m;
}

// The loss counts a configuration allows over `packets` packets: `z` standard deviations either
// side of the mean, read on a gamma distribution with the count's mean and (widened) variance
// (Wilson-Hilferty's cube-root approximation), then 2 packets of slack. A count of bursts is
// skewed: a symmetric normal range failed 46 of 101 packets lost (10% configured, bursts of
// 4.4) on one of 56 links, a 4.5 sigma excess that a gamma's upper tail puts near 1 in 10,000.
struct LossRange {
    double lo, hi;
};

LossRange loss_range(const LossModel& m, double packets, double z) {
    const double mean = packets * m.loss;
    const double var = packets * m.loss * (1 - m.loss) * m.inflation;
    if (!(var > 0) || !(mean > 0)) return {mean - 2, mean + 2};
    const double k = mean * mean / var;  // the gamma's shape; its scale is var / mean
    const double a = 1 - 1 / (9 * k), b = std::sqrt(1 / (9 * k));
    auto at = [&](double zz) {
        const double c = a + zz * b;
        return c <= 0 ? 0.0 : mean * c * c * c;
    };
    return {std::max(0.0, at(-z) - 2), std::min(packets, at(z) + 2)};
}

// Judges the observations in turn, link by link, and accumulates the result.
class Judge {
  public:
    // Loss is judged on an interval with at least min_packets packets, within `sigmas`
    // standard deviations of the binomial (widened for correlated loss); holding and
    // classification on one with at least min_held packets.
    Judge(ResultBuilder& rb, double min_packets, double min_held, double sigmas)
        : rb_(rb), min_packets_(min_packets), min_held_(min_held), sigmas_(sigmas) {}

    void observation(const Action& a) {
        auto it = a.body.find("links");
        if (it == a.body.end() || !it->is_array()) return;
        const json& arr = *it;  // kept: Link::last points into it
        // "before": read right before a change, closing the interval of the configuration
        // in force; from it to the next ("after") the change itself was being applied.
        const bool before = a.body.value("when", std::string("after")) == "before";
        for (const auto& l : arr)
            if (l.is_object()) link(a, l, before);
    }

    CheckResult finish(size_t observations) {
        rb_.r.metrics["links"] = links_.size();
        rb_.r.metrics["intervals_judged"] = judged_;
        rb_.r.metrics["table"] = std::move(table_);
        rb_.r.measured = bad_links_;
        return rb_.finish("every configured fault was in force and did what it says on all " +
                          std::to_string(links_.size()) + " links (" +
                          std::to_string(observations) + " observations)");
    }

  private:
    void link(const Action& a, const json& l, bool before) {
        const std::string name =
            l.value("src", std::string("?")) + " -> " + l.value("dst", std::string("?"));
        bool bad = in_force(a, l, name);
        Link& k = links_[name];
        if (k.last && !k.last_before) bad = interval(a, l, k, name) || bad;
        if (bad) ++bad_links_;
        k.last = &l;
        k.last_before = before;
        k.last_t = a.t;
        k.last_line = a.line;
    }

    // 1. What is in force is what was configured. Returns whether it is not.
    bool in_force(const Action& a, const json& l, const std::string& name) {
        bool bad = false;
        const std::string diff =
            shape_difference(l.value("configured", json()), l.value("in_force", json()));
        if (!diff.empty()) {
            rb_.fail("link " + name + ": the shape in force is not the one configured (" + diff +
                     ")");
            rb_.evidence(a.t, kNone, "link " + name + ": " + diff, a.line);
            bad = true;
        }
        const bool cut = l.value("partitioned", false), dropping = l.value("dropping", false);
        if (cut != dropping) {
            const std::string what = "link " + name +
                                     (cut ? ": partitioned, but no partition rule is in force"
                                          : ": a partition rule is in force, none configured");
            rb_.fail(what);
            rb_.evidence(a.t, kNone, what, a.line);
            bad = true;
        }
        return bad;
    }

    // 2. The counters over the interval since this link's previous observation: a row of the
    // table. Returns whether the interval broke its configuration.
    bool interval(const Action& a, const json& l, const Link& k, const std::string& name) {
        const json& p = *k.last;
        auto d = [&](const char* f) { return std::max(0.0, num(l, f) - num(p, f)); };
        const double fwd = d("forwarded"), pk = d("packets"), lost = d("lost"), held = d("held"),
                     cut_pk = d("cut");
        const std::string when = " (" + fmt(k.last_t) + " s to " + fmt(a.t) + " s)";
        json row = {{"link", name},
                    {"from", k.last_t},
                    {"to", a.t},
                    {"configured", p.value("configured", json())},
                    {"in_force", p.value("in_force", json())},
                    {"partitioned", p.value("partitioned", false)},
                    {"forwarded", fwd},
                    {"packets", pk},
                    {"lost", lost},
                    {"held", held},
                    {"cut", cut_pk}};
        bool bad = false;
        auto failed = [&](const std::string& what) {
            rb_.fail("link " + name + ": " + what + when);
            rb_.evidence(a.t, kNone, "link " + name + ": " + what + when, a.line);
            row["problem"] = what;
            bad = true;
        };
        const json& conf = p.value("configured", json());
        if (p.value("partitioned", false)) {
            if (fwd > 0) failed(fmt(fwd) + " packets crossed while partitioned");
        } else if (conf.is_object()) {
            ++judged_;
            if (fwd >= min_held_ && pk < 0.9 * fwd - 2)
                failed("only " + fmt(pk) + " of " + fmt(fwd) +
                       " forwarded packets reached the link's shaping (the rest bypassed it)");
            const bool holds = num(conf, "delay_ms") > 0 || num(conf, "jitter_ms") > 0 ||
                               num(conf, "rate_kbit") > 0;
            if (holds && pk - lost >= min_held_ && held < 0.9 * (pk - lost) - 2)
                failed("only " + fmt(held) + " of " + fmt(pk - lost) +
                       " packets were held for the configured delay or rate");
            const LossModel m = loss_model(conf);
            if (pk > 0) row["observed_loss"] = lost / pk;
            if (m.loss > 0 && pk >= min_packets_) {
                const LossRange range = loss_range(m, pk, sigmas_);
                row["loss_range"] = {range.lo / pk, range.hi / pk};
                auto pct = [&](double x) { return fmt(std::round(x / pk * 1000) / 10) + "%"; };
                if (lost < range.lo || lost > range.hi)
                    failed("lost " + fmt(lost) + " of " + fmt(pk) + " packets (" + pct(lost) +
                           "), configured " + fmt(m.loss * 100) + "% (expected " + pct(range.lo) +
                           " to " + pct(range.hi) + ")");
            } else if (m.loss <= 0 && lost > 0) {
                failed(fmt(lost) + " packets lost on a link configured without loss");
            }
        }
        if (table_.size() < 500) table_.push_back(std::move(row));
        return bad;
    }

    ResultBuilder& rb_;
    const double min_packets_, min_held_, sigmas_;
    std::map<std::string, Link> links_;
    json table_ = json::array();  // configured against observed, one row per link interval
    size_t judged_ = 0, bad_links_ = 0;
};

}  // namespace

CheckResult faults_landed(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    ResultBuilder rb("faults_landed", h, options);
    const double min_packets = opt_number(options, "min_packets", 30);
    const double min_held = opt_number(options, "min_held", 10);
    const double sigmas = opt_number(options, "sigmas", 4);

    bool faults = false;
    std::vector<const Action*> obs;
    for (const auto& a : h.actions) {
        if (a.type == ActionType::shape || a.type == ActionType::partition ||
            a.type == ActionType::clog)
            faults = true;
        if (a.type == ActionType::observe) obs.push_back(&a);
    }
    rb.r.metrics["observations"] = obs.size();
    if (!faults) return rb.finish("the run applied no network fault");
    if (obs.empty()) {
        rb.unknown(
            "no \"observe\" record in the history: what the network had in force was never "
            "read back (a run recorded before gossiplab read its faults back?)");
        return rb.finish("");
    }
    if (backend_of(h) == "sim") {
        // The simulator's read-back is its own table: the lab's two failure modes cannot occur.
        rb.not_applicable(
            "in force against configured: the simulator has no kernel or engine to read back, "
            "its table is the configuration (a lab check)");
        rb.not_applicable(
            "bypass of the link's shaping: every packet the simulator forwards on a shaped link "
            "is shaped by construction (netem's classification, a lab check)");
    }
    Judge judge(rb, min_packets, min_held, sigmas);
    for (const Action* a : obs) judge.observation(*a);
    return judge.finish(obs.size());
}

}  // namespace gossiplab::checkers::detail
