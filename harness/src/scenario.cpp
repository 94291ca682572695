// Scenario loading: strict validation (unknown keys are errors, every error
// names the file and the JSON path), defaults, and seeded schedule expansion.
#include "gossiplab/harness/scenario.hpp"

#include "gossiplab/checkers/bound.hpp"
#include "gossiplab/checkers/checkers.hpp"

#include "gossiplab/netem/grudge.hpp"
#include "gossiplab/netem/shape.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace gossiplab::harness {
namespace {

std::string type_name(const json& j) {
    switch (j.type()) {
        case json::value_t::null:
            return "null";
        case json::value_t::boolean:
            return "a boolean";
        case json::value_t::string:
            return "a string";
        case json::value_t::array:
            return "an array";
        case json::value_t::object:
            return "an object";
        case json::value_t::discarded:
            return "nothing";
        default:
            return "a number";
    }
}

// Times and other numbers written as expressions over the implementation's timing profile
// ("at": "5 + 3 * probe_interval"), in the bound language of docs/checkers.md, with N the
// cluster's size. The profile is looked up (Overrides::profile_of) once the cluster names the
// implementation and profile, and only when some value is an expression.
class Times {
  public:
    Times(const Overrides& ov, std::string file) : ov_(ov), file_(std::move(file)) {}
    void bind(const std::string& impl, const std::string& profile, size_t n) {
        impl_ = impl;
        profile_ = profile;
        n_ = n;
    }
    double eval(const std::string& expr, const std::string& path) const {
        if (!vars_) {
            if (!ov_.profile_of)
                throw ScenarioError(file_, path,
                                    "expected a number, found a string ('" + expr +
                                        "': a time written over the timing profile needs the "
                                        "implementation's profile, which is not known here)");
            json profile;
            try {
                profile = ov_.profile_of(impl_, profile_);
            } catch (const std::exception& e) {
                throw ScenarioError(file_, path,
                                    "'" + expr + "' needs the timing profile: " + e.what());
            }
            vars_ = checkers::profile_vars(profile, static_cast<double>(n_));
        }
        try {
            return checkers::eval_bound(expr, *vars_);
        } catch (const checkers::BoundError& e) {
            throw ScenarioError(file_, path, e.what());
        }
    }

  private:
    const Overrides& ov_;
    std::string file_, impl_, profile_;
    size_t n_ = 0;
    mutable std::optional<checkers::Vars> vars_;
};

// Walks one JSON object, checking types and remembering which keys were
// read so that leftovers can be reported as unknown. Given Times, a number may be written as
// an expression over the timing profile.
class Obj {
  public:
    Obj(const json& j, std::string file, std::string path, const Times* times = nullptr)
        : j_(j), file_(std::move(file)), path_(std::move(path)), times_(times) {
        if (!j_.is_object()) fail(path_, "expected an object, found " + type_name(j_));
    }

    [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
        throw ScenarioError(file_, path, msg);
    }
    std::string at(const std::string& key) const { return path_ + "/" + key; }
    const std::string& file() const { return file_; }
    const std::string& path() const { return path_; }

    bool has(const std::string& key) {
        seen_.insert(key);
        return j_.contains(key);
    }
    const json& get(const std::string& key) {
        if (!has(key)) fail(at(key), "missing required key '" + key + "'");
        return j_.at(key);
    }
    std::string str(const std::string& key, std::optional<std::string> def = std::nullopt) {
        if (!has(key)) {
            if (def) return *def;
            fail(at(key), "missing required key '" + key + "' (a string)");
        }
        const json& v = j_.at(key);
        if (!v.is_string()) fail(at(key), "expected a string, found " + type_name(v));
        return v.get<std::string>();
    }
    double num(const std::string& key, std::optional<double> def = std::nullopt,
               double min = -1e300, double max = 1e300) {
        if (!has(key)) {
            if (def) return *def;
            fail(at(key), "missing required key '" + key + "' (a number)");
        }
        const json& v = j_.at(key);
        if (v.is_string() && times_) {
            const std::string& expr = v.get_ref<const std::string&>();
            double d = times_->eval(expr, at(key));
            return in_range(d, key, min, max, "'" + expr + "' = " + json(d).dump());
        }
        if (!v.is_number()) fail(at(key), "expected a number, found " + type_name(v));
        return in_range(v.get<double>(), key, min, max, v.dump());
    }
    double in_range(double d, const std::string& key, double min, double max,
                    const std::string& shown) const {
        if (!std::isfinite(d) || d < min || d > max) {
            std::ostringstream m;
            m << "expected a number in [" << min << ", " << max << "], found " << shown;
            fail(at(key), m.str());
        }
        return d;
    }
    int integer(const std::string& key, std::optional<int> def, int min, int max) {
        if (!has(key)) {
            if (def) return *def;
            fail(at(key), "missing required key '" + key + "' (an integer)");
        }
        const json& v = j_.at(key);
        if (!v.is_number_integer() || v.get<long long>() < min || v.get<long long>() > max)
            fail(at(key), "expected an integer in [" + std::to_string(min) + ", " +
                              std::to_string(max) + "], found " + v.dump());
        return v.get<int>();
    }
    bool boolean(const std::string& key, bool def) {
        if (!has(key)) return def;
        const json& v = j_.at(key);
        if (!v.is_boolean()) fail(at(key), "expected true or false, found " + type_name(v));
        return v.get<bool>();
    }
    // Every key not read is an error: a typo must not be silently ignored.
    void done() const {
        for (auto it = j_.begin(); it != j_.end(); ++it) {
            if (!seen_.count(it.key())) {
                std::string known;
                for (const auto& k : seen_) known += (known.empty() ? "" : ", ") + k;
                fail(at(it.key()), "unknown key '" + it.key() + "' (known here: " + known + ")");
            }
        }
    }

