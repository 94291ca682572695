// The load probe over a fake /proc: the nodes' run-queue wait per interval (every task of every
// process in the node's process group, and only those), the machine's CPU pressure, and the
// controller's timer lag, each reset by the sample that reports it.
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "load.hpp"

namespace fs = std::filesystem;
using gossiplab::harness::LoadProbe;
using nlohmann::json;

namespace {

struct FakeProc {
    fs::path root;
    FakeProc() {
        root = fs::temp_directory_path() / ("gossiplab-load-test-" + std::to_string(::getpid()));
        fs::remove_all(root);
        fs::create_directories(root / "pressure");
    }
    ~FakeProc() { fs::remove_all(root); }
    void pressure(unsigned long long total_us) {
        std::ofstream(root / "pressure" / "cpu")
            << "some avg10=1.00 avg60=1.00 avg300=1.00 total=" << total_us
            << "\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    }
    // Process PID in group PGRP, named with spaces and parentheses as /proc allows.
    void process(int pid, int pgrp) {
        fs::create_directories(root / std::to_string(pid) / "task");
        std::ofstream(root / std::to_string(pid) / "stat")
            << pid << " (odd (name) x) S 1 " << pgrp << " " << pgrp << " 0 -1\n";
    }
    void task(int pid, int tid, unsigned long long wait_ns) {
        fs::create_directories(root / std::to_string(pid) / "task" / std::to_string(tid));
        std::ofstream(root / std::to_string(pid) / "task" / std::to_string(tid) / "schedstat")
            << "123456 " << wait_ns << " 42\n";
    }
};

}  // namespace

TEST_CASE("load probe: node waits per interval, CPU pressure and timer lag") {
    FakeProc p;
    p.pressure(1'000'000);
    p.process(100, 100);  // n1's leader
    p.task(100, 100, 5'000'000);
    p.process(101, 100);  // a helper n1 started: same group
    p.task(101, 101, 2'000'000);
    p.task(101, 102, 1'000'000);  // a second thread
    p.process(200, 200);          // n2
    p.task(200, 200, 500'000);    // under 1 ms: not listed
    p.process(300, 300);          // not a node
    p.task(300, 300, 900'000'000);
    LoadProbe probe(p.root);
    p.pressure(1'250'000);
    probe.late_by(0.004);
    probe.late_by(0.002);
    json s = probe.sample(0.5, {{"n1", 100}, {"n2", 200}, {"n3", 0}}, 0.003);
    INFO(s.dump(1));
    CHECK(s["interval"] == 0.5);
    CHECK(s["controller_lag"] == 0.004);
    CHECK(s["engine_lag"] == 0.003);
    CHECK(s["cpu_pressure"] == 0.5);  // 250 ms of the 500
    CHECK(s["node_wait"] == json{{"n1", 0.008}});
    CHECK(s["node_wait_max"] == 0.008);

    // The next interval counts only what was added; a task that is gone no longer counts.
    fs::remove_all(p.root / "101" / "task" / "102");
    p.task(100, 100, 25'000'000);  // +20 ms
    p.task(200, 200, 3'500'000);   // +3 ms
    json t = probe.sample(1.0, {{"n1", 100}, {"n2", 200}}, std::nullopt);
    INFO(t.dump(1));
    CHECK(t["controller_lag"] == 0.0);  // reset by the last sample
    CHECK(t["engine_lag"].is_null());   // not visible (netem)
    CHECK(t["cpu_pressure"] == 0.0);
    CHECK(t["node_wait"] == json{{"n1", 0.02}, {"n2", 0.003}});
    CHECK(t["node_wait_max"] == 0.02);
}

TEST_CASE("load probe without PSI or nodes: nulls and zeros, no failure") {
    const fs::path nowhere = fs::temp_directory_path() / "gossiplab-load-test-none";
    fs::remove_all(nowhere);
    LoadProbe probe(nowhere);
    json s = probe.sample(1.0, {}, 0.0);
    CHECK(s["cpu_pressure"].is_null());
    CHECK(s["node_wait"] == json::object());
    CHECK(s["node_wait_max"] == 0.0);
    CHECK(s["engine_lag"] == 0.0);
}

TEST_CASE("load probe: a timer late behind the controller's own work is not lag") {
    FakeProc p;
    LoadProbe probe(p.root);
    using Clock = gossiplab::harness::RunClock::Clock;
    const auto now = Clock::now();
    // Sixteen starts due at once: the last one ran 45 ms late, behind the fifteen before it,
    // which ended just now.
    probe.busy_until(now);
    probe.timer_fired(now - std::chrono::milliseconds(45));
    json s = probe.sample(1.0, {}, std::nullopt);
    INFO(s.dump(1));
    CHECK(s["controller_lag"].get<double>() < 0.01);
    // With no work of its own in the way, the same lateness counts.
    LoadProbe idle(p.root);
    idle.timer_fired(Clock::now() - std::chrono::milliseconds(45));
    json t = idle.sample(1.0, {}, std::nullopt);
    INFO(t.dump(1));
    CHECK(t["controller_lag"].get<double>() >= 0.045);
}
