// Damaged histories: whatever the bytes, loading and checking end with a verdict, never a crash.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

namespace {

HB busy_run() {
    HB b = cluster(4);
    b.at(2).broadcast("n1", "r1").rumor("n1", "r1", "n1").rumor("n2", "r1", "n1");
    b.at(3).pause("n4").at(3.5).member("n1", "n4", "suspect", 0).at(4).resume("n4");
    b.at(4.2).member("n1", "n4", "alive", 1);
    b.at(5).split({"n1", "n2"}, {"n3", "n4"});
    b.at(9).mesh({"n1", "n2"}, {"n3", "n4"}, "dead");
    b.at(10).heal().at(11).mesh({"n1", "n2", "n3", "n4"}, {"n1", "n2", "n3", "n4"}, "alive", 2);
    b.at(12).restart("n2").at(13).kill("n3").at(14).leave("n4");
    b.at(15).counters("n1", 10, 100).at(16).end();
    return b;
}

}  // namespace

TEST_CASE("randomly damaged histories load and check without crashing") {
    const std::string text = busy_run().text();
    std::mt19937 rng(7);
    const std::string junk = "{}[]\":,0123456789.-eE tnrualsfx\\\n";
    for (int round = 0; round < 300; ++round) {
        std::string s = text;
        int edits = 1 + int(rng() % 8);
        for (int k = 0; k < edits && !s.empty(); ++k) {
            size_t at = rng() % s.size();
            switch (rng() % 4) {
                case 0:
                    s.erase(at, 1 + rng() % 20);
                    break;
                case 1:
                    s.insert(at, 1, junk[rng() % junk.size()]);
                    break;
                case 2:
                    s[at] = junk[rng() % junk.size()];
                    break;
                case 3:
                    s.insert(at, s.substr(rng() % s.size(), rng() % 200));
                    break;
            }
        }
        History h = parse_history(s);
        for (const auto& name : check_names()) {
            CheckResult r = check(name, h);
            INFO("round " << round << " " << name << ": " << r.reason);
            CHECK(verdict_from_string(r.to_json()["verdict"].get<std::string>()).has_value());
            CHECK_FALSE(r.reason.empty());
        }
    }
}
