// The controller's run loop with a fake supervisor and a fake network: the schedule, node
// output, faults and the shutdown, asserted on the history lines they write (order and
// content, never wall-clock). Runs take a few tenths of a second of real timers.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "controller.hpp"
#include "fake_supervisor.hpp"
#include "gossiplab/netem/grudge.hpp"
#include "gossiplab/netem/shape.hpp"
#include "progress.hpp"

namespace fs = std::filesystem;
namespace asio = boost::asio;
using nlohmann::json;
using namespace gossiplab::harness;
namespace netem = gossiplab::netem;
using gossiplab::harness::testing::FakeSupervisor;

namespace {

class FakeNetwork final : public Network {
  public:
    std::vector<std::string> calls;  // "grudge", "heal", "shape", "clear"
    json last_grudge, last_links, last_shape;
    bool refuse_partitions = false;
    int observed = 0;

    std::string name() const override { return "fake"; }
    std::string address(const std::string& node) const override {
        return "10.0.0." + node.substr(1);
    }
    int netns_fd(const std::string&) const override { return -1; }
    void set_grudge(const netem::Grudge& g) override {
        if (refuse_partitions) throw std::runtime_error("no partitions here");
        calls.push_back("grudge");
        last_grudge = netem::to_json(g);
    }
    void heal() override { calls.push_back("heal"); }
    void clog(const std::string& node) override { calls.push_back("clog " + node); }
    void unclog(const std::string& node) override { calls.push_back("unclog " + node); }
    void shape(const Links& links, const netem::LinkShape& shape) override {
        calls.push_back("shape");
        last_links = to_json(links);
        last_shape = netem::to_json(shape);
    }
    void clear(const Links& links) override {
        calls.push_back("clear");
        last_links = to_json(links);
    }
    json stats() const override { return json::object(); }
    json observe() override { return json::array({{{"reads", ++observed}}}); }
    std::optional<double> release_lag() override { return 0.007; }
};

Manifest fake_manifest() {
    Manifest m;
    m.name = "fake";
    m.dir = "/fake/adapter";
    m.command = {"/fake/node", "--id", "{id}", "--seeds", "{seeds}", "--seed", "{rng_seed}"};
    m.default_profile = "fast";
    m.profiles["fast"] = {{"probe_interval", 0.1}};
    return m;
}

// An action of the schedule, typed as the scenario parser hands it to the controller.
Action act(double at, Op o) {
    return Action{at, std::move(o)};
}

// A link shape as the history writes it: every field, defaults filled in.
json full_shape(const json& s) {
    return netem::to_json(netem::shape_from_json(s));
}

// Nodes n1..nN, n1 the seed; every node starts at 0, then `actions` (sorted by time).
Scenario scenario(double duration, std::vector<Action> actions, int n = 3) {
    Scenario sc;
    sc.name = "unit";
    sc.duration = duration;
    sc.seeds = {"n1"};
    for (int i = 1; i <= n; ++i) {
        std::string id = "n" + std::to_string(i);
        sc.nodes.push_back(id);
        sc.node_seeds[id] = {"n1"};
        sc.actions.push_back(act(0, op::Start{id}));
    }
    std::stable_sort(actions.begin(), actions.end(),
                     [](const Action& a, const Action& b) { return a.at < b.at; });
    sc.actions.insert(sc.actions.end(), actions.begin(), actions.end());
    sc.resolved = {{"name", "unit"}};
    return sc;
}

struct Rig {
    fs::path dir;
    asio::io_context ioc;
    RunClock clock;
    FakeSupervisor sup{ioc, clock};
    FakeNetwork net;
    Manifest m = fake_manifest();
    RunOptions opt;
    std::vector<json> hist;
    std::vector<std::unique_ptr<asio::steady_timer>> timers;

    Rig() {
        static std::atomic<int> n{0};
        dir = fs::temp_directory_path() / ("gossiplab-controller-test-" +
                                           std::to_string(::getpid()) + "-" + std::to_string(n++));
        fs::remove_all(dir);
        opt.run_dir = dir;
        opt.bin_dir = "/fake/bin";
        opt.term_grace_s = 0.2;
        opt.environment = {{"impl_version", "9.9"}};
    }
    ~Rig() { fs::remove_all(dir); }

