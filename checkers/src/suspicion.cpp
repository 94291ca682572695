// suspicion_refutation: a node that was briefly unavailable is suspected but never declared
// dead, and refutes with a higher incarnation; one away for longer is declared dead and rejoins.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>

namespace gossiplab::checkers::detail {

namespace {

struct Episode {
    uint32_t node;
    std::string kind;  // pause, starve, isolation
    double from, to;
    uint32_t from_line, to_line;
};

}  // namespace

CheckResult suspicion_refutation(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    Views views(h);
    ResultBuilder rb("suspicion_refutation", h, options);
    BoundSpec spec = bound_spec(options, "bound", kRefuteBound);
    BoundSpec rejoin_spec = bound_spec(options, "rejoin_bound", kHealBound);
    BoundSpec short_spec = bound_spec(options, "short_below", "suspicion_min");
    BoundSpec long_spec = bound_spec(options, "long_above", kDetectBound);
    bool suspicion = ctx.has("suspicion_events");
    bool incarnations = ctx.has("incarnations");

    std::vector<Episode> eps;
    for (uint32_t m = 0; m < truth.n; ++m) {
        for (const Interval& p : truth.pauses[m])
            if (p.to < truth.end_t && truth.live(m, p.to))
                eps.push_back({m, "pause", p.from, p.to, p.from_line, p.to_line});
        for (const Interval& p : truth.starves[m])
            if (p.to < truth.end_t && truth.live(m, p.to))
                eps.push_back({m, "starve", p.from, p.to, p.from_line, p.to_line});
    }
    for (const Epoch& e : truth.epochs) {
        if (e.to >= truth.end_t) continue;
        for (uint32_t m = 0; m < truth.n; ++m) {
            if (!truth.live(m, e.from) || !truth.live(m, e.to)) continue;
            bool alone = true, others = false;
            for (uint32_t o = 0; o < truth.n && alone; ++o) {
                if (o == m || !truth.live(o, e.from)) continue;
                others = true;
                alone = e.comp[o] != e.comp[m];
            }
            if (alone && others)
                eps.push_back({m, "isolation", e.from, e.to, e.from_line, e.to_line});
        }
    }
    std::sort(eps.begin(), eps.end(), [](const Episode& a, const Episode& b) {
        return a.from_line != b.from_line ? a.from_line < b.from_line : a.node < b.node;
    });

    json items = json::array();
    size_t checked = 0, failed = 0;
    bool need_suspicion = false, need_inc = false;
    double first_bound = -1, head_score = -1, head_bound = 0;
    json head_measured = nullptr;
    const BoundSpec* head_spec = nullptr;
    for (const Episode& ep : eps) {
        const uint32_t m = ep.node;
        double n = double(truth.live_count(ep.from));
        double bound = bound_value(spec, ctx, n), rejoin = bound_value(rejoin_spec, ctx, n);
        double short_below = bound_value(short_spec, ctx, n);
        double long_above = bound_value(long_spec, ctx, n);
        if (first_bound < 0) first_bound = bound;
        double d = ep.to - ep.from;
        std::string cls = d < short_below ? "short" : d >= long_above ? "long" : "middle";
        const Life* life = truth.life_at(m, ep.to);
        double life_end = life ? life->end : ep.to;
        json it = {{"node", h.ids[m]},
                   {"kind", ep.kind},
                   {"from", ep.from},
                   {"to", ep.to},
                   {"duration", d},
                   {"class", cls},
                   {"short_below", short_below},
                   {"long_above", long_above},
                   {"ref", ep.from_line}};
        std::string subject = h.ids[m] + " " + ep.kind + " " + fmt(ep.from) + "-" + fmt(ep.to) +
                              " s (" + fmt(d) + " s, " + cls + ")";
        json dead_by = json::array(), suspected_by = json::array(), lags = json::object();
        bool ep_failed = false, truncated = false;
        auto fail = [&](const std::string& why) {
            if (!ep_failed) rb.evidence(ep.from, m, ep.kind + " began", ep.from_line);
            ep_failed = true;
            rb.fail(subject + ": " + why);
        };
        for (uint32_t o = 0; o < truth.n; ++o) {
            if (o == m) continue;
            double wend = std::min({ep.to + std::max(bound, rejoin), life_end, truth.end_t});
            if (!truth.steady(o, ep.from, wend)) continue;
            if (ep.kind == "isolation" && !truth.separated(o, m, ep.from)) continue;
            ViewState before = views.at(o, m, ep.from_line);
            if (before.state == MemberState::none) continue;  // did not know it yet
            // Walk O's view of M through the episode and the refutation window.
            bool declared_dead = false, suspected = false;
            bool pending = before.state == MemberState::suspect ||
                           before.state == MemberState::dead || before.state == MemberState::left;
            int64_t pending_inc = pending ? before.inc : -1;
            const Event* death = nullptr;
            double cleared_at = -1;
            ViewState last = before;
            views.first(o, m, ep.from_line, wend, [&](const Event& e) {
                last = {e.state, e.incarnation, e.t, e.line};
                if (e.state == MemberState::suspect || e.state == MemberState::dead ||
                    e.state == MemberState::left) {
                    if (e.state == MemberState::suspect)
                        suspected = true;
                    else if (!declared_dead) {
                        declared_dead = true;
                        death = &e;
                    }
                    pending = true;
                    pending_inc = std::max(pending_inc, e.incarnation);
                    cleared_at = -1;
                } else if (e.state == MemberState::alive && pending &&
                           (!incarnations || e.incarnation > pending_inc)) {
                    pending = false;
                    cleared_at = e.t;
                }
                return false;
            });
            if (suspected) suspected_by.push_back(h.ids[o]);
            if (declared_dead) dead_by.push_back(h.ids[o]);
            if (declared_dead && cls == "short") {
                rb.evidence(death->t, o,
                            h.ids[o] + " declared " + h.ids[m] + " " + to_string(death->state) +
                                " although it was away only " + fmt(d) + " s (< " +
                                fmt(short_below) + " s)",
                            death->line);
                fail(h.ids[o] + " declared it dead");
            }
            if (cls == "long" && ep.kind != "starve" && (!death || death->t > ep.to)) {
                rb.evidence(ep.to, o,
                            h.ids[o] + " had not declared " + h.ids[m] + " dead when it came back",
                            before.line);
                fail(h.ids[o] + " never declared it dead while it was away");
            }
            double limit = ep.to + (declared_dead ? rejoin : bound);
            bool ok_end = !pending && last.state == MemberState::alive;
            if (!ok_end || (cleared_at > limit)) {
                if (wend < limit && !ok_end) {
                    truncated = true;
                    continue;
                }
                std::string want = declared_dead ? "rejoin" : "refutation";
                rb.evidence(std::min(wend, limit), o,
                            h.ids[o] + " still sees " + h.ids[m] + " " + describe(last) + " " +
                                fmt(limit - ep.to) + " s after the " + ep.kind + " ended (" + want +
                                " expected)",
                            last.line ? last.line : ep.to_line);
                fail(h.ids[o] + " did not see it alive again" +
                     std::string(incarnations ? " with a higher incarnation" : "") + " within " +
                     fmt(limit - ep.to) + " s");
            } else if (cleared_at >= 0) {
                double lag = std::max(0.0, cleared_at - ep.to);
                lags[h.ids[o]] = lag;
                // The headline: the refutation (or rejoin) closest to its own bound.
                double allowed = limit - ep.to;
                if (allowed > 0 && lag / allowed > head_score) {
                    head_score = lag / allowed;
                    head_measured = lag;
                    head_spec = declared_dead ? &rejoin_spec : &spec;
                    head_bound = allowed;
                }
            }
        }
        if (!suspicion && cls != "long") need_suspicion = true;
        if (!incarnations) need_inc = true;
        it["declared_dead_by"] = std::move(dead_by);
        it["suspected_by"] = suspicion ? std::move(suspected_by) : json(nullptr);
        it["alive_again_after"] = std::move(lags);
        it["status"] = ep_failed ? "fail" : truncated ? "truncated" : "pass";
        ++checked;
        if (ep_failed) ++failed;
        items.push_back(std::move(it));
    }
    rb.r.metrics = {{"episodes", items}, {"count", eps.size()}, {"failed", failed}};
    if (head_spec)
        rb.r.bound = bound_json(*head_spec, head_bound);
    else if (first_bound >= 0)
        rb.r.bound = bound_json(spec, first_bound);
    rb.r.measured = head_measured;
    if (eps.empty())
        rb.unknown(
            "nothing to check: no pause, starvation or isolation that ended before the run's end");
    if (need_suspicion)
        rb.unknown(
            "which nodes suspected the node cannot be known (no suspicion_events feature); "
            "the rest was checked");
    if (need_inc)
        rb.unknown(
            "refutation with a higher incarnation cannot be checked (no incarnations "
            "feature); the rest was checked");
    return rb.finish(std::to_string(checked) +
                     " episode(s): short ones refuted without deaths, "
                     "long ones declared dead and rejoined");
}

}  // namespace gossiplab::checkers::detail
