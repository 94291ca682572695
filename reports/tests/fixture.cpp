// Writes synthetic run directories (history, node logs, checks) through the reports API.
//   gossiplab_report_fixture all DIR            basic, pass, xss runs and a suite index in DIR
//   gossiplab_report_fixture big DIR [N] [E]    one run with N nodes and about E events
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gossiplab/history/writer.hpp"
#include "gossiplab/reports/report.h"
#include "gossiplab/version.hpp"

namespace fs = std::filesystem;
namespace hist = gossiplab::history;
using nlohmann::json;
using namespace gossiplab::reports;

namespace {

// Builds history.jsonl line by line through history::Writer (remembering line numbers for
// evidence refs) and the node logs, in the shape the harness writes them.
class RunWriter {
  public:
    explicit RunWriter(const fs::path& dir) : dir_(dir) {
        fs::remove_all(dir);
        fs::create_directories(dir / "nodes");
        hist_.emplace(dir / "history.jsonl");
    }

    size_t action(double t, hist::ActionType type, json fields = json::object()) {
        hist_->action(t, type, std::move(fields));
        return ++lines_;
    }
    size_t event(double t, const std::string& node, hist::EventType type, json ev) {
        ev["ts"] = 1700000000.0 + t;
        ev["type"] = hist::to_string(type);
        hist_->event(t, node, std::move(ev));
        ++events_;
        return ++lines_;
    }
    size_t member(double t, const std::string& node, const std::string& who,
                  hist::MemberState state, int inc = 0) {
        return event(t, node, hist::EventType::member,
                     {{"member", who}, {"state", hist::to_string(state)}, {"incarnation", inc}});
    }
    void log(const std::string& node, double t, const std::string& text) {
        auto [it, fresh] = logs_.try_emplace(node);
        if (fresh) it->second.open(dir_ / "nodes" / (node + ".log"));
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.3f ", t);
        it->second << buf << text << "\n";
    }
    // Ends the history with a line that is not JSON (the writer cannot write one).
    void close_with_raw(const std::string& line) {
        hist_.reset();
        std::ofstream(dir_ / "history.jsonl", std::ios::app) << line << "\n";
        ++lines_;
    }
    size_t events() const { return events_; }

  private:
    fs::path dir_;
    std::optional<hist::Writer> hist_;
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

// One synthetic run of `ids` nodes: joins, a rumor stream, a kill, a pause, a partition, a
// shape and a leave, with filler counters events to reach a target size. The write_* steps
// append to the history in time order; checks() then gives results whose evidence points at
// the lines they wrote.
class SynthRun {
  public:
    SynthRun(const fs::path& dir, const std::vector<std::string>& ids, int rumors,
             const std::string& payload_text, uint64_t seed)
        : w_(dir),
          rng_(seed),
          ids_(ids),
          n_(ids.size()),
          rumors_(rumors),
          payload_(payload_text),
          seed_(seed),
          victim_(std::min<size_t>(2, n_ - 1)),
          late_(n_ - 1),
          paused_(std::min<size_t>(1, n_ - 1)) {}

    static constexpr double kEnd = 60;

    void write_starts_and_joins();
    void write_rumors();
    void write_kill();
    void write_pause();
    void write_network_and_leave();
    void write_filler_and_end(size_t target_events);
    RunInfo info() const;

  private:
    double u() { return uniform_(rng_); }
    json checks() const;
    json failure_detection_check() const;
    json dissemination_check() const;
    json convergence_check() const;

