// Scenario validation and expansion: every kind of mistake names its path,
// and the same seed gives the same schedule.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "gossiplab/harness/manifest.hpp"
#include "gossiplab/harness/scenario.hpp"

using namespace gossiplab::harness;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

json base() {
    return json::parse(R"({
      "name": "t", "description": "d", "duration": 20,
      "cluster": {"nodes": 5, "seeds": ["n1"]},
      "schedule": [{"at": 5, "do": "partition", "kind": "halves"}, {"at": 15, "do": "heal"}],
      "checks": {"failure_detection": {"bound": "2 * probe_interval"}}
    })");
}

std::string error_of(const json& doc, Overrides ov = {}) {
    try {
        parse_scenario(doc, "s.json", ov);
    } catch (const ScenarioError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a valid scenario expands into timed actions") {
    Scenario sc = parse_scenario(base(), "s.json", {});
    REQUIRE(sc.nodes == std::vector<std::string>{"n1", "n2", "n3", "n4", "n5"});
    int starts = 0;
    for (const auto& a : sc.actions) starts += std::holds_alternative<op::Start>(a.op);
    CHECK(starts == 5);
    const Action& p = sc.actions[5];
    REQUIRE(std::holds_alternative<op::Partition>(p.op));
    CHECK(p.at == 5);
    CHECK(std::get<op::Partition>(p.op).grudge.at("n1").size() ==
          2);  // n1 (of n1..n3) drops n4, n5
    CHECK(std::holds_alternative<op::Heal>(sc.actions.back().op));
    CHECK(sc.resolved["actions"][5]["do"] == "partition");
    CHECK(sc.resolved["actions"][5]["grudge"]["n1"] == json::array({"n4", "n5"}));
    CHECK(sc.resolved["nodes"].size() == 5);
    CHECK(sc.resolved["actions"].size() == sc.actions.size());
}

TEST_CASE("each kind of mistake names the file and the JSON path") {
    json bad_type = base();
    bad_type["duration"] = "long";
    CHECK_THAT(error_of(bad_type), Catch::Contains("s.json: at /duration: expected a number"));

    json unknown_key = base();
    unknown_key["cluster"]["nodez"] = 3;
    CHECK_THAT(error_of(unknown_key), Catch::Contains("at /cluster/nodez: unknown key 'nodez'"));

    json unknown_node = base();
    unknown_node["schedule"][0] = {{"at", 5}, {"do", "kill"}, {"node", "n9"}};
    CHECK_THAT(error_of(unknown_node), Catch::Contains("at /schedule/0/node: unknown node \"n9\""));

    json beyond = base();
    beyond["schedule"][1]["at"] = 25;
    CHECK_THAT(error_of(beyond), Catch::Contains("at /schedule/1/at: time 25"));
    CHECK_THAT(error_of(beyond), Catch::Contains("beyond the duration"));

    json bad_op = base();
    bad_op["schedule"][0]["do"] = "explode";
    CHECK_THAT(error_of(bad_op), Catch::Contains("at /schedule/0/do: unknown action \"explode\""));

    json bad_shape = base();
    bad_shape["network"] = {{"shape", {{"loss", 1.5}}}};
    CHECK_THAT(error_of(bad_shape), Catch::Contains("at /network/shape"));

    json extra_in_action = base();
    extra_in_action["schedule"][1]["node"] = "n1";
    CHECK_THAT(error_of(extra_in_action), Catch::Contains("at /schedule/1/node: unknown key"));

    json links_key = base();
    links_key["schedule"][0] = json::parse(
        R"({"at": 5, "do": "shape", "links": {"node": "n2", "nod": 1}, "shape": {"loss": 0.1}})");
    CHECK_THAT(error_of(links_key), Catch::Contains("at /schedule/0/links/nod: unknown key 'nod'"));

    json missing = base();
    missing.erase("cluster");
    CHECK_THAT(error_of(missing), Catch::Contains("at /cluster: missing required key"));
}

TEST_CASE("random choices derive from the seed only") {
    json doc = base();
    doc["schedule"] = json::array({{{"at", 5}, {"do", "partition"}, {"kind", "random"}},
                                   {{"at", 8}, {"do", "kill"}, {"node", "random"}}});
    Overrides a, b, c;
    a.seed = b.seed = 42;
    c.seed = 43;
    Scenario sa = parse_scenario(doc, "s.json", a), sb = parse_scenario(doc, "s.json", b);
    CHECK(sa.resolved["actions"] == sb.resolved["actions"]);
    // Some other seed picks differently (check a few to avoid a coincidence).
    bool differs = false;
    for (uint64_t s = 43; s < 53 && !differs; ++s) {
        c.seed = s;
        differs = parse_scenario(doc, "s.json", c).resolved["actions"] != sa.resolved["actions"];
    }
    CHECK(differs);
}

TEST_CASE("repeats, pauses with a duration, late joiners and rumors expand") {
    json doc = base();
    doc["cluster"]["late"] = json::array({{{"node", "n5"}, {"at", 4}}});
    doc["schedule"] = json::parse(R"([
        {"at": 2, "every": 4, "until": 10, "do": "shape", "links": [["n1", "n2"]],
         "shape": {"loss": 1.0}},
        {"at": 3, "do": "pause", "node": "n2", "for": 1.5}])");
    doc["workload"] = {{"rumors", json::array({{{"at", 6}, {"node", "n3"}, {"count", 2}}})}};
    Scenario sc = parse_scenario(doc, "s.json", {});
    int shapes = 0, rumors = 0;
    bool resumed = false, late = false;
    for (const auto& a : sc.actions) {
        shapes += std::holds_alternative<op::Shape>(a.op);
        rumors += std::holds_alternative<op::Broadcast>(a.op);
        resumed |= std::holds_alternative<op::Resume>(a.op) && a.at == 4.5;
        late |= std::holds_alternative<op::Start>(a.op) && op_node(a.op) == "n5" && a.at == 4;
    }
    CHECK(shapes == 3);  // 2, 6, 10
    CHECK(rumors == 2);
    CHECK(resumed);
    CHECK(late);
}