  private:
    const json& j_;
    std::string file_, path_;
    const Times* times_;
    std::set<std::string> seen_;
};

// SplitMix64: a portable, well-mixed generator so a seed gives the same
// choices on every platform (std distributions are implementation-defined).
class Rng {
  public:
    explicit Rng(uint64_t s) : s_(s) {}
    uint64_t next() {
        uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }
    template <class T>
    void shuffle(std::vector<T>& v) {
        for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
    }

  private:
    uint64_t s_;
};

using history::ActionType;

// The schedule's "do" words. Each is the history's name of the action it becomes (the names
// live in the history module), except the two words only a scenario has: "start" (a
// node_start) and "starve" (a starve_start and, `for` seconds later, its starve_stop).
constexpr const char* kStartWord = "start";
constexpr const char* kStarveWord = "starve";
// "swizzle_clog": a clog and an unclog for each node of a random subset (Expander::swizzle).
constexpr const char* kSwizzleWord = "swizzle_clog";
constexpr ActionType kDoActions[] = {ActionType::partition, ActionType::heal,    ActionType::shape,
                                     ActionType::clear,     ActionType::kill,    ActionType::pause,
                                     ActionType::resume,    ActionType::restart, ActionType::leave,
                                     ActionType::broadcast, ActionType::set,     ActionType::del,
                                     ActionType::inject};

// The action a "do" word asks for (node_start for "start", starve_start for "starve"), or
// other for a word a schedule does not know.
ActionType do_action(const std::string& word) {
    if (word == kStartWord) return ActionType::node_start;
    if (word == kStarveWord) return ActionType::starve_start;
    const ActionType a = history::action_type(word);
    for (ActionType d : kDoActions)
        if (a == d) return a;
    return ActionType::other;
}

// "broadcast, clear, heal, ...": every "do" word, sorted, for the error message.
std::string do_words() {
    std::set<std::string> words = {kStartWord, kStarveWord, kSwizzleWord};
    for (ActionType d : kDoActions) words.insert(history::to_string(d));
    std::string all;
    for (const auto& w : words) all += (all.empty() ? "" : ", ") + w;
    return all;
}

const std::set<std::string> kPartitionKinds = {"halves",  "isolate", "groups",
                                               "one_way", "bridge",  "random"};

// The schedule as the loader first reads it: one entry per occurrence.
struct Item {
    double at;
    int order;  // position in the file, to keep equal times stable
    std::string path;
    json spec;
};

}  // namespace

uint64_t derive_seed(uint64_t seed, const std::string& salt) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a, then mixed with the seed
    for (unsigned char c : salt) h = (h ^ c) * 1099511628211ULL;
    Rng r(seed ^ h);
    return r.next();
}

namespace {

netem::LinkShape shape_at(const json& shape, const std::string& file, const std::string& path) {
    try {
        return netem::shape_from_json(shape, "shape");
    } catch (const netem::LabError& e) {
        throw ScenarioError(file, path, e.what());
    }
}

// The cluster's node ids, for checking every reference to a node.
struct NodeIds {
    std::string file;
    int n = 0;
    std::set<std::string> known;

