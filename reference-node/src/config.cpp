// Profiles, derived formulas and the command-line parser of the node's configuration.
#include "gossip/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

namespace gossip {

namespace {

// Durations scaled by a real factor, rounded to whole microseconds.
Duration scale(Duration d, double f) {
    return Duration(static_cast<std::int64_t>(std::llround(static_cast<double>(d.count()) * f)));
}

std::string fmt_seconds(Duration d) {
    std::ostringstream os;
    os << seconds(d) << "s";
    return os.str();
}

long long parse_int(const std::string& text, const std::string& what, long long lo, long long hi) {
    long long v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || text.empty() || v < lo || v > hi) {
        throw ConfigError(what + ": expected an integer in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "], got '" + text + "'");
    }
    return v;
}

std::uint64_t parse_u64(const std::string& text, const std::string& what) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || text.empty()) {
        throw ConfigError(what + ": expected an unsigned 64-bit integer, got '" + text + "'");
    }
    return v;
}

double parse_double(const std::string& text, const std::string& what, double lo, double hi) {
    double v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || text.empty() || !(v >= lo) ||
        !(v <= hi)) {
        std::ostringstream os;
        os << what << ": expected a number in [" << lo << ", " << hi << "], got '" << text << "'";
        throw ConfigError(os.str());
    }
    return v;
}

}  // namespace

Duration Config::suspicion_min(std::size_t n) const {
    double nodes = std::max<double>(static_cast<double>(n), 10.0);
    return scale(probe_interval, suspicion_mult * std::log10(nodes));
}

Duration Config::suspicion_max(std::size_t n) const {
    return scale(suspicion_min(n), suspicion_max_timeout_mult);
}

int Config::retransmits(std::size_t n) const {
    return retransmit_mult * static_cast<int>(std::ceil(std::log10(static_cast<double>(n) + 1.0)));
}

Duration Config::effective_gossip_interval() const {
    return broken(Break::gossip) ? gossip_interval * 10 : gossip_interval;
}

int Config::effective_fanout() const {
    return broken(Break::gossip) ? 1 : fanout;
}

Config lan_profile() {
    return Config{};
}

Config fast_profile() {
    Config c;
    c.profile = "fast";
    c.probe_interval /= 10;
    c.probe_timeout /= 10;
    c.gossip_interval /= 10;
    c.push_pull_interval /= 10;
    c.dead_retention /= 10;
    c.reconnect_interval /= 10;
    // Six sends per update instead of four: at ten times the packet rate on a shared test
    // machine, the last few nodes of a 50-node cluster still missed about one rumor in a
    // thousand with four; SWIM's residual miss rate falls like n^-(2*mult-2).
    c.retransmit_mult = 6;
    // The counters event stays at 1 s: the contract fixes it for every profile.
    return c;
}

Config broadcast_profile() {
    Config c;
    c.profile = "broadcast";
    // lan's failure detector, with gossip sent to fewer targets more often: two every 60 ms
    // (push-pull, so each target answers with its own news) instead of three every 200 ms.
    // A rumor then waits 30 ms, not 100 ms, at each hop for the next round. Measured in
    // simulation (glomers-broadcast: 25 nodes, 100 ms one way, 100 rumors/s, seeds 1-7):
    // lan takes 0.55 s median, 0.82 s max to reach all at 8 messages per rumor; this profile
    // 0.36 s median, 0.47 s max at 17. Sixteen sends per update (mult 8) instead of eight
    // cover the targets the smaller rounds leave out; under load they cost no packets (a
    // round goes out whenever the queue holds news, carrying all of it), only bytes. Fanout
    // 1 every 30 ms measured the same (0.35 s, 17) but leaves log(fanout) = 0 in the
    // contract's spread bound.
    c.gossip_interval = std::chrono::milliseconds(60);
    c.fanout = 2;
    c.retransmit_mult = 8;
    return c;
}

