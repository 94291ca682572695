// The loader: typed events, interned ids, indexes, per-line problems, unreadable files.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gossiplab/history/history.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

using namespace gossiplab::history;

namespace {

// Three nodes n1..n3 started at 0, 0.1, 0.2 that all see each other alive at 0.5 (13 lines).
std::string cluster_text(const std::vector<json>& more = {}) {
    const std::vector<std::string> ids{"n1", "n2", "n3"};
    std::vector<json> lines;
    lines.push_back({{"t", 0.0},
                     {"kind", "action"},
                     {"action", "run_start"},
                     {"nodes", ids},
                     {"seed", 1},
                     {"scenario", "test"}});
    auto event = [&](double t, const std::string& node, json ev) {
        ev["ts"] = 1700000000.0 + t;
        lines.push_back({{"t", t}, {"kind", "event"}, {"node", node}, {"event", std::move(ev)}});
    };
    for (size_t i = 0; i < ids.size(); ++i) {
        double t = 0.1 * double(i);
        lines.push_back({{"t", t},
                         {"kind", "action"},
                         {"action", "node_start"},
                         {"node", ids[i]},
                         {"pid", 100},
                         {"restart", false}});
        event(t, ids[i], {{"type", "started"}, {"id", ids[i]}, {"incarnation", 0}});
    }
    for (const auto& o : ids)
        for (const auto& m : ids)
            if (o != m)
                event(0.5, o,
                      {{"type", "member"}, {"member", m}, {"state", "alive"}, {"incarnation", 0}});
    for (const json& j : more) event(j["t"].get<double>(), j["node"], j["event"]);
    std::string out;
    for (const json& j : lines) out += j.dump() + "\n";
    return out;
}

}  // namespace

TEST_CASE("the loader types events and indexes them") {
    History h = parse_history(cluster_text(
        {{{"t", 3},
          {"node", "n2"},
          {"event", {{"type", "rumor"}, {"rumor", "r1"}, {"origin", "n1"}, {"payload", "x"}}}},
         {{"t", 3},
          {"node", "n1"},
          {"event",
           {{"type", "counters"},
            {"pkts_sent", 5},
            {"pkts_recv", 5},
            {"bytes_sent", 50},
            {"bytes_recv", 50}}}}}));
    CHECK(h.lines == 15);
    CHECK(h.problems.empty());
    CHECK(h.declared.size() == 3);
    CHECK(h.ids[h.declared[2]] == "n3");
    CHECK(h.actions.size() == 4);  // run_start + 3 node_start
    uint32_t n1 = h.find("n1"), n2 = h.find("n2");
    CHECK(h.find("zz") == kNone);
    const auto& pair = h.by_pair[h.pair_index(n1, n2)];
    REQUIRE(pair.size() == 1);
    const Event& e = h.events[pair[0]];
    CHECK(e.line == 8);
    CHECK(e.state == MemberState::alive);
    CHECK(e.incarnation == 0);
    CHECK(e.ts == Approx(1700000000.5));
    REQUIRE(h.by_rumor.size() == 1);
    CHECK(h.events[h.by_rumor[0][0]].aux == n1);  // the origin
    CHECK(h.counters.back().bytes_sent == 50);
}

TEST_CASE("bad lines become problems with their line numbers, not exceptions") {
    std::string text =
        "{\"t\":0,\"kind\":\"action\",\"action\":\"run_start\",\"nodes\":[\"a\"]}\n"
        "not json\n"
        "\n"
        "{\"kind\":\"event\"}\n"
        "{\"t\":1,\"kind\":\"weird\"}\n"
        "{\"t\":0.5,\"kind\":\"action\",\"action\":\"kill\"}\n"
        "{\"t\":2,\"kind\":\"event\",\"node\":\"a\",\"event\":{\"ts\":1,\"type\":\"member\","
        "\"member\":\"b\",\"state\":\"zombie\"}}\n"
        "{\"t\":3,\"kind\":\"action\",\"action\":\"teleport\"}\n";
    History h = parse_history(text, "h.jsonl");
    REQUIRE(h.problems.size() == 8);
    CHECK(h.problems[0].line == 2);
    CHECK(h.problems[0].what == "not a JSON object");
    CHECK(h.problems[1].line == 3);
    CHECK(h.problems[2].what == "missing number \"t\"");
    CHECK(h.problems[3].what.find("unknown kind \"weird\"") == 0);
    CHECK(h.problems[4].what.find("went backwards") != std::string::npos);
    CHECK(h.problems[5].what == "action \"kill\" without a string \"node\"");
    CHECK(h.problems[6].what.find("state \"zombie\"") != std::string::npos);
    CHECK(h.problems[7].what == "unknown action \"teleport\"");
}

