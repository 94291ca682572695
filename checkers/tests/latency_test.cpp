// latency on hand-made histories: time-to-all percentiles against bounds, rumors that never
// reach everyone, and messages per broadcast while the rumors spread.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

struct Lines {
    uint32_t slow_delivery = 0, r1_broadcast = 0, r3_broadcast = 0, r2_last = 0, n1_sample = 0;
};

// Three rumors from n1 at 5.0, 5.1, 5.2 s reaching n2 and n3; every one reaches everyone after
// 0.2, 0.3 and `last` s. Counters: 100 packets per node at 5.0 s, 130 at 5.6 s, 200 at 10 s.
// `repeat`: n1 broadcasts r1 once more at 12 s and refuses it, naming the rumor.
HB three_rumors(double last = 0.4, Lines* lines = nullptr, bool third_reaches_n3 = true,
                bool repeat = false) {
    HB b = cluster();
    b.at(5.0).counters("n1", 100, 1).counters("n2", 100, 1).counters("n3", 100, 1);
    b.broadcast("n1", "r1");
    if (lines) lines->r1_broadcast = uint32_t(b.line());
    b.rumor("n1", "r1", "n1");
    b.at(5.1).rumor("n2", "r1", "n1").broadcast("n1", "r2").rumor("n1", "r2", "n1");
    b.at(5.2).rumor("n3", "r1", "n1").rumor("n2", "r2", "n1").broadcast("n1", "r3");
    if (lines) lines->r3_broadcast = uint32_t(b.line());
    b.rumor("n1", "r3", "n1");
    b.at(5.3).rumor("n2", "r3", "n1");
    b.at(5.4).rumor("n3", "r2", "n1");
    if (lines) lines->r2_last = uint32_t(b.line());
    b.at(5.6).counters("n1", 130, 1);
    if (lines) lines->n1_sample = uint32_t(b.line());
    b.counters("n2", 130, 1).counters("n3", 130, 1);
    if (third_reaches_n3) {
        b.at(5.2 + last).rumor("n3", "r3", "n1");
        if (lines) lines->slow_delivery = uint32_t(b.line());
    }
    b.at(10).counters("n1", 200, 1).counters("n2", 200, 1).counters("n3", 200, 1);
    if (repeat) {
        b.at(12).broadcast("n1", "r1");
        b.at(12.001).event("n1", {{"type", "error"}, {"message", "broadcast: rumor 'r1' again"}});
    }
    b.at(20).end();
    return b;
}

}  // namespace

