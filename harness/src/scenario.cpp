// Scenario loading: strict validation (unknown keys are errors, every error
// names the file and the JSON path), defaults, and seeded schedule expansion.
#include "gossiplab/harness/scenario.hpp"

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

// Walks one JSON object, checking types and remembering which keys were
// read so that leftovers can be reported as unknown.
class Obj {
  public:
    Obj(const json& j, std::string file, std::string path)
        : j_(j), file_(std::move(file)), path_(std::move(path)) {
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
        if (!v.is_number()) fail(at(key), "expected a number, found " + type_name(v));
        double d = v.get<double>();
        if (!std::isfinite(d) || d < min || d > max) {
            std::ostringstream m;
            m << "expected a number in [" << min << ", " << max << "], found " << v.dump();
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

const std::set<std::string> kOps = {"partition", "heal",  "shape",  "clear",
                                    "kill",      "pause", "resume", "restart",
                                    "leave",     "start", "starve", "broadcast"};
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

json validate_shape(const json& shape, const std::string& file, const std::string& path) {
    try {
        return netem::to_json(netem::shape_from_json(shape, "shape"));
    } catch (const netem::LabError& e) {
        throw ScenarioError(file, path, e.what());
    }
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
    }
    return parse_scenario(doc, file.string(), ov);
}

Scenario parse_scenario(const json& doc, const std::string& file, const Overrides& ov) {
    Scenario sc;
    sc.file = file;
    sc.seed = ov.seed;
    Obj top(doc, file, "");
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
    sc.duration = top.num("duration", std::nullopt, 0.1, 24 * 3600);

    // -- cluster -------------------------------------------------------------
    Obj cl(top.get("cluster"), file, "/cluster");
    int n = cl.integer("nodes", std::nullopt, 1, 1000);
    if (ov.nodes) n = *ov.nodes;
    for (int i = 1; i <= n; ++i) sc.nodes.push_back("n" + std::to_string(i));
    std::set<std::string> known(sc.nodes.begin(), sc.nodes.end());
    auto node_id = [&](const json& v, const std::string& path) -> std::string {
        if (!v.is_string()) throw ScenarioError(file, path, "expected a node id (a string)");
        std::string id = v.get<std::string>();
        if (!known.count(id))
            throw ScenarioError(
                file, path,
                "unknown node \"" + id + "\" (this cluster has n1..n" + std::to_string(n) + ")");
        return id;
    };
    auto id_list = [&](const json& v, const std::string& path) {
        if (!v.is_array()) throw ScenarioError(file, path, "expected an array of node ids");
        std::vector<std::string> out;
        for (size_t i = 0; i < v.size(); ++i)
            out.push_back(node_id(v[i], path + "/" + std::to_string(i)));
        return out;
    };
    sc.seeds = cl.has("seeds") ? id_list(cl.get("seeds"), "/cluster/seeds")
                               : std::vector<std::string>{"n1"};
    sc.impl = ov.impl ? *ov.impl : cl.str("impl", std::string("reference"));
    sc.profile = ov.profile ? *ov.profile : cl.str("profile", std::string());

    std::map<std::string, double> start_at;
    std::string mode = "all";
    double stagger = 1.0;
    if (cl.has("start")) {
        Obj st(cl.get("start"), file, "/cluster/start");
        mode = st.str("mode", std::string("all"));
        if (mode != "all" && mode != "staggered")
            st.fail(st.at("mode"), "expected \"all\" or \"staggered\", found \"" + mode + "\"");
        stagger = st.num("interval", 1.0, 0, 3600);
        st.done();
    }
    // Seeds start first; with "staggered" every other node follows one by one.
    double t = 0;
    for (const auto& s : sc.seeds) start_at[s] = 0;
    for (const auto& id : sc.nodes) {
        if (start_at.count(id)) continue;
        if (mode == "staggered") t += stagger;
        start_at[id] = t;
    }
    std::set<std::string> not_started;  // started only by a schedule `start`
    if (cl.has("late")) {
        const json& late = cl.get("late");
        if (!late.is_array()) cl.fail("/cluster/late", "expected an array of {node, at}");
        for (size_t i = 0; i < late.size(); ++i) {
            std::string p = "/cluster/late/" + std::to_string(i);
            Obj lo(late[i], file, p);
            std::string id = node_id(lo.get("node"), p + "/node");
            double at = lo.num("at", std::nullopt, 0, 1e9);
            if (at > sc.duration)
                lo.fail(p + "/at", "time " + json(at).dump() + " is beyond the duration (" +
                                       json(sc.duration).dump() + " s)");
            if (lo.has("seeds")) sc.node_seeds[id] = id_list(lo.get("seeds"), p + "/seeds");
            lo.done();
            start_at[id] = at;
        }
    }
    if (cl.has("seeds_of")) {
        Obj so(cl.get("seeds_of"), file, "/cluster/seeds_of");
        for (const auto& id : sc.nodes)
            if (so.has(id)) sc.node_seeds[id] = id_list(so.get(id), "/cluster/seeds_of/" + id);
        so.done();
    }
    if (cl.has("deferred")) {
        for (const auto& id : id_list(cl.get("deferred"), "/cluster/deferred")) {
            not_started.insert(id);
            start_at.erase(id);
        }
    }
    cl.done();
    for (const auto& id : sc.nodes) {
        if (sc.node_seeds.count(id)) continue;
        std::vector<std::string> s;
        for (const auto& seed : sc.seeds)
            if (seed != id) s.push_back(seed);
        sc.node_seeds[id] = s;
    }

    // -- network -------------------------------------------------------------
    if (top.has("network")) {
        Obj net(top.get("network"), file, "/network");
        if (net.has("shape"))
            sc.baseline_shape = validate_shape(net.get("shape"), file, "/network/shape");
        net.done();
    }

    // -- schedule and workload -> occurrences ---------------------------------
    std::vector<Item> items;
    int order = 0;
    auto check_time = [&](double at, const std::string& path) {
        if (at > sc.duration)
            throw ScenarioError(file, path,
                                "time " + json(at).dump() + " is beyond the duration (" +
                                    json(sc.duration).dump() + " s)");
    };
    if (top.has("schedule")) {
        const json& sched = top.get("schedule");
        if (!sched.is_array()) top.fail("/schedule", "expected an array of actions");
        for (size_t i = 0; i < sched.size(); ++i) {
            std::string p = "/schedule/" + std::to_string(i);
            if (!sched[i].is_object()) throw ScenarioError(file, p, "expected an object");
            const json& e = sched[i];
            if (!e.contains("at") || !e["at"].is_number())
                throw ScenarioError(file, p + "/at", "missing or non-numeric 'at' (seconds)");
            if (!e.contains("do") || !e["do"].is_string())
                throw ScenarioError(file, p + "/do", "missing 'do' (the action name)");
            double at = e["at"].get<double>();
            if (at < 0) throw ScenarioError(file, p + "/at", "expected a time >= 0");
            check_time(at, p + "/at");
            double every = 0, until = sc.duration;
            if (e.contains("every")) {
                if (!e["every"].is_number() || e["every"].get<double>() <= 0)
                    throw ScenarioError(file, p + "/every", "expected a number of seconds > 0");
                every = e["every"].get<double>();
            }
            if (e.contains("until")) {
                if (!e["until"].is_number())
                    throw ScenarioError(file, p + "/until", "expected a number of seconds");
                until = e["until"].get<double>();
                check_time(until, p + "/until");
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
    int rumor_seq = 0;
    if (top.has("workload")) {
        Obj wl(top.get("workload"), file, "/workload");
        if (wl.has("rumors")) {
            const json& rs = wl.get("rumors");
            if (!rs.is_array()) wl.fail("/workload/rumors", "expected an array");
            for (size_t i = 0; i < rs.size(); ++i) {
                std::string p = "/workload/rumors/" + std::to_string(i);
                Obj r(rs[i], file, p);
                double at = r.num("at", std::nullopt, 0, 1e9);
                check_time(at, p + "/at");
                json spec = {{"do", "broadcast"}};
                spec["node"] = r.has("node") ? r.get("node") : json("random");
                if (r.has("payload")) spec["payload"] = r.str("payload");
                int count = r.integer("count", 1, 1, 100000);
                r.done();
                for (int k = 0; k < count; ++k) items.push_back({at, order++, p, spec});
            }
        }
        if (wl.has("rate")) {
            std::string p = "/workload/rate";
            Obj r(wl.get("rate"), file, p);
            double per_s = r.num("per_s", std::nullopt, 0.001, 10000);
            double from = r.num("from", 0.0, 0, 1e9);
            double until = r.num("until", sc.duration, 0, 1e9);
            check_time(from, p + "/from");
            check_time(until, p + "/until");
            json spec = {{"do", "broadcast"}};
            spec["node"] = r.has("node") ? r.get("node") : json("random");
            if (r.has("payload")) spec["payload"] = r.str("payload");
            r.done();
            for (double a = from; a <= until + 1e-9; a += 1.0 / per_s)
                items.push_back({a, order++, p, spec});
        }
        wl.done();
    }
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

    // -- expansion: resolve targets with a model of who is up ----------------
    Rng rng(derive_seed(sc.seed, "schedule"));
    std::set<std::string> up;  // started, not killed or left
    std::set<std::string> paused;
    for (const auto& [id, at] : start_at) sc.actions.push_back({at, "start", {{"node", id}}});
    std::stable_sort(sc.actions.begin(), sc.actions.end(),
                     [](const Action& a, const Action& b) { return a.at < b.at; });
    size_t start_idx = 0;
    auto advance_starts = [&](double t) {
        for (; start_idx < sc.actions.size() && sc.actions[start_idx].at <= t; ++start_idx)
            up.insert(sc.actions[start_idx].args["node"].get<std::string>());
    };
    std::vector<Action> sched;
    auto pick = [&](const json& v, const std::string& path, bool allow_seeds) -> std::string {
        if (v.is_string() && v.get<std::string>() == "random") {
            std::vector<std::string> cands;
            for (const auto& id : sc.nodes)
                if (up.count(id) && !paused.count(id) &&
                    (allow_seeds ||
                     std::find(sc.seeds.begin(), sc.seeds.end(), id) == sc.seeds.end()))
                    cands.push_back(id);
            if (cands.empty()) throw ScenarioError(file, path, "no running node to pick at random");
            return cands[rng.below(cands.size())];
        }
        return node_id(v, path);
    };
    for (auto& it : items) {
        advance_starts(it.at);
        const std::string& p = it.path;
        Obj e(it.spec, file, p);
        std::string op = e.str("do");
        if (!kOps.count(op)) {
            std::string all;
            for (const auto& k : kOps) all += (all.empty() ? "" : ", ") + k;
            e.fail(p + "/do", "unknown action \"" + op + "\" (expected one of " + all + ")");
        }
        Action a{it.at, op, json::object()};
        if (op == "partition") {
            std::string kind = e.str("kind", std::string("halves"));
            if (!kPartitionKinds.count(kind))
                e.fail(p + "/kind", "unknown partition kind \"" + kind +
                                        "\" (expected halves, isolate, groups, one_way, bridge, "
                                        "random)");
            std::vector<std::vector<std::string>> groups;
            std::vector<std::string> all = sc.nodes;
            netem::Grudge g;
            a.args["split"] = kind;  // not "kind": that names the history line type
            try {
                if (kind == "halves" || kind == "random") {
                    if (kind == "random") rng.shuffle(all);
                    g = netem::halves(all);
                    size_t h = (all.size() + 1) / 2;
                    groups = {{all.begin(), all.begin() + h}, {all.begin() + h, all.end()}};
                } else if (kind == "isolate") {
                    std::string id = pick(e.get("node"), p + "/node", true);
                    g = netem::isolate(all, id);
                    a.args["node"] = id;
                } else if (kind == "groups") {
                    const json& gs = e.get("groups");
                    if (!gs.is_array() || gs.size() < 2)
                        e.fail(p + "/groups",
                               "expected an array of at least two arrays of node ids");
                    for (size_t k = 0; k < gs.size(); ++k)
                        groups.push_back(id_list(gs[k], p + "/groups/" + std::to_string(k)));
                    g = netem::groups(groups);
                } else if (kind == "bridge") {
                    std::string b = pick(e.get("node"), p + "/node", true);
                    g = netem::bridge(all, b);
                    a.args["node"] = b;
                } else {  // one_way
                    std::string from = node_id(e.get("from"), p + "/from");
                    std::string to = node_id(e.get("to"), p + "/to");
                    if (from == to) e.fail(p + "/to", "expected a node other than 'from'");
                    a.args["from"] = from;
                    a.args["to"] = to;
                    g = netem::one_way(from, to);
                }
            } catch (const netem::LabError& err) {
                throw ScenarioError(file, p, err.what());
            }
            if (!groups.empty()) a.args["groups"] = groups;
            a.args["grudge"] = netem::to_json(g);
        } else if (op == "heal") {
        } else if (op == "shape" || op == "clear") {
            json links = e.has("links") ? e.get("links") : json("all");
            if (links.is_string()) {
                if (links != "all")
                    e.fail(p + "/links",
                           "expected \"all\", {\"node\": id} or a list of [src, dst]");
            } else if (links.is_object()) {
                Obj lo(links, file, p + "/links");
                lo.get("node");
                links = {{"node", node_id(links["node"], p + "/links/node")}};
                lo.done();
            } else if (links.is_array()) {
                for (size_t k = 0; k < links.size(); ++k) {
                    std::string lp = p + "/links/" + std::to_string(k);
                    if (!links[k].is_array() || links[k].size() != 2)
                        e.fail(lp, "expected a [src, dst] pair of node ids");
                    node_id(links[k][0], lp + "/0");
                    node_id(links[k][1], lp + "/1");
                }
            } else {
                e.fail(p + "/links", "expected \"all\", {\"node\": id} or a list of [src, dst]");
            }
            a.args["links"] = links;
            if (op == "shape") a.args["shape"] = validate_shape(e.get("shape"), file, p + "/shape");
        } else if (op == "broadcast") {
            std::string id = pick(e.get("node"), p + "/node", true);
            std::string rumor = "r" + std::to_string(++rumor_seq);
            a.args = {{"node", id},
                      {"rumor", rumor},
                      {"payload", e.has("payload") ? e.str("payload") : "rumor " + rumor}};
        } else if (op == "starve") {
            std::string id = pick(e.get("node"), p + "/node", false);
            double share = e.num("share", 0.1, 0.0, 1.0);
            double dur = e.num("for", std::nullopt, 0.01, 1e6);
            double period = e.num("period", 0.1, 0.01, 10);
            check_time(it.at + dur, p + "/for");
            a.op = "starve_start";
            a.args = {{"node", id}, {"share", share}, {"period", period}};
            sched.push_back(a);
            a = Action{it.at + dur, "starve_stop", {{"node", id}}};
        } else {  // node operations
            int count = e.integer("count", 1, 1, 1000);
            double dur = e.has("for") ? e.num("for", std::nullopt, 0.001, 1e6) : 0;
            if (dur > 0 && op != "pause")
                e.fail(p + "/for", "'for' applies to pause and starve only");
            if (dur > 0) check_time(it.at + dur, p + "/for");
            const json& target = e.get("node");
            for (int k = 0; k < count; ++k) {
                // A random node fault never hits a seed: restarting or killing the
                // only seed is a scenario of its own (partition-isolate-seed),
                // not something a random pick should stumble into.
                std::string id = pick(target, p + "/node", false);
                if (count > 1 && !(target.is_string() && target == "random"))
                    e.fail(p + "/count", "'count' needs \"node\": \"random\"");
                Action one{it.at, op, {{"node", id}}};
                if (op == "kill" || op == "leave") up.erase(id);
                if (op == "start" || op == "restart") up.insert(id);
                if (op == "pause") paused.insert(id);
                if (op == "resume") paused.erase(id);
                sched.push_back(one);
                if (dur > 0) {
                    sched.push_back({it.at + dur, "resume", {{"node", id}}});
                }
            }
            e.done();
            continue;
        }
        e.done();
        sched.push_back(a);
    }
    for (auto& a : sched) sc.actions.push_back(a);
    std::stable_sort(sc.actions.begin(), sc.actions.end(),
                     [](const Action& a, const Action& b) { return a.at < b.at; });
    (void)not_started;

    // -- the resolved document ------------------------------------------------
    json r = doc;
    r["cluster"]["nodes"] = n;
    r["cluster"]["seeds"] = sc.seeds;
    r["cluster"]["impl"] = sc.impl;
    if (!sc.profile.empty()) r["cluster"]["profile"] = sc.profile;
    r["nodes"] = sc.nodes;
    r["seeds"] = sc.seeds;
    r["seeds_of"] = sc.node_seeds;
    r["seed"] = sc.seed;
    r["checks"] = sc.checks;
    if (!sc.baseline_shape.is_null()) r["network"] = {{"shape", sc.baseline_shape}};
    json acts = json::array();
    for (const auto& a : sc.actions) {
        json x = a.args;
        x["at"] = a.at;
        x["do"] = a.op;
        acts.push_back(x);
    }
    r["actions"] = acts;
    sc.resolved = r;
    return sc;
}

}  // namespace gossiplab::harness
