// history_wellformed: the history itself is sound: parseable lines, known types, per-node clocks
// that do not go back, legal view transitions, and no output from paused or dead nodes.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace gossiplab::checkers::detail {

CheckResult history_wellformed(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    ResultBuilder rb("history_wellformed", h, options);
    double grace = opt_number(options, "grace", 0.2);
    bool incarnations = ctx.has("incarnations");
    std::map<std::string, size_t> counts;
    size_t total = 0;
    struct Found {
        uint32_t line;
        double t;
        uint32_t node;
        std::string what;
    };
    std::vector<Found> found;  // reported in line order once all are known
    auto problem = [&](const std::string& category, double t, uint32_t node,
                       const std::string& what, uint32_t line) {
        ++counts[category];
        ++total;
        found.push_back({line, t, node, what});
    };
    if (h.lines == 0)
        problem("empty", 0, kNone, "the history has no lines", 0);
    else if (h.run_start.is_null())
        problem("no_run_start", 0, kNone, "no run_start action", 1);
    for (const Problem& p : h.problems) problem("line", p.t, p.node, p.what, p.line);
    for (const Problem& p : truth.problems) problem("action", p.t, p.node, p.what, p.line);

    // Per node: the lines between which it may print (node_start .. node_exit) and its pauses.
    struct Span {
        double from_t, to_t;
        uint32_t from_line, to_line;
    };
    std::vector<std::vector<Span>> running(h.ids.size());
    for (const Action& a : h.actions) {
        if (a.node == kNone) continue;
        auto& list = running[a.node];
        if (a.type == ActionType::node_start) {
            list.push_back({a.t, kForever, a.line, 0xffffffffu});
        } else if (a.type == ActionType::node_exit && !list.empty() &&
                   list.back().to_line == 0xffffffffu) {
            list.back().to_t = a.t;
            list.back().to_line = a.line;
        }
    }
    for (uint32_t node = 0; node < h.ids.size(); ++node) {
        double last_ts = -INFINITY;
        uint32_t last_ts_line = 0;
        const auto& spans = running[node];
        size_t si = 0;
        for (uint32_t idx : h.by_node[node]) {
            const Event& e = h.events[idx];
            if (std::isnan(e.ts)) {
                problem("ts", e.t, node, "event without a number \"ts\"", e.line);
            } else {
                if (e.ts < last_ts)
                    problem("ts", e.t, node,
                            h.ids[node] + "'s clock went back: ts " + fmt(e.ts) + " after " +
                                fmt(last_ts) + " (line " + std::to_string(last_ts_line) + ")",
                            e.line);
                last_ts = std::max(last_ts, e.ts);
                last_ts_line = e.line;
            }
            while (si < spans.size() && spans[si].to_line < e.line && spans[si].to_t + grace < e.t)
                ++si;
            bool started_before = si < spans.size() && spans[si].from_line < e.line;
            if (!started_before) {
                bool ever = !spans.empty() && spans.front().from_line < e.line;
                problem("dead", e.t, node,
                        h.ids[node] + (ever ? " printed while not running"
                                            : " printed before it was started"),
                        e.line);
                continue;
            }
            for (const Interval& p : truth.pauses[node])
                if (p.from_line < e.line && p.from + grace < e.t && e.t < p.to &&
                    e.line < p.to_line) {
                    problem("paused", e.t, node,
                            h.ids[node] + " printed while paused (since " + fmt(p.from) +
                                " s, line " + std::to_string(p.from_line) + ")",
                            e.line);
                    break;
                }
            if (e.type == EventType::started && e.subject != kNone && e.subject != node)
                problem("started", e.t, node,
                        h.ids[node] + " announced itself as " + h.ids[e.subject], e.line);
            if (e.type == EventType::member && e.subject == node)
                problem("transition", e.t, node,
                        h.ids[node] + " printed a member event about itself", e.line);
        }
    }
    // Transitions, per (observer, member) within one process of the observer.
    Views views(h);
    for (uint32_t o = 0; o < h.ids.size(); ++o)
        for (uint32_t m = 0; m < h.ids.size(); ++m) {
            if (o == m) continue;
            const auto& list = h.by_pair[h.pair_index(o, m)];
            const Event* prev = nullptr;
            for (uint32_t idx : list) {
                const Event& e = h.events[idx];
                if (prev && views.process_start(o, e.line) > prev->line) prev = nullptr;
                if (prev) {
                    std::string what;
                    bool same = prev->state == e.state && prev->incarnation == e.incarnation;
                    if (same) {
                        what = "repeats " + std::string(to_string(e.state)) + " (not a transition)";
                    } else if (incarnations && e.incarnation >= 0 && prev->incarnation >= 0) {
                        bool up_needed =
                            (prev->state == MemberState::suspect &&
                             e.state == MemberState::alive) ||
                            (prev->state == MemberState::dead && e.state == MemberState::suspect);
                        bool lower = e.incarnation < prev->incarnation &&
                                     prev->state != MemberState::dead &&
                                     prev->state != MemberState::left;
                        if (up_needed && e.incarnation <= prev->incarnation)
                            what = std::string(to_string(prev->state)) + " -> " +
                                   to_string(e.state) + " needs a higher incarnation (" +
                                   std::to_string(prev->incarnation) + " -> " +
                                   std::to_string(e.incarnation) + ")";
                        else if (lower)
                            what = "incarnation went down (" + std::to_string(prev->incarnation) +
                                   " -> " + std::to_string(e.incarnation) + ")";
                    }
                    if (!what.empty())
                        problem("transition", e.t, o,
                                h.ids[o] + "'s view of " + h.ids[m] + ": " + what +
                                    " (previous line " + std::to_string(prev->line) + ")",
                                e.line);
                }
                prev = &e;
            }
        }
    std::stable_sort(found.begin(), found.end(),
                     [](const Found& a, const Found& b) { return a.line < b.line; });
    for (const Found& f : found) rb.evidence(f.t, f.node, f.what, f.line);
    json cats = json::object();
    for (const auto& [k, v] : counts) cats[k] = v;
    rb.r.metrics = {{"lines", h.lines},
                    {"events", h.events.size()},
                    {"actions", h.actions.size()},
                    {"problems", total},
                    {"by_category", cats}};
    rb.r.measured = total;
    if (total)
        rb.fail(std::to_string(total) + " problem(s); first: line " +
                std::to_string(found[0].line) + ": " + found[0].what);
    return rb.finish(std::to_string(h.lines) + " lines, well formed");
}

}  // namespace gossiplab::checkers::detail