TEST_CASE("a rumor with a given id keeps it, and a bad id is refused with its place") {
    json doc = base();
    doc["workload"] = {{"rumors", json::array({{{"at", 3}, {"node", "n1"}, {"rumor", "again"}},
                                               {{"at", 4}, {"node", "n1"}, {"rumor", "again"}},
                                               {{"at", 5}, {"node", "n1"}}})}};
    Scenario sc = parse_scenario(doc, "s.json", {});
    std::vector<std::string> ids;
    for (const auto& a : sc.actions)
        if (const auto* b = std::get_if<op::Broadcast>(&a.op)) ids.push_back(b->rumor);
    CHECK(ids == std::vector<std::string>{"again", "again", "r1"});
    doc["workload"]["rumors"][1]["rumor"] = "";
    CHECK_THROWS_WITH(parse_scenario(doc, "s.json", {}),
                      Catch::Contains("s.json") && Catch::Contains("/workload/rumors/1/rumor") &&
                          Catch::Contains("1 to 64 bytes"));
}

TEST_CASE("command templates expand placeholders and reject unknown ones") {
    auto v = expand_command({"{bin}/x", "--id={id}"}, {{"bin", "/b"}, {"id", "n1"}}, "impl.json");
    CHECK(v == std::vector<std::string>{"/b/x", "--id=n1"});
    CHECK(expand_command({"f() { x; }", "{a b}"}, {}, "impl.json") ==
          std::vector<std::string>{"f() { x; }", "{a b}"});
    CHECK_THROWS_WITH(expand_command({"{nope}"}, {}, "impl.json"),
                      Catch::Contains("impl.json: at /command/0: unknown placeholder {nope}"));
}

TEST_CASE("the reference manifest loads") {
    const char* src = GOSSIPLAB_SOURCE_DIR;
    Manifest m = load_manifest(src, "reference");
    CHECK(m.has("suspicion_events"));
    CHECK(m.profile("fast")["probe_interval"] == 0.1);
    CHECK(m.profile("heartbeat")["fail_after"] == 4);
    CHECK_THROWS_WITH(load_manifest(src, "nosuch"), Catch::Contains("known: "));
}

