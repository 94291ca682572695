// The simulation backend through the real command line (`gossiplab run --impairment sim`): the
// same seed gives a byte-identical history, another seed another one; report.json carries the
// history's digest; faults land in the simulated network; other implementations are refused.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Dir {
    fs::path path;
    Dir() {
        path = fs::temp_directory_path() / ("gossiplab-sim-test-" + std::to_string(::getpid()));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~Dir() { fs::remove_all(path); }
};

std::string bin() {
    const char* b = std::getenv("GOSSIPLAB_BIN");
    return b ? b : "build/bin";
}

// Runs gossiplab with ARGS; returns its exit code, its output in *out.
int gossiplab(const Dir& d, const std::string& args, std::string* out = nullptr) {
    const fs::path log = d.path / "cli.log";
    const std::string cmd = "GOSSIPLAB_HOME='" GOSSIPLAB_SOURCE_DIR "' '" + bin() + "/gossiplab' " +
                            args + " >'" + log.string() + "' 2>&1";
    const int rc = std::system(cmd.c_str());
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    if (out) *out = ss.str();
    UNSCOPED_INFO("gossiplab " << args << "\n" << ss.str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string fnv1a64(const std::string& s) {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

std::vector<json> lines(const std::string& text) {
    std::vector<json> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) out.push_back(json::parse(l));
    return out;
}

json report(const fs::path& run) {
    return json::parse(slurp(run / "report.json"));
}

}  // namespace

TEST_CASE("sim: one seed gives one history byte for byte and another seed another") {
    Dir d;
    const std::string run = "run crash-detect --impairment sim --out ";
    REQUIRE(gossiplab(d, run + (d.path / "a").string() + " --seed 7") == 0);
    REQUIRE(gossiplab(d, run + (d.path / "b").string() + " --seed 7") == 0);
    REQUIRE(gossiplab(d, run + (d.path / "c").string() + " --seed 8") == 0);
    const std::string a = slurp(d.path / "a/history.jsonl"), b = slurp(d.path / "b/history.jsonl"),
                      c = slurp(d.path / "c/history.jsonl");
    REQUIRE(a.size() > 10000);
    CHECK(a == b);
    CHECK(a != c);

    // report.json names the digest of the very bytes recorded.
    const json ra = report(d.path / "a"), rc = report(d.path / "c");
    CHECK(ra["history"]["fnv1a64"] == fnv1a64(a));
    CHECK(ra["history"]["bytes"] == a.size());
    CHECK(report(d.path / "b")["history"]["fnv1a64"] == ra["history"]["fnv1a64"]);
    CHECK(rc["history"]["fnv1a64"] != ra["history"]["fnv1a64"]);
    CHECK(ra["verdict"] == "pass");

    // The history is the lab's: run_start names the backend, kills are SIGKILLs the nodes
    // never print after, the cores' events are the node's contract lines, in virtual time.
    const auto h = lines(a);
    REQUIRE(h.front()["action"] == "run_start");
    CHECK(h.front()["backend"] == "sim");
    CHECK(h.front()["fates"]["reproducible"] == true);
    int kills = 0, started = 0, exits_killed = 0;
    for (const auto& l : h) {
        if (l["kind"] == "action" && l["action"] == "kill") ++kills;
        if (l["kind"] == "action" && l["action"] == "node_exit" && l["signal"] == "SIGKILL")
            ++exits_killed;
        if (l["kind"] == "event" && l["event"]["type"] == "started") {
            ++started;
            CHECK(l["event"]["impl"] == "gossip-node");
            CHECK(l["event"]["ts"] == l["t"]);
        }
    }
    CHECK(kills == 3);
    CHECK(exits_killed == 3);
    CHECK(started == 8);
    CHECK(h.back()["action"] == "run_end");
    CHECK(h.back()["t"].get<double>() >= 16.0);

    // With the network impaired too: loss drawn from the per-link streams, the read-backs.
    const std::string lossy = "run lossy-network --impairment sim --seed 3 --out ";
    REQUIRE(gossiplab(d, lossy + (d.path / "l1").string()) == 0);
    REQUIRE(gossiplab(d, lossy + (d.path / "l2").string()) == 0);
    const std::string l1 = slurp(d.path / "l1/history.jsonl");
    CHECK(l1.find("\"action\":\"observe\"") != std::string::npos);
    CHECK(l1 == slurp(d.path / "l2/history.jsonl"));
}

TEST_CASE("sim: a partition is cut in the simulated network, and the lab's check says so") {
    Dir d;
    REQUIRE(gossiplab(d, "run partition-halves-heal --impairment sim --out " +
                             (d.path / "p").string()) == 0);
    const json r = report(d.path / "p");
    json faults;
    for (const auto& c : r["checks"])
        if (c["check"] == "faults_landed") faults = c;
    REQUIRE(faults.is_object());
    CHECK(faults["verdict"] == "pass");
    CHECK(faults["metrics"]["intervals_judged"].get<int>() >= 0);
    // Packets were cut while partitioned and none crossed.
    double cut = 0;
    for (const auto& row : faults["metrics"]["table"]) {
        if (row.value("partitioned", false)) {
            cut += row["cut"].get<double>();
            CHECK(row["forwarded"].get<double>() == 0);
        }
    }
    CHECK(cut > 0);
}

TEST_CASE("sim: delay and rate and duplication land on every shaped link") {
    Dir d;
    const json sc = json::parse(R"({
        "name": "sim-shapes",
        "description": "every link delayed, rate-limited and duplicating for a while",
        "duration": 10,
        "cluster": {"nodes": 5, "seeds": ["n1"]},
        "schedule": [
          {"at": 2, "do": "shape", "links": "all",
           "shape": {"delay_ms": 30, "jitter_ms": 5, "duplicate": 0.2, "rate_kbit": 500}},
          {"at": 7, "do": "clear"}],
        "checks": {"history_wellformed": {}, "accuracy": {}}})");
    std::ofstream(d.path / "shapes.json") << sc.dump(2);
    REQUIRE(gossiplab(d, "run " + (d.path / "shapes.json").string() + " --impairment sim --out " +
                             (d.path / "r").string()) == 0);
    const json r = report(d.path / "r");
    json faults;
    for (const auto& c : r["checks"])
        if (c["check"] == "faults_landed") faults = c;
    REQUIRE(faults.is_object());
    CHECK(faults["verdict"] == "pass");
    CHECK(faults["not_applicable"].size() == 2);
    double packets = 0, held = 0;
    for (const auto& row : faults["metrics"]["table"]) {
        if (!row["configured"].is_object()) continue;
        packets += row["packets"].get<double>();
        held += row["held"].get<double>();
    }
    CHECK(packets > 100);
    CHECK(held == packets);  // no loss configured: every packet waited for its delay
}