    std::string id(const json& v, const std::string& path) const {
        if (!v.is_string()) throw ScenarioError(file, path, "expected a node id (a string)");
        std::string id = v.get<std::string>();
        if (!known.count(id))
            throw ScenarioError(
                file, path,
                "unknown node \"" + id + "\" (this cluster has n1..n" + std::to_string(n) + ")");
        return id;
    }
    std::vector<std::string> list(const json& v, const std::string& path) const {
        if (!v.is_array()) throw ScenarioError(file, path, "expected an array of node ids");
        std::vector<std::string> out;
        for (size_t i = 0; i < v.size(); ++i)
            out.push_back(id(v[i], path + "/" + std::to_string(i)));
        return out;
    }
};

void check_time(const Scenario& sc, double at, const std::string& path) {
    if (at > sc.duration)
        throw ScenarioError(sc.file, path,
                            "time " + json(at).dump() + " is beyond the duration (" +
                                json(sc.duration).dump() + " s)");
}

// name, description, source, quick, sweep, duration.
void parse_header(Obj& top, Scenario& sc) {
    sc.name = top.str("name");
    sc.description = top.str("description");
    sc.source = top.str("source", std::string());
    sc.quick = top.boolean("quick", false);
    if (top.has("sweep")) {
        const json& sw = top.get("sweep");
        if (!sw.is_array() || sw.size() < 2)
            top.fail("/sweep", "expected an array of at least two node counts");
        for (size_t i = 0; i < sw.size(); ++i) {
            if (!sw[i].is_number_integer() || sw[i].get<int>() < 2 || sw[i].get<int>() > 1000)
                top.fail("/sweep/" + std::to_string(i), "expected a node count 2..1000");
            sc.sweep.push_back(sw[i].get<int>());
        }
    }
    if (top.has("exercises")) {
        std::string known;
        for (const auto& m : checkers::mechanisms()) known += (known.empty() ? "" : ", ") + m.name;
        const json& ex = top.get("exercises");
        if (!ex.is_array())
            top.fail("/exercises", "expected an array of mechanism names (one of: " + known + ")");
        for (size_t i = 0; i < ex.size(); ++i) {
            const std::string p = "/exercises/" + std::to_string(i);
            if (!ex[i].is_string())
                top.fail(p, "expected a mechanism name (one of: " + known + "), found " +
                                type_name(ex[i]));
            const std::string name = ex[i].get<std::string>();
            if (!checkers::find_mechanism(name))
                top.fail(p, "unknown mechanism \"" + name + "\" (expected one of: " + known + ")");
            if (std::find(sc.exercises.begin(), sc.exercises.end(), name) != sc.exercises.end())
                top.fail(p, "mechanism \"" + name + "\" is declared twice");
            sc.exercises.push_back(name);
        }
    }
}

// When each node starts (seeds first; "staggered" starts the others one by one), and late ones.
std::map<std::string, double> start_times(Obj& cl, const Scenario& sc, const Times& times) {
    std::map<std::string, double> start_at;
    std::string mode = "all";
    double stagger = 1.0;
    if (cl.has("start")) {
        Obj st(cl.get("start"), sc.file, "/cluster/start", &times);
        mode = st.str("mode", std::string("all"));
        if (mode != "all" && mode != "staggered")
            st.fail(st.at("mode"), "expected \"all\" or \"staggered\", found \"" + mode + "\"");
        stagger = st.num("interval", 1.0, 0, 3600);
        st.done();
    }
    double t = 0;
    for (const auto& s : sc.seeds) start_at[s] = 0;
    for (const auto& id : sc.nodes) {
        if (start_at.count(id)) continue;
        if (mode == "staggered") t += stagger;
        start_at[id] = t;
    }
    return start_at;
}

// The /cluster object: nodes, seeds, impl, profile, start times, late joiners, per-node seeds and
// deferred nodes (started only by a schedule `start`). Returns when each node starts.
std::map<std::string, double> parse_cluster(Obj& top, Scenario& sc, const Overrides& ov,
                                            NodeIds& ids, Times& times) {
    const std::string& file = sc.file;
    Obj cl(top.get("cluster"), file, "/cluster");
    int n = cl.integer("nodes", std::nullopt, 1, 1000);
    if (ov.nodes) n = *ov.nodes;
    for (int i = 1; i <= n; ++i) sc.nodes.push_back("n" + std::to_string(i));
    ids = NodeIds{file, n, std::set<std::string>(sc.nodes.begin(), sc.nodes.end())};
    sc.seeds = cl.has("seeds") ? ids.list(cl.get("seeds"), "/cluster/seeds")
                               : std::vector<std::string>{"n1"};
    // Read both keys even when overridden: an unread key is reported as unknown.
    const std::string impl = cl.str("impl", std::string("reference"));
    const std::string profile = cl.str("profile", std::string());
    sc.impl = ov.impl ? *ov.impl : impl;
    sc.profile = ov.profile ? *ov.profile : profile;
    // Times may be written over the timing profile from here on; the duration is one of them.
    times.bind(sc.impl, sc.profile, sc.nodes.size());
    sc.duration = top.num("duration", std::nullopt, 0.1, 24 * 3600);
    std::map<std::string, double> start_at = start_times(cl, sc, times);
    if (cl.has("late")) {
        const json& late = cl.get("late");
        if (!late.is_array()) cl.fail("/cluster/late", "expected an array of {node, at}");
        for (size_t i = 0; i < late.size(); ++i) {
            std::string p = "/cluster/late/" + std::to_string(i);
            Obj lo(late[i], file, p, &times);
            std::string id = ids.id(lo.get("node"), p + "/node");
            double at = lo.num("at", std::nullopt, 0, 1e9);
            check_time(sc, at, p + "/at");
            if (lo.has("seeds")) sc.node_seeds[id] = ids.list(lo.get("seeds"), p + "/seeds");
            lo.done();
            start_at[id] = at;
        }
    }
    if (cl.has("seeds_of")) {
        Obj so(cl.get("seeds_of"), file, "/cluster/seeds_of");
        for (const auto& id : sc.nodes)
            if (so.has(id)) sc.node_seeds[id] = ids.list(so.get(id), "/cluster/seeds_of/" + id);
        so.done();
    }
    if (cl.has("deferred"))
        for (const auto& id : ids.list(cl.get("deferred"), "/cluster/deferred")) start_at.erase(id);
    cl.done();
    for (const auto& id : sc.nodes) {
        if (sc.node_seeds.count(id)) continue;
        std::vector<std::string> s;
        for (const auto& seed : sc.seeds)
            if (seed != id) s.push_back(seed);
        sc.node_seeds[id] = s;
    }
    return start_at;
}

void parse_network(Obj& top, Scenario& sc) {
    if (!top.has("network")) return;
    Obj net(top.get("network"), sc.file, "/network");
    if (net.has("shape")) sc.baseline_shape = shape_at(net.get("shape"), sc.file, "/network/shape");
    net.done();
}

// A time in the schedule: seconds, or an expression over the timing profile. `what` says what
// a wrong type is expected to be.
double time_of(const json& v, const std::string& file, const std::string& path, const Times& times,
               const std::string& what) {
    if (v.is_string()) return times.eval(v.get<std::string>(), path);
    if (!v.is_number()) throw ScenarioError(file, path, what);
    return v.get<double>();
}

// /schedule: one occurrence per entry, or one per repetition of an entry with `every`.
void schedule_items(Obj& top, const Scenario& sc, const Times& times, std::vector<Item>& items,
                    int& order) {
    if (!top.has("schedule")) return;
    const std::string& file = sc.file;
    const json& sched = top.get("schedule");
    if (!sched.is_array()) top.fail("/schedule", "expected an array of actions");
    for (size_t i = 0; i < sched.size(); ++i) {
        std::string p = "/schedule/" + std::to_string(i);
        if (!sched[i].is_object()) throw ScenarioError(file, p, "expected an object");
        const json& e = sched[i];
        if (!e.contains("at"))
            throw ScenarioError(file, p + "/at", "missing or non-numeric 'at' (seconds)");
        if (!e.contains("do") || !e["do"].is_string())
            throw ScenarioError(file, p + "/do", "missing 'do' (the action name)");
        double at =
            time_of(e["at"], file, p + "/at", times, "missing or non-numeric 'at' (seconds)");
        if (at < 0) throw ScenarioError(file, p + "/at", "expected a time >= 0");
        check_time(sc, at, p + "/at");
        double every = 0, until = sc.duration;
        if (e.contains("every")) {
            every =
                time_of(e["every"], file, p + "/every", times, "expected a number of seconds > 0");
            if (every <= 0)
                throw ScenarioError(file, p + "/every", "expected a number of seconds > 0");
        }
        if (e.contains("until")) {
            until = time_of(e["until"], file, p + "/until", times, "expected a number of seconds");
            check_time(sc, until, p + "/until");
        }
        json spec = e;
        spec.erase("at");
        spec.erase("every");
        spec.erase("until");
        if (every > 0) {
            for (double a = at; a <= until + 1e-9; a += every)
                items.push_back({a, order++, p, spec});
        } else {
            items.push_back({at, order++, p, spec});
        }
    }
}

// The times of a steady workload object (`per_s` from `from` to `until`, the run's duration by
// default), with the times checked against the scenario.
std::vector<double> steady_times(const Scenario& sc, Obj& r, const std::string& p) {
    double per_s = r.num("per_s", std::nullopt, 0.001, 10000);
    double from = r.num("from", 0.0, 0, 1e9);
    double until = r.num("until", sc.duration, 0, 1e9);
    check_time(sc, from, p + "/from");
    check_time(sc, until, p + "/until");
    std::vector<double> at;
    for (double a = from; a <= until + 1e-9; a += 1.0 / per_s) at.push_back(a);
    return at;
}

// /workload: rumors at given times, a steady rate of them, and a steady rate of state writes.
void workload_items(Obj& top, const Scenario& sc, const Times& times, std::vector<Item>& items,
                    int& order) {
    if (!top.has("workload")) return;
    Obj wl(top.get("workload"), sc.file, "/workload");
    if (wl.has("rumors")) {
        const json& rs = wl.get("rumors");
        if (!rs.is_array()) wl.fail("/workload/rumors", "expected an array");
        for (size_t i = 0; i < rs.size(); ++i) {
            std::string p = "/workload/rumors/" + std::to_string(i);
            Obj r(rs[i], sc.file, p, &times);
            double at = r.num("at", std::nullopt, 0, 1e9);
            check_time(sc, at, p + "/at");
            json spec = {{"do", history::to_string(ActionType::broadcast)}};
            spec["node"] = r.has("node") ? r.get("node") : json("random");
            if (r.has("payload")) spec["payload"] = r.str("payload");
            if (r.has("rumor")) {
                // A given id: one the node already broadcast makes a broadcast it must refuse.
                const std::string id = r.str("rumor");
                if (id.empty() || id.size() > 64)
                    r.fail(p + "/rumor", "expected an id of 1 to 64 bytes");
                spec["rumor"] = id;
            }
            int count = r.integer("count", 1, 1, 100000);
            r.done();
            for (int k = 0; k < count; ++k) items.push_back({at, order++, p, spec});
        }
    }
    if (wl.has("rate")) {
        std::string p = "/workload/rate";
        Obj r(wl.get("rate"), sc.file, p, &times);
        std::vector<double> at = steady_times(sc, r, p);
        json spec = {{"do", history::to_string(ActionType::broadcast)}};
        spec["node"] = r.has("node") ? r.get("node") : json("random");
        if (r.has("payload")) spec["payload"] = r.str("payload");
        r.done();
        for (double a : at) items.push_back({a, order++, p, spec});
    }
    if (wl.has("writes")) {
        // Application state writes (node contract v2): a steady rate of `set`s on random (or
        // given) nodes over `keys` keys per node, every `delete_every`-th write a delete.
        std::string p = "/workload/writes";
        Obj r(wl.get("writes"), sc.file, p, &times);
        std::vector<double> at = steady_times(sc, r, p);
        int keys = r.integer("keys", 10, 1, 100000);
        int delete_every = r.integer("delete_every", 0, 0, 100000);
        json node = r.has("node") ? r.get("node") : json("random");
        r.done();
        for (size_t k = 0; k < at.size(); ++k) {
            bool del = delete_every > 0 && (k + 1) % static_cast<size_t>(delete_every) == 0;
            json spec = {{"do", history::to_string(del ? ActionType::del : ActionType::set)},
                         {"node", node},
                         {"key", "k" + std::to_string(k % static_cast<size_t>(keys))}};
            items.push_back({at[k], order++, p, spec});
        }
    }
    wl.done();
}

// Turns the occurrences, in time order, into typed actions. It keeps a model of who is up and
// who is paused, so that "random" picks a node that can be acted on; every choice comes from
// the schedule's seeded generator.
class Expander {
  public:
    Expander(Scenario& sc, const NodeIds& ids, const Times& times)
        : sc_(sc), ids_(ids), times_(times), rng_(derive_seed(sc.seed, "schedule")) {}

