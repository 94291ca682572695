// latency: each rumor's time to reach every target, summarised by its median, p99 and maximum
// against bounds, and the messages the nodes sent to each other per broadcast while the rumors
// spread (Gossip Glomers' msgs-per-op, as Maelstrom counts it) beside all packets of the run.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace gossiplab::checkers::detail {

// dissemination.cpp: packets (or bytes) sent by all nodes over the whole run.
double total_packets(const History& h, bool bytes);

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

struct Options {
    BoundSpec max, median, p99;
    bool has_median = false, has_p99 = false;
    std::optional<double> max_msgs, max_packets;
};

Options read_options(const json& options) {
    Options o;
    o.max = bound_spec(options, "bound", kSpreadBound);
    o.has_median = options.contains("median") && !options["median"].is_null();
    if (o.has_median) o.median = bound_spec(options, "median", "0");
    o.has_p99 = options.contains("p99") && !options["p99"].is_null();
    if (o.has_p99) o.p99 = bound_spec(options, "p99", "0");
    o.max_msgs = opt_number_or_null(options, "max_msgs_per_rumor");
    o.max_packets = opt_number_or_null(options, "max_packets_per_rumor");
    return o;
}

// One broadcast: when its last target got it (kNever: some target never did).
struct Rumor {
    const Action* a;
    std::string id;
    size_t targets = 0;
    double to_all = 0;       // seconds from the broadcast; 0 when it had no targets
    uint32_t last = kNone;   // the target that got it last (or the first never to)
    uint32_t last_line = 0;  // that delivery's line (the broadcast's when it never came)
    bool judged = true;      // false: incomplete when the run ended before its bound
};

Rumor time_to_all(const History& h, const Truth& truth, const RumorTargets& targets,
                  const Action& a, double bound) {
    Rumor r{&a, a.body["rumor"].get<std::string>()};
    const double t0 = a.t, wend = std::min(t0 + bound, truth.end_t);
    std::vector<double> first(truth.n, kNever);
    std::vector<uint32_t> line(truth.n, 0);
    uint32_t rk = h.find_rumor(r.id);
    if (rk != kNone)
        for (uint32_t idx : h.by_rumor[rk]) {
            const Event& e = h.events[idx];
            if (e.line < a.line || first[e.node] != kNever) continue;
            first[e.node] = e.t - t0;
            line[e.node] = e.line;
        }
    // The same targets as dissemination's.
    for (uint32_t x : targets.of(a.node, t0, wend)) {
        ++r.targets;
        if (r.last == kNone || first[x] > r.to_all) {
            r.to_all = first[x];
            r.last = x;
            r.last_line = first[x] == kNever ? a.line : line[x];
        }
    }
    r.judged = !(r.to_all > bound && t0 + bound > truth.end_t);
    return r;
}

// Nearest rank: the smallest time that at least a share p of the rumors met.
double rank(const std::vector<double>& sorted, double p) {
    size_t need = size_t(std::ceil(p * double(sorted.size())));
    return sorted[std::max<size_t>(need, 1) - 1];
}

json seconds(double s) {
    return s == kNever ? json(nullptr) : json(s);
}

// Cumulative packets sent by one node's processes at time t: counters restart with each
// process and are sampled about once a second, so between two samples the count is
// interpolated; before a process's first sample it is 0, after its last sample the last value.
class Packets {
  public:
    // Only `started` and `counters` events matter: one pass over the history keeps those per
    // node, so each lookup below walks a few hundred samples, not every rumor delivery.
    explicit Packets(const History& h) : h_(h), samples_(h.ids.size()) {
        for (uint32_t idx = 0; idx < h.events.size(); ++idx) {
            const Event& e = h.events[idx];
            if ((e.type == EventType::started || e.type == EventType::counters) &&
                e.node < samples_.size())
                samples_[e.node].push_back(idx);
        }
    }

    // Packets all nodes sent within [from, to], and the node that sent the most.
    double between(double from, double to, uint32_t* top, uint32_t* top_line) const {
        double total = 0, most = -1;
        for (uint32_t node = 0; node < h_.ids.size(); ++node) {
            uint32_t line = 0;
            double sent = at(node, to, &line) - at(node, from, nullptr);
            total += sent;
            if (sent > most) {
                most = sent;
                *top = node;
                *top_line = line;
            }
        }
        return total;
    }

