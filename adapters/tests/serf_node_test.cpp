// serf-node.py's translation of agent log lines and commands into contract events, checked
// against a fake serf (adapters/tests/fake-serf), so it runs where serf is not installed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string quote(const fs::path& p) {
    std::string s = "'";
    for (char c : p.string()) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return s + "'";
}

struct Run {
    std::vector<json> events;
    std::vector<std::string> bad_lines;
    std::string calls;    // what the fake recorded of `serf event`
    json scratch_config;  // the agent config serf-node.py wrote into --scratch (null: none)
};

// Feeds COMMANDS (one per line, after the fake agent has replayed its log) to serf-node.py and
// stops it with SIGTERM after a few seconds (2.5 s after the commands: the tag writes each run
// the fake once), as the controller does at the end of a run.
Run run_adapter(const std::vector<std::string>& commands) {
    fs::path src = GOSSIPLAB_SOURCE_DIR;
    fs::path dir = fs::temp_directory_path() / ("serf-node-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream cmds(dir / "commands");
        for (const auto& c : commands) cmds << c << "\n";
    }
    std::string cmd = "cd " + quote(dir) + " && (sleep 2; cat commands; sleep 3) | " +
                      "FAKE_SERF_CALLS=" + quote(dir / "calls") + " timeout -s TERM 4.5 python3 " +
                      quote(src / "adapters/serf/serf-node.py") +
                      " --id self --bind 127.0.0.1 --port 17946 --seeds 127.0.0.2:7946 --scratch " +
                      quote(dir / "scratch") + " --serf " +
                      quote(src / "adapters/tests/fake-serf") + " >out.jsonl 2>err.log";
    int st = std::system(cmd.c_str());
    INFO("the shell pipeline ended with status " << st);
    Run r;
    std::ifstream out(dir / "out.jsonl");
    for (std::string line; std::getline(out, line);) {
        json j = json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            r.bad_lines.push_back(line);
        else
            r.events.push_back(j);
    }
    std::ifstream calls(dir / "calls");
    r.calls.assign(std::istreambuf_iterator<char>(calls), {});
    std::ifstream cfg(dir / "scratch" / "serf.json");
    if (cfg) r.scratch_config = json::parse(cfg, nullptr, false);
    fs::remove_all(dir);
    return r;
}

std::vector<json> of_type(const Run& r, const std::string& type) {
    std::vector<json> out;
    for (const auto& e : r.events)
        if (e.value("type", "") == type) out.push_back(e);
    return out;
}

}  // namespace

