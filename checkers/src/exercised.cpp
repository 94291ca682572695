// exercised: the mechanisms a scenario declares ("exercises") must each have happened in the
// run, so that the other checks' passes are claims about the mechanism and not about the
// absence of events. Each mechanism is decided from the history alone (docs/checkers.md).
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <map>

namespace gossiplab::checkers {

namespace detail {

namespace {

// Where a mechanism was seen: the line that shows it, and what it shows.
struct Seen {
    bool found = false;
    double t = 0;
    uint32_t node = kNone;
    uint32_t line = 0;
    std::string what;
};

class Finder {
  public:
    Finder(const History& h, const Truth& truth) : h_(h), truth_(truth) {}

    Seen find(const std::string& name) const {
        if (name == "suspicion_raised") return first_member(MemberState::suspect, "suspected");
        if (name == "death_declared") return first_member(MemberState::dead, "declared dead");
        if (name == "suspicion_refuted") return reverted(MemberState::suspect, true);
        if (name == "death_reverted") return reverted(MemberState::dead, false);
        if (name == "restart_outbid") return outbid();
        if (name == "anti_entropy_repair") return repaired();
        return {};
    }

    // Why a mechanism that cannot be judged here is not: empty when it can.
    std::string not_judged(const std::string& name) const {
        if (name != "anti_entropy_repair") return "";
        for (const Event& e : h_.events)
            if (e.type == EventType::counters && e.aux != kNone &&
                h_.counters[e.aux].has_sync_entries)
                return "";
        return "no counters event reports sync_entries_sent (the implementation does not count "
               "its anti-entropy repairs)";
    }

  private:
    bool observed(const Event& e) const { return e.t <= truth_.end_t; }

    Seen first_member(MemberState s, const char* verb) const {
        for (const Event& e : h_.events) {
            if (e.type != EventType::member || e.state != s || !observed(e)) continue;
            return {true, e.t, e.node, e.line,
                    id(h_, e.node) + " " + verb + " " + id(h_, e.subject) + " (inc " +
                        std::to_string(e.incarnation) + ")"};
        }
        return {};
    }

    // A member in state `from` in an observer's view, later alive there (at a higher
    // incarnation when `higher`), within one life of the member and one process of the
    // observer.
    Seen reverted(MemberState from, bool higher) const {
        struct Doubt {
            int64_t inc;
            const history::Life* life;
            double t;
        };
        std::map<std::pair<uint32_t, uint32_t>, Doubt> open;
        for (const Event& e : h_.events) {
            if (!observed(e)) break;
            if (e.type == EventType::started) {  // a new process forgets what the old one saw
                for (auto it = open.begin(); it != open.end();)
                    it = it->first.first == e.node ? open.erase(it) : std::next(it);
                continue;
            }
            if (e.type != EventType::member || e.subject == kNone || e.subject >= truth_.n)
                continue;
            const auto key = std::make_pair(e.node, e.subject);
            const history::Life* life = truth_.life_at(e.subject, e.t);
            if (e.state == from) {
                if (life) open[key] = {e.incarnation, life, e.t};
                continue;
            }
            auto it = open.find(key);
            if (it == open.end()) continue;
            if (e.state != MemberState::alive) {
                if (e.state != MemberState::suspect && e.state != MemberState::dead) open.erase(it);
                continue;
            }
            const Doubt d = it->second;
            open.erase(it);
            if (life != d.life || (higher && e.incarnation <= d.inc)) continue;
            return {true, e.t, e.node, e.line,
                    id(h_, e.node) + " saw " + id(h_, e.subject) + " alive (inc " +
                        std::to_string(e.incarnation) + ") at " + fmt(e.t) + " s after " +
                        to_string(from) + " (inc " + std::to_string(d.inc) + ") at " + fmt(d.t) +
                        " s"};
        }
        return {};
    }

