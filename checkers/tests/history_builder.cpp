// The hand-made history builder shared by the checker tests.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

namespace gossiplab::checkers::test {

json lan_profile() {
    return {{"probe_interval", 1.0},
            {"probe_timeout", 0.5},
            {"gossip_interval", 0.2},
            {"fanout", 3},
            {"indirect_checks", 3},
            {"suspicion_mult", 4},
            {"suspicion_max_timeout_mult", 6},
            {"retransmit_mult", 4},
            {"push_pull_interval", 30},
            {"dead_retention", 30},
            {"reconnect_interval", 2}};
}

std::vector<std::string> all_features() {
    return {"suspicion_events", "incarnations", "rumors", "counters", "view", "leave",
            "refute_events"};
}

HB& HB::run_start(const std::vector<std::string>& nodes) {
    return action("run_start", {{"nodes", nodes},
                                {"seed", 1},
                                {"scenario", "test"},
                                {"impl", "reference"},
                                {"backend", "nfqueue"},
                                {"profile", lan_profile()}});
}

HB& HB::action(const std::string& name, json fields) {
    json j = {{"t", now_}, {"kind", "action"}, {"action", name}};
    for (auto& [k, v] : fields.items()) j[k] = v;
    lines_.push_back(std::move(j));
    return *this;
}

HB& HB::start(const std::string& node, bool restart) {
    action("node_start", {{"node", node},
                          {"pid", 100},
                          {"addr", "198.18.0.2:7946"},
                          {"seeds", json::array()},
                          {"restart", restart}});
    return event(node, {{"type", "started"}, {"id", node}, {"incarnation", 0}, {"contract", 1}});
}

HB& HB::kill(const std::string& node) {
    action("kill", {{"node", node}});
    return action("node_exit",
                  {{"node", node}, {"status", nullptr}, {"signal", "SIGKILL"}, {"expected", true}});
}

HB& HB::crash(const std::string& node) {
    return action("node_exit",
                  {{"node", node}, {"status", 1}, {"signal", nullptr}, {"expected", false}});
}

HB& HB::restart(const std::string& node) {
    action("restart", {{"node", node}});
    action("node_exit",
           {{"node", node}, {"status", nullptr}, {"signal", "SIGKILL"}, {"expected", true}});
    return start(node, true);
}

HB& HB::leave(const std::string& node) {
    action("leave", {{"node", node}});
    double t = now_;
    at(t + 0.1);
    event(node, {{"type", "stopping"}, {"reason", "leave"}});
    action("node_exit", {{"node", node}, {"status", 0}, {"signal", nullptr}, {"expected", true}});
    return at(t);
}

HB& HB::partition(const std::map<std::string, std::vector<std::string>>& grudge) {
    return action("partition", {{"grudge", grudge}});
}

HB& HB::split(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    std::map<std::string, std::vector<std::string>> g;
    for (const auto& x : a) g[x] = b;
    for (const auto& x : b) g[x] = a;
    return partition(g);
}

HB& HB::broadcast(const std::string& node, const std::string& rumor) {
    return action("broadcast", {{"node", node}, {"rumor", rumor}, {"payload", "x"}});
}

HB& HB::event(const std::string& node, json ev) {
    json e = {{"ts", 1700000000.0 + now_}};
    for (auto& [k, v] : ev.items()) e[k] = v;
    lines_.push_back({{"t", now_}, {"kind", "event"}, {"node", node}, {"event", std::move(e)}});
    return *this;
}

HB& HB::member(const std::string& obs, const std::string& m, const std::string& state,
               int64_t inc) {
    return event(obs, {{"type", "member"}, {"member", m}, {"state", state}, {"incarnation", inc}});
}

HB& HB::mesh(const std::vector<std::string>& observers, const std::vector<std::string>& members,
             const std::string& state, int64_t inc) {
    for (const auto& o : observers)
        for (const auto& m : members)
            if (o != m) member(o, m, state, inc);
    return *this;
}

HB& HB::rumor(const std::string& node, const std::string& rumor, const std::string& origin) {
    return event(node, {{"type", "rumor"}, {"rumor", rumor}, {"origin", origin}, {"payload", "x"}});
}

HB& HB::counters(const std::string& node, double pkts, double bytes) {
    return event(node, {{"type", "counters"},
                        {"pkts_sent", pkts},
                        {"pkts_recv", pkts},
                        {"bytes_sent", bytes},
                        {"bytes_recv", bytes},
                        {"bad_pkts", 0}});
}

namespace {

std::string relabel_id(const std::map<std::string, std::string>& m, const json& v) {
    auto it = m.find(v.get<std::string>());
    return it == m.end() ? v.get<std::string>() : it->second;
}

void relabel_field(json& o, const char* key, const std::map<std::string, std::string>& m) {
    if (o.contains(key) && o[key].is_string()) o[key] = relabel_id(m, o[key]);
}

void relabel_list(json& o, const char* key, const std::map<std::string, std::string>& m) {
    if (o.contains(key) && o[key].is_array())
        for (auto& x : o[key])
            if (x.is_string()) x = relabel_id(m, x);
}

}  // namespace

std::string HB::text(const std::map<std::string, std::string>& relabel, double shift) const {
    std::string out;
    for (size_t i = 0; i < lines_.size(); ++i) {
        if (raw_.count(i)) {
            out += raw_.at(i) + "\n";
            continue;
        }
        json j = lines_[i];
        j["t"] = j["t"].get<double>() + shift;
        relabel_field(j, "node", relabel);
        relabel_list(j, "nodes", relabel);
        relabel_list(j, "seeds", relabel);
        if (j.contains("planned")) j["planned"] = j["planned"].get<double>() + shift;
        if (j.contains("grudge")) {
            json g = json::object();
            for (auto& [k, v] : j["grudge"].items()) {
                json list = json::array();
                for (auto& x : v) list.push_back(relabel_id(relabel, x));
                g[relabel_id(relabel, k)] = list;
            }
            j["grudge"] = g;
        }
        if (j.contains("event")) {
            json& e = j["event"];
            e["ts"] = e["ts"].get<double>() + shift;
            relabel_field(e, "member", relabel);
            relabel_field(e, "origin", relabel);
            relabel_field(e, "from", relabel);
            relabel_field(e, "id", relabel);
        }
        out += j.dump() + "\n";
    }
    return out;
}

json fast_path_profile() {
    json p = lan_profile();
    p["push_pull_interval"] = nullptr;
    return p;
}

CheckResult check(const std::string& name, const History& h, json options,
                  std::vector<std::string> features) {
    Context ctx{h, json::object(), fast_path_profile(), std::move(features)};
    return run_check(name, ctx, options);
}

CheckResult check_lan(const std::string& name, const History& h, json options,
                      std::vector<std::string> features) {
    Context ctx{h, json::object(), lan_profile(), std::move(features)};
    return run_check(name, ctx, options);
}

bool has_evidence(const CheckResult& r, const std::string& node, uint32_t ref,
                  const std::string& text) {
    for (const auto& e : r.evidence) {
        bool node_ok = node.empty() ? e["node"].is_null() : e["node"] == node;
        if (node_ok && e["ref"] == ref &&
            e["what"].get<std::string>().find(text) != std::string::npos)
            return true;
    }
    UNSCOPED_INFO("evidence: " << r.evidence.dump(1));
    return false;
}

std::vector<std::string> names(int n) {
    std::vector<std::string> out;
    for (int i = 1; i <= n; ++i) out.push_back("n" + std::to_string(i));
    return out;
}

HB cluster(int n) {
    HB b;
    auto ids = names(n);
    b.at(0).run_start(ids);
    for (int i = 0; i < n; ++i) b.at(0.1 * i).start(ids[size_t(i)]);
    b.at(0.5).mesh(ids, ids, "alive");
    return b;
}

}  // namespace gossiplab::checkers::test
