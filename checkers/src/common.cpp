// Shared checker helpers: view queries over the pair index, bound options, result assembly.
#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace gossiplab::checkers::detail {

Views::Views(const History& h) : h_(h), started_(h.ids.size()) {
    for (const Event& e : h.events)
        if (e.type == EventType::started) started_[e.node].push_back(e.line);
}

std::vector<uint32_t>::const_iterator Views::upper(const std::vector<uint32_t>& list,
                                                   uint32_t line) const {
    return std::upper_bound(list.begin(), list.end(), line,
                            [&](uint32_t l, uint32_t idx) { return l < h_.events[idx].line; });
}

uint32_t Views::process_start(uint32_t o, uint32_t line) const {
    const auto& s = started_[o];
    auto it = std::upper_bound(s.begin(), s.end(), line);
    return it == s.begin() ? 0 : *(it - 1);
}

ViewState Views::at(uint32_t o, uint32_t m, uint32_t line) const {
    const auto& list = pair(o, m);
    auto it = upper(list, line);
    if (it == list.begin()) return {};
    const Event& e = h_.events[*(it - 1)];
    if (e.line < process_start(o, line)) return {};
    return {e.state, e.incarnation, e.t, e.line};
}

int64_t Views::max_inc(uint32_t o, uint32_t m, uint32_t line) const {
    const auto& list = pair(o, m);
    uint32_t from = process_start(o, line);
    int64_t best = -1;
    for (auto it = upper(list, line); it != list.begin();) {
        const Event& e = h_.events[*--it];
        if (e.line < from) break;
        best = std::max(best, e.incarnation);
    }
    return best;
}

BoundSpec bound_spec(const json& options, const char* key, const std::string& dflt) {
    if (!options.is_object() || !options.contains(key) || options[key].is_null())
        return {dflt, true};
    const json& b = options[key];
    if (b.is_number()) return {fmt(b.get<double>()), false};
    if (b.is_string()) return {b.get<std::string>(), false};
    throw BoundError(std::string("option \"") + key +
                     "\": expected a number of seconds or an expression string, got " + b.dump());
}

std::string heal_bound(const json& profile) {
    auto lacks = [&](const char* knob) {
        return profile.is_object() && profile.contains(knob) && profile[knob].is_null();
    };
    std::string b;
    if (!lacks("reconnect_interval")) b += "reconnect_interval + ";
    if (!lacks("push_pull_interval")) b += kRepair + " + ";
    return b + "2 * probe_interval + 2 * retransmits * gossip_interval";
}

json profile_of(const Context& ctx) {
    if (ctx.profile.is_object()) return ctx.profile;
    const json& rs = ctx.history.run_start;
    if (rs.is_object() && rs.contains("profile") && rs["profile"].is_object()) return rs["profile"];
    return json::object();
}

double bound_value(const BoundSpec& b, const Context& ctx, double n) {
    return eval_bound(b.expr, profile_vars(profile_of(ctx), std::max(n, 1.0)));
}

json bound_json(const BoundSpec& b, double value) {
    return {{"expr", b.expr}, {"value", value}};
}

double opt_number(const json& options, const char* key, double dflt) {
    auto v = opt_number_or_null(options, key);
    return v ? *v : dflt;
}

std::optional<double> opt_number_or_null(const json& options, const char* key) {
    if (!options.is_object() || !options.contains(key) || options[key].is_null())
        return std::nullopt;
    if (!options[key].is_number())
        throw BoundError(std::string("option \"") + key + "\": expected a number, got " +
                         options[key].dump());
    return options[key].get<double>();
}

bool opt_bool(const json& options, const char* key, bool dflt) {
    if (!options.is_object() || !options.contains(key) || options[key].is_null()) return dflt;
    if (!options[key].is_boolean())
        throw BoundError(std::string("option \"") + key + "\": expected true or false, got " +
                         options[key].dump());
    return options[key].get<bool>();
}

ResultBuilder::ResultBuilder(std::string check, const History& h, const json& options)
    : h_(h), max_evidence_(size_t(opt_number(options, "max_evidence", 50))) {
    r.check = std::move(check);
}

void ResultBuilder::evidence(double t, uint32_t node, const std::string& what, uint32_t line) {
    if (r.evidence.size() >= max_evidence_) {
        ++dropped_;
        return;
    }
    json e = {{"t", t}, {"what", what}, {"ref", line}};
    e["node"] = node == kNone ? json(nullptr) : json(h_.ids[node]);
    r.evidence.push_back(std::move(e));
}

void ResultBuilder::fail(const std::string& reason) {
    if (!failed_) fail_reason_ = reason;
    failed_ = true;
}

