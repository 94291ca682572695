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
                j["contract"] = kContractVersion;
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
                j["sync_started"] = v.counters.sync_started;
                j["sync_hashes"] = v.counters.sync_hashes;
                j["sync_entries_sent"] = v.counters.sync_entries_sent;
                j["sync_bytes_sent"] = v.counters.sync_bytes_sent;
                j["detector_pkts_sent"] = v.counters.detector_pkts_sent;
                j["detector_bytes_sent"] = v.counters.detector_bytes_sent;
                j["awareness"] = v.counters.awareness;
                j["awareness_peak"] = v.counters.awareness_peak;
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
            } else if constexpr (std::is_same_v<T, StateEvent>) {
                j["type"] = "state";
                j["owner"] = v.owner;
                j["key"] = v.key;
                j["version"] = v.version;
                j["digest"] = v.digest;
                j["deleted"] = v.deleted;
                if (!v.from.empty()) j["from"] = v.from;
            } else if constexpr (std::is_same_v<T, StateDigestEvent>) {
                j["type"] = "state_digest";
                auto owners = nlohmann::json::array();
                for (const auto& o : v.owners)
                    owners.push_back(
                        {{"owner", o.owner}, {"entries", o.entries}, {"hash", o.hash}});
                j["owners"] = std::move(owners);
                j["entries"] = v.entries;
            } else if constexpr (std::is_same_v<T, ErrorEvent>) {
                j["type"] = "error";
                j["message"] = v.message;
            }
        },
        e);
    return j;
}

nlohmann::json stopping_json(const Counters& c, const char* reason, double ts) {
    return {{"ts", ts},
            {"type", "stopping"},
            {"reason", reason},
            {"pkts_sent", c.pkts_sent},
            {"pkts_recv", c.pkts_recv},
            {"bytes_sent", c.bytes_sent},
            {"bytes_recv", c.bytes_recv},
            {"bad_pkts", c.bad_pkts}};
}

}  // namespace gossip
