// The writer: lines parse back through the loader to the same typed actions and events, the
// envelope wins over fields, times are rounded to the microsecond, and the name tables agree.
#include <unistd.h>

#include <gossiplab/history/history.hpp>
#include <gossiplab/history/writer.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

using namespace gossiplab::history;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path =
        fs::temp_directory_path() / ("gossiplab_history_writer_test_" + std::to_string(::getpid()));
    TempDir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& f) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

}  // namespace

TEST_CASE("every action and event name goes both ways through one table") {
    for (int i = 0; i < int(ActionType::other); ++i) {
        auto a = ActionType(i);
        INFO(i);
        CHECK(std::string(to_string(a)) != "other");
        CHECK(action_type(to_string(a)) == a);
    }
    CHECK(action_type("teleport") == ActionType::other);
    CHECK(action_type("error") == ActionType::error);
    CHECK(action_type("interrupted") == ActionType::interrupted);
    CHECK(std::string(to_string(ActionType::partition)) == "partition");
    for (int i = 0; i < int(EventType::other); ++i) {
        auto e = EventType(i);
        INFO(i);
        CHECK(event_type(to_string(e)) == e);
    }
    CHECK(event_type("gossip") == EventType::other);
    CHECK(std::string(to_string(EventType::member)) == "member");
    for (auto s : {MemberState::alive, MemberState::suspect, MemberState::dead, MemberState::left})
        CHECK(member_state(to_string(s)) == s);
    CHECK(std::string(to_string(MemberState::none)) == "absent");
    CHECK(member_state("zombie") == MemberState::none);
}

TEST_CASE("what the writer writes loads back as the same typed actions and events") {
    TempDir d;
    const fs::path file = d.path / "history.jsonl";
    {
        Writer w(file);
        w.action(0, ActionType::run_start, {{"nodes", {"a", "b"}}, {"seed", 7}});
        w.action(0.1234567, ActionType::node_start, {{"node", "a"}, {"pid", 10}}, 0.1);
        w.event(0.2, "a", {{"type", "started"}, {"ts", 5.0}, {"id", "a"}, {"incarnation", 0}});
        w.event(0.3, "a",
                {{"type", "member"},
                 {"ts", 5.1},
                 {"member", "b"},
                 {"state", "suspect"},
                 {"incarnation", 2}});
        w.malformed(0.4, "a", "garbage", "not JSON");
        w.action(0.5, ActionType::partition, {{"grudge", {{"a", {"b"}}, {"b", {"a"}}}}}, 0.5);
        w.action(0.6, ActionType::error, {{"op", "heal"}, {"message", "boom"}});
        w.action(0.7, ActionType::interrupted, {{"signal", "SIGINT"}});
        w.action(0.8, ActionType::run_end, {{"reason", "duration"}});
        w.flush();
    }
    History h = load_history(file);
    CHECK(h.lines == 9);
    REQUIRE(h.problems.size() == 1);  // the malformed line, and nothing else
    CHECK(h.problems[0].line == 5);
    CHECK(h.problems[0].what == "node printed a malformed line: not JSON");
    REQUIRE(h.malformed.size() == 1);
    CHECK(h.malformed[0].line == 5);
    CHECK(h.ids[h.malformed[0].node] == "a");
    CHECK(h.malformed[0].why == "not JSON");

    REQUIRE(h.actions.size() == 6);
    CHECK(h.actions[0].type == ActionType::run_start);
    CHECK(h.declared.size() == 2);
    const Action& start = h.actions[1];
    CHECK(start.type == ActionType::node_start);
    CHECK(start.t == 0.123457);  // rounded to the microsecond
    CHECK(start.line == 2);
    CHECK(h.ids[start.node] == "a");
    CHECK(start.body["planned"] == 0.1);
    CHECK(start.body["pid"] == 10);
    CHECK(h.actions[2].type == ActionType::partition);
    CHECK(h.actions[3].type == ActionType::error);
    CHECK(h.actions[3].body["message"] == "boom");
    CHECK(h.actions[4].type == ActionType::interrupted);
    CHECK(h.actions[5].type == ActionType::run_end);
    CHECK(h.action_at(6) == &h.actions[2]);
    CHECK(h.action_at(3) == nullptr);  // an event line

    REQUIRE(h.events.size() == 2);
    CHECK(h.events[0].type == EventType::started);
    CHECK(h.ids[h.events[0].subject] == "a");
    const Event& m = h.events[1];
    CHECK(m.type == EventType::member);
    CHECK(m.line == 4);
    CHECK(m.t == 0.3);
    CHECK(m.ts == 5.1);
    CHECK(h.ids[m.subject] == "b");
    CHECK(m.state == MemberState::suspect);
    CHECK(m.incarnation == 2);
}

