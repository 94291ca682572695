// How late the lab ran: the controller's timers, the impairment engine's releases and the
// nodes' wait for a CPU, sampled once a second into the history's `load` actions. A check
// that fails while the machine was starved (a shared CI runner, two CPU hogs beside the run)
// is then told apart from a protocol failure (docs/checkers.md "Starved runs").
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "run_clock.hpp"

namespace gossiplab::harness {

class LoadProbe {
  public:
    // `proc`: where /proc is (a test points it at a fake tree).
    explicit LoadProbe(std::filesystem::path proc = "/proc");

    // One of the controller's timers, due at `due`, ran its handler now: its lateness counts
    // towards the next sample's controller_lag. Lateness behind the controller's own work
    // (see busy_until) does not: sixteen node starts due at t = 0 run one after another, and
    // the last one's wait for the fifteen before it is no sign of a starved machine.
    void timer_fired(RunClock::Clock::time_point due);
    // The controller's own handler (an action: starting a node, a partition) ran until `end`.
    void busy_until(RunClock::Clock::time_point end);
    void late_by(double seconds);

    // The fields of one `load` action covering the last `interval` seconds: `interval`,
    // `controller_lag` (the most a controller timer fired late, s), `engine_lag` (the most
    // the engine released a held packet late, s; null when the backend's lag is not
    // visible), `cpu_pressure` (the share of the interval in which some runnable task of
    // the machine waited for a CPU, from /proc/pressure/cpu; null without PSI), `node_wait`
    // (node id -> seconds its processes waited on a run queue in the interval, from
    // /proc/PID/task/TID/schedstat, nodes that waited at least 1 ms) and `node_wait_max`
    // (the largest of them, 0 when none). `groups`: each running node's process group
    // (every process of a node, its helpers and daemons too, is in its group).
    nlohmann::json sample(double interval, const std::map<std::string, pid_t>& groups,
                          std::optional<double> engine_lag);

  private:
    std::optional<uint64_t> psi_some_total_us();
    std::filesystem::path proc_;
    double timer_lag_ = 0;
    RunClock::Clock::time_point busy_end_{};
    std::optional<uint64_t> psi_last_;
    std::map<pid_t, uint64_t> run_delay_ns_;  // per task, at the last sample
};

}  // namespace gossiplab::harness
