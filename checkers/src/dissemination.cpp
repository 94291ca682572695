// dissemination: every broadcast rumor reaches every live, connected node; delivery times against
// the epidemic model, duplicates, and packets per rumor (Gossip Glomers' msgs-per-op).
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <cmath>

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

CheckResult dissemination(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    ResultBuilder rb("dissemination", h, options);
    BoundSpec spec = bound_spec(
        options, "bound", "2 * (log(N) / log(fanout) + ln(N)) * gossip_interval + probe_interval");
    double min_delivery = opt_number(options, "min_delivery", 1.0);
    auto max_dup = opt_number_or_null(options, "max_duplicates");
    if (!max_dup) max_dup = 0;
    auto max_msgs = opt_number_or_null(options, "max_msgs_per_rumor");
    // A physical floor: on links that delay every packet by d, no rumor reaches everyone in
    // less than d. Faster means the delay did not apply.
    auto min_all = opt_number_or_null(options, "min_time_to_all");
    json profile = profile_of(ctx);
    std::optional<double> fanout, gossip;
    if (profile.contains("fanout") && profile["fanout"].is_number())
        fanout = profile["fanout"].get<double>();
    if (profile.contains("gossip_interval") && profile["gossip_interval"].is_number())
        gossip = profile["gossip_interval"].get<double>();

    if (!ctx.has("rumors")) {
        for (const Action& a : h.actions)
            if (a.type == ActionType::broadcast) {
                rb.unknown(
                    "rumor delivery cannot be observed: the implementation lacks the "
                    "rumors feature");
                return rb.finish("");
            }
    }
    json items = json::array();
    size_t rumors = 0, targets_total = 0, delivered_total = 0, duplicates = 0, failed = 0;
    double worst = -1, first_bound = -1;
    std::vector<double> times;
    for (const Action& a : h.actions) {
        if (a.type != ActionType::broadcast || a.node == kNone) continue;
        ++rumors;
        const std::string rid = a.body["rumor"].get<std::string>();
        uint32_t origin = a.node;
        double t0 = a.t;
        // Targets: live from the broadcast to the bound's end, never paused, connected to the
        // origin throughout.
        double n_live = double(truth.live_count(t0));
        double bound = bound_value(spec, ctx, std::max(2.0, n_live));
        if (first_bound < 0) first_bound = bound;
        double wend = std::min(t0 + bound, truth.end_t);
        std::vector<uint32_t> targets;
        for (uint32_t x = 0; x < truth.n; ++x)
            if (x != origin && truth.steady(x, t0, wend) &&
                !truth.separated_during(origin, x, t0, wend))
                targets.push_back(x);
        // First delivery per node, duplicates.
        std::vector<double> first(truth.n, -1);
        std::vector<uint32_t> first_line(truth.n, 0);
        uint32_t rk = h.find_rumor(rid);
        const std::vector<uint32_t>* deliveries = rk == kNone ? nullptr : &h.by_rumor[rk];
        size_t dups = 0;
        if (deliveries)
            for (uint32_t idx : *deliveries) {
                const Event& e = h.events[idx];
                if (e.line < a.line) continue;
                if (first[e.node] >= 0) {
                    ++dups;
                    if (double(duplicates + dups) > *max_dup)
                        rb.evidence(e.t, e.node, h.ids[e.node] + " delivered " + rid + " again",
                                    e.line);
                    continue;
                }
                first[e.node] = e.t - t0;
                first_line[e.node] = e.line;
            }
        duplicates += dups;
        times.clear();
        std::vector<uint32_t> missing;
        for (uint32_t x : targets) {
            if (first[x] >= 0 && first[x] <= wend - t0)
                times.push_back(first[x]);
            else
                missing.push_back(x);
        }
        std::sort(times.begin(), times.end());
        auto pct = [&](double p) -> json {
            if (targets.empty()) return nullptr;
            size_t need = size_t(std::ceil(p * double(targets.size())));
            if (need == 0) need = 1;
            return need <= times.size() ? json(times[need - 1]) : json(nullptr);
        };
        double ratio = targets.empty() ? 1.0 : double(times.size()) / double(targets.size());
        targets_total += targets.size();
        delivered_total += times.size();
        double nn = double(targets.size() + 1);
        json expected = nullptr;
        if (fanout && gossip && *fanout > 1)
            expected = (std::log(nn) / std::log(*fanout) + std::log(nn)) * *gossip;
        json it = {{"rumor", rid},
                   {"origin", h.ids[origin]},
                   {"t", t0},
                   {"ref", a.line},
                   {"targets", targets.size()},
                   {"delivered", times.size()},
                   {"delivery_ratio", ratio},
                   {"origin_accepted", first[origin] >= 0},
                   {"first", times.empty() ? json(nullptr) : json(times.front())},
                   {"p50", pct(0.5)},
                   {"p95", pct(0.95)},
                   {"p100", pct(1.0)},
                   {"expected", expected},
                   {"bound", bound},
                   {"duplicates", dups}};
        items.push_back(it);
        std::string subject = "rumor " + rid + " from " + h.ids[origin] + " at " + fmt(t0) + " s";
        bool bad = false;
        if (first[origin] < 0) {
            bad = true;
            rb.evidence(t0, origin, h.ids[origin] + " never printed " + rid + " (not accepted)",
                        a.line);
            rb.fail(subject + ": the origin never accepted it");
        }
        if (ratio < min_delivery) {
            bad = true;
            if (t0 + bound > truth.end_t) {
                rb.unknown(subject + ": the run ended before its bound");
                bad = false;
            } else {
                rb.evidence(t0, origin, "broadcast " + rid, a.line);
                for (uint32_t x : missing)
                    rb.evidence(
                        wend, x,
                        h.ids[x] +
                            (first[x] >= 0 ? " got " + rid + " only after " + fmt(first[x]) + " s"
                                           : " never got " + rid) +
                            " (bound " + fmt(bound) + " s)",
                        first[x] >= 0 ? first_line[x] : a.line);
                rb.fail(subject + ": reached " + std::to_string(times.size()) + " of " +
                        std::to_string(targets.size()) + " live connected nodes within " +
                        fmt(bound) + " s (first missing: " + h.ids[missing[0]] + ")");
            }
        }
        if (min_all && ratio >= 1.0 && !times.empty() && times.back() < *min_all) {
            bad = true;
            rb.evidence(t0, origin,
                        rid + " reached every node in " + fmt(times.back()) + " s (at least " +
                            fmt(*min_all) + " s on these links)",
                        a.line);
            rb.fail(subject + ": reached every node in " + fmt(times.back()) +
                    " s, faster than the links allow (min_time_to_all " + fmt(*min_all) + " s)");
        }
        if (!times.empty()) worst = std::max(worst, times.back());
        if (bad) ++failed;
    }
    double msgs = total_packets(h, false);
    bool counters = ctx.has("counters");
    rb.r.metrics = {
        {"rumors", items},
        {"count", rumors},
        {"failed", failed},
        {"delivery_ratio", targets_total ? double(delivered_total) / double(targets_total) : 1.0},
        {"duplicates", duplicates},
        {"msgs_per_rumor", counters && rumors ? json(msgs / double(rumors)) : json(nullptr)}};
    if (double(duplicates) > *max_dup)
        rb.fail(std::to_string(duplicates) + " duplicate deliveries (at most " + fmt(*max_dup) +
                ")");
    if (max_msgs) {
        if (!counters)
            rb.unknown("max_msgs_per_rumor needs the counters feature");
        else if (rumors && msgs / double(rumors) > *max_msgs)
            rb.fail(fmt(msgs / double(rumors)) + " packets per rumor (at most " + fmt(*max_msgs) +
                    ")");
    }
    if (first_bound >= 0) rb.r.bound = bound_json(spec, first_bound);
    rb.r.measured = worst < 0 ? json(nullptr) : json(worst);
    if (rumors == 0) rb.unknown("nothing to check: no broadcast in this history");
    return rb.finish(std::to_string(rumors) +
                     " rumor(s) reached every live connected node within "
                     "the bound (slowest " +
                     fmt(std::max(0.0, worst)) + " s)");
}

}  // namespace gossiplab::checkers::detail
