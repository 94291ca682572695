// history_wellformed: the history itself is sound: parseable lines, known types, per-node clocks
// that do not go back, legal view transitions, and no output from paused or dead nodes.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace gossiplab::checkers::detail {

namespace {

// The problems found, by category; reported in line order once all are known.
class Problems {
  public:
    struct Found {
        uint32_t line;
        double t;
        uint32_t node;
        std::string what;
    };

    void add(const std::string& category, double t, uint32_t node, const std::string& what,
             uint32_t line) {
        ++counts_[category];
        found_.push_back({line, t, node, what});
    }
    size_t total() const { return found_.size(); }
    const std::map<std::string, size_t>& counts() const { return counts_; }
    // In line order (stable: problems of one line keep the order they were found in).
    const std::vector<Found>& sorted() {
        std::stable_sort(found_.begin(), found_.end(),
                         [](const Found& a, const Found& b) { return a.line < b.line; });
        return found_;
    }

  private:
    std::map<std::string, size_t> counts_;
    std::vector<Found> found_;
};

// Per node: the lines between which it may print (node_start .. node_exit).
struct Span {
    double from_t, to_t;
    uint32_t from_line, to_line;
};

std::vector<std::vector<Span>> running_spans(const History& h) {
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
    return running;
}

// One node's output: its clock, whether it printed while not running or paused, and what it
// said about itself.
void node_output(const History& h, const Truth& truth, uint32_t node,
                 const std::vector<Span>& spans, double grace, Problems& out) {
    double last_ts = -INFINITY;
    uint32_t last_ts_line = 0;
    size_t si = 0;
    for (uint32_t idx : h.by_node[node]) {
        const Event& e = h.events[idx];
        if (std::isnan(e.ts)) {
            out.add("ts", e.t, node, "event without a number \"ts\"", e.line);
        } else {
            if (e.ts < last_ts)
                out.add("ts", e.t, node,
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
            out.add("dead", e.t, node,
                    h.ids[node] +
                        (ever ? " printed while not running" : " printed before it was started"),
                    e.line);
            continue;
        }
        for (const Interval& p : truth.pauses[node])
            if (p.from_line < e.line && p.from + grace < e.t && e.t < p.to && e.line < p.to_line) {
                out.add("paused", e.t, node,
                        h.ids[node] + " printed while paused (since " + fmt(p.from) + " s, line " +
                            std::to_string(p.from_line) + ")",
                        e.line);
                break;
            }
        if (e.type == EventType::started && e.subject != kNone && e.subject != node)
            out.add("started", e.t, node, h.ids[node] + " announced itself as " + h.ids[e.subject],
                    e.line);
        if (e.type == EventType::member && e.subject == node)
            out.add("transition", e.t, node, h.ids[node] + " printed a member event about itself",
                    e.line);
    }
}

// What is wrong with the step from `prev` to `e` in one view ("" when it is a legal step).
std::string bad_transition(const Event& prev, const Event& e, bool incarnations) {
    bool same = prev.state == e.state && prev.incarnation == e.incarnation;
    if (same) return "repeats " + std::string(to_string(e.state)) + " (not a transition)";
    if (!incarnations || e.incarnation < 0 || prev.incarnation < 0) return "";
    bool up_needed = (prev.state == MemberState::suspect && e.state == MemberState::alive) ||
                     (prev.state == MemberState::dead && e.state == MemberState::suspect);
    bool lower = e.incarnation < prev.incarnation && prev.state != MemberState::dead &&
                 prev.state != MemberState::left;
    if (up_needed && e.incarnation <= prev.incarnation)
        return std::string(to_string(prev.state)) + " -> " + to_string(e.state) +
               " needs a higher incarnation (" + std::to_string(prev.incarnation) + " -> " +
               std::to_string(e.incarnation) + ")";
    if (lower)
        return "incarnation went down (" + std::to_string(prev.incarnation) + " -> " +
               std::to_string(e.incarnation) + ")";
    return "";
}

// Transitions, per (observer, member) within one process of the observer.
void transitions(const History& h, bool incarnations, Problems& out) {
    Views views(h);
    for (uint32_t o = 0; o < h.ids.size(); ++o)
        for (uint32_t m = 0; m < h.ids.size(); ++m) {
            if (o == m) continue;
            const Event* prev = nullptr;
            for (uint32_t idx : h.by_pair[h.pair_index(o, m)]) {
                const Event& e = h.events[idx];
                if (prev && views.process_start(o, e.line) > prev->line) prev = nullptr;
                if (prev) {
                    std::string what = bad_transition(*prev, e, incarnations);
                    if (!what.empty())
                        out.add("transition", e.t, o,
                                h.ids[o] + "'s view of " + h.ids[m] + ": " + what +
                                    " (previous line " + std::to_string(prev->line) + ")",
                                e.line);
                }
                prev = &e;
            }
        }
}

}  // namespace

CheckResult history_wellformed(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    ResultBuilder rb("history_wellformed", h, options);
    double grace = opt_number(options, "grace", 0.2);
    Problems problems;
    if (h.lines == 0)
        problems.add("empty", 0, kNone, "the history has no lines", 0);
    else if (h.run_start.is_null())
        problems.add("no_run_start", 0, kNone, "no run_start action", 1);
    for (const Problem& p : h.problems) problems.add("line", p.t, p.node, p.what, p.line);
    for (const Problem& p : truth.problems) problems.add("action", p.t, p.node, p.what, p.line);
    const auto running = running_spans(h);
    for (uint32_t node = 0; node < h.ids.size(); ++node)
        node_output(h, truth, node, running[node], grace, problems);
    transitions(h, ctx.has("incarnations"), problems);

    const size_t total = problems.total();
    const auto& found = problems.sorted();
    for (const auto& f : found) rb.evidence(f.t, f.node, f.what, f.line);
    json cats = json::object();
    for (const auto& [k, v] : problems.counts()) cats[k] = v;
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