    Seen outbid() const {
        std::string closest;  // why the nearest candidate did not count
        for (const Event& st : h_.events) {
            if (st.type != EventType::started || !observed(st) || st.node >= truth_.n) continue;
            const history::Life* life = truth_.life_at(st.node, st.t);
            if (!life || !life->restart || st.incarnation < 0) continue;
            int64_t remembered = -1;
            for (const Event& e : h_.events) {
                if (e.t >= life->start) break;
                if (e.type == EventType::member && e.subject == st.node && e.node != st.node)
                    remembered = std::max(remembered, e.incarnation);
            }
            if (remembered < 0) continue;
            if (st.incarnation > remembered) {
                if (closest.empty())
                    closest = id(h_, st.node) + " restarted at inc " +
                              std::to_string(st.incarnation) + ", above the " +
                              std::to_string(remembered) + " its peers had seen";
                continue;
            }
            for (const Event& e : h_.events) {
                if (e.t < life->start || e.t >= life->end || !observed(e)) continue;
                if (e.type != EventType::member || e.subject != st.node || e.node == st.node ||
                    e.state != MemberState::alive || e.incarnation <= remembered)
                    continue;
                return {true, e.t, e.node, e.line,
                        id(h_, st.node) + " restarted at inc " + std::to_string(st.incarnation) +
                            " while peers had seen inc " + std::to_string(remembered) + "; " +
                            id(h_, e.node) + " saw it alive at inc " +
                            std::to_string(e.incarnation)};
            }
        }
        Seen s;
        s.what = closest;
        return s;
    }

    Seen repaired() const {
        for (const Event& e : h_.events) {
            if (e.type != EventType::counters || e.aux == kNone || !observed(e)) continue;
            const auto& c = h_.counters[e.aux];
            if (c.has_sync_entries && c.sync_entries_sent > 0)
                return {true, e.t, e.node, e.line,
                        id(h_, e.node) + " had sent " + fmt(c.sync_entries_sent) +
                            " state entries by anti-entropy"};
        }
        return {};
    }

    const History& h_;
    const Truth& truth_;
};

}  // namespace

CheckResult exercised(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    ResultBuilder rb("exercised", h, options);
    json declared = ctx.scenario.is_object() && ctx.scenario.contains("exercises")
                        ? ctx.scenario["exercises"]
                        : json::array();
    if (!declared.is_array()) {
        rb.unknown("the scenario's \"exercises\" must be an array of mechanism names, got " +
                   declared.dump());
        return rb.finish("");
    }
    rb.r.metrics["declared"] = declared;
    if (declared.empty()) return rb.finish("the scenario declares no mechanism (\"exercises\")");
    const Truth& truth = ctx.truth();
    Finder finder(h, truth);
    json exercised = json::array(), missing = json::array(), not_judged = json::array();
    for (const auto& d : declared) {
        const std::string name = d.is_string() ? d.get<std::string>() : d.dump();
        const Mechanism* m = find_mechanism(name);
        if (!m) {
            std::string known;
            for (const auto& k : mechanisms()) known += (known.empty() ? "" : ", ") + k.name;
            rb.unknown("unknown mechanism \"" + name + "\" (expected one of: " + known + ")");
            missing.push_back(name);
            continue;
        }
        std::string lacks;
        for (const auto& f : m->needs)
            if (!ctx.has(f)) lacks += (lacks.empty() ? "" : ", ") + f;
        std::string why =
            lacks.empty() ? finder.not_judged(name)
                          : "the implementation lacks the feature(s) " + lacks + " that show it";
        if (!why.empty()) {
            rb.not_applicable(name + ": " + why);
            rb.evidence(0, kNone, "not judged: " + name + ": " + why, 0);
            not_judged.push_back(name);
            continue;
        }
        Seen s = finder.find(name);
        if (s.found) {
            rb.evidence(s.t, s.node, "exercised: " + name + ": " + s.what, s.line);
            exercised.push_back(name);
            continue;
        }
        std::string what = "not exercised: " + name + " (looked for: " + m->means + ")";
        if (!s.what.empty()) what += "; " + s.what;
        rb.evidence(truth.end_t, kNone, what, 0);
        rb.unknown(what);
        missing.push_back(name);
    }
    rb.r.metrics["exercised"] = exercised;
    rb.r.metrics["not_exercised"] = missing;
    rb.r.metrics["not_judged"] = not_judged;
    rb.r.measured = static_cast<double>(exercised.size());
    return rb.finish(std::to_string(exercised.size()) + " of " + std::to_string(declared.size()) +
                     " declared mechanism(s) exercised" +
                     (not_judged.empty()
                          ? std::string()
                          : ", " + std::to_string(not_judged.size()) + " not judged"));
}

}  // namespace detail
}  // namespace gossiplab::checkers
