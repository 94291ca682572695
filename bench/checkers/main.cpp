// Benchmark: load a synthetic 1,000,000-event, 250-node history and run every checker on it.
//
//   bench-checkers [EVENTS=1000000] [NODES=250] [FILE=/tmp/gossiplab-bench-history.jsonl]
//
// A child process writes the history (so its memory is not counted); the parent then times
// load_history and each checker, and prints events/s and its peak RSS.
#include <gossiplab/checkers/checkers.hpp>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace ck = gossiplab::checkers;
using ck::json;

namespace {

json profile() {
    return {{"probe_interval", 1.0},
            {"probe_timeout", 0.5},
            {"gossip_interval", 0.2},
            {"fanout", 3},
            {"indirect_checks", 3},
            {"suspicion_mult", 4},
            {"suspicion_max_timeout_mult", 6},
            {"retransmit_mult", 4},
            {"push_pull_interval", 30},
            {"dead_retention", 30},
            {"reconnect_interval", 2}};
}

struct Gen {
    std::vector<std::pair<double, std::string>> lines;
    std::vector<std::string> ids;
    std::vector<int64_t> inc;
    char buf[512];

    static double us(double t) { return std::round(t * 1e6) / 1e6; }
    void action(double t, const json& j) {
        t = us(t);
        json a = j;
        a["t"] = t;
        a["kind"] = "action";
        lines.emplace_back(t, a.dump());
    }
    void member(double t, int o, int m, const char* state) {
        t = us(t);
        std::snprintf(
            buf, sizeof buf,
            R"({"t":%.6f,"kind":"event","node":"%s","event":{"ts":%.6f,"type":"member","member":"%s","state":"%s","incarnation":%lld}})",
            t, ids[o].c_str(), 1.7e9 + t, ids[m].c_str(), state, (long long)inc[m]);
        lines.emplace_back(t, buf);
    }
    void simple(double t, int o, const std::string& body) {
        t = us(t);
        std::snprintf(buf, sizeof buf,
                      R"({"t":%.6f,"kind":"event","node":"%s","event":{"ts":%.6f,%s}})", t,
                      ids[o].c_str(), 1.7e9 + t, body.c_str());
        lines.emplace_back(t, buf);
    }
};

// Writes a history with joins, kills, a restart, a halves partition and heal, a pause, a
// leave, flapping under loss, counters every second and rumors filling up to `events`.
size_t generate(const std::string& file, size_t events, int n) {
    Gen g;
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> jitter(0, 1);
    for (int i = 0; i < n; ++i) {
        std::snprintf(g.buf, sizeof g.buf, "n%03d", i);
        g.ids.emplace_back(g.buf);
    }
    g.inc.assign(size_t(n), 0);
    const double duration = 600;
    g.action(0, {{"action", "run_start"},
                 {"nodes", g.ids},
                 {"seed", 1},
                 {"scenario", "bench"},
                 {"impl", "reference"},
                 {"backend", "nfqueue"},
                 {"duration", duration},
                 {"profile", profile()}});
    std::vector<bool> live(size_t(n), true);
    for (int i = 0; i < n; ++i) {
        double t = 0.01 * i;
        g.action(t, {{"action", "node_start"},
                     {"node", g.ids[size_t(i)]},
                     {"pid", 1000 + i},
                     {"addr", "198.18.0.2:7946"},
                     {"seeds", {"n000"}},
                     {"restart", false}});
        g.simple(
            t + 0.001, i,
            R"("type":"started","id":")" + g.ids[size_t(i)] + R"(","incarnation":0,"contract":1)");
    }
    // Joins: each pair is seen within 2.5 s of the later of the two starts.
    for (int o = 0; o < n; ++o)
        for (int m = 0; m < n; ++m)
            if (o != m) g.member(0.01 * std::max(o, m) + 0.1 + 2 * jitter(rng), o, m, "alive");
    auto everyone_sees = [&](double t, int m, const char* state, double spread) {
        for (int o = 0; o < n; ++o)
            if (o != m && live[size_t(o)]) g.member(t + spread * jitter(rng), o, m, state);
    };
    // Kills: suspected then declared dead by everyone.
    for (int k = 0; k < 5; ++k) {
        int m = 10 + k;
        double t = 60 + 40.0 * k;
        g.action(t, {{"action", "kill"}, {"node", g.ids[size_t(m)]}});
        g.action(t + 0.01, {{"action", "node_exit"},
                            {"node", g.ids[size_t(m)]},
                            {"status", nullptr},
                            {"signal", "SIGKILL"},
                            {"expected", true}});
        live[size_t(m)] = false;
        everyone_sees(t + 1.5, m, "suspect", 1);
        everyone_sees(t + 10, m, "dead", 2);
    }
    // A restart: seen alive with a higher incarnation.
    {
        int m = 20;
        double t = 280;
        g.action(t, {{"action", "restart"}, {"node", g.ids[size_t(m)]}});
        g.action(t + 0.01, {{"action", "node_exit"},
                            {"node", g.ids[size_t(m)]},
                            {"status", nullptr},
                            {"signal", "SIGKILL"},
                            {"expected", true}});
        g.action(t + 0.02, {{"action", "node_start"},
                            {"node", g.ids[size_t(m)]},
                            {"pid", 9999},
                            {"addr", "198.18.0.2:7946"},
                            {"seeds", {"n000"}},
                            {"restart", true}});
        g.simple(t + 0.03, m, R"("type":"started","id":"n020","incarnation":0,"contract":1)");
        g.inc[size_t(m)] = 1;
        everyone_sees(t + 0.5, m, "alive", 1);
        for (int o = 0; o < n; ++o)
            if (o != m && live[size_t(o)]) g.member(t + 0.2 + 0.5 * jitter(rng), m, o, "alive");
    }
    // Halves 300..360: each side suspects then buries the other; after the heal everyone
    // sees everyone alive with a higher incarnation.
    {
        json grudge = json::object();
        int half = n / 2;
        for (int i = 0; i < n; ++i) {
            json drop = json::array();
            for (int j = 0; j < n; ++j)
                if ((i < half) != (j < half)) drop.push_back(g.ids[size_t(j)]);
            grudge[g.ids[size_t(i)]] = drop;
        }
        g.action(300, {{"action", "partition"}, {"grudge", grudge}});
        for (int o = 0; o < n; ++o)
            for (int m = 0; m < n; ++m)
                if ((o < half) != (m < half) && live[size_t(o)] && live[size_t(m)]) {
                    g.member(302 + jitter(rng), o, m, "suspect");
                    g.member(330 + jitter(rng), o, m, "dead");
                }
        g.action(360, {{"action", "heal"}});
        for (int m = 0; m < n; ++m) g.inc[size_t(m)] += 1;
        for (int o = 0; o < n; ++o)
            for (int m = 0; m < n; ++m)
                if ((o < half) != (m < half) && live[size_t(o)] && live[size_t(m)])
                    g.member(362 + 2 * jitter(rng), o, m, "alive");
    }
    // A short pause, refuted.
    {
        int m = 30;
        g.action(400, {{"action", "pause"}, {"node", g.ids[size_t(m)]}});
        everyone_sees(401, m, "suspect", 0.5);
        g.action(402, {{"action", "resume"}, {"node", g.ids[size_t(m)]}});
        g.inc[size_t(m)] += 1;
        everyone_sees(402.2, m, "alive", 0.5);
    }
    // A leave.
    {
        int m = 40;
        g.action(450, {{"action", "leave"}, {"node", g.ids[size_t(m)]}});
        g.simple(450.05, m, R"("type":"stopping","reason":"leave")");
        g.action(450.1, {{"action", "node_exit"},
                         {"node", g.ids[size_t(m)]},
                         {"status", 0},
                         {"signal", nullptr},
                         {"expected", true}});
        live[size_t(m)] = false;
        everyone_sees(450.2, m, "left", 0.5);
    }
    // Flapping under a lossy shape: suspicions refuted within a second.
    g.action(500, {{"action", "shape"}, {"links", "all"}, {"shape", {{"loss", 0.05}}}});
    std::vector<double> flaps(10000);
    for (double& t : flaps) t = 500 + 50 * jitter(rng);
    std::sort(flaps.begin(), flaps.end());  // incarnations rise in time order
    std::vector<double> busy_until(size_t(n * n), 0);
    for (double t : flaps) {
        int o = int(rng() % size_t(n)), m = int(rng() % size_t(n));
        if (o == m || !live[size_t(o)] || !live[size_t(m)] || m == 30) continue;
        double& busy = busy_until[size_t(o * n + m)];
        if (t < busy) continue;  // one flap at a time per pair
        busy = t + 0.5;
        g.member(t, o, m, "suspect");
        ++g.inc[size_t(m)];
        g.member(t + 0.5, o, m, "alive");
    }
    g.action(551, {{"action", "clear"}, {"links", "all"}});
    // Counters every second from every live node.
    for (int s = 1; s < int(duration); ++s)
        for (int o = 0; o < n; ++o)
            if ((live[size_t(o)] || (s < 60 + 40 * (o - 10) && o >= 10 && o < 15) ||
                 (o == 40 && s < 450)) &&
                !(o == 30 && s >= 400 && s < 403) &&  // n030 is paused 400..402
                s > 0.01 * o + 0.01)                  // started by then
                g.simple(s + 0.001 * o, o,
                         "\"type\":\"counters\",\"pkts_sent\":" + std::to_string(s * 12) +
                             ",\"pkts_recv\":" + std::to_string(s * 12) +
                             ",\"bytes_sent\":" + std::to_string(s * 1500) +
                             ",\"bytes_recv\":" + std::to_string(s * 1500) + ",\"bad_pkts\":0");
    // Rumors fill the rest, outside the partition and the pause.
    size_t have = g.lines.size();
    size_t per = size_t(n);
    size_t rumors = events > have ? (events - have) / (per + 1) : 0;
    double t = 10;
    // 10..590 s minus the skipped partition and pause stretches leaves about 490 s.
    double step = 480.0 / double(std::max<size_t>(rumors, 1));
    for (size_t r = 0; r < rumors; ++r, t += step) {
        if (t > 295 && t < 375) t = 375;
        if (t > 398 && t < 410) t = 410;
        int origin = int(r % size_t(n));
        while (!live[size_t(origin)]) origin = (origin + 1) % n;
        std::string id = "r" + std::to_string(r);
        g.action(t, {{"action", "broadcast"},
                     {"node", g.ids[size_t(origin)]},
                     {"rumor", id},
                     {"payload", "x"}});
        for (int o = 0; o < n; ++o) {
            double at = t + (o == origin ? 0.0001 : 0.05 + 0.4 * jitter(rng));
            double gone = o >= 10 && o < 15 ? 60 + 40 * (o - 10) : o == 40 ? 450 : 1e9;
            if (at < gone)
                g.simple(at, o,
                         "\"type\":\"rumor\",\"rumor\":\"" + id + "\",\"origin\":\"" +
                             g.ids[size_t(origin)] + "\",\"payload\":\"x\"");
        }
    }
    g.action(duration + 1, {{"action", "run_end"}, {"reason", "duration"}});
    std::stable_sort(g.lines.begin(), g.lines.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::ofstream out(file, std::ios::binary);
    for (const auto& [tt, line] : g.lines) out << line << '\n';
    return g.lines.size();
}

// CPU seconds (user + system) this process has used: on a shared machine the wall clock also
// counts the time other processes held the cores.
double cpu_seconds() {
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The reference for the ratios (bench/run.py): CPU seconds per line for nlohmann::json's DOM
// parse of up to `sample` lines of the same file, in the same process. The loader and the
// checkers are judged as multiples of it, so a busier or slower machine moves both alike.
double dom_cpu_per_line(const std::string& file, size_t sample) {
    std::ifstream in(file, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string l; lines.size() < sample && std::getline(in, l);) lines.push_back(l);
    double cpu0 = cpu_seconds();
    size_t keys = 0;
    for (const auto& l : lines) keys += json::parse(l).size();
    double cpu = cpu_seconds() - cpu0;
    if (keys == 0 || lines.empty()) return 0;
    return cpu / double(lines.size());
}

}  // namespace

int main(int argc, char** argv) {
    size_t events = argc > 1 ? std::stoul(argv[1]) : 1000000;
    int nodes = argc > 2 ? std::stoi(argv[2]) : 250;
    std::string file = argc > 3 ? argv[3] : "/tmp/gossiplab-bench-history.jsonl";

    auto g0 = std::chrono::steady_clock::now();
    pid_t child = fork();
    if (child == 0) {
        generate(file, events, nodes);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "bench-checkers: generating %s failed\n", file.c_str());
        return 3;
    }
    std::printf("generated %s in %.2f s\n", file.c_str(), seconds_since(g0));

    double cpu0 = cpu_seconds();
    auto t0 = std::chrono::steady_clock::now();
    ck::History h = ck::load_history(file);
    double load_s = seconds_since(t0);
    double load_cpu = cpu_seconds() - cpu0;
    size_t lines = h.lines;
    std::printf(
        "load_history: %u lines (%zu events, %zu actions, %zu problems, %zu nodes) in %.3f s "
        "= %.0f lines/s (CPU %.3f s)\n",
        h.lines, h.events.size(), h.actions.size(), h.problems.size(), h.ids.size(), load_s,
        double(lines) / load_s, load_cpu);

    ck::Context ctx{h,
                    json::object(),
                    profile(),
                    {"suspicion_events", "incarnations", "rumors", "counters", "view", "leave",
                     "refute_events"}};
    double checks_s = 0;
    json per_check = json::object();
    double cpu1 = cpu_seconds();
    for (const auto& name : ck::check_names()) {
        auto c0 = std::chrono::steady_clock::now();
        ck::CheckResult r = ck::run_check(name, ctx, json::object());
        double s = seconds_since(c0);
        checks_s += s;
        per_check[name] = s;
        std::printf("  %-24s %-7s %7.3f s  %s\n", name.c_str(), to_string(r.verdict).c_str(), s,
                    r.reason.substr(0, 110).c_str());
        if (r.verdict != ck::Verdict::Pass && std::getenv("BENCH_VERBOSE"))
            std::printf("%s\n", r.to_json().dump(1).substr(0, 3000).c_str());
    }
    double checks_cpu = cpu_seconds() - cpu1;
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    std::printf("all checkers: %.3f s = %.0f events/s (CPU %.3f s = %.0f events/s)\n", checks_s,
                double(lines) / checks_s, checks_cpu, double(lines) / checks_cpu);
    std::printf("load + all checkers: %.3f s = %.0f events/s (CPU %.3f s = %.0f events/s)\n",
                load_s + checks_s, double(lines) / (load_s + checks_s), load_cpu + checks_cpu,
                double(lines) / (load_cpu + checks_cpu));
    std::printf("peak RSS: %.0f MiB\n", double(ru.ru_maxrss) / 1024);
    const double dom = dom_cpu_per_line(file, 50000);
    const double per_line = (load_cpu + checks_cpu) / double(lines);
    std::printf("reference: nlohmann::json DOM parse %.3f us CPU per line (first %zu lines)\n",
                dom * 1e6, std::min<size_t>(lines, 50000));
    json result = {{"name", "checkers"},
                   {"values",
                    {{"lines", lines},
                     {"events", h.events.size()},
                     {"actions", h.actions.size()},
                     {"nodes", h.ids.size()},
                     {"load_s", load_s},
                     {"load_cpu_s", load_cpu},
                     {"checks_s", checks_s},
                     {"checks_cpu_s", checks_cpu},
                     {"events_per_s_cpu", double(lines) / (load_cpu + checks_cpu)},
                     {"events_per_s_wall", double(lines) / (load_s + checks_s)},
                     {"peak_rss_mib", double(ru.ru_maxrss) / 1024},
                     {"per_check_s", per_check},
                     {"dom_us_per_line", dom * 1e6}}},
                   {"ratios",
                    {{"load_vs_dom",
                      {{"value", dom > 0 ? load_cpu / double(lines) / dom : 0},
                       {"what", "load_history CPU per line / DOM parse CPU per line"}}},
                     {"checkers_vs_dom",
                      {{"value", dom > 0 ? checks_cpu / double(lines) / dom : 0},
                       {"what", "all checkers CPU per line / DOM parse CPU per line"}}},
                     {"total_vs_dom",
                      {{"value", dom > 0 ? per_line / dom : 0},
                       {"what", "load + all checkers CPU per line / DOM parse CPU per line"}}}}}};
    std::printf("bench-result %s\n", result.dump().c_str());
    if (!std::getenv("BENCH_KEEP")) std::remove(file.c_str());
    return 0;
}
