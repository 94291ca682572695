// dissemination: every broadcast rumor reaches every live, connected node; delivery times against
// the epidemic model, duplicates, and packets per rumor (Gossip Glomers' msgs-per-op).
#include "checks.hpp"
#include "common.hpp"
#include "timing.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>

namespace gossiplab::checkers::detail {

// Packets sent by all nodes over the run: per process, the last cumulative sample (counters
// restart at zero with each process).
double total_packets(const History& h, bool bytes);

double total_packets(const History& h, bool bytes) {
    double total = 0;
    for (uint32_t node = 0; node < h.ids.size(); ++node) {
        double last = 0;
        for (uint32_t idx : h.by_node[node]) {
            const Event& e = h.events[idx];
            if (e.type == EventType::started) {
                total += last;
                last = 0;
            } else if (e.type == EventType::counters) {
                const CountersSample& c = h.counters[e.aux];
                last = bytes ? c.bytes_sent : c.pkts_sent;
            }
        }
        total += last;
    }
    return total;
}

namespace {

struct Options {
    TimingSpec spec;
    ModelMode model = ModelMode::report;
    double min_delivery = 1.0;
    std::optional<double> max_dup, max_msgs;
    // A physical floor: on links that delay every packet by d, no rumor reaches everyone in
    // less than d. Faster means the delay did not apply.
    std::optional<double> min_all;
    std::optional<double> fanout, gossip;  // from the profile, for the epidemic model
    // A broadcast of a rumor id its node already broadcast must be answered by an error
    // event naming the rumor within this many seconds (docs/node-contract.md, broadcast).
    double refusal_within = 1.0;
};

// In the order their errors are reported.
Options read_options(const Context& ctx, const json& options) {
    Options o;
    o.spec = timing_spec("dissemination", Obliged::spread, options, profile_of(ctx));
    o.model = model_mode(options);
    o.min_delivery = opt_number(options, "min_delivery", 1.0);
    o.max_dup = opt_number_or_null(options, "max_duplicates");
    if (!o.max_dup) o.max_dup = 0;
    o.max_msgs = opt_number_or_null(options, "max_msgs_per_rumor");
    o.min_all = opt_number_or_null(options, "min_time_to_all");
    o.refusal_within = opt_number(options, "refusal_within", 1.0);
    json profile = profile_of(ctx);
    if (profile.contains("fanout") && profile["fanout"].is_number())
        o.fanout = profile["fanout"].get<double>();
    if (profile.contains("gossip_interval") && profile["gossip_interval"].is_number())
        o.gossip = profile["gossip_interval"].get<double>();
    return o;
}

// Where one rumor went within its window.
struct Spread {
    std::vector<uint32_t> targets;  // RumorTargets: live, unpaused, connected, joined before
    std::vector<double> first;      // per node: time from the broadcast to its first delivery
    std::vector<uint32_t> first_line;
    size_t dups = 0;
    std::vector<double> times;  // the targets' delivery times inside the window, sorted
    std::vector<uint32_t> missing;
};

// Judges each broadcast in turn and accumulates the result.
class Judge {
  public:
    Judge(const Context& ctx, const Truth& truth, ResultBuilder& rb, Options o)
        : ctx_(ctx),
          h_(ctx.history),
          truth_(truth),
          rb_(rb),
          o_(std::move(o)),
          model_(o_.model),
          targets_(h_, truth_) {}

    void rumor(const Action& a) {
        ++rumors_;
        const std::string rid = a.body["rumor"].get<std::string>();
        const uint32_t origin = a.node;
        const double t0 = a.t;
        double n_live = double(truth_.live_count(t0));
        // The guarantee decides; the model is compared with (docs/checkers.md).
        double bound = bound_value(o_.spec.guarantee, ctx_, std::max(2.0, n_live));
        double model_bound = bound_value(o_.spec.model, ctx_, std::max(2.0, n_live));
        if (first_bound_ < 0) first_bound_ = bound;
        double wend = std::min(t0 + bound, truth_.end_t);
        const Spread sp = spread(a, rid, wend);
        double ratio =
            sp.targets.empty() ? 1.0 : double(sp.times.size()) / double(sp.targets.size());
        targets_total_ += sp.targets.size();
        delivered_total_ += sp.times.size();
        items_.push_back(item(a, rid, sp, ratio, bound, model_bound));
        std::string subject = "rumor " + rid + " from " + h_.ids[origin] + " at " + fmt(t0) + " s";
        bool bad = false;
        if (sp.first[origin] < 0) {
            bad = true;
            rb_.evidence(t0, origin, h_.ids[origin] + " never printed " + rid + " (not accepted)",
                         a.line);
            rb_.fail(subject + ": the origin never accepted it");
        }
        if (ratio < o_.min_delivery) bad = undelivered(a, rid, sp, subject, bound, wend);
        if (o_.min_all && ratio >= 1.0 && !sp.times.empty() && sp.times.back() < *o_.min_all) {
            bad = true;
            rb_.evidence(t0, origin,
                         rid + " reached every node in " + fmt(sp.times.back()) + " s (at least " +
                             fmt(*o_.min_all) + " s on these links)",
                         a.line);
            rb_.fail(subject + ": reached every node in " + fmt(sp.times.back()) +
                     " s, faster than the links allow (min_time_to_all " + fmt(*o_.min_all) +
                     " s)");
        }
        if (!sp.times.empty()) worst_ = std::max(worst_, sp.times.back());
        if (bad) ++failed_;
        if (!bad && ratio >= 1.0 && !sp.times.empty()) {
            uint32_t last = origin;
            for (uint32_t x : sp.targets)
                if (sp.first[x] == sp.times.back()) last = x;
            model_.item(sp.times.back(), model_bound, t0, last,
                        subject + " reached every node (last " + h_.ids[last] + ")", a.line);
        }
    }

