// suspicion_refutation: a node that was briefly unavailable is suspected but never declared
// dead, and refutes with a higher incarnation; one away for longer is declared dead and rejoins.
#include "checks.hpp"
#include "common.hpp"
#include "timing.hpp"

#include <algorithm>
#include <cstdint>

namespace gossiplab::checkers::detail {

namespace {

struct Episode {
    uint32_t node;
    std::string kind;  // pause, starve, isolation
    double from, to;
    uint32_t from_line, to_line;
};

// The episodes that ended before the run did, with the node live again: pauses, starvations,
// and partitions that isolated one node from every other live one; in line order.
std::vector<Episode> episodes_of(const Truth& truth) {
    std::vector<Episode> eps;
    for (uint32_t m = 0; m < truth.n; ++m) {
        for (const Interval& p : truth.pauses[m])
            if (p.to < truth.end_t && truth.live(m, p.to))
                eps.push_back({m, "pause", p.from, p.to, p.from_line, p.to_line});
        for (const Interval& p : truth.starves[m])
            if (p.to < truth.end_t && truth.live(m, p.to))
                eps.push_back({m, "starve", p.from, p.to, p.from_line, p.to_line});
    }
    // An isolation that goes on through several epochs (a swizzle-clog clogs and restores the
    // others one by one around it) is one episode, from its first epoch to its last.
    std::vector<size_t> isolated(truth.n, SIZE_MAX);  // per node: its open isolation episode
    for (const Epoch& e : truth.epochs) {
        for (uint32_t m = 0; m < truth.n; ++m) {
            if (!truth.live(m, e.from) || !truth.live(m, std::min(e.to, truth.end_t))) {
                isolated[m] = SIZE_MAX;
                continue;
            }
            bool alone = true, others = false;
            for (uint32_t o = 0; o < truth.n && alone; ++o) {
                if (o == m || !truth.live(o, e.from)) continue;
                others = true;
                alone = e.comp[o] != e.comp[m];
            }
            if (!(alone && others)) {
                isolated[m] = SIZE_MAX;
                continue;
            }
            if (isolated[m] != SIZE_MAX && eps[isolated[m]].to_line == e.from_line) {
                eps[isolated[m]].to = e.to;
                eps[isolated[m]].to_line = e.to_line;
                continue;
            }
            isolated[m] = eps.size();
            eps.push_back({m, "isolation", e.from, e.to, e.from_line, e.to_line});
        }
    }
    // Only the episodes that ended before the run did, with the node live again.
    eps.erase(std::remove_if(eps.begin(), eps.end(),
                             [&](const Episode& ep) {
                                 return ep.kind == "isolation" &&
                                        (ep.to >= truth.end_t || !truth.live(ep.node, ep.to));
                             }),
              eps.end());
    std::sort(eps.begin(), eps.end(), [](const Episode& a, const Episode& b) {
        return a.from_line != b.from_line ? a.from_line < b.from_line : a.node < b.node;
    });
    return eps;
}

// One observer's view of the member through the episode and the refutation window.
struct Walk {
    bool declared_dead = false, suspected = false;
    bool pending = false;  // suspected, dead or left, and not yet refuted
    int64_t pending_inc = -1;
    const Event* death = nullptr;
    double cleared_at = -1;  // when the view became alive again (-1: not since the last doubt)
    ViewState last;
};

Walk walk(const Views& views, uint32_t o, uint32_t m, uint32_t from_line, double wend,
          const ViewState& before, bool incarnations) {
    Walk w;
    w.pending = before.state == MemberState::suspect || before.state == MemberState::dead ||
                before.state == MemberState::left;
    w.pending_inc = w.pending ? before.inc : -1;
    w.last = before;
    views.first(o, m, from_line, wend, [&](const Event& e) {
        w.last = {e.state, e.incarnation, e.t, e.line};
        if (e.state == MemberState::suspect || e.state == MemberState::dead ||
            e.state == MemberState::left) {
            if (e.state == MemberState::suspect)
                w.suspected = true;
            else if (!w.declared_dead) {
                w.declared_dead = true;
                w.death = &e;
            }
            w.pending = true;
            w.pending_inc = std::max(w.pending_inc, e.incarnation);
            w.cleared_at = -1;
        } else if (e.state == MemberState::alive && w.pending &&
                   (!incarnations || e.incarnation > w.pending_inc)) {
            w.pending = false;
            w.cleared_at = e.t;
        }
        return false;
    });
    return w;
}

// What is known of one episode while its observers are judged.
struct EpisodeState {
    const Episode& ep;
    // The bounds at the episode's N.
    double bound = 0, model = 0, rejoin = 0, short_below = 0, long_above = 0;
    double d = 0;         // its duration
    std::string cls{};    // short, middle or long
    double life_end = 0;  // the end of the member's life that the episode ended in
    std::string subject{};
    json dead_by = json::array(), suspected_by = json::array(), lags = json::object();
    bool failed = false, truncated = false;
};

// Judges each episode in turn and accumulates the result.
class Judge {
  public:
    Judge(const Context& ctx, const json& options)
        : ctx_(ctx),
          h_(ctx.history),
          truth_(ctx.truth()),
          views_(h_),
          rb_("suspicion_refutation", h_, options),
          spec_(timing_spec("suspicion_refutation", Obliged::refute, options, profile_of(ctx))),
          rejoin_spec_(
              timing_spec("suspicion_refutation", Obliged::rejoin, options, profile_of(ctx))),
          short_spec_(bound_spec(options, "short_below", "suspicion_min")),
          long_spec_(long_pause_spec(options, profile_of(ctx))),
          model_(model_mode(options)),
          suspicion_(ctx.has("suspicion_events")),
          incarnations_(ctx.has("incarnations")) {}

