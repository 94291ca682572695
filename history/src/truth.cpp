// Deriving the ground truth (who is live, paused, reachable; what changed) from the actions.
#include <gossiplab/history/truth.hpp>

#include <algorithm>
#include <numeric>
#include <sstream>

namespace gossiplab::history {

const char* to_string(ChangeKind k) {
    switch (k) {
        case ChangeKind::start:
            return "start";
        case ChangeKind::restart:
            return "restart";
        case ChangeKind::crash:
            return "crash";
        case ChangeKind::leave:
            return "leave";
        case ChangeKind::heal:
            return "heal";
    }
    return "?";
}

namespace {

std::string fmt(double x) {
    std::ostringstream os;
    os << x;
    return os.str();
}

uint32_t find_root(std::vector<uint32_t>& p, uint32_t x) {
    while (p[x] != x) x = p[x] = p[p[x]];
    return x;
}

}  // namespace

namespace {

// The first run_end's t (else the last t), or run_start's t + duration when that is earlier.
// Truth's constructor lowers it further to the first teardown exit.
double scheduled_end(const History& h) {
    double end_t = h.last_t;
    for (const Action& a : h.actions)
        if (a.type == ActionType::run_end) {
            end_t = a.t;
            break;
        }
    if (h.run_start.is_object() && h.run_start.contains("duration") &&
        h.run_start["duration"].is_number() && h.run_start["t"].is_number())
        end_t =
            std::min(end_t, h.run_start["t"].get<double>() + h.run_start["duration"].get<double>());
    return end_t;
}

// The connected components of the uncut pairs, and which nodes some cut touches.
void connect(Epoch& e, size_t n) {
    std::vector<uint32_t> parent(n);
    std::iota(parent.begin(), parent.end(), 0u);
    for (uint32_t x = 0; x < n; ++x)
        for (uint32_t y = x + 1; y < n; ++y)
            if (!e.cut[x * n + y]) parent[find_root(parent, x)] = find_root(parent, y);
    e.touched.assign(n, 0);
    for (uint32_t x = 0; x < n; ++x)
        for (uint32_t y = 0; y < n; ++y)
            if (e.cut[x * n + y]) e.touched[x] = 1;
    e.comp.resize(n);
    for (uint32_t x = 0; x < n; ++x) e.comp[x] = find_root(parent, x);
}

// Applies the actions to a Truth, one at a time, in line order.
class Builder {
  public:
    explicit Builder(Truth& t) : t_(t) {}

    void apply(const Action& a) {
        if (a.type == ActionType::run_end) ended_ = true;
        if (a.node != kNone && a.node >= t_.n) return;
        switch (a.type) {
            case ActionType::node_start:
                return node_start(a);
            case ActionType::kill:
            case ActionType::restart:
                return kill_or_restart(a);
            case ActionType::node_exit:
                return node_exit(a);
            case ActionType::leave:
                return leave(a);
            case ActionType::pause:
            case ActionType::starve_start:
                return interval_start(a);
            case ActionType::resume:
            case ActionType::starve_stop:
                return interval_stop(a);
            case ActionType::partition:
            case ActionType::heal:
            case ActionType::clog:
            case ActionType::unclog:
                return partition_or_heal(a);
            case ActionType::shape:
                return shape(a);
            case ActionType::clear:
                return clear(a);
            default:
                return;
        }
    }

  private:
    Life* open_life(uint32_t node) {
        auto& list = t_.lives[node];
        if (list.empty() || list.back().how != EndHow::running) return nullptr;
        return &list.back();
    }

    // Ends a life, and the pause or starvation still in effect with it.
    void close(Life& l, double t, uint32_t line, EndHow how) {
        l.end = t;
        l.end_line = line;
        l.how = how;
        for (auto* list : {&t_.pauses[l.node], &t_.starves[l.node]})
            if (!list->empty() && list->back().to == kForever) {
                list->back().to = t;
                list->back().to_line = line;
            }
    }

    void change(ChangeKind kind, uint32_t node, const Action& a) {
        t_.changes.push_back({kind, node, a.t, a.line});
    }

    void node_start(const Action& a) {
        const uint32_t node = a.node;
        if (Life* l = open_life(node)) {
            t_.problems.push_back({a.line, node, a.t, "node_start while the node is live"});
            close(*l, a.t, a.line, EndHow::restarted);
        }
        Life l;
        l.node = node;
        l.start = a.t;
        l.start_line = a.line;
        l.restart = a.body.value("restart", false) || !t_.lives[node].empty();
        t_.lives[node].push_back(l);
        if (!ended_) change(l.restart ? ChangeKind::restart : ChangeKind::start, node, a);
    }

