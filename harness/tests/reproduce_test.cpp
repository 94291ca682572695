// The reproduce command recorded for a run repeats every choice the run was given.
#include <catch2/catch.hpp>

#include "gossiplab/harness/reproduce.hpp"

using namespace gossiplab::harness;

namespace {

Scenario three_nodes() {
    Scenario sc;
    sc.nodes = {"n1", "n2", "n3"};
    sc.seed = 7;
    return sc;
}

}  // namespace

TEST_CASE("the reproduce command repeats --impairment when one was given") {
    Scenario sc = three_nodes();
    CHECK(reproduce_command("scenarios/x.json", sc, "reference", "") ==
          "gossiplab run scenarios/x.json --impl reference --seed 7 --nodes 3");
    for (const char* b : {"nfqueue", "netem", "none", "auto"}) {
        INFO(b);
        CHECK(reproduce_command("scenarios/x.json", sc, "reference", b) ==
              std::string("gossiplab run scenarios/x.json --impl reference --seed 7 --nodes 3 "
                          "--impairment ") +
                  b);
    }
}

TEST_CASE("the reproduce command repeats the profile") {
    Scenario sc = three_nodes();
    sc.profile = "lan";
    CHECK(reproduce_command("s.json", sc, "serf", "netem") ==
          "gossiplab run s.json --impl serf --seed 7 --nodes 3 --profile lan --impairment netem");
}
