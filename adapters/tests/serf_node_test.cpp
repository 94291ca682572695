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
// stops it with SIGTERM after a few seconds, as the controller does at the end of a run.
Run run_adapter(const std::vector<std::string>& commands) {
    fs::path src = GOSSIPLAB_SOURCE_DIR;
    fs::path dir = fs::temp_directory_path() / ("serf-node-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream cmds(dir / "commands");
        for (const auto& c : commands) cmds << c << "\n";
    }
    std::string cmd = "cd " + quote(dir) + " && (sleep 1.5; cat commands; sleep 2) | " +
                      "FAKE_SERF_CALLS=" + quote(dir / "calls") + " timeout -s TERM 3 python3 " +
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
    static const Run r =
        run_adapter({R"({"cmd":"broadcast","rumor":"r1","payload":"hello"})", R"({"cmd":"view"})",
                     "not json", R"({"cmd":"dance"})", R"({"cmd":"broadcast"})"});
    REQUIRE(r.bad_lines.empty());
    REQUIRE(!r.events.empty());

    SECTION("started first, once, on the agent's own join; stopping last, on SIGTERM") {
        CHECK(r.events.front()["type"] == "started");
        CHECK(r.events.front()["id"] == "self");
        CHECK(r.events.front()["contract"] == 1);
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
        REQUIRE(err.size() == 3);
        CHECK(err[0]["message"].get<std::string>().find("not a JSON command") != std::string::npos);
        CHECK(err[1]["message"].get<std::string>().find("unknown command") != std::string::npos);
        CHECK(err[2]["message"].get<std::string>().find("non-empty") != std::string::npos);
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
