// run_health: the controller's node_error/error actions and the nodes' malformed lines fail it,
// each with its line; a run without them passes.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

TEST_CASE("a run without node errors or malformed lines is healthy") {
    HB b = cluster();
    b.at(2).kill("n3").at(3).crash("n2").at(10).end();  // faults and crashes are not its concern
    CheckResult r = check("run_health", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.reason == "every node started, behaved and stopped as the scenario asked");
    CHECK(r.measured == 0);
    json m = r.metrics;
    m.erase("load");
    CHECK(m == json{{"problems", 0}, {"lines", 17}, {"interrupted", false}});
    CHECK(r.metrics["load"]["samples"] == 0);  // no load samples: nothing starved
    CHECK(r.metrics["load"]["starved"] == 0);
    CHECK(r.evidence.empty());
    CHECK(r.bound.is_null());
}

TEST_CASE("a node_error fails the run with the node and its message") {
    HB b = cluster();
    b.at(4).action("node_error", {{"node", "n2"}, {"message", "exited unexpectedly"}});
    const uint32_t line = uint32_t(b.line());
    b.at(10).end();
    CheckResult r = check("run_health", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason == "1 problem(s) with the nodes; first: n2: exited unexpectedly");
    CHECK(r.measured == 1);
    CHECK(r.metrics["problems"] == 1);
    REQUIRE(r.evidence.size() == 1);
    CHECK(r.evidence[0] ==
          json{{"t", 4.0}, {"node", "n2"}, {"what", "exited unexpectedly"}, {"ref", line}});
}

TEST_CASE("a malformed line fails the run with the reason the controller gave") {
    HB b = cluster();
    b.at(3).raw(R"({"t":3,"kind":"malformed","node":"n1","raw":"garbage","why":"not JSON"})");
    const uint32_t line = uint32_t(b.line());
    b.at(4).raw(R"({"t":4,"kind":"malformed","node":"n3","raw":"x"})");  // no why
    b.at(10).end();
    CheckResult r = check("run_health", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason ==
          "2 problem(s) with the nodes; first: n1: printed a malformed line (not JSON)");
    REQUIRE(r.evidence.size() == 2);
    CHECK(has_evidence(r, "n1", line, "printed a malformed line (not JSON)"));
    CHECK(has_evidence(r, "n3", line + 1, "printed a malformed line (?)"));
}

TEST_CASE("the controller's own error action fails the run without a node") {
    HB b = cluster();
    b.at(5).action("error", {{"op", "partition"}, {"message", "tc: no such device"}});
    const uint32_t error_line = uint32_t(b.line());
    b.at(6).action("error", {{"op", "heal"}});  // no message
    b.at(7).raw(R"({"t":7,"kind":"malformed","node":"n2","raw":"{","why":"not JSON"})");
    b.at(8).action("node_error", {{"node", "n1"}, {"message", "cannot start"}});
    b.at(9).action("interrupted",
                   {{"signal", "SIGINT"}});  // an interrupt is no node problem, but no pass
    CheckResult r = check("run_health", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason ==
          "4 problem(s) with the nodes; first: tc: no such device; and the run was interrupted "
          "(SIGINT) at t = 9.000 s; it proves nothing past that");
    CHECK(r.measured == 4);
    // In line order across actions and malformed lines.
    REQUIRE(r.evidence.size() == 4);
    CHECK(r.evidence[0] ==
          json{{"t", 5.0}, {"node", nullptr}, {"what", "tc: no such device"}, {"ref", error_line}});
    CHECK(r.evidence[1]["what"] == "error");
    CHECK(r.evidence[1]["ref"] == error_line + 1);
    CHECK(r.evidence[2]["node"] == "n2");
    CHECK(r.evidence[2]["ref"] == error_line + 2);
    CHECK(r.evidence[3]["node"] == "n1");
    CHECK(r.evidence[3]["ref"] == error_line + 3);
    // Evidence is capped; the count is not.
    CheckResult capped = check("run_health", b.history(), {{"max_evidence", 2}});
    CHECK(capped.evidence.size() == 2);
    CHECK(capped.metrics["problems"] == 4);
    CHECK_FALSE(capped.metrics.contains("evidence_dropped"));
}

TEST_CASE(
    "a run without run_end (the controller was killed) is at best unknown, with its last time") {
    HB b = cluster();
    b.at(2).kill("n3").at(5.25).event("n1", {{"type", "view"}, {"members", json::array()}});
    CheckResult r = check("run_health", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.reason ==
          "the run was interrupted: no run_end (the controller did not finish); the last line "
          "recorded is at t = 5.250 s (line " +
              std::to_string(b.line()) + ")");
    CHECK(r.metrics["interrupted"] == true);
    CHECK(r.metrics["last_t"] == 5.25);
    REQUIRE(r.evidence.size() == 1);
    CHECK(r.evidence[0]["ref"] == b.line());
    // With a problem as well, it fails, and says both.
    b.at(5.5).action("node_error", {{"node", "n2"}, {"message", "exited unexpectedly"}});
    CheckResult f = check("run_health", b.history());
    CHECK(f.verdict == Verdict::Fail);
    CHECK(
        f.reason.find("first: n2: exited unexpectedly; and the run was interrupted: no run_end") !=
        std::string::npos);
}

TEST_CASE("an interrupted run (SIGINT, then run_end) is no pass") {
    HB b = cluster();
    b.at(3).action("interrupted", {{"signal", "SIGTERM"}});
    const uint32_t line = uint32_t(b.line());
    b.at(3.5).action("run_end", {{"reason", "interrupted"}});
    CheckResult r = check("run_health", b.history());
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.reason ==
          "the run was interrupted (SIGTERM) at t = 3.000 s; it proves nothing past that");
    CHECK(r.evidence.at(0)["ref"] == line);
}

