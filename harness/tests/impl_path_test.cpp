// `--impl PATH`: a manifest kept in the user's own repository (here: a temporary folder
// outside the checkout), with its own scenarios folder, runs through the real CLI; {adapter}
// is that manifest's folder.
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

std::string bin() {
    const char* v = std::getenv("GOSSIPLAB_BIN");
    return v ? v : "";
}

// An implementation's repository: my-node/impl.json whose command is a wrapper script beside
// it ({adapter}/node.sh) that execs the reference node, and a scenarios/ folder.
struct UserRepo {
    fs::path dir =
        fs::temp_directory_path() / ("gossiplab-impl-path-" + std::to_string(::getpid()));
    UserRepo() {
        fs::remove_all(dir);
        fs::create_directories(dir / "my-node");
        fs::create_directories(dir / "scenarios");
        std::ifstream in(fs::path(GOSSIPLAB_SOURCE_DIR) / "adapters/reference/impl.json");
        json m = json::parse(in);
        m["name"] = "my-node";
        m["command"][0] = "{bin}/gossip-node";
        m["command"].insert(m["command"].begin(), {"{adapter}/node.sh"});
        m["version_command"] = {"{adapter}/node.sh", "{bin}/gossip-node", "--version"};
        std::ofstream(dir / "my-node/impl.json") << m.dump(2);
        std::ofstream(dir / "my-node/node.sh")
            << "#!/bin/sh\nexe=\"$1\"; shift\nexec \"$exe\" \"$@\"\n";
        fs::permissions(dir / "my-node/node.sh", fs::perms::owner_all, fs::perm_options::add);
        json sc = {
            {"name", "tiny"},
            {"description", "three nodes join"},
            {"duration", 3},
            {"cluster", {{"nodes", 3}, {"seeds", {"n1"}}}},
            {"checks",
             {{"history_wellformed", json::object()}, {"membership_convergence", json::object()}}}};
        std::ofstream(dir / "scenarios/tiny.json") << sc.dump(2);
    }
    ~UserRepo() { fs::remove_all(dir); }
};

// Runs gossiplab ARGS in DIR (GOSSIPLAB_HOME unset); returns the exit code, output in *out.
int gossiplab(const fs::path& dir, const std::string& args, std::string* out) {
    fs::path log = dir / "cli.log";
    std::string cmd = "cd '" + dir.string() + "' && env -u GOSSIPLAB_HOME '" + bin() +
                      "/gossiplab' " + args + " >'" + log.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
    UNSCOPED_INFO("gossiplab " << args << "\n" << *out);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

json read_json(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

}  // namespace

TEST_CASE("a manifest outside the checkout runs with --impl PATH on the user's own scenarios") {
    UserRepo r;
    const fs::path manifest = r.dir / "my-node/impl.json";
    std::string out;
    REQUIRE(gossiplab(
                r.dir,
                "suite scenarios --impl '" + manifest.string() + "' --impairment none --out suite",
                &out) == 0);
    const fs::path run = r.dir / "suite/tiny";
    CHECK(read_json(run / "impl.json")["name"] == "my-node");
    // Every node was launched through {adapter}/node.sh: {adapter} is the manifest's folder.
    std::ifstream h(run / "history.jsonl");
    int starts = 0;
    for (std::string line; std::getline(h, line);) {
        json l = json::parse(line);
        if (l.value("action", "") != "node_start") continue;
        ++starts;
        CHECK(l["argv"][0] == (r.dir / "my-node/node.sh").string());
    }
    CHECK(starts == 3);
    // The command that reproduces the run names the manifest by its path.
    CHECK_THAT(read_json(run / "report.json")["command"].get<std::string>(),
               Catch::Contains("--impl " + manifest.string()));
}

TEST_CASE("a relative path and a folder holding impl.json work as --impl") {
    UserRepo r;
    std::string out;
    CHECK(gossiplab(r.dir, "run scenarios/tiny.json --impl ./my-node --impairment none --out one",
                    &out) == 0);
    CHECK(read_json(r.dir / "one/impl.json")["name"] == "my-node");
}

TEST_CASE("a path with no manifest there is bad input naming the path") {
    UserRepo r;
    std::string out;
    CHECK(gossiplab(r.dir, "run scenarios/tiny.json --impl ./nothing/impl.json --impairment none",
                    &out) == 2);
    CHECK_THAT(out, Catch::Contains("nothing/impl.json") &&
                        Catch::Contains("no implementation manifest here"));
    CHECK(gossiplab(r.dir, "run scenarios/tiny.json --impl nosuch --impairment none", &out) == 2);
    CHECK_THAT(out, Catch::Contains("known: ") && Catch::Contains("path of an impl.json"));
}