TEST_CASE("latency reports median, p99 and max of time to all, and messages per broadcast") {
    CheckResult r = check("latency", three_rumors().history(),
                          {{"median", 0.35},
                           {"p99", 0.45},
                           {"bound", 0.5},
                           {"max_msgs_per_rumor", 31},
                           {"max_packets_per_rumor", 200}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["count"] == 3);
    CHECK(r.metrics["median"].get<double>() == Approx(0.3));
    CHECK(r.metrics["p99"].get<double>() == Approx(0.4));
    CHECK(r.metrics["max"].get<double>() == Approx(0.4));
    CHECK(r.metrics["median_bound"]["value"] == 0.35);
    CHECK(r.measured.get<double>() == Approx(0.4));
    CHECK(r.bound["value"] == 0.5);
    // Window 5.0 .. 5.6 s: 30 packets per node, 90 in all, for 3 broadcasts; the whole run:
    // 600 packets.
    CHECK(r.metrics["window"]["from"] == 5.0);
    CHECK(r.metrics["window"]["to"].get<double>() == Approx(5.6));
    CHECK(r.metrics["window_packets"].get<double>() == Approx(90));
    CHECK(r.metrics["msgs_per_rumor"].get<double>() == Approx(30));
    CHECK(r.metrics["packets_per_rumor"].get<double>() == Approx(200));
    CHECK(r.metrics["rumors"][2]["time_to_all"].get<double>() == Approx(0.4));
    CHECK(r.metrics["rumors"][2]["last"] == "n3");
    CHECK(r.reason.find("median 0.3 s, p99 0.4 s, max 0.4 s") != std::string::npos);
}

TEST_CASE("latency fails on a slow rumor, naming its last delivery") {
    Lines l;
    HB b = three_rumors(0.9, &l);
    CheckResult r = check("latency", b.history(), {{"bound", 0.6}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("slowest time to all 0.9 s (bound 0.6 s)") == 0);
    CHECK(has_evidence(r, "n3", l.slow_delivery,
                       "rumor r3 from n1 at 5.2 s: every target had it "
                       "after 0.9 s (last: n3)"));
    // The same history against a median bound only it meets, and one it misses.
    CHECK(check("latency", b.history(), {{"bound", 1}, {"median", 0.31}}).verdict == Verdict::Pass);
    CheckResult m = check("latency", b.history(), {{"bound", 1}, {"median", 0.25}});
    CHECK(m.verdict == Verdict::Fail);
    CHECK(m.reason.find("median time to all 0.3 s (bound 0.25 s, 2 of 3 rumors)") == 0);
    CHECK(has_evidence(m, "n3", l.r2_last, "median rumor: rumor r2"));
    CheckResult p = check("latency", b.history(), {{"bound", 1}, {"p99", 0.5}});
    CHECK(p.verdict == Verdict::Fail);
    CHECK(p.reason.find("p99 time to all 0.9 s") == 0);
}

TEST_CASE("latency fails on a rumor that never reaches a target") {
    Lines l;
    CheckResult r = check("latency", three_rumors(0.4, &l, false).history(), {{"bound", 1}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("slowest time to all never") == 0);
    CHECK(r.metrics["max"].is_null());
    CHECK(r.metrics["rumors"][2]["time_to_all"].is_null());
    CHECK(has_evidence(r, "n3", l.r3_broadcast, "rumor r3 from n1 at 5.2 s: n3 never got it"));
}

TEST_CASE("latency fails when the nodes send too many messages per broadcast") {
    Lines l;
    HB b = three_rumors(0.4, &l);
    CheckResult r = check("latency", b.history(), {{"bound", 1}, {"max_msgs_per_rumor", 20}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Fail);
    CHECK(r.reason.find("30 messages between nodes per broadcast") == 0);
    // Its ref is n1's counters sample at the window's end (5.6 s, or the next one when the
    // window ends a rounding error after it).
    REQUIRE(r.evidence.size() == 1);
    CHECK(r.evidence[0]["node"] == "n1");
    CHECK(r.evidence[0]["what"] == "n1 sent the most packets between 5 and 5.6 s");
    CHECK(r.evidence[0]["ref"].get<uint32_t>() >= l.n1_sample);
    CheckResult all = check("latency", b.history(), {{"bound", 1}, {"max_packets_per_rumor", 150}});
    CHECK(all.verdict == Verdict::Fail);
    CHECK(all.reason.find("200 packets per broadcast over the whole run") == 0);
}

TEST_CASE("latency is unknown without rumors, broadcasts or counters") {
    CHECK(check("latency", three_rumors().history(), json::object(), {"counters"}).verdict ==
          Verdict::Unknown);
    HB none = cluster();
    none.at(20).end();
    CheckResult n = check("latency", none.history());
    CHECK(n.verdict == Verdict::Unknown);
    CHECK(n.reason.find("no broadcast") != std::string::npos);
    CheckResult c =
        check("latency", three_rumors().history(), {{"max_msgs_per_rumor", 20}}, {"rumors"});
    CHECK(c.verdict == Verdict::Unknown);
    CHECK(c.metrics["msgs_per_rumor"].is_null());
}

TEST_CASE("latency leaves a repeated broadcast out: it is a refused command, not a rumor") {
    CheckResult r =
        check("latency", three_rumors(0.4, nullptr, true, true).history(), {{"bound", 0.5}});
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["count"] == 3);
}