TEST_CASE("serf-node turns agent log lines into contract events", "[adapters][serf]") {
    // One run for every section (Catch re-enters the test case once per section).
    static const Run r = run_adapter(
        {R"({"cmd":"broadcast","rumor":"r1","payload":"hello"})", R"({"cmd":"view"})", "not json",
         R"({"cmd":"dance"})", R"({"cmd":"broadcast"})",
         // Application state: serf's tags.
         R"({"cmd":"set","key":"color","value":"blue"})",
         R"({"cmd":"set","key":"a=b","value":"x"})",
         R"({"cmd":"set","key":"big","value":")" + std::string(600, 'x') + R"("})",
         R"({"cmd":"delete","key":"color"})", R"({"cmd":"set","key":"size","value":"9"})",
         R"({"cmd":"digest"})", R"({"cmd":"set","key":"novalue"})"});
    REQUIRE(r.bad_lines.empty());
    REQUIRE(!r.events.empty());

    SECTION("started first, once, on the agent's own join; stopping last, on SIGTERM") {
        CHECK(r.events.front()["type"] == "started");
        CHECK(r.events.front()["id"] == "self");
        CHECK(r.events.front()["contract"] == 2);
        CHECK(of_type(r, "started").size() == 1);
        CHECK(r.events.back()["type"] == "stopping");
        CHECK(r.events.back()["reason"] == "signal");
        CHECK(r.events.back().contains("pkts_sent"));
    }
    SECTION("member transitions in log order; none about itself; suspicions not printed") {
        auto m = of_type(r, "member");
        REQUIRE(m.size() == 3);
        CHECK(m[0]["member"] == "n2");
        CHECK(m[0]["state"] == "alive");
        CHECK(m[1]["state"] == "dead");  // from the middle of memberlist's line
        CHECK(m[2]["state"] == "left");  // "EventMemberLeave (forced)"
        for (const auto& e : m) CHECK(!e.contains("incarnation"));
    }
    SECTION("refutations and delivered user events") {
        auto ref = of_type(r, "refute");
        REQUIRE(ref.size() == 1);
        CHECK(ref[0]["from"] == "n3");
        auto rum = of_type(r, "rumor");
        REQUIRE(rum.size() == 2);
        CHECK(rum[0]["rumor"] == "r7");
        CHECK(rum[0]["origin"] == "n3");
        CHECK(rum[1]["rumor"] == "r1");
        CHECK(rum[1]["origin"] == "self");
        CHECK(rum[1]["payload"] == "hello");
    }
    SECTION("broadcast becomes an uncoalesced serf event named origin/rumor") {
        CHECK(r.calls.find("event -rpc-addr 127.0.0.1:17947 -coalesce=false self/r1 hello") !=
              std::string::npos);
    }
    SECTION("view maps serf's statuses and leaves itself out") {
        auto v = of_type(r, "view");
        REQUIRE(v.size() == 1);
        auto members = v[0]["members"];
        REQUIRE(members.size() == 2);
        CHECK(members[0]["id"] == "n2");
        CHECK(members[0]["state"] == "dead");
        CHECK(members[1]["state"] == "alive");  // leaving
    }
    SECTION("bad commands are answered with errors, not a crash") {
        auto err = of_type(r, "error");
        REQUIRE(err.size() == 6);
        CHECK(err[0]["message"].get<std::string>().find("not a JSON command") != std::string::npos);
        CHECK(err[1]["message"].get<std::string>().find("unknown command") != std::string::npos);
        CHECK(err[2]["message"].get<std::string>().find("non-empty") != std::string::npos);
    }
    SECTION("another member's tags: each changed key once, a key gone once as deleted") {
        std::vector<json> st;
        for (const auto& e : of_type(r, "state"))
            if (e["owner"] == "n2") st.push_back(e);
        // The fake holds n2 at {k1: v1}, then {k1: v1b, k2: v2}, then {k2: v2}.
        REQUIRE(st.size() == 4);
        CHECK(st[0]["key"] == "k1");
        CHECK(st[1]["key"] == "k1");
        CHECK(st[1]["digest"] != st[0]["digest"]);
        CHECK(st[2]["key"] == "k2");
        CHECK(st[3]["key"] == "k1");
        CHECK(st[3]["deleted"] == true);
        for (size_t i = 0; i < st.size(); ++i) {
            CHECK(st[i]["version"] == 0);  // serf exposes no version: no state_versions
            CHECK(st[i]["digest"].get<std::string>().size() == 16);
            CHECK(st[i]["deleted"] == (i == 3));
        }
    }
    SECTION("own writes: serf tags -set/-delete, printed in order once serf took them") {
        CHECK(r.calls.find("tags -rpc-addr 127.0.0.1:17947 -set color=blue\n") !=
              std::string::npos);
        CHECK(r.calls.find("tags -rpc-addr 127.0.0.1:17947 -delete color\n") != std::string::npos);
        CHECK(r.calls.find("-set a=b") == std::string::npos);  // refused before serf
        std::vector<json> own;
        for (const auto& e : of_type(r, "state"))
            if (e["owner"] == "self") own.push_back(e);
        REQUIRE(own.size() == 3);  // color, color deleted, size: not the refused big
        CHECK(own[0]["key"] == "color");
        CHECK(own[0]["deleted"] == false);
        CHECK(own[1]["key"] == "color");
        CHECK(own[1]["deleted"] == true);
        CHECK(own[2]["key"] == "size");
        CHECK(own[0]["digest"] != own[2]["digest"]);
    }
    SECTION("writes serf cannot take are refused clearly") {
        std::string all;
        for (const auto& e : of_type(r, "error")) all += e["message"].get<std::string>() + "\n";
        CHECK_THAT(all, Catch::Contains("set a=b: serf's tags -set KEY=VALUE cannot carry a key "
                                        "with '='"));
        CHECK_THAT(all, Catch::Contains("set big: serf tags: Error setting tags: Encoded length of "
                                        "tags exceeds limit of 512 bytes"));
        CHECK_THAT(all, Catch::Contains("set needs a non-empty string \"key\" and a string "
                                        "\"value\""));
    }
    SECTION("digest answers from the agent's member list, after the writes before it") {
        auto d = of_type(r, "state_digest");
        REQUIRE(d.size() == 1);
        CHECK(d[0]["entries"] == 2);
        REQUIRE(d[0]["owners"].size() == 2);
        CHECK(d[0]["owners"][0]["owner"] == "n2");  // {k2: v2}
        CHECK(d[0]["owners"][0]["entries"] == 1);
        CHECK(d[0]["owners"][1]["owner"] == "self");  // {size: 9}: color was deleted before
        CHECK(d[0]["owners"][1]["entries"] == 1);
        CHECK(d[0]["owners"][0]["hash"] != d[0]["owners"][1]["hash"]);
    }
    SECTION("the agent's files go to --scratch, which the caller owns: left for it to remove") {
        REQUIRE(r.scratch_config.is_object());
        CHECK(r.scratch_config["node_name"] == "self");
        CHECK(r.scratch_config["bind"] == "127.0.0.1:17946");
    }
    SECTION("the node's clock never goes back") {
        double last = 0;
        for (const auto& e : r.events) {
            REQUIRE(e.contains("ts"));
            CHECK(e["ts"].get<double>() >= last);
            last = e["ts"].get<double>();
        }
    }
}
