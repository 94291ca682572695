// The command that reproduces a run, as report.json's "command" and junit.xml record it.
#pragma once

#include <string>

#include "gossiplab/harness/scenario.hpp"

namespace gossiplab::harness {

// `gossiplab run FILE --impl IMPL --seed S --nodes N [--profile P] [--impairment B]`.
// `impairment` is the --impairment value the run was given ("" when none was): it is repeated
// as given, so a run made with --impairment netem reproduces with netem, not with whatever
// auto would pick on the next machine (the backend it ran with is in environment.json).
std::string reproduce_command(const std::string& file, const Scenario& sc, const std::string& impl,
                              const std::string& impairment);

}  // namespace gossiplab::harness
