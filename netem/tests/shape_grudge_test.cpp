// Unit: link shape JSON validation and the pure grudge builders.
#include "gossiplab/netem/grudge.hpp"
#include "gossiplab/netem/lab.hpp"
#include "gossiplab/netem/shape.hpp"

#include <catch2/catch.hpp>

using namespace gossiplab::netem;
using nlohmann::json;

TEST_CASE("shape_from_json reads every field and defaults the rest", "[unit]") {
    auto s = shape_from_json(json{{"delay_ms", 50},
                                  {"jitter_ms", 5},
                                  {"distribution", "pareto"},
                                  {"loss", 0.1},
                                  {"rate_kbit", 1000}});
    CHECK(s.delay_ms == 50);
    CHECK(s.jitter_ms == 5);
    CHECK(s.distribution == "pareto");
    CHECK(s.loss == 0.1);
    CHECK(s.duplicate == 0);
    CHECK(s.rate_kbit == 1000);
    CHECK(shape_from_json(to_json(s)) == s);
    CHECK(shape_from_json(json::object()).is_identity());
}

TEST_CASE("shape_from_json names the place and the field on bad input", "[unit]") {
    CHECK_THROWS_WITH(shape_from_json(json{{"loss", 1.5}}, "faults[2].shape"),
                      "faults[2].shape.loss: expected a probability in 0..1, got 1.5");
    CHECK_THROWS_WITH(shape_from_json(json{{"delay_ms", "50"}}),
                      Catch::Contains("link shape.delay_ms: expected a number"));
    CHECK_THROWS_WITH(shape_from_json(json{{"distribution", "gauss"}}),
                      Catch::Contains("distribution: expected \"normal\""));
    CHECK_THROWS_WITH(shape_from_json(json{{"delay", 5}}),
                      Catch::Contains("unknown field \"delay\""));
    CHECK_THROWS_WITH(shape_from_json(json{{"reorder", 0.2}}),
                      Catch::Contains("reorder: needs delay_ms > 0"));
    CHECK_THROWS_WITH(shape_from_json(json::array()),
                      Catch::Contains("expected a link shape object"));
    CHECK_THROWS_WITH(shape_from_json(json{{"jitter_ms", -1}}), Catch::Contains("jitter_ms"));
}

TEST_CASE("halves cuts both ways and nothing inside a half", "[unit]") {
    auto g = halves({"a", "b", "c", "d", "e"});  // {a b c} | {d e}
    CHECK(g["a"] == std::set<std::string>{"d", "e"});
    CHECK(g["d"] == std::set<std::string>{"a", "b", "c"});
    CHECK(g["e"] == std::set<std::string>{"a", "b", "c"});
    CHECK(g.size() == 5);
}

TEST_CASE("isolate, one_way, groups, bridge", "[unit]") {
    auto iso = isolate({"a", "b", "c"}, "b");
    CHECK(iso["b"] == std::set<std::string>{"a", "c"});
    CHECK(iso["a"] == std::set<std::string>{"b"});
    CHECK_THROWS_WITH(isolate({"a"}, "z"), Catch::Contains("\"z\" is not one of"));

    auto ow = one_way("a", "b");  // b stops hearing a
    CHECK(ow == Grudge{{"b", {"a"}}});
    CHECK_THROWS(one_way("a", "a"));

    auto gr = groups({{"a", "b"}, {"c"}, {"d", "e"}});
    CHECK(gr["a"] == std::set<std::string>{"c", "d", "e"});
    CHECK(gr["c"] == std::set<std::string>{"a", "b", "d", "e"});
    CHECK(gr["a"].count("b") == 0);
    CHECK_THROWS_WITH(groups({{"a"}, {"a"}}), Catch::Contains("\"a\" is in group 0 and group 1"));

    auto br = bridge({"a", "b", "c", "d", "e"}, "c");  // {a b} | {d e}, c sees all
    CHECK(br.count("c") == 0);
    CHECK(br["a"] == std::set<std::string>{"d", "e"});
    for (const auto& [k, v] : br) CHECK(v.count("c") == 0);

    auto m = merge(one_way("a", "b"), one_way("c", "b"));
    CHECK(m["b"] == std::set<std::string>{"a", "c"});
}

TEST_CASE("grudge JSON round trip and validation", "[unit]") {
    const std::vector<std::string> nodes{"n1", "n2", "n3"};
    auto g = halves(nodes);
    CHECK(grudge_from_json(to_json(g), nodes) == g);
    CHECK_THROWS_WITH(grudge_from_json(json{{"n9", {"n1"}}}, nodes),
                      Catch::Contains("unknown node \"n9\""));
    CHECK_THROWS_WITH(grudge_from_json(json{{"n1", "n2"}}, nodes, "partition"),
                      Catch::Contains("partition.n1: expected a list"));
}

namespace {
std::vector<Capability> caps(bool netem, bool nfq) {
    return {{"user namespaces", true, "", "", true},
            {"network namespaces", true, "", "", true},
            {"veth", true, "", "", true},
            {"htb", true, "", "", false},
            {"sch_netem", netem, "netem qdisc refused", "modprobe sch_netem", false},
            {"nfnetlink_queue", nfq, "no queue", "modprobe nfnetlink_queue", false},
            {"iptables/xtables", true, "", "", true}};
}
}  // namespace

TEST_CASE("choose_backend prefers netem and explains what is missing", "[unit]") {
    CHECK(choose_backend(Backend::Auto, caps(true, true)) == Backend::Netem);
    CHECK(choose_backend(Backend::Auto, caps(false, true)) == Backend::Nfqueue);
    CHECK(choose_backend(Backend::Nfqueue, caps(true, true)) == Backend::Nfqueue);
    CHECK_THROWS_WITH(
        choose_backend(Backend::Netem, caps(false, true)),
        Catch::Contains("netem unavailable") && Catch::Contains("modprobe sch_netem"));
    CHECK_THROWS_WITH(choose_backend(Backend::Auto, caps(false, false)),
                      Catch::Contains("no impairment backend"));
    auto broken = caps(true, true);
    broken[2].ok = false;
    CHECK_THROWS_WITH(choose_backend(Backend::Auto, broken), Catch::Contains("veth missing"));
    CHECK(backend_from_string("nfqueue") == Backend::Nfqueue);
    CHECK_THROWS_WITH(backend_from_string("tc"), Catch::Contains("expected \"auto\""));
}
