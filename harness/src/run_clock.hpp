// The run's clock: seconds since the run started, the time every history line and node log
// line carries and every scheduled action is planned against.
#pragma once

#include <chrono>

namespace gossiplab::harness {

struct RunClock {
    using Clock = std::chrono::steady_clock;

    Clock::time_point start = Clock::now();

    // Seconds since `start`.
    double now() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
    // The steady-clock instant `s` seconds into the run.
    Clock::time_point at(double s) const { return start + secs(s); }
    static Clock::duration secs(double s) {
        return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
    }
};

}  // namespace gossiplab::harness