    // Runs `f` on the event loop `s` seconds from now (test-side events: a crash, output).
    void at(double s, std::function<void()> f) {
        timers.push_back(std::make_unique<asio::steady_timer>(ioc, RunClock::secs(s)));
        timers.back()->async_wait([f = std::move(f)](auto ec) {
            if (!ec) f();
        });
    }

    RunResult run(const Scenario& sc) {
        Controller c(ioc, clock, sup, sc, m, net, opt);
        RunResult r = c.run();
        std::ifstream in(dir / "history.jsonl");
        std::string line;
        while (std::getline(in, line)) hist.push_back(json::parse(line));
        return r;
    }

    // "action node" (or "kind node" for events and malformed lines) for each line about
    // `node` ("" = every line), in history order.
    std::vector<std::string> story(const std::string& node = "") const {
        std::vector<std::string> out;
        for (const auto& l : hist) {
            if (l["kind"] == "action" && l["action"] == "load") continue;  // its own test
            std::string who = l.value("node", "");
            if (!node.empty() && who != node) continue;
            std::string what = l["kind"] == "action" ? l["action"].get<std::string>()
                                                     : l["kind"].get<std::string>();
            out.push_back(who.empty() ? what : what + " " + who);
        }
        return out;
    }
    std::vector<json> actions(const std::string& name) const {
        std::vector<json> out;
        for (const auto& l : hist)
            if (l["kind"] == "action" && l["action"] == name) out.push_back(l);
        return out;
    }
    json one(const std::string& name, const std::string& node = "") const {
        std::vector<json> out;
        for (const auto& l : actions(name))
            if (node.empty() || l.value("node", "") == node) out.push_back(l);
        REQUIRE(out.size() == 1);
        return out[0];
    }
};

using Story = std::vector<std::string>;

// The history's envelope: times never go back and no action is applied before it is planned.
void check_envelope(const std::vector<json>& hist) {
    double last = 0;
    for (const auto& l : hist) {
        CHECK(l["t"].get<double>() >= last);
        last = l["t"];
        if (l.contains("planned")) CHECK(l["t"].get<double>() >= l["planned"].get<double>() - 1e-6);
    }
    REQUIRE(!hist.empty());
    CHECK(hist.front()["action"] == "run_start");
    CHECK(hist.back()["action"] == "run_end");
}

}  // namespace

TEST_CASE("the schedule is applied at its planned times and the run ends on its duration") {
    Rig r;
    RunResult rr = r.run(scenario(
        0.4, {act(0.1, op::Kill{"n3"}), act(0.15, op::Pause{"n2"}), act(0.2, op::Resume{"n2"})}));
    check_envelope(r.hist);
    CHECK_FALSE(rr.interrupted);
    CHECK(r.story("n3") == Story{"node_start n3", "kill n3", "node_exit n3"});
    CHECK(r.story("n2") == Story{"node_start n2", "pause n2", "resume n2", "node_exit n2"});
    CHECK(r.story("n1") == Story{"node_start n1", "node_exit n1"});

    json start = r.hist.front();
    CHECK(start["nodes"] == json{"n1", "n2", "n3"});
    CHECK(start["seeds"] == json{"n1"});
    CHECK(start["scenario"] == "unit");
    CHECK(start["impl"] == "fake");
    CHECK(start["backend"] == "fake");
    CHECK(start["duration"] == 0.4);
    CHECK(start["profile"] == json{{"probe_interval", 0.1}});
    CHECK_FALSE(start.contains("planned"));

    json n2 = r.one("node_start", "n2");
    CHECK(n2["planned"] == 0.0);
    CHECK(n2["pid"] == r.one("node_exit", "n2")["pid"]);
    CHECK(n2["addr"] == "10.0.0.2:7946");
    CHECK(n2["seeds"] == json{"n1"});
    CHECK(n2["restart"] == false);
    CHECK(n2["argv"][4] == "10.0.0.1:7946");
    CHECK(n2["argv"] == json(r.sup.argvs["n2"].at(0)));
    CHECK(r.one("node_start", "n1")["seeds"] == json::array());  // not itself

    json kill = r.one("kill", "n3");
    CHECK(kill["planned"] == 0.1);
    CHECK(kill["was_running"] == true);
    json exit3 = r.one("node_exit", "n3");
    CHECK(exit3["signal"] == "SIGKILL");
    CHECK(exit3["status"].is_null());
    CHECK(exit3["expected"] == true);
    CHECK(exit3["pid"] == r.one("node_start", "n3")["pid"]);
    json exit1 = r.one("node_exit", "n1");
    CHECK(exit1["status"] == 0);
    CHECK(exit1["signal"].is_null());
    CHECK(exit1["expected"] == true);
    CHECK(r.one("pause", "n2")["planned"] == 0.15);
    CHECK(r.actions("node_error").empty());

    json end = r.hist.back();
    CHECK(end["reason"] == "duration");
    CHECK(end["malformed_lines"] == 0);
    // At the end every running node is asked to stop; the killed one is not signalled again.
    CHECK(r.sup.signals_of("n1") == std::vector<int>{SIGTERM});
    CHECK(r.sup.signals_of("n2") == std::vector<int>{SIGSTOP, SIGCONT, SIGTERM});
    CHECK(r.sup.signals_of("n3") == std::vector<int>{SIGKILL});

    // The run directory's other files.
    CHECK(fs::exists(r.dir / "nodes"));
    std::ifstream impl(r.dir / "impl.json");
    json ij = json::parse(impl);
    CHECK(ij["name"] == "fake");
    CHECK(ij["profile_name"] == "fast");
    CHECK(ij["version"] == "9.9");
    CHECK(fs::exists(r.dir / "scenario.json"));
    CHECK(fs::exists(r.dir / "environment.json"));
}