    void run(const std::map<std::string, double>& start_at, const std::vector<Item>& items) {
        for (const auto& [id, at] : start_at) sc_.actions.push_back({at, op::Start{id}});
        std::stable_sort(sc_.actions.begin(), sc_.actions.end(),
                         [](const Action& a, const Action& b) { return a.at < b.at; });
        size_t starts = 0;
        for (const auto& it : items) {
            for (; starts < sc_.actions.size() && sc_.actions[starts].at <= it.at; ++starts)
                up_.insert(op_node(sc_.actions[starts].op));
            expand(it);
        }
        for (auto& a : sched_) sc_.actions.push_back(std::move(a));
        std::stable_sort(sc_.actions.begin(), sc_.actions.end(),
                         [](const Action& a, const Action& b) { return a.at < b.at; });
    }

  private:
    void expand(const Item& it) {
        const std::string& p = it.path;
        Obj e(it.spec, sc_.file, p, &times_);
        const std::string word = e.str("do");
        if (word == kSwizzleWord) {
            swizzle(e, it.at, p);
            e.done();
            return;
        }
        const ActionType what = do_action(word);
        if (what == ActionType::other)
            e.fail(p + "/do",
                   "unknown action \"" + word + "\" (expected one of " + do_words() + ")");
        if (what == ActionType::partition) {
            push(it.at, partition(e, p));
        } else if (what == ActionType::heal) {
            push(it.at, op::Heal{});
        } else if (what == ActionType::shape) {
            Links l = links(e, p);
            push(it.at, op::Shape{std::move(l), shape_at(e.get("shape"), sc_.file, p + "/shape")});
        } else if (what == ActionType::clear) {
            push(it.at, op::Clear{links(e, p)});
        } else if (what == ActionType::broadcast) {
            std::string id = pick(e.get("node"), p + "/node", true);
            std::string rumor =
                e.has("rumor") ? e.str("rumor") : "r" + std::to_string(++rumor_seq_);
            push(it.at,
                 op::Broadcast{id, rumor, e.has("payload") ? e.str("payload") : "rumor " + rumor});
        } else if (what == ActionType::inject) {
            push(it.at, op::Inject{pick(e.get("node"), p + "/node", true)});
        } else if (what == ActionType::set || what == ActionType::del) {
            std::string id = pick(e.get("node"), p + "/node", true);
            std::string key = e.str("key");
            if (key.empty() || key.size() > 64)
                e.fail(p + "/key", "expected a key of 1 to 64 bytes");
            ++write_seq_;
            if (what == ActionType::set) {
                std::string value =
                    e.has("value") ? e.str("value") : "w" + std::to_string(write_seq_);
                if (value.size() > 1024) e.fail(p + "/value", "expected at most 1024 bytes");
                push(it.at, op::Set{id, key, value});
            } else {
                push(it.at, op::Delete{id, key});
            }
        } else if (what == ActionType::starve_start) {
            starve(e, it.at, p);
        } else {
            node_ops(e, what, it.at, p);
            return;  // node_ops checks the keys itself
        }
        e.done();
    }
    void push(double at, Op o) { sched_.push_back({at, std::move(o)}); }

