// Property: relabelling node ids and shifting every time by a constant changes no verdict.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

// A mixed run: joins, a kill, a restart, a leave, a short pause, a long partition with a heal,
// a rumor, counters, plus a few faults for the checkers to find.
HB mixed(bool faulty) {
    HB b = cluster(5);
    auto ids = names(5);
    b.at(3).broadcast("n1", "r1").rumor("n1", "r1", "n1");
    b.at(3.2).rumor("n2", "r1", "n1").rumor("n3", "r1", "n1").rumor("n4", "r1", "n1");
    if (!faulty) b.rumor("n5", "r1", "n1");
    b.at(6).pause("n5");
    b.at(7).member("n1", "n5", "suspect", 0);
    b.at(8).resume("n5");
    b.at(8.5).member("n1", "n5", "alive", 1);
    b.at(10).kill("n4");
    b.at(12).mesh({"n1", "n2", "n3", "n5"}, {"n4"}, "dead");
    b.at(15).restart("n3");
    b.at(16).mesh({"n3"}, {"n1", "n2", "n5"}, "alive", 0);
    b.mesh({"n1", "n2"}, {"n3"}, "alive", 1);
    if (!faulty) b.member("n5", "n3", "alive", 1);
    b.at(20).split({"n1", "n2"}, {"n3", "n5"});
    b.at(50)
        .mesh({"n1", "n2"}, {"n3", "n5"}, "dead", 1)
        .mesh({"n3", "n5"}, {"n1", "n2"}, "dead", 1);
    b.at(60).heal();
    b.at(62).mesh({"n1", "n2", "n3", "n5"}, {"n1", "n2", "n3", "n5"}, "alive", 2);
    b.at(80).leave("n2");
    b.at(81).mesh({"n1", "n3", "n5"}, {"n2"}, "left", 2);
    for (const char* n : {"n1", "n3", "n5"}) b.at(90).counters(n, 500, 50000);
    if (faulty) b.at(95).member("n3", "n1", "dead", 2);  // long after every fault: false
    b.at(100).end();
    return b;
}

}  // namespace

TEST_CASE("relabelling ids and shifting time leaves every verdict unchanged") {
    std::map<std::string, std::string> relabel{
        {"n1", "zeta"}, {"n2", "n-7"}, {"n3", "alpha"}, {"n4", "n1"}, {"n5", "q.q"}};
    for (bool faulty : {false, true}) {
        HB b = mixed(faulty);
        History base = b.history();
        for (double shift : {0.0, 1234.5, -0.25}) {
            History moved = b.history(relabel, shift);
            for (const auto& name : check_names()) {
                CheckResult x = check(name, base), y = check(name, moved);
                INFO(name << " faulty=" << faulty << " shift=" << shift << "\n"
                          << x.to_json().dump() << "\n"
                          << y.to_json().dump());
                CHECK(x.verdict == y.verdict);
                CHECK(x.evidence.size() == y.evidence.size());
            }
        }
    }
}

TEST_CASE("the mixed run passes clean and fails with its faults") {
    std::map<std::string, Verdict> expect_faulty{{"dissemination", Verdict::Fail},
                                                 {"accuracy", Verdict::Fail},
                                                 {"membership_convergence", Verdict::Fail}};
    for (const auto& name : check_names()) {
        // The mixed run's faults have no lab read-back (faults_landed_test has its own runs).
        if (name == "faults_landed") continue;
        // Nor hostile input (input_validation_test has its own).
        if (name == "input_validation") continue;
        CheckResult clean = check(name, mixed(false).history());
        INFO(name << ": " << clean.to_json().dump(1));
        CHECK(clean.verdict == Verdict::Pass);
        CheckResult bad = check(name, mixed(true).history());
        INFO(bad.to_json().dump(1));
        if (expect_faulty.count(name)) CHECK(bad.verdict == expect_faulty[name]);
    }
}
