// message_load and load_flatness: per-node rates from counters, bounds, restarts, across runs.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

TEST_CASE("message_load measures packets per node per second") {
    HB b = cluster();  // n1 starts at 0, n2 at 0.1, n3 at 0.2
    b.at(10.0).counters("n1", 100, 10000);
    b.at(10.1).counters("n2", 100, 10000);
    b.at(10.2).counters("n3", 200, 20000);
    uint32_t hot = uint32_t(b.line());
    b.at(11).end();
    CheckResult r = check("message_load", b.history());
    INFO(r.to_json().dump(1));
    CHECK(r.verdict == Verdict::Pass);
    CHECK(r.metrics["per_node"]["n1"]["pkts_sent_per_s"].get<double>() == Approx(10));
    CHECK(r.metrics["per_node"]["n3"]["bytes_sent_per_s"].get<double>() == Approx(2000));
    CHECK(r.metrics["mean_pkts_sent_per_s"].get<double>() == Approx(40.0 / 3));
    // Bytes per member per second beside packets: n1 1000 B/s, n2 1000, n3 2000.
    CHECK(r.metrics["mean_bytes_sent_per_s"].get<double>() == Approx(4000.0 / 3));
    CHECK(r.metrics["max_bytes_sent_per_s"].get<double>() == Approx(2000));
    CHECK(r.bound["value"].get<double>() == Approx(46));

    CheckResult f = check("message_load", b.history(), {{"bound", 15}});
    CHECK(f.verdict == Verdict::Fail);
    CHECK(has_evidence(f, "n3", hot, "n3 sent 20 packets/s"));
    CheckResult i = check("message_load", b.history(), {{"max_imbalance", 1.2}});
    CHECK(i.verdict == Verdict::Fail);
    CHECK(i.reason.find("imbalance 1.5") != std::string::npos);
}

TEST_CASE("message_load restarts the count with each process") {
    HB b = cluster();
    b.at(10).counters("n1", 100, 0);
    b.at(10).restart("n1");
    b.at(20).counters("n1", 100, 0);
    b.at(21).end();
    CheckResult r = check("message_load", b.history());
    CHECK(r.metrics["per_node"]["n1"]["pkts_sent_per_s"].get<double>() == Approx(10));
}

TEST_CASE("message_load from a time measures the steady state after a burst") {
    HB b = cluster();
    b.at(2).counters("n1", 500, 0);  // a join burst: 250 packets/s
    b.at(5).counters("n1", 530, 0);
    b.at(15).counters("n1", 630, 0);  // then 10 packets/s
    b.at(16).end();
    CheckResult all = check("message_load", b.history());
    CHECK(all.metrics["per_node"]["n1"]["pkts_sent_per_s"].get<double>() == Approx(42));
    CheckResult steady = check("message_load", b.history(), {{"from", 4}});
    CHECK(steady.metrics["per_node"]["n1"]["pkts_sent_per_s"].get<double>() == Approx(10));
    CHECK(steady.metrics["per_node"]["n1"]["seconds"].get<double>() == Approx(10));
}

TEST_CASE("message_load reads a process's rate on its own clock when its lines arrive in a burst") {
    // n1's samples were taken 1 s apart on its clock (ts) but reached the controller within
    // 20 us (a loaded machine): 20 packets in 2 s, not in 20 us.
    HB b = cluster();
    for (int i = 0; i < 3; ++i)
        b.at(13.90571 + 1e-5 * i)
            .event("n1", {{"type", "counters"},
                          {"ts", 1700000011.0 + i},
                          {"pkts_sent", 200 + 10 * i},
                          {"pkts_recv", 0},
                          {"bytes_sent", 0},
                          {"bytes_recv", 0},
                          {"bad_pkts", 0}});
    b.at(16).end();
    CheckResult r = check("message_load", b.history(), {{"from", 13}});
    INFO(r.to_json().dump(1));
    CHECK(r.metrics["per_node"]["n1"]["pkts_sent_per_s"].get<double>() == Approx(10));
    CHECK(r.metrics["per_node"]["n1"]["seconds"].get<double>() == Approx(2));
}

TEST_CASE("message_load reports the detector's share where every node counts it") {
    auto sample = [](HB& b, const std::string& node, double pkts, double bytes, double det_bytes) {
        b.event(node, {{"type", "counters"},
                       {"pkts_sent", pkts},
                       {"pkts_recv", 0},
                       {"bytes_sent", bytes},
                       {"bytes_recv", 0},
                       {"bad_pkts", 0},
                       {"detector_pkts_sent", pkts / 2},
                       {"detector_bytes_sent", det_bytes}});
    };
    HB b = cluster();
    // From 4 s on: n1 sent 300 detector bytes in 10 s (30 B/s), n2 500 (50 B/s), n3 400.
    for (const char* n : {"n1", "n2", "n3"}) sample(b.at(4), n, 10, 1000, 100);
    sample(b.at(14), "n1", 110, 11000, 400);
    sample(b.at(14), "n2", 110, 11000, 600);
    sample(b.at(14), "n3", 110, 11000, 500);
    b.at(15).end();
    CheckResult r = check("message_load", b.history(), {{"from", 4}});
    INFO(r.to_json().dump(1));
    CHECK(r.metrics["mean_detector_bytes_sent_per_s"].get<double>() == Approx(40));
    CHECK(r.metrics["mean_detector_pkts_sent_per_s"].get<double>() == Approx(5));
    CHECK(r.metrics["per_node"]["n2"]["detector_bytes_sent_per_s"].get<double>() == Approx(50));
    CHECK(r.metrics["mean_bytes_sent_per_s"].get<double>() == Approx(1000));

    // One node without the fields: the mean is not claimed.
    HB c = cluster();
    sample(c.at(4), "n1", 10, 1000, 100);
    sample(c.at(14), "n1", 110, 11000, 400);
    c.at(4).counters("n2", 10, 1000);
    c.at(14).counters("n2", 110, 11000);
    c.at(15).end();
    CheckResult u = check("message_load", c.history(), {{"from", 4}});
    CHECK(u.metrics["mean_detector_bytes_sent_per_s"].is_null());
    CHECK(u.metrics["per_node"]["n1"]["detector_bytes_sent_per_s"].get<double>() == Approx(30));
    CHECK_FALSE(u.metrics["per_node"]["n2"].contains("detector_bytes_sent_per_s"));
}

TEST_CASE("message_load is unknown without counters") {
    HB b = cluster();
    b.at(10).end();
    CHECK(check("message_load", b.history()).verdict == Verdict::Unknown);
    b.at(10).counters("n1", 1, 1);
    CheckResult r = check("message_load", b.history(), json::object(), {"rumors"});
    CHECK(r.verdict == Verdict::Unknown);
    CHECK(r.reason.find("counters") != std::string::npos);
}

TEST_CASE("load_flatness compares per-member load across cluster sizes") {
    auto run = [](double n, double rate) {
        return json{{"check", "message_load"},
                    {"metrics", {{"N", n}, {"mean_pkts_sent_per_s", rate}}}};
    };
    CHECK(load_flatness({run(5, 10), run(50, 11), run(200, 10.5)}, 0.25).verdict == Verdict::Pass);
    CheckResult f = load_flatness({run(5, 10), run(200, 30)}, 0.25);
    CHECK(f.verdict == Verdict::Fail);
    CHECK(f.measured.get<double>() == Approx(2));
    CHECK(load_flatness({run(5, 10)}, 0.25).verdict == Verdict::Unknown);
}
