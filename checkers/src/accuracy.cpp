// accuracy: live, healthy, reachable members declared dead (or suspected) count as false
// positives, with the faults active at the time.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

namespace gossiplab::checkers::detail {

namespace {

bool starved_during(const Truth& truth, uint32_t m, double a, double b) {
    for (const Interval& s : truth.starves[m])
        if (s.from <= b && a < s.to) return true;
    return false;
}

// Whether `a` can reach `b` at time t through members that are live then, over the pairs the
// active partition leaves uncut. Dead members are no bridge (the epochs' components, computed
// when the partition starts, cannot know who dies later). `b` itself may be dead (the search
// ends there), and `a` is where it starts, live or not.
//
// The answer depends on t only through the epoch and the live set, which change at partition
// actions and at life boundaries; between two such instants it is the same for every event.
// So one search per (epoch, live-set stretch, a) is kept: the set of members `a` reaches,
// i.e. `a` and every member uncut from `a` or from a live member `a` reaches. A history with
// thousands of false suspicions during a partition asks about a few hundred accusers.
class Reachability {
  public:
    explicit Reachability(const Truth& truth) : truth_(truth) {
        for (const auto& list : truth.lives)
            for (const Life& l : list) {
                bounds_.push_back(l.start);
                bounds_.push_back(l.end);
            }
        std::sort(bounds_.begin(), bounds_.end());
        bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
    }

    bool at(uint32_t a, uint32_t b, double t) {
        // The last epoch covering t, as the search always took.
        size_t ep = SIZE_MAX;
        for (size_t i = 0; i < truth_.epochs.size(); ++i)
            if (truth_.epochs[i].from <= t && t < truth_.epochs[i].to) ep = i;
        if (ep == SIZE_MAX) return true;
        // live(y, t) is start <= t < end for some life: constant while no boundary is passed.
        size_t stretch =
            size_t(std::upper_bound(bounds_.begin(), bounds_.end(), t) - bounds_.begin());
        Key key{ep, stretch, a};
        auto it = cache_.find(key);
        if (it == cache_.end()) it = cache_.emplace(key, search(truth_.epochs[ep], a, t)).first;
        return it->second[b] != 0;
    }

  private:
    struct Key {
        size_t ep, stretch;
        uint32_t a;
        bool operator<(const Key& o) const {
            return std::tie(ep, stretch, a) < std::tie(o.ep, o.stretch, o.a);
        }
    };

    std::vector<uint8_t> search(const Epoch& ep, uint32_t a, double t) const {
        size_t n = truth_.n;
        std::vector<uint8_t> live(n), expanded(n, 0), reached(n, 0);
        for (uint32_t y = 0; y < n; ++y) live[y] = truth_.live(y, t);
        std::vector<uint32_t> stack = {a};
        expanded[a] = reached[a] = 1;
        while (!stack.empty()) {
            uint32_t x = stack.back();
            stack.pop_back();
            for (uint32_t y = 0; y < n; ++y) {
                if (ep.cut[x * n + y]) continue;
                reached[y] = 1;
                if (!expanded[y] && live[y]) {
                    expanded[y] = 1;
                    stack.push_back(y);
                }
            }
        }
        return reached;
    }

