// input_validation: a node refuses malformed input, and only malformed input. Each `inject`
// action sent a node its implementation's hostile-input corpus (`refuse` datagrams it must drop
// whole, `accept` ones that are unusual but well-formed); the node's own bad_pkts counter must
// then have risen by exactly `refuse`: less is a malformed datagram taken as good, more is a
// good one refused. A crash on the way is run_health's.
#include "checks.hpp"
#include "common.hpp"

namespace gossiplab::checkers::detail {

CheckResult input_validation(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    ResultBuilder rb("input_validation", h, options);
    // How long after an injection the node's counters are read: the first sample this long
    // after it (counters come every second; the datagrams are delivered at once).
    const double settle = opt_number(options, "settle", 1.5);
    if (!ctx.has("counters")) {
        rb.unknown("refusals are not reported (no counters feature)");
        return rb.finish("");
    }
    json per = json::array();
    size_t judged = 0, injections = 0;
    double refused_total = 0;
    for (const Action& a : h.actions) {
        if (a.type != history::ActionType::inject || a.node == kNone) continue;
        ++injections;
        const double refuse = a.body.value("refuse", 0.0), accept = a.body.value("accept", 0.0);
        const std::string& who = h.ids[a.node];
        // The node's life at the injection; its counters are cumulative within it.
        const history::Life* life = truth.life_at(a.node, a.t);
        const Event* before = nullptr;
        const Event* after = nullptr;
        for (uint32_t idx : h.by_node[a.node]) {
            const Event& e = h.events[idx];
            if (e.type != EventType::counters || h.counters[e.aux].bad_pkts < 0) continue;
            if (life == nullptr || e.t < life->start || e.t > life->end) continue;
            if (e.line < a.line) before = &e;
            if (e.t >= a.t + settle) {
                after = &e;
                break;
            }
        }
        json one = {{"node", who}, {"t", a.t}, {"refuse", refuse}, {"accept", accept}};
        // The controller could not send it all (its error action says why): not the node's.
        bool failed = false;
        for (const Action& x : h.actions)
            failed = failed || (x.type == history::ActionType::error && x.t == a.t &&
                                x.body.value("op", "") == "inject");
        if (failed) {
            one["judged"] = "the controller could not send it (see its error action)";
            per.push_back(one);
            continue;
        }
        if (life == nullptr) {
            one["judged"] = "not running";
            per.push_back(one);
            continue;
        }
        if (after == nullptr) {
            one["judged"] = "no counters sample with bad_pkts " + fmt(settle) + " s after it";
            per.push_back(one);
            continue;
        }
        const double b0 = before ? h.counters[before->aux].bad_pkts : 0;
        const double rose = h.counters[after->aux].bad_pkts - b0;
        one["bad_pkts_rose"] = rose;
        per.push_back(one);
        ++judged;
        refused_total += refuse;
        if (rose == refuse) continue;
        rb.evidence(a.t, a.node,
                    "sent " + fmt(refuse) + " malformed and " + fmt(accept) +
                        " well-formed unusual datagram(s)",
                    a.line);
        rb.evidence(after->t, a.node,
                    who + "'s bad_pkts rose by " + fmt(rose) + " (expected " + fmt(refuse) + ")",
                    after->line);
        rb.fail(rose < refuse
                    ? who + " took " + fmt(refuse - rose) + " of the " + fmt(refuse) +
                          " malformed datagrams sent at " + fmt(a.t) +
                          " s as valid (its bad_pkts rose by " + fmt(rose) +
                          "): a decoder that accepts what it should refuse"
                    : who + " refused " + fmt(rose - refuse) + " datagram(s) more than the " +
                          fmt(refuse) + " malformed ones sent at " + fmt(a.t) +
                          " s (its bad_pkts rose by " + fmt(rose) + "; " + fmt(accept) +
                          " were well-formed): a decoder that refuses valid input");
    }
    rb.r.bound = {{"expr", "bad_pkts rises by the malformed datagrams sent"}};
    rb.r.measured = static_cast<double>(judged);
    rb.r.metrics["injections"] = per;
    if (injections == 0) {
        rb.unknown("nothing to check: no hostile input was sent (no inject action)");
        return rb.finish("");
    }
    if (judged == 0) rb.unknown("no injection could be judged (see metrics.injections)");
    return rb.finish(std::to_string(judged) + " injection(s): each node refused exactly the " +
                     fmt(refused_total) + " malformed datagram(s) and took the well-formed ones");
}

}  // namespace gossiplab::checkers::detail
