// The ground truth: lives and how they ended, pauses and starvation, partition epochs, shape
// faults and the observed end, from histories written with the Writer.
#include <unistd.h>

#include <gossiplab/history/truth.hpp>
#include <gossiplab/history/writer.hpp>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace gossiplab::history;
namespace fs = std::filesystem;

namespace {

// Writes lines with `write(w)` and loads them back.
template <class F>
History recorded(F write) {
    const fs::path dir =
        fs::temp_directory_path() / ("gossiplab_history_truth_test_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        Writer w(dir / "history.jsonl");
        write(w);
    }
    History h = load_history(dir / "history.jsonl");
    fs::remove_all(dir);
    return h;
}

void start(Writer& w, double t, const std::vector<std::string>& ids) {
    for (const auto& id : ids) w.action(t, ActionType::node_start, {{"node", id}});
}

void exit_(Writer& w, double t, const std::string& node, bool expected) {
    w.action(t, ActionType::node_exit, {{"node", node}, {"expected", expected}});
}

}  // namespace

TEST_CASE("lives end as the scenario or the teardown ended them") {
    History h = recorded([](Writer& w) {
        w.action(0, ActionType::run_start,
                 {{"nodes", {"a", "b", "c", "d", "e"}}, {"duration", 20}});
        start(w, 0.1, {"a", "b", "c", "d", "e"});
        w.action(2, ActionType::kill, {{"node", "a"}});
        exit_(w, 2.01, "a", true);
        exit_(w, 3, "b", false);  // nobody asked: a crash
        w.action(4, ActionType::leave, {{"node", "c"}});
        exit_(w, 4.5, "c", true);
        w.action(5, ActionType::restart, {{"node", "d"}});
        exit_(w, 5.01, "d", true);
        w.action(5.1, ActionType::node_start, {{"node", "d"}, {"restart", true}});
        exit_(w, 21, "e", true);  // the teardown
        exit_(w, 21.1, "d", true);
        w.action(22, ActionType::run_end, {{"reason", "duration"}});
    });
    Truth t(h);
    CHECK(t.problems.empty());
    auto life = [&](const char* id, size_t i) { return t.lives[h.find(id)].at(i); };
    CHECK(life("a", 0).how == EndHow::killed);
    CHECK(life("a", 0).end == 2);
    CHECK(life("b", 0).how == EndHow::crashed);
    CHECK(life("c", 0).how == EndHow::left);
    CHECK(life("c", 0).leave_t == 4);
    CHECK(life("d", 0).how == EndHow::restarted);
    CHECK(life("d", 1).restart);
    CHECK(life("d", 1).how == EndHow::stopped);
    CHECK(life("e", 0).how == EndHow::stopped);
    CHECK(t.live(h.find("e"), 10));
    CHECK_FALSE(t.live(h.find("a"), 10));
    // The observed end: run_end (22), start + duration (20), the first teardown exit (21).
    CHECK(t.end_t == 20);
    std::vector<ChangeKind> kinds;
    for (const Change& c : t.changes) kinds.push_back(c.kind);
    CHECK(kinds == std::vector<ChangeKind>{ChangeKind::start, ChangeKind::start, ChangeKind::start,
                                           ChangeKind::start, ChangeKind::start, ChangeKind::crash,
                                           ChangeKind::crash, ChangeKind::leave,
                                           ChangeKind::restart});
}

TEST_CASE("the observed end is the first teardown exit, else run_end, else the last t") {
    History teardown = recorded([](Writer& w) {
        w.action(0, ActionType::run_start, {{"nodes", {"a"}}});  // no duration
        start(w, 0, {"a"});
        exit_(w, 7, "a", true);
        w.action(8, ActionType::run_end, {{"reason", "duration"}});
    });
    CHECK(Truth(teardown).end_t == 7);
    History ended = recorded([](Writer& w) {
        w.action(0, ActionType::run_start, {{"nodes", {"a"}}});
        start(w, 0, {"a"});
        w.action(8, ActionType::run_end, {{"reason", "interrupted"}});
        w.action(9, ActionType::kill, {{"node", "a"}});  // after run_end: a stop
    });
    Truth e(ended);
    CHECK(e.end_t == 8);
    CHECK(e.lives[0][0].how == EndHow::stopped);
    History cut_short = recorded([](Writer& w) {
        w.action(0, ActionType::run_start, {{"nodes", {"a"}}});
        start(w, 0, {"a"});
        w.event(6.5, "a", {{"type", "started"}, {"ts", 1}});
    });
    Truth c(cut_short);
    CHECK(c.end_t == 6.5);
    CHECK(c.lives[0][0].how == EndHow::running);
    CHECK(c.lives[0][0].end == kForever);
}