TEST_CASE("an unreadable history throws HistoryError naming the file") {
    try {
        load_history("/nonexistent/dir/history.jsonl");
        FAIL("no exception");
    } catch (const HistoryError& e) {
        CHECK(std::string(e.what()).find("/nonexistent/dir/history.jsonl:0: cannot open") == 0);
    }
    auto dir = std::filesystem::temp_directory_path() /
               ("gossiplab_history_history_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    { std::ofstream(dir / "history.jsonl") << cluster_text(); }
    History h = load_history(dir / "history.jsonl");
    CHECK(h.file == "history.jsonl");
    CHECK(h.events.size() == 9);
    // A regular file is mapped; an empty one, a directory and a pipe take the other paths.
    { std::ofstream(dir / "empty.jsonl"); }
    CHECK(load_history(dir / "empty.jsonl").lines <= 1);
    try {
        load_history(dir);
        FAIL("no exception");
    } catch (const HistoryError& e) {
        CHECK(std::string(e.what()).find(":0: is a directory") != std::string::npos);
    }
    auto fifo = dir / "fifo.jsonl";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    pid_t child = ::fork();
    if (child == 0) {
        std::ofstream(fifo) << cluster_text();
        ::_exit(0);
    }
    History piped = load_history(fifo);
    ::waitpid(child, nullptr, 0);
    CHECK(piped.events.size() == 9);
    std::filesystem::remove_all(dir);
}

TEST_CASE("the fast scanner and the general JSON path read lines alike") {
    std::string compact =
        R"({"t":1.5,"kind":"event","node":"n1","event":{"ts":7,"type":"member","member":"n2","state":"suspect","incarnation":3,"extra":[1,{"a":null}]}})";
    // Escapes and an exponent send this one through nlohmann::json; spaces stay on the scanner.
    std::string escaped =
        R"({"t":1.5e0,"kind":"event","node":"n\u0031","event":{"ts":7,"type":"member","member":"n2","state":"suspect","incarnation":3}})";
    std::string spaced =
        R"( { "t" : 1.5 , "kind" : "event" , "node" : "n1" , "event" : { "ts" : 7 , "type" : "member" , "member" : "n2" , "state" : "suspect" , "incarnation" : 3 } } )";
    for (const std::string& line : {compact, escaped, spaced}) {
        History h = parse_history(line);
        INFO(line);
        REQUIRE(h.events.size() == 1);
        REQUIRE(h.problems.empty());
        const Event& e = h.events[0];
        CHECK(h.ids[e.node] == "n1");
        CHECK(h.ids[e.subject] == "n2");
        CHECK(e.t == 1.5);
        CHECK(e.ts == 7);
        CHECK(e.state == MemberState::suspect);
        CHECK(e.incarnation == 3);
    }
    // Not JSON, whichever path looks first.
    for (const char* bad : {R"({"t":01,"kind":"event","node":"n1","event":{"type":"x"}})",
                            R"({"t":1,"kind":"event","node":"n1","event":{"type":"x"}} x)",
                            R"({"t":.5,"kind":"event","node":"n1","event":{"type":"x"}})"}) {
        History h = parse_history(bad);
        INFO(bad);
        CHECK(h.events.empty());
        REQUIRE(h.problems.size() == 1);
        CHECK(h.problems[0].what == "not a JSON object");
    }
    // A fractional incarnation is no incarnation on both paths.
    History f = parse_history(
        R"({"t":1,"kind":"event","node":"a","event":{"ts":1,"type":"member","member":"b","state":"alive","incarnation":2.5}})");
    CHECK(f.events.at(0).incarnation == -1);
}

TEST_CASE(
    "parse_history_general, the general path alone, loads recorded runs as the scanner does") {
    for (const char* run : {"churn", "pause-refute", "flapping-link"}) {
        std::ifstream in(std::filesystem::path(GOSSIPLAB_SOURCE_DIR) / "reports/tests/data" / run /
                         "history.jsonl");
        const std::string text((std::istreambuf_iterator<char>(in)), {});
        INFO(run);
        REQUIRE(!text.empty());
        const History a = parse_history(text), b = parse_history_general(text);
        REQUIRE(a.events.size() == b.events.size());
        CHECK(a.events.size() > 100);
        CHECK(a.actions.size() == b.actions.size());
        CHECK(a.problems.size() == b.problems.size());
        CHECK(a.ids == b.ids);
        CHECK(a.last_t == b.last_t);
        for (size_t i = 0; i < a.events.size(); ++i) {
            const Event &x = a.events[i], &y = b.events[i];
            REQUIRE((x.t == y.t && x.node == y.node && x.subject == y.subject && x.type == y.type &&
                     x.state == y.state && x.incarnation == y.incarnation));
        }
    }
}

// Found by bench/fuzz/fuzz_history: the scanner took lines nlohmann::json judges otherwise.
TEST_CASE(
    "the scanner gives up on non-ASCII bytes and repeated keys, as the general path decides") {
    const std::string bad_utf8 =
        "{\"event\":{\"fr\xd7\xd7om\":\"n9\",\"member\":\"n5\",\"state\":\"alive\",\"ts\":1,"
        "\"type\":\"member\"},\"kind\":\"event\",\"node\":\"n2\",\"t\":0.08}";
    const std::string utf8_node =
        "{\"t\":1,\"kind\":\"event\",\"node\":\"n\xc3\xb8\",\"event\":{\"ts\":1,\"type\":"
        "\"started\"}}";
    const std::string two_events =
        R"({"t":1,"kind":"event","node":"a","event":{"type":"member","member":"b","state":"alive","incarnation":3},"event":{"type":"member","member":"c","state":"dead"}})";
    const std::string two_incarnations =
        R"({"t":1,"kind":"event","node":"a","event":{"type":"member","member":"b","state":"alive","incarnation":3,"incarnation":2.5}})";
    const std::string two_ts =
        R"({"t":1,"kind":"event","node":"a","event":{"ts":7,"ts":"late","type":"started"}})";
    for (const std::string& line : {bad_utf8, utf8_node, two_events, two_incarnations, two_ts}) {
        INFO(line);
        const History a = parse_history(line), b = parse_history_general(line);
        REQUIRE(a.events.size() == b.events.size());
        REQUIRE(a.problems.size() == b.problems.size());
        for (size_t i = 0; i < a.problems.size(); ++i)
            CHECK(a.problems[i].what == b.problems[i].what);
        for (size_t i = 0; i < a.events.size(); ++i) {
            CHECK(a.ids[a.events[i].node] == b.ids[b.events[i].node]);
            CHECK(a.events[i].incarnation == b.events[i].incarnation);
            CHECK(std::isnan(a.events[i].ts) == std::isnan(b.events[i].ts));
        }
    }
    CHECK(parse_history(bad_utf8).problems.at(0).what == "not a JSON object");
    CHECK(parse_history(utf8_node).ids.at(0) == "n\xc3\xb8");
    const History two = parse_history(two_events);
    REQUIRE(two.events.size() == 1);
    CHECK(two.ids[two.events[0].subject] == "c");  // the last "event" wins, whole
    CHECK(two.events[0].incarnation == -1);
    CHECK(parse_history(two_incarnations).events.at(0).incarnation == -1);
    CHECK(std::isnan(parse_history(two_ts).events.at(0).ts));
}

TEST_CASE("the scanner's numbers are the doubles strtod gives, bit for bit") {
    // The scanner divides the digits by a power of ten when both are exact doubles (Clinger's
    // fast path) and calls from_chars otherwise: both must give strtod's correctly rounded value.
    std::mt19937_64 rng(7);
    std::vector<std::string> texts = {"0",
                                      "-0",
                                      "0.1",
                                      "0.05",
                                      "1e-7",
                                      "123456789012345678901",
                                      "9007199254740993",
                                      "1.5E3",
                                      "0.30000000000000004",
                                      "-2.5"};
    char buf[64];
    const char* formats[] = {"%.6f", "%.17g", "%.3f", "%.0f", "%.9f", "%.15g"};
    for (int i = 0; i < 3000; ++i) {
        double x = std::ldexp(double(rng() >> 11), -int(rng() % 60)) * (i % 7 == 0 ? -1 : 1);
        std::snprintf(buf, sizeof buf, formats[i % 6], 1.7e9 * (i % 5 == 0) + x);
        texts.emplace_back(buf);
    }
    std::string text;
    for (const auto& n : texts)
        text +=
            R"({"t":1,"kind":"event","node":"n1","event":{"ts":)" + n + R"(,"type":"x"}})" + "\n";
    History h = parse_history(text);
    REQUIRE(h.events.size() == texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
        INFO(texts[i]);
        double want = std::strtod(texts[i].c_str(), nullptr);
        CHECK(std::memcmp(&h.events[i].ts, &want, sizeof want) == 0);
    }
}

TEST_CASE("state events (contract v2) load with their records; bad ones are named problems") {
    auto line = [](int t, const std::string& event) {
        return R"({"t":)" + std::to_string(t) + R"(,"kind":"event","node":"n2","event":{"ts":1,)" +
               event + "}}\n";
    };
    std::string text =
        line(
            1,
            R"("type":"state","owner":"n1","key":"color","version":7,"digest":"ab","deleted":false)") +
        line(
            2,
            R"("type":"state","owner":"n1","key":"color","version":8,"digest":"00","deleted":true,"from":"n3")") +
        line(3, R"("type":"state","key":"color","version":8,"digest":"00")") +
        line(4, R"("type":"state","owner":"n1","key":"k","version":-1,"digest":"00")") +
        line(5, R"("type":"state","owner":"n1","key":"k","version":1.5,"digest":"00")") +
        line(6, R"("type":"state","owner":"n1","key":"k","version":1)") +
        line(7,
             R"("type":"state","owner":"n1","key":"k","version":1,"digest":"00","deleted":"no")") +
        line(
            8,
            R"("type":"state_digest","owners":[{"owner":"n1","entries":1,"hash":"ab"}],"entries":1)") +
        line(9, R"("type":"state_digest","entries":1)") +
        line(
            10,
            R"("type":"counters","pkts_sent":1,"sync_entries_sent":4,"sync_hashes":30,"sync_bytes_sent":900,"detector_pkts_sent":3,"detector_bytes_sent":120,"awareness":1,"awareness_peak":4)") +
        line(11, R"("type":"counters","pkts_sent":2)");
    for (const History& h : {parse_history(text), parse_history_general(text)}) {
        REQUIRE(h.states.size() == 2);
        CHECK(h.ids[h.states[0].owner] == "n1");
        CHECK(h.states[0].key == "color");
        CHECK(h.states[0].version == 7);
        CHECK(h.states[0].digest == "ab");
        CHECK_FALSE(h.states[0].deleted);
        CHECK(h.states[1].deleted);
        CHECK(h.events[0].type == EventType::state);
        CHECK(h.events[0].aux == 0);
        CHECK(h.ids[h.events[0].subject] == "n1");
        REQUIRE(h.problems.size() == 6);
        CHECK(h.problems[0].line == 3);
        CHECK(h.problems[0].what == "state event needs string \"owner\" and \"key\"");
        CHECK(h.problems[1].what == "state event needs an integer \"version\" >= 0");
        CHECK(h.problems[2].what == "state event needs an integer \"version\" >= 0");
        CHECK(h.problems[3].what == "state event needs a string \"digest\" (the value's digest)");
        CHECK(h.problems[4].what == "state event's \"deleted\" must be true or false");
        CHECK(h.problems[5].line == 9);
        CHECK(h.problems[5].what == "state_digest event without an \"owners\" array");
        const Event& bare = h.events.back();  // no awareness: -1, not 0
        REQUIRE(bare.type == EventType::counters);
        CHECK(h.counters[bare.aux].awareness == -1);
        CHECK(h.counters[bare.aux].awareness_peak == -1);
        const Event& c = h.events[h.events.size() - 2];
        REQUIRE(c.type == EventType::counters);
        CHECK(h.counters[c.aux].awareness == 1);
        CHECK(h.counters[c.aux].awareness_peak == 4);
        CHECK(h.counters[c.aux].sync_entries_sent == 4);
        CHECK(h.counters[c.aux].sync_hashes == 30);
        CHECK(h.counters[c.aux].sync_bytes_sent == 900);
        CHECK(h.counters[c.aux].pkts_sent == 1);
        CHECK(h.counters[c.aux].detector_pkts_sent == 3);
        CHECK(h.counters[c.aux].detector_bytes_sent == 120);
        CHECK(h.counters[c.aux].has_detector);
    }
    CHECK(event_type("state") == EventType::state);
    CHECK(event_type("state_digest") == EventType::state_digest);
    CHECK(action_type("set") == ActionType::set);
    CHECK(action_type("delete") == ActionType::del);
    CHECK(std::string(to_string(ActionType::del)) == "delete");
}