// The whole suite, not only --quick: starvation, restarts, one-way partitions, bursty loss,
// slow links and the scale sweep each exercise a part of the simulator.
TEST_CASE("sim: every scenario of the suite passes under the simulation") {
    Dir d;
    std::string out;
    CHECK(gossiplab(d, "suite --impairment sim --out " + (d.path / "q").string(), &out) == 0);
    int runs = 0;
    for (const auto& e : fs::directory_iterator(d.path / "q")) {
        if (!fs::exists(e.path() / "report.json")) continue;
        ++runs;
        const json r = report(e.path());
        CHECK(r["verdict"] == "pass");
        CHECK(r["environment"]["backend"] == "sim");
    }
    CHECK(runs >= 25);
}

TEST_CASE("sim: another implementation is refused as bad input") {
    Dir d;
    std::string out;
    CHECK(gossiplab(
              d, "run crash-detect --impairment sim --impl serf --out " + (d.path / "s").string(),
              &out) == 2);
    CHECK(out.find("--impairment sim") != std::string::npos);
    CHECK(!fs::exists(d.path / "s" / "history.jsonl"));
    // Past the lab's size only the simulator goes.
    CHECK(gossiplab(
              d,
              "run crash-detect --nodes 1500 --impairment none --out " + (d.path / "big").string(),
              &out) == 2);
    CHECK(out.find("--impairment sim") != std::string::npos);
}