// Found with `suite --profile heartbeat`: an overridden cluster.profile (or impl) was never read,
// so the scenario's own key was reported as unknown.
TEST_CASE("overrides (--profile, --impl) replace the cluster's own profile and impl") {
    json doc = base();
    doc["cluster"]["profile"] = "lan";
    doc["cluster"]["impl"] = "reference";
    Overrides ov;
    ov.profile = "heartbeat";
    ov.impl = "other";
    Scenario sc = parse_scenario(doc, "s.json", ov);
    CHECK(sc.profile == "heartbeat");
    CHECK(sc.impl == "other");
    CHECK(parse_scenario(doc, "s.json", Overrides{}).profile == "lan");
}

TEST_CASE("a profile may add the optional knobs fail_after and cleanup_after, and nothing else") {
    const fs::path home =
        fs::temp_directory_path() / ("gossiplab-knobs-" + std::to_string(::getpid()));
    json m =
        json::parse(std::ifstream(fs::path(GOSSIPLAB_SOURCE_DIR) / "adapters/reference/impl.json"));
    fs::create_directories(home / "adapters" / "x");
    auto load_with = [&](const char* key, const json& v) {
        json doc = m;
        doc["profiles"]["fast"][key] = v;
        std::ofstream(home / "adapters" / "x" / "impl.json") << doc.dump();
        return load_manifest(home, "x");
    };
    CHECK(load_with("cleanup_after", nullptr).profile("fast")["cleanup_after"].is_null());
    CHECK(load_with("fail_after", 6).profile("fast")["fail_after"] == 6);
    CHECK_THROWS_WITH(load_with("fail_after", "4"),
                      Catch::Contains("impl.json") &&
                          Catch::Contains("/profiles/fast/fail_after") &&
                          Catch::Contains("expected a number >= 0 or null"));
    CHECK_THROWS_WITH(load_with("fail_afterr", 4), Catch::Contains("/profiles/fast/fail_afterr") &&
                                                       Catch::Contains("unknown timing knob"));
    fs::remove_all(home);
}

// Found by bench/fuzz/fuzz_manifest: nlohmann::json throws out_of_range, not parse_error, for a
// number too big for a double; it escaped as "gossiplab: error: ..." (exit 3, no file named).
TEST_CASE("a number too big for a double is bad JSON naming the file, in impl.json and scenarios") {
    const fs::path home =
        fs::temp_directory_path() / ("gossiplab-bignum-" + std::to_string(::getpid()));
    fs::create_directories(home / "adapters" / "big");
    const std::string doc = R"({"name": "big", "port": 333333333333338333.333333e33333333333333})";
    std::ofstream(home / "adapters" / "big" / "impl.json") << doc;
    std::ofstream(home / "big.json") << doc;
    CHECK_THROWS_MATCHES(load_manifest(home, "big"), ScenarioError,
                         Catch::Matchers::Predicate<ScenarioError>([&](const ScenarioError& e) {
                             const std::string w = e.what();
                             return w.find("impl.json") != std::string::npos &&
                                    w.find("not valid JSON") != std::string::npos &&
                                    w.find("number overflow") != std::string::npos;
                         }));
    CHECK_THROWS_WITH(load_scenario(home / "big.json", Overrides{}),
                      Catch::Contains("big.json") && Catch::Contains("not valid JSON"));
    fs::remove_all(home);
}

// Found by bench/fuzz/fuzz_manifest: a "name" that is an object threw json's type_error.
TEST_CASE("impl.json's name, description and default_profile must be strings, said with the path") {
    const fs::path home =
        fs::temp_directory_path() / ("gossiplab-strings-" + std::to_string(::getpid()));
    json m =
        json::parse(std::ifstream(fs::path(GOSSIPLAB_SOURCE_DIR) / "adapters/reference/impl.json"));
    for (const char* key : {"name", "description", "default_profile"}) {
        json bad = m;
        bad[key] = json::object({{"lan", 1}});
        fs::create_directories(home / "adapters" / "x");
        std::ofstream(home / "adapters" / "x" / "impl.json") << bad.dump();
        INFO(key);
        CHECK_THROWS_WITH(load_manifest(home, "x"), Catch::Contains("impl.json") &&
                                                        Catch::Contains(std::string("/") + key) &&
                                                        Catch::Contains("expected a string"));
    }
    fs::remove_all(home);
}

