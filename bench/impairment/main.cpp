// Benchmark of an impairment backend (nfqueue by default, or netem where the kernel has it):
// packets per second through the hub of a 50-node lab, the error of the delay it adds
// (measured minus configured) under load, and the loss it measures against the configured.
//   bench-impairment [nodes=50] [seconds per phase=3] [rate for the shaped phases] [backend]
#include "gossiplab/netem/lab.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

using namespace gossiplab::netem;

namespace {

constexpr uint16_t kPort = 9000;

int64_t real_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);  // the clock of SO_TIMESTAMPNS
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

struct Wire {
    uint64_t seq;
    int64_t sent_ns;
};

// One UDP socket per node, made inside that node's namespace; all driven from this thread.
struct Sockets {
    std::vector<int> fd;
    std::vector<sockaddr_in> to;  // node i sends to node (i+1) % n
    int ep = -1;
};

Sockets open_sockets(Lab& lab) {
    Sockets s;
    const int self = ::open("/proc/thread-self/ns/net", O_RDONLY);
    const auto& nodes = lab.nodes();
    s.ep = ::epoll_create1(0);
    for (size_t i = 0; i < nodes.size(); ++i) {
        if (::setns(lab.netns_fd(nodes[i]), CLONE_NEWNET) != 0) std::abort();
        int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int big = 4 << 20, one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
        ::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(kPort);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
        s.fd.push_back(fd);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<uint32_t>(i);
        ::epoll_ctl(s.ep, EPOLL_CTL_ADD, fd, &ev);
    }
    ::setns(self, CLONE_NEWNET);
    ::close(self);
    for (size_t i = 0; i < nodes.size(); ++i) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(kPort);
        ::inet_pton(AF_INET, lab.address(nodes[(i + 1) % nodes.size()]).c_str(), &to.sin_addr);
        s.to.push_back(to);
    }
    return s;
}

struct Result {
    uint64_t sent = 0, received = 0;
    double seconds = 0;
    std::vector<double> delay_ms;  // kernel receive timestamp minus send time
};

// Drains every readable socket; records one-way delays.
void drain(Sockets& s, Result& r, int timeout_ms) {
    epoll_event evs[64];
    int n = ::epoll_wait(s.ep, evs, 64, timeout_ms);
    for (int k = 0; k < n; ++k) {
        const int fd = s.fd[evs[k].data.u32];
        for (;;) {
            Wire w{};
            char ctrl[256];
            iovec iov{&w, sizeof w};
            msghdr mh{};
            mh.msg_iov = &iov;
            mh.msg_iovlen = 1;
            mh.msg_control = ctrl;
            mh.msg_controllen = sizeof ctrl;
            if (::recvmsg(fd, &mh, MSG_DONTWAIT) < 0) break;
            ++r.received;
            for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                    timespec ts{};
                    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
                    const int64_t rx = int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
                    r.delay_ms.push_back(static_cast<double>(rx - w.sent_ns) / 1e6);
                }
            }
        }
    }
}

// Sends for `seconds`, at `pps` (0: as fast as the window allows, at most `window` packets in
// flight), round robin over the nodes; then waits `tail_ms` for the packets still held.
Result load(Sockets& s, double seconds, double pps, uint64_t window, int tail_ms) {
    Result r;
    const int64_t start = real_ns();
    const int64_t end = start + static_cast<int64_t>(seconds * 1e9);
    size_t next = 0;
    for (;;) {
        const int64_t now = real_ns();
        if (now >= end) break;
        uint64_t due = pps > 0 ? static_cast<uint64_t>(static_cast<double>(now - start) * pps / 1e9)
                               : r.received + window;
        int burst = 0;
        while (r.sent < due && r.sent - r.received < window && burst < 256) {
            Wire w{r.sent, real_ns()};
            const size_t i = next++ % s.fd.size();
            if (::sendto(s.fd[i], &w, sizeof w, 0, reinterpret_cast<sockaddr*>(&s.to[i]),
                         sizeof s.to[i]) == sizeof w) {
                ++r.sent;
            }
            ++burst;
        }
        drain(s, r, 0);
        if (pps > 0 && r.sent >= due) {
            timespec nap{0, 50000};  // 50 µs
            ::nanosleep(&nap, nullptr);
        }
    }
    r.seconds = static_cast<double>(real_ns() - start) / 1e9;
    const int64_t stop = real_ns() + int64_t{tail_ms} * 1000000;
    while (real_ns() < stop && r.received < r.sent) drain(s, r, 10);
    return r;
}

// CPU time (ns) used so far by this process's thread named `name` (the engine is
// "gl-nfqueue"), from /proc/self/task/*/schedstat; -1 when not found.
int64_t thread_cpu_ns(const std::string& name) {
    DIR* d = ::opendir("/proc/self/task");
    int64_t out = -1;
    while (dirent* e = d ? ::readdir(d) : nullptr) {
        if (e->d_name[0] == '.') continue;
        const std::string base = std::string("/proc/self/task/") + e->d_name;
        std::ifstream comm(base + "/comm");
        std::string c;
        std::getline(comm, c);
        if (c != name) continue;
        std::ifstream st(base + "/schedstat");
        st >> out;
    }
    if (d) ::closedir(d);
    return out;
}

// This thread's CPU time so far (ns).
int64_t self_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// A JSON number (finite; %.6g keeps it short).
std::string num(double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", std::isfinite(x) ? x : 0.0);
    return b;
}

