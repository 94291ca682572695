// The simulation backend (`--impairment sim`): the reference node's sans-IO core, N of them in
// this process, on a simulated network in virtual time. Same scenarios, same resolved
// schedule, same history.jsonl (t in virtual seconds), so the same checkers and reports apply
// (docs/simulation.md).
#pragma once

#include "gossiplab/harness/controller.hpp"
#include "gossiplab/harness/manifest.hpp"
#include "gossiplab/harness/scenario.hpp"

namespace gossiplab::harness {

// Throws ScenarioError (bad input, exit 2) when `m` is not the project's reference node, the
// one implementation the simulator can run in-process.
void require_simulable(const Manifest& m);

// Runs `sc` in virtual time and writes, in opt.run_dir, what run_scenario writes:
// history.jsonl, scenario.json, impl.json, environment.json and an empty nodes/ folder (the
// cores print nothing but their events, which go to the history). The history depends only
// on the scenario, the manifest and the seed: the same inputs give the same bytes. SIGINT or
// SIGTERM ends the run early (RunResult::interrupted). Throws ScenarioError as
// require_simulable does, std::runtime_error when the run directory cannot be written.
// RunResult::duration_s is the simulated length; wall_s (below) the wall time it took.
RunResult run_simulated(const Scenario& sc, const Manifest& m, const RunOptions& opt,
                        double* wall_s = nullptr);

}  // namespace gossiplab::harness
