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

}  // namespace

CheckResult faults_landed(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    ResultBuilder rb("faults_landed", h, options);
    // Loss is judged on an interval with at least min_packets packets, within `sigmas`
    // standard deviations of the binomial (widened for correlated loss); holding and
    // classification on one with at least min_held packets.
    const double min_packets = opt_number(options, "min_packets", 30);
    const double min_held = opt_number(options, "min_held", 10);
    const double sigmas = opt_number(options, "sigmas", 4);

    bool faults = false;
    std::vector<const Action*> obs;
    for (const auto& a : h.actions) {
        if (a.type == ActionType::shape || a.type == ActionType::partition) faults = true;
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

    std::map<std::string, Link> links;
    json table = json::array();  // configured against observed, one row per link interval
    size_t judged = 0, bad_links = 0;
    auto row_of = [&](const json& l) {
        return l.value("src", std::string("?")) + " -> " + l.value("dst", std::string("?"));
    };
    for (const Action* a : obs) {
        auto it = a->body.find("links");
        if (it == a->body.end() || !it->is_array()) continue;
        const json& arr = *it;  // kept: Link::last points into it
        // "before": read right before a change, closing the interval of the configuration
        // in force; from it to the next ("after") the change itself was being applied.
        const bool before = a->body.value("when", std::string("after")) == "before";
        for (const auto& l : arr) {
            if (!l.is_object()) continue;
            const std::string name = row_of(l);
            bool bad = false;
            // 1. What is in force is what was configured.
            const std::string diff =
                shape_difference(l.value("configured", json()), l.value("in_force", json()));
            if (!diff.empty()) {
                rb.fail("link " + name + ": the shape in force is not the one configured (" +
                        diff + ")");
                rb.evidence(a->t, kNone, "link " + name + ": " + diff, a->line);
                bad = true;
            }
            const bool cut = l.value("partitioned", false), dropping = l.value("dropping", false);
            if (cut != dropping) {
                const std::string what =
                    "link " + name + (cut ? ": partitioned, but no partition rule is in force"
                                          : ": a partition rule is in force, none configured");
                rb.fail(what);
                rb.evidence(a->t, kNone, what, a->line);
                bad = true;
            }
            // 2. The counters over the interval since this link's previous observation.
            Link& k = links[name];
            if (k.last && !k.last_before) {
                const json& p = *k.last;
                auto d = [&](const char* f) { return std::max(0.0, num(l, f) - num(p, f)); };
                const double fwd = d("forwarded"), pk = d("packets"), lost = d("lost"),
                             held = d("held"), cut_pk = d("cut");
                const std::string when = " (" + fmt(k.last_t) + " s to " + fmt(a->t) + " s)";
                json row = {{"link", name},
                            {"from", k.last_t},
                            {"to", a->t},
                            {"configured", p.value("configured", json())},
                            {"in_force", p.value("in_force", json())},
                            {"partitioned", p.value("partitioned", false)},
                            {"forwarded", fwd},
                            {"packets", pk},
                            {"lost", lost},
                            {"held", held},
                            {"cut", cut_pk}};
                auto failed = [&](const std::string& what) {
                    rb.fail("link " + name + ": " + what + when);
                    rb.evidence(a->t, kNone, "link " + name + ": " + what + when, a->line);
                    row["problem"] = what;
                    bad = true;
                };
                const json& conf = p.value("configured", json());
                if (p.value("partitioned", false)) {
                    if (fwd > 0) failed(fmt(fwd) + " packets crossed while partitioned");
                } else if (conf.is_object()) {
                    ++judged;
                    if (fwd >= min_held && pk < 0.9 * fwd - 2)
                        failed("only " + fmt(pk) + " of " + fmt(fwd) +
                               " forwarded packets reached the link's shaping (the rest "
                               "bypassed it)");
                    const bool holds = num(conf, "delay_ms") > 0 || num(conf, "jitter_ms") > 0 ||
                                       num(conf, "rate_kbit") > 0;
                    if (holds && pk - lost >= min_held && held < 0.9 * (pk - lost) - 2)
                        failed("only " + fmt(held) + " of " + fmt(pk - lost) +
                               " packets were held for the configured delay or rate");
                    double loss = num(conf, "loss");
                    // Correlated loss widens the binomial's spread: by (1+rho)/(1-rho) for
                    // netem's correlation, by (2-p-r)/(p+r) for a Gilbert-Elliott chain.
                    double inflation = 1;
                    if (conf.contains("gemodel") && conf["gemodel"].is_object()) {
                        const json& ge = conf["gemodel"];
                        const double p = num(ge, "p"), r = num(ge, "r");
                        if (p + r > 0) {
                            loss = (r * num(ge, "good_loss") + p * num(ge, "bad_loss")) / (p + r);
                            inflation = std::max(1.0, (2 - p - r) / (p + r));
                        }
                    } else {
                        const double rho = std::min(0.95, num(conf, "loss_correlation"));
                        inflation = (1 + rho) / (1 - rho);
                    }
                    if (pk > 0) row["observed_loss"] = lost / pk;
                    if (loss > 0 && pk >= min_packets) {
                        const double sd = std::sqrt(pk * loss * (1 - loss) * inflation);
                        const double tol = sigmas * sd + 2;
                        row["loss_tolerance"] = tol / pk;
                        if (std::fabs(lost - pk * loss) > tol)
                            failed("lost " + fmt(lost) + " of " + fmt(pk) + " packets (" +
                                   fmt(std::round(lost / pk * 1000) / 10) + "%), configured " +
                                   fmt(loss * 100) + "% (tolerance +-" +
                                   fmt(std::round(tol / pk * 1000) / 10) + " points)");
                    } else if (loss <= 0 && lost > 0) {
                        failed(fmt(lost) + " packets lost on a link configured without loss");
                    }
                }
                if (table.size() < 500) table.push_back(std::move(row));
            }
            if (bad) ++bad_links;
            k.last = &l;
            k.last_before = before;
            k.last_t = a->t;
            k.last_line = a->line;
        }
    }
    rb.r.metrics["links"] = links.size();
    rb.r.metrics["intervals_judged"] = judged;
    rb.r.metrics["table"] = std::move(table);
    rb.r.measured = bad_links;
    return rb.finish("every configured fault was in force and did what it says on all " +
                     std::to_string(links.size()) + " links (" + std::to_string(obs.size()) +
                     " observations)");
}

}  // namespace gossiplab::checkers::detail