Config heartbeat_profile() {
    Config c = fast_profile();
    c.profile = "heartbeat";
    c.detector = Detector::heartbeat;
    // Four silent periods (0.4 s) before a suspicion, four more before a death: about SWIM
    // fast's detection time (first suspicion after ~1.6 periods, then a suspicion timeout of
    // 0.4 s with confirmations, 2.4 s without), so the comparison is of cost and accuracy.
    c.fail_after = 4;
    c.cleanup_after = 4;
    return c;
}

Config profile_by_name(const std::string& name) {
    if (name == "lan") return lan_profile();
    if (name == "fast") return fast_profile();
    if (name == "broadcast") return broadcast_profile();
    if (name == "heartbeat") return heartbeat_profile();
    throw ConfigError("--profile: expected " + profile_list() + ", got '" + name + "'");
}

std::vector<std::string> profile_names() {
    return {"lan", "fast", "broadcast", "heartbeat"};
}

std::string profile_list() {
    const auto names = profile_names();
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
        out += "'" + names[i] + "'";
    }
    return out;
}

nlohmann::json timing_profile(const Config& c) {
    if (c.detector == Detector::heartbeat) {
        return {{"probe_interval", seconds(c.probe_interval)},
                {"probe_timeout", nullptr},
                {"gossip_interval", seconds(c.gossip_interval)},
                {"fanout", c.fanout},
                {"indirect_checks", 0},
                {"suspicion_mult", c.cleanup_after},
                {"suspicion_max_timeout_mult", 1},
                {"retransmit_mult", c.retransmit_mult},
                {"push_pull_interval", seconds(c.push_pull_interval)},
                {"dead_retention", seconds(c.dead_retention)},
                {"reconnect_interval", seconds(c.reconnect_interval)},
                {"fail_after", c.fail_after},
                {"cleanup_after", c.cleanup_after}};
    }
    return {{"probe_interval", seconds(c.probe_interval)},
            {"probe_timeout", seconds(c.probe_timeout)},
            {"gossip_interval", seconds(c.gossip_interval)},
            {"fanout", c.fanout},
            {"indirect_checks", c.indirect_checks},
            {"suspicion_mult", c.suspicion_mult},
            {"suspicion_max_timeout_mult", c.suspicion_max_timeout_mult},
            {"retransmit_mult", c.retransmit_mult},
            {"push_pull_interval", seconds(c.push_pull_interval)},
            {"dead_retention", seconds(c.dead_retention)},
            {"reconnect_interval", seconds(c.reconnect_interval)}};
}

Duration parse_duration(const std::string& text, const std::string& what) {
    std::string num = text;
    double unit = 1e6;  // microseconds per unit; plain numbers are seconds
    auto ends_with = [&](const char* suffix) {
        std::string s(suffix);
        return num.size() > s.size() && num.compare(num.size() - s.size(), s.size(), s) == 0;
    };
    if (ends_with("ms")) {
        unit = 1e3;
        num.resize(num.size() - 2);
    } else if (ends_with("us")) {
        unit = 1;
        num.resize(num.size() - 2);
    } else if (ends_with("s")) {
        num.resize(num.size() - 1);
    }
    double v = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc() || p != num.data() + num.size() || num.empty() || !(v >= 0) ||
        v * unit > 3.6e12) {
        throw ConfigError(what + ": expected a duration like 0.5, 500ms or 2s, got '" + text + "'");
    }
    return Duration(static_cast<std::int64_t>(std::llround(v * unit)));
}

