// Unit tests of the configuration: profiles, overrides, formulas and flag errors.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "gossip/config.hpp"

using namespace gossip;
using namespace std::chrono_literals;

namespace {
Config parse(std::vector<std::string> a) {
    return parse_args(a).config;
}
std::string error_of(std::vector<std::string> a) {
    try {
        parse_args(a);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("lan defaults follow memberlist's LAN profile and fast is ten times faster", "[config]") {
    Config l = parse({"--id", "n1"});
    CHECK(l.probe_interval == 1s);
    CHECK(l.probe_timeout == 500ms);
    CHECK(l.gossip_interval == 200ms);
    CHECK(l.fanout == 3);
    CHECK(l.indirect_checks == 3);
    CHECK(l.suspicion_mult == 4);
    CHECK(l.suspicion_max_timeout_mult == 6);
    CHECK(l.retransmit_mult == 4);
    CHECK(l.push_pull_interval == 30s);
    CHECK(l.dead_retention == 30s);
    CHECK(l.reconnect_interval == 2s);
    CHECK(l.dissemination == Dissemination::push_pull);
    Config f = parse({"--id", "n1", "--profile", "fast"});
    CHECK(f.probe_interval == 100ms);
    CHECK(f.probe_timeout == 50ms);
    CHECK(f.gossip_interval == 20ms);
    CHECK(f.push_pull_interval == 3s);
    CHECK(f.dead_retention == 3s);
    CHECK(f.reconnect_interval == 200ms);
    CHECK(f.fanout == 3);
}

TEST_CASE("broadcast is lan's failure detector with two gossip targets every 60 ms", "[config]") {
    Config l = lan_profile();
    Config b = parse({"--id", "n1", "--profile", "broadcast"});
    CHECK(b.profile == "broadcast");
    CHECK(b.gossip_interval == std::chrono::milliseconds(60));
    CHECK(b.fanout == 2);
    CHECK(b.retransmit_mult == 8);
    CHECK(b.retransmits(25) == 16);
    CHECK(b.dissemination == Dissemination::push_pull);
    CHECK(b.probe_interval == l.probe_interval);
    CHECK(b.probe_timeout == l.probe_timeout);
    CHECK(b.indirect_checks == l.indirect_checks);
    CHECK(b.suspicion_mult == l.suspicion_mult);
    CHECK(b.push_pull_interval == l.push_pull_interval);
    CHECK(b.reconnect_interval == l.reconnect_interval);
    // Flags still override it.
    CHECK(parse({"--profile", "broadcast", "--id", "n1", "--fanout", "3"}).fanout == 3);
}

TEST_CASE("individual flags override the profile whatever their order", "[config]") {
    Config c = parse({"--probe-interval",
                      "300ms",
                      "--id",
                      "n1",
                      "--profile=fast",
                      "--fanout",
                      "5",
                      "--seeds",
                      "127.0.0.1:1,10.0.0.2:7946",
                      "--port",
                      "9000",
                      "--bind",
                      "10.1.2.3",
                      "--dissemination",
                      "pull",
                      "--break",
                      "gossip",
                      "--break",
                      "suspicion",
                      "--seed",
                      "42"});
    CHECK(c.probe_interval == 300ms);
    CHECK(c.probe_timeout == 50ms);
    CHECK(c.fanout == 5);
    CHECK(c.seeds == std::vector<Addr>{Addr{0x7f000001, 1}, Addr{0x0a000002, 7946}});
    CHECK(c.bind == Addr{0x0a010203, 9000});
    CHECK(c.dissemination == Dissemination::pull);
    CHECK(c.broken(Break::gossip));
    CHECK(c.broken(Break::suspicion));
    CHECK_FALSE(c.broken(Break::refutation));
    CHECK(c.effective_fanout() == 1);
    CHECK(c.effective_gossip_interval() == 200ms);
    CHECK(c.rng_seed == 42);
}

TEST_CASE("durations accept seconds and units", "[config]") {
    CHECK(parse_duration("0.5", "x") == 500ms);
    CHECK(parse_duration("250ms", "x") == 250ms);
    CHECK(parse_duration("2s", "x") == 2s);
    CHECK(parse_duration("100us", "x") == 100us);
    CHECK_THROWS_AS(parse_duration("abc", "x"), ConfigError);
    CHECK_THROWS_AS(parse_duration("-1", "x"), ConfigError);
    CHECK_THROWS_AS(parse_duration("", "x"), ConfigError);
}

TEST_CASE("bad flags give errors naming the flag and what was expected", "[config]") {
    CHECK(error_of({"--id", "n1", "--bogus", "1"}).find("unknown flag '--bogus'") !=
          std::string::npos);
    CHECK(error_of({"--probe-interval", "1s"}).find("--id") != std::string::npos);
    CHECK(error_of({"--id", "n 1"}).find("--id") != std::string::npos);
    CHECK(error_of({"--id", "n1", "--fanout", "many"}).find("--fanout: expected an integer") !=
          std::string::npos);
    CHECK(error_of({"--id", "n1", "--port", "70000"}).find("--port") != std::string::npos);
    CHECK(error_of({"--id", "n1", "--seeds", "localhost:1"}).find("--seeds") != std::string::npos);
    CHECK(error_of({"--id", "n1", "--profile", "wan"}).find("--profile") != std::string::npos);
    CHECK(error_of({"--id", "n1", "--break", "everything"}).find("--break") != std::string::npos);
    CHECK(error_of({"--id", "n1", "--probe-timeout", "2s"}).find("--probe-timeout") !=
          std::string::npos);
    CHECK(error_of({"--id", "n1", "--fanout"}).find("expected a value") != std::string::npos);
    CHECK(error_of({"--id", "n1", "stray"}).find("unexpected argument") != std::string::npos);
}

TEST_CASE("help documents every flag with its default", "[config]") {
    std::string h = help_text();
    for (const char* f : {"--id",
                          "--bind",
                          "--port",
                          "--seeds",
                          "--profile",
                          "--seed",
                          "--incarnation",
                          "--probe-interval",
                          "--probe-timeout",
                          "--gossip-interval",
                          "--fanout",
                          "--indirect-checks",
                          "--suspicion-mult",
                          "--suspicion-max-timeout-mult",
                          "--retransmit-mult",
                          "--push-pull-interval",
                          "--dead-retention",
                          "--reconnect-interval",
                          "--awareness-max",
                          "--counters-interval",
                          "--dissemination",
                          "--break",
                          "--version",
                          "--help",
                          "test-only",
                          "Test-only"}) {
        if (std::string(f) == "test-only") continue;
        INFO(f);
        CHECK(h.find(f) != std::string::npos);
    }
    CHECK(h.find("lan 1s, fast 0.1s") != std::string::npos);
    CHECK(parse_args({"--help"}).help);
    CHECK(parse_args({"--version"}).version);
}

TEST_CASE("derived formulas match the contract", "[config]") {
    Config c = lan_profile();
    // suspicion_min = mult * log10(max(N,10)) * probe_interval
    CHECK(c.suspicion_min(5) == 4s);
    CHECK(c.suspicion_min(10) == 4s);
    CHECK(c.suspicion_min(100) == 8s);
    CHECK(c.suspicion_max(5) == 24s);
    // retransmits = mult * ceil(log10(N+1))
    CHECK(c.retransmits(5) == 4);
    CHECK(c.retransmits(9) == 4);
    CHECK(c.retransmits(10) == 8);
    CHECK(c.retransmits(250) == 12);
}

// adapters/reference/impl.json tells the checkers which timing the node runs; it must say what
// the node actually does (timing_profile is what `gossip-node --print-profile NAME` prints).
TEST_CASE("adapters/reference/impl.json gives exactly the profiles gossip-node runs", "[config]") {
    std::ifstream in(std::string(GOSSIPLAB_SOURCE_DIR) + "/adapters/reference/impl.json");
    REQUIRE(in);
    const nlohmann::json impl = nlohmann::json::parse(in);
    REQUIRE(impl["profiles"].is_object());
    std::set<std::string> in_manifest, in_node;
    for (const auto& [name, profile] : impl["profiles"].items()) in_manifest.insert(name);
    for (const auto& name : profile_names()) in_node.insert(name);
    CHECK(in_manifest == in_node);
    for (const auto& name : profile_names()) {
        INFO("profile " << name);
        const nlohmann::json node = timing_profile(profile_by_name(name));
        REQUIRE(impl["profiles"].contains(name));
        CHECK(impl["profiles"][name] == node);
    }
    CHECK(impl["default_profile"] == "fast");
}

TEST_CASE("print-profile: --print-profile names a known profile and needs no --id", "[config]") {
    ParsedArgs a = parse_args({"--print-profile", "lan"});
    REQUIRE(a.print_profile);
    CHECK(*a.print_profile == "lan");
    CHECK(timing_profile(profile_by_name("fast"))["retransmit_mult"] == 6);
    CHECK(timing_profile(profile_by_name("lan"))["probe_timeout"] == 0.5);
    CHECK(error_of({"--print-profile", "wan"}) ==
          "--print-profile: expected 'lan', 'fast', 'broadcast' or 'heartbeat', got 'wan'");
}