TEST_CASE("the run lasts until the bounds of its obligations have elapsed") {
    Rig r;
    Scenario sc = scenario(0.3, {act(0.2, op::Kill{"n3"})});
    sc.checks = {{"failure_detection", {{"bound", "3 * probe_interval"}}},
                 {"partition_healing", json::object()}};  // no heal planned: no obligation
    r.run(sc);
    json start = r.hist.front();
    // The kill at 0.2 s is judged within 0.3 s: the run lasts to 0.5 s plus the 1 s slack.
    CHECK(start["scenario_duration"] == 0.3);
    CHECK(start["duration"].get<double>() == Approx(1.5));
    CHECK(start["horizon"]["t"].get<double>() == Approx(0.5));
    CHECK(start["horizon"]["because"]["check"] == "failure_detection");
    CHECK(start["horizon"]["because"]["change"] == "crash");
    CHECK(r.one("run_end")["t"].get<double>() >= 1.5);
    CHECK(r.one("run_end")["reason"] == "duration");

    // Without checks that oblige anything, the duration stands.
    Rig plain;
    plain.run(scenario(0.3, {act(0.2, op::Kill{"n3"})}));
    CHECK(plain.hist.front()["duration"] == 0.3);
    CHECK(plain.hist.front()["horizon"]["t"] == 0);
}

TEST_CASE("a node that exits on its own gets a node_error, and the run goes on") {
    Rig r;
    r.at(0.1, [&] { r.sup.exit("n2", ExitStatus::exited(3)); });
    r.run(scenario(0.4, {act(0.2, op::Kill{"n2"})}));
    check_envelope(r.hist);
    CHECK(r.story("n2") == Story{"node_start n2", "node_exit n2", "node_error n2", "kill n2"});
    json exit = r.one("node_exit", "n2");
    CHECK(exit["status"] == 3);
    CHECK(exit["signal"].is_null());
    CHECK(exit["expected"] == false);
    CHECK(r.one("node_error", "n2")["message"] == "exited unexpectedly");
    CHECK(r.one("kill", "n2")["was_running"] == false);
    CHECK(r.sup.signals_of("n2").empty());
    CHECK(r.hist.back()["reason"] == "duration");
}

TEST_CASE("a node that ignores SIGTERM is killed after the grace period, with a node_error") {
    Rig r;
    r.sup.ignores_sigterm = {"n1"};
    r.opt.term_grace_s = 0.1;
    r.run(scenario(0.2, {}, 2));
    check_envelope(r.hist);
    CHECK(r.story("n1") == Story{"node_start n1", "node_error n1", "node_exit n1"});
    CHECK(r.one("node_error", "n1")["message"] == "ignored SIGTERM for 0.100000 s; killed");
    json exit = r.one("node_exit", "n1");
    CHECK(exit["signal"] == "SIGKILL");
    CHECK(exit["expected"] == true);
    CHECK(r.sup.signals_of("n1") == std::vector<int>{SIGTERM, SIGKILL});
    CHECK(r.one("node_exit", "n2")["status"] == 0);
    CHECK(r.hist.back()["reason"] == "duration");
}