    void judge(const Episode& ep) {
        const uint32_t m = ep.node;
        double n = double(truth_.live_count(ep.from));
        EpisodeState st{ep};
        // The guarantee decides; the model is compared with (docs/checkers.md).
        st.bound = bound_value(spec_.guarantee, ctx_, n);
        st.model = bound_value(spec_.model, ctx_, n);
        st.rejoin = bound_value(rejoin_spec_.guarantee, ctx_, n);
        st.short_below = bound_value(short_spec_, ctx_, n);
        st.long_above = bound_value(long_spec_, ctx_, n);
        if (first_bound_ < 0) first_bound_ = st.bound;
        st.d = ep.to - ep.from;
        st.cls = st.d < st.short_below ? "short" : st.d >= st.long_above ? "long" : "middle";
        const Life* life = truth_.life_at(m, ep.to);
        st.life_end = life ? life->end : ep.to;
        json it = {{"node", h_.ids[m]},
                   {"kind", ep.kind},
                   {"from", ep.from},
                   {"to", ep.to},
                   {"duration", st.d},
                   {"class", st.cls},
                   {"short_below", st.short_below},
                   {"long_above", st.long_above},
                   {"ref", ep.from_line}};
        st.subject = h_.ids[m] + " " + ep.kind + " " + fmt(ep.from) + "-" + fmt(ep.to) + " s (" +
                     fmt(st.d) + " s, " + st.cls + ")";
        for (uint32_t o = 0; o < truth_.n; ++o)
            if (o != m) observer(st, o);
        if (!suspicion_ && st.cls != "long") need_suspicion_ = true;
        if (!incarnations_) need_inc_ = true;
        it["declared_dead_by"] = std::move(st.dead_by);
        it["suspected_by"] = suspicion_ ? std::move(st.suspected_by) : json(nullptr);
        it["alive_again_after"] = std::move(st.lags);
        it["status"] = st.failed ? "fail" : st.truncated ? "truncated" : "pass";
        ++checked_;
        if (st.failed) ++failed_;
        items_.push_back(std::move(it));
    }

    CheckResult finish(size_t count) {
        rb_.r.metrics = {{"episodes", items_}, {"count", count}, {"failed", failed_}};
        if (head_spec_)
            rb_.r.bound = bound_json(*head_spec_, head_bound_);
        else if (first_bound_ >= 0)
            rb_.r.bound = bound_json(spec_.guarantee, first_bound_);
        model_.finish(rb_, "refutation(s)");
        rb_.r.measured = head_measured_;
        if (count == 0)
            rb_.unknown(
                "nothing to check: no pause, starvation or isolation that ended before the run's "
                "end");
        if (need_suspicion_)
            rb_.not_applicable(
                "which nodes suspected the node cannot be known (no suspicion_events feature); "
                "the rest was checked");
        if (need_inc_)
            rb_.not_applicable(
                "refutation with a higher incarnation cannot be checked (no incarnations "
                "feature); being seen alive again was checked");
        return rb_.finish(std::to_string(checked_) +
                          " episode(s): short ones refuted without deaths, "
                          "long ones declared dead and rejoined");
    }

  private:
    void fail(EpisodeState& st, const std::string& why) {
        if (!st.failed)
            rb_.evidence(st.ep.from, st.ep.node, st.ep.kind + " began", st.ep.from_line);
        st.failed = true;
        rb_.fail(st.subject + ": " + why);
    }

