// Grudges: partitions as data (node -> nodes whose packets it drops), built by pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace gossiplab::netem {

// node -> the nodes whose packets it drops. A packet from A to B is dropped when
// grudge[B] contains A. Builders return *complete* grudges: every dropped direction is listed,
// and nodes that drop nothing are absent.
using Grudge = std::map<std::string, std::set<std::string>>;

// Two halves: the first ceil(n/2) nodes and the rest; nothing crosses either way.
Grudge halves(const std::vector<std::string>& nodes);
// `node` is cut off from every other node, both ways. Throws LabError if `node` is not in nodes.
Grudge isolate(const std::vector<std::string>& nodes, const std::string& node);
// Arbitrary groups: a node hears only the nodes of its own group. Nodes listed in no group are
// isolated from all. Throws LabError when a node appears in two groups.
Grudge groups(const std::vector<std::vector<std::string>>& groups);
// One way: `to` stops hearing `from`; `from` still hears `to`.
Grudge one_way(const std::string& from, const std::string& to);
// Two halves of the other nodes plus `bridge_node`, which hears and is heard by everyone.
Grudge bridge(const std::vector<std::string>& nodes, const std::string& bridge_node);
// Union of two grudges (both directions of both are dropped).
Grudge merge(const Grudge& a, const Grudge& b);

// The history form: {"n1": ["n4", "n5"], ...}. from_json checks every name is in `nodes`.
nlohmann::json to_json(const Grudge& g);
Grudge grudge_from_json(const nlohmann::json& j, const std::vector<std::string>& nodes,
                        const std::string& where = "grudge");

}  // namespace gossiplab::netem
