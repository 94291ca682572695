// Helpers shared by the checkers: views as of a line, bounds from options, result building.
#pragma once

#include <gossiplab/checkers/checkers.hpp>

#include <gossiplab/history/truth.hpp>

#include <optional>
#include <string>
#include <vector>

namespace gossiplab::checkers::detail {

// The ground truth (gossiplab/history/truth.hpp) by the names the checkers use.
using history::Change;
using history::ChangeKind;
using history::EndHow;
using history::Epoch;
using history::Interval;
using history::kForever;
using history::Life;
using history::ShapeFault;
using history::Truth;

// One observer's view of one member after some line.
struct ViewState {
    MemberState state = MemberState::none;
    int64_t inc = -1;
    double t = 0;
    uint32_t line = 0;  // 0: no event yet in this process
};

// Answers "what did O's current process believe about M at line L" from History::by_pair.
class Views {
  public:
    explicit Views(const History& h);

    // The line of O's `started` event that begins the process live at `line` (0 if none).
    uint32_t process_start(uint32_t o, uint32_t line) const;
    ViewState at(uint32_t o, uint32_t m, uint32_t line) const;
    // The highest incarnation O's current process had seen for M up to `line` (-1: none).
    int64_t max_inc(uint32_t o, uint32_t m, uint32_t line) const;
    // The first member event of O about M after `after_line`, with t <= until, for which
    // pred(event) holds; null when none.
    template <class Pred>
    const Event* first(uint32_t o, uint32_t m, uint32_t after_line, double until, Pred pred) const {
        const auto& list = h_.by_pair[h_.pair_index(o, m)];
        auto it = upper(list, after_line);
        for (; it != list.end(); ++it) {
            const Event& e = h_.events[*it];
            if (e.t > until) break;
            if (pred(e)) return &e;
        }
        return nullptr;
    }
    const std::vector<uint32_t>& pair(uint32_t o, uint32_t m) const {
        return h_.by_pair[h_.pair_index(o, m)];
    }
    std::vector<uint32_t>::const_iterator upper(const std::vector<uint32_t>& list,
                                                uint32_t line) const;

  private:
    const History& h_;
    std::vector<std::vector<uint32_t>> started_;  // per node: lines of its `started` events
};

// A bound as written in the options (a number of seconds or an expression).
struct BoundSpec {
    std::string expr;
    bool from_default = false;
};

// options[key] (number or string) or the default; throws BoundError on another type.
BoundSpec bound_spec(const json& options, const char* key, const std::string& dflt);
json profile_of(const Context& ctx);
// Evaluates the bound with N = n. Throws BoundError.
double bound_value(const BoundSpec& b, const Context& ctx, double n);
json bound_json(const BoundSpec& b, double value);

double opt_number(const json& options, const char* key, double dflt);
std::optional<double> opt_number_or_null(const json& options, const char* key);
bool opt_bool(const json& options, const char* key, bool dflt);

// Accumulates a result: verdict escalation, capped evidence.
class ResultBuilder {
  public:
    ResultBuilder(std::string check, const History& h, const json& options);

    void evidence(double t, uint32_t node, const std::string& what, uint32_t line);
    void fail(const std::string& reason);     // first reason wins
    void unknown(const std::string& reason);  // kept unless something failed
    // A part that cannot apply (a feature the implementation lacks): noted, never decisive.
    void not_applicable(const std::string& reason);
    CheckResult finish(const std::string& pass_reason);

    CheckResult r;

  private:
    const History& h_;
    size_t max_evidence_;
    size_t dropped_ = 0;
    bool failed_ = false, unknown_ = false;
    std::string fail_reason_, unknown_reason_;
};

std::string fmt(double x);  // shortest readable seconds: 2.4, 0.125
// run_start's `backend` ("nfqueue", "netem", "loopback", "sim"); "" when absent.
std::string backend_of(const History& h);
const std::string& id(const History& h, uint32_t node);

}  // namespace gossiplab::checkers::detail

namespace gossiplab::checkers::detail {

// Default bounds (docs/checkers.md gives their derivation and sources).
inline const std::string kJoinBound = "3 * probe_interval + 2 * retransmits * gossip_interval";
inline const std::string kDetectBound =
    "5 * probe_interval + suspicion_max + 2 * retransmits * gossip_interval";
inline const std::string kLeaveBound = "probe_interval + 2 * retransmits * gossip_interval";
// The heal bound: each repair mechanism the implementation has (reconnect to members it
// believes dead, push-pull anti-entropy with members it still knows), then a probe round trip
// and the retransmissions that spread the news. A mechanism whose knob is null is one the
// implementation lacks (memberlist has no reconnect loop): its term is left out, so that a split
// no remaining mechanism repairs is judged a failure, not an unknown.
inline const std::string kHealBound =
    "reconnect_interval + 2 * push_pull_interval + 2 * probe_interval + 2 * retransmits * "
    "gossip_interval";
// What push-pull anti-entropy repairs within: two periods. A node's first exchange falls at a
// random phase of its period and its partner is one random member, who may be as stale as it
// is; in two periods each node starts two exchanges and takes part in about two more.
inline const std::string kRepair = "2 * push_pull_interval";
// The default heal bound for `profile`: kHealBound without the terms of null knobs.
std::string heal_bound(const json& profile);
// Application state (state_convergence): a record lost on the gossip path is repaired by the
// anti-entropy exchange that rides on push-pull, which each node starts once per period with
// one random member: three periods, plus the retransmissions and a probe period for the
// gossip path itself.
inline const std::string kStateBound =
    "3 * push_pull_interval + 2 * retransmits * gossip_interval + probe_interval";
inline const std::string kRefuteBound = "2 * probe_interval + 2 * retransmits * gossip_interval";
inline const std::string kSpreadBound =
    "2 * (log(N) / log(fanout) + ln(N)) * gossip_interval + probe_interval";

// What an observer's view of a member must become.
enum class Want : uint8_t { alive, alive_above, dead, left, dead_or_left };
const char* to_string(Want w);

struct Obligation {
    uint32_t o, m;
    Want want;
    int64_t above = -1;  // alive_above: the incarnation that must be exceeded
};

bool satisfies(const Obligation& ob, MemberState state, int64_t inc);

struct Outcome {
    bool met = false;
    double lag = 0;                // met: time from the change to the matching event (0: at once)
    const Event* event = nullptr;  // met: the matching event (null when it matched at once)
    ViewState last;                // not met: the observer's last view inside the window
};

// Whether O's view of M matches from `line` (time tc) on, up to window_end.
Outcome evaluate(const Views& v, const Obligation& ob, uint32_t line, double tc, double window_end);

// Text for a view, e.g. "alive (inc 3)" or "absent".
std::string describe(const ViewState& s);

// The nodes a rumor broadcast by `origin` at t0 must reach by `wend` (dissemination and
// latency): every other node live and unpaused throughout [t0, wend], never cut off from the
// origin, and already a member when it was sent: its `started` line (the contract's "ready")
// came at or before t0 in the life that covers t0. A node that starts after the broadcast is
// not obliged to get it: Serf and memberlist do not replay user events to later joiners, by
// design; and an origin that was not yet a member itself obliges nobody. A node that never
// printed `started` (wellformedness reports that) counts from its node_start.
class RumorTargets {
  public:
    RumorTargets(const History& h, const Truth& truth);
    std::vector<uint32_t> of(uint32_t origin, double t0, double wend) const;

  private:
    bool member_at(uint32_t node, double t) const;
    const Truth& truth_;
    std::vector<std::vector<double>> started_;  // per node: its `started` lines' times, in order
};

}  // namespace gossiplab::checkers::detail