TEST_CASE("SIGTERM ends the run early: the rest of the schedule is not applied") {
    Rig r;
    r.at(0.1, [] { ::kill(::getpid(), SIGTERM); });
    RunResult rr = r.run(scenario(30, {act(20, op::Kill{"n2"})}, 2));
    check_envelope(r.hist);
    CHECK(rr.interrupted);
    CHECK(r.story() == Story{"run_start", "node_start n1", "node_start n2", "interrupted",
                             "node_exit n1", "node_exit n2", "run_end"});
    CHECK(r.one("interrupted")["signal"] == "SIGTERM");
    CHECK(r.one("node_exit", "n1")["expected"] == true);
    CHECK(r.one("node_exit", "n2")["status"] == 0);
    CHECK(r.hist.back()["reason"] == "interrupted");
}

TEST_CASE("a second interrupt kills every node at once") {
    Rig r;
    r.sup.ignores_sigterm = {"n1", "n2"};
    r.opt.term_grace_s = 60;  // the grace would record a node_error for each
    r.at(0.1, [] { ::kill(::getpid(), SIGINT); });
    r.at(0.2, [] { ::kill(::getpid(), SIGINT); });
    RunResult rr = r.run(scenario(30, {}, 2));
    check_envelope(r.hist);
    CHECK(rr.interrupted);
    CHECK(r.story() == Story{"run_start", "node_start n1", "node_start n2", "interrupted",
                             "node_exit n1", "node_exit n2", "run_end"});
    CHECK(r.one("interrupted")["signal"] == "SIGINT");
    for (const std::string id : {"n1", "n2"}) {
        json exit = r.one("node_exit", id);
        CHECK(exit["signal"] == "SIGKILL");
        CHECK(exit["expected"] == true);
        CHECK(r.sup.signals_of(id) == std::vector<int>{SIGTERM, SIGKILL});
    }
    CHECK(r.hist.back()["reason"] == "interrupted");
}

TEST_CASE("at the end a paused or starved node is resumed before SIGTERM") {
    Rig r;
    r.opt.term_grace_s = 30;  // a node left stopped would hold the run here, then be killed
    r.run(scenario(0.3, {act(0.05, op::Pause{"n1"}), act(0.05, op::StarveStart{"n2", 0.5, 0.04})},
                   2));
    check_envelope(r.hist);
    CHECK(r.sup.signals_of("n1") == std::vector<int>{SIGSTOP, SIGCONT, SIGTERM});
    auto n2 = r.sup.signals_of("n2");
    REQUIRE(n2.size() >= 3);
    CHECK(n2[0] == SIGSTOP);
    CHECK(n2[n2.size() - 2] == SIGCONT);
    CHECK(n2.back() == SIGTERM);
    // The duty cycle alternates; the release at the end resumes it whatever its phase.
    for (size_t i = 1; i + 2 < n2.size(); ++i) CHECK(n2[i] == (i % 2 ? SIGCONT : SIGSTOP));
    CHECK(r.actions("node_error").empty());
    CHECK(r.one("node_exit", "n1")["status"] == 0);
    CHECK(r.one("node_exit", "n2")["status"] == 0);
    json starve = r.one("starve_start", "n2");
    CHECK(starve["method"] == "duty_cycle");
    CHECK(starve["share"] == 0.5);
    CHECK(starve["period"] == 0.04);
}

TEST_CASE("starve_stop ends the duty cycle with the node running") {
    Rig r;
    r.run(scenario(
        0.35, {act(0.05, op::StarveStart{"n1", 0.5, 0.02}), act(0.15, op::StarveStop{"n1"})}, 1));
    check_envelope(r.hist);
    CHECK(r.story("n1") ==
          Story{"node_start n1", "starve_start n1", "starve_stop n1", "node_exit n1"});
    double stopped_at = r.one("starve_stop", "n1")["t"];
    int stops = 0, conts = 0;
    for (const auto& s : r.sup.signals) {
        if (s.sig == SIGSTOP) {
            ++stops;
            CHECK(s.t <= stopped_at + 1e-6);
        }
        conts += s.sig == SIGCONT;
    }
    CHECK(stops >= 1);
    CHECK(conts >= stops);  // every stop was followed by a resume
    auto sigs = r.sup.signals_of("n1");
    CHECK(sigs.back() == SIGTERM);
    CHECK(sigs[sigs.size() - 2] == SIGCONT);
}

