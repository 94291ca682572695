// The report's timeline against the checkers' ground truth: every interval report.html draws
// (node lives, kills, restarts, leaves, pauses, starvation, partition epochs, shapes, the end
// of the run) must be the history::Truth interval it stands for. Run on recorded runs of the
// suite (tests/data/) and, as the hidden case "[timeline_runs]", on every run directory under
// $GOSSIPLAB_TIMELINE_RUNS (ctest points it at the fixture's run directories).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gossiplab/history/history.hpp"
#include "gossiplab/history/truth.hpp"
#include "gossiplab/history/writer.hpp"
#include "run_data.h"

namespace fs = std::filesystem;
using nlohmann::json;
namespace hist = gossiplab::history;
using gossiplab::reports::detail::timeline_data;

namespace {

using AT = hist::ActionType;

// A fault kind on the page: the name of the action that caused it.
std::string kind(AT a) {
    return hist::to_string(a);
}

// The timeline rounds times to 0.1 ms.
constexpr double kTol = 6e-5;

struct Span {
    double from, to;
};

std::string str(const std::vector<Span>& v) {
    std::string s;
    for (const Span& x : v) s += "[" + std::to_string(x.from) + ", " + std::to_string(x.to) + "] ";
    return s.empty() ? "none" : s;
}

// What the chart can show of [from, to]: clipped to the end, nothing that begins after it.
void add_clipped(std::vector<Span>& out, double from, double to, double end, bool lane) {
    if (lane ? (from >= end || to <= from) : from > end) return;
    out.push_back({from, std::min(to, end)});
}

void same_spans(const std::string& what, std::vector<Span> drawn, std::vector<Span> truth) {
    const auto by_from = [](const Span& a, const Span& b) {
        return a.from < b.from || (a.from == b.from && a.to < b.to);
    };
    std::sort(drawn.begin(), drawn.end(), by_from);
    std::sort(truth.begin(), truth.end(), by_from);
    INFO(what << ": drawn " << str(drawn) << "; truth " << str(truth));
    REQUIRE(drawn.size() == truth.size());
    for (size_t i = 0; i < drawn.size(); ++i) {
        CHECK(std::abs(drawn[i].from - truth[i].from) < kTol);
        CHECK(std::abs(drawn[i].to - truth[i].to) < kTol);
    }
}

bool has_node(const json& nodes, uint32_t x) {
    for (const auto& v : nodes)
        if (v == x) return true;
    return false;
}

// The timeline's faults of one kind (on node x when x != kNone).
std::vector<Span> drawn_faults(const json& tl, const std::string& kind, uint32_t x = hist::kNone) {
    std::vector<Span> out;
    for (const auto& f : tl["faults"])
        if (f["kind"] == kind && (x == hist::kNone || has_node(f["nodes"], x)))
            out.push_back({f["t0"].get<double>(), f["t1"].get<double>()});
    return out;
}

// The timeline's lane stripes of node x: not running (paused = false) or paused.
std::vector<Span> drawn_lane(const json& tl, uint32_t x, bool paused) {
    std::vector<Span> out;
    for (const auto& d : tl["down"])
        if (d[0] == x && (d[3] == 1) == paused)
            out.push_back({d[1].get<double>(), d[2].get<double>()});
    return out;
}

// Node x's lives, checked against Truth's own query: not running exactly where live() is false.
void check_lives(const json& tl, const hist::Truth& truth, uint32_t x) {
    const double end = truth.end_t;
    const std::string id = truth.h.ids[x];
    std::vector<Span> down, kills, restarts, leaves;
    double at = 0;
    const auto& lives = truth.lives[x];
    for (size_t i = 0; i < lives.size(); ++i) {
        const hist::Life& l = lives[i];
        add_clipped(down, at, l.start, end, true);
        at = std::max(at, l.end);
        const double back = i + 1 < lives.size() ? lives[i + 1].start : hist::kForever;
        if (l.how == hist::EndHow::killed) add_clipped(kills, l.end, back, end, false);
        if (l.how == hist::EndHow::restarted) add_clipped(restarts, l.end, l.end, end, false);
        if (l.leave_t < hist::kForever) add_clipped(leaves, l.leave_t, l.leave_t, end, false);
    }
    add_clipped(down, at, end, end, true);
    const std::vector<Span> drawn = drawn_lane(tl, x, false);
    same_spans(id + " not running", drawn, down);
    same_spans(id + " killed", drawn_faults(tl, kind(AT::kill), x), kills);
    same_spans(id + " restarted", drawn_faults(tl, kind(AT::restart), x), restarts);
    same_spans(id + " left", drawn_faults(tl, kind(AT::leave), x), leaves);
    // Independently of how the lives were turned into stripes: inside a stripe the node is
    // not live, between stripes it is.
    double prev = 0;
    for (const Span& d : drawn) {
        if (d.to - d.from > 4 * kTol) CHECK_FALSE(truth.live(x, (d.from + d.to) / 2));
        if (d.from - prev > 4 * kTol) CHECK(truth.live(x, (prev + d.from) / 2));
        prev = d.to;
    }
    if (end - prev > 4 * kTol) CHECK(truth.live(x, (prev + end) / 2));
}

void check_pauses(const json& tl, const hist::Truth& truth, uint32_t x) {
    const double end = truth.end_t;
    std::vector<Span> lane, pauses, starves;
    for (const hist::Interval& p : truth.pauses[x]) {
        add_clipped(lane, p.from, p.to, end, true);
        add_clipped(pauses, p.from, p.to, end, false);
    }
    for (const hist::Interval& p : truth.starves[x]) add_clipped(starves, p.from, p.to, end, false);
    const std::string id = truth.h.ids[x];
    same_spans(id + " paused (lane)", drawn_lane(tl, x, true), lane);
    same_spans(id + " paused", drawn_faults(tl, kind(AT::pause), x), pauses);
    same_spans(id + " starved", drawn_faults(tl, "starve", x), starves);
    for (const Span& d : drawn_lane(tl, x, true))
        if (d.to - d.from > 4 * kTol) CHECK(truth.paused_at(x, (d.from + d.to) / 2));
}

void check_network(const json& tl, const hist::Truth& truth) {
    std::vector<Span> epochs, shapes;
    std::vector<std::set<uint32_t>> involved;
    for (const hist::Epoch& e : truth.epochs) {
        if (e.from > truth.end_t) continue;
        add_clipped(epochs, e.from, e.to, truth.end_t, false);
        involved.emplace_back();
        for (uint32_t x = 0; x < truth.n; ++x)
            if (e.involves(x)) involved.back().insert(x);
    }
    for (const hist::ShapeFault& s : truth.shapes)
        add_clipped(shapes, s.from, s.to, truth.end_t, false);
    same_spans("partition epochs", drawn_faults(tl, kind(AT::partition)), epochs);
    same_spans("shapes", drawn_faults(tl, kind(AT::shape)), shapes);
    size_t i = 0;  // epochs do not overlap: drawn in the same order
    for (const auto& f : tl["faults"]) {
        if (f["kind"] != kind(AT::partition)) continue;
        REQUIRE(i < involved.size());
        CHECK(f["nodes"].get<std::set<uint32_t>>() == involved[i++]);
        CHECK(truth.epoch_at(f["t0"].get<double>() + kTol) != nullptr);
    }
}

// The whole timeline of one history against its truth.
void check_timeline(const fs::path& file) {
    INFO(file.string());
    const hist::History h = hist::load_history(file);
    const hist::Truth truth(h);
    std::vector<std::string> notes;
    const json tl = timeline_data(file, notes);  // the report's own path: loads the file again
    CHECK(std::abs(tl["t_end"].get<double>() - truth.end_t) < kTol);
    REQUIRE(tl["nodes"].size() == truth.n);
    for (uint32_t x = 0; x < truth.n; ++x) {
        CHECK(tl["nodes"][x] == h.ids[x]);
        check_lives(tl, truth, x);
        check_pauses(tl, truth, x);
    }
    check_network(tl, truth);
    // Each rumor's "live" is the number of nodes Truth has live at its (first) broadcast.
    std::map<std::string, double> broadcast_t;
    for (const hist::Action& a : h.actions)
        if (a.type == AT::broadcast) broadcast_t.try_emplace(a.body["rumor"], a.t);
    for (const auto& r : tl["rumors"]) {
        auto b = broadcast_t.find(r["rumor"]);
        if (b == broadcast_t.end()) continue;
        CHECK(std::abs(r["t0"].get<double>() - b->second) < kTol);
        CHECK(r["live"] == truth.live_count(b->second));
    }
    std::set<uint32_t> faulted;
    for (uint32_t x = 0; x < truth.n; ++x) {
        if (!truth.pauses[x].empty() || !truth.starves[x].empty()) faulted.insert(x);
        for (const hist::Life& l : truth.lives[x])
            if (l.how == hist::EndHow::killed || l.how == hist::EndHow::restarted ||
                l.leave_t < hist::kForever)
                faulted.insert(x);
    }
    CHECK(tl["subjects"].get<std::set<uint32_t>>() == faulted);
}

// A directory under /tmp, removed however the test case ends.
struct ScratchDir {
    fs::path path = fs::temp_directory_path() / ("gl-timeline-" + std::to_string(getpid()));
    ScratchDir() { fs::create_directories(path); }
    ~ScratchDir() { fs::remove_all(path); }
};

fs::path data_dir() {
    return fs::path(GOSSIPLAB_SOURCE_DIR) / "reports" / "tests" / "data";
}

size_t count_kind(const json& tl, const std::string& kind) {
    return drawn_faults(tl, kind).size();
}

}  // namespace