    std::string pick(const json& v, const std::string& path, bool allow_seeds) {
        if (v.is_string() && v.get<std::string>() == "random") {
            std::vector<std::string> cands;
            for (const auto& id : sc_.nodes)
                if (up_.count(id) && !paused_.count(id) &&
                    (allow_seeds ||
                     std::find(sc_.seeds.begin(), sc_.seeds.end(), id) == sc_.seeds.end()))
                    cands.push_back(id);
            if (cands.empty())
                throw ScenarioError(sc_.file, path, "no running node to pick at random");
            return cands[rng_.below(cands.size())];
        }
        return ids_.id(v, path);
    }

    op::Partition partition(Obj& e, const std::string& p) {
        op::Partition o;
        o.split = e.str("kind", std::string("halves"));
        if (!kPartitionKinds.count(o.split))
            e.fail(p + "/kind", "unknown partition kind \"" + o.split +
                                    "\" (expected halves, isolate, groups, one_way, bridge, "
                                    "random)");
        std::vector<std::string> all = sc_.nodes;
        try {
            if (o.split == "halves" || o.split == "random") {
                if (o.split == "random") rng_.shuffle(all);
                o.grudge = netem::halves(all);
                size_t h = (all.size() + 1) / 2;
                o.groups = {{all.begin(), all.begin() + h}, {all.begin() + h, all.end()}};
            } else if (o.split == "isolate") {
                o.node = pick(e.get("node"), p + "/node", true);
                o.grudge = netem::isolate(all, o.node);
            } else if (o.split == "groups") {
                const json& gs = e.get("groups");
                if (!gs.is_array() || gs.size() < 2)
                    e.fail(p + "/groups", "expected an array of at least two arrays of node ids");
                for (size_t k = 0; k < gs.size(); ++k)
                    o.groups.push_back(ids_.list(gs[k], p + "/groups/" + std::to_string(k)));
                o.grudge = netem::groups(o.groups);
            } else if (o.split == "bridge") {
                o.node = pick(e.get("node"), p + "/node", true);
                o.grudge = netem::bridge(all, o.node);
            } else {  // one_way
                o.from = ids_.id(e.get("from"), p + "/from");
                o.to = ids_.id(e.get("to"), p + "/to");
                if (o.from == o.to) e.fail(p + "/to", "expected a node other than 'from'");
                o.grudge = netem::one_way(o.from, o.to);
            }
        } catch (const netem::LabError& err) {
            throw ScenarioError(sc_.file, p, err.what());
        }
        return o;
    }

