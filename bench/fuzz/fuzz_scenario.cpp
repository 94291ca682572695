// libFuzzer: the scenario parser and its expansion (harness/src/scenario.cpp): parse_scenario
// validates a document, expands the schedule with the seed and resolves times written over
// the timing profile; planned_changes and run_horizon then take what it built, as `gossiplab
// run` does. Bad input must be a ScenarioError (naming the file, the JSON path and what was
// expected); any other exception, a crash or undefined behaviour is a finding.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "gossiplab/harness/scenario.hpp"

using namespace gossiplab::harness;
using nlohmann::json;

namespace {

json fast_profile() {
    return {{"probe_interval", 0.1},
            {"probe_timeout", 0.05},
            {"gossip_interval", 0.02},
            {"fanout", 3},
            {"indirect_checks", 3},
            {"suspicion_mult", 4},
            {"suspicion_max_timeout_mult", 6},
            {"retransmit_mult", 6},
            {"push_pull_interval", 3.0},
            {"dead_retention", 3.0},
            {"reconnect_interval", nullptr}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const json doc = json::parse(data, data + size, nullptr, false);
    if (doc.is_discarded()) return 0;
    Overrides ov;
    ov.seed = 7;
    ov.profile_of = [](const std::string&, const std::string&) { return fast_profile(); };
    try {
        const Scenario sc = parse_scenario(doc, "fuzz.json", ov);
        (void)planned_changes(sc);
        (void)run_length(sc, fast_profile());
    } catch (const ScenarioError&) {
    }
    return 0;
}
