// The ground truth of a run, derived from the controller's actions alone: lives (and how each
// ended), pauses, starvation (with its share), partition epochs, shape faults, the membership
// changes the checkers measure, and the observed end of the run. It is the one place that
// derives these intervals: the checkers get it through checkers::Context, and the report's
// timeline is to be drawn from it. Building it never throws on a loaded History (actions that
// contradict each other become `problems`); it only reads the History, which must outlive it.
#pragma once

#include <gossiplab/history/history.hpp>

#include <limits>
#include <string>
#include <vector>

namespace gossiplab::history {

inline constexpr double kForever = std::numeric_limits<double>::infinity();

// How a life (one process of a node) ended: still running at the end of the record, killed by
// the scenario, crashed (an exit nobody asked for), restarted by the scenario, left (exited after
// a leave command), or stopped (an expected exit, or any end once run_end was written).
enum class EndHow : uint8_t { running, killed, crashed, restarted, left, stopped };

// One process of a node: from its node_start to the action that ended it (end = kForever and
// how = running when nothing did). Lines are history.jsonl line numbers (0: none).
struct Life {
    uint32_t node = kNone;
    double start = 0, end = kForever;
    uint32_t start_line = 0, end_line = 0;
    EndHow how = EndHow::running;
    bool restart = false;
    double leave_t = kForever;  // when the leave command was sent, if it was
    uint32_t leave_line = 0;
};

// A pause (pause .. resume) or a starvation (starve_start .. starve_stop) of one node; `to` is
// kForever when it was never lifted while the node lived (the end of a life closes it).
struct Interval {
    uint32_t node = kNone;
    double from = 0, to = kForever;
    uint32_t from_line = 0, to_line = 0;
    double share = 0;  // starvation only: the CPU share the node was left (starve_start's share)
};

// One stretch of time with the same active grudge (only stretches with a grudge are kept).
struct Epoch {
    double from = 0, to = kForever;
    uint32_t from_line = 0, to_line = 0;  // to_line: the heal/partition that ended it (0: none)
    std::vector<uint8_t> cut;             // cut[a*n+b]: a and b cannot talk directly
    std::vector<uint32_t> comp;           // connected component over the uncut pairs
    std::vector<uint8_t> touched;         // touched[a]: some pair with a is cut
    bool involves(uint32_t node) const { return touched[node] != 0; }
};

enum class ChangeKind : uint8_t { start, restart, crash, leave, heal };
const char* to_string(ChangeKind k);

// A membership change the convergence checks measure (only those before run_end).
struct Change {
    ChangeKind kind;
    uint32_t node;  // kNone for heal
    double t;
    uint32_t line;
};

// A shape action, until a clear of the same links (or of all); `desc` reads
// "shape {...} on LINKS", with the action's JSON as written.
struct ShapeFault {
    double from = 0, to = kForever;
    uint32_t line = 0;     // the shape action
    uint32_t to_line = 0;  // the clear that ended it (0: none)
    std::string desc;
    json links;  // the action's "links" ("all" when absent)
    json shape;  // the action's "shape" ({} when absent)
};

class Truth {
  public:
    explicit Truth(const History& h);

    const History& h;
    size_t n;  // h.node_count(); every per-node vector below has n entries
    // The observed end of the run: where the controller began to tear it down. It is the
    // earliest of
    //   - the first run_end action's t (without one: the largest t in the history, h.last_t),
    //   - run_start's t + its "duration", when both are numbers, and
    //   - the t of the first node_exit that ends a life as EndHow::stopped (an expected exit
    //     the scenario did not cause by kill, restart or leave: the teardown's SIGTERM).
    // run_end is written only after every node has been stopped, so the last two usually come
    // first. (reports/src/run_data.cpp's timeline used run_end or the largest t instead.)
    double end_t;
    std::vector<std::vector<Life>> lives;
    std::vector<std::vector<Interval>> pauses, starves;
    std::vector<Epoch> epochs;
    std::vector<Change> changes;
    std::vector<ShapeFault> shapes;
    std::vector<Problem> problems;  // actions that contradict each other

    // The life covering t (start <= t < end), or null.
    const Life* life_at(uint32_t node, double t) const;
    bool live(uint32_t node, double t) const { return life_at(node, t) != nullptr; }
    bool paused_at(uint32_t node, double t) const;
    // One life covers [a, b] and no pause overlaps it.
    bool steady(uint32_t node, double a, double b) const;
    bool paused_during(uint32_t node, double a, double b) const;
    const Epoch* epoch_at(double t) const;
    bool cut(uint32_t a, uint32_t b, double t) const;
    bool separated(uint32_t a, uint32_t b, double t) const;  // different components at t
    // Some epoch overlapping [t0, t1] separates them / involves m.
    bool separated_during(uint32_t a, uint32_t b, double t0, double t1) const;
    bool involved_during(uint32_t m, double t0, double t1) const;
    size_t live_count(double t) const;
    // Human descriptions of the faults active at t (for evidence and accuracy metrics).
    std::vector<std::string> faults_at(double t) const;
    bool ever_started(uint32_t node) const { return !lives[node].empty(); }
};

}  // namespace gossiplab::history
