// run_health: the run itself was sound: no node_error or error action of the controller and no
// malformed line printed by a node. A run that was not sound cannot pass, whatever the other
// checks say.
#include "checks.hpp"
#include "common.hpp"

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
    if (found.empty()) {
        r.verdict = Verdict::Pass;
        r.reason = "every node started, behaved and stopped as the scenario asked";
    } else {
        const Found& f = found[0];
        r.verdict = Verdict::Fail;
        r.reason = std::to_string(found.size()) + " problem(s) with the nodes; first: " +
                   (f.node == kNone ? "" : h.ids[f.node] + ": ") + f.what;
    }
    return r;
}

}  // namespace gossiplab::checkers::detail
