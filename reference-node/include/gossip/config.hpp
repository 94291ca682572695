// Node configuration: the timing knobs, their profiles, the formulas derived from them, and
// the command-line parser that fills them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gossip/types.hpp"
#include "gossiplab/version.hpp"

namespace gossip {

// The three dissemination flavours the epidemic literature compares (Demers et al. 1987).
// They change only the dedicated gossip round; piggybacking on probe traffic is always push.
enum class Dissemination {
    push,       // send hot updates to `fanout` random members
    pull,       // ask `fanout` random members for their hot updates, every round
    push_pull,  // send hot updates and ask for the peer's in the same packet (only when hot)
};

// The failure detector. SWIM (probes, indirect probes, suspicion with refutation; Lifeguard's
// additions) is the default; `heartbeat` is the gossip-style heartbeat-counter detector SWIM
// replaced (gossip/heartbeat.hpp), kept for side-by-side comparison (detector-compare).
enum class Detector {
    swim,
    heartbeat,
};

// Test-only switches that disable one mechanism, so the conformance suite can prove that
// its checks catch a broken node. Never set them in production.
enum class Break : unsigned {
    indirect_probes = 1u << 0,  // no ping-req: a missed direct ack means suspect
    refutation = 1u << 1,       // never refute a suspicion or death of ourselves
    seed_recontact = 1u << 2,   // one join attempt only; no re-contact, no gossip to the dead
    suspicion = 1u << 3,        // suspect means dead at once (no suspicion timeout)
    push_pull = 1u << 4,        // no periodic push-pull anti-entropy (the join still uses it)
    gossip = 1u << 5,           // fanout 1 and a 10x longer gossip interval
    anti_entropy = 1u << 6,     // push-pull carries no Merkle root: no state repair
};

// Every knob of the protocol. Defaults are the `lan` profile, modelled on memberlist's
// DefaultLANConfig; `fast` divides every duration by ten for tests.
struct Config {
    std::string id;                 // unique member name; required
    Addr bind{0x7f000001, 7946};    // address advertised to peers and bound by the driver
    std::vector<Addr> seeds;        // members contacted to join and re-contacted when unseen
    std::string profile = "lan";    // the profile the durations came from
    std::uint64_t rng_seed = 0;     // seeds the core's generator (reproducible runs)
    std::uint64_t incarnation = 0;  // starting incarnation (the driver passes a wall-clock floor)

    // Failure detector period. Larger: slower detection, less traffic.
    Duration probe_interval = std::chrono::milliseconds(1000);
    // Wait for a direct ack before asking `indirect_checks` members to ping-req. Must stay well
    // under probe_interval so indirect probes have time to return.
    Duration probe_timeout = std::chrono::milliseconds(500);
    // Period of dedicated gossip rounds (piggybacking on probes happens besides).
    Duration gossip_interval = std::chrono::milliseconds(200);
    int fanout = 3;           // members per gossip round
    int indirect_checks = 3;  // members asked to ping-req after a missed direct ack
    // suspicion_min = suspicion_mult * log10(max(N,10)) * probe_interval: the floor a suspicion
    // shrinks to with suspicion_mult-2 independent confirmations.
    double suspicion_mult = 4;
    // suspicion_max = this * suspicion_min: the timeout of an unconfirmed suspicion. Larger:
    // fewer false deaths of slow members, slower confirmation of real deaths.
    double suspicion_max_timeout_mult = 6;
    // Each update is sent retransmit_mult * ceil(log10(N+1)) times. Larger: more reliable
    // dissemination, more bytes.
    int retransmit_mult = 4;
    // Period of full-state TCP sync with one random member; repairs whatever gossip missed.
    Duration push_pull_interval = std::chrono::seconds(30);
    // How long dead members still receive gossip and reconnect attempts, so a healed partition
    // re-merges. memberlist's GossipToTheDeadTime.
    Duration dead_retention = std::chrono::seconds(30);
    // Base period of seed re-contact; the backoff per seed doubles up to 10x this.
    Duration reconnect_interval = std::chrono::seconds(2);
    // Lifeguard local health multiplier cap: probe interval and timeout scale by (score+1),
    // score in [0, awareness_max-1].
    int awareness_max = 8;
    // Period of the `counters` event (zero disables it, e.g. in large simulations).
    Duration counters_interval = std::chrono::seconds(1);
    Dissemination dissemination = Dissemination::push_pull;
    // Detector::heartbeat: every probe_interval (the period) the node raises its own counter and
    // sends its whole member -> (heartbeat, age) table to `fanout` random members. A member whose
    // counter has not advanced for fail_after periods is suspected; after cleanup_after more
    // periods it is dead. Detection therefore takes about (fail_after + cleanup_after) periods
    // whatever N, while each table, and so each member's bytes per second, grows with N.
    // Larger fail_after: fewer false suspicions under loss, slower detection.
    Detector detector = Detector::swim;
    int fail_after = 4;
    int cleanup_after = 4;
    unsigned breaks = 0;               // Break bits; test-only
    std::size_t packet_budget = 1400;  // max bytes of one UDP datagram we send