    RunWriter w_;
    std::mt19937_64 rng_;
    std::uniform_real_distribution<double> uniform_{0, 1};
    std::vector<std::string> ids_;
    size_t n_;
    int rumors_;
    std::string payload_;
    uint64_t seed_;
    // The third node is killed at 10 s: most detect it within 2 s; the last never does.
    size_t victim_, late_, paused_;
    size_t kill_line_ = 0, still_line_ = 0;
    std::vector<double> detect_;
};

void SynthRun::write_starts_and_joins() {
    w_.action(0, hist::ActionType::run_start,
              {{"nodes", ids_},
               {"seed", seed_},
               {"scenario", "synthetic"},
               {"impl", "reference"},
               {"backend", "nfqueue"},
               {"profile", fast_profile()}});
    for (size_t i = 0; i < n_; ++i) {
        const double t = 0.01 * static_cast<double>(i) / std::max<size_t>(1, n_ / 50);
        w_.action(t, hist::ActionType::node_start,
                  {{"node", ids_[i]},
                   {"pid", 1000 + i},
                   {"addr", "198.18.0." + std::to_string(i + 2)},
                   {"seeds", json::array()},
                   {"restart", false}});
        w_.log(ids_[i], t, "starting " + ids_[i] + " profile fast");
    }
    // Joins: every node learns every other within ~1 s.
    std::vector<std::tuple<double, size_t, size_t>> joins;
    for (size_t o = 0; o < n_; ++o) {
        for (size_t m = 0; m < n_; ++m) {
            if (o != m) joins.emplace_back(0.6 + u() * 0.9, o, m);
        }
    }
    std::sort(joins.begin(), joins.end());
    for (const auto& [t, o, m] : joins) w_.member(t, ids_[o], ids_[m], hist::MemberState::alive);
}

// Rumors from 2 s on; delivery spreads like an epidemic.
void SynthRun::write_rumors() {
    double t = 2;
    for (int r = 0; r < rumors_; ++r) {
        const size_t origin = static_cast<size_t>(r) % n_;
        const std::string rid = "r" + std::to_string(r + 1);
        w_.action(t, hist::ActionType::broadcast,
                  {{"node", ids_[origin]},
                   {"rumor", rid},
                   {"payload", payload_ + " #" + std::to_string(r + 1)}});
        std::vector<std::pair<double, size_t>> del;
        for (size_t i = 0; i < n_; ++i) {
            const double d = i == origin ? 0.0 : 0.02 * std::log(n_) * (0.5 + u() * 1.5);
            del.emplace_back(t + d, i);
        }
        std::sort(del.begin(), del.end());
        for (const auto& [td, i] : del) {
            w_.event(td, ids_[i], hist::EventType::rumor,
                     {{"rumor", rid}, {"origin", ids_[origin]}, {"payload", payload_}});
        }
        t += 6.0 / std::max(1, rumors_);
    }
}

void SynthRun::write_kill() {
    kill_line_ = w_.action(10, hist::ActionType::kill, {{"node", ids_[victim_]}});
    w_.action(
        10.01, hist::ActionType::node_exit,
        {{"node", ids_[victim_]}, {"status", nullptr}, {"signal", "SIGKILL"}, {"expected", true}});
    w_.log(ids_[victim_], 9.9, "probe round 99 " + payload_);
    for (size_t o = 0; o < n_; ++o) {
        if (o == victim_ || o == late_) continue;
        const double ts = 10.3 + u() * 0.5, td = ts + 1.2 + u() * 0.6;
        w_.log(ids_[o], ts - 0.05, "no ack from " + ids_[victim_] + " after 50 ms");
        w_.member(ts, ids_[o], ids_[victim_], hist::MemberState::suspect);
        w_.member(td, ids_[o], ids_[victim_], hist::MemberState::dead);
        detect_.push_back(td - 10);
    }
    w_.log(ids_[late_], 10.5, "still gossiping with " + ids_[victim_] + " " + payload_);
    still_line_ = w_.member(11.0, ids_[late_], ids_[victim_], hist::MemberState::alive, 0);
    std::sort(detect_.begin(), detect_.end());
}

// Pause node 2 for 3 s at 20 s: a false suspicion that gets refuted.
void SynthRun::write_pause() {
    w_.action(20, hist::ActionType::pause, {{"node", ids_[paused_]}});
    for (size_t o = 0; o < n_ && o < 8; ++o) {
        if (o == paused_ || o == victim_) continue;
        w_.member(21.5 + 0.01 * o, ids_[o], ids_[paused_], hist::MemberState::suspect);
    }
    w_.action(23, hist::ActionType::resume, {{"node", ids_[paused_]}});
    for (size_t o = 0; o < n_ && o < 8; ++o) {
        if (o == paused_ || o == victim_) continue;
        w_.member(23.2 + 0.01 * o, ids_[o], ids_[paused_], hist::MemberState::alive, 1);
    }
}

// Partition at 30 s for 5 s, a link shape from 40 s to 45 s, node 1 leaves at 50 s.
void SynthRun::write_network_and_leave() {
    json grudge = json::object();
    const size_t half = n_ / 2;
    for (size_t i = 0; i < n_; ++i) {
        json drops = json::array();
        for (size_t k = (i < half ? half : 0); k < (i < half ? n_ : half); ++k)
            drops.push_back(ids_[k]);
        grudge[ids_[i]] = drops;
    }
    w_.action(30, hist::ActionType::partition, {{"grudge", grudge}});
    w_.action(35, hist::ActionType::heal);
    w_.action(
        40, hist::ActionType::shape,
        {{"links", "all"}, {"shape", {{"delay_ms", 100}, {"jitter_ms", 10}, {"loss", 0.05}}}});
    w_.action(45, hist::ActionType::clear, {{"links", "all"}});
    w_.action(50, hist::ActionType::leave, {{"node", ids_[0]}});
    for (size_t o = 1; o < n_; ++o) {
        if (o != victim_) w_.member(50.2, ids_[o], ids_[0], hist::MemberState::left);
    }
}

// Filler: counters events (and log lines) spread over the run up to the target size; then
// run_end and one malformed line (noted on the page, never fatal).
void SynthRun::write_filler_and_end(size_t target_events) {
    size_t k = 0;
    const size_t filler = target_events > w_.events() ? target_events - w_.events() : 0;
    for (size_t f = 0; f < filler; ++f) {
        const double tf =
            1 + kEnd * static_cast<double>(f) / static_cast<double>(filler + 1) * 0.97;
        const auto& id = ids_[k++ % n_];
        w_.event(tf, id, hist::EventType::counters,
                 {{"pkts_sent", f},
                  {"pkts_recv", f},
                  {"bytes_sent", 0},
                  {"bytes_recv", 0},
                  {"bad_pkts", 0}});
        if (f % 4 == 0) w_.log(id, tf, "gossip round to 3 peers");
    }
    w_.action(kEnd, hist::ActionType::run_end, {{"reason", "duration"}});
    w_.close_with_raw("{\"t\": not json");
}

// failure_detection's result in the shape checkers/src writes it (failures[]).
json SynthRun::failure_detection_check() const {
    json failures = json::array();
    failures.push_back({{"node", ids_[victim_]},
                        {"cause", "killed"},
                        {"t", 10.0},
                        {"ref", kill_line_},
                        {"observers", n_ - 2},
                        {"first_suspicion", 0.3},
                        {"first_detection", detect_.empty() ? 0.0 : detect_.front()},
                        {"bound", 2.4},
                        {"status", "undetected"},
                        {"undetected_by", json::array({ids_[late_]})}});
    failures.push_back({{"node", ids_[paused_]},
                        {"cause", "paused"},
                        {"t", 20.0},
                        {"observers", n_ - 2},
                        {"first_detection", nullptr},
                        {"bound", 2.4},
                        {"status", "superseded"}});
    json detection_times = json::array();
    for (size_t i = 0; i < detect_.size() && i < 30; ++i) detection_times.push_back(detect_[i]);
    return {{"check", "failure_detection"},
            {"verdict", "fail"},
            {"reason", ids_[victim_] + " killed at 10.0 s: " + ids_[late_] +
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
             {{{"t", 10.0}, {"node", ids_[victim_]}, {"what", "killed"}, {"ref", kill_line_}},
              {{"t", 11.0},
               {"node", ids_[late_]},
               {"what", "still sees " + ids_[victim_] + " alive at end of window"},
               {"ref", still_line_}}}}};
}

// dissemination's result (rumors[]).
json SynthRun::dissemination_check() const {
    json rumor_rows = json::array();
    for (int r = 0; r < std::min(rumors_, 20); ++r) {
        rumor_rows.push_back({{"rumor", "r" + std::to_string(r + 1)},
                              {"origin", ids_[static_cast<size_t>(r) % n_]},
                              {"t", 2.0 + 6.0 / std::max(1, rumors_) * r},
                              {"p50", 0.03},
                              {"p95", 0.05 + 0.01 * r},
                              {"p100", 0.06 + 0.01 * r},
                              {"bound", 0.4},
                              {"delivered", n_},
                              {"targets", n_}});
    }
    return {{"check", "dissemination"},
            {"verdict", "pass"},
            {"reason", "every rumor reached every live node within its bound"},
            {"bound", {{"expr", "gossip_rounds * gossip_interval * 4"}, {"value", 0.4}}},
            {"measured", 0.21},
            {"metrics",
             {{"rumors", rumor_rows},
              {"count", rumors_},
              {"delivery_ratio", 1.0},
              {"payload_seen", payload_}}},
            {"evidence", json::array()}};
}

// membership_convergence's result (changes[]).
json SynthRun::convergence_check() const {
    json lags = json::object();
    for (size_t o = 0; o < n_ && o < 40; ++o) lags[ids_[o]] = 0.1 + 0.01 * static_cast<double>(o);
    json changes = json::array();
    changes.push_back({{"kind", "join"},
                       {"node", ids_[0]},
                       {"t", 0.6},
                       {"convergence", 0.9},
                       {"bound", 2.6},
                       {"status", "converged"},
                       {"lags", lags}});
    changes.push_back({{"kind", "dead"},
                       {"node", ids_[victim_]},
                       {"t", 10.0},
                       {"convergence", 1.9},
                       {"bound", 2.6},
                       {"status", "converged"},
                       {"lags", lags}});
    changes.push_back({{"kind", "left"},
                       {"node", ids_[0]},
                       {"t", 50.0},
                       {"convergence", 0.2},
                       {"bound", 2.6},
                       {"status", "converged"}});
    return {
        {"check", "membership_convergence"},
        {"verdict", "pass"},
        {"reason", "all membership changes converged"},
        {"bound", {{"expr", "suspicion_max + gossip_rounds * gossip_interval"}, {"value", 2.6}}},
        {"measured", 1.9},
        {"metrics", {{"changes", changes}, {"count", 3}, {"converged", 3}, {"failed", 0}}},
        {"evidence", json::array()}};
}

json SynthRun::checks() const {
    return json::array({
        failure_detection_check(),
        {{"check", "false_positives"},
         {"verdict", "fail"},
         {"reason", "n2 suspected while paused: 1 false positive beyond the allowed 0"},
         {"bound", {{"expr", "0"}, {"value", 0}}},
         {"measured", 1},
         {"metrics", {{"false_suspicions", 1}}},
         {"evidence",
          {{{"t", 21.5},
            {"node", ids_[0]},
            {"what", "suspects " + ids_[paused_]},
            {"ref", nullptr}}}}},
        dissemination_check(),
        convergence_check(),
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
}

RunInfo SynthRun::info() const {
    RunInfo info;
    info.seed = seed_;
    info.impl = "reference";
    info.profile = fast_profile();
    info.features = {"suspicion_events", "incarnations", "rumors", "counters", "view", "leave"};
    info.environment = {{"kernel", "6.1.0-synthetic"},
                        {"backend", "nfqueue"},
                        {"gossiplab", gossiplab::kVersion},
                        {"compiler", "g++ 12"},
                        {"nodes", n_}};
    info.duration_s = kEnd;
    info.checks = checks();
    info.command = "gossiplab run scenarios/synthetic.json --seed " + std::to_string(seed_) +
                   " --impl reference";
    return info;
}

// A run of `ids` nodes with `filler` counters events to reach `target_events`. Returns the
// run's RunInfo, with checks whose evidence points at real history lines.
RunInfo synth_run(const fs::path& dir, const std::vector<std::string>& ids, int rumors,
                  size_t target_events, const std::string& payload_text, uint64_t seed) {
    SynthRun run(dir, ids, rumors, payload_text, seed);
    run.write_starts_and_joins();
    run.write_rumors();
    run.write_kill();
    run.write_pause();
    run.write_network_and_leave();
    run.write_filler_and_end(target_events);
    return run.info();
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
                   {"kind", hist::to_string(hist::LineKind::action)},
                   {"action", hist::to_string(hist::ActionType::broadcast)},
                   {"node", s1},
                   {"rumor", s1},
                   {"payload", s2}})
                 .dump()
          << "\n"
          << json({{"t", 59.1},
                   {"kind", hist::to_string(hist::LineKind::event)},
                   {"node", s2},
                   {"event",
                    {{"ts", 1.0},
                     {"type", hist::to_string(hist::EventType::rumor)},
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
    // One machine-readable line for bench/run.py: writing the reports as a multiple of
    // writing the history they are made from (the same process, the same disk).
    const double synth = ms(start, mid), write = ms(mid, done);
    std::cout << "bench-result "
              << json{{"name", "report-write"},
                      {"values",
                       {{"nodes", n},
                        {"events", events},
                        {"history_bytes", fs::file_size(dir / "history.jsonl")},
                        {"report_html_bytes", fs::file_size(dir / "report.html")},
                        {"synth_ms", synth},
                        {"write_run_reports_ms", write}}},
                      {"ratios",
                       {{"write_vs_synth",
                         {{"value", synth > 0 ? write / synth : 0},
                          {"what", "write_run_reports time / writing the synthetic history"}}}}}}
                     .dump()
              << "\n";
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