std::string help_text() {
    Config l = lan_profile();
    Config f = fast_profile();
    std::ostringstream os;
    auto both = [&](Duration a, Duration b) {
        return "(lan " + fmt_seconds(a) + ", fast " + fmt_seconds(b) + ")";
    };
    os << "usage: gossip-node --id ID [options]\n"
          "\n"
          "The gossiplab reference node: SWIM membership with Lifeguard, following\n"
          "docs/node-contract.md (events as JSON lines on stdout, commands on stdin).\n"
          "Durations are seconds (0.5) or take a unit (500ms, 2s, 100us).\n"
          "\n"
          "  --id ID                    member name, required ([A-Za-z0-9._-], <= 64 bytes)\n"
          "  --bind IP                  IPv4 address to bind and advertise (default 127.0.0.1)\n"
          "  --port N                   UDP and TCP port (default 7946)\n"
          "  --seeds A:P,...            seed members to join and re-contact (default none)\n"
          "  --profile lan|fast|broadcast|heartbeat  timing profile (default lan; broadcast:\n"
          "                             lan with two gossip targets every 60ms, retransmit mult\n"
          "                             8; heartbeat: fast with --detector heartbeat); flags\n"
          "                             below override it\n"
          "  --seed N                   RNG seed (default: derived from --id)\n"
          "  --incarnation N            starting incarnation (default: wall clock in ms since\n"
          "                             the epoch, so a restarted node always outbids itself)\n"
          "  --probe-interval D         failure-detector period "
       << both(l.probe_interval, f.probe_interval)
       << "\n"
          "  --probe-timeout D          direct ack wait "
       << both(l.probe_timeout, f.probe_timeout)
       << "\n"
          "  --gossip-interval D        dedicated gossip period "
       << both(l.gossip_interval, f.gossip_interval)
       << "\n"
          "  --fanout N                 members per gossip round (default "
       << l.fanout
       << ")\n"
          "  --indirect-checks N        members asked to ping-req (default "
       << l.indirect_checks
       << ")\n"
          "  --suspicion-mult X         suspicion min = X*log10(max(N,10))*probe interval "
          "(default "
       << l.suspicion_mult
       << ")\n"
          "  --suspicion-max-timeout-mult X  suspicion max = X*min (default "
       << l.suspicion_max_timeout_mult
       << ")\n"
          "  --retransmit-mult N        sends per update = N*ceil(log10(N+1)) (lan "
       << l.retransmit_mult << ", fast " << f.retransmit_mult
       << ")\n"
          "  --push-pull-interval D     TCP anti-entropy period "
       << both(l.push_pull_interval, f.push_pull_interval)
       << "\n"
          "  --dead-retention D         dead members still gossiped to "
       << both(l.dead_retention, f.dead_retention)
       << "\n"
          "  --reconnect-interval D     seed re-contact base period, backoff x2 up to x10 "
       << both(l.reconnect_interval, f.reconnect_interval)
       << "\n"
          "  --awareness-max N          Lifeguard health multiplier cap (default "
       << l.awareness_max
       << ")\n"
          "  --counters-interval D      period of the counters event (default 1s; 0 = off)\n"
          "  --dissemination M          push | pull | push-pull (default push-pull)\n"
          "  --detector D               swim | heartbeat (default swim; heartbeat: raise our\n"
          "                             counter and gossip the whole table every probe\n"
          "                             interval, no probes)\n"
          "  --fail-after N             heartbeat: silent periods before a suspicion (default "
       << l.fail_after
       << ")\n"
          "  --cleanup-after N          heartbeat: further periods before a death (default "
       << l.cleanup_after
       << ")\n"
          "  --version                  print 'gossip-node "
       << kVersion
       << "' and exit\n"
          "  --print-profile NAME       print profile NAME's timing knobs as JSON (seconds;\n"
          "                             the shape of a profile in impl.json) and exit\n"
          "  --malformed-corpus         print the hostile-input corpus (datagrams a node must\n"
          "                             refuse or accept, as JSON) and exit\n"
          "  --help                     print this text and exit\n"
          "\n"
          "Test-only (conformance negative tests; never in production):\n"
          "  --break MECH               disable one mechanism; repeatable. MECH is one of\n"
          "                             indirect-probes  no ping-req after a missed ack\n"
          "                             refutation       never refute a suspicion of ourselves\n"
          "                             seed-recontact   no seed re-contact, no gossip to dead\n"
          "                             suspicion        suspect means dead at once\n"
          "                             push-pull        no periodic anti-entropy\n"
          "                             gossip           fanout 1, 10x longer gossip interval\n"
          "                             anti-entropy     no Merkle state repair on push-pull\n"
          "\n"
          "Exit status: 0 after SIGTERM/SIGINT or a leave, 2 for a bad flag, 3 when the\n"
          "address cannot be bound.\n";
    return os.str();
}

