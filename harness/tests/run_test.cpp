// End-to-end runs of the `gossiplab` command: misbehaving fake implementations
// on loopback, and the reference node in the lab under partitions, kills,
// pauses and restarts. Asserts on history.jsonl, the run's only output that
// every other part depends on.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string env(const char* k) {
    const char* v = std::getenv(k);
    return v ? v : "";
}

// A private project home: the real reference manifest plus fakes.
struct Home {
    fs::path dir;
    Home() {
        dir = fs::temp_directory_path() / ("gossiplab-run-test-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir / "adapters" / "reference");
        fs::create_directories(dir / "scenarios");
        fs::copy_file(fs::path(GOSSIPLAB_SOURCE_DIR) / "adapters/reference/impl.json",
                      dir / "adapters/reference/impl.json");
    }
    ~Home() { fs::remove_all(dir); }
    void fake(const std::string& name, const std::string& script) {
        fs::create_directories(dir / "adapters" / name);
        json m = {{"name", name},
                  {"contract", 1},
                  {"command", {"/bin/sh", "-c", script, "fake", "{id}"}},
                  {"profiles", {{"fast", json::parse(R"({"probe_interval":0.1,"probe_timeout":0.05,
                     "gossip_interval":0.02,"fanout":3,"indirect_checks":3,"suspicion_mult":4,
                     "suspicion_max_timeout_mult":6,"retransmit_mult":4,"push_pull_interval":3,
                     "dead_retention":3,"reconnect_interval":0.2})")}}},
                  {"features", json::array()}};
        std::ofstream(dir / "adapters" / name / "impl.json") << m.dump(2);
    }
    fs::path scenario(const std::string& name, const json& doc) {
        fs::path p = dir / "scenarios" / (name + ".json");
        std::ofstream(p) << doc.dump(2);
        return p;
    }
};

// Runs gossiplab with GOSSIPLAB_HOME pointing at the test home; returns the exit code.
int gossiplab(const Home& h, const std::string& args, std::string* output = nullptr) {
    fs::path log = h.dir / "cli.log";
    std::string cmd = "GOSSIPLAB_HOME='" + h.dir.string() + "' '" + env("GOSSIPLAB_BIN") +
                      "/gossiplab' " + args + " >'" + log.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    if (output) *output = ss.str();
    UNSCOPED_INFO("gossiplab " << args << "\n" << ss.str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::vector<json> history(const fs::path& run) {
    std::vector<json> out;
    std::ifstream in(run / "history.jsonl");
    std::string line;
    while (std::getline(in, line)) out.push_back(json::parse(line));
    return out;
}

std::vector<json> actions(const std::vector<json>& h, const std::string& a) {
    std::vector<json> out;
    for (const auto& l : h)
        if (l["kind"] == "action" && l["action"] == a) out.push_back(l);
    return out;
}

// Events of type member printed by any node of `observers` about `subject`, after t0.
std::vector<json> views(const std::vector<json>& h, const std::set<std::string>& observers,
                        const std::string& subject, const std::string& state, double t0 = 0) {
    std::vector<json> out;
    for (const auto& l : h)
        if (l["kind"] == "event" && l["t"].get<double>() >= t0 &&
            observers.count(l["node"].get<std::string>()) && l["event"]["type"] == "member" &&
            l["event"].value("member", "") == subject && l["event"].value("state", "") == state)
            out.push_back(l);
    return out;
}

json small(const std::string& impl, double duration) {
    return {{"name", "fake"},
            {"description", "a fake implementation"},
            {"duration", duration},
            {"cluster", {{"nodes", 2}, {"impl", impl}, {"profile", "fast"}}},
            {"checks", {{"history_wellformed", json::object()}}}};
}

bool lab_available() {
    static int ok = -1;
    if (ok < 0)
        ok = std::system(
                 ("'" + env("GOSSIPLAB_BIN") + "/gossiplab' doctor >/dev/null 2>&1").c_str()) == 0;
    return ok == 1;
}

}  // namespace

TEST_CASE("a node that prints garbage is recorded, and the run fails", "[fakes]") {
    Home h;
    h.fake("garbage", "while :; do echo 'not json {'; printf '[1,2]\\n'; sleep 0.05; done");
    fs::path s = h.scenario("g", small("garbage", 1.5));
    fs::path out = h.dir / "run-garbage";
    int rc =
        gossiplab(h, "run '" + s.string() + "' --impairment none --out '" + out.string() + "'");
    CHECK(rc == 1);
    auto hist = history(out);
    int malformed = 0;
    for (const auto& l : hist) malformed += l["kind"] == "malformed";
    CHECK(malformed >= 4);
    CHECK(actions(hist, "run_end").size() == 1);
}

TEST_CASE("a node that exits at once is recorded, and the run fails", "[fakes]") {
    Home h;
    h.fake("exit-now", "exit 3");
    fs::path out = h.dir / "run-exit";
    int rc = gossiplab(h, "run '" + h.scenario("e", small("exit-now", 1.0)).string() +
                              "' --impairment none --out '" + out.string() + "'");
    CHECK(rc != 0);
    auto hist = history(out);
    auto exits = actions(hist, "node_exit");
    REQUIRE(exits.size() == 2);
    CHECK(exits[0]["status"] == 3);
    CHECK(exits[0]["expected"] == false);
    CHECK(actions(hist, "node_error").size() >= 2);
}

TEST_CASE("a node that ignores SIGTERM is killed after the grace period", "[fakes]") {
    Home h;
    h.fake("stubborn",
           "trap '' TERM; echo '{\"ts\":0,\"type\":\"started\",\"id\":\"'$1'\"}'; "
           "while :; do sleep 0.1; done");
    fs::path out = h.dir / "run-stubborn";
    int rc = gossiplab(h, "run '" + h.scenario("s", small("stubborn", 1.0)).string() +
                              "' --impairment none --out '" + out.string() + "'");
    CHECK(rc != 0);
    auto hist = history(out);
    bool ignored = false;
    for (const auto& e : actions(hist, "node_error"))
        ignored |= e["message"].get<std::string>().find("ignored SIGTERM") != std::string::npos;
    CHECK(ignored);
    for (const auto& e : actions(hist, "node_exit")) CHECK(e["signal"] == "SIGKILL");
}

TEST_CASE("a node that floods stdout is capped, and the run still ends", "[fakes]") {
    Home h;
    h.fake("flood", "yes '{\"ts\":0,\"type\":\"counters\"}'");
    fs::path out = h.dir / "run-flood";
    gossiplab(h, "run '" + h.scenario("f", small("flood", 2.0)).string() +
                     "' --impairment none --out '" + out.string() + "'");
    auto hist = history(out);
    bool flood = false;
    for (const auto& e : actions(hist, "node_error")) flood |= e["message"] == "flooding stdout";
    CHECK(flood);
    CHECK(hist.size() < 200000);  // 2 nodes x 2 s x 20000 lines/s at most, plus actions
    CHECK(actions(hist, "run_end").size() == 1);
}

TEST_CASE("bad scenarios exit 2 with the path of the mistake", "[fakes]") {
    Home h;
    json doc = small("reference", 2);
    doc["cluster"]["nodez"] = 1;
    std::string out;
    CHECK(gossiplab(h, "run '" + h.scenario("bad", doc).string() + "' --impairment none", &out) ==
          2);
    CHECK_THAT(out, Catch::Contains("at /cluster/nodez: unknown key"));
    CHECK(gossiplab(h, "run nosuch-scenario", &out) == 2);
    CHECK(gossiplab(h, "run x --seed minus-one", &out) == 2);
    CHECK_THAT(out, Catch::Contains("--seed expects a non-negative integer"));
}

TEST_CASE("reference node in the lab: partition halves, then heal", "[lab]") {
    if (!lab_available()) {
        WARN("SKIP: gossiplab doctor says no lab can be built here");
        return;
    }
    Home h;
    json doc = {{"name", "halves"},
                {"description", "partition and heal"},
                {"duration", 20},
                {"cluster", {{"nodes", 5}, {"seeds", {"n1"}}}},
                {"schedule", json::parse(R"([{"at": 5, "do": "partition", "kind": "halves"},
                                             {"at": 12, "do": "heal"}])")},
                {"checks", {{"partition_healing", json::object()}}}};
    fs::path out = h.dir / "run-halves";
    gossiplab(h, "run '" + h.scenario("halves", doc).string() + "' --out '" + out.string() + "'");
    auto hist = history(out);
    REQUIRE(actions(hist, "partition").size() == 1);
    REQUIRE(actions(hist, "heal").size() == 1);
    // halves: n1..n3 | n4, n5
    std::set<std::string> a = {"n1", "n2", "n3"}, b = {"n4", "n5"};
    CHECK(!views(hist, a, "n4", "suspect", 5).empty());
    CHECK(!views(hist, a, "n5", "dead", 5).empty());
    CHECK(!views(hist, b, "n1", "dead", 5).empty());
    // after the heal every side sees the other alive again
    CHECK(!views(hist, a, "n4", "alive", 12).empty());
    CHECK(!views(hist, b, "n2", "alive", 12).empty());

    // `gossiplab check` on the recorded run reproduces the run's verdicts, with no lab.
    std::ifstream rep(out / "report.json");
    json report = json::parse(rep);
    std::string text;
    int rc = gossiplab(h, "check '" + out.string() + "'", &text);
    CHECK(rc == (report["verdict"] == "fail" ? 1 : 0));
    for (const auto& c : report["checks"]) {
        std::string line = c["check"].get<std::string>();
        line.resize(24, ' ');
        CHECK_THAT(text, Catch::Contains("  " + line + " " + c["verdict"].get<std::string>()));
    }
}

TEST_CASE("reference node in the lab: kill, pause/resume, restart", "[lab]") {
    if (!lab_available()) {
        WARN("SKIP: gossiplab doctor says no lab can be built here");
        return;
    }
    Home h;
    json doc = {{"name", "node-faults"},
                {"description", "kill, pause, restart"},
                {"duration", 14},
                {"cluster", {{"nodes", 5}, {"seeds", {"n1"}}}},
                {"schedule", json::parse(R"([{"at": 3, "do": "kill", "node": "n5"},
                                             {"at": 4, "do": "pause", "node": "n4", "for": 0.3},
                                             {"at": 7, "do": "restart", "node": "n3"}])")},
                {"checks", {{"failure_detection", json::object()}}}};
    fs::path out = h.dir / "run-node-faults";
    gossiplab(h, "run '" + h.scenario("nf", doc).string() + "' --out '" + out.string() + "'");
    auto hist = history(out);
    std::set<std::string> others = {"n1", "n2", "n3", "n4"};
    CHECK(actions(hist, "kill").size() == 1);
    CHECK(views(hist, others, "n5", "dead", 3).size() >= 3);
    CHECK(actions(hist, "pause").size() == 1);
    CHECK(actions(hist, "resume").size() == 1);
    CHECK(views(hist, {"n1", "n2", "n3", "n5"}, "n4", "dead", 4).empty());
    auto starts = actions(hist, "node_start");
    int restarts = 0;
    for (const auto& s : starts) restarts += s["restart"] == true;
    CHECK(restarts == 1);
    // the restarted n3 is seen alive again after 7 s with a higher incarnation
    auto before = views(hist, {"n1"}, "n3", "alive", 0);
    auto after = views(hist, {"n1"}, "n3", "alive", 7);
    REQUIRE(!before.empty());
    REQUIRE(!after.empty());
    CHECK(after.back()["event"]["incarnation"].get<double>() >
          before.front()["event"]["incarnation"].get<double>());
}

TEST_CASE("the same seed picks the same random partition", "[lab]") {
    if (!lab_available()) {
        WARN("SKIP: gossiplab doctor says no lab can be built here");
        return;
    }
    Home h;
    json doc = {{"name", "random"},
                {"description", "random partition"},
                {"duration", 2},
                {"cluster", {{"nodes", 6}}},
                {"schedule", json::parse(R"([{"at": 1, "do": "partition", "kind": "random"}])")},
                {"checks", json::object()}};
    fs::path s = h.scenario("rnd", doc);
    gossiplab(h, "run '" + s.string() + "' --seed 9 --out '" + (h.dir / "r1").string() + "'");
    gossiplab(h, "run '" + s.string() + "' --seed 9 --out '" + (h.dir / "r2").string() + "'");
    auto p1 = actions(history(h.dir / "r1"), "partition");
    auto p2 = actions(history(h.dir / "r2"), "partition");
    REQUIRE(p1.size() == 1);
    REQUIRE(p2.size() == 1);
    CHECK(p1[0]["groups"] == p2[0]["groups"]);
    CHECK(p1[0]["grudge"] == p2[0]["grudge"]);
}
