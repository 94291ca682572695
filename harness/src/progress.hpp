// The live progress line on stderr: scenario, time, nodes up and the faults in force,
// redrawn every half second while the run goes on.
#pragma once

#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace gossiplab::harness {

struct ProgressSample {
    double t = 0;        // run clock, seconds
    int up = 0;          // nodes running
    size_t nodes = 0;    // nodes the scenario may start
    std::string faults;  // Nemesis::describe(): " partition paused:n2", or empty
};

// The line as drawn (after "\r\033[K"): "NAME   T/D s  nodes up U/N  faults: ...".
std::string progress_line(const std::string& scenario, double duration, const ProgressSample& s);

// Draws progress_line(sample()) every 0.5 s on stderr from start() until stop(), which ends
// the line. Does nothing at all when not enabled. Runs on `ioc`.
class Progress {
  public:
    Progress(boost::asio::io_context& ioc, bool enabled, std::string scenario, double duration,
             std::function<ProgressSample()> sample);
    void start() { tick(); }
    void stop();

  private:
    void tick();

    boost::asio::steady_timer timer_;
    bool enabled_;
    bool stopped_ = false;
    std::string scenario_;
    double duration_;
    std::function<ProgressSample()> sample_;
};

}  // namespace gossiplab::harness