// Application state without per-entry versions (Serf's tags, memberlist's metadata) is
// declared as `state` alone; `state_versions` means nothing without `state`.
TEST_CASE("state_versions needs state, and the third parties have state without versions") {
    const char* src = GOSSIPLAB_SOURCE_DIR;
    CHECK(load_manifest(src, "reference").has("state_versions"));
    for (const char* impl : {"serf", "memberlist"}) {
        INFO(impl);
        Manifest m = load_manifest(src, impl);
        CHECK(m.contract == 2);
        CHECK(m.has("state"));
        CHECK(!m.has("state_versions"));
    }
    const fs::path home =
        fs::temp_directory_path() / ("gossiplab-versions-" + std::to_string(::getpid()));
    json m =
        json::parse(std::ifstream(fs::path(GOSSIPLAB_SOURCE_DIR) / "adapters/reference/impl.json"));
    m["features"] = {"counters", "state_versions"};
    fs::create_directories(home / "adapters" / "x");
    std::ofstream(home / "adapters" / "x" / "impl.json") << m.dump();
    CHECK_THROWS_WITH(load_manifest(home, "x"),
                      Catch::Contains("impl.json") && Catch::Contains("/features") &&
                          Catch::Contains("\"state_versions\" needs the feature \"state\""));
    fs::remove_all(home);
}

TEST_CASE("times may be written over the implementation's timing profile") {
    json doc = base();
    doc["duration"] = "20 * probe_interval";
    doc["schedule"] = json::parse(R"([
        {"at": "2 * probe_interval", "do": "partition", "kind": "halves"},
        {"at": "2 * probe_interval + push_pull_interval", "do": "heal"},
        {"at": 1, "every": "probe_interval", "until": "3 * probe_interval", "do": "broadcast",
         "node": "n1"}])");
    Overrides ov;
    std::vector<std::string> asked;
    ov.profile_of = [&](const std::string& impl, const std::string& profile) {
        asked.push_back(impl + "/" + profile);
        return json{
            {"probe_interval", 0.5}, {"push_pull_interval", 3.0}, {"reconnect_interval", nullptr}};
    };
    Scenario sc = parse_scenario(doc, "s.json", ov);
    CHECK(asked == std::vector<std::string>{"reference/"});  // looked up once
    CHECK(sc.duration == 10);
    CHECK(sc.resolved["duration"] == 10.0);
    CHECK(sc.resolved["duration_expr"] == "20 * probe_interval");
    std::vector<double> partition, heal, rumors;
    for (const auto& a : sc.actions) {
        if (std::holds_alternative<op::Partition>(a.op)) partition.push_back(a.at);
        if (std::holds_alternative<op::Heal>(a.op)) heal.push_back(a.at);
        if (std::holds_alternative<op::Broadcast>(a.op)) rumors.push_back(a.at);
    }
    CHECK(partition == std::vector<double>{1.0});
    CHECK(heal == std::vector<double>{4.0});
    CHECK(rumors == std::vector<double>{1.0, 1.5});

    // Without a profile, or with a knob the implementation lacks, the error names the place.
    CHECK_THAT(error_of(doc), Catch::Contains("s.json: at /duration: expected a number, found a "
                                              "string ('20 * probe_interval': a time written over "
                                              "the timing profile needs"));
    doc["schedule"][1]["at"] = "reconnect_interval + 1";
    try {
        parse_scenario(doc, "s.json", ov);
        FAIL("expected an error");
    } catch (const ScenarioError& e) {
        CHECK_THAT(e.what(), Catch::Contains("s.json: at /schedule/1/at:"));
        CHECK_THAT(e.what(), Catch::Contains("reconnect_interval"));
    }
    doc["schedule"][1]["at"] = "30 * probe_interval";  // 15 s, beyond the 10 s duration
    CHECK_THAT(error_of(doc, ov),
               Catch::Contains("at /schedule/1/at: time 15.0 is beyond the duration (10.0 s)"));
}

