// Pure grudge builders (Jepsen style) and the grudge's JSON form.
#include "gossiplab/netem/grudge.hpp"

#include "gossiplab/netem/shape.hpp"

#include <algorithm>

namespace gossiplab::netem {
namespace {

// Every node of `a` drops every node of `b` and vice versa.
void cut(Grudge& g, const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (const auto& x : a) {
        for (const auto& y : b) {
            if (x == y) continue;
            g[x].insert(y);
            g[y].insert(x);
        }
    }
}

}  // namespace

Grudge halves(const std::vector<std::string>& nodes) {
    const size_t mid = (nodes.size() + 1) / 2;
    std::vector<std::string> a(nodes.begin(), nodes.begin() + mid);
    std::vector<std::string> b(nodes.begin() + mid, nodes.end());
    Grudge g;
    cut(g, a, b);
    return g;
}

Grudge isolate(const std::vector<std::string>& nodes, const std::string& node) {
    if (std::find(nodes.begin(), nodes.end(), node) == nodes.end()) {
        throw LabError("isolate: node \"" + node + "\" is not one of the lab's nodes");
    }
    std::vector<std::string> rest;
    for (const auto& n : nodes)
        if (n != node) rest.push_back(n);
    Grudge g;
    cut(g, {node}, rest);
    return g;
}

Grudge groups(const std::vector<std::vector<std::string>>& gs) {
    std::map<std::string, size_t> group_of;
    for (size_t i = 0; i < gs.size(); ++i) {
        for (const auto& n : gs[i]) {
            auto [it, fresh] = group_of.emplace(n, i);
            if (!fresh) {
                throw LabError("groups: node \"" + n + "\" is in group " +
                               std::to_string(it->second) + " and group " + std::to_string(i) +
                               " (a node belongs to one group)");
            }
        }
    }
    Grudge g;
    for (size_t i = 0; i < gs.size(); ++i)
        for (size_t k = i + 1; k < gs.size(); ++k) cut(g, gs[i], gs[k]);
    return g;
}

Grudge one_way(const std::string& from, const std::string& to) {
    if (from == to) throw LabError("one_way: from and to are the same node \"" + from + "\"");
    return Grudge{{to, {from}}};
}

Grudge bridge(const std::vector<std::string>& nodes, const std::string& bridge_node) {
    if (std::find(nodes.begin(), nodes.end(), bridge_node) == nodes.end()) {
        throw LabError("bridge: node \"" + bridge_node + "\" is not one of the lab's nodes");
    }
    std::vector<std::string> rest;
    for (const auto& n : nodes)
        if (n != bridge_node) rest.push_back(n);
    return halves(rest);  // the bridge node is in neither half, so nobody drops it
}

Grudge merge(const Grudge& a, const Grudge& b) {
    Grudge g = a;
    for (const auto& [k, v] : b) g[k].insert(v.begin(), v.end());
    return g;
}

nlohmann::json to_json(const Grudge& g) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [k, v] : g) {
        if (v.empty()) continue;
        j[k] = std::vector<std::string>(v.begin(), v.end());
    }
    return j;
}

Grudge grudge_from_json(const nlohmann::json& j, const std::vector<std::string>& nodes,
                        const std::string& where) {
    if (!j.is_object()) {
        throw LabError(where + ": expected an object {node: [nodes it drops]}, got " + j.dump());
    }
    auto known = [&](const std::string& n) {
        return std::find(nodes.begin(), nodes.end(), n) != nodes.end();
    };
    Grudge g;
    for (const auto& [k, v] : j.items()) {
        if (!known(k)) throw LabError(where + ": unknown node \"" + k + "\"");
        if (!v.is_array()) {
            throw LabError(where + "." + k + ": expected a list of node ids, got " + v.dump());
        }
        for (const auto& x : v) {
            if (!x.is_string()) {
                throw LabError(where + "." + k + ": expected node ids (strings), got " + x.dump());
            }
            const auto n = x.get<std::string>();
            if (!known(n)) throw LabError(where + "." + k + ": unknown node \"" + n + "\"");
            if (n != k) g[k].insert(n);
        }
    }
    return g;
}

}  // namespace gossiplab::netem
