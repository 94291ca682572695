// failure_detection (completeness): every crashed or cut-off node is declared dead by every live
// node that can no longer reach it, within the bound.
#include "checks.hpp"
#include "common.hpp"
#include "timing.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

namespace gossiplab::checkers::detail {

namespace {

// Lifeguard's confirmed suspicion: suspicion_min, plus a round-robin pass of the probe order for
// the confirmations to be raised, plus their gossip.
const std::string kConfirmedWithin =
    "suspicion_min + N * probe_interval + probe_timeout + 2 * retransmits * gossip_interval";
// With too few members to confirm, the timer starts at suspicion_min: no probe pass to wait for.
const std::string kTooFewToConfirm =
    "suspicion_min + probe_timeout + 2 * retransmits * gossip_interval";

struct Failure {
    uint32_t node;
    double t;
    uint32_t line;
    double until;  // end of the window: the node's next start, the heal, or the run's end
    const Epoch* epoch = nullptr;  // set for a partition
    std::string cause;
};

// The failures to be detected: crashes and kills (until the node's next start), and, with
// `partitions`, every live node that a partition cuts off from some other live node.
std::vector<Failure> failures_of(const History& h, const Truth& truth, bool partitions) {
    std::vector<Failure> failures;
    for (const Change& c : truth.changes) {
        if (c.kind != ChangeKind::crash) continue;
        Failure f{c.node, c.t, c.line, truth.end_t, nullptr, "crashed"};
        for (const Life& l : truth.lives[c.node])
            if (l.start >= c.t) {
                f.until = std::min(f.until, l.start);
                break;
            }
        if (const Action* a = h.action_at(c.line); a && a->type == ActionType::kill)
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
    return failures;
}

// What the observers of one failure saw inside its window.
struct Observed {
    size_t observers = 0;
    double first = -1, all = 0;  // the quickest and the slowest observer's lag (first < 0: none)
    uint32_t slowest = kNone;
    std::vector<std::pair<Obligation, Outcome>> missing;  // observers that never declared it
};

// Judges each failure in turn and accumulates the result.
class Judge {
  public:
    Judge(const Context& ctx, const json& options)
        : ctx_(ctx),
          h_(ctx.history),
          truth_(ctx.truth()),
          views_(h_),
          rb_("failure_detection", h_, options),
          spec_(timing_spec("failure_detection", Obliged::crash, options, profile_of(ctx))),
          model_(model_mode(options)),
          want_(opt_bool(options, "accept_left", false) ? Want::dead_or_left : Want::dead),
          partitions_(opt_bool(options, "partitions", true)),
          suspicion_(ctx.has("suspicion_events")) {
        const json profile = profile_of(ctx);
        if (auto p = profile.find("probe_interval"); p != profile.end() && p->is_number())
            probe_ = p->get<double>();
        if (auto p = profile.find("suspicion_mult"); p != profile.end() && p->is_number())
            mult_ = p->get<double>();
        // Lifeguard's confirmations (option "confirmed_within": true for the default bound,
        // or a bound of its own; docs/checkers.md).
        if (auto c = options.find("confirmed_within"); c != options.end() && !c->is_null()) {
            if (c->is_boolean()) {
                if (c->get<bool>()) confirmed_ = BoundSpec{kConfirmedWithin, true};
            } else {
                confirmed_ = bound_spec(options, "confirmed_within", kConfirmedWithin);
            }
        }
    }

    bool partitions() const { return partitions_; }

    void judge(const Failure& f) {
        double n = double(truth_.live_count(f.t)) + (f.epoch ? 0 : 1);
        // The guarantee decides; the model is compared with (docs/checkers.md).
        double bound = bound_value(spec_.guarantee, ctx_, n);
        double model_bound = bound_value(spec_.model, ctx_, n);
        json it = {{"node", h_.ids[f.node]}, {"t", f.t},       {"ref", f.line},
                   {"cause", f.cause},       {"bound", bound}, {"model_bound", model_bound}};
        Observed ob = observe(f, bound);
        it["observers"] = ob.observers;
        if (ob.observers == 0) {
            it["status"] = "no_observer";
            items_.push_back(std::move(it));
            return;
        }
        const double fs = first_suspicion(f, it);
        it["first_detection"] = ob.first < 0 ? json(nullptr) : json(ob.first);
        if (ob.first >= 0 && probe_ > 0) {
            it["first_detection_periods"] = ob.first / probe_;
            sum_periods_ += ob.first / probe_;
            ++n_periods_;
        }
        if (!ob.missing.empty())
            undetected(f, bound, ob, it);
        else
            detected(f, bound, model_bound, ob, it);
        if (confirmed_ && !f.epoch) confirmation(f, n, fs, ob, it);
        items_.push_back(std::move(it));
    }

    CheckResult finish(size_t count) {
        rb_.r.metrics["failures"] = std::move(items_);
        rb_.r.metrics["count"] = count;
        rb_.r.metrics["checked"] = checked_;
        rb_.r.metrics["failed"] = failed_;
        rb_.r.metrics["mean_first_detection_periods"] =
            n_periods_ ? json(sum_periods_ / double(n_periods_)) : json(nullptr);
        rb_.r.metrics["swim_expected_first_detection_periods"] =
            std::exp(1.0) / (std::exp(1.0) - 1);
        if (confirmed_) {
            rb_.r.metrics["confirmed_checked"] = confirmed_checked_;
            rb_.r.metrics["confirmed_failed"] = confirmed_failed_;
            if (!confirmed_why_.empty()) rb_.r.metrics["confirmed_not_applicable"] = confirmed_why_;
        }
        if (head_bound_ >= 0) rb_.r.bound = bound_json(spec_.guarantee, head_bound_);
        model_.finish(rb_, "failure(s)");
        rb_.r.measured = head_measured_;
        if (count == 0)
            rb_.unknown("nothing to check: no crash, kill or partition in this history");
        else if (checked_ == 0)
            rb_.unknown(
                "no failure could be measured (each was superseded, cut off by the run's end, "
                "or had no live observer)");
        return rb_.finish(std::to_string(checked_) +
                          " failure(s) detected by every live node within the bound (closest: " +
                          fmt(head_measured_.is_number() ? head_measured_.get<double>() : 0.0) +
                          " s of " + fmt(head_bound_) + " s; slowest " +
                          fmt(std::max(0.0, worst_)) + " s)");
    }

  private:
    // Each observer that stayed up (and, for a partition, on the other side) and knew the
    // node must declare it dead; late declarations become evidence as they are found.
    Observed observe(const Failure& f, double bound) {
        const double horizon = std::min(f.until, f.t + bound);
        Observed out;
        for (uint32_t o = 0; o < truth_.n; ++o) {
            if (o == f.node || !truth_.steady(o, f.t, horizon)) continue;
            if (f.epoch && f.epoch->comp[o] == f.epoch->comp[f.node]) continue;
            if (f.epoch && !truth_.steady(f.node, f.t, horizon)) continue;
            if (views_.at(o, f.node, f.line).state == MemberState::none &&
                !views_.first(o, f.node, f.line, f.until, [](const Event&) { return true; }))
                continue;  // never knew the node: nothing to declare
            ++out.observers;
            Obligation ob{o, f.node, want_};
            Outcome r = evaluate(views_, ob, f.line, f.t, f.until);
            if (!r.met) {
                out.missing.emplace_back(ob, r);
                continue;
            }
            if (out.first < 0 || r.lag < out.first) out.first = r.lag;
            if (r.lag >= out.all) {
                out.all = r.lag;
                out.slowest = o;
            }
            if (r.lag > bound)
                rb_.evidence(r.event->t, o,
                             h_.ids[o] + " declared " + h_.ids[f.node] + " dead only after " +
                                 fmt(r.lag) + " s (bound " + fmt(bound) + " s)",
                             r.event->line);
        }
        return out;
    }

    // The first suspicion (or death) of the node by anyone, with suspicion events.
    double first_suspicion(const Failure& f, json& it) {
        if (!suspicion_) {
            it["first_suspicion"] = nullptr;
            return -1;
        }
        double fs = -1;
        for (uint32_t o = 0; o < truth_.n; ++o) {
            const Event* e = views_.first(o, f.node, f.line, f.until, [](const Event& ev) {
                return ev.state == MemberState::suspect || ev.state == MemberState::dead;
            });
            if (e && (fs < 0 || e->t - f.t < fs)) {
                fs = e->t - f.t;
                fs_line_ = e->line;
            }
        }
        it["first_suspicion"] = fs < 0 ? json(nullptr) : json(fs);
        if (fs >= 0 && probe_ > 0) {
            it["first_suspicion_periods"] = fs / probe_;
        }
        return fs;
    }

    // Lifeguard (Dadgar et al., DSN 2018): a suspicion that k = suspicion_mult - 2 members
    // confirm independently shrinks from suspicion_max towards suspicion_min. Every live member
    // probes the crashed one within N probe periods (each round-robin pass of the probe order
    // reaches every member), so in a cluster big enough to confirm, the first death follows the
    // first suspicion within the bound; an implementation whose timers never shrink waits
    // suspicion_max.
    void confirmation(const Failure& f, double n, double fs, const Observed& ob, json& it) {
        const auto vars = profile_vars(profile_of(ctx_), std::max(n, 1.0));
        auto var = [&](const char* k) {
            auto v = vars.find(k);
            return v == vars.end() || !v->second ? -1.0 : *v->second;
        };
        const double smin = var("suspicion_min"), smax = var("suspicion_max");
        auto skip = [&](const std::string& why) {
            it["confirmed"] = {{"status", "not_applicable"}, {"why", why}};
            if (confirmed_why_.empty()) confirmed_why_ = why;
        };
        if (!suspicion_) return skip("the implementation reports no suspicions (suspicion_events)");
        if (smin <= 0 || smax <= smin)
            return skip("the profile's suspicion timeout does not shrink (suspicion_max " +
                        fmt(smax) + " s, suspicion_min " + fmt(smin) + " s)");
        // The reference and memberlist wait for k confirmations only where k others can
        // exist: with n - 2 < k (n counts the suspected member) the timer starts at the minimum.
        const int k = std::max(0, int(mult_) - 2);
        const bool too_few = k == 0 || n - 2 < k;
        if (fs < 0 || ob.first < 0) return;  // undetected: judged above
        const BoundSpec spec =
            too_few && confirmed_->from_default ? BoundSpec{kTooFewToConfirm, true} : *confirmed_;
        const double bound = bound_value(spec, ctx_, n);
        const double took = ob.first - fs;
        ++confirmed_checked_;
        it["confirmed"] = {{"status", took > bound ? "late" : "ok"},
                           {"suspicion_to_death", took},
                           {"bound", bound},
                           {"expr", spec.expr},
                           {"confirmations", too_few ? 0 : k},
                           {"too_few_to_confirm", too_few},
                           {"suspicion_min", smin},
                           {"suspicion_max", smax}};
        if (took <= bound) return;
        ++confirmed_failed_;
        rb_.evidence(f.t + fs, f.node, "first suspicion of " + h_.ids[f.node], fs_line_);
        const std::string why =
            too_few ? "with " + fmt(n) + " members, too few for " + std::to_string(k) +
                          " confirmations, the suspicion timeout must start at suspicion_min " +
                          fmt(smin) + " s"
                    : "with " + fmt(n) + " members, " + std::to_string(k) +
                          " confirmations must shrink the suspicion timeout towards "
                          "suspicion_min " +
                          fmt(smin) + " s";
        rb_.fail(subject(f) + ": first declared dead " + fmt(took) +
                 " s after its first suspicion (bound " + fmt(bound) + " s: " + why +
                 ", not wait for suspicion_max " + fmt(smax) + " s)");
    }

    // Some observer never declared it: a failure, unless the window was cut short.
    void undetected(const Failure& f, double bound, const Observed& ob, json& it) {
        if (f.until - f.t < bound) {
            it["status"] = f.until >= truth_.end_t ? "truncated" : "superseded";
            return;
        }
        ++checked_;
        ++failed_;
        it["status"] = "undetected";
        json und = json::array();
        rb_.evidence(f.t, f.node, f.cause, f.line);
        for (const auto& [o, r] : ob.missing) {
            und.push_back(h_.ids[o.o]);
            rb_.evidence(f.t + bound, o.o,
                         h_.ids[o.o] + " still sees " + h_.ids[f.node] + " " + describe(r.last) +
                             " at the end of the window",
                         r.last.line ? r.last.line : f.line);
        }
        it["undetected_by"] = std::move(und);
        rb_.fail(subject(f) + ": " + h_.ids[ob.missing[0].first.o] +
                 " never declared it dead (bound " + fmt(bound) + " s)" +
                 (ob.missing.size() > 1
                      ? " and " + std::to_string(ob.missing.size() - 1) + " more observer(s)"
                      : ""));
        worst_ = std::max(worst_, f.until - f.t);
        headline(bound, nullptr, true);
    }

    void detected(const Failure& f, double bound, double model_bound, const Observed& ob,
                  json& it) {
        ++checked_;
        it["all_detected"] = ob.all;
        it["slowest"] = id(h_, ob.slowest);
        worst_ = std::max(worst_, ob.all);
        headline(bound, ob.all, ob.all > bound);
        if (ob.all > bound) {
            ++failed_;
            it["status"] = "late";
            rb_.evidence(f.t, f.node, f.cause, f.line);
            rb_.fail(subject(f) + ": all live nodes declared it dead only after " + fmt(ob.all) +
                     " s (bound " + fmt(bound) + " s, slowest " + id(h_, ob.slowest) + ")");
        } else {
            it["status"] = "detected";
            model_.item(ob.all, model_bound, f.t, ob.slowest,
                        id(h_, ob.slowest) + " declared " + subject(f) + " dead", f.line);
        }
    }

    std::string subject(const Failure& f) const {
        return h_.ids[f.node] + " " + f.cause + " at " + fmt(f.t) + " s";
    }

    // The headline pairs one failure's bound with its own time: the first one that failed,
    // else the one closest to its bound.
    void headline(double bound, json measured, bool failed_now) {
        double score = failed_now                          ? (head_score_ >= 1e300 ? -1 : 1e300)
                       : measured.is_number() && bound > 0 ? measured.get<double>() / bound
                                                           : 0;
        if (score > head_score_ || head_bound_ < 0) {
            head_score_ = std::max(head_score_, score);
            head_bound_ = bound;
            head_measured_ = measured;
        }
    }

    const Context& ctx_;
    const History& h_;
    const Truth& truth_;
    Views views_;

    ResultBuilder rb_;
    TimingSpec spec_;
    ModelTally model_;
    Want want_;
    bool partitions_;  // whether partitions count as failures (option "partitions")
    bool suspicion_;
    double probe_ = 0, mult_ = 0;
    uint32_t fs_line_ = 0;  // the line of the last first_suspicion() found
    std::optional<BoundSpec> confirmed_;
    size_t confirmed_checked_ = 0, confirmed_failed_ = 0;
    std::string confirmed_why_;
    json items_ = json::array();
    double worst_ = -1, head_bound_ = -1, head_score_ = -1;
    json head_measured_ = nullptr;
    size_t checked_ = 0, failed_ = 0;
    double sum_periods_ = 0;
    size_t n_periods_ = 0;
};

}  // namespace

CheckResult failure_detection(const Context& ctx, const json& options) {
    Judge judge(ctx, options);  // reads the options in the order their errors are reported
    const std::vector<Failure> failures = failures_of(ctx.history, ctx.truth(), judge.partitions());
    for (const Failure& f : failures) judge.judge(f);
    return judge.finish(failures.size());
}

}  // namespace gossiplab::checkers::detail
