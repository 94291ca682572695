// failure_detection (completeness): every crashed or cut-off node is declared dead by every live
// node that can no longer reach it, within the bound.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <cmath>

namespace gossiplab::checkers::detail {

namespace {

struct Failure {
    uint32_t node;
    double t;
    uint32_t line;
    double until;  // end of the window: the node's next start, the heal, or the run's end
    const Epoch* epoch = nullptr;  // set for a partition
    std::string cause;
};

}  // namespace

CheckResult failure_detection(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    Views views(h);
    ResultBuilder rb("failure_detection", h, options);
    BoundSpec spec = bound_spec(options, "bound", kDetectBound);
    bool accept_left = opt_bool(options, "accept_left", false);
    bool partitions = opt_bool(options, "partitions", true);
    Want want = accept_left ? Want::dead_or_left : Want::dead;
    bool suspicion = ctx.has("suspicion_events");
    double probe = 0;
    const json profile = profile_of(ctx);
    if (auto p = profile.find("probe_interval"); p != profile.end() && p->is_number())
        probe = p->get<double>();

    std::vector<Failure> failures;
    for (const Change& c : truth.changes) {
        if (c.kind != ChangeKind::crash) continue;
        Failure f{c.node, c.t, c.line, truth.end_t, nullptr, "crashed"};
        for (const Life& l : truth.lives[c.node])
            if (l.start >= c.t) {
                f.until = std::min(f.until, l.start);
                break;
            }
        if (const Action* a = [&]() -> const Action* {
                for (const Action& x : h.actions)
                    if (x.line == c.line) return &x;
                return nullptr;
            }();
            a && a->type == ActionType::kill)
            f.cause = "killed";
        failures.push_back(f);
    }
    if (partitions)
        for (const Epoch& e : truth.epochs)
            for (uint32_t m = 0; m < truth.n; ++m) {
                bool cut_off = false;
                for (uint32_t o = 0; o < truth.n && !cut_off; ++o)
                    cut_off = o != m && e.comp[o] != e.comp[m] && truth.live(o, e.from);
                if (cut_off && truth.live(m, e.from))
                    failures.push_back({m, e.from, e.from_line, std::min(e.to, truth.end_t), &e,
                                        "cut off by a partition"});
            }

    json items = json::array();
    double worst = -1, head_bound = -1, head_score = -1;
    json head_measured = nullptr;
    // The headline pairs one failure's bound with its own time: the first one that failed,
    // else the one closest to its bound.
    auto headline = [&](double bound, json measured, bool failed_now) {
        double score = failed_now                          ? (head_score >= 1e300 ? -1 : 1e300)
                       : measured.is_number() && bound > 0 ? measured.get<double>() / bound
                                                           : 0;
        if (score > head_score || head_bound < 0) {
            head_score = std::max(head_score, score);
            head_bound = bound;
            head_measured = measured;
        }
    };
    size_t checked = 0, failed = 0;
    double sum_periods = 0;
    size_t n_periods = 0;
    for (const Failure& f : failures) {
        double n = double(truth.live_count(f.t)) + (f.epoch ? 0 : 1);
        double bound = bound_value(spec, ctx, n);
        double horizon = std::min(f.until, f.t + bound);
        json it = {{"node", h.ids[f.node]},
                   {"t", f.t},
                   {"ref", f.line},
                   {"cause", f.cause},
                   {"bound", bound}};
        double first = -1, all = 0;
        uint32_t slowest = kNone;
        std::vector<std::pair<Obligation, Outcome>> missing;
        size_t observers = 0;
        for (uint32_t o = 0; o < truth.n; ++o) {
            if (o == f.node || !truth.steady(o, f.t, horizon)) continue;
            if (f.epoch && f.epoch->comp[o] == f.epoch->comp[f.node]) continue;
            if (f.epoch && !truth.steady(f.node, f.t, horizon)) continue;
            if (views.at(o, f.node, f.line).state == MemberState::none &&
                !views.first(o, f.node, f.line, f.until, [](const Event&) { return true; }))
                continue;  // never knew the node: nothing to declare
            ++observers;
            Obligation ob{o, f.node, want};
            Outcome r = evaluate(views, ob, f.line, f.t, f.until);
            if (!r.met) {
                missing.emplace_back(ob, r);
                continue;
            }
            if (first < 0 || r.lag < first) first = r.lag;
            if (r.lag >= all) {
                all = r.lag;
                slowest = o;
            }
            if (r.lag > bound)
                rb.evidence(r.event->t, o,
                            h.ids[o] + " declared " + h.ids[f.node] + " dead only after " +
                                fmt(r.lag) + " s (bound " + fmt(bound) + " s)",
                            r.event->line);
        }
        it["observers"] = observers;
        if (observers == 0) {
            it["status"] = "no_observer";
            items.push_back(std::move(it));
            continue;
        }
        if (suspicion) {
            double fs = -1;
            for (uint32_t o = 0; o < truth.n; ++o) {
                const Event* e = views.first(o, f.node, f.line, f.until, [](const Event& ev) {
                    return ev.state == MemberState::suspect || ev.state == MemberState::dead;
                });
                if (e && (fs < 0 || e->t - f.t < fs)) fs = e->t - f.t;
            }
            it["first_suspicion"] = fs < 0 ? json(nullptr) : json(fs);
            if (fs >= 0 && probe > 0) {
                it["first_suspicion_periods"] = fs / probe;
            }
        } else {
            it["first_suspicion"] = nullptr;
        }
        it["first_detection"] = first < 0 ? json(nullptr) : json(first);
        if (first >= 0 && probe > 0) {
            it["first_detection_periods"] = first / probe;
            sum_periods += first / probe;
            ++n_periods;
        }
        std::string subject = h.ids[f.node] + " " + f.cause + " at " + fmt(f.t) + " s";
        if (!missing.empty()) {
            if (f.until - f.t < bound) {
                it["status"] = f.until >= truth.end_t ? "truncated" : "superseded";
                items.push_back(std::move(it));
                continue;
            }
            ++checked;
            ++failed;
            it["status"] = "undetected";
            json und = json::array();
            rb.evidence(f.t, f.node, f.cause, f.line);
            for (const auto& [ob, r] : missing) {
                und.push_back(h.ids[ob.o]);
                rb.evidence(f.t + bound, ob.o,
                            h.ids[ob.o] + " still sees " + h.ids[f.node] + " " + describe(r.last) +
                                " at the end of the window",
                            r.last.line ? r.last.line : f.line);
            }
            it["undetected_by"] = std::move(und);
            rb.fail(subject + ": " + h.ids[missing[0].first.o] + " never declared it dead (bound " +
                    fmt(bound) + " s)" +
                    (missing.size() > 1
                         ? " and " + std::to_string(missing.size() - 1) + " more observer(s)"
                         : ""));
            worst = std::max(worst, f.until - f.t);
            headline(bound, nullptr, true);
            items.push_back(std::move(it));
            continue;
        }
        ++checked;
        it["all_detected"] = all;
        it["slowest"] = id(h, slowest);
        worst = std::max(worst, all);
        headline(bound, all, all > bound);
        if (all > bound) {
            ++failed;
            it["status"] = "late";
            rb.evidence(f.t, f.node, f.cause, f.line);
            rb.fail(subject + ": all live nodes declared it dead only after " + fmt(all) +
                    " s (bound " + fmt(bound) + " s, slowest " + id(h, slowest) + ")");
        } else {
            it["status"] = "detected";
        }
        items.push_back(std::move(it));
    }
    rb.r.metrics["failures"] = std::move(items);
    rb.r.metrics["count"] = failures.size();
    rb.r.metrics["checked"] = checked;
    rb.r.metrics["failed"] = failed;
    rb.r.metrics["mean_first_detection_periods"] =
        n_periods ? json(sum_periods / double(n_periods)) : json(nullptr);
    rb.r.metrics["swim_expected_first_detection_periods"] = std::exp(1.0) / (std::exp(1.0) - 1);
    if (head_bound >= 0) rb.r.bound = bound_json(spec, head_bound);
    rb.r.measured = head_measured;
    if (failures.empty())
        rb.unknown("nothing to check: no crash, kill or partition in this history");
    else if (checked == 0)
        rb.unknown(
            "no failure could be measured (each was superseded, cut off by the run's end, "
            "or had no live observer)");
    return rb.finish(std::to_string(checked) +
                     " failure(s) detected by every live node within the bound (closest: " +
                     fmt(head_measured.is_number() ? head_measured.get<double>() : 0.0) + " s of " +
                     fmt(head_bound) + " s; slowest " + fmt(std::max(0.0, worst)) + " s)");
}

}  // namespace gossiplab::checkers::detail