TEST_CASE("a node that left processes running when it exited fails the run, counted") {
    HB b = cluster();
    b.at(4).action("node_exit", {{"node", "n2"},
                                 {"pid", 7},
                                 {"expected", true},
                                 {"status", 0},
                                 {"signal", nullptr},
                                 {"left_behind", 2}});
    const uint32_t line = uint32_t(b.line());
    b.at(4.1).action("node_exit", {{"node", "n1"},
                                   {"pid", 8},
                                   {"expected", true},
                                   {"status", 0},
                                   {"signal", nullptr},
                                   {"left_behind", 0}});
    b.at(4.2).action("node_exit", {{"node", "n3"},
                                   {"pid", 9},
                                   {"expected", true},
                                   {"status", 0},
                                   {"signal", nullptr},
                                   {"left_behind", nullptr}});
    b.at(10).end();
    CheckResult r = check("run_health", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.measured == 1);
    CHECK(has_evidence(r, "n2", line, "left 2 process(es) running when it exited (killed then)"));
}

namespace {
json load_sample(double controller, json engine, json waits) {
    return {{"interval", 1.0},
            {"controller_lag", controller},
            {"engine_lag", std::move(engine)},
            {"cpu_pressure", 0.5},
            {"node_wait", std::move(waits)}};
}
}  // namespace

TEST_CASE("load samples: the ones at the limit are starved, and the worst is named with its line") {
    HB b = cluster();
    b.at(1).action("load", load_sample(0.002, 0.0, {{"n1", 0.004}}));
    b.at(2).action("load", load_sample(0.030, 0.001, {{"n2", 0.080}, {"n3", 0.020}}));
    const uint32_t worst = uint32_t(b.line());
    b.at(3).action("load", load_sample(0.060, nullptr, json::object()));
    b.at(4).action("load", load_sample(0.001, 0.049, json::object()));  // under the limit
    b.at(10).end();
    // The lan profile's probe_timeout (0.5 s) is the default limit: nothing reached it.
    CheckResult lan = check_lan("run_health", b.history());
    INFO(lan.to_json().dump(1));
    CHECK(lan.verdict == Verdict::Pass);  // starvation alone fails nothing
    CHECK(lan.metrics["load"]["samples"] == 4);
    CHECK(lan.metrics["load"]["starved"] == 0);
    CHECK(lan.metrics["load"]["limit"] == 0.5);
    CHECK(lan.metrics["load"]["worst"].is_null());
    CHECK(lan.metrics["load"]["controller_lag_max"] == 0.06);
    CHECK(lan.metrics["load"]["engine_lag_max"] == 0.049);
    CHECK(lan.metrics["load"]["node_wait_max"] == 0.08);
    CHECK(lan.metrics["load"]["node_wait_max_node"] == "n2");
    // At 50 ms (the fast profile's probe_timeout) n2's 80 ms and the controller's 60 ms reach it.
    CheckResult fast = check("run_health", b.history(), {{"starved_limit", 0.05}});
    INFO(fast.to_json().dump(1));
    CHECK(fast.verdict == Verdict::Pass);
    CHECK(fast.metrics["load"]["limit"] == 0.05);
    CHECK(fast.metrics["load"]["starved"] == 2);
    const json w = fast.metrics["load"]["worst"];
    CHECK(w["ref"] == worst);
    CHECK(w["t"] == 2.0);
    CHECK(w["what"] == "n2 waited 80 ms for a CPU in the second before t = 2.000 s (limit 50 ms)");
    CheckResult tight = check("run_health", b.history(), {{"starved_limit", 0.04}});
    CHECK(tight.metrics["load"]["starved"] == 3);
    CHECK(tight.metrics["load"]["worst"]["ref"] == worst);  // still the worst
    // The controller's lag and the engine's are named as such.
    HB c = cluster();
    c.at(1).action("load", load_sample(0.070, 0.0, {{"n1", 0.060}}));
    c.at(2).action("load", load_sample(0.0, 0.120, json::object()));
    c.at(3).end();
    CheckResult both = check("run_health", c.history(), {{"starved_limit", 0.05}});
    CHECK(both.metrics["load"]["starved"] == 2);
    CHECK(both.metrics["load"]["worst"]["what"] ==
          "the engine released held packets up to 120 ms late in the second before t = 2.000 s "
          "(limit 50 ms)");
    CheckResult ctl = check("run_health", c.history(), {{"starved_limit", 0.065}});
    CHECK(ctl.metrics["load"]["worst"]["what"] ==
          "the engine released held packets up to 120 ms late in the second before t = 2.000 s "
          "(limit 65 ms)");
    HB d = cluster();
    d.at(1).action("load", load_sample(0.070, 0.0, {{"n1", 0.060}}));
    d.at(2).end();
    CHECK(check("run_health", d.history(), {{"starved_limit", 0.05}})
              .metrics["load"]["worst"]["what"] ==
          "the controller's timers fired up to 70 ms late in the second before t = 1.000 s "
          "(limit 50 ms)");
}
