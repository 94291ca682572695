// Writes synthetic run directories (history, node logs, checks) through the reports API.
//   gossiplab_report_fixture all DIR            basic, pass, xss runs and a suite index in DIR
//   gossiplab_report_fixture big DIR [N] [E]    one run with N nodes and about E events
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gossiplab/reports/report.h"
#include "gossiplab/version.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace gossiplab::reports;

namespace {

// Builds history.jsonl line by line (remembering line numbers for evidence refs) and the
// node logs, in the shape the harness writes them.
class RunWriter {
  public:
    explicit RunWriter(const fs::path& dir) : dir_(dir) {
        fs::remove_all(dir);
        fs::create_directories(dir / "nodes");
        hist_.open(dir / "history.jsonl");
    }

    size_t action(double t, json a) {
        a["t"] = t;
        a["kind"] = "action";
        return write(a);
    }
    size_t event(double t, const std::string& node, json ev) {
        ev["ts"] = 1700000000.0 + t;
        return write({{"t", t}, {"kind", "event"}, {"node", node}, {"event", ev}});
    }
    size_t member(double t, const std::string& node, const std::string& who,
                  const std::string& state, int inc = 0) {
        return event(t, node,
                     {{"type", "member"}, {"member", who}, {"state", state}, {"incarnation", inc}});
    }
    void log(const std::string& node, double t, const std::string& text) {
        auto [it, fresh] = logs_.try_emplace(node);
        if (fresh) it->second.open(dir_ / "nodes" / (node + ".log"));
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3f ", t);
        it->second << buf << text << "\n";
    }
    void raw(const std::string& line) {
        hist_ << line << "\n";
        ++lines_;
    }
    size_t events() const { return events_; }