double pct(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
    const int nodes = argc > 1 ? std::atoi(argv[1]) : 50;
    const double seconds = argc > 2 ? std::atof(argv[2]) : 3.0;
    try {
        enter_private_world();
        LabConfig cfg;
        for (int i = 0; i < nodes; ++i) cfg.nodes.push_back("n" + std::to_string(i));
        cfg.backend = argc > 4 ? backend_from_string(argv[4]) : Backend::Nfqueue;
        Lab lab(cfg);
        Sockets s = open_sockets(lab);
        std::printf("impairment bench: %d nodes, backend %s, %.1f s per phase\n", nodes,
                    lab.backend_name().c_str(), seconds);

        const int64_t cpu0 = thread_cpu_ns("gl-nfqueue");
        const int64_t gen0 = self_cpu_ns();
        Result t = load(s, seconds, 0, 512, 500);
        const int64_t gen1 = self_cpu_ns();
        const int64_t cpu1 = thread_cpu_ns("gl-nfqueue");
        const double pps = static_cast<double>(t.received) / t.seconds;
        std::printf(
            "throughput, no added delay: %.0f packets/s through the hub "
            "(sent %llu, received %llu in %.2f s; window 512)\n",
            pps, static_cast<unsigned long long>(t.sent),
            static_cast<unsigned long long>(t.received), t.seconds);
        // The reference for the ratio (bench/run.py): this thread's own CPU per packet, the
        // load generator sending and receiving the same packets at the same time.
        const double gen_us =
            t.received ? static_cast<double>(gen1 - gen0) / 1e3 / static_cast<double>(t.received)
                       : 0;
        double engine_us = -1;
        if (cpu0 >= 0 && t.received > 0) {
            const double us =
                static_cast<double>(cpu1 - cpu0) / 1e3 / static_cast<double>(t.received);
            engine_us = us;
            std::printf(
                "  engine thread: %.2f us CPU per packet (%.0f%% of a core; capacity about "
                "%.0f packets/s per core)\n",
                us, static_cast<double>(cpu1 - cpu0) / 1e7 / t.seconds, 1e6 / us);
        }
        std::printf("  baseline one-way latency: p50 %.3f ms, p99 %.3f ms\n", pct(t.delay_ms, 0.5),
                    pct(t.delay_ms, 0.99));

        std::printf("  load generator thread: %.2f us CPU per packet\n", gen_us);
        std::string values =
            "\"nodes\":" + std::to_string(nodes) + ",\"backend\":\"" + lab.backend_name() +
            "\",\"seconds_per_phase\":" + num(seconds) + ",\"pps\":" + num(pps) +
            ",\"engine_us_per_packet\":" + (engine_us < 0 ? "null" : num(engine_us)) +
            ",\"generator_us_per_packet\":" + num(gen_us) +
            ",\"baseline_p50_ms\":" + num(pct(t.delay_ms, 0.5)) +
            ",\"baseline_p99_ms\":" + num(pct(t.delay_ms, 0.99));
        const double rate = argc > 3 ? std::atof(argv[3]) : std::min(20000.0, pps / 2);
        values += ",\"rate\":" + num(rate);
        for (double d : {10.0, 100.0}) {
            lab.set_shape("*", "*", LinkShape{.delay_ms = d});
            Result r = load(s, seconds, rate, 1u << 30, static_cast<int>(d) + 500);
            std::vector<double> err;
            for (double x : r.delay_ms) err.push_back(x - d);
            std::printf(
                "delay %.0f ms at %.0f packets/s: error p50 %+.3f ms, p99 %+.3f ms, "
                "max %+.3f ms (%llu of %llu packets)\n",
                d, rate, pct(err, 0.5), pct(err, 0.99), pct(err, 1.0),
                static_cast<unsigned long long>(r.received),
                static_cast<unsigned long long>(r.sent));
            const std::string k = "\"delay" + std::to_string(static_cast<int>(d)) + "ms_error_";
            values += "," + k + "p50_ms\":" + num(pct(err, 0.5)) + "," + k +
                      "p99_ms\":" + num(pct(err, 0.99)) + "," + k +
                      "max_ms\":" + num(pct(err, 1.0));
        }
        for (double p : {0.01, 0.10}) {
            lab.set_shape("*", "*", LinkShape{.loss = p});
            Result r = load(s, seconds, rate, 1u << 30, 500);
            const double lost =
                r.sent ? 1.0 - static_cast<double>(r.received) / static_cast<double>(r.sent) : 0;
            std::printf("loss %.0f%% at %.0f packets/s: measured %.2f%% (%llu of %llu packets)\n",
                        p * 100, rate, lost * 100, static_cast<unsigned long long>(r.received),
                        static_cast<unsigned long long>(r.sent));
            values += ",\"loss" + std::to_string(static_cast<int>(p * 100 + 0.5)) +
                      "pct_measured\":" + num(lost * 100);
        }
        lab.clear_shapes();
        auto st = lab.stats();
        std::printf("engine: queued %llu, passed %llu, dropped %llu, delayed %llu\n",
                    static_cast<unsigned long long>(st.queued),
                    static_cast<unsigned long long>(st.passed),
                    static_cast<unsigned long long>(st.dropped),
                    static_cast<unsigned long long>(st.delayed));
        // One machine-readable line for bench/run.py and docs/performance.md.
        std::string ratios = "{}";
        if (engine_us >= 0 && gen_us > 0)
            ratios = "{\"engine_vs_generator\":{\"value\":" + num(engine_us / gen_us) +
                     ",\"what\":\"engine thread CPU per packet / load generator thread CPU "
                     "per packet\"}}";
        std::printf("bench-result {\"name\":\"impairment\",\"values\":{%s},\"ratios\":%s}\n",
                    values.c_str(), ratios.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench-impairment: %s\n", e.what());
        return 3;
    }
    return 0;
}
