// The progress line.
#include "progress.hpp"

#include <chrono>
#include <cstdio>

namespace gossiplab::harness {

std::string progress_line(const std::string& scenario, double duration, const ProgressSample& s) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %5.1f/%.0f s  nodes up %d/%zu  faults:", s.t, duration, s.up,
                  s.nodes);
    return scenario + buf + (s.faults.empty() ? " none" : s.faults);
}

Progress::Progress(boost::asio::io_context& ioc, bool enabled, std::string scenario,
                   double duration, std::function<ProgressSample()> sample)
    : timer_(ioc),
      enabled_(enabled),
      scenario_(std::move(scenario)),
      duration_(duration),
      sample_(std::move(sample)) {}

void Progress::tick() {
    if (!enabled_) return;
    timer_.expires_after(std::chrono::milliseconds(500));
    timer_.async_wait([this](auto ec) {
        if (ec || stopped_) return;
        std::fprintf(stderr, "\r\033[K%s", progress_line(scenario_, duration_, sample_()).c_str());
        std::fflush(stderr);
        tick();
    });
}

void Progress::stop() {
    if (stopped_) return;
    stopped_ = true;
    timer_.cancel();
    if (enabled_) std::fprintf(stderr, "\n");
}

}  // namespace gossiplab::harness
