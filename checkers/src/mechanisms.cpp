// The vocabulary of mechanisms a scenario may declare it exercises ("exercises"), apart from the
// check that judges them (exercised.cpp), so that the scenario parser needs nothing else of the
// checkers (the fuzz build links it alone).
#include <gossiplab/checkers/checkers.hpp>

namespace gossiplab::checkers {

const std::vector<Mechanism>& mechanisms() {
    static const std::vector<Mechanism> m{
        {"suspicion_raised", "some node printed a member suspect", {"suspicion_events"}},
        {"suspicion_refuted",
         "a node saw a member it suspected alive again at a higher incarnation, the member not "
         "having restarted in between",
         {"suspicion_events", "incarnations"}},
        {"death_declared", "some node printed a member dead", {}},
        {"death_reverted",
         "a node saw a member it had declared dead alive again, the member not having restarted "
         "in between (a repair: push-pull, seed re-contact, gossip to the dead)",
         {}},
        {"restart_outbid",
         "a restarted member started at or below the highest incarnation a peer had seen for "
         "its previous life, and a peer then saw it alive above that incarnation",
         {"incarnations"}},
        {"anti_entropy_repair",
         "some node's counters report state entries sent by anti-entropy (sync_entries_sent > 0)",
         {"counters", "state"}},
    };
    return m;
}

const Mechanism* find_mechanism(const std::string& name) {
    for (const auto& m : mechanisms())
        if (m.name == name) return &m;
    return nullptr;
}

}  // namespace gossiplab::checkers
