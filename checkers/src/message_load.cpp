// message_load: packets and bytes per node per second from the nodes' cumulative counters, and
// SWIM's constant per-member load across runs at several N.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <cmath>

namespace gossiplab::checkers::detail {

CheckResult message_load(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    ResultBuilder rb("message_load", h, options);
    BoundSpec spec =
        bound_spec(options, "bound",
                   "2 * ((2 + 2 * indirect_checks) / probe_interval + fanout / gossip_interval)");
    auto max_imbalance = opt_number_or_null(options, "max_imbalance");
    if (!ctx.has("counters")) {
        rb.unknown("packet counts are not reported (no counters feature)");
        return rb.finish("");
    }
    struct Acc {
        double seconds = 0, pkts = 0, bytes = 0, pkts_recv = 0, bytes_recv = 0;
        double detector_pkts = 0, detector_bytes = 0;
        bool detector = false;  // every sample of the window carried the detector_* counters
        uint32_t last_line = 0;
        double last_t = 0;
    };
    // `from` (seconds of run time): measure only after it, from the first sample at or past
    // it, so a scale sweep compares steady-state load rather than each N's join burst.
    auto from = opt_number_or_null(options, "from");
    std::vector<Acc> acc(h.ids.size());
    for (uint32_t node = 0; node < h.ids.size(); ++node) {
        Acc& a = acc[node];
        double since = -1;
        const CountersSample* base = nullptr;  // subtracted: the window's first sample
        const CountersSample* last = nullptr;
        double last_t = 0;
        // The same window on the node's own clock (`ts`): a rate within one process is read on
        // that process's clock when both ends have one, so lines that reach the controller in
        // a burst (a loaded machine, a buffering adapter) do not shrink the window to nothing.
        double since_ts = NAN, last_ts = NAN;
        auto flush = [&] {
            const bool own =
                std::isfinite(since_ts) && std::isfinite(last_ts) && last_ts > since_ts;
            if (last && since >= 0 && (own || last_t > since)) {
                a.seconds += own ? last_ts - since_ts : last_t - since;
                a.pkts += last->pkts_sent - (base ? base->pkts_sent : 0);
                a.bytes += last->bytes_sent - (base ? base->bytes_sent : 0);
                a.pkts_recv += last->pkts_recv - (base ? base->pkts_recv : 0);
                a.bytes_recv += last->bytes_recv - (base ? base->bytes_recv : 0);
                if (last->has_detector && (!base || base->has_detector)) {
                    a.detector = true;
                    a.detector_pkts +=
                        last->detector_pkts_sent - (base ? base->detector_pkts_sent : 0);
                    a.detector_bytes +=
                        last->detector_bytes_sent - (base ? base->detector_bytes_sent : 0);
                }
            }
            last = base = nullptr;
            since = -1;
            since_ts = last_ts = NAN;
        };
        for (uint32_t idx : h.by_node[node]) {
            const Event& e = h.events[idx];
            if (e.type == EventType::started) {
                flush();
                if (!from) {
                    since = e.t;
                    since_ts = e.ts;
                }
            } else if (e.type == EventType::counters) {
                if (from) {
                    if (e.t < *from) continue;
                    if (!base) {
                        base = &h.counters[e.aux];
                        since = e.t;
                        since_ts = e.ts;
                        continue;
                    }
                }
                if (since < 0) {  // no started event: count from the first sample
                    since = e.t;
                    since_ts = e.ts;
                }
                last = &h.counters[e.aux];
                last_t = e.t;
                last_ts = e.ts;
                a.last_line = e.line;
                a.last_t = e.t;
            }
        }
        flush();
    }
    json per_node = json::object();
    double sum = 0, mx = 0, mn = 0, bytes_sum = 0, bytes_mx = 0;
    double detector_pkts_sum = 0, detector_bytes_sum = 0;
    size_t detector_measured = 0;
    uint32_t hottest = kNone;
    size_t measured = 0;
    for (uint32_t node = 0; node < h.ids.size(); ++node) {
        const Acc& a = acc[node];
        if (a.seconds <= 0) continue;
        double rate = a.pkts / a.seconds;
        per_node[h.ids[node]] = {{"pkts_sent_per_s", rate},
                                 {"bytes_sent_per_s", a.bytes / a.seconds},
                                 {"pkts_recv_per_s", a.pkts_recv / a.seconds},
                                 {"bytes_recv_per_s", a.bytes_recv / a.seconds},
                                 {"seconds", a.seconds}};
        if (a.detector) {
            per_node[h.ids[node]]["detector_bytes_sent_per_s"] = a.detector_bytes / a.seconds;
            detector_pkts_sum += a.detector_pkts / a.seconds;
            detector_bytes_sum += a.detector_bytes / a.seconds;
            ++detector_measured;
        }
        sum += rate;
        bytes_sum += a.bytes / a.seconds;
        bytes_mx = std::max(bytes_mx, a.bytes / a.seconds);
        if (measured == 0 || rate > mx) {
            mx = rate;
            hottest = node;
        }
        mn = measured == 0 ? rate : std::min(mn, rate);
        ++measured;
    }
    if (measured == 0) {
        rb.unknown("nothing to check: no node printed two counters samples");
        return rb.finish("");
    }
    double mean = sum / double(measured);
    double n = double(h.declared.empty() ? measured : h.declared.size());
    double bound = bound_value(spec, ctx, n);
    rb.r.metrics = {{"N", n},
                    {"nodes_measured", measured},
                    {"mean_pkts_sent_per_s", mean},
                    {"max_pkts_sent_per_s", mx},
                    {"min_pkts_sent_per_s", mn},
                    // Bytes beside packets: a protocol that gossips whole tables (a heartbeat
                    // detector, anti-entropy) keeps its packet rate while its packets grow.
                    {"mean_bytes_sent_per_s", bytes_sum / double(measured)},
                    {"max_bytes_sent_per_s", bytes_mx},
                    {"imbalance", mean > 0 ? mx / mean : 0.0},
                    {"per_node", per_node}};
    // The failure detector's share, where every measured node reports it (the reference node
    // does; null otherwise): what the detector costs apart from dissemination and anti-entropy.
    const bool all_detector = detector_measured == measured;
    rb.r.metrics["mean_detector_pkts_sent_per_s"] =
        all_detector ? json(detector_pkts_sum / double(measured)) : json(nullptr);
    rb.r.metrics["mean_detector_bytes_sent_per_s"] =
        all_detector ? json(detector_bytes_sum / double(measured)) : json(nullptr);
    rb.r.bound = bound_json(spec, bound);
    rb.r.measured = mx;
    if (mx > bound) {
        rb.evidence(acc[hottest].last_t, hottest,
                    h.ids[hottest] + " sent " + fmt(mx) + " packets/s (bound " + fmt(bound) + ")",
                    acc[hottest].last_line);
        rb.fail(h.ids[hottest] + " sent " + fmt(mx) + " packets/s, more than the bound " +
                fmt(bound));
    }
    if (max_imbalance && mean > 0 && mx / mean > *max_imbalance) {
        rb.evidence(acc[hottest].last_t, hottest,
                    h.ids[hottest] + " sent " + fmt(mx / mean) + "x the mean load",
                    acc[hottest].last_line);
        rb.fail("load imbalance " + fmt(mx / mean) + " (max/mean) above " + fmt(*max_imbalance));
    }
    return rb.finish("mean " + fmt(mean) + " packets/s per node, max " + fmt(mx) + " (" +
                     id(h, hottest) + ")");
}

}  // namespace gossiplab::checkers::detail