TEST_CASE("pauses and starvation end with a resume or with the life") {
    History h = recorded([](Writer& w) {
        w.action(0, ActionType::run_start, {{"nodes", {"a", "b"}}});
        start(w, 0, {"a", "b"});
        w.action(1, ActionType::pause, {{"node", "a"}});
        w.action(1.5, ActionType::pause, {{"node", "a"}});  // already paused: ignored
        w.action(2, ActionType::resume, {{"node", "a"}});
        w.action(3, ActionType::starve_start, {{"node", "b"}, {"share", 0.05}});
        w.action(4, ActionType::pause, {{"node", "b"}});
        w.action(5, ActionType::kill, {{"node", "b"}});   // ends the starvation and the pause
        w.action(6, ActionType::pause, {{"node", "b"}});  // not live: a problem
    });
    Truth t(h);
    const uint32_t a = h.find("a"), b = h.find("b");
    REQUIRE(t.pauses[a].size() == 1);
    CHECK(t.pauses[a][0].from == 1);
    CHECK(t.pauses[a][0].to == 2);
    CHECK(t.paused_at(a, 1.9));
    CHECK_FALSE(t.paused_at(a, 2));
    REQUIRE(t.starves[b].size() == 1);
    CHECK(t.starves[b][0].share == 0.05);
    CHECK(t.starves[b][0].to == 5);
    CHECK(t.pauses[b].at(0).to == 5);
    REQUIRE(t.problems.size() == 1);
    CHECK(t.problems[0].what == "pause/starve of a node that is not live");
    CHECK(t.problems[0].line == 10);
    CHECK_FALSE(t.steady(a, 0.5, 1.2));
    CHECK(t.steady(a, 2, 4));
}

TEST_CASE("partitions compose into epochs until a heal; shapes last until a clear") {
    History h = recorded([](Writer& w) {
        w.action(0, ActionType::run_start, {{"nodes", {"a", "b", "c"}}});
        start(w, 0, {"a", "b", "c"});
        w.action(1, ActionType::partition, {{"grudge", {{"a", {"b"}}, {"b", {"a"}}}}});
        w.action(2, ActionType::partition, {{"grudge", {{"c", {"a"}}}}});
        w.action(3, ActionType::heal);
        w.action(4, ActionType::shape, {{"links", "all"}, {"shape", {{"delay_ms", 50}}}});
        w.action(5, ActionType::shape,
                 {{"links", json::array({json::array({"a", "b"})})}, {"shape", {{"loss", 0.1}}}});
        w.action(6, ActionType::clear, {{"links", json::array({json::array({"a", "b"})})}});
    });
    Truth t(h);
    const uint32_t a = h.find("a"), b = h.find("b"), c = h.find("c");
    REQUIRE(t.epochs.size() == 2);
    CHECK(t.epochs[0].from == 1);
    CHECK(t.epochs[0].to == 2);
    CHECK(t.epochs[0].to_line == 6);
    CHECK(t.cut(a, b, 1.5));
    CHECK_FALSE(t.separated(a, b, 1.5));  // c bridges them
    CHECK(t.cut(a, b, 2.5));              // the first grudge still holds
    CHECK(t.separated(a, c, 2.5));
    CHECK(t.epochs[1].involves(c));
    CHECK(t.epoch_at(3) == nullptr);
    CHECK_FALSE(t.cut(a, b, 3.5));
    REQUIRE(t.shapes.size() == 2);
    CHECK(t.shapes[0].to == kForever);
    CHECK(t.shapes[0].links == "all");
    CHECK(t.shapes[1].from == 5);
    CHECK(t.shapes[1].to == 6);
    CHECK(t.shapes[1].to_line == 10);
    CHECK(t.shapes[1].shape == json{{"loss", 0.1}});
    CHECK(t.shapes[1].desc == "shape {\"loss\":0.1} on [[\"a\",\"b\"]]");
    CHECK(t.faults_at(5.5).size() == 2);
}

TEST_CASE("clogs cut one node's links on top of the partitions; the last unclog heals") {
    History h = recorded([](Writer& w) {
        w.action(0, ActionType::run_start, {{"nodes", {"a", "b", "c", "d"}}, {"duration", 20}});
        start(w, 0.1, {"a", "b", "c", "d"});
        w.action(1, ActionType::partition, {{"grudge", {{"a", {"b"}}, {"b", {"a"}}}}});
        w.action(2, ActionType::clog, {{"node", "c"}});
        w.action(3, ActionType::clog, {{"node", "d"}});
        w.action(4, ActionType::unclog, {{"node", "c"}});
        w.action(5, ActionType::heal, json::object());
        w.action(6, ActionType::clog, {{"node", "a"}});
        w.action(7, ActionType::unclog, {{"node", "a"}});
    });
    Truth t(h);
    const uint32_t a = h.find("a"), b = h.find("b"), c = h.find("c"), d = h.find("d");
    REQUIRE(t.epochs.size() == 5);  // partition, +c, +d, -c, then a alone
    CHECK(t.cut(a, b, 1.5));
    CHECK_FALSE(t.cut(c, d, 1.5));
    CHECK(t.cut(c, a, 2.5));
    CHECK(t.cut(c, d, 2.5));
    CHECK(t.cut(d, b, 3.5));
    CHECK_FALSE(t.cut(c, a, 4.5));  // c restored...
    CHECK(t.cut(a, b, 4.5));        // ...the partition stays...
    CHECK(t.cut(d, c, 4.5));        // ...and so does d's clog
    CHECK(t.epochs[3].to == 5);     // the heal lifts everything
    CHECK_FALSE(t.cut(d, c, 5.5));
    CHECK(t.cut(a, d, 6.5));
    CHECK(t.epochs[4].to == 7);
    CHECK_FALSE(t.cut(a, d, 7.5));
    size_t heals = 0;
    for (const auto& ch : t.changes) heals += ch.kind == ChangeKind::heal;
    CHECK(heals == 2);  // the heal at 5 and the unclog at 7 that left nothing cut
    CHECK(t.changes.back().t == 7);
}
