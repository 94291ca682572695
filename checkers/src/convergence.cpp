// membership_convergence and partition_healing: after each membership change, how long until
// every live observer's view of the changed members matches the truth.
#include "checks.hpp"
#include "common.hpp"
#include "timing.hpp"

#include <algorithm>
#include <map>

namespace gossiplab::checkers::detail {

namespace {

struct ChangeOutcome {
    json metrics;
    bool failed = false;
    bool measured = false;
    double convergence = 0;
};

const char* change_what(ChangeKind k) {
    switch (k) {
        case ChangeKind::start:
            return "started";
        case ChangeKind::restart:
            return "restarted";
        case ChangeKind::crash:
            return "crashed";
        case ChangeKind::leave:
            return "was told to leave";
        case ChangeKind::heal:
            return "partition healed";
    }
    return "?";
}

// The end of the window in which a change is measured: the next change of the same node, or,
// for a heal, the next partition; the run's end otherwise. Any partition or heal also ends the
// window of a change whose obligations need reachability (start, restart).
double window_end(const Truth& truth, size_t i) {
    const Change& c = truth.changes[i];
    double end = truth.end_t;
    for (size_t j = i + 1; j < truth.changes.size(); ++j) {
        const Change& d = truth.changes[j];
        if (c.node != kNone && d.node == c.node) return std::min(end, d.t);
    }
    bool needs_reach =
        c.kind == ChangeKind::start || c.kind == ChangeKind::restart || c.kind == ChangeKind::heal;
    if (needs_reach)
        for (const Epoch& e : truth.epochs)
            if (e.from > c.t) end = std::min(end, e.from);
    return end;
}

// What one change obliges: the (observer, member, wanted state) triples whose views must
// change, and whose lag each counts towards. Only observers steady through the window count.
struct Obligations {
    std::vector<Obligation> obs;
    std::vector<uint32_t> owner;
    void add(Obligation ob, uint32_t who) {
        obs.push_back(ob);
        owner.push_back(who);
    }
};

Obligations obligations_of(const Context& ctx, const Truth& truth, const Views& views,
                           const Change& c, double horizon, const json& options) {
    const bool incarnations = ctx.has("incarnations");
    const bool accept_dead_for_leave = opt_bool(options, "leave_accepts_dead", false);
    Obligations out;
    const uint32_t m = c.node;
    const bool subject_steady = m == kNone || c.kind == ChangeKind::crash ||
                                truth.steady(m, c.t, std::min(horizon, truth.end_t));
    for (uint32_t o = 0; o < truth.n; ++o) {
        if (o == m || !truth.steady(o, c.t, horizon)) continue;
        switch (c.kind) {
            case ChangeKind::start:
            case ChangeKind::restart: {
                if (!subject_steady || truth.separated_during(o, m, c.t, horizon)) break;
                Obligation a{o, m, Want::alive};
                if (c.kind == ChangeKind::restart && incarnations) {
                    a.want = Want::alive_above;
                    a.above = views.max_inc(o, m, c.line);
                }
                out.add(a, o);
                out.add(Obligation{m, o, Want::alive}, m);
                break;
            }
            case ChangeKind::crash:
                out.add(Obligation{o, m, Want::dead}, o);
                break;
            case ChangeKind::leave:
                out.add(Obligation{o, m, accept_dead_for_leave ? Want::dead_or_left : Want::left},
                        o);
                break;
            case ChangeKind::heal:
                for (uint32_t x = 0; x < truth.n; ++x)
                    if (x != o && truth.steady(x, c.t, horizon) &&
                        !truth.separated_during(o, x, c.t, horizon))
                        out.add(Obligation{o, x, Want::alive}, o);
                break;
        }
    }
    return out;
}

// Measures one change: builds the obligations, evaluates them, adds evidence and metrics.
ChangeOutcome measure(const Context& ctx, const Truth& truth, const Views& views, size_t i,
                      const TimingSpec& spec, ResultBuilder& rb, ModelTally& model,
                      const json& options) {
    const History& h = ctx.history;
    const Change& c = truth.changes[i];
    ChangeOutcome out;
    double n = double(truth.live_count(c.t)) + (c.kind == ChangeKind::crash ? 1 : 0);
    // The guarantee decides; the model is compared with (docs/checkers.md).
    double bound = bound_value(spec.guarantee, ctx, n);
    double model_bound = spec.has_model ? bound_value(spec.model, ctx, n) : bound;
    double wend = window_end(truth, i);
    double horizon = std::min(wend, c.t + bound);
    bool incarnations = ctx.has("incarnations");
    Obligations ob_set = obligations_of(ctx, truth, views, c, horizon, options);
    const std::vector<Obligation>& obs = ob_set.obs;
    const std::vector<uint32_t>& owner = ob_set.owner;

    std::map<std::string, double> lags;
    std::vector<size_t> missing;
    double worst = 0;
    uint32_t slowest = kNone, slowest_about = kNone;
    Want slowest_want = Want::alive;
    for (size_t k = 0; k < obs.size(); ++k) {
        const Obligation& ob = obs[k];
        // A crashed or departed member the observer never knew needs no news.
        if ((ob.want == Want::dead || ob.want == Want::left || ob.want == Want::dead_or_left) &&
            views.at(ob.o, ob.m, c.line).state == MemberState::none &&
            views.first(ob.o, ob.m, c.line, wend, [](const Event&) { return true; }) == nullptr)
            continue;
        Outcome r = evaluate(views, ob, c.line, c.t, wend);
        std::string who = h.ids[owner[k]];
        if (r.met) {
            auto& l = lags[who];
            l = std::max(l, r.lag);
            if (r.lag >= worst) {
                worst = r.lag;
                slowest = owner[k];
                slowest_about = ob.o == owner[k] ? ob.m : ob.o;
                slowest_want = ob.want;
            }
            if (r.lag > bound) {
                rb.evidence(r.event->t, ob.o,
                            h.ids[ob.o] + " saw " + h.ids[ob.m] + " " + to_string(ob.want) +
                                " only after " + fmt(r.lag) + " s (bound " + fmt(bound) + " s)",
                            r.event->line);
            }
        } else {
            missing.push_back(k);
            lags[who] = -1;
        }
    }

    json mt = {{"kind", to_string(c.kind)},
               {"t", c.t},
               {"ref", c.line},
               {"bound", bound},
               {"model_bound", spec.has_model ? json(model_bound) : json(nullptr)},
               {"obligations", obs.size()}};
    mt["node"] = c.node == kNone ? json(nullptr) : json(h.ids[c.node]);
    json lag_json = json::object();
    for (const auto& [k, v] : lags) lag_json[k] = v < 0 ? json(nullptr) : json(v);
    mt["lags"] = std::move(lag_json);

    std::string subject = c.node == kNone ? std::string("partition healed")
                                          : h.ids[c.node] + " " + change_what(c.kind);
    std::string status;
    if (!missing.empty()) {
        bool had_time = wend - c.t >= bound;
        if (had_time) {
            status = "not_converged";
            out.failed = true;
            rb.evidence(c.t, c.node, subject, c.line);
            for (size_t k : missing) {
                const Obligation& ob = obs[k];
                ViewState last = evaluate(views, ob, c.line, c.t, wend).last;
                rb.evidence(std::min(wend, c.t + bound), ob.o,
                            h.ids[ob.o] + " still sees " + h.ids[ob.m] + " " + describe(last) +
                                " (expected " + to_string(ob.want) + ") " + fmt(bound) +
                                " s after the change",
                            last.line ? last.line : c.line);
            }
            rb.fail(subject + " at " + fmt(c.t) + " s: " + std::to_string(missing.size()) +
                    " view(s) did not converge within " + fmt(bound) + " s (first: " +
                    h.ids[obs[missing[0]].o] + " about " + h.ids[obs[missing[0]].m] + ")");
        } else {
            status = wend >= truth.end_t ? "truncated" : "superseded";
        }
    } else if (obs.empty()) {
        status = "no_observer";
    } else {
        out.measured = true;
        out.convergence = worst;
        mt["convergence"] = worst;
        mt["slowest"] = slowest == kNone ? json(nullptr) : json(h.ids[slowest]);
        if (worst > bound) {
            status = "late";
            out.failed = true;
            rb.evidence(c.t, c.node, subject, c.line);
            rb.fail(subject + " at " + fmt(c.t) + " s: converged after " + fmt(worst) +
                    " s, bound " + fmt(bound) + " s (slowest " + id(h, slowest) + ")");
        } else {
            status = "converged";
            if (spec.has_model)
                model.item(worst, model_bound, c.t, slowest,
                           id(h, slowest) + " saw " + id(h, slowest_about) + " " +
                               to_string(slowest_want) + " (" + subject + " at " + fmt(c.t) +
                               " s)",
                           c.line);
        }
    }
    if (c.kind == ChangeKind::restart && !incarnations && !obs.empty())
        rb.not_applicable(
            "a restart's higher incarnation cannot be checked (no incarnations feature); the "
            "restarted node was checked to be seen alive");
    mt["status"] = status;
    out.metrics = std::move(mt);
    return out;
}

// At the run's end every settled view must hold the truth: a node live and connected long
// enough is alive (or suspect) in every live observer's view, and a node gone (crashed, left,
// never started) long enough is not. This catches what a per-change first match cannot: a view
// that was right once and went wrong later, or a late joiner that learned a dead node as alive.
json final_views(const Context& ctx, const Truth& truth, const Views& views,
                 const TimingSpec& join_spec, const TimingSpec& crash_spec, ResultBuilder& rb) {
    const History& h = ctx.history;
    const double end = truth.end_t;
    const double eps = 1e-6;
    double n = double(std::max<size_t>(truth.live_count(end - eps), 1));
    double settle_alive = bound_value(join_spec.guarantee, ctx, n);
    double settle_gone = bound_value(crash_spec.guarantee, ctx, n + 1);
    // The last line at or before the end (teardown lines come after it).
    auto it = std::upper_bound(h.events.begin(), h.events.end(), end,
                               [](double t, const Event& e) { return t < e.t; });
    uint32_t line = it == h.events.begin() ? 0 : (it - 1)->line;
    size_t observers = 0, checked = 0, mismatches = 0;
    std::string first;
    for (uint32_t o = 0; o < truth.n; ++o) {
        if (!truth.steady(o, end - settle_alive, end - eps)) continue;
        ++observers;
        for (uint32_t x = 0; x < truth.n; ++x) {
            if (x == o) continue;
            ViewState v = views.at(o, x, line);
            std::string want;
            bool ok = true;
            const Life* life = truth.life_at(x, end - eps);
            if (life) {
                if (life->start > end - settle_alive || life->leave_t < kForever ||
                    !truth.steady(x, end - settle_alive, end - eps) ||
                    truth.separated_during(o, x, end - settle_alive, end))
                    continue;
                want = "alive";
                ok = v.state == MemberState::alive || v.state == MemberState::suspect;
            } else {
                double gone = -kForever;
                for (const Life& l : truth.lives[x])
                    gone = std::max(gone, std::min(l.end, l.leave_t));
                if (gone > end - settle_gone) continue;
                want = truth.ever_started(x) ? "dead or left" : "absent (never started)";
                ok = v.state == MemberState::none || v.state == MemberState::dead ||
                     v.state == MemberState::left;
            }
            ++checked;
            if (ok) continue;
            ++mismatches;
            std::string what = h.ids[o] + " sees " + h.ids[x] + " " + describe(v) +
                               " at the end of the run (expected " + want + ")";
            if (first.empty()) first = what;
            rb.evidence(end, o, what, v.line ? v.line : line);
        }
    }
    if (mismatches)
        rb.fail("final views: " + std::to_string(mismatches) +
                " view(s) wrong at the run's end; first: " + first);
    return {{"t", end},
            {"settle_alive", settle_alive},
            {"settle_gone", settle_gone},
            {"observers", observers},
            {"checked", checked},
            {"mismatches", mismatches}};
}

CheckResult run_changes(const Context& ctx, const json& options, const std::string& check,
                        bool heals_only) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    Views views(h);
    ResultBuilder rb(check, h, options);
    std::map<ChangeKind, TimingSpec> specs;
    const json profile = profile_of(ctx);
    auto spec = [&](Obliged k) { return timing_spec(check, k, options, profile); };
    specs[ChangeKind::heal] = spec(Obliged::heal);
    if (!heals_only) {
        specs[ChangeKind::start] = specs[ChangeKind::restart] = spec(Obliged::join);
        specs[ChangeKind::crash] = spec(Obliged::crash);
        specs[ChangeKind::leave] = spec(Obliged::leave);
    }
    ModelTally model(model_mode(options));
    json changes = json::array();
    size_t count = 0, converged = 0, failed = 0;
    // The headline pairs one change's bound with its own measured time: the first failure, else
    // the change that came closest to its bound.
    double head_score = -1, head_bound = 0;
    json head_measured = nullptr;
    const TimingSpec* head_spec = nullptr;
    for (size_t i = 0; i < truth.changes.size(); ++i) {
        const Change& c = truth.changes[i];
        if (heals_only && c.kind != ChangeKind::heal) continue;
        ++count;
        ChangeOutcome r = measure(ctx, truth, views, i, specs[c.kind], rb, model, options);
        double bound = r.metrics["bound"].get<double>();
        double score = r.failed     ? (head_score >= 1e300 ? -1 : 1e300)
                       : r.measured ? (bound > 0 ? r.convergence / bound : 0)
                                    : -1;
        if (score > head_score || !head_spec) {
            if (score > head_score) head_score = score;
            head_spec = &specs[c.kind];
            head_bound = bound;
            head_measured = r.metrics.value("convergence", json(nullptr));
        }
        if (r.measured) ++converged;
        if (r.failed) ++failed;
        changes.push_back(std::move(r.metrics));
    }
    rb.r.metrics["changes"] = std::move(changes);
    if (!heals_only && opt_bool(options, "final_views", true))
        rb.r.metrics["final"] =
            final_views(ctx, truth, views, specs[ChangeKind::start], specs[ChangeKind::crash], rb);
    rb.r.metrics["count"] = count;
    rb.r.metrics["converged"] = converged;
    rb.r.metrics["failed"] = failed;
    if (head_spec) rb.r.bound = bound_json(head_spec->guarantee, head_bound);
    model.finish(rb, "change(s)");
    rb.r.measured = head_measured;
    double measured = head_measured.is_number() ? head_measured.get<double>() : -1;
    const char* what = heals_only ? "heal" : "membership change";
    if (count == 0)
        rb.unknown(std::string("nothing to check: no ") + what + " in this history");
    else if (converged == 0 && failed == 0)
        rb.unknown(std::string("no ") + what +
                   " could be measured (each was superseded or cut off by the run's end)");
    return rb.finish(std::to_string(converged) + " of " + std::to_string(count) + " " + what +
                     "(s) converged within their bounds (closest: " + fmt(std::max(0.0, measured)) +
                     " s of " + fmt(head_bound) + " s)");
}

}  // namespace

CheckResult membership_convergence(const Context& ctx, const json& options) {
    return run_changes(ctx, options, "membership_convergence", false);
}

CheckResult partition_healing(const Context& ctx, const json& options) {
    return run_changes(ctx, options, "partition_healing", true);
}

}  // namespace gossiplab::checkers::detail
