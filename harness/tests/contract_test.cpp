// `gossiplab contract` through the real CLI: the three implementations of adapters/ are
// exercised elsewhere (adapters/tests); here the reference node passes, and a wrapper around
// it (fixtures/contract_break.py) that breaks one requirement at a time gets that
// requirement's failure with the offending line. `gossiplab init`'s files pass as written.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct TempDir {
    fs::path dir;
    explicit TempDir(const std::string& tag)
        : dir(fs::temp_directory_path() /
              ("gossiplab-contract-" + tag + "-" + std::to_string(::getpid()))) {
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~TempDir() { fs::remove_all(dir); }
};

int gossiplab(const fs::path& dir, const std::string& args, std::string* out) {
    fs::path log = dir / "cli.log";
    std::string cmd = "cd '" + dir.string() + "' && '" + std::getenv("GOSSIPLAB_BIN") +
                      std::string("/gossiplab' ") + args + " >'" + log.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
    UNSCOPED_INFO("gossiplab " << args << "\n" << *out);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A manifest in DIR running the reference node through contract_break.py MODE.
fs::path breaking_manifest(const fs::path& dir, const std::string& mode,
                           const std::vector<std::string>& drop_features = {}) {
    std::ifstream in(fs::path(GOSSIPLAB_SOURCE_DIR) / "adapters/reference/impl.json");
    json m = json::parse(in);
    m["name"] = "break-" + mode;
    json cmd = {"/usr/bin/env", "python3",
                std::string(GOSSIPLAB_SOURCE_DIR) + "/harness/tests/fixtures/contract_break.py",
                mode};
    for (const auto& a : m["command"]) cmd.push_back(a);  // {bin}/gossip-node and its flags
    m["command"] = cmd;
    json features = json::array();
    for (const auto& f : m["features"])
        if (std::find(drop_features.begin(), drop_features.end(), f) == drop_features.end())
            features.push_back(f);
    m["features"] = features;
    fs::path file = dir / (mode + ".json");
    std::ofstream(file) << m.dump(2);
    return file;
}

// The checklist line of requirement ID ("  FAIL  started  ...") and the lines under it.
std::string item(const std::string& out, const std::string& id) {
    std::smatch m;
    std::regex re("\n  (ok  |FAIL|skip)  " + id + " +[^\n]*(\n {27}[^\n]*)*");
    return std::regex_search(out, m, re) ? m.str().substr(1) : "(no item " + id + ")";
}

}  // namespace

TEST_CASE("contract: the reference node meets every requirement") {
    TempDir t("ref");
    std::string out;
    CHECK(gossiplab(t.dir, "contract --impl reference --out run", &out) == 0);
    for (const char* id : {"launch", "stdout_json", "started", "contract_version", "members",
                           "stays_up", "incarnations", "counters", "view", "rumors", "state",
                           "bad_command", "suspicion_events", "refute_events", "leave", "sigterm"})
        CHECK_THAT(item(out, id), Catch::StartsWith("  ok  "));
    CHECK_THAT(out, Catch::Contains("contract: PASS for reference (16 passed, 0 failed"));
    CHECK(fs::file_size(t.dir / "run/nodes/n1.out") > 0);
}

TEST_CASE("contract: a faithful wrapper passes and each broken requirement fails with its line") {
    TempDir t("break");
    std::string out;
    int runs = 0;
    auto run = [&](const std::string& mode, std::vector<std::string> drop = {}) {
        fs::path m = breaking_manifest(t.dir, mode, drop);
        return gossiplab(t.dir,
                         "contract --impl '" + m.string() + "' --timeout 2 --grace 1 --out run-" +
                             mode + "-" + std::to_string(++runs),
                         &out);
    };
    SECTION("ok") {
        CHECK(run("ok") == 0);
        CHECK_THAT(out, Catch::Contains("contract: PASS for break-ok"));
    }
    SECTION("no started") {
        CHECK(run("no-started") == 1);
        CHECK_THAT(item(out, "started"), Catch::StartsWith("  FAIL  started") &&
                                             Catch::Contains("printed no `started` event in 2 s") &&
                                             Catch::Contains("stdout line 1: {"));
        CHECK_THAT(item(out, "members"), Catch::Contains("not reached"));
    }
    SECTION("wrong contract version") {
        CHECK(run("contract-3") == 1);
        CHECK_THAT(item(out, "contract_version"), Catch::StartsWith("  FAIL  contract_version") &&
                                                      Catch::Contains("carries contract 3") &&
                                                      Catch::Contains("stdout line 1: {") &&
                                                      Catch::Contains("\"contract\":3"));
        CHECK_THAT(item(out, "started"), Catch::StartsWith("  ok  "));
    }
    SECTION("a declared feature that does not answer, an undeclared one is skipped") {
        CHECK(run("no-view") == 1);
        CHECK_THAT(item(out, "view"), Catch::StartsWith("  FAIL  view") &&
                                          Catch::Contains("no `view` event from n1 in 2 s") &&
                                          Catch::Contains("stdout line"));
        CHECK(run("no-view", {"view", "rumors"}) == 0);
        CHECK_THAT(item(out, "view"),
                   Catch::Contains("skip  view") && Catch::Contains("not declared in features"));
        CHECK_THAT(out, Catch::Contains("2 skipped: view, rumors"));
    }
    SECTION("non-JSON on stdout") {
        CHECK(run("non-json") == 1);
        CHECK_THAT(item(out, "stdout_json"), Catch::StartsWith("  FAIL  stdout_json") &&
                                                 Catch::Contains("not a JSON object") &&
                                                 Catch::Contains("stdout line 2: listening on "));
    }
    SECTION("ignores SIGTERM") {
        CHECK(run("ignore-sigterm") == 1);
        CHECK_THAT(item(out, "sigterm"), Catch::StartsWith("  FAIL  sigterm") &&
                                             Catch::Contains("still running 1 s after SIGTERM") &&
                                             Catch::Contains("\"type\":\"stopping\""));
    }
}

TEST_CASE("init writes a manifest and node.sh that pass contract as written") {
    TempDir t("init");
    std::string out;
    REQUIRE(gossiplab(t.dir, "init my-node", &out) == 0);
    std::ifstream in(t.dir / "my-node/impl.json");
    CHECK(json::parse(in)["name"] == "my-node");
    CHECK(gossiplab(t.dir, "contract --impl ./my-node --out run", &out) == 0);
    CHECK(gossiplab(t.dir, "init my-node", &out) == 2);  // overwrites nothing
    CHECK_THAT(out, Catch::Contains("exists already"));
}
