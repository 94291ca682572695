// Test traffic: a UDP sender and receiver that run inside a node's namespace and measure
// one-way delay (sender and receiver share the host's clock; arrival times are the kernel's
// receive timestamps).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace gossiplab::netem::testing {

// CLOCK_REALTIME in ns: the clock of SO_TIMESTAMPNS receive timestamps.
int64_t clock_ns();

struct Arrival {
    uint32_t seq;
    int64_t sent_ns;
    int64_t recv_ns;
    double delay_ms() const { return static_cast<double>(recv_ns - sent_ns) / 1e6; }
};

// Receives on 0.0.0.0:port inside the namespace `netns_fd` until take() is called.
class Receiver {
  public:
    Receiver(int netns_fd, uint16_t port);
    ~Receiver();
    // Waits `linger_ms` for stragglers, stops, and returns every arrival in arrival order.
    std::vector<Arrival> take(int linger_ms = 300);
    size_t count() const { return count_.load(); }

  private:
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> ready_{false};
    std::atomic<size_t> count_{0};
    std::vector<Arrival> got_;
    std::string error_;
};

// Sends `count` packets (seq first_seq..) at `pps` from the namespace `netns_fd` to
// addr:port; blocks until sent. Returns the number sendto accepted.
int send_stream(int netns_fd, const std::string& addr, uint16_t port, int count, double pps,
                uint32_t first_seq = 0);

struct Summary {
    double median = 0, p99 = 0, mean = 0, stddev = 0;
};
Summary summarize(std::vector<double> v);

}  // namespace gossiplab::netem::testing