    Links links(Obj& e, const std::string& p) {
        const char* expected = "expected \"all\", {\"node\": id} or a list of [src, dst]";
        Links l;
        if (!e.has("links")) return l;
        const json& j = e.get("links");
        if (j.is_string()) {
            if (j != "all") e.fail(p + "/links", expected);
        } else if (j.is_object()) {
            Obj lo(j, sc_.file, p + "/links");
            l.kind = Links::Kind::node;
            l.node = ids_.id(lo.get("node"), p + "/links/node");
            lo.done();
        } else if (j.is_array()) {
            l.kind = Links::Kind::pairs;
            for (size_t k = 0; k < j.size(); ++k) {
                std::string lp = p + "/links/" + std::to_string(k);
                if (!j[k].is_array() || j[k].size() != 2)
                    e.fail(lp, "expected a [src, dst] pair of node ids");
                l.pairs.emplace_back(ids_.id(j[k][0], lp + "/0"), ids_.id(j[k][1], lp + "/1"));
            }
        } else {
            e.fail(p + "/links", expected);
        }
        return l;
    }

    // FoundationDB's swizzle-clog: a random subset of the running nodes (`count` of them, or
    // the listed `nodes`) is clogged one node at a time, `interval` seconds apart; `hold`
    // seconds after the last clog the nodes are restored one at a time, `interval` apart, in
    // another random order. Every choice comes from the schedule's seeded generator.
    void swizzle(Obj& e, double at, const std::string& p) {
        std::vector<std::string> subset;
        if (e.has("nodes")) {
            subset = ids_.list(e.get("nodes"), p + "/nodes");
            if (subset.empty()) e.fail(p + "/nodes", "expected at least one node id");
            std::set<std::string> seen;
            for (size_t k = 0; k < subset.size(); ++k)
                if (!seen.insert(subset[k]).second)
                    e.fail(p + "/nodes/" + std::to_string(k),
                           "node \"" + subset[k] + "\" is listed twice");
            if (e.has("count")) e.fail(p + "/count", "give 'nodes' or 'count', not both");
        } else {
            std::vector<std::string> cands;
            for (const auto& id : sc_.nodes)
                if (up_.count(id)) cands.push_back(id);
            const int count = e.integer("count", std::max<int>(1, int(cands.size()) / 2), 1, 1000);
            if (size_t(count) >= cands.size())
                e.fail(p + "/count", "expected fewer than the " + std::to_string(cands.size()) +
                                         " running nodes (someone must stay unclogged)");
            rng_.shuffle(cands);
            subset.assign(cands.begin(), cands.begin() + count);
        }
        const double interval = e.num("interval", 1.0, 0.001, 3600);
        const double hold = e.num("hold", interval, 0, 3600);
        std::vector<std::string> restore = subset;
        rng_.shuffle(restore);
        const int steps = int(subset.size()) * 2;
        double t = at;
        for (size_t k = 0; k < subset.size(); ++k, t += interval) {
            check_time(sc_, t, p + "/at");
            op::Clog c{subset[k], {}, subset, int(k) + 1, steps};
            try {
                c.grudge = netem::isolate(sc_.nodes, subset[k]);
            } catch (const netem::LabError& err) {
                throw ScenarioError(sc_.file, p, err.what());
            }
            push(t, std::move(c));
        }
        t += hold - interval;
        for (size_t k = 0; k < restore.size(); ++k, t += interval) {
            if (t > sc_.duration)
                e.fail(p + "/hold", "the last restore falls at " + json(t).dump() +
                                        " s, beyond the duration (" + json(sc_.duration).dump() +
                                        " s)");
            push(t, op::Unclog{restore[k], subset, int(subset.size() + k) + 1, steps});
        }
    }

    void starve(Obj& e, double at, const std::string& p) {
        std::string id = pick(e.get("node"), p + "/node", false);
        double share = e.num("share", 0.1, 0.0, 1.0);
        double dur = e.num("for", std::nullopt, 0.01, 1e6);
        double period = e.num("period", 0.1, 0.01, 10);
        check_time(sc_, at + dur, p + "/for");
        push(at, op::StarveStart{id, share, period});
        push(at + dur, op::StarveStop{id});
    }

    static Op node_op(ActionType what, const std::string& id) {
        switch (what) {
            case ActionType::node_start:
                return op::Start{id};
            case ActionType::kill:
                return op::Kill{id};
            case ActionType::pause:
                return op::Pause{id};
            case ActionType::resume:
                return op::Resume{id};
            case ActionType::restart:
                return op::Restart{id};
            default:
                return op::Leave{id};
        }
    }

