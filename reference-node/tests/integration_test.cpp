// Integration tests: real gossip-node processes on 127.0.0.1, driven through stdin, stdout
// and signals, exactly as the harness will drive them.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gossiplab/version.hpp"

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// Fast-profile knobs (docs/node-contract.md), for the bounds below.
constexpr double kProbeInterval = 0.1;
constexpr double kSuspicionMult = 4, kMaxTimeoutMult = 6;

std::string bin_dir() {
    const char* b = std::getenv("GOSSIPLAB_BIN");
    if (b == nullptr)
        FAIL("GOSSIPLAB_BIN is not set: run through ctest, or export it to the build's bin/");
    return b;
}

// Ports in a per-process block below the ephemeral range, so parallel ctest runs don't clash.
int port_base() {
    return 20000 + static_cast<int>(getpid() % 1100) * 10;
}

// One gossip-node process. The destructor SIGKILLs and reaps it whatever happened, so a
// failed assertion never leaves a node behind.
class Proc {
  public:
    Proc(std::string id, int port) : id_(std::move(id)), port_(port) {}
    Proc(const Proc&) = delete;
    Proc& operator=(const Proc&) = delete;
    ~Proc() {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
        if (in_ >= 0) ::close(in_);
        if (reader_.joinable()) reader_.join();
    }

