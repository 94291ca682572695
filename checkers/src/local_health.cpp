// local_health: Lifeguard's local health (awareness) as the nodes report it in their counters.
// A node the scenario leaves alone stays healthy, whatever happens to others (a crashed member's
// failed probes are answered by the helpers' nacks, so they are no fault of the prober's); a node
// that had to refute a suspicion of itself counts it against its own health.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>

namespace gossiplab::checkers::detail {

namespace {

// Why a node is not left alone in this run ("" when it is).
std::string disturbed(const Truth& truth, uint32_t node) {
    if (truth.lives[node].size() != 1) return "started more than once";
    const Life& l = truth.lives[node][0];
    if (l.how == EndHow::killed || l.how == EndHow::crashed) return "crashed";
    if (l.leave_t < kForever) return "left";
    if (!truth.pauses[node].empty()) return "paused";
    if (!truth.starves[node].empty()) return "starved";
    for (const Epoch& e : truth.epochs)
        if (e.involves(node)) return "partitioned";
    return "";
}

}  // namespace

CheckResult local_health(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    ResultBuilder rb("local_health", h, options);
    const double healthy_max = opt_number(options, "healthy_max", 1);
    const bool refute_raises = opt_bool(options, "refute_raises", true);
    rb.r.bound = {{"expr", fmt(healthy_max)}, {"value", healthy_max}};
    if (!ctx.has("counters")) {
        rb.unknown("local health is not reported (no counters feature)");
        return rb.finish("");
    }
    bool reported = false;
    for (const CountersSample& c : h.counters) reported = reported || c.awareness_peak >= 0;
    if (!reported) {
        rb.not_applicable(
            "the implementation's counters carry no awareness (Lifeguard's local health score)");
        return rb.finish("no node reports its local health");
    }
    const bool shaped = !truth.shapes.empty();
    if (shaped)
        rb.not_applicable(
            "the links were shaped, so no node was left alone: healthy_max not judged");
    json per_node = json::object();
    double worst = 0;
    size_t alone = 0;
    for (uint32_t node = 0; node < truth.n; ++node) {
        const std::string why = disturbed(truth, node);
        double peak = -1;
        uint32_t peak_line = 0;
        double peak_t = 0;
        for (uint32_t idx : h.by_node[node]) {
            const Event& e = h.events[idx];
            if (e.type != EventType::counters) continue;
            const CountersSample& c = h.counters[e.aux];
            if (c.awareness_peak > peak) {
                peak = c.awareness_peak;
                peak_line = e.line;
                peak_t = e.t;
            }
        }
        if (peak < 0) continue;
        json pn = {{"peak", peak}, {"left_alone", why.empty() && !shaped}};
        if (!why.empty()) pn["disturbed"] = why;
        per_node[h.ids[node]] = pn;
        if (!why.empty() || shaped) continue;
        ++alone;
        worst = std::max(worst, peak);
        if (peak > healthy_max) {
            rb.evidence(peak_t, node,
                        h.ids[node] + "'s awareness reached " + fmt(peak) + " (bound " +
                            fmt(healthy_max) + ")",
                        peak_line);
            rb.fail(h.ids[node] +
                    ", which the scenario left alone, raised its local health score to " +
                    fmt(peak) + " (bound " + fmt(healthy_max) +
                    "): a healthy node blamed itself for others' faults (Lifeguard counts a failed "
                    "probe against the prober only when the helpers' nacks are missing too)");
        }
    }
    // A refutation: the node learnt that others suspect it. The first counters sample after it
    // must show a raised score (its peak covers the moment of the refutation).
    size_t refutations = 0, raised = 0;
    if (refute_raises && ctx.has("refute_events")) {
        for (const Event& e : h.events) {
            if (e.type != EventType::refute) continue;
            const Event* next = nullptr;
            for (uint32_t idx : h.by_node[e.node]) {
                const Event& c = h.events[idx];
                if (c.type == EventType::counters && c.line > e.line) {
                    next = &c;
                    break;
                }
            }
            if (!next || h.counters[next->aux].awareness_peak < 0) continue;
            ++refutations;
            if (h.counters[next->aux].awareness_peak >= 1) {
                ++raised;
                continue;
            }
            rb.evidence(e.t, e.node, h.ids[e.node] + " refuted a suspicion of itself", e.line);
            rb.evidence(next->t, e.node,
                        "its next counters still show awareness " +
                            fmt(h.counters[next->aux].awareness_peak),
                        next->line);
            rb.fail(h.ids[e.node] + " refuted a suspicion of itself at " + fmt(e.t) +
                    " s without raising its local health score (Lifeguard: being suspected is "
                    "a sign that we may be the slow one)");
        }
    }
    // An isolation: a node cut off from every other member (a partition that isolates it) for
    // at least `isolated_for` seconds hears no ack and no nack, so every probe counts against
    // itself: its score must reach the cap (Lifeguard's awareness max multiplier 8: scores 0
    // to 7) before the isolation ends, or its next sample after it.
    const double isolated_peak = opt_number(options, "isolated_peak", 7);
    const double isolated_for = opt_number(options, "isolated_for", 3);
    size_t isolations = 0, capped = 0;
    json isolated = json::array();
    for (const Epoch& ep : truth.epochs) {
        const double to = std::min(ep.to, truth.end_t);
        if (to - ep.from < isolated_for) continue;
        for (uint32_t node = 0; node < truth.n; ++node) {
            if (!truth.steady(node, ep.from, to)) continue;
            bool alone = true, others = false;
            for (uint32_t x = 0; x < truth.n && alone; ++x) {
                if (x == node || truth.life_at(x, ep.from) == nullptr) continue;
                others = true;
                alone = ep.cut[size_t(node) * truth.n + x] && ep.cut[size_t(x) * truth.n + node];
            }
            if (!alone || !others) continue;
            double peak = -1, peak_t = 0;
            uint32_t last_line = 0;
            for (uint32_t idx : h.by_node[node]) {
                const Event& e = h.events[idx];
                if (e.type != EventType::counters || e.t <= ep.from) continue;
                const double p = h.counters[e.aux].awareness_peak;
                if (p < 0) continue;
                if (p > peak) {
                    peak = p;
                    peak_t = e.t;
                }
                last_line = e.line;
                if (e.t > to) break;  // the sample after the isolation covers its end
            }
            if (peak < 0) continue;
            ++isolations;
            isolated.push_back(
                {{"node", h.ids[node]}, {"from", ep.from}, {"to", to}, {"peak", peak}});
            if (peak >= isolated_peak) {
                ++capped;
                continue;
            }
            rb.evidence(
                ep.from, node,
                h.ids[node] + " was cut off from every other member until " + fmt(to) + " s",
                ep.from_line);
            rb.evidence(
                peak_t, node,
                "its awareness peaked at " + fmt(peak) + " (expected " + fmt(isolated_peak) + ")",
                last_line);
            rb.fail(h.ids[node] + ", cut off from every other member for " + fmt(to - ep.from) +
                    " s, raised its local health score only to " + fmt(peak) +
                    " (expected the cap, " + fmt(isolated_peak) +
                    "): a node that hears from nobody must conclude it is the slow one");
        }
    }
    rb.r.metrics["isolations"] = isolated;
    rb.r.measured = worst;
    rb.r.metrics["per_node"] = std::move(per_node);
    rb.r.metrics["left_alone"] = alone;
    rb.r.metrics["refutations"] = refutations;
    rb.r.metrics["refutations_raised"] = raised;
    if (alone == 0 && refutations == 0 && isolations == 0)
        rb.unknown(
            "nothing to check: no node was left alone, none refuted a suspicion, none was "
            "isolated");
    return rb.finish(std::to_string(alone) +
                     " node(s) left alone kept awareness <= " + fmt(healthy_max) + " (highest " +
                     fmt(worst) + "); " + std::to_string(raised) + " of " +
                     std::to_string(refutations) + " refutation(s) raised the refuter's score; " +
                     std::to_string(capped) + " of " + std::to_string(isolations) +
                     " isolated node(s) reached the cap " + fmt(isolated_peak));
}

}  // namespace gossiplab::checkers::detail
