// run_health: the run itself was sound: no node_error or error action of the controller, no
// malformed line printed by a node, and no process a node left running when it exited. A run that
// was not sound cannot pass, whatever the other checks say.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

namespace gossiplab::checkers::detail {

namespace {

struct Found {
    double t;
    uint32_t line;
    uint32_t node;
    std::string what;
};

// The problems in line order: the controller's node_error/error actions and the malformed
// lines, each already in line order, merged.
std::vector<Found> health_problems(const History& h) {
    std::vector<Found> actions, out;
    for (const Action& a : h.actions) {
        if (a.type == ActionType::node_exit) {
            // Containment killed what the node left running when it exited (a daemon it
            // started, a helper it did not stop): the node did not stop as it should.
            auto lb = a.body.find("left_behind");
            if (lb != a.body.end() && lb->is_number_integer() && lb->get<int64_t>() > 0)
                actions.push_back({a.t, a.line, a.node,
                                   "left " + std::to_string(lb->get<int64_t>()) +
                                       " process(es) running when it exited (killed then)"});
            continue;
        }
        if (a.type != ActionType::node_error && a.type != ActionType::error) continue;
        auto m = a.body.find("message");
        actions.push_back({a.t, a.line, a.node,
                           m != a.body.end() && m->is_string() ? m->get<std::string>() : "error"});
    }
    size_t i = 0;
    for (const Malformed& m : h.malformed) {
        for (; i < actions.size() && actions[i].line < m.line; ++i)
            out.push_back(std::move(actions[i]));
        out.push_back(
            {m.t, m.line, m.node, "printed a malformed line (" + m.why.value_or("?") + ")"});
    }
    for (; i < actions.size(); ++i) out.push_back(std::move(actions[i]));
    return out;
}

// Whether the run was cut short: no run_end (the controller died: SIGKILL, a crash, the
// machine), or ended by SIGINT/SIGTERM (an `interrupted` action, run_end reason
// "interrupted"). Its obligations past the last line were never observed.
struct Interruption {
    bool interrupted = false;
    uint32_t line = 0;  // the line that says so, or the last line
    std::string why;
};

Interruption interruption(const History& h) {
    char last[64];
    std::snprintf(last, sizeof last, "%.3f", h.last_t);
    for (const Action& a : h.actions) {
        if (a.type == ActionType::interrupted) {
            std::snprintf(last, sizeof last, "%.3f", a.t);
            const auto sig = a.body.find("signal");
            return {true, a.line,
                    "the run was interrupted (" +
                        (sig != a.body.end() && sig->is_string() ? sig->get<std::string>()
                                                                 : std::string("a signal")) +
                        ") at t = " + last + " s; it proves nothing past that"};
        }
        if (a.type == ActionType::run_end) return {};
    }
    return {true, h.lines,
            std::string("the run was interrupted: no run_end (the controller did not finish); ") +
                "the last line recorded is at t = " + last + " s (line " + std::to_string(h.lines) +
                ")"};
}

// The controller's `load` samples (harness/src/load.hpp): how late the lab ran, once a second.
// A sample is starved when the controller's timers, the engine's releases or a node's wait for
// a CPU reached `limit` (by default the profile's probe_timeout, the protocol's tightest
// deadline): a node's wait is the sum of its waits in the interval, so a node that waited less
// than the limit in all was never late by more than that once.
json load_summary(const History& h, double limit) {
    size_t samples = 0, starved = 0;
    double controller = 0, node = 0, pressure = -1, engine = -1, worst_late = -1;
    std::string node_id;
    json worst = nullptr;
    auto num = [](const json& b, const char* k) -> std::optional<double> {
        auto it = b.find(k);
        if (it == b.end() || !it->is_number()) return std::nullopt;
        return it->get<double>();
    };
    char buf[200];
    for (const Action& a : h.actions) {
        if (a.type != ActionType::load) continue;
        ++samples;
        const double c = num(a.body, "controller_lag").value_or(0);
        const auto e = num(a.body, "engine_lag");
        const auto p = num(a.body, "cpu_pressure");
        double nw = 0;
        std::string nid;
        auto waits = a.body.find("node_wait");
        if (waits != a.body.end() && waits->is_object())
            for (const auto& [id, v] : waits->items())
                if (v.is_number() && v.get<double>() > nw) nw = v.get<double>(), nid = id;
        controller = std::max(controller, c);
        if (e) engine = std::max(engine, *e);
        if (p) pressure = std::max(pressure, *p);
        if (nw > node) node = nw, node_id = nid;
        const double late = std::max({c, e.value_or(0), nw});
        if (late < limit) continue;
        ++starved;
        if (late <= worst_late) continue;
        worst_late = late;
        if (late == c)
            std::snprintf(buf, sizeof buf, "the controller's timers fired up to %.0f ms late",
                          c * 1e3);
        else if (e && late == *e)
            std::snprintf(buf, sizeof buf, "the engine released held packets up to %.0f ms late",
                          *e * 1e3);
        else
            std::snprintf(buf, sizeof buf, "%s waited %.0f ms for a CPU", nid.c_str(), nw * 1e3);
        const double interval = num(a.body, "interval").value_or(0);
        char tail[120];
        std::snprintf(tail, sizeof tail, " in the second before t = %.3f s (limit %.0f ms)", a.t,
                      limit * 1e3);
        worst = {{"t", a.t},
                 {"ref", a.line},
                 {"late", late},
                 {"interval", interval},
                 {"what", std::string(buf) + tail}};
    }
    return {{"samples", samples},
            {"limit", limit},
            {"starved", starved},
            {"controller_lag_max", controller},
            {"engine_lag_max", engine < 0 ? json(nullptr) : json(engine)},
            {"node_wait_max", node},
            {"node_wait_max_node", node_id.empty() ? json(nullptr) : json(node_id)},
            {"cpu_pressure_max", pressure < 0 ? json(nullptr) : json(pressure)},
            {"worst", worst}};
}

}  // namespace

CheckResult run_health(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const size_t max_evidence = size_t(opt_number(options, "max_evidence", 50));
    const std::vector<Found> found = health_problems(h);
    CheckResult r;
    r.check = "run_health";
    // `problems` counts them all, so evidence beyond max_evidence is not counted again.
    for (const Found& f : found) {
        if (r.evidence.size() >= max_evidence) break;
        r.evidence.push_back({{"t", f.t},
                              {"node", f.node == kNone ? json(nullptr) : json(h.ids[f.node])},
                              {"what", f.what},
                              {"ref", f.line}});
    }
    r.measured = found.size();
    r.metrics = {{"problems", found.size()}, {"lines", h.lines}};
    const double limit =
        opt_number(options, "starved_limit",
                   ctx.profile.is_object() && ctx.profile.contains("probe_timeout") &&
                           ctx.profile["probe_timeout"].is_number()
                       ? ctx.profile["probe_timeout"].get<double>()
                       : 0.5);
    r.metrics["load"] = load_summary(h, limit);
    if (backend_of(h) == "sim")
        r.not_applicable.push_back(
            "processes left behind: the simulated nodes are cores inside gossiplab, not "
            "processes");
    const Interruption cut = interruption(h);
    r.metrics["interrupted"] = cut.interrupted;
    if (cut.interrupted) r.metrics["last_t"] = h.last_t;
    if (found.empty() && cut.interrupted) {
        // Whatever the other checks say, a run that did not finish proves nothing: at best
        // unknown (gossiplab check exits 3 for it, docs/checkers.md "run_health").
        r.verdict = Verdict::Unknown;
        r.reason = cut.why;
        r.evidence.push_back(
            {{"t", h.last_t}, {"node", nullptr}, {"what", cut.why}, {"ref", cut.line}});
    } else if (found.empty()) {
        r.verdict = Verdict::Pass;
        r.reason = "every node started, behaved and stopped as the scenario asked";
    } else {
        const Found& f = found[0];
        r.verdict = Verdict::Fail;
        r.reason = std::to_string(found.size()) + " problem(s) with the nodes; first: " +
                   (f.node == kNone ? "" : h.ids[f.node] + ": ") + f.what;
        if (cut.interrupted) r.reason += "; and " + cut.why;
    }
    return r;
}

}  // namespace gossiplab::checkers::detail
