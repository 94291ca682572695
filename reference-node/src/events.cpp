// JSON rendering of core events, field for field as docs/node-contract.md specifies.
#include "gossip/events.hpp"

#include "gossip/config.hpp"

namespace gossip {

nlohmann::json to_json(const Event& e, double ts) {
    nlohmann::json j;
    j["ts"] = ts;
    std::visit(
        [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, StartedEvent>) {
                j["type"] = "started";
                j["id"] = v.id;
                j["addr"] = v.addr.to_string();
                j["incarnation"] = v.incarnation;
                j["contract"] = 1;
                j["impl"] = "gossip-node";
                j["version"] = kVersion;
            } else if constexpr (std::is_same_v<T, MemberEvent>) {
                j["type"] = "member";
                j["member"] = v.member;
                j["state"] = to_string(v.state);
                j["incarnation"] = v.incarnation;
                j["addr"] = v.addr.to_string();
                if (!v.from.empty()) j["from"] = v.from;
                if (v.confirmations >= 0) j["confirmations"] = v.confirmations;
            } else if constexpr (std::is_same_v<T, RefuteEvent>) {
                j["type"] = "refute";
                j["incarnation"] = v.incarnation;
                j["accused_incarnation"] = v.accused_incarnation;
                if (!v.from.empty()) j["from"] = v.from;
            } else if constexpr (std::is_same_v<T, RumorEvent>) {
                j["type"] = "rumor";
                j["rumor"] = v.rumor;
                j["origin"] = v.origin;
                j["payload"] = v.payload;
            } else if constexpr (std::is_same_v<T, CountersEvent>) {
                j["type"] = "counters";
                j["pkts_sent"] = v.counters.pkts_sent;
                j["pkts_recv"] = v.counters.pkts_recv;
                j["bytes_sent"] = v.counters.bytes_sent;
                j["bytes_recv"] = v.counters.bytes_recv;
                j["bad_pkts"] = v.counters.bad_pkts;
            } else if constexpr (std::is_same_v<T, ViewEvent>) {
                j["type"] = "view";
                auto members = nlohmann::json::array();
                for (const auto& m : v.members) {
                    members.push_back({{"id", m.id},
                                       {"state", to_string(m.state)},
                                       {"incarnation", m.incarnation},
                                       {"addr", m.addr.to_string()}});
                }
                j["members"] = std::move(members);
                j["self"] = {{"id", v.self_id}, {"incarnation", v.self_incarnation}};
            } else if constexpr (std::is_same_v<T, ErrorEvent>) {
                j["type"] = "error";
                j["message"] = v.message;
            }
        },
        e);
    return j;
}

}  // namespace gossip