namespace gossiplab::checkers {

CheckResult load_flatness(const std::vector<json>& runs, double tolerance) {
    CheckResult r;
    r.check = "load_flatness";
    json points = json::array();
    double lo = 0, hi = 0;
    size_t count = 0;
    for (const json& run : runs) {
        const json* m = run.contains("metrics") ? &run["metrics"] : nullptr;
        if (!m || !m->contains("mean_pkts_sent_per_s") || !(*m)["mean_pkts_sent_per_s"].is_number())
            continue;
        double v = (*m)["mean_pkts_sent_per_s"].get<double>();
        json point = {{"N", m->value("N", 0.0)}, {"mean_pkts_sent_per_s", v}};
        if (m->contains("mean_bytes_sent_per_s"))
            point["mean_bytes_sent_per_s"] = (*m)["mean_bytes_sent_per_s"];
        if (m->contains("mean_detector_bytes_sent_per_s"))
            point["mean_detector_bytes_sent_per_s"] = (*m)["mean_detector_bytes_sent_per_s"];
        points.push_back(std::move(point));
        lo = count == 0 ? v : std::min(lo, v);
        hi = count == 0 ? v : std::max(hi, v);
        ++count;
    }
    r.metrics = {{"runs", points}, {"tolerance", tolerance}};
    r.bound = {{"expr", "max/min - 1 <= " + detail::fmt(tolerance)}, {"value", tolerance}};
    if (count < 2) {
        r.verdict = Verdict::Unknown;
        r.reason = "needs message_load results of at least two runs";
        return r;
    }
    double spread = lo > 0 ? hi / lo - 1 : (hi > 0 ? INFINITY : 0);
    r.measured = std::isfinite(spread) ? json(spread) : json(nullptr);
    r.metrics["spread"] = r.measured;
    if (spread > tolerance) {
        r.verdict = Verdict::Fail;
        r.reason = "per-member load varies by " + detail::fmt(spread * 100) +
                   "% across cluster sizes (tolerance " + detail::fmt(tolerance * 100) + "%)";
    } else {
        r.verdict = Verdict::Pass;
        r.reason = "per-member load stays within " + detail::fmt(tolerance * 100) + "% across " +
                   std::to_string(count) + " runs";
    }
    return r;
}

}  // namespace gossiplab::checkers