void ResultBuilder::unknown(const std::string& reason) {
    if (!unknown_) unknown_reason_ = reason;
    unknown_ = true;
}

void ResultBuilder::not_applicable(const std::string& reason) {
    if (std::find(r.not_applicable.begin(), r.not_applicable.end(), reason) ==
        r.not_applicable.end())
        r.not_applicable.push_back(reason);
}

CheckResult ResultBuilder::finish(const std::string& pass_reason) {
    if (failed_) {
        r.verdict = Verdict::Fail;
        r.reason = fail_reason_;
    } else if (unknown_) {
        r.verdict = Verdict::Unknown;
        r.reason = unknown_reason_;
    } else {
        r.verdict = Verdict::Pass;
        r.reason = pass_reason;
    }
    if (dropped_) r.metrics["evidence_dropped"] = dropped_;
    return std::move(r);
}

std::string backend_of(const History& h) {
    for (const Action& a : h.actions) {
        if (a.type != ActionType::run_start) continue;
        auto it = a.body.find("backend");
        return it != a.body.end() && it->is_string() ? it->get<std::string>() : "";
    }
    return "";
}

std::string fmt(double x) {
    std::ostringstream os;
    os.precision(6);
    os << (std::fabs(x) < 5e-10 ? 0.0 : x);
    return os.str();
}

const std::string& id(const History& h, uint32_t node) {
    static const std::string none = "?";
    return node < h.ids.size() ? h.ids[node] : none;
}

}  // namespace gossiplab::checkers::detail

namespace gossiplab::checkers::detail {

const char* to_string(Want w) {
    switch (w) {
        case Want::alive:
            return "alive";
        case Want::alive_above:
            return "alive with a higher incarnation";
        case Want::dead:
            return "dead";
        case Want::left:
            return "left";
        case Want::dead_or_left:
            return "dead or left";
    }
    return "?";
}

bool satisfies(const Obligation& ob, MemberState state, int64_t inc) {
    switch (ob.want) {
        case Want::alive:
            return state == MemberState::alive;
        case Want::alive_above:
            return state == MemberState::alive && inc > ob.above;
        case Want::dead:
            return state == MemberState::dead;
        case Want::left:
            return state == MemberState::left;
        case Want::dead_or_left:
            return state == MemberState::dead || state == MemberState::left;
    }
    return false;
}

Outcome evaluate(const Views& v, const Obligation& ob, uint32_t line, double tc,
                 double window_end) {
    Outcome out;
    ViewState now = v.at(ob.o, ob.m, line);
    if (satisfies(ob, now.state, now.inc)) {
        out.met = true;
        return out;
    }
    const Event* e = v.first(ob.o, ob.m, line, window_end, [&](const Event& ev) {
        return satisfies(ob, ev.state, ev.incarnation);
    });
    if (e) {
        out.met = true;
        out.lag = std::max(0.0, e->t - tc);
        out.event = e;
        return out;
    }
    // The last view inside the window, for the evidence.
    out.last = now;
    v.first(ob.o, ob.m, line, window_end, [&](const Event& ev) {
        out.last = {ev.state, ev.incarnation, ev.t, ev.line};
        return false;
    });
    return out;
}

std::string describe(const ViewState& s) {
    std::string out = to_string(s.state);
    if (s.state != MemberState::none && s.inc >= 0) out += " (inc " + std::to_string(s.inc) + ")";
    return out;
}

RumorTargets::RumorTargets(const History& h, const Truth& truth)
    : truth_(truth), started_(truth.n) {
    for (uint32_t x = 0; x < truth.n && x < h.by_node.size(); ++x)
        for (uint32_t idx : h.by_node[x])
            if (h.events[idx].type == EventType::started) started_[x].push_back(h.events[idx].t);
}

bool RumorTargets::member_at(uint32_t x, double t) const {
    const std::vector<double>& st = started_[x];
    if (st.empty()) return true;  // never printed `started`: from its node_start
    const Life* life = truth_.life_at(x, t);
    if (!life) return false;
    auto it = std::lower_bound(st.begin(), st.end(), life->start);
    return it != st.end() && *it <= t;
}

std::vector<uint32_t> RumorTargets::of(uint32_t origin, double t0, double wend) const {
    std::vector<uint32_t> out;
    // An origin told to broadcast before it was a member (the workload picked a node whose
    // process was launched but not yet ready) obliges nobody.
    if (origin < truth_.n && !member_at(origin, t0)) return out;
    for (uint32_t x = 0; x < truth_.n; ++x) {
        if (x == origin || !truth_.steady(x, t0, wend) ||
            truth_.separated_during(origin, x, t0, wend) || !member_at(x, t0))
            continue;
        out.push_back(x);
    }
    return out;
}

}  // namespace gossiplab::checkers::detail