  private:
    // Packets the node had sent by t over all its processes (`line`: the sample used last).
    double at(uint32_t node, double t, uint32_t* line) const {
        double done = 0, last = 0, last_t = -kNever;
        for (uint32_t idx : samples_[node]) {
            const Event& e = h_.events[idx];
            if (e.type == EventType::started) {
                done += last;
                last = 0;
                last_t = e.t;
                continue;
            }
            if (e.type != EventType::counters) continue;
            double c = h_.counters[e.aux].pkts_sent;
            if (e.t >= t) {
                double share = e.t > last_t ? (t - last_t) / (e.t - last_t) : 1;
                if (line) *line = e.line;
                return done + last + std::max(0.0, share) * (c - last);
            }
            last = c;
            last_t = e.t;
            if (line) *line = e.line;
        }
        return done + last;
    }

    const History& h_;
    std::vector<std::vector<uint32_t>> samples_;  // per node: its started and counters events
};

}  // namespace

CheckResult latency(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    ResultBuilder rb("latency", h, options);
    Options o = read_options(options);
    if (!ctx.has("rumors")) {
        rb.unknown(
            "rumor delivery cannot be observed: the implementation lacks the rumors "
            "feature");
        return rb.finish("");
    }
    std::vector<Rumor> rumors;
    double first_bound = -1;
    const RumorTargets targets(h, truth);
    for (const Action& a : h.actions) {
        // A repeated broadcast is a refused command, not a rumor (dissemination judges it).
        if (a.type != ActionType::broadcast || a.node == kNone || a.repeat) continue;
        double n_live = double(truth.live_count(a.t));
        double bound = bound_value(o.max, ctx, std::max(2.0, n_live));
        if (first_bound < 0) first_bound = bound;
        rumors.push_back(time_to_all(h, truth, targets, a, bound));
    }
    const double n = double(h.declared.empty() ? h.ids.size() : h.declared.size());
    const double max_b = first_bound < 0 ? bound_value(o.max, ctx, n) : first_bound;
    std::vector<double> times;
    json items = json::array();
    const Rumor* slowest = nullptr;
    double w0 = kNever, w1 = -kNever;
    size_t unjudged = 0;
    for (const Rumor& r : rumors) {
        w0 = std::min(w0, r.a->t);
        w1 = std::max(w1, r.a->t + (r.to_all == kNever ? 0 : r.to_all));
        if (!r.judged) {
            ++unjudged;
            continue;
        }
        times.push_back(r.to_all);
        if (!slowest || r.to_all > slowest->to_all) slowest = &r;
        if (items.size() < 200)
            items.push_back({{"rumor", r.id},
                             {"origin", h.ids[r.a->node]},
                             {"t", r.a->t},
                             {"ref", r.a->line},
                             {"targets", r.targets},
                             {"time_to_all", seconds(r.to_all)},
                             {"last", r.last == kNone ? json(nullptr) : json(h.ids[r.last])}});
    }
    std::sort(times.begin(), times.end());

    auto describe_rumor = [&](const Rumor& r) {
        std::string s = "rumor " + r.id + " from " + h.ids[r.a->node] + " at " + fmt(r.a->t) + " s";
        if (r.to_all == kNever) return s + ": " + h.ids[r.last] + " never got it";
        return s + ": every target had it after " + fmt(r.to_all) +
               " s (last: " + (r.last == kNone ? std::string("none") : h.ids[r.last]) + ")";
    };
    auto show = [](double s) { return s == kNever ? std::string("never") : fmt(s) + " s"; };
    json summary = json::object();
    if (!times.empty()) {
        double med = rank(times, 0.5), p99 = rank(times, 0.99), mx = times.back();
        summary = {{"median", seconds(med)}, {"p99", seconds(p99)}, {"max", seconds(mx)}};
        // Evidence: every rumor over the max bound, then the one at each failed percentile.
        for (const Rumor& r : rumors)
            if (r.judged && r.to_all > max_b) {
                rb.evidence(r.a->t, r.a->node, "broadcast " + r.id, r.a->line);
                rb.evidence(r.a->t + (r.to_all == kNever ? 0 : r.to_all), r.last,
                            describe_rumor(r) + " (bound " + fmt(max_b) + " s)", r.last_line);
            }
        if (mx > max_b)
            rb.fail("slowest time to all " + show(mx) + " (bound " + fmt(max_b) + " s); " +
                    describe_rumor(*slowest));
        auto percentile = [&](const char* name, bool has, const BoundSpec& spec, double p,
                              double value) {
            if (!has) return;
            double b = bound_value(spec, ctx, n);
            summary[std::string(name) + "_bound"] = bound_json(spec, b);
            if (value <= b) return;
            for (const Rumor& r : rumors)
                if (r.judged && r.to_all == value) {
                    rb.evidence(r.a->t, r.last,
                                std::string(name) + " rumor: " + describe_rumor(r) + " (bound " +
                                    fmt(b) + " s)",
                                r.last_line);
                    break;
                }
            rb.fail(std::string(name) + " time to all " + show(value) + " (bound " + fmt(b) +
                    " s, " + std::to_string(size_t(std::ceil(p * double(times.size())))) + " of " +
                    std::to_string(times.size()) + " rumors)");
        };
        percentile("median", o.has_median, o.median, 0.5, med);
        percentile("p99", o.has_p99, o.p99, 0.99, p99);
    }

    // Messages between nodes while the rumors spread (first broadcast until the last rumor
    // reached everyone), per broadcast; and all packets of the run per broadcast.
    const bool counters = ctx.has("counters");
    json msgs = nullptr, pkts = nullptr, window_pkts = nullptr;
    if (counters && !rumors.empty()) {
        uint32_t top = kNone, top_line = 0;
        double in_window = Packets(h).between(w0, w1, &top, &top_line);
        double per = in_window / double(rumors.size());
        msgs = per;
        window_pkts = in_window;
        pkts = total_packets(h, false) / double(rumors.size());
        if (o.max_msgs && per > *o.max_msgs) {
            rb.evidence(
                w1, top,
                h.ids[top] + " sent the most packets between " + fmt(w0) + " and " + fmt(w1) + " s",
                top_line);
            rb.fail(fmt(per) + " messages between nodes per broadcast while the rumors spread (" +
                    fmt(in_window) + " packets in " + fmt(w1 - w0) + " s for " +
                    std::to_string(rumors.size()) + " broadcasts; at most " + fmt(*o.max_msgs) +
                    ")");
        }
        if (o.max_packets && pkts.get<double>() > *o.max_packets)
            rb.fail(fmt(pkts.get<double>()) +
                    " packets per broadcast over the whole run (at most " + fmt(*o.max_packets) +
                    ")");
    } else if (o.max_msgs || o.max_packets) {
        if (!counters) rb.unknown("max_msgs_per_rumor needs the counters feature");
    }

    rb.r.metrics = {{"count", rumors.size()},
                    {"judged", times.size()},
                    {"unjudged", unjudged},
                    {"msgs_per_rumor", msgs},
                    {"packets_per_rumor", pkts},
                    {"window_packets", window_pkts},
                    {"window", rumors.empty() ? json(nullptr) : json({{"from", w0}, {"to", w1}})},
                    {"rumors", items}};
    for (const auto& [k, v] : summary.items()) rb.r.metrics[k] = v;
    rb.r.bound = bound_json(o.max, max_b);
    rb.r.measured = times.empty() ? json(nullptr) : seconds(times.back());
    if (rumors.empty()) rb.unknown("nothing to check: no broadcast in this history");
    if (unjudged)
        rb.unknown(std::to_string(unjudged) +
                   " rumor(s) had not reached everyone when the run ended before their bound");
    std::string pass = std::to_string(times.size()) + " rumor(s): time to all";
    if (!times.empty())
        pass += " median " + show(rank(times, 0.5)) + ", p99 " + show(rank(times, 0.99)) +
                ", max " + show(times.back());
    if (!msgs.is_null())
        pass += "; " + fmt(msgs.get<double>()) + " messages per broadcast while spreading, " +
                fmt(pkts.get<double>()) + " packets per broadcast in the run";
    return rb.finish(pass);
}

}  // namespace gossiplab::checkers::detail