  private:
    size_t write(const json& j) {
        hist_ << j.dump() << "\n";
        if (j["kind"] == "event") ++events_;
        return ++lines_;
    }
    fs::path dir_;
    std::ofstream hist_;
    std::map<std::string, std::ofstream> logs_;
    size_t lines_ = 0, events_ = 0;
};

json fast_profile() {
    return {{"name", "fast"},        {"probe_interval", 0.1},
            {"probe_timeout", 0.05}, {"gossip_interval", 0.02},
            {"fanout", 3},           {"indirect_checks", 3},
            {"suspicion_mult", 4},   {"suspicion_max_timeout_mult", 6},
            {"retransmit_mult", 4},  {"push_pull_interval", 3},
            {"dead_retention", 3},   {"reconnect_interval", 0.2}};
}

// A run of `ids` nodes: joins, a rumor stream, a kill, a pause and a partition, with
// `filler` counters events to reach a target size. Returns the run's RunInfo, with
// checks whose evidence points at real history lines.
RunInfo synth_run(const fs::path& dir, const std::vector<std::string>& ids, int rumors,
                  size_t target_events, const std::string& payload_text, uint64_t seed) {
    RunWriter w(dir);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    const size_t n = ids.size();
    const double end = 60;
    w.action(0, {{"action", "run_start"},
                 {"nodes", ids},
                 {"seed", seed},
                 {"scenario", "synthetic"},
                 {"impl", "reference"},
                 {"backend", "nfqueue"},
                 {"profile", fast_profile()}});
    for (size_t i = 0; i < n; ++i) {
        const double t = 0.01 * static_cast<double>(i) / std::max<size_t>(1, n / 50);
        w.action(t, {{"action", "node_start"},
                     {"node", ids[i]},
                     {"pid", 1000 + i},
                     {"addr", "198.18.0." + std::to_string(i + 2)},
                     {"seeds", json::array()},
                     {"restart", false}});
        w.log(ids[i], t, "starting " + ids[i] + " profile fast");
    }
    // Joins: every node learns every other within ~1 s.
    std::vector<std::tuple<double, size_t, size_t>> joins;
    for (size_t o = 0; o < n; ++o) {
        for (size_t m = 0; m < n; ++m) {
            if (o != m) joins.emplace_back(0.6 + u(rng) * 0.9, o, m);
        }
    }
    std::sort(joins.begin(), joins.end());
    for (const auto& [t, o, m] : joins) w.member(t, ids[o], ids[m], "alive");

    // Rumors from 2 s on; delivery spreads like an epidemic.
    double t = 2;
    for (int r = 0; r < rumors; ++r) {
        const size_t origin = static_cast<size_t>(r) % n;
        const std::string rid = "r" + std::to_string(r + 1);
        w.action(t, {{"action", "broadcast"},
                     {"node", ids[origin]},
                     {"rumor", rid},
                     {"payload", payload_text + " #" + std::to_string(r + 1)}});
        std::vector<std::pair<double, size_t>> del;
        for (size_t i = 0; i < n; ++i) {
            const double d = i == origin ? 0.0 : 0.02 * std::log(n) * (0.5 + u(rng) * 1.5);
            del.emplace_back(t + d, i);
        }
        std::sort(del.begin(), del.end());
        for (const auto& [td, i] : del) {
            w.event(td, ids[i],
                    {{"type", "rumor"},
                     {"rumor", rid},
                     {"origin", ids[origin]},
                     {"payload", payload_text}});
        }
        t += 6.0 / std::max(1, rumors);
    }

    // Kill the third node at 10 s: most detect it within 2 s; the last observer never does.
    const size_t victim = std::min<size_t>(2, n - 1);
    const size_t late = n - 1;
    const size_t kill_line = w.action(10, {{"action", "kill"}, {"node", ids[victim]}});
    w.action(10.01, {{"action", "node_exit"},
                     {"node", ids[victim]},
                     {"status", nullptr},
                     {"signal", "SIGKILL"},
                     {"expected", true}});
    w.log(ids[victim], 9.9, "probe round 99 " + payload_text);
    std::vector<double> detect;
    for (size_t o = 0; o < n; ++o) {
        if (o == victim || o == late) continue;
        const double ts = 10.3 + u(rng) * 0.5, td = ts + 1.2 + u(rng) * 0.6;
        w.log(ids[o], ts - 0.05, "no ack from " + ids[victim] + " after 50 ms");
        w.member(ts, ids[o], ids[victim], "suspect");
        w.member(td, ids[o], ids[victim], "dead");
        detect.push_back(td - 10);
    }
    w.log(ids[late], 10.5, "still gossiping with " + ids[victim] + " " + payload_text);
    const size_t still_line = w.member(11.0, ids[late], ids[victim], "alive", 0);

    // Pause node 2 for 3 s at 20 s: a false suspicion that gets refuted.
    const size_t paused = std::min<size_t>(1, n - 1);
    w.action(20, {{"action", "pause"}, {"node", ids[paused]}});
    for (size_t o = 0; o < n && o < 8; ++o) {
        if (o == paused || o == victim) continue;
        w.member(21.5 + 0.01 * o, ids[o], ids[paused], "suspect");
    }
    w.action(23, {{"action", "resume"}, {"node", ids[paused]}});
    for (size_t o = 0; o < n && o < 8; ++o) {
        if (o == paused || o == victim) continue;
        w.member(23.2 + 0.01 * o, ids[o], ids[paused], "alive", 1);
    }

    // Partition at 30 s for 5 s, a link shape from 40 s to 45 s.
    json grudge = json::object();
    const size_t half = n / 2;
    for (size_t i = 0; i < n; ++i) {
        json drops = json::array();
        for (size_t k = (i < half ? half : 0); k < (i < half ? n : half); ++k)
            drops.push_back(ids[k]);
        grudge[ids[i]] = drops;
    }
    w.action(30, {{"action", "partition"}, {"grudge", grudge}});
    w.action(35, {{"action", "heal"}});
    w.action(40, {{"action", "shape"},
                  {"links", "all"},
                  {"shape", {{"delay_ms", 100}, {"jitter_ms", 10}, {"loss", 0.05}}}});
    w.action(45, {{"action", "clear"}, {"links", "all"}});
    w.action(50, {{"action", "leave"}, {"node", ids[0]}});
    for (size_t o = 1; o < n; ++o) {
        if (o != victim) w.member(50.2, ids[o], ids[0], "left");
    }

    // Filler: counters events (and log lines) spread over the run up to the target size.
    size_t k = 0;
    const size_t filler = target_events > w.events() ? target_events - w.events() : 0;
    for (size_t f = 0; f < filler; ++f) {
        const double tf = 1 + end * static_cast<double>(f) / static_cast<double>(filler + 1) * 0.97;
        const auto& id = ids[k++ % n];
        w.event(tf, id,
                {{"type", "counters"},
                 {"pkts_sent", f},
                 {"pkts_recv", f},
                 {"bytes_sent", 0},
                 {"bytes_recv", 0},
                 {"bad_pkts", 0}});
        if (f % 4 == 0) w.log(id, tf, "gossip round to 3 peers");
    }
    w.raw("{\"t\": not json");  // one malformed line: noted on the page, never fatal
    w.action(end, {{"action", "run_end"}, {"reason", "duration"}});

    // Metrics in the shapes checkers/src writes them (failures[], rumors[], changes[]).
    std::sort(detect.begin(), detect.end());
    json lags = json::object();
    for (size_t o = 0; o < n && o < 40; ++o) lags[ids[o]] = 0.1 + 0.01 * static_cast<double>(o);
    json failures = json::array();
    failures.push_back({{"node", ids[victim]},
                        {"cause", "killed"},
                        {"t", 10.0},
                        {"ref", kill_line},
                        {"observers", n - 2},
                        {"first_suspicion", 0.3},
                        {"first_detection", detect.empty() ? 0.0 : detect.front()},
                        {"bound", 2.4},
                        {"status", "undetected"},
                        {"undetected_by", json::array({ids[late]})}});
    failures.push_back({{"node", ids[paused]},
                        {"cause", "paused"},
                        {"t", 20.0},
                        {"observers", n - 2},
                        {"first_detection", nullptr},
                        {"bound", 2.4},
                        {"status", "superseded"}});
    json rumor_rows = json::array();
    for (int r = 0; r < std::min(rumors, 20); ++r) {
        rumor_rows.push_back({{"rumor", "r" + std::to_string(r + 1)},
                              {"origin", ids[static_cast<size_t>(r) % n]},
                              {"t", 2.0 + 6.0 / std::max(1, rumors) * r},
                              {"p50", 0.03},
                              {"p95", 0.05 + 0.01 * r},
                              {"p100", 0.06 + 0.01 * r},
                              {"bound", 0.4},
                              {"delivered", n},
                              {"targets", n}});
    }
    json changes = json::array();
    changes.push_back({{"kind", "join"},
                       {"node", ids[0]},
                       {"t", 0.6},
                       {"convergence", 0.9},
                       {"bound", 2.6},
                       {"status", "converged"},
                       {"lags", lags}});
    changes.push_back({{"kind", "dead"},
                       {"node", ids[victim]},
                       {"t", 10.0},
                       {"convergence", 1.9},
                       {"bound", 2.6},
                       {"status", "converged"},
                       {"lags", lags}});
    changes.push_back({{"kind", "left"},
                       {"node", ids[0]},
                       {"t", 50.0},
                       {"convergence", 0.2},
                       {"bound", 2.6},
                       {"status", "converged"}});
    json detection_times = json::array();
    for (size_t i = 0; i < detect.size() && i < 30; ++i) detection_times.push_back(detect[i]);

    RunInfo info;
    info.seed = seed;
    info.impl = "reference";
    info.profile = fast_profile();
    info.features = {"suspicion_events", "incarnations", "rumors", "counters", "view", "leave"};
    info.environment = {{"kernel", "6.1.0-synthetic"},
                        {"backend", "nfqueue"},
                        {"gossiplab", gossiplab::kVersion},
                        {"compiler", "g++ 12"},
                        {"nodes", n}};
    info.duration_s = end;
    info.checks = json::array({
        {{"check", "failure_detection"},
         {"verdict", "fail"},
         {"reason", ids[victim] + " killed at 10.0 s: " + ids[late] +
                        " never declared it dead (bound 2.4 s)"},
         {"bound", {{"expr", "3 * probe_interval + suspicion_max"}, {"value", 2.4}}},
         {"measured", 3.1},
         {"metrics",
          {{"failures", failures},
           {"count", 2},
           {"checked", 1},
           {"failed", 1},
           {"detection_times_s", detection_times},
           {"swim_expected_first_detection_periods", 1.582}}},
         {"evidence",
          {{{"t", 10.0}, {"node", ids[victim]}, {"what", "killed"}, {"ref", kill_line}},
           {{"t", 11.0},
            {"node", ids[late]},
            {"what", "still sees " + ids[victim] + " alive at end of window"},
            {"ref", still_line}}}}},
        {{"check", "false_positives"},
         {"verdict", "fail"},
         {"reason", "n2 suspected while paused: 1 false positive beyond the allowed 0"},
         {"bound", {{"expr", "0"}, {"value", 0}}},
         {"measured", 1},
         {"metrics", {{"false_suspicions", 1}}},
         {"evidence",
          {{{"t", 21.5},
            {"node", ids[0]},
            {"what", "suspects " + ids[paused]},
            {"ref", nullptr}}}}},
        {{"check", "dissemination"},
         {"verdict", "pass"},
         {"reason", "every rumor reached every live node within its bound"},
         {"bound", {{"expr", "gossip_rounds * gossip_interval * 4"}, {"value", 0.4}}},
         {"measured", 0.21},
         {"metrics",
          {{"rumors", rumor_rows},
           {"count", rumors},
           {"delivery_ratio", 1.0},
           {"payload_seen", payload_text}}},
         {"evidence", json::array()}},
        {{"check", "membership_convergence"},
         {"verdict", "pass"},
         {"reason", "all membership changes converged"},
         {"bound", {{"expr", "suspicion_max + gossip_rounds * gossip_interval"}, {"value", 2.6}}},
         {"measured", 1.9},
         {"metrics", {{"changes", changes}, {"count", 3}, {"converged", 3}, {"failed", 0}}},
         {"evidence", json::array()}},
        {{"check", "partition_healing"},
         {"verdict", "pass"},
         {"reason", "every partition healed within its bound"},
         {"bound", {{"expr", "reconnect_interval + suspicion_max"}, {"value", 3.0}}},
         {"measured", 1.4},
         {"metrics",
          {{"changes",
            {{{"kind", "heal"},
              {"node", nullptr},
              {"t", 35.0},
              {"convergence", 1.4},
              {"bound", 3.0},
              {"status", "converged"}}}}}},
         {"evidence", json::array()}},
        {{"check", "incarnation_monotonic"},
         {"verdict", "unknown"},
         {"reason", "implementation lacks refute_events"},
         {"bound", nullptr},
         {"measured", nullptr},
         {"metrics", json::object()},
         {"evidence", json::array()}},
    });
    info.command = "gossiplab run scenarios/synthetic.json --seed " + std::to_string(seed) +
                   " --impl reference";
    return info;
}

std::vector<std::string> node_ids(size_t n) {
    std::vector<std::string> ids;
    for (size_t i = 0; i < n; ++i) ids.push_back("n" + std::to_string(i + 1));
    return ids;
}

int all(const fs::path& root) {
    fs::create_directories(root);
    // basic: a failing run, 8 nodes.
    RunInfo basic = synth_run(root / "basic", node_ids(8), 5, 0, "hello", 42);
    basic.scenario_name = "kill-one";
    basic.scenario_description = "Kill one node of eight; every other must declare it dead.";
    basic.scenario = {{"name", "kill-one"}, {"nodes", 8}, {"duration", 60}};
    write_run_reports(root / "basic", basic);

    // pass: all checks pass (a 64-bit seed that a JavaScript number would round).
    RunInfo pass = synth_run(root / "pass", node_ids(5), 2, 0, "x", 18446744073709551557ull);
    for (auto& c : pass.checks) {
        c["verdict"] = "pass";
        c["evidence"] = json::array();
    }
    pass.scenario_name = "steady-state";
    write_run_reports(root / "pass", pass);

    // xss: hostile node ids, rumor payloads, scenario text and log lines.
    const std::string s1 = "<script>alert(1)</script>";
    const std::string s2 = "\"><img src=x onerror=alert(1)>";
    const std::string payload = s1 + s2 + " </script><!-- \u2028\u2029 & '";
    std::vector<std::string> ids = {"n1", s2, s1, "n4", "n5"};
    RunInfo xss = synth_run(root / "xss", ids, 3, 0, payload, 7);
    xss.scenario_name = "xss " + s1 + s2;
    xss.scenario_description = s2 + s1;
    xss.scenario = {{"name", s1}, {"note", s2}};
    xss.impl = s2;
    xss.profile = fast_profile();
    xss.profile["name"] = s1;
    xss.features = {s1, s2};
    xss.environment[s1] = s2;
    xss.command = "gossiplab run " + s2 + " --seed 7 " + s1;
    xss.checks[0]["check"] = "failure_detection " + s1;
    xss.checks[1]["reason"] = s2 + s1;
    xss.checks[1]["evidence"][0]["what"] = s1 + s2;
    xss.checks[1]["evidence"][0]["node"] = s2;  // has a log file: nodes/"><img ...>.log
    xss.checks[2]["metrics"][s1] = s2;
    xss.checks[2]["metrics"]["rumors"][0]["rumor"] = s1;
    xss.checks[0]["metrics"]["failures"][0]["undetected_by"].push_back(s2);
    write_run_reports(root / "xss", xss);
    {
        // A rumor id that is itself hostile, delivered once (dissemination chart labels).
        std::ofstream h(root / "xss" / "history.jsonl", std::ios::app);
        h << json({{"t", 59.0},
                   {"kind", "action"},
                   {"action", "broadcast"},
                   {"node", s1},
                   {"rumor", s1},
                   {"payload", s2}})
                 .dump()
          << "\n"
          << json({{"t", 59.1},
                   {"kind", "event"},
                   {"node", s2},
                   {"event",
                    {{"ts", 1.0},
                     {"type", "rumor"},
                     {"rumor", s1},
                     {"origin", s1},
                     {"payload", s2}}}})
                 .dump()
          << "\n";
    }
    render_run(root / "xss");

    // A check across runs, as a scale sweep's load flatness gives it.
    const json flat = {{"check", "load_flatness"},
                       {"verdict", "fail"},
                       {"reason", "per-member load varies by 80% across cluster sizes " + s1},
                       {"bound", {{"expr", "max/min - 1 <= 0.25"}, {"value", 0.25}}},
                       {"measured", 0.8},
                       {"metrics", json::object()},
                       {"evidence", json::array()}};
    write_suite_index(root / "suite",
                      {root / "basic", root / "pass", root / "xss", root / "missing-run"},
                      {{"scale-sweep", flat, ""}});
    std::cout << "wrote basic, pass, xss and suite under " << root.string() << "\n";
    return 0;
}

int big(const fs::path& dir, size_t n, size_t events) {
    const auto start = std::chrono::steady_clock::now();
    RunInfo info = synth_run(dir, node_ids(n), 40, events, "payload", 99);
    info.scenario_name = "big-" + std::to_string(n);
    const auto mid = std::chrono::steady_clock::now();
    write_run_reports(dir, info);
    const auto done = std::chrono::steady_clock::now();
    const auto ms = [](auto a, auto b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
    };
    std::cout << "nodes " << n << " history_bytes " << fs::file_size(dir / "history.jsonl")
              << " synth_ms " << ms(start, mid) << " write_run_reports_ms " << ms(mid, done)
              << " report_html_bytes " << fs::file_size(dir / "report.html") << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const std::string mode = argc > 1 ? argv[1] : "";
        if (mode == "all" && argc == 3) return all(argv[2]);
        if (mode == "big" && argc >= 3) {
            return big(argv[2], argc > 3 ? std::stoul(argv[3]) : 250,
                       argc > 4 ? std::stoul(argv[4]) : 100000);
        }
        std::cerr << "usage: gossiplab_report_fixture all DIR | big DIR [NODES] [EVENTS]\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "gossiplab_report_fixture: " << e.what() << "\n";
        return 1;
    }
}