    void kill_or_restart(const Action& a) {
        Life* l = open_life(a.node);
        if (!l) return;
        const bool restart = a.type == ActionType::restart;
        close(*l, a.t, a.line,
              ended_    ? EndHow::stopped
              : restart ? EndHow::restarted
                        : EndHow::killed);
        if (!ended_ && !restart) change(ChangeKind::crash, a.node, a);
    }

    void node_exit(const Action& a) {
        Life* l = open_life(a.node);
        if (!l) return;
        const bool expected = a.body.value("expected", false);
        const EndHow how = l->leave_t < kForever  ? EndHow::left
                           : (expected || ended_) ? EndHow::stopped
                                                  : EndHow::crashed;
        close(*l, a.t, a.line, how);
        // The first exit that nobody asked for by kill, restart or leave is the teardown.
        if (how == EndHow::stopped) t_.end_t = std::min(t_.end_t, a.t);
        if (how == EndHow::crashed) change(ChangeKind::crash, a.node, a);
    }

    void leave(const Action& a) {
        Life* l = open_life(a.node);
        if (!l || l->leave_t != kForever) return;
        l->leave_t = a.t;
        l->leave_line = a.line;
        if (!ended_) change(ChangeKind::leave, a.node, a);
    }

    void interval_start(const Action& a) {
        const uint32_t node = a.node;
        auto& list = a.type == ActionType::pause ? t_.pauses[node] : t_.starves[node];
        if (!list.empty() && list.back().to == kForever) return;  // already in effect
        if (!open_life(node)) {
            t_.problems.push_back({a.line, node, a.t, "pause/starve of a node that is not live"});
            return;
        }
        Interval iv;
        iv.node = node;
        iv.from = a.t;
        iv.from_line = a.line;
        if (auto s = a.body.find("share"); s != a.body.end() && s->is_number())
            iv.share = s->get<double>();
        list.push_back(iv);
    }

    void interval_stop(const Action& a) {
        auto& list = a.type == ActionType::resume ? t_.pauses[a.node] : t_.starves[a.node];
        if (!list.empty() && list.back().to == kForever) {
            list.back().to = a.t;
            list.back().to_line = a.line;
        }
    }

    // Partitions compose: a new grudge adds to what is already cut, until a heal. A clog
    // (swizzle-clog) cuts every link of one node until its unclog, on top of the partitions; a
    // heal lifts the clogs too. An unclog that leaves nothing cut is a heal.
    void partition_or_heal(const Action& a) {
        const size_t n = t_.n;
        if (current_) {
            current_->to = a.t;
            current_->to_line = a.line;
            current_ = nullptr;
        }
        if (a.type == ActionType::heal) {
            partition_cut_.clear();
            clogged_.assign(n, 0);
            if (!ended_) change(ChangeKind::heal, kNone, a);
            return;
        }
        if (partition_cut_.empty()) partition_cut_.assign(n * n, 0);
        if (clogged_.empty()) clogged_.assign(n, 0);
        if (a.type == ActionType::partition) {
            for (const auto& [k, v] : a.body["grudge"].items()) {
                uint32_t dropper = t_.h.find(k);
                if (dropper == kNone) continue;
                for (const auto& x : v) {
                    uint32_t from = t_.h.find(x.get<std::string>());
                    if (from == kNone || from == dropper) continue;
                    partition_cut_[dropper * n + from] = partition_cut_[from * n + dropper] = 1;
                }
            }
        } else {
            clogged_[a.node] = a.type == ActionType::clog ? 1 : 0;
        }
        Epoch e;
        e.from = a.t;
        e.from_line = a.line;
        e.cut = partition_cut_;
        bool any = false;
        for (uint32_t x = 0; x < n; ++x)
            for (uint32_t y = 0; y < n; ++y) {
                if (x == y) continue;
                if (clogged_[x] || clogged_[y]) e.cut[x * n + y] = 1;
                any = any || e.cut[x * n + y];
            }
        if (!any && a.type == ActionType::unclog) {  // the last clog lifted, nothing cut: healed
            if (!ended_) change(ChangeKind::heal, kNone, a);
            return;
        }
        connect(e, n);
        t_.epochs.push_back(std::move(e));
        current_ = &t_.epochs.back();  // reset before the next push_back can move it
    }