TEST_CASE("the schedule's planned changes, for the run's horizon") {
    json doc = base();
    doc["schedule"] = json::parse(R"([
        {"at": 2, "do": "kill", "node": "n2"}, {"at": 4, "do": "start", "node": "n2"},
        {"at": 5, "do": "pause", "node": "n3", "for": 1.5}, {"at": 6, "do": "partition"},
        {"at": 9, "do": "heal"}, {"at": 10, "do": "leave", "node": "n4"},
        {"at": 11, "do": "starve", "node": "n5", "for": 2}])");
    doc["workload"] = {{"rumors", json::array({{{"at", 3}, {"node", "n1"}}})}};
    using gossiplab::checkers::PlannedKind;
    std::vector<std::string> got;
    for (const auto& p : planned_changes(parse_scenario(doc, "s.json", {})))
        got.push_back(std::string(to_string(p.kind)) + "@" + json(p.t).dump() +
                      (p.kind == PlannedKind::resume ? "<" + json(p.since).dump() : ""));
    CHECK(got == std::vector<std::string>{"start@0.0", "start@0.0", "start@0.0", "start@0.0",
                                          "start@0.0", "crash@2.0", "broadcast@3.0", "restart@4.0",
                                          "resume@6.5<5.0", "heal@9.0", "leave@10.0",
                                          "resume@13.0<11.0"});
}

TEST_CASE("state writes (contract v2) expand from the schedule and the writes workload") {
    json doc = base();
    doc["schedule"] = json::parse(R"([
        {"at": 2, "do": "set", "node": "n2", "key": "color", "value": "blue"},
        {"at": 3, "do": "delete", "node": "n2", "key": "color"}])");
    doc["workload"] = json::parse(
        R"({"writes": {"per_s": 2, "from": 4, "until": 6, "keys": 2, "delete_every": 3}})");
    Scenario sc = parse_scenario(doc, "s.json", {});
    std::vector<std::string> got;
    for (const auto& a : sc.actions) {
        if (auto* s = std::get_if<op::Set>(&a.op))
            got.push_back("set " + s->node + " " + s->key + "=" + s->value);
        if (auto* d = std::get_if<op::Delete>(&a.op))
            got.push_back("delete " + d->node + " " + d->key);
    }
    REQUIRE(got.size() == 7);  // 2 from the schedule, 5 from the workload (4, 4.5, ..., 6)
    CHECK(got[0] == "set n2 color=blue");
    CHECK(got[1] == "delete n2 color");
    CHECK(got[2].rfind("set n", 0) == 0);
    CHECK(got[2].find(" k0=") != std::string::npos);
    CHECK(got[4].rfind("delete n", 0) == 0);  // every 3rd write
    CHECK(got[4].find(" k0") != std::string::npos);
    bool resolved = false;
    for (const auto& a : sc.resolved["actions"])
        resolved |=
            a["do"] == "set" && a["key"] == "color" && a["value"] == "blue" && a["node"] == "n2";
    CHECK(resolved);

    json bad = base();
    bad["schedule"] = json::parse(R"([{"at": 2, "do": "set", "node": "n2"}])");
    CHECK_THAT(error_of(bad), Catch::Contains("/schedule/0/key"));
    bad["schedule"] = json::parse(R"([{"at": 2, "do": "set", "node": "n2", "key": ""}])");
    CHECK_THAT(error_of(bad), Catch::Contains("expected a key of 1 to 64 bytes"));
}

TEST_CASE("a scenario declares the mechanisms it exercises from a fixed vocabulary") {
    json ok = base();
    ok["exercises"] = {"suspicion_refuted", "death_reverted"};
    Scenario sc = parse_scenario(ok, "s.json", {});
    CHECK(sc.exercises == std::vector<std::string>{"suspicion_refuted", "death_reverted"});
    CHECK(sc.resolved["exercises"] == ok["exercises"]);

    json unknown = base();
    unknown["exercises"] = {"suspicion_refuted", "push_pull_magic"};
    const std::string e = error_of(unknown);
    CHECK_THAT(e,
               Catch::Contains("s.json: at /exercises/1: unknown mechanism \"push_pull_magic\""));
    CHECK_THAT(e, Catch::Contains("expected one of: suspicion_raised, suspicion_refuted"));
    CHECK_THAT(e, Catch::Contains("anti_entropy_repair"));

    json not_array = base();
    not_array["exercises"] = "suspicion_refuted";
    CHECK_THAT(error_of(not_array),
               Catch::Contains("s.json: at /exercises: expected an array of mechanism names"));
    json not_string = base();
    not_string["exercises"] = {3};
    CHECK_THAT(error_of(not_string), Catch::Contains("at /exercises/0: expected a mechanism name"));
    json twice = base();
    twice["exercises"] = {"death_declared", "death_declared"};
    CHECK_THAT(error_of(twice), Catch::Contains("at /exercises/1: mechanism \"death_declared\" is "
                                                "declared twice"));
}