TEST_CASE("network faults are bracketed by read-backs of what is in force") {
    Rig r;
    op::Partition isolate;
    isolate.split = "isolate";
    isolate.node = "n1";
    isolate.grudge = {{"n1", {"n2", "n3"}}, {"n2", {"n1"}}, {"n3", {"n1"}}};
    Links n1_n2;
    n1_n2.kind = Links::Kind::pairs;
    n1_n2.pairs = {{"n1", "n2"}};
    json shape = {{"delay_ms", 5}};
    // What the history must say of them.
    const json grudge = {{"n1", {"n2", "n3"}}, {"n2", {"n1"}}, {"n3", {"n1"}}};
    const json links = json::array({json::array({"n1", "n2"})});
    Scenario sc = scenario(
        0.35, {act(0.05, isolate), act(0.1, op::Shape{n1_n2, netem::shape_from_json(shape)}),
               act(0.15, op::Heal{}), act(0.2, op::Clear{Links{}})});
    sc.baseline_shape = netem::shape_from_json({{"delay_ms", 1}});
    r.run(sc);
    check_envelope(r.hist);
    Story net;
    for (const auto& s : r.story())
        if (s.rfind("node_", 0) != 0) net.push_back(s);
    // The baseline shape is a network fault too: the partition closes its interval.
    CHECK(net == Story{"run_start", "shape", "observe", "observe", "partition n1", "observe",
                       "observe", "shape", "observe", "observe", "heal", "observe", "observe",
                       "clear", "observe", "observe", "run_end"});
    std::vector<std::string> when;
    for (const auto& o : r.actions("observe")) {
        when.push_back(o["when"]);
        CHECK(!o.contains("planned"));
    }
    CHECK(when == std::vector<std::string>{"after", "before", "after", "before", "after", "before",
                                           "after", "before", "after", "before"});
    CHECK(r.actions("observe").back()["links"] == json::array({{{"reads", 10}}}));
    // The last read-back closes the interval as the run ends, before the nodes are stopped.
    auto all = r.story();
    auto last_observe = std::find(all.rbegin(), all.rend(), "observe").base() - 1;
    CHECK(last_observe < std::find(all.begin(), all.end(), "node_exit n1"));
    CHECK(r.sup.signals.front().t >= r.actions("observe").back()["t"].get<double>() - 1e-6);

    auto shapes = r.actions("shape");
    REQUIRE(shapes.size() == 2);
    CHECK(shapes[0] == json({{"t", shapes[0]["t"]},
                             {"kind", "action"},
                             {"action", "shape"},
                             {"planned", 0.0},
                             {"links", "all"},
                             {"shape", full_shape({{"delay_ms", 1}})},
                             {"baseline", true}}));
    CHECK(shapes[1]["links"] == links);
    CHECK(shapes[1]["shape"] == full_shape(shape));
    CHECK(shapes[1]["planned"] == 0.1);
    json p = r.one("partition");
    CHECK(p["grudge"] == grudge);
    CHECK(p["split"] == "isolate");
    CHECK(p["planned"] == 0.05);
    CHECK(r.one("clear")["links"] == "all");
    CHECK(r.net.calls == std::vector<std::string>{"shape", "grudge", "shape", "heal", "clear"});
    CHECK(r.net.last_grudge == grudge);
}