TEST_CASE("the timeline draws Truth's intervals on recorded runs of the suite") {
    // Each recorded run, with what it must show (so that an empty timeline cannot pass).
    const std::map<std::string, std::map<std::string, size_t>> runs = {
        {"asymmetric-link", {{kind(AT::partition), 1}}},
        {"churn", {{kind(AT::kill), 1}, {kind(AT::restart), 6}, {kind(AT::leave), 1}}},
        {"cpu-starved-member", {{"starve", 1}}},
        {"flapping-link", {{kind(AT::shape), 5}}},
        {"pause-refute", {{kind(AT::pause), 1}}},
    };
    for (const auto& [name, kinds] : runs) {
        const fs::path file = data_dir() / name / "history.jsonl";
        INFO(file.string());
        REQUIRE(fs::exists(file));
        check_timeline(file);
        std::vector<std::string> notes;
        const json tl = timeline_data(file, notes);
        CHECK(notes.empty());
        for (const auto& [kind, count] : kinds) CHECK(count_kind(tl, kind) == count);
    }
}

TEST_CASE("recorded faults are drawn at the times the controller wrote") {
    std::vector<std::string> notes;
    const json part = timeline_data(data_dir() / "asymmetric-link" / "history.jsonl", notes);
    const auto p = drawn_faults(part, kind(AT::partition));  // partition 3.000102, heal 13.000136
    REQUIRE(p.size() == 1);
    CHECK(p[0].from == Approx(3.0001).margin(kTol));
    CHECK(p[0].to == Approx(13.0001).margin(kTol));
    const json churn = timeline_data(data_dir() / "churn" / "history.jsonl", notes);
    const auto k = drawn_faults(churn, kind(AT::kill));  // kill n9 4.00005, back 9.008952
    REQUIRE(k.size() == 1);
    CHECK(k[0].from == Approx(4.0001).margin(kTol));
    CHECK(k[0].to == Approx(9.009).margin(kTol));
    const json paused = timeline_data(data_dir() / "pause-refute" / "history.jsonl", notes);
    const auto z = drawn_faults(paused, kind(AT::pause));  // pause 4.000085, resume 4.307025
    REQUIRE(z.size() == 1);
    CHECK(z[0].from == Approx(4.0001).margin(kTol));
    CHECK(z[0].to == Approx(4.307).margin(kTol));
    CHECK(notes.empty());
}