    // Observer O, up through the episode and its window, that knew the member before.
    void observer(EpisodeState& st, uint32_t o) {
        const Episode& ep = st.ep;
        const uint32_t m = ep.node;
        double wend = std::min({ep.to + std::max(st.bound, st.rejoin), st.life_end, truth_.end_t});
        if (!truth_.steady(o, ep.from, wend)) return;
        if (ep.kind == "isolation" && !truth_.separated(o, m, ep.from)) return;
        // An observer cut off from the member after the episode ended (another partition, a
        // clog of its own: a swizzle-clog restores nodes one by one) cannot see it come back:
        // the heal that reconnects them is membership_convergence's to judge.
        if (truth_.separated_during(o, m, ep.to, wend)) return;
        ViewState before = views_.at(o, m, ep.from_line);
        if (before.state == MemberState::none) return;  // did not know it yet
        const Walk w = walk(views_, o, m, ep.from_line, wend, before, incarnations_);
        if (w.suspected) st.suspected_by.push_back(h_.ids[o]);
        if (w.declared_dead) st.dead_by.push_back(h_.ids[o]);
        if (w.declared_dead && st.cls == "short") {
            rb_.evidence(w.death->t, o,
                         h_.ids[o] + " declared " + h_.ids[m] + " " + to_string(w.death->state) +
                             " although it was away only " + fmt(st.d) + " s (< " +
                             fmt(st.short_below) + " s)",
                         w.death->line);
            fail(st, h_.ids[o] + " declared it dead");
        }
        if (st.cls == "long" && ep.kind != "starve" && (!w.death || w.death->t > ep.to)) {
            rb_.evidence(ep.to, o,
                         h_.ids[o] + " had not declared " + h_.ids[m] + " dead when it came back",
                         before.line);
            fail(st, h_.ids[o] + " never declared it dead while it was away");
        }
        refutation(st, o, w, wend);
    }

    // The member must be seen alive again within the refutation (or rejoin) bound.
    void refutation(EpisodeState& st, uint32_t o, const Walk& w, double wend) {
        const Episode& ep = st.ep;
        double limit = ep.to + (w.declared_dead ? st.rejoin : st.bound);
        bool ok_end = !w.pending && w.last.state == MemberState::alive;
        if (!ok_end || (w.cleared_at > limit)) {
            if (wend < limit && !ok_end) {
                st.truncated = true;
                return;
            }
            std::string want = w.declared_dead ? "rejoin" : "refutation";
            rb_.evidence(std::min(wend, limit), o,
                         h_.ids[o] + " still sees " + h_.ids[ep.node] + " " + describe(w.last) +
                             " " + fmt(limit - ep.to) + " s after the " + ep.kind + " ended (" +
                             want + " expected)",
                         w.last.line ? w.last.line : ep.to_line);
            fail(st, h_.ids[o] + " did not see it alive again" +
                         std::string(incarnations_ ? " with a higher incarnation" : "") +
                         " within " + fmt(limit - ep.to) + " s");
        } else if (w.cleared_at >= 0) {
            double lag = std::max(0.0, w.cleared_at - ep.to);
            st.lags[h_.ids[o]] = lag;
            // The headline: the refutation (or rejoin) closest to its own bound.
            double allowed = limit - ep.to;
            if (allowed > 0 && lag / allowed > head_score_) {
                head_score_ = lag / allowed;
                head_measured_ = lag;
                head_spec_ = w.declared_dead ? &rejoin_spec_.guarantee : &spec_.guarantee;
                head_bound_ = allowed;
            }
            if (!w.declared_dead)
                model_.item(
                    lag, st.model, ep.to, o,
                    h_.ids[o] + " saw " + h_.ids[ep.node] + " alive again after its " + ep.kind,
                    ep.to_line);
        }
    }

    const Context& ctx_;
    const History& h_;
    const Truth& truth_;
    Views views_;
    ResultBuilder rb_;
    TimingSpec spec_, rejoin_spec_;
    BoundSpec short_spec_, long_spec_;
    ModelTally model_;
    bool suspicion_, incarnations_;
    json items_ = json::array();
    size_t checked_ = 0, failed_ = 0;
    bool need_suspicion_ = false, need_inc_ = false;
    double first_bound_ = -1, head_score_ = -1, head_bound_ = 0;
    json head_measured_ = nullptr;
    const BoundSpec* head_spec_ = nullptr;
};

}  // namespace

CheckResult suspicion_refutation(const Context& ctx, const json& options) {
    Judge judge(ctx, options);  // reads the options in the order their errors are reported
    const std::vector<Episode> eps = episodes_of(ctx.truth());
    for (const Episode& ep : eps) judge.judge(ep);
    return judge.finish(eps.size());
}

}  // namespace gossiplab::checkers::detail