TEST_CASE("a fault the network cannot apply is an error line, and the run goes on") {
    op::Partition halves;
    halves.split = "halves";
    Rig r;
    r.net.refuse_partitions = true;
    r.run(
        scenario(0.3, {act(0.05, halves), act(0.1, op::Kill{"n9"}), act(0.15, op::Kill{"n2"})}, 2));
    check_envelope(r.hist);
    auto errors = r.actions("error");
    REQUIRE(errors.size() == 2);
    CHECK(errors[0]["op"] == "partition");
    CHECK(errors[0]["message"] == "no partitions here");
    CHECK(errors[0]["planned"] == 0.05);
    CHECK(errors[1]["op"] == "kill");
    CHECK(errors[1]["planned"] == 0.1);
    CHECK(r.actions("partition").empty());
    CHECK(r.actions("observe").empty());  // no network fault was applied
    CHECK(r.one("kill", "n2")["was_running"] == true);
    CHECK(r.hist.back()["reason"] == "duration");
}

TEST_CASE("node output becomes events, malformed lines and flood errors") {
    Rig r;
    r.at(0.05, [&] {
        r.sup.print("n1", R"({"type":"member","member":"n2","state":"alive","incarnation":0})");
        r.sup.print("n1", "not json {");
        r.sup.print("n1", "[1,2]");
        r.sup.print("n1", R"({"ts":1})");
        r.sup.print("n1", R"({"type":3})");
        r.sup.print("n2", R"({"type":"rum)", true);
        r.sup.flood("n2", 42);
    });
    r.run(scenario(0.2, {}, 2));
    check_envelope(r.hist);
    CHECK(r.story("n1") == Story{"node_start n1", "event n1", "malformed n1", "malformed n1",
                                 "malformed n1", "malformed n1", "node_exit n1"});
    std::vector<json> ev, bad;
    for (const auto& l : r.hist) {
        if (l["kind"] == "event") ev.push_back(l);
        if (l["kind"] == "malformed") bad.push_back(l);
    }
    REQUIRE(ev.size() == 1);
    CHECK(ev[0]["event"] ==
          json({{"type", "member"}, {"member", "n2"}, {"state", "alive"}, {"incarnation", 0}}));
    CHECK(ev[0].size() == 4);  // t, kind, node, event
    REQUIRE(bad.size() == 5);
    std::vector<std::string> why;
    for (const auto& b : bad) why.push_back(b["why"]);
    CHECK(why == std::vector<std::string>{"not JSON", "not a JSON object", "no string 'type'",
                                          "no string 'type'", "line longer than 64 KiB"});
    CHECK(bad[0]["raw"] == "not json {");
    CHECK(bad[4]["node"] == "n2");
    json flood = r.one("node_error", "n2");
    CHECK(flood["message"] == "flooding stdout");
    CHECK(flood["dropped_lines"] == 42);
    CHECK(r.hist.back()["malformed_lines"] == 5);
}

TEST_CASE("restart kills the node now and starts it again with a new seed") {
    Rig r;
    r.run(scenario(0.3, {act(0.1, op::Restart{"n2"})}, 2));
    check_envelope(r.hist);
    CHECK(r.story("n2") ==
          Story{"node_start n2", "restart n2", "node_exit n2", "node_start n2", "node_exit n2"});
    auto starts = r.actions("node_start");
    REQUIRE(starts.size() == 3);
    json first = starts[1], again = starts[2];
    CHECK(first["restart"] == false);
    CHECK(again["restart"] == true);
    CHECK(again["planned"] == 0.1);
    CHECK(again["pid"] != first["pid"]);
    auto exits = r.actions("node_exit");
    CHECK(exits[0]["pid"] == first["pid"]);
    CHECK(exits[0]["signal"] == "SIGKILL");
    CHECK(exits[0]["expected"] == true);
    // The node's RNG seed differs between its lives; the rest of its command does not.
    REQUIRE(r.sup.argvs["n2"].size() == 2);
    auto a0 = r.sup.argvs["n2"][0], a1 = r.sup.argvs["n2"][1];
    CHECK(a0.back() != a1.back());
    a0.pop_back();
    a1.pop_back();
    CHECK(a0 == a1);
    CHECK(r.actions("node_error").empty());
}