TEST_CASE("the timeline ends where the run was torn down, not at run_end") {
    // churn: duration 24 s from run_start at t 0, run_end written at 24.05 s after the
    // teardown. Truth's end (and the chart's) is the scheduled end.
    const fs::path file = data_dir() / "churn" / "history.jsonl";
    const hist::History h = hist::load_history(file);
    const hist::Truth truth(h);
    std::vector<std::string> notes;
    const json tl = timeline_data(file, notes);
    CHECK(truth.end_t < h.last_t);
    CHECK(truth.end_t == Approx(24.0).margin(1e-3));  // run_start at 0.00001 s + 24 s
    CHECK(tl["t_end"].get<double>() == Approx(truth.end_t).margin(kTol));
    // Nothing drawn past the end: the teardown's exits are not "not running" stripes.
    for (const auto& d : tl["down"]) CHECK(d[2].get<double>() <= tl["t_end"].get<double>());
    for (const auto& f : tl["faults"]) CHECK(f["t1"].get<double>() <= tl["t_end"].get<double>());
}

TEST_CASE("the timeline composes partitions into Truth's epochs") {
    const ScratchDir dir;
    const fs::path file = dir.path / "history.jsonl";
    {
        hist::Writer w(file);
        w.action(0, AT::run_start, {{"nodes", {"a", "b", "c"}}, {"duration", 10}});
        for (const char* x : {"a", "b", "c"}) w.action(0, AT::node_start, {{"node", x}});
        w.action(1, AT::partition, {{"grudge", {{"a", {"b"}}}}});
        w.action(2, AT::partition, {{"grudge", {{"b", {"c"}}}}});
        w.action(3, AT::heal);
        w.action(4, AT::pause, {{"node", "c"}});
        w.action(4.5, AT::pause, {{"node", "c"}});
        w.action(5, AT::kill, {{"node", "c"}});
        w.action(6, AT::shape, {{"links", "all"}, {"shape", {{"loss", 0.1}}}});
        w.action(7, AT::clear, {{"links", json::array({json::array({"a", "b"})})}});
        w.action(10.5, AT::run_end);
    }
    check_timeline(file);
    std::vector<std::string> notes;
    const json tl = timeline_data(file, notes);
    // Two epochs: [1, 2] with a|b cut, [2, 3] with a|b and b|c cut.
    REQUIRE(count_kind(tl, kind(AT::partition)) == 2);
    const auto parts = drawn_faults(tl, kind(AT::partition));
    CHECK((parts[0].from == 1 && parts[0].to == 2 && parts[1].from == 2 && parts[1].to == 3));
    CHECK(tl["t_end"] == 10);
    // The pause ends with the life (the kill); the second pause was already in effect.
    CHECK(drawn_faults(tl, kind(AT::pause)).size() == 1);
    CHECK(drawn_faults(tl, kind(AT::pause))[0].to == 5);
    // A clear of some links does not end a shape on all of them (Truth's rule).
    REQUIRE(drawn_faults(tl, kind(AT::shape)).size() == 1);
    CHECK(drawn_faults(tl, kind(AT::shape))[0].to == 10);
}

TEST_CASE("the timeline draws Truth's intervals on every run under $GOSSIPLAB_TIMELINE_RUNS",
          "[.][timeline_runs]") {
    const char* root = std::getenv("GOSSIPLAB_TIMELINE_RUNS");
    REQUIRE(root != nullptr);
    size_t checked = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.path().filename() == "history.jsonl") {
            check_timeline(entry.path());
            ++checked;
        }
    CHECK(checked > 0);
}