    // A second broadcast of `a`'s rumor id by the same node: not a new rumor but a command the
    // node must refuse, with an error event that names the rumor, and not spread again (a
    // second delivery counts as a duplicate in the first broadcast's spread).
    void repeat(const Action& a) {
        const std::string rid = a.body["rumor"].get<std::string>();
        const double until = a.t + o_.refusal_within;
        const Event* named = nullptr;
        const Event* other = nullptr;
        // The node's events are in line order: from the broadcast's line to the deadline.
        const auto& mine = h_.by_node[a.node];
        auto from =
            std::lower_bound(mine.begin(), mine.end(), a.line,
                             [&](uint32_t idx, uint32_t l) { return h_.events[idx].line < l; });
        for (auto it = from; it != mine.end() && h_.events[*it].t <= until; ++it) {
            const Event& e = h_.events[*it];
            if (e.type != EventType::error) continue;
            if (h_.errors[e.aux].find(rid) != std::string::npos) {
                named = &e;
                break;
            }
            if (!other) other = &e;
        }
        const std::string subject = "the second broadcast of rumor " + rid + " by " +
                                    h_.ids[a.node] + " at " + fmt(a.t) + " s";
        json item = {{"rumor", rid}, {"node", h_.ids[a.node]}, {"t", a.t}, {"ref", a.line}};
        if (named) {
            item["refused"] = true;
            item["message"] = h_.errors[named->aux];
            item["after"] = named->t - a.t;
        } else if (other) {
            item["refused"] = false;
            item["message"] = h_.errors[other->aux];
            rb_.evidence(other->t, a.node,
                         h_.ids[a.node] + " answered with an error that does not name " + rid +
                             ": \"" + h_.errors[other->aux] + "\"",
                         other->line);
            rb_.fail(subject + ": refused without naming the rumor");
        } else if (until > truth_.end_t) {
            item["refused"] = nullptr;
            rb_.unknown(subject + ": the run ended before its answer was due");
        } else if (!truth_.steady(a.node, a.t, until)) {
            item["refused"] = nullptr;
            rb_.unknown(subject + ": " + h_.ids[a.node] +
                        " was not running throughout the time its answer was due");
        } else {
            item["refused"] = false;
            rb_.evidence(a.t, a.node,
                         h_.ids[a.node] + " printed no error for the repeated broadcast of " + rid +
                             " within " + fmt(o_.refusal_within) + " s",
                         a.line);
            rb_.fail(subject + ": accepted (a node must refuse a rumor id it already broadcast)");
        }
        repeats_.push_back(std::move(item));
    }

    CheckResult finish() {
        double msgs = total_packets(h_, false);
        bool counters = ctx_.has("counters");
        rb_.r.metrics = {
            {"rumors", items_},
            {"count", rumors_},
            {"failed", failed_},
            {"delivery_ratio",
             targets_total_ ? double(delivered_total_) / double(targets_total_) : 1.0},
            {"duplicates", duplicates_},
            {"repeated_broadcasts", repeats_},
            {"msgs_per_rumor", counters && rumors_ ? json(msgs / double(rumors_)) : json(nullptr)}};
        if (double(duplicates_) > *o_.max_dup)
            rb_.fail(std::to_string(duplicates_) + " duplicate deliveries (at most " +
                     fmt(*o_.max_dup) + ")");
        if (o_.max_msgs) {
            if (!counters)
                rb_.unknown("max_msgs_per_rumor needs the counters feature");
            else if (rumors_ && msgs / double(rumors_) > *o_.max_msgs)
                rb_.fail(fmt(msgs / double(rumors_)) + " packets per rumor (at most " +
                         fmt(*o_.max_msgs) + ")");
        }
        if (first_bound_ >= 0) rb_.r.bound = bound_json(o_.spec.guarantee, first_bound_);
        model_.finish(rb_, "rumor(s)");
        rb_.r.measured = worst_ < 0 ? json(nullptr) : json(worst_);
        if (rumors_ == 0) rb_.unknown("nothing to check: no broadcast in this history");
        return rb_.finish(std::to_string(rumors_) +
                          " rumor(s) reached every live connected node within "
                          "the bound (slowest " +
                          fmt(std::max(0.0, worst_)) + " s)");
    }

