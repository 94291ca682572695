// The load probe: the controller's timer lag, the engine's release lag, the machine's CPU
// pressure and each node's run-queue wait, one sample a second.
#include "load.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace gossiplab::harness {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::optional<std::string> slurp(const fs::path& p) {
    std::ifstream f(p);
    if (!f) return std::nullopt;
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

// A directory entry named by a number: a pid (or a tid under task/).
std::optional<pid_t> numeric(const fs::path& p) {
    const std::string n = p.filename().string();
    if (n.empty() || !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    return static_cast<pid_t>(std::strtol(n.c_str(), nullptr, 10));
}

// The process group in /proc/PID/stat: "PID (COMM) STATE PPID PGRP ..."; COMM may hold
// spaces and parentheses, so the fields start after the last ')'.
std::optional<pid_t> process_group(const fs::path& stat) {
    auto s = slurp(stat);
    if (!s) return std::nullopt;
    const size_t close = s->rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream in(s->substr(close + 1));
    std::string state;
    long ppid = 0, pgrp = 0;
    if (!(in >> state >> ppid >> pgrp)) return std::nullopt;
    return static_cast<pid_t>(pgrp);
}

// The second field of /proc/PID/task/TID/schedstat: nanoseconds spent waiting on a run queue.
std::optional<uint64_t> run_delay(const fs::path& schedstat) {
    auto s = slurp(schedstat);
    if (!s) return std::nullopt;
    std::istringstream in(*s);
    unsigned long long cpu = 0, wait = 0;
    if (!(in >> cpu >> wait)) return std::nullopt;
    return wait;
}

}  // namespace

LoadProbe::LoadProbe(fs::path proc) : proc_(std::move(proc)) {
    psi_last_ = psi_some_total_us();
}

void LoadProbe::timer_fired(RunClock::Clock::time_point due) {
    late_by(
        std::chrono::duration<double>(RunClock::Clock::now() - std::max(due, busy_end_)).count());
}

void LoadProbe::busy_until(RunClock::Clock::time_point end) {
    busy_end_ = std::max(busy_end_, end);
}

void LoadProbe::late_by(double seconds) {
    timer_lag_ = std::max(timer_lag_, seconds);
}

// "some avg10=0.00 avg60=0.00 avg300=0.00 total=12345": the microseconds in which at least
// one runnable task waited for a CPU.
std::optional<uint64_t> LoadProbe::psi_some_total_us() {
    auto s = slurp(proc_ / "pressure" / "cpu");
    if (!s) return std::nullopt;
    std::istringstream in(*s);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("some ", 0) != 0) continue;
        const size_t at = line.find("total=");
        if (at == std::string::npos) return std::nullopt;
        return std::strtoull(line.c_str() + at + 6, nullptr, 10);
    }
    return std::nullopt;
}

json LoadProbe::sample(double interval, const std::map<std::string, pid_t>& groups,
                       std::optional<double> engine_lag) {
    auto round6 = [](double v) { return std::round(v * 1e6) / 1e6; };
    json out = {{"interval", round6(interval)},
                {"controller_lag", round6(std::max(0.0, timer_lag_))},
                {"engine_lag", engine_lag ? json(round6(*engine_lag)) : json(nullptr)}};
    timer_lag_ = 0;

    const auto psi = psi_some_total_us();
    if (psi && psi_last_ && interval > 0)
        out["cpu_pressure"] =
            std::round(std::min(1.0, double(*psi - *psi_last_) / 1e6 / interval) * 1e4) / 1e4;
    else
        out["cpu_pressure"] = nullptr;
    psi_last_ = psi;

    std::map<pid_t, std::string> node_of;
    for (const auto& [id, g] : groups)
        if (g > 0) node_of[g] = id;
    std::map<std::string, uint64_t> waited;  // ns, per node
    std::map<pid_t, uint64_t> now;
    std::error_code ec;
    if (!node_of.empty()) {
        for (fs::directory_iterator it(proc_, ec), end; !ec && it != end; it.increment(ec)) {
            if (!numeric(it->path())) continue;
            const auto pg = process_group(it->path() / "stat");
            if (!pg) continue;
            auto n = node_of.find(*pg);
            if (n == node_of.end()) continue;
            std::error_code tec;
            for (fs::directory_iterator t(it->path() / "task", tec), tend; !tec && t != tend;
                 t.increment(tec)) {
                const auto tid = numeric(t->path());
                if (!tid) continue;
                const auto d = run_delay(t->path() / "schedstat");
                if (!d) continue;
                now[*tid] = *d;
                auto before = run_delay_ns_.find(*tid);
                const uint64_t prev = before == run_delay_ns_.end() ? 0 : before->second;
                waited[n->second] += *d >= prev ? *d - prev : *d;
            }
        }
    }
    run_delay_ns_ = std::move(now);
    json per = json::object();
    double most = 0;
    for (const auto& [id, ns] : waited) {
        const double s = double(ns) / 1e9;
        most = std::max(most, s);
        if (s >= 0.001) per[id] = round6(s);
    }
    out["node_wait"] = std::move(per);
    out["node_wait_max"] = round6(most);
    return out;
}

}  // namespace gossiplab::harness
