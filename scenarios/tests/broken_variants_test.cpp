// A conformance suite that cannot fail is worthless: for each mechanism the
// suite protects, a deliberately broken reference node (gossip-node --break
// MECH) must fail the scenario that protects it, on the right checker, with
// evidence that names the right node.
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

// A project home holding the real scenarios, the reference manifest and one
// manifest per broken variant (the reference command plus --break MECH).
struct Home {
    fs::path dir;
    Home() {
        dir = fs::temp_directory_path() / ("gossiplab-broken-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir / "adapters");
        fs::copy(fs::path(GOSSIPLAB_SOURCE_DIR) / "scenarios", dir / "scenarios",
                 fs::copy_options::recursive);
        std::ifstream in(fs::path(GOSSIPLAB_SOURCE_DIR) / "adapters/reference/impl.json");
        reference = json::parse(in);
    }
    ~Home() { fs::remove_all(dir); }
    std::string broken(const std::string& mech) {
        json m = reference;
        m["name"] = "broken-" + mech;
        m["command"].push_back("--break");
        m["command"].push_back(mech);
        fs::create_directories(dir / "adapters" / m["name"].get<std::string>());
        std::ofstream(dir / "adapters" / m["name"].get<std::string>() / "impl.json") << m.dump(2);
        return m["name"];
    }
    json reference;
};

bool lab_available() {
    const char* bin = std::getenv("GOSSIPLAB_BIN");
    return bin && std::system(
                      ("'" + std::string(bin) + "/gossiplab' doctor >/dev/null 2>&1").c_str()) == 0;
}

struct Outcome {
    int rc;
    json report;
};

Outcome run(Home& h, const std::string& scenario, const std::string& impl, int seed) {
    fs::path out = h.dir / ("run-" + impl + "-" + scenario + "-" + std::to_string(seed));
    fs::path log = h.dir / "cli.log";
    std::string cmd = "GOSSIPLAB_HOME='" + h.dir.string() + "' '" + std::getenv("GOSSIPLAB_BIN") +
                      "/gossiplab' run " + scenario + " --impl " + impl + " --out '" +
                      out.string() + "' --seed " + std::to_string(seed) + " </dev/null >'" +
                      log.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    std::stringstream ss;
    ss << std::ifstream(log).rdbuf();
    UNSCOPED_INFO(cmd << "\n" << ss.str());
    std::ifstream rep(out / "report.json");
    json r = rep ? json::parse(rep) : json();
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, r};
}

const json& check(const json& report, const std::string& name) {
    static const json none;
    for (const auto& c : report["checks"])
        if (c["check"] == name) return c;
    return none;
}

// The variant fails the scenario, on `checker`, with evidence about `node`.
void expect_caught(const std::string& mech, const std::string& scenario, const std::string& checker,
                   const std::string& node) {
    if (!lab_available()) {
        WARN("SKIP: gossiplab doctor says no lab can be built here");
        return;
    }
    Home h;
    const std::string impl = h.broken(mech);
    // Whether one run exposes the bug is a matter of timing (a 0.3 s pause can fall where no
    // probe suspects it; a CI run saw the refutation variant pass once): the suite
    // must catch it within two seeds.
    // A run the lab judged starved (exit 3: docs/checkers.md "Starved runs", a busy CI
    // runner) has its failures relabelled the environment's and proves nothing either way: it
    // gets a third seed, and if that one is starved too the case warns instead of judging.
    Outcome o = run(h, scenario, impl, 1);
    if (o.rc != 1) o = run(h, scenario, impl, 2);
    if (o.rc == 3) o = run(h, scenario, impl, 3);
    if (o.rc == 3 && o.report.contains("starved") && !o.report["starved"].is_null()) {
        WARN(mech << " on " << scenario
                  << ": the lab was starved (exit 3), not judged: " << o.report["starved"].dump());
        return;
    }
    CHECK(o.rc == 1);
    const json& c = check(o.report, checker);
    REQUIRE(c.is_object());
    CHECK(c["verdict"] == "fail");
    bool names_node = false;
    for (const auto& e : c["evidence"]) {
        std::string what = e["what"].is_string() ? e["what"].get<std::string>() : "";
        names_node |=
            (e["node"].is_string() && e["node"] == node) || what.find(node) != std::string::npos;
    }
    CHECK(names_node);
}

}  // namespace

TEST_CASE("no refutation: a short pause ends in a false death", "[broken]") {
    expect_caught("refutation", "pause-refute", "suspicion_refutation", "n4");
}

TEST_CASE("no suspicion (suspect means dead): a short pause ends in a false death", "[broken]") {
    expect_caught("suspicion", "pause-refute", "suspicion_refutation", "n4");
}

TEST_CASE("no seed re-contact: a long partition never heals", "[broken]") {
    expect_caught("seed-recontact", "partition-long-heal", "partition_healing", "n1");
}

TEST_CASE("fanout 1 and slow gossip: rumors miss the epidemic bound", "[broken]") {
    expect_caught("gossip", "rumor-dissemination", "dissemination", "r");
}

TEST_CASE("no indirect probes: a one-way link failure causes false suspicions", "[broken]") {
    expect_caught("indirect-probes", "asymmetric-link", "accuracy", "n3");
}

TEST_CASE("no periodic push-pull: a node cut off during a join never learns the newcomer",
          "[broken]") {
    expect_caught("push-pull", "isolated-during-join", "membership_convergence", "n5");
}

TEST_CASE("no anti-entropy: writes on both sides of a partition never cross after the heal",
          "[broken]") {
    expect_caught("anti-entropy", "state-partition-repair", "state_convergence", "lost write");
}