    bool broken(Break b) const { return (breaks & static_cast<unsigned>(b)) != 0; }

    // Derived quantities; N is the number of live members including ourselves.
    Duration suspicion_min(std::size_t n) const;
    Duration suspicion_max(std::size_t n) const;
    int retransmits(std::size_t n) const;
    // The gossip round actually used (the `gossip` break makes it 10x longer and fanout 1).
    Duration effective_gossip_interval() const;
    int effective_fanout() const;
    // Heartbeat detector: the silence before suspicion, fail_after * probe_interval, and before
    // death, (fail_after + cleanup_after) * probe_interval.
    Duration heartbeat_fail_timeout() const { return probe_interval * fail_after; }
    Duration heartbeat_dead_timeout() const {
        return probe_interval * (fail_after + cleanup_after);
    }
};

// The memberlist-LAN-like defaults.
Config lan_profile();
// Every duration of lan divided by ten (counts unchanged): the profile tests use.
Config fast_profile();
// lan's failure detector with two gossip targets every 60 ms and retransmit_mult 8: low
// dissemination latency at a high rumor rate (glomers-broadcast).
Config broadcast_profile();
// fast's timing with the heartbeat detector (period = probe_interval 100 ms, fanout 3,
// fail_after 4, cleanup_after 4): SWIM's fast profile is the same period, so the two compare
// detector against detector (scenarios/detector-compare.json).
Config heartbeat_profile();
// Any profile by name; throws ConfigError for an unknown name.
Config profile_by_name(const std::string& name);
// The names profile_by_name knows.
std::vector<std::string> profile_names();
// Those names for an error message: "'lan', 'fast', 'broadcast' or 'heartbeat'".
std::string profile_list();

// The timing profile of docs/node-contract.md section 4 that `c` runs, in the shape of a
// profile in adapters/reference/impl.json: every knob, durations in seconds. What
// `gossip-node --print-profile NAME` prints; a test holds impl.json to it. A heartbeat
// profile states its detector in the contract's knobs, so the checkers' formulas bound it
// unchanged: probe_interval is its period, probe_timeout null (it waits for no ack),
// indirect_checks 0, suspicion_mult = cleanup_after and suspicion_max_timeout_mult 1 (a
// suspicion lasts cleanup_after periods, with no confirmations to shorten it: suspicion_min =
// suspicion_max = cleanup_after periods for N <= 10, more above, an over-estimate), and it
// adds the knobs fail_after and cleanup_after (periods).
nlohmann::json timing_profile(const Config& c);

// A bad flag or value; the message names the flag and what was expected.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ParsedArgs {
    Config config;
    bool help = false;
    bool version = false;
    bool malformed_corpus = false;   // --malformed-corpus: print gossip::malformed_corpus(), exit
    bool incarnation_given = false;  // --incarnation overrides the driver's wall-clock floor
    std::optional<std::string> print_profile;  // --print-profile NAME: print it and exit
};

// Parses gossip-node's command line (argv[0] is skipped). The profile is applied first,
// then every individual flag overrides it, whatever their order. Throws ConfigError.
ParsedArgs parse_args(const std::vector<std::string>& args);

// Parses a duration: a number of seconds ("0.5") or with a unit ("500ms", "2s", "100us").
// Throws ConfigError naming `what`.
Duration parse_duration(const std::string& text, const std::string& what);

// The --help text: every flag with its default.
std::string help_text();

// gossip-node is versioned with the project (project() in the top-level CMakeLists.txt).
inline constexpr const char* kVersion = gossiplab::kVersion;

}  // namespace gossip