  private:
    // The targets, each node's first delivery, and the duplicates (evidence once more than
    // max_duplicates were seen in the whole run).
    Spread spread(const Action& a, const std::string& rid, double wend) {
        const uint32_t origin = a.node;
        const double t0 = a.t;
        Spread sp;
        sp.targets = targets_.of(origin, t0, wend);
        sp.first.assign(truth_.n, -1);
        sp.first_line.assign(truth_.n, 0);
        uint32_t rk = h_.find_rumor(rid);
        const std::vector<uint32_t>* deliveries = rk == kNone ? nullptr : &h_.by_rumor[rk];
        if (deliveries)
            for (uint32_t idx : *deliveries) {
                const Event& e = h_.events[idx];
                if (e.line < a.line) continue;
                if (sp.first[e.node] >= 0) {
                    ++sp.dups;
                    if (double(duplicates_ + sp.dups) > *o_.max_dup)
                        rb_.evidence(e.t, e.node, h_.ids[e.node] + " delivered " + rid + " again",
                                     e.line);
                    continue;
                }
                sp.first[e.node] = e.t - t0;
                sp.first_line[e.node] = e.line;
            }
        duplicates_ += sp.dups;
        for (uint32_t x : sp.targets) {
            if (sp.first[x] >= 0 && sp.first[x] <= wend - t0)
                sp.times.push_back(sp.first[x]);
            else
                sp.missing.push_back(x);
        }
        std::sort(sp.times.begin(), sp.times.end());
        return sp;
    }

    json item(const Action& a, const std::string& rid, const Spread& sp, double ratio, double bound,
              double model_bound) const {
        auto pct = [&](double p) -> json {
            if (sp.targets.empty()) return nullptr;
            size_t need = size_t(std::ceil(p * double(sp.targets.size())));
            if (need == 0) need = 1;
            return need <= sp.times.size() ? json(sp.times[need - 1]) : json(nullptr);
        };
        double nn = double(sp.targets.size() + 1);
        json expected = nullptr;
        if (o_.fanout && o_.gossip && *o_.fanout > 1)
            expected = (std::log(nn) / std::log(*o_.fanout) + std::log(nn)) * *o_.gossip;
        return {{"rumor", rid},
                {"origin", h_.ids[a.node]},
                {"t", a.t},
                {"ref", a.line},
                {"targets", sp.targets.size()},
                {"delivered", sp.times.size()},
                {"delivery_ratio", ratio},
                {"origin_accepted", sp.first[a.node] >= 0},
                {"first", sp.times.empty() ? json(nullptr) : json(sp.times.front())},
                {"p50", pct(0.5)},
                {"p95", pct(0.95)},
                {"p100", pct(1.0)},
                {"expected", expected},
                {"bound", bound},
                {"model_bound", model_bound},
                {"duplicates", sp.dups}};
    }

    // Too few targets got it: a failure with the missing ones, or unknown when the run ended
    // before the bound. Returns whether the rumor failed.
    bool undelivered(const Action& a, const std::string& rid, const Spread& sp,
                     const std::string& subject, double bound, double wend) {
        if (a.t + bound > truth_.end_t) {
            rb_.unknown(subject + ": the run ended before its bound");
            return false;
        }
        rb_.evidence(a.t, a.node, "broadcast " + rid, a.line);
        for (uint32_t x : sp.missing)
            rb_.evidence(
                wend, x,
                h_.ids[x] +
                    (sp.first[x] >= 0 ? " got " + rid + " only after " + fmt(sp.first[x]) + " s"
                                      : " never got " + rid) +
                    " (bound " + fmt(bound) + " s)",
                sp.first[x] >= 0 ? sp.first_line[x] : a.line);
        rb_.fail(subject + ": reached " + std::to_string(sp.times.size()) + " of " +
                 std::to_string(sp.targets.size()) + " live connected nodes within " + fmt(bound) +
                 " s (first missing: " + h_.ids[sp.missing[0]] + ")");
        return true;
    }

    const Context& ctx_;
    const History& h_;
    const Truth& truth_;
    ResultBuilder& rb_;
    const Options o_;
    ModelTally model_;
    const RumorTargets targets_;
    json items_ = json::array();
    json repeats_ = json::array();
    size_t rumors_ = 0, targets_total_ = 0, delivered_total_ = 0, duplicates_ = 0, failed_ = 0;
    double worst_ = -1, first_bound_ = -1;
};

}  // namespace

CheckResult dissemination(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    ResultBuilder rb("dissemination", h, options);
    Options o = read_options(ctx, options);
    if (!ctx.has("rumors")) {
        for (const Action& a : h.actions)
            if (a.type == ActionType::broadcast) {
                rb.unknown(
                    "rumor delivery cannot be observed: the implementation lacks the "
                    "rumors feature");
                return rb.finish("");
            }
    }
    Judge judge(ctx, truth, rb, std::move(o));
    for (const Action& a : h.actions) {
        if (a.type != ActionType::broadcast || a.node == kNone) continue;
        if (a.repeat)
            judge.repeat(a);
        else
            judge.rumor(a);
    }
    return judge.finish();
}

}  // namespace gossiplab::checkers::detail