    void node_ops(Obj& e, ActionType what, double at, const std::string& p) {
        int count = e.integer("count", 1, 1, 1000);
        bool reset = false;
        if (e.has("incarnation")) {
            if (what != ActionType::restart)
                e.fail(p + "/incarnation", "'incarnation' applies to restart only");
            if (e.str("incarnation") != "reset")
                e.fail(p + "/incarnation",
                       "expected \"reset\" (the node restarts at its initial incarnation)");
            reset = true;
        }
        double dur = e.has("for") ? e.num("for", std::nullopt, 0.001, 1e6) : 0;
        if (dur > 0 && what != ActionType::pause)
            e.fail(p + "/for", "'for' applies to pause and starve only");
        if (dur > 0) check_time(sc_, at + dur, p + "/for");
        const json& target = e.get("node");
        for (int k = 0; k < count; ++k) {
            // A random node fault never hits a seed: restarting or killing the only seed is a
            // scenario of its own (partition-isolate-seed), not something a random pick should
            // stumble into.
            std::string id = pick(target, p + "/node", false);
            if (count > 1 && !(target.is_string() && target == "random"))
                e.fail(p + "/count", "'count' needs \"node\": \"random\"");
            if (what == ActionType::kill || what == ActionType::leave) up_.erase(id);
            if (what == ActionType::node_start || what == ActionType::restart) up_.insert(id);
            if (what == ActionType::pause) paused_.insert(id);  // a timed pause stays paused
            if (what == ActionType::resume) paused_.erase(id);
            Op o = node_op(what, id);
            if (auto* r = std::get_if<op::Restart>(&o)) r->reset = reset;
            push(at, std::move(o));
            if (dur > 0) push(at + dur, op::Resume{id});
        }
        e.done();
    }

    Scenario& sc_;
    const NodeIds& ids_;
    const Times& times_;
    Rng rng_;
    std::set<std::string> up_;  // started, not killed or left
    std::set<std::string> paused_;
    std::vector<Action> sched_;
    int rumor_seq_ = 0;
    int write_seq_ = 0;
};

// The whole scenario with every default filled in and the schedule expanded (scenario.json).
json resolved_document(const json& doc, const Scenario& sc) {
    json r = doc;
    if (doc["duration"].is_string()) {  // written over the timing profile: keep both
        r["duration"] = sc.duration;
        r["duration_expr"] = doc["duration"];
    }
    r["cluster"]["nodes"] = sc.nodes.size();
    r["cluster"]["seeds"] = sc.seeds;
    r["cluster"]["impl"] = sc.impl;
    if (!sc.profile.empty()) r["cluster"]["profile"] = sc.profile;
    r["nodes"] = sc.nodes;
    r["seeds"] = sc.seeds;
    r["seeds_of"] = sc.node_seeds;
    r["seed"] = sc.seed;
    r["checks"] = sc.checks;
    if (sc.baseline_shape) r["network"] = {{"shape", netem::to_json(*sc.baseline_shape)}};
    json acts = json::array();
    for (const auto& a : sc.actions) {
        json x = op_fields(a.op);
        x["at"] = a.at;
        x["do"] = op_name(a.op);
        acts.push_back(x);
    }
    r["actions"] = acts;
    return r;
}

}  // namespace

json to_json(const Links& l) {
    switch (l.kind) {
        case Links::Kind::all:
            return "all";
        case Links::Kind::node:
            return {{"node", l.node}};
        case Links::Kind::pairs:
            break;
    }
    json out = json::array();
    for (const auto& [a, b] : l.pairs) out.push_back({a, b});
    return out;
}

history::ActionType op_action(const Op& o) {
    static constexpr ActionType kActions[] = {
        ActionType::node_start, ActionType::kill,         ActionType::pause,
        ActionType::resume,     ActionType::restart,      ActionType::leave,
        ActionType::broadcast,  ActionType::starve_start, ActionType::starve_stop,
        ActionType::partition,  ActionType::heal,         ActionType::shape,
        ActionType::clear,      ActionType::set,          ActionType::del,
        ActionType::clog,       ActionType::unclog,       ActionType::inject};
    static_assert(std::size(kActions) == std::variant_size_v<Op>);
    return kActions[o.index()];
}

const char* op_name(const Op& o) {
    return std::holds_alternative<op::Start>(o) ? kStartWord : history::to_string(op_action(o));
}

std::string op_node(const Op& o) {
    return std::visit(Overload{[](const op::Partition&) { return std::string(); },
                               [](const op::Heal&) { return std::string(); },
                               [](const op::Shape&) { return std::string(); },
                               [](const op::Clear&) { return std::string(); },
                               [](const auto& x) { return x.node; }},
                      o);
}

json op_fields(const Op& o) {
    return std::visit(
        Overload{
            [](const op::Broadcast& b) -> json {
                return {{"node", b.node}, {"rumor", b.rumor}, {"payload", b.payload}};
            },
            [](const op::Set& w) -> json {
                return {{"node", w.node}, {"key", w.key}, {"value", w.value}};
            },
            [](const op::Delete& w) -> json {
                return {{"node", w.node}, {"key", w.key}};
            },
            [](const op::StarveStart& s) -> json {
                return {{"node", s.node}, {"share", s.share}, {"period", s.period}};
            },
            [](const op::Partition& p) -> json {
                json j = {{"split", p.split}, {"grudge", netem::to_json(p.grudge)}};
                if (!p.node.empty()) j["node"] = p.node;
                if (!p.from.empty()) j["from"] = p.from;
                if (!p.to.empty()) j["to"] = p.to;
                if (!p.groups.empty()) j["groups"] = p.groups;
                return j;
            },
            [](const op::Heal&) -> json { return json::object(); },
            [](const op::Shape& s) -> json {
                return {{"links", to_json(s.links)}, {"shape", netem::to_json(s.shape)}};
            },
            [](const op::Clear& c) -> json {
                return {{"links", to_json(c.links)}};
            },
            [](const op::Clog& c) -> json {
                return {{"node", c.node},
                        {"grudge", netem::to_json(c.grudge)},
                        {"swizzle", {{"subset", c.subset}, {"step", c.step}, {"steps", c.steps}}}};
            },
            [](const op::Unclog& c) -> json {
                return {{"node", c.node},
                        {"swizzle", {{"subset", c.subset}, {"step", c.step}, {"steps", c.steps}}}};
            },
            [](const op::Restart& r) -> json {
                json j = {{"node", r.node}};
                if (r.reset) j["reset_incarnation"] = true;
                return j;
            },
            [](const auto& x) -> json {
                return {{"node", x.node}};
            }},
        o);
}