    void start(const std::vector<std::string>& extra) {
        std::vector<std::string> args = {
            bin_dir() + "/gossip-node", "--id",      id_,   "--bind", "127.0.0.1", "--port",
            std::to_string(port_),      "--profile", "fast"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        int in[2], out[2];
        REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            // Even if the test binary itself is killed (a ctest timeout), its nodes die too.
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            ::dup2(devnull, 2);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        ::close(devnull);
        in_ = in[1];
        int fd = out[0];
        reader_ = std::thread([this, fd] { read_loop(fd); });
    }

    void command(const std::string& line) {
        std::string l = line + "\n";
        REQUIRE(::write(in_, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
    }
    void signal(int sig) { ::kill(pid_, sig); }

    // Waits up to `limit` for the process to exit; returns its exit code, or -1 (signal or
    // still running).
    int wait_exit(std::chrono::milliseconds limit) {
        auto end = Clock::now() + limit;
        while (Clock::now() < end) {
            int st = 0;
            if (::waitpid(pid_, &st, WNOHANG) == pid_) {
                reaped_ = true;
                // The reader may still hold the last lines: wait for its EOF.
                while (!eof_ && Clock::now() < end + 2s) std::this_thread::sleep_for(5ms);
                return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
            }
            std::this_thread::sleep_for(10ms);
        }
        return -1;
    }

    std::vector<json> events() {
        std::lock_guard<std::mutex> g(mu_);
        return events_;
    }
    std::size_t bad_lines() {
        std::lock_guard<std::mutex> g(mu_);
        return bad_lines_;
    }
    // This node's latest member event per member.
    std::map<std::string, json> view() {
        std::map<std::string, json> v;
        for (auto& e : events())
            if (e.value("type", "") == "member") v[e["member"].get<std::string>()] = e;
        return v;
    }
    bool sees(const std::string& member, const std::string& state) {
        auto v = view();
        return v.count(member) != 0 && v[member]["state"] == state;
    }
    std::size_t count_alive() {
        std::size_t n = 0;
        for (auto& [m, e] : view()) n += e["state"] == "alive" ? 1 : 0;
        return n;
    }
    bool has(const std::string& type) {
        for (auto& e : events())
            if (e.value("type", "") == type) return true;
        return false;
    }
    const std::string& id() const { return id_; }
    int port() const { return port_; }
    std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }

  private:
    void read_loop(int fd) {
        std::string buf;
        char chunk[4096];
        while (true) {
            ssize_t n = ::read(fd, chunk, sizeof chunk);
            if (n <= 0) break;
            buf.append(chunk, static_cast<std::size_t>(n));
            std::size_t nl;
            while ((nl = buf.find('\n')) != std::string::npos) {
                std::string line = buf.substr(0, nl);
                buf.erase(0, nl + 1);
                json j = json::parse(line, nullptr, false);
                std::lock_guard<std::mutex> g(mu_);
                if (j.is_discarded() || !j.is_object() || !j.contains("ts") ||
                    !j.contains("type")) {
                    ++bad_lines_;
                } else {
                    events_.push_back(std::move(j));
                }
            }
        }
        ::close(fd);
        eof_ = true;
    }

    std::string id_;
    int port_;
    pid_t pid_ = -1;
    bool reaped_ = false;
    int in_ = -1;
    std::thread reader_;
    std::mutex mu_;
    std::vector<json> events_;
    std::size_t bad_lines_ = 0;
    std::atomic<bool> eof_{false};
};

// Polls pred every 10 ms; returns the seconds it took, or a negative number on timeout.
template <typename P>
double wait_for(double limit_s, P pred) {
    auto start = Clock::now();
    while (true) {
        double t = std::chrono::duration<double>(Clock::now() - start).count();
        if (pred()) return t;
        if (t > limit_s) return -1;
        std::this_thread::sleep_for(10ms);
    }
}

struct Cluster {
    std::vector<std::unique_ptr<Proc>> nodes;
    explicit Cluster(int n, std::vector<std::string> extra = {}) {
        int base = port_base();
        for (int i = 0; i < n; ++i) {
            nodes.push_back(std::make_unique<Proc>("n" + std::to_string(i + 1), base + i));
        }
        for (int i = 0; i < n; ++i) {
            std::vector<std::string> args = extra;
            args.push_back("--seeds");
            args.push_back(i == 0 ? "" : nodes[0]->addr());
            args.push_back("--seed");
            args.push_back(std::to_string(1000 + i));
            nodes[static_cast<std::size_t>(i)]->start(args);
        }
    }
    Proc& operator[](std::size_t i) { return *nodes[i]; }
    bool all_alive() {
        for (auto& n : nodes)
            if (n->count_alive() != nodes.size() - 1) return false;
        return true;
    }
};

double suspicion_max(int n) {
    return kMaxTimeoutMult * kSuspicionMult * std::log10(std::max(n, 10)) * kProbeInterval;
}

}  // namespace

TEST_CASE("5 nodes converge within 3 s, spread a rumor, and all detect a SIGKILLed member",
          "[integration]") {
    Cluster c(5);
    double converge = wait_for(3.0, [&] { return c.all_alive(); });
    WARN("converged in " << converge << " s");
    REQUIRE(converge >= 0);
    for (std::size_t i = 0; i < 5; ++i) {
        auto ev = c[i].events();
        REQUIRE_FALSE(ev.empty());
        CHECK(ev[0]["type"] == "started");
        CHECK(ev[0]["contract"] == 2);
        CHECK(ev[0]["id"] == c[i].id());
        CHECK(ev[0]["incarnation"].get<std::uint64_t>() > 0);
    }

    c[2].command(R"({"cmd":"broadcast","rumor":"r1","payload":"hello"})");
    double spread = wait_for(2.0, [&] {
        for (auto& n : c.nodes) {
            bool got = false;
            for (auto& e : n->events())
                got |= e.value("type", "") == "rumor" && e["rumor"] == "r1" && e["origin"] == "n3";
            if (!got) return false;
        }
        return true;
    });
    CHECK(spread >= 0);

    c[0].command(R"({"cmd":"view"})");
    REQUIRE(wait_for(1.0, [&] { return c[0].has("view"); }) >= 0);
    for (auto& e : c[0].events()) {
        if (e.value("type", "") != "view") continue;
        CHECK(e["members"].size() == 4);
        CHECK(e["self"]["id"] == "n1");
    }

    c[4].signal(SIGKILL);
    // Every prober reaches it within two rounds of the other four, then the suspicion runs
    // its longest course; one second of slack covers dissemination and scheduling.
    double bound = 2 * 4 * kProbeInterval + suspicion_max(5) + 1.0;
    double detect = wait_for(bound, [&] {
        for (std::size_t i = 0; i < 4; ++i)
            if (!c[i].sees("n5", "dead")) return false;
        return true;
    });
    WARN("all four declared n5 dead " << detect << " s after SIGKILL (bound " << bound << " s)");
    CHECK(detect >= 0);
    for (std::size_t i = 0; i < 4; ++i) {
        CHECK(c[i].count_alive() == 3);
        CHECK(c[i].bad_lines() == 0);
    }
}

TEST_CASE("a paused node resumed before its suspicion timeout refutes and is never declared dead",
          "[integration]") {
    Cluster c(5);
    REQUIRE(wait_for(3.0, [&] { return c.all_alive(); }) >= 0);
    std::this_thread::sleep_for(500ms);
    c[2].signal(SIGSTOP);
    double suspected = wait_for(3.0, [&] {
        for (std::size_t i = 0; i < 5; ++i)
            if (i != 2 && c[i].sees("n3", "suspect")) return true;
        return false;
    });
    c[2].signal(SIGCONT);
    WARN("n3 suspected " << suspected << " s after SIGSTOP; resumed at once");
    REQUIRE(suspected >= 0);
    double healed = wait_for(3.0, [&] {
        for (std::size_t i = 0; i < 5; ++i)
            if (i != 2 && !c[i].sees("n3", "alive")) return false;
        return c[2].has("refute");
    });
    CHECK(healed >= 0);
    std::this_thread::sleep_for(1s);
    for (std::size_t i = 0; i < 5; ++i) {
        for (auto& e : c[i].events()) {
            bool dead =
                e.value("type", "") == "member" && e["member"] == "n3" && e["state"] == "dead";
            CHECK_FALSE(dead);
        }
    }
    std::uint64_t started = 0, refuted = 0;
    for (auto& e : c[2].events()) {
        if (e["type"] == "started") started = e["incarnation"];
        if (e["type"] == "refute") refuted = e["incarnation"];
    }
    CHECK(refuted > started);
    CHECK(c[0].view()["n3"]["incarnation"].get<std::uint64_t>() >= refuted);
}

TEST_CASE("leave, SIGTERM and restart follow the contract", "[integration]") {
    Cluster c(4);
    REQUIRE(wait_for(3.0, [&] { return c.all_alive(); }) >= 0);

    // A graceful leave: `left` everywhere, then `stopping` with reason leave and exit 0.
    c[3].command(R"({"cmd":"leave"})");
    CHECK(c[3].wait_exit(3000ms) == 0);
    auto last = c[3].events().back();
    CHECK(last["type"] == "stopping");
    CHECK(last["reason"] == "leave");
    CHECK(wait_for(2.0, [&] {
              return c[0].sees("n4", "left") && c[1].sees("n4", "left") && c[2].sees("n4", "left");
          }) >= 0);

    // SIGTERM: a final counters event, `stopping` with reason signal, exit 0.
    std::uint64_t old_inc = 0;
    for (auto& e : c[2].events())
        if (e["type"] == "started") old_inc = e["incarnation"];
    c[2].signal(SIGTERM);
    CHECK(c[2].wait_exit(3000ms) == 0);
    auto ev = c[2].events();
    REQUIRE(ev.size() >= 2);
    CHECK(ev.back()["type"] == "stopping");
    CHECK(ev.back()["reason"] == "signal");
    CHECK(ev[ev.size() - 2]["type"] == "counters");
    CHECK(ev[ev.size() - 2]["pkts_sent"].get<std::uint64_t>() > 0);

    // Restart n3 on the same port: a higher incarnation than its previous life.
    Proc again("n3", c[2].port());
    again.start({"--seeds", c[0].addr()});
    REQUIRE(wait_for(3.0, [&] { return again.count_alive() == 2; }) >= 0);
    std::uint64_t new_inc = again.events().front()["incarnation"];
    CHECK(new_inc > old_inc);
    CHECK(wait_for(3.0, [&] {
              auto v = c[0].view();
              return v.count("n3") && v["n3"]["state"] == "alive" &&
                     v["n3"]["incarnation"].get<std::uint64_t>() >= new_inc;
          }) >= 0);
}

TEST_CASE("bad input: datagrams are counted and dropped, commands answered with errors",
          "[integration]") {
    Cluster c(2);
    REQUIRE(wait_for(3.0, [&] { return c.all_alive(); }) >= 0);
    int s = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(s >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(c[0].port()));
    to.sin_addr.s_addr = htonl(0x7f000001);
    std::vector<std::string> junk = {"", "G", std::string("G\x01\x05n", 4), std::string(1500, 'G'),
                                     "hello world"};
    for (auto& j : junk)
        ::sendto(s, j.data(), j.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    ::close(s);
    c[0].command("not json");
    c[0].command(R"({"cmd":"fly"})");
    c[0].command(R"({"cmd":"broadcast"})");
    c[0].command(R"([1,2])");
    CHECK(wait_for(2.0, [&] {
              std::size_t errors = 0;
              std::uint64_t bad = 0;
              for (auto& e : c[0].events()) {
                  if (e["type"] == "error") ++errors;
                  if (e["type"] == "counters") bad = e["bad_pkts"];
              }
              return errors == 4 && bad >= 5;
          }) >= 0);
    // Still a healthy member.
    CHECK(c[1].sees("n1", "alive"));
    c[0].command(R"({"cmd":"view"})");
    CHECK(wait_for(1.0, [&] { return c[0].has("view"); }) >= 0);
}

TEST_CASE(
    "the command line: --version, --print-profile, --help, bad flags exit 2, a busy port exits 3",
    "[integration]") {
    auto run = [](const std::string& args, std::string* out) {
        std::string cmd = bin_dir() + "/gossip-node " + args + " 2>&1";
        FILE* p = ::popen(cmd.c_str(), "r");
        REQUIRE(p != nullptr);
        char buf[4096];
        std::size_t n;
        out->clear();
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
        int st = ::pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    };
    std::string out;
    CHECK(run("--version", &out) == 0);
    CHECK(out == std::string("gossip-node ") + GOSSIPLAB_VERSION + "\n");
    for (const char* name : {"lan", "fast"}) {
        INFO("--print-profile " << name);
        CHECK(run(std::string("--print-profile ") + name, &out) == 0);
        std::ifstream in(std::string(GOSSIPLAB_SOURCE_DIR) + "/adapters/reference/impl.json");
        const json impl = json::parse(in);
        const json printed = json::parse(out, nullptr, false);
        CHECK(printed == impl["profiles"][name]);  // impl.json cannot drift from the node
    }
    CHECK(run("--print-profile wan", &out) == 2);
    CHECK(run("--help", &out) == 0);
    CHECK(out.find("--print-profile") != std::string::npos);
    CHECK(out.find("--break") != std::string::npos);
    CHECK(out.find("Test-only") != std::string::npos);
    CHECK(run("--id n1 --fanout lots", &out) == 2);
    CHECK(out.find("--fanout") != std::string::npos);
    CHECK(run("--id n1 --frobnicate 1", &out) == 2);
    CHECK(run("--port 1", &out) == 2);  // no --id
    CHECK(out.find("--id") != std::string::npos);

    Proc holder("h", port_base() + 9);
    holder.start({});
    REQUIRE(wait_for(2.0, [&] { return holder.has("started"); }) >= 0);
    CHECK(run("--id x --port " + std::to_string(port_base() + 9), &out) == 3);
    CHECK(out.find("in use") != std::string::npos);
}

TEST_CASE(
    "application state over real sockets: writes spread, a late joiner gets the state by "
    "anti-entropy, digests agree",
    "[integration][state]") {
    // Push-pull (and with it the Merkle exchange) every second.
    Cluster c(3, {"--push-pull-interval", "1"});
    REQUIRE(wait_for(3.0, [&] { return c.all_alive(); }) >= 0);
    c[1].command(R"({"cmd":"set","key":"color","value":"blue"})");
    c[2].command(R"({"cmd":"set","key":"size","value":"L"})");
    c[2].command(R"({"cmd":"delete","key":"size"})");
    c[0].command(R"({"cmd":"set","key":""})");  // no value: refused
    auto holds = [](Proc& p, const std::string& owner, const std::string& key, bool deleted) {
        for (auto& e : p.events())
            if (e.value("type", "") == "state" && e["owner"] == owner && e["key"] == key &&
                e["deleted"] == deleted)
                return true;
        return false;
    };
    double spread = wait_for(3.0, [&] {
        for (auto& n : c.nodes)
            if (!holds(*n, "n2", "color", false) || !holds(*n, "n3", "size", true)) return false;
        return true;
    });
    CHECK(spread >= 0);
    CHECK(wait_for(1.0, [&] {
              for (auto& e : c[0].events())
                  if (e.value("type", "") == "error" &&
                      e["message"].get<std::string>().find("set: expected a string field "
                                                           "\"value\"") != std::string::npos)
                      return true;
              return false;
          }) >= 0);
    // A node started now missed the gossip: its join's push-pull carries its (empty) Merkle
    // root, and the seed answers with the entries.
    Proc late("n4", c[0].port() + 3);
    late.start({"--push-pull-interval", "1", "--seeds", c[0].addr(), "--seed", "1004"});
    CHECK(wait_for(5.0, [&] {
              return holds(late, "n2", "color", false) && holds(late, "n3", "size", true);
          }) >= 0);
    auto digest = [](Proc& p) -> json {
        json last;
        for (auto& e : p.events())
            if (e.value("type", "") == "state_digest") last = e;
        return last;
    };
    late.command(R"({"cmd":"digest"})");
    c[0].command(R"({"cmd":"digest"})");
    REQUIRE(wait_for(2.0, [&] { return !digest(late).is_null() && !digest(c[0]).is_null(); }) >= 0);
    CHECK(digest(late)["owners"] == digest(c[0])["owners"]);
    CHECK(digest(late)["entries"] == 2);
}