TEST_CASE("a reset restart adds the manifest's reset_incarnation; without one it is a node_error") {
    Rig r;
    r.m.reset_incarnation = std::vector<std::string>{"--incarnation", "0", "--for", "{id}"};
    r.run(scenario(0.3, {act(0.1, op::Restart{"n2", true})}, 2));
    check_envelope(r.hist);
    CHECK(r.one("restart")["reset_incarnation"] == true);
    REQUIRE(r.sup.argvs["n2"].size() == 2);
    auto a0 = r.sup.argvs["n2"][0], a1 = r.sup.argvs["n2"][1];
    REQUIRE(a1.size() == a0.size() + 4);
    CHECK(std::vector<std::string>(a1.end() - 4, a1.end()) ==
          std::vector<std::string>{"--incarnation", "0", "--for", "n2"});

    Rig none;  // fake_manifest() has no reset_incarnation
    none.run(scenario(0.3, {act(0.1, op::Restart{"n2", true})}, 2));
    auto errors = none.actions("node_error");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0]["node"] == "n2");
    CHECK_THAT(errors[0]["message"].get<std::string>(),
               Catch::Contains("the manifest has no \"reset_incarnation\""));
}

TEST_CASE("a swizzle-clog's steps are clog and unclog actions, bracketed by read-backs") {
    Rig r;
    netem::Grudge g = {{"n1", {"n2", "n3"}}, {"n2", {"n1"}}, {"n3", {"n1"}}};
    Scenario sc = scenario(0.35, {act(0.05, op::Clog{"n1", g, {"n1", "n2"}, 1, 4}),
                                  act(0.1, op::Clog{"n2", {}, {"n1", "n2"}, 2, 4}),
                                  act(0.15, op::Unclog{"n2", {"n1", "n2"}, 3, 4}),
                                  act(0.2, op::Unclog{"n1", {"n1", "n2"}, 4, 4})});
    r.run(sc);
    check_envelope(r.hist);
    CHECK(r.net.calls == std::vector<std::string>{"clog n1", "clog n2", "unclog n2", "unclog n1"});
    auto clogs = r.actions("clog");
    REQUIRE(clogs.size() == 2);
    CHECK(clogs[0]["node"] == "n1");
    CHECK(clogs[0]["grudge"] == netem::to_json(g));
    CHECK(clogs[0]["swizzle"] == json({{"subset", {"n1", "n2"}}, {"step", 1}, {"steps", 4}}));
    CHECK(clogs[0]["planned"] == 0.05);
    auto unclogs = r.actions("unclog");
    REQUIRE(unclogs.size() == 2);
    CHECK(unclogs[1]["node"] == "n1");
    CHECK(unclogs[1]["swizzle"]["step"] == 4);
    CHECK(r.actions("observe").size() >= 4);
}

TEST_CASE("leave and broadcast are commands on the node's stdin, and a leave's exit is expected") {
    Rig r;
    r.run(scenario(0.3, {act(0.05, op::Broadcast{"n1", "r1", "x"}), act(0.1, op::Leave{"n2"})}, 2));
    check_envelope(r.hist);
    CHECK(r.sup.sent["n1"] ==
          std::vector<std::string>{R"({"cmd":"broadcast","payload":"x","rumor":"r1"})"});
    CHECK(r.sup.sent["n2"] == std::vector<std::string>{R"({"cmd":"leave"})"});
    json b = r.one("broadcast", "n1");
    CHECK(b["rumor"] == "r1");
    CHECK(b["payload"] == "x");
    CHECK(b["planned"] == 0.05);
    CHECK(r.story("n2") == Story{"node_start n2", "leave n2", "node_exit n2"});
    CHECK(r.one("node_exit", "n2")["expected"] == true);
    CHECK(r.actions("node_error").empty());
}

TEST_CASE("a node that cannot start, or is started twice, gets a node_error") {
    Rig r;
    r.sup.cannot_start = {"n2"};
    r.run(scenario(0.2, {act(0.05, op::Start{"n1"})}, 2));
    check_envelope(r.hist);
    CHECK(r.story("n2") == Story{"node_error n2"});
    CHECK(r.one("node_error", "n2")["message"] == "failed to start /fake/node: No such file");
    CHECK(r.story("n1") == Story{"node_start n1", "node_error n1", "node_exit n1"});
    json twice = r.one("node_error", "n1");
    CHECK(twice["message"] == "start requested but the node is running");
    CHECK(twice["planned"] == 0.05);
    CHECK(r.hist.back()["reason"] == "duration");
}