TEST_CASE("a swizzle-clog clogs a seeded subset one at a time and restores it in another order") {
    json doc = base();
    doc["duration"] = 30;
    doc["schedule"] = {
        {{"at", 4}, {"do", "swizzle_clog"}, {"count", 3}, {"interval", 1.5}, {"hold", 3}}};
    Scenario sc = parse_scenario(doc, "s.json", {});
    std::vector<std::string> clogged, restored;
    std::vector<double> clog_at, restore_at;
    for (const auto& a : sc.actions) {
        if (const auto* c = std::get_if<op::Clog>(&a.op)) {
            clogged.push_back(c->node);
            clog_at.push_back(a.at);
            CHECK(c->steps == 6);
            CHECK(c->step == int(clogged.size()));
            CHECK(c->grudge.at(c->node).size() == 4);  // drops every other node
        }
        if (const auto* u = std::get_if<op::Unclog>(&a.op)) {
            restored.push_back(u->node);
            restore_at.push_back(a.at);
            CHECK(u->step == int(3 + restored.size()));
        }
    }
    REQUIRE(clogged.size() == 3);
    CHECK(clog_at == std::vector<double>{4, 5.5, 7});
    CHECK(restore_at == std::vector<double>{10, 11.5, 13});
    std::vector<std::string> a = clogged, b = restored;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    CHECK(a == b);  // every clogged node is restored
    CHECK(sc.resolved["actions"][5]["do"] == "clog");
    CHECK(sc.resolved["actions"][5]["swizzle"]["subset"] == json(clogged));
    // The same seed draws the same subset and orders; planned: the last restore is a heal.
    Scenario again = parse_scenario(doc, "s.json", {});
    CHECK(again.resolved["actions"] == sc.resolved["actions"]);
    bool heal_at_13 = false;
    for (const auto& p : planned_changes(sc))
        heal_at_13 |= p.kind == gossiplab::checkers::PlannedKind::heal && p.t == 13;
    CHECK(heal_at_13);
    // Another seed draws another swizzle (some seed among a few does).
    bool differs = false;
    for (uint64_t s = 2; s < 8 && !differs; ++s) {
        Overrides ov;
        ov.seed = s;
        differs = parse_scenario(doc, "s.json", ov).resolved["actions"] != sc.resolved["actions"];
    }
    CHECK(differs);

    json listed = doc;
    listed["schedule"][0].erase("count");
    listed["schedule"][0]["nodes"] = {"n2", "n2"};
    CHECK_THAT(error_of(listed),
               Catch::Contains("at /schedule/0/nodes/1: node \"n2\" is listed twice"));
    json too_many = doc;
    too_many["schedule"][0]["count"] = 5;
    CHECK_THAT(error_of(too_many),
               Catch::Contains("at /schedule/0/count: expected fewer than the 5 running nodes"));
    json late = doc;
    late["duration"] = 12;
    CHECK_THAT(error_of(late),
               Catch::Contains(
                   "at /schedule/0/hold: the last restore falls at 13.0 s, beyond the duration"));
}

TEST_CASE("a restart may reset the incarnation; nothing else may") {
    json doc = base();
    doc["schedule"] = {
        {{"at", 4}, {"do", "restart"}, {"node", "random"}, {"count", 2}, {"incarnation", "reset"}}};
    Scenario sc = parse_scenario(doc, "s.json", {});
    int resets = 0;
    for (const auto& a : sc.actions)
        if (const auto* r = std::get_if<op::Restart>(&a.op)) resets += r->reset;
    CHECK(resets == 2);
    CHECK(sc.resolved["actions"][5]["reset_incarnation"] == true);
    json bad = doc;
    bad["schedule"][0]["incarnation"] = "zero";
    CHECK_THAT(error_of(bad), Catch::Contains("at /schedule/0/incarnation: expected \"reset\""));
    json kill = doc;
    kill["schedule"][0]["do"] = "kill";
    CHECK_THAT(
        error_of(kill),
        Catch::Contains("at /schedule/0/incarnation: 'incarnation' applies to restart only"));
}