    void shape(const Action& a) {
        ShapeFault s;
        s.from = a.t;
        s.line = a.line;
        std::string links = a.body.contains("links") ? a.body["links"].dump() : "\"all\"";
        s.desc =
            "shape " + (a.body.contains("shape") ? a.body["shape"].dump() : "{}") + " on " + links;
        s.links = a.body.contains("links") ? a.body["links"] : json("all");
        s.shape = a.body.contains("shape") ? a.body["shape"] : json::object();
        t_.shapes.push_back(s);
    }

    void clear(const Action& a) {
        bool all = !a.body.contains("links") || a.body["links"] == "all";
        std::string links = all ? "" : a.body["links"].dump();
        for (auto& s : t_.shapes)
            if (s.to == kForever && (all || s.desc.ends_with(" on " + links))) {
                s.to = a.t;
                s.to_line = a.line;
            }
    }

    Truth& t_;
    bool ended_ = false;                  // run_end has been written: what follows is the teardown
    Epoch* current_ = nullptr;            // the epoch of the grudge in force
    std::vector<uint8_t> partition_cut_;  // n*n: what the partitions since the last heal cut
    std::vector<uint8_t> clogged_;        // n: clogged nodes
};

}  // namespace

Truth::Truth(const History& hist) : h(hist), n(hist.ids.size()), lives(n), pauses(n), starves(n) {
    // The run ends where the controller began to tear it down: run_end is written only after
    // every node has been stopped, so the scheduled duration (or the first exit that nobody
    // asked for by kill/restart/leave, see Builder::node_exit) comes first.
    end_t = scheduled_end(h);
    Builder b(*this);
    for (const Action& a : h.actions) b.apply(a);
    for (auto& list : lives)
        for (auto& l : list)
            if (l.end > end_t && l.how == EndHow::running) l.end = kForever;
}

const Life* Truth::life_at(uint32_t node, double t) const {
    if (node >= n) return nullptr;
    for (const Life& l : lives[node])
        if (l.start <= t && t < l.end) return &l;
    return nullptr;
}

bool Truth::paused_at(uint32_t node, double t) const {
    for (const Interval& p : pauses[node])
        if (p.from <= t && t < p.to) return true;
    return false;
}

bool Truth::paused_during(uint32_t node, double a, double b) const {
    for (const Interval& p : pauses[node])
        if (p.from <= b && a < p.to) return true;
    return false;
}

bool Truth::steady(uint32_t node, double a, double b) const {
    const Life* l = life_at(node, a);
    return l && b < l->end && !paused_during(node, a, b);
}

const Epoch* Truth::epoch_at(double t) const {
    for (const Epoch& e : epochs)
        if (e.from <= t && t < e.to) return &e;
    return nullptr;
}

bool Truth::cut(uint32_t a, uint32_t b, double t) const {
    const Epoch* e = epoch_at(t);
    return e && e->cut[a * n + b];
}

bool Truth::separated(uint32_t a, uint32_t b, double t) const {
    const Epoch* e = epoch_at(t);
    return e && e->comp[a] != e->comp[b];
}

bool Truth::separated_during(uint32_t a, uint32_t b, double t0, double t1) const {
    for (const Epoch& e : epochs)
        if (e.from <= t1 && t0 < e.to && e.comp[a] != e.comp[b]) return true;
    return false;
}

bool Truth::involved_during(uint32_t m, double t0, double t1) const {
    for (const Epoch& e : epochs)
        if (e.from <= t1 && t0 < e.to && e.involves(m)) return true;
    return false;
}

size_t Truth::live_count(double t) const {
    size_t c = 0;
    for (uint32_t x = 0; x < n; ++x) c += live(x, t) ? 1 : 0;
    return c;
}

std::vector<std::string> Truth::faults_at(double t) const {
    std::vector<std::string> out;
    if (const Epoch* e = epoch_at(t))
        out.push_back("partition since " + fmt(e->from) + " s (line " +
                      std::to_string(e->from_line) + ")");
    for (uint32_t x = 0; x < n; ++x) {
        for (const Interval& p : pauses[x])
            if (p.from <= t && t < p.to)
                out.push_back(h.ids[x] + " paused since " + fmt(p.from) + " s (line " +
                              std::to_string(p.from_line) + ")");
        for (const Interval& p : starves[x])
            if (p.from <= t && t < p.to)
                out.push_back(h.ids[x] + " starved (share " + fmt(p.share) + ") since " +
                              fmt(p.from) + " s (line " + std::to_string(p.from_line) + ")");
    }
    for (const ShapeFault& s : shapes)
        if (s.from <= t && t < s.to)
            out.push_back(s.desc + " since " + fmt(s.from) + " s (line " + std::to_string(s.line) +
                          ")");
    return out;
}

}  // namespace gossiplab::history