TEST_CASE("the progress line") {
    CHECK(progress_line("crash-detect", 16, {3.3, 2, 3, ""}) ==
          "crash-detect    3.3/16 s  nodes up 2/3  faults: none");
    CHECK(progress_line("x", 9.6, {12.04, 8, 8, " partition paused:n2 starved:n3"}) ==
          "x   12.0/10 s  nodes up 8/8  faults: partition paused:n2 starved:n3");
}

TEST_CASE("a recorded action's envelope cannot be overwritten by its fields") {
    fs::path f = fs::temp_directory_path() / ("gossiplab-recorder-" + std::to_string(::getpid()));
    RunClock clock;
    {
        Recorder rec(clock);
        rec.open(f);
        rec.action(ActionType::kill, 1.5,
                   {{"t", 99}, {"kind", "x"}, {"action", "y"}, {"planned", 7}, {"node", "n1"}});
        rec.action(ActionType::heal, -1, json::array({1}));
        rec.flush();
    }
    std::ifstream in(f);
    std::string a, b;
    std::getline(in, a);
    std::getline(in, b);
    fs::remove(f);
    json ja = json::parse(a), jb = json::parse(b);
    CHECK(ja["kind"] == "action");
    CHECK(ja["action"] == "kill");
    CHECK(ja["planned"] == 1.5);
    CHECK(ja["node"] == "n1");
    CHECK(ja["t"].get<double>() < 99);
    CHECK(jb == json({{"t", jb["t"]}, {"kind", "action"}, {"action", "heal"}}));
}

TEST_CASE(
    "{scratch} is a directory per node under the run, kept across restarts, gone at the end") {
    Rig r;
    r.m.command = {"/fake/node", "--id", "{id}", "--data", "{scratch}"};
    bool existed = false, kept = false;
    const fs::path n2 = fs::absolute(r.dir) / "scratch" / "n2";
    // A file the node's first life leaves in its scratch directory (a crash cannot clean up).
    r.at(0.05, [&] {
        existed = fs::is_directory(n2);
        std::ofstream(n2 / "state") << "first life";
    });
    r.at(0.2, [&] { kept = fs::exists(n2 / "state"); });
    r.run(scenario(0.3, {act(0.1, op::Restart{"n2"})}, 2));
    REQUIRE(r.sup.argvs["n2"].size() == 2);
    CHECK(r.sup.argvs["n2"][0].back() == n2.string());
    CHECK(r.sup.argvs["n2"][1].back() == n2.string());
    CHECK(r.sup.argvs["n1"][0].back() == (fs::absolute(r.dir) / "scratch" / "n1").string());
    CHECK(existed);
    CHECK(kept);
    CHECK(fs::exists(r.dir / "history.jsonl"));
    CHECK_FALSE(fs::exists(r.dir / "scratch"));
}

TEST_CASE("without {scratch} in the command no scratch area is made") {
    Rig r;
    r.run(scenario(0.1, {}, 2));
    CHECK(fs::exists(r.dir / "history.jsonl"));
    CHECK_FALSE(fs::exists(r.dir / "scratch"));
}

TEST_CASE("the controller samples how late the lab ran once a second, and once at the end") {
    Rig r;
    r.run(scenario(1.3, {act(0.1, op::Kill{"n3"})}));
    check_envelope(r.hist);
    const std::vector<json> load = r.actions("load");
    REQUIRE(load.size() == 2);  // at t = 1 and when the run ends at 1.3
    CHECK(load[0]["t"].get<double>() >= 1.0);
    CHECK(load[0]["interval"].get<double>() >= 1.0);
    CHECK(load[1]["interval"].get<double>() < 0.6);
    for (const json& l : load) {
        INFO(l.dump());
        CHECK_FALSE(l.contains("planned"));
        CHECK(l["engine_lag"] == 0.007);  // the network's, passed through
        CHECK(l["controller_lag"].get<double>() >= 0);
        CHECK(l["node_wait"].is_object());
        CHECK(l["node_wait_max"].is_number());
        CHECK(l.contains("cpu_pressure"));
    }
    // The last sample closes the run before the nodes are stopped.
    const auto first_exit = std::find_if(r.hist.begin(), r.hist.end(), [](const json& l) {
        return l.value("action", "") == "node_exit" && l.value("node", "") != "n3";
    });
    REQUIRE(first_exit != r.hist.end());
    CHECK(load[1]["t"].get<double>() <= (*first_exit)["t"].get<double>());
}
