// The command that reproduces a run.
#include "gossiplab/harness/reproduce.hpp"

namespace gossiplab::harness {

std::string reproduce_command(const std::string& file, const Scenario& sc, const std::string& impl,
                              const std::string& impairment) {
    std::string cmd = "gossiplab run " + file + " --impl " + impl + " --seed " +
                      std::to_string(sc.seed) + " --nodes " + std::to_string(sc.nodes.size());
    if (!sc.profile.empty()) cmd += " --profile " + sc.profile;
    if (!impairment.empty()) cmd += " --impairment " + impairment;
    return cmd;
}

}  // namespace gossiplab::harness