    const Truth& truth_;
    std::vector<double> bounds_;
    std::map<Key, std::vector<uint8_t>> cache_;
};

// Reachable at every partition change within [t0, t1] and at both ends.
bool reachable_during(const Truth& truth, Reachability& reach, uint32_t a, uint32_t b, double t0,
                      double t1) {
    if (!reach.at(a, b, t0) || !reach.at(a, b, t1)) return false;
    for (const Epoch& e : truth.epochs)
        if (t0 < e.from && e.from < t1 && !reach.at(a, b, e.from)) return false;
    return true;
}

// M was live, unpaused, unstarved and connected to the accuser (directly or through other
// members: SWIM's indirect probes exist for exactly that) throughout [t - lookback, t]; for a
// restarted life, old news about the previous process is excluded by the same lookback.
bool healthy(const Truth& truth, Reachability& reach, uint32_t m, uint32_t accuser, double t,
             double lookback) {
    const Life* l = truth.life_at(m, t);
    if (!l) return false;
    double from = std::max(l->restart ? t - lookback : l->start, t - lookback);
    if (l->start > from) return false;
    return !truth.paused_during(m, from, t) && !starved_during(truth, m, from, t) &&
           reachable_during(truth, reach, accuser, m, from, t);
}

}  // namespace

CheckResult accuracy(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    ResultBuilder rb("accuracy", h, options);
    BoundSpec spec = bound_spec(options, "bound", "0");
    BoundSpec look = bound_spec(options, "lookback", kDetectBound);
    auto max_susp = opt_number_or_null(options, "max_false_suspicions");
    double n = double(h.declared.empty() ? h.ids.size() : h.declared.size());
    double allowed = bound_value(spec, ctx, n);
    double lookback = bound_value(look, ctx, n);
    bool suspicion = ctx.has("suspicion_events");
    Reachability reach(truth);

    double node_seconds = 0;
    for (const auto& list : truth.lives)
        for (const Life& l : list)
            node_seconds += std::max(0.0, std::min(l.end, truth.end_t) - l.start);
    double node_hours = node_seconds / 3600;

    size_t false_deaths = 0, false_susp = 0;
    std::string first_death;
    std::map<std::string, size_t> by_fault;
    json items = json::array();
    for (const Event& e : h.events) {
        if (e.type != EventType::member) continue;
        bool death = e.state == MemberState::dead || e.state == MemberState::left;
        if (!death && e.state != MemberState::suspect) continue;
        uint32_t m = e.subject;
        if (m == e.node || m >= truth.n) continue;
        if (!truth.live(e.node, e.t)) continue;  // a dying process's last words
        if (!healthy(truth, reach, m, e.node, e.t, lookback)) continue;
        if (e.state == MemberState::left && truth.life_at(m, e.t)->leave_t <= e.t) continue;
        std::vector<std::string> faults = truth.faults_at(e.t);
        std::string fault_key = faults.empty() ? "none" : faults[0];
        for (size_t i = 1; i < faults.size(); ++i) fault_key += "; " + faults[i];
        std::string what = h.ids[e.node] + (death ? " declared " : " suspected ") + h.ids[m] +
                           (death ? " " + std::string(to_string(e.state)) : std::string()) +
                           " while it was live and reachable (faults: " + fault_key + ")";
        if (death) {
            ++false_deaths;
            ++by_fault[fault_key];
            if (first_death.empty()) first_death = what;
            rb.evidence(e.t, e.node, what, e.line);
        } else {
            ++false_susp;
            if (max_susp && suspicion) rb.evidence(e.t, e.node, what, e.line);
        }
        if (items.size() < 200)
            items.push_back({{"t", e.t},
                             {"observer", h.ids[e.node]},
                             {"member", h.ids[m]},
                             {"state", to_string(e.state)},
                             {"ref", e.line},
                             {"faults", faults}});
    }
    json per_fault = json::object();
    for (const auto& [k, v] : by_fault) per_fault[k] = v;
    auto rate = [&](size_t c) {
        return node_hours > 0 ? json(double(c) / node_hours) : json(nullptr);
    };
    rb.r.metrics = {
        {"false_deaths", false_deaths},       {"false_deaths_per_node_hour", rate(false_deaths)},
        {"node_hours", node_hours},           {"lookback", lookback},
        {"false_deaths_by_fault", per_fault}, {"items", items}};
    if (suspicion) {
        rb.r.metrics["false_suspicions"] = false_susp;
        rb.r.metrics["false_suspicions_per_node_hour"] = rate(false_susp);
    } else {
        rb.r.metrics["false_suspicions"] = nullptr;
        rb.r.metrics["false_suspicions_per_node_hour"] = nullptr;
    }
    rb.r.bound = bound_json(spec, allowed);
    rb.r.measured = false_deaths;
    if (double(false_deaths) > allowed)
        rb.fail(std::to_string(false_deaths) + " false death(s) of live, reachable nodes (bound " +
                fmt(allowed) + "); first: " + first_death);
    if (max_susp) {
        if (!suspicion)
            rb.not_applicable(
                "max_false_suspicions needs the suspicion_events feature; false deaths were "
                "checked");
        else if (double(false_susp) > *max_susp)
            rb.fail(std::to_string(false_susp) + " false suspicion(s), more than " +
                    fmt(*max_susp));
    }
    if (node_hours == 0) rb.unknown("nothing to check: no node was live in this history");
    return rb.finish(std::to_string(false_deaths) + " false death(s) in " + fmt(node_hours) +
                     " node-hour(s)" +
                     (suspicion ? ", " + std::to_string(false_susp) + " false suspicion(s)" : ""));
}

}  // namespace gossiplab::checkers::detail