ParsedArgs parse_args(const std::vector<std::string>& args) {
    ParsedArgs out;
    // Pass 1: split into (flag, value) pairs and find the profile, so flags override it
    // whatever their order.
    static const std::vector<std::string> no_value = {"--help", "-h", "--version",
                                                      "--malformed-corpus"};
    std::vector<std::pair<std::string, std::string>> flags;
    std::string profile = "lan";
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string a = args[i];
        std::string value;
        bool has_value = false;
        if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = a.substr(eq + 1);
            a = a.substr(0, eq);
            has_value = true;
        }
        if (std::find(no_value.begin(), no_value.end(), a) != no_value.end()) {
            if (a == "--version")
                out.version = true;
            else if (a == "--malformed-corpus")
                out.malformed_corpus = true;
            else
                out.help = true;
            continue;
        }
        if (a.rfind("--", 0) != 0)
            throw ConfigError("unexpected argument '" + a + "' (try --help)");
        static const std::vector<std::string> known = {"--id",
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
                                                       "--detector",
                                                       "--fail-after",
                                                       "--cleanup-after",
                                                       "--break",
                                                       "--print-profile"};
        if (std::find(known.begin(), known.end(), a) == known.end()) {
            throw ConfigError("unknown flag '" + a + "' (try --help)");
        }
        if (!has_value) {
            if (i + 1 >= args.size()) throw ConfigError(a + ": expected a value");
            value = args[++i];
        }
        if (a == "--profile") profile = value;
        if (a == "--print-profile") {
            out.print_profile = value;
            continue;
        }
        flags.emplace_back(a, value);
    }
    if (out.print_profile) {
        const auto names = profile_names();
        if (std::find(names.begin(), names.end(), *out.print_profile) == names.end())
            throw ConfigError("--print-profile: expected " + profile_list() + ", got '" +
                              *out.print_profile + "'");
    }
    if (out.help || out.version || out.malformed_corpus || out.print_profile) return out;
    Config c = profile_by_name(profile);
    bool seed_given = false;
    for (const auto& [flag, v] : flags) {
        if (flag == "--profile") continue;
        if (flag == "--id") {
            if (v.empty() || v.size() > 64) throw ConfigError("--id: expected 1 to 64 bytes");
            for (char ch : v) {
                if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' ||
                      ch == '-')) {
                    throw ConfigError("--id: expected only [A-Za-z0-9._-], got '" + v + "'");
                }
            }
            c.id = v;
        } else if (flag == "--bind") {
            auto ip = Addr::parse_ip(v);
            if (!ip || *ip == 0)
                throw ConfigError("--bind: expected an IPv4 address like 127.0.0.1, got '" + v +
                                  "'");
            c.bind.ip = *ip;
        } else if (flag == "--port") {
            c.bind.port = static_cast<std::uint16_t>(parse_int(v, "--port", 1, 65535));
        } else if (flag == "--seeds") {
            c.seeds.clear();
            std::stringstream ss(v);
            std::string item;
            while (std::getline(ss, item, ',')) {
                if (item.empty()) continue;
                auto a = Addr::parse(item);
                if (!a)
                    throw ConfigError("--seeds: expected ADDR:PORT[,ADDR:PORT...], got '" + item +
                                      "'");
                c.seeds.push_back(*a);
            }
        } else if (flag == "--seed") {
            c.rng_seed = parse_u64(v, "--seed");
            seed_given = true;
        } else if (flag == "--incarnation") {
            c.incarnation = parse_u64(v, "--incarnation");
            out.incarnation_given = true;
        } else if (flag == "--probe-interval") {
            c.probe_interval = parse_duration(v, flag);
        } else if (flag == "--probe-timeout") {
            c.probe_timeout = parse_duration(v, flag);
        } else if (flag == "--gossip-interval") {
            c.gossip_interval = parse_duration(v, flag);
        } else if (flag == "--fanout") {
            c.fanout = static_cast<int>(parse_int(v, flag, 1, 64));
        } else if (flag == "--indirect-checks") {
            c.indirect_checks = static_cast<int>(parse_int(v, flag, 0, 64));
        } else if (flag == "--suspicion-mult") {
            c.suspicion_mult = parse_double(v, flag, 0.1, 1000);
        } else if (flag == "--suspicion-max-timeout-mult") {
            c.suspicion_max_timeout_mult = parse_double(v, flag, 1, 1000);
        } else if (flag == "--retransmit-mult") {
            c.retransmit_mult = static_cast<int>(parse_int(v, flag, 1, 100));
        } else if (flag == "--push-pull-interval") {
            c.push_pull_interval = parse_duration(v, flag);
        } else if (flag == "--dead-retention") {
            c.dead_retention = parse_duration(v, flag);
        } else if (flag == "--reconnect-interval") {
            c.reconnect_interval = parse_duration(v, flag);
        } else if (flag == "--awareness-max") {
            c.awareness_max = static_cast<int>(parse_int(v, flag, 1, 100));
        } else if (flag == "--counters-interval") {
            c.counters_interval = parse_duration(v, flag);
        } else if (flag == "--dissemination") {
            if (v == "push")
                c.dissemination = Dissemination::push;
            else if (v == "pull")
                c.dissemination = Dissemination::pull;
            else if (v == "push-pull")
                c.dissemination = Dissemination::push_pull;
            else
                throw ConfigError("--dissemination: expected push, pull or push-pull, got '" + v +
                                  "'");
        } else if (flag == "--detector") {
            if (v == "swim")
                c.detector = Detector::swim;
            else if (v == "heartbeat")
                c.detector = Detector::heartbeat;
            else
                throw ConfigError("--detector: expected swim or heartbeat, got '" + v + "'");
        } else if (flag == "--fail-after") {
            c.fail_after = static_cast<int>(parse_int(v, flag, 1, 1000));
        } else if (flag == "--cleanup-after") {
            c.cleanup_after = static_cast<int>(parse_int(v, flag, 1, 1000));
        } else if (flag == "--break") {
            static const std::map<std::string, Break> names = {
                {"indirect-probes", Break::indirect_probes},
                {"refutation", Break::refutation},
                {"seed-recontact", Break::seed_recontact},
                {"suspicion", Break::suspicion},
                {"push-pull", Break::push_pull},
                {"anti-entropy", Break::anti_entropy},
                {"gossip", Break::gossip}};
            auto it = names.find(v);
            if (it == names.end()) {
                throw ConfigError(
                    "--break: expected one of indirect-probes, refutation, "
                    "seed-recontact, suspicion, push-pull, gossip; got '" +
                    v + "'");
            }
            c.breaks |= static_cast<unsigned>(it->second);
        } else {
            throw ConfigError("unknown flag '" + flag + "' (try --help)");
        }
    }
    if (c.id.empty()) throw ConfigError("--id: required");
    if (c.probe_interval <= Duration::zero()) throw ConfigError("--probe-interval: must be > 0");
    if (c.gossip_interval <= Duration::zero()) throw ConfigError("--gossip-interval: must be > 0");
    if (c.reconnect_interval <= Duration::zero())
        throw ConfigError("--reconnect-interval: must be > 0");
    if (c.push_pull_interval <= Duration::zero())
        throw ConfigError("--push-pull-interval: must be > 0");
    if (c.probe_timeout <= Duration::zero() || c.probe_timeout >= c.probe_interval) {
        throw ConfigError("--probe-timeout: expected a duration > 0 and < the probe interval (" +
                          fmt_seconds(c.probe_interval) + ")");
    }
    if (!seed_given) {
        // FNV-1a of the id: distinct nodes get distinct streams, and a rerun repeats itself.
        std::uint64_t h = 1469598103934665603ull;
        for (char ch : c.id) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
        c.rng_seed = h;
    }
    // Our own address among the seeds is harmless but useless: drop it rather than fail.
    std::erase(c.seeds, c.bind);
    out.config = c;
    return out;
}

}  // namespace gossip
