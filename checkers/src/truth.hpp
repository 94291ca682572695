// The ground truth of a run, derived from the controller's actions alone: lives, pauses,
// starvation, partitions and the membership changes the checkers measure.
#pragma once

#include <gossiplab/checkers/history.hpp>

#include <limits>
#include <string>
#include <vector>

namespace gossiplab::checkers::detail {

inline constexpr double kForever = std::numeric_limits<double>::infinity();

// How a life (one process of a node) ended.
enum class EndHow : uint8_t { running, killed, crashed, restarted, left, stopped };

struct Life {
    uint32_t node = kNone;
    double start = 0, end = kForever;
    uint32_t start_line = 0, end_line = 0;
    EndHow how = EndHow::running;
    bool restart = false;
    double leave_t = kForever;  // when the leave command was sent, if it was
    uint32_t leave_line = 0;
};

struct Interval {
    uint32_t node = kNone;
    double from = 0, to = kForever;
    uint32_t from_line = 0, to_line = 0;
    double share = 0;  // starvation only
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

struct Change {
    ChangeKind kind;
    uint32_t node;  // kNone for heal
    double t;
    uint32_t line;
};

struct ShapeFault {
    double from = 0, to = kForever;
    uint32_t line = 0;
    std::string desc;
};

class Truth {
  public:
    explicit Truth(const History& h);

    const History& h;
    size_t n;
    double end_t;  // run_end's t, else the last t
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

}  // namespace gossiplab::checkers::detail