std::vector<checkers::Planned> planned_changes(const Scenario& sc) {
    using checkers::PlannedKind;
    std::vector<checkers::Planned> out;
    std::set<std::string> ran;
    std::map<std::string, double> paused, starved;
    std::set<std::string> clogged;
    for (const Action& a : sc.actions) {
        const std::string node = op_node(a.op);
        auto add = [&](PlannedKind k, double since = 0) { out.push_back({k, a.at, since}); };
        std::visit(
            Overload{[&](const op::Start&) {
                         add(ran.count(node) ? PlannedKind::restart : PlannedKind::start);
                         ran.insert(node);
                     },
                     [&](const op::Restart&) { add(PlannedKind::restart); },
                     [&](const op::Kill&) { add(PlannedKind::crash); },
                     [&](const op::Leave&) { add(PlannedKind::leave); },
                     [&](const op::Heal&) {
                         clogged.clear();
                         add(PlannedKind::heal);
                     },
                     [&](const op::Clog&) { clogged.insert(node); },
                     [&](const op::Unclog&) {
                         // The last restore of a swizzle-clog heals (history::Truth agrees).
                         if (clogged.erase(node) && clogged.empty()) add(PlannedKind::heal);
                     },
                     [&](const op::Pause&) { paused.emplace(node, a.at); },
                     [&](const op::Resume&) {
                         auto it = paused.find(node);
                         if (it == paused.end()) return;
                         add(PlannedKind::resume, it->second);
                         paused.erase(it);
                     },
                     [&](const op::StarveStart&) { starved.emplace(node, a.at); },
                     [&](const op::StarveStop&) {
                         auto it = starved.find(node);
                         if (it == starved.end()) return;
                         add(PlannedKind::resume, it->second);
                         starved.erase(it);
                     },
                     [&](const op::Broadcast&) { add(PlannedKind::broadcast); },
                     [&](const op::Set&) { add(PlannedKind::write); },
                     [&](const op::Delete&) { add(PlannedKind::write); }, [](const auto&) {}},
            a.op);
    }
    return out;
}

checkers::Horizon run_horizon(const Scenario& sc, const json& profile) {
    return checkers::judgement_horizon(sc.checks, planned_changes(sc), profile,
                                       static_cast<double>(sc.nodes.size()));
}

double run_length(double duration, const checkers::Horizon& h) {
    constexpr double kHorizonSlack = 1.0;
    return h.t > 0 ? std::max(duration, h.t + kHorizonSlack) : duration;
}

double run_length(const Scenario& sc, const json& profile) {
    return run_length(sc.duration, run_horizon(sc, profile));
}

Scenario load_scenario(const std::filesystem::path& file, const Overrides& ov) {
    std::ifstream in(file);
    if (!in) throw ScenarioError(file.string(), "", "cannot open the file");
    json doc;
    try {
        doc = json::parse(in);
    } catch (const json::parse_error& e) {
        throw ScenarioError(
            file.string(), "",
            std::string("not valid JSON: ") + e.what() + " (byte " + std::to_string(e.byte) + ")");
    } catch (const json::exception& e) {  // out_of_range: a number too big for a double
        throw ScenarioError(file.string(), "", std::string("not valid JSON: ") + e.what());
    }
    return parse_scenario(doc, file.string(), ov);
}

Scenario parse_scenario(const json& doc, const std::string& file, const Overrides& ov) {
    Scenario sc;
    sc.file = file;
    sc.seed = ov.seed;
    Times times(ov, file);
    Obj top(doc, file, "", &times);
    parse_header(top, sc);
    NodeIds ids;
    std::map<std::string, double> start_at = parse_cluster(top, sc, ov, ids, times);
    parse_network(top, sc);
    std::vector<Item> items;
    int order = 0;
    schedule_items(top, sc, times, items, order);
    workload_items(top, sc, times, items, order);
    sc.checks = top.has("checks") ? top.get("checks") : json::object();
    if (!sc.checks.is_object()) top.fail("/checks", "expected an object: check name -> options");
    for (auto it = sc.checks.begin(); it != sc.checks.end(); ++it)
        if (!it.value().is_object())
            top.fail("/checks/" + it.key(),
                     "expected an object of options (e.g. {\"bound\": ...})");
    top.done();
    std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        return a.at < b.at || (a.at == b.at && a.order < b.order);
    });
    Expander(sc, ids, times).run(start_at, items);
    sc.resolved = resolved_document(doc, sc);
    return sc;
}

}  // namespace gossiplab::harness
