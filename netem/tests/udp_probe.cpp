// Test traffic: a UDP sender and receiver that run inside a node's namespace and measure
// one-way delay (sender and receiver share the host's clock; arrival times are the kernel's
// receive timestamps).
#include "udp_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace gossiplab::netem::testing {

int64_t clock_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

namespace {

struct Wire {
    uint32_t seq;
    int64_t sent_ns;
};

}  // namespace

Receiver::Receiver(int netns_fd, uint16_t port) {
    thread_ = std::thread([this, netns_fd, port] {
        int s = -1;
        try {
            if (::setns(netns_fd, CLONE_NEWNET) != 0) throw std::runtime_error("setns");
            s = ::socket(AF_INET, SOCK_DGRAM, 0);
            int big = 8 << 20;
            ::setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
            // Kernel receive timestamps: the receiver thread's own scheduling delays must not
            // count as link delay.
            int one = 1;
            ::setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(port);
            if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
                throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
        } catch (const std::exception& e) {
            error_ = e.what();
            ready_ = true;
            if (s >= 0) ::close(s);
            return;
        }
        ready_ = true;
        while (!stop_.load()) {
            pollfd p{s, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) continue;
            for (;;) {
                Wire w{};
                char ctrl[128];
                iovec iov{&w, sizeof w};
                msghdr mh{};
                mh.msg_iov = &iov;
                mh.msg_iovlen = 1;
                mh.msg_control = ctrl;
                mh.msg_controllen = sizeof ctrl;
                const ssize_t n = ::recvmsg(s, &mh, MSG_DONTWAIT);
                if (n < 0) break;
                int64_t at = clock_ns();
                for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                        timespec ts{};
                        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                        at = int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
                    }
                }
                if (n == sizeof w) {
                    got_.push_back({w.seq, w.sent_ns, at});
                    ++count_;
                }
            }
        }
        ::close(s);
    });
    while (!ready_.load()) std::this_thread::yield();
    if (!error_.empty()) {
        thread_.join();
        throw std::runtime_error("receiver: " + error_);
    }
}

Receiver::~Receiver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

std::vector<Arrival> Receiver::take(int linger_ms) {
    ::usleep(static_cast<useconds_t>(linger_ms) * 1000);
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return std::move(got_);
}

int send_stream(int netns_fd, const std::string& addr, uint16_t port, int count, double pps,
                uint32_t first_seq) {
    int sent = 0;
    std::string err;
    std::thread t([&] {
        if (::setns(netns_fd, CLONE_NEWNET) != 0) {
            err = "setns";
            return;
        }
        int s = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        ::inet_pton(AF_INET, addr.c_str(), &to.sin_addr);
        const int64_t start = clock_ns();
        const double gap_ns = 1e9 / pps;
        for (int i = 0; i < count; ++i) {
            const int64_t due = start + static_cast<int64_t>(i * gap_ns);
            timespec ts{due / 1000000000, due % 1000000000};
            ::clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr);
            Wire w{first_seq + static_cast<uint32_t>(i), clock_ns()};
            if (::sendto(s, &w, sizeof w, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
                sizeof w)
                ++sent;
        }
        ::close(s);
    });
    t.join();
    if (!err.empty()) throw std::runtime_error("sender: " + err);
    return sent;
}

Summary summarize(std::vector<double> v) {
    Summary s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    auto q = [&](double p) {
        return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
    };
    s.median = q(0.5);
    s.p99 = q(0.99);
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(v.size()));
    return s;
}

}  // namespace gossiplab::netem::testing