TEST_CASE("the envelope wins over fields of the same name") {
    TempDir d;
    const fs::path file = d.path / "history.jsonl";
    {
        Writer w(file);
        w.action(1.5, ActionType::kill,
                 {{"t", 99}, {"kind", "event"}, {"action", "heal"}, {"planned", 7}, {"node", "a"}},
                 1.25);
        w.action(2, ActionType::heal, {{"planned", 7}});     // no planned: the field stays
        w.action(3, ActionType::heal, json::array({1, 2}));  // not an object: taken as {}
    }
    const std::string text = read(file);
    CHECK(text ==
          "{\"action\":\"kill\",\"kind\":\"action\",\"node\":\"a\",\"planned\":1.25,\"t\":1.5}\n"
          "{\"action\":\"heal\",\"kind\":\"action\",\"planned\":7,\"t\":2.0}\n"
          "{\"action\":\"heal\",\"kind\":\"action\",\"t\":3.0}\n");
    History h = parse_history(text);
    CHECK(h.problems.empty());
    REQUIRE(h.actions.size() == 3);
    CHECK(h.actions[0].type == ActionType::kill);
    CHECK(h.actions[0].t == 1.5);
}

TEST_CASE("lines are written as the controller has always written them") {
    // Compact, keys sorted, microsecond times, invalid UTF-8 replaced, raw cut at 4096 bytes.
    TempDir d;
    const fs::path file = d.path / "history.jsonl";
    {
        Writer w(file);
        w.event(0.0000004, "n1", {{"type", "view"}, {"bad", std::string("x\xff")}});
        w.malformed(2.0000016, "n1", std::string(5000, 'r'), "line longer than 64 KiB");
    }
    const std::string text = read(file);
    const std::string first = text.substr(0, text.find('\n'));
    CHECK(first ==
          "{\"event\":{\"bad\":\"x\xef\xbf\xbd\",\"type\":\"view\"},\"kind\":\"event\","
          "\"node\":\"n1\",\"t\":0.0}");
    const json second = json::parse(text.substr(text.find('\n') + 1));
    CHECK(second["t"] == 2.000002);
    CHECK(second["kind"] == "malformed");
    CHECK(second["raw"].get<std::string>().size() == Writer::kMaxRaw);
    CHECK(second["why"] == "line longer than 64 KiB");
    CHECK(Writer::round_t(1.0000005) == 1.000001);
    CHECK(Writer::round_t(-0.0000004) == 0.0);
}

TEST_CASE("a writer that cannot open its file names it") {
    try {
        Writer w("/nonexistent/dir/history.jsonl");
        FAIL("no exception");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) ==
              "cannot write /nonexistent/dir/history.jsonl: No such file or directory");
    }
    TempDir d;
    Writer w(d.path / "h.jsonl");
    CHECK_THROWS_AS(w.action(0, ActionType::other), std::invalid_argument);
}

// -- durability: what is in the file while the writer is still running (or after a SIGKILL) --

TEST_CASE("an action line is in the file when action() returns, with every line before it") {
    TempDir d;
    const fs::path file = d.path / "h.jsonl";
    Writer w(file);
    w.event(0.1, "n1", {{"type", "view"}});
    CHECK(read(file).empty());  // an event waits (at most LineFile::kMaxAge)
    w.action(0.2, ActionType::kill, {{"node", "n1"}});
    const std::string text = read(file);
    REQUIRE(std::count(text.begin(), text.end(), '\n') == 2);
    CHECK(text.back() == '\n');
    CHECK(json::parse(text.substr(0, text.find('\n')))["kind"] == "event");
}

TEST_CASE("a buffered line reaches the file once it is kMaxAge old, at the next append") {
    TempDir d;
    const fs::path file = d.path / "h.jsonl";
    LineFile::Clock::time_point now{};
    Writer w(file, [&] { return now; });
    w.event(0.0, "n1", {{"type", "view"}});
    now += LineFile::kMaxAge / 2;
    w.event(0.025, "n1", {{"type", "view"}});
    CHECK(read(file).empty());
    now += LineFile::kMaxAge / 2;  // the first line is now kMaxAge old
    w.event(0.05, "n1", {{"type", "view"}});
    const std::string text = read(file);
    CHECK(std::count(text.begin(), text.end(), '\n') == 3);
    CHECK(text.back() == '\n');
}

TEST_CASE("a line file holds whole lines only, even past its buffer size") {
    TempDir d;
    const fs::path file = d.path / "raw.out";
    LineFile::Clock::time_point now{};
    LineFile f(file, false, [&] { return now; });
    const std::string line(1000, 'x');
    size_t appended = 0;
    while (f.pending() + line.size() + 1 < LineFile::kMaxBuffer) {
        f.append(line);
        ++appended;
    }
    CHECK(read(file).empty());
    f.append(line);  // crosses kMaxBuffer: written whole
    ++appended;
    std::string text = read(file);
    CHECK(text.size() == appended * (line.size() + 1));
    CHECK(f.pending() == 0);
    f.append("tail");
    CHECK(read(file).size() == text.size());
    CHECK(f.flush());
    CHECK(read(file).size() == text.size() + 5);
    // Appending to an existing file keeps what is there.
    LineFile again(file, true);
    again.append("more");
    again.flush();
    CHECK(read(file).size() == text.size() + 10);
}

TEST_CASE("a line file that cannot be written says so and goes on") {
    if (!fs::exists("/dev/full")) return;
    LineFile f("/dev/full", true);
    f.append("x");
    CHECK_FALSE(f.flush());
    CHECK(f.error().find("cannot write /dev/full") == 0);
    CHECK(f.pending() == 0);
}
