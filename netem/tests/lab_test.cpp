// Integration: a real 3-node lab with UDP traffic, measured against the configured impairment,
// for each backend (netem SKIPs where the kernel lacks sch_netem).
#include "gossiplab/netem/lab.hpp"
#include "gossiplab/netem/in_netns.hpp"
#include "udp_probe.hpp"

#include <algorithm>
#include <boost/process.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <set>

using namespace gossiplab::netem;
using namespace gossiplab::netem::testing;

namespace {

void ensure_world() {
    static bool entered = false;
    if (!entered) {
        enter_private_world();  // Catch2 runs test cases on the main thread: still single
        entered = true;
    }
}

std::unique_ptr<Lab> make_lab(Backend b) {
    ensure_world();
    return std::make_unique<Lab>(LabConfig{{"a", "b", "c"}, "198.18.0.0/15", b});
}

// The reason the netem backend cannot run here, if any.
std::optional<std::string> netem_unavailable() {
    static const std::optional<std::string> why = []() -> std::optional<std::string> {
        try {
            make_lab(Backend::Netem);
            return std::nullopt;
        } catch (const LabError& e) {
            return std::string(e.what());
        }
    }();
    return why;
}

// Sends `count` packets src -> dst at `pps` and returns what dst received.
std::vector<Arrival> stream(Lab& lab, const std::string& src, const std::string& dst, int count,
                            double pps, uint16_t port = 7000, int linger_ms = 300) {
    Receiver rx(lab.netns_fd(dst), port);
    const int sent = send_stream(lab.netns_fd(src), lab.address(dst), port, count, pps);
    REQUIRE(sent == count);
    return rx.take(linger_ms);
}

// Measurements tolerate up to 1% of packets lost outside the engine (a CI machine under heavy
// load can overflow the kernel's per-CPU backlog); the engine itself loses none.
void require_most(const std::vector<Arrival>& got, size_t sent) {
    INFO("received " << got.size() << " of " << sent);
    REQUIRE(got.size() >= sent - sent / 100);
}

std::vector<double> delays(const std::vector<Arrival>& v) {
    std::vector<double> d;
    for (const auto& a : v) d.push_back(a.delay_ms());
    return d;
}

// Whether this runs inside scripts/vm.sh's emulated (TCG) guest, where timers are coarser.
bool emulated() {
    const char* a = std::getenv("GOSSIPLAB_VM_ACCEL");
    return a && std::string(a) == "tcg";
}
// What an emulated guest adds to a delay's median on top of the backend's own error: its
// timers and its packet path run late by up to ~2-3 ms when the host is busy (measured under
// TCG on a 2-core host).
double late_ms() {
    return emulated() ? 5 : 0;
}

using Body = void (*)(Backend);

void run_case(Backend b, Body body) {
    if (b == Backend::Netem) {
        if (auto why = netem_unavailable()) {
            // In the stock-kernel VM (scripts/vm-tests.sh) a skip would hide the backend.
            if (std::getenv("GOSSIPLAB_REQUIRE_NETEM"))
                FAIL("GOSSIPLAB_REQUIRE_NETEM is set, but the netem backend cannot run: " << *why);
            WARN("SKIP: netem backend not testable here: " << *why);
            return;
        }
    }
    body(b);
}

#define LAB_CASE(title, fn)                         \
    TEST_CASE("nfqueue: " title, "[integration]") { \
        run_case(Backend::Nfqueue, fn);             \
    }                                               \
    TEST_CASE("netem: " title, "[integration]") {   \
        run_case(Backend::Netem, fn);               \
    }

void connectivity(Backend b) {
    auto lab = make_lab(b);
    CHECK(lab->backend_name() == to_string(b));
    CHECK(lab->address("a") == "198.18.0.2");
    CHECK(lab->address("c") == "198.18.0.4");
    for (auto [s, d] : {std::pair{"a", "b"}, {"b", "c"}, {"c", "a"}}) {
        auto got = stream(*lab, s, d, 50, 500, 7000, 100);
        INFO(s << " -> " << d);
        CHECK(got.size() == 50);
    }
    if (b == Backend::Nfqueue) CHECK(lab->stats().passed >= 150);
}
LAB_CASE("every node reaches every other through the hub", connectivity)

void loss(Backend b) {
    auto lab = make_lab(b);
    lab->set_shape("a", "b", LinkShape{.loss = 0.30});
    auto got = stream(*lab, "a", "b", 5000, 5000);
    const double measured = 1.0 - static_cast<double>(got.size()) / 5000.0;
    INFO("measured loss " << measured);
    CHECK(measured > 0.26);
    CHECK(measured < 0.34);
    // The reverse direction is not shaped.
    CHECK(stream(*lab, "b", "a", 200, 1000, 7001, 100).size() == 200);
}
LAB_CASE("loss 30% is measured as 30% +- 4 points over 5000 packets", loss)

void delay(Backend b) {
    auto lab = make_lab(b);
    lab->set_shape("a", "b", LinkShape{.delay_ms = 50});
    auto got = stream(*lab, "a", "b", 1000, 1000);
    require_most(got, 1000);
    auto s = summarize(delays(got));
    INFO("median " << s.median << " ms, p99 " << s.p99 << " ms");
    CHECK(s.median > 48);
    CHECK(s.median < 52 + late_ms());
    // An emulated guest (scripts/vm.sh under TCG) wakes its timers late now and then: the
    // tail gets 15 ms more there (measured up to +10 ms on a busy 2-core host), the median
    // late_ms().
    const double tail_ms = emulated() ? 20 : 5;
    INFO("p99 allowance +" << tail_ms << " ms" << (emulated() ? " (emulated guest)" : ""));
    CHECK(s.p99 < 50 + tail_ms);
    // The engine says how late it released held packets: every packet's delay above 50 ms
    // includes it, so it cannot exceed the largest measured; read once, it starts again at 0.
    const auto lag = lab->take_release_lag();
    if (b == Backend::Nfqueue) {
        const auto ds = delays(got);
        const double worst = *std::max_element(ds.begin(), ds.end());
        REQUIRE(lag.has_value());
        INFO("release lag " << *lag * 1e3 << " ms, largest delay " << worst << " ms");
        CHECK(*lag >= 0);
        CHECK(*lag * 1e3 <= worst - 50 + 0.5);
        CHECK(lab->take_release_lag() == 0.0);
    } else {
        CHECK_FALSE(lag.has_value());  // the kernel's netem does not report it
    }
    // Other links keep their own (no) delay.
    auto other = summarize(delays(stream(*lab, "a", "c", 200, 1000, 7001, 100)));
    CHECK(other.median < 5);
}
LAB_CASE("delay 50 ms: median within 2 ms, p99 within +5 ms", delay)

void jitter(Backend b) {
    auto lab = make_lab(b);
    lab->set_shape("a", "b", LinkShape{.delay_ms = 100, .jitter_ms = 20, .distribution = "normal"});
    auto got = stream(*lab, "a", "b", 2000, 2000, 7000, 500);
    require_most(got, 2000);
    auto s = summarize(delays(got));
    INFO("mean " << s.mean << " ms, sd " << s.stddev << " ms");
    CHECK(s.stddev > 15);
    CHECK(s.stddev < 25);
    CHECK(s.mean > 95);
    CHECK(s.mean < 105 + late_ms());
}
LAB_CASE("jitter 20 ms normal: standard deviation within 25% of 20 ms", jitter)

void duplicate(Backend b) {
    auto lab = make_lab(b);
    lab->set_shape("a", "b", LinkShape{.duplicate = 0.2});
    auto got = stream(*lab, "a", "b", 2000, 2000);
    std::set<uint32_t> unique;
    for (const auto& a : got) unique.insert(a.seq);
    const double dup =
        static_cast<double>(got.size() - unique.size()) / static_cast<double>(unique.size());
    INFO("duplicated fraction " << dup << ", " << unique.size() << " distinct of 2000");
    CHECK(unique.size() >= 1980);
    CHECK(dup > 0.15);
    CHECK(dup < 0.25);
}
LAB_CASE("duplicate 20% is measurable", duplicate)

void reorder(Backend b) {
    auto lab = make_lab(b);
    lab->set_shape("a", "b", LinkShape{.delay_ms = 10, .reorder = 0.25});
    auto got = stream(*lab, "a", "b", 2000, 1000);
    require_most(got, 2000);
    uint32_t max_seen = 0;
    int late = 0;
    for (const auto& a : got) {
        if (a.seq < max_seen) ++late;
        max_seen = std::max(max_seen, a.seq);
    }
    const double frac = late / static_cast<double>(got.size());
    INFO("packets arriving after a later one: " << frac);
    // A packet that skips the delay overtakes the ~10 held before it, so about 75% arrive
    // "late"; what matters is that reordering is substantial and not total.
    CHECK(frac > 0.10);
    CHECK(frac < 0.95);
}
LAB_CASE("reorder is measurable", reorder)

void corrupt(Backend b) {
    auto lab = make_lab(b);
    lab->set_shape("a", "b", LinkShape{.corrupt = 1.0});
    Receiver rx(lab->netns_fd("b"), 7000);
    const int64_t start = clock_ns();
    send_stream(lab->netns_fd("a"), lab->address("b"), 7000, 500, 1000);
    auto got = rx.take(200);
    // A flipped bit either gets the packet dropped (checksum, length, port) or changes what
    // arrives; only a flip in the UDP checksum itself can go unnoticed when the receiving
    // side trusts the veth's checksum.
    int intact = 0;
    for (const auto& a : got)
        intact += a.seq < 500 && a.sent_ns >= start && a.sent_ns <= clock_ns();
    INFO(got.size() << " arrived, " << intact << " intact of 500");
    CHECK(intact < 150);
    lab->clear_shapes();
    CHECK(stream(*lab, "a", "b", 100, 1000, 7001, 100).size() == 100);
}
LAB_CASE("corrupt damages packets", corrupt)

void rate(Backend b) {
    auto lab = make_lab(b);
    lab->set_shape("a", "b", LinkShape{.rate_kbit = 100});  // 12.5 bytes per ms
    auto got = stream(*lab, "a", "b", 100, 1000, 7000, 700);
    require_most(got, 100);
    int64_t first = got.front().recv_ns, last = got.front().recv_ns;
    for (const auto& a : got) {
        first = std::min(first, a.recv_ns);
        last = std::max(last, a.recv_ns);
    }
    // 100 IPv4 packets of 44 bytes take 352 ms at 100 kbit/s (more if the backend counts
    // the Ethernet header, as htb does: 464 ms); sent in 100 ms, they must spread out.
    const double spread_ms = static_cast<double>(last - first) / 1e6;
    INFO("100 packets spread over " << spread_ms << " ms");
    CHECK(spread_ms > 300);
    CHECK(spread_ms < 550);
}
LAB_CASE("rate limits a link's bandwidth", rate)

void partition_halves(Backend b) {
    auto lab = make_lab(b);
    lab->set_grudge(halves(lab->nodes()));  // {a, b} | {c}
    CHECK(stream(*lab, "a", "c", 100, 1000, 7000, 100).empty());
    CHECK(stream(*lab, "c", "a", 100, 1000, 7001, 100).empty());
    CHECK(stream(*lab, "b", "c", 100, 1000, 7002, 100).empty());
    CHECK(stream(*lab, "c", "b", 100, 1000, 7003, 100).empty());
    CHECK(stream(*lab, "a", "b", 100, 1000, 7004, 100).size() == 100);
    CHECK(stream(*lab, "b", "a", 100, 1000, 7005, 100).size() == 100);
}
LAB_CASE("partition halves: no packet crosses either way", partition_halves)

void partition_one_way(Backend b) {
    auto lab = make_lab(b);
    lab->set_grudge(one_way("a", "b"));  // b stops hearing a
    CHECK(stream(*lab, "a", "b", 100, 1000, 7000, 100).empty());
    CHECK(stream(*lab, "b", "a", 100, 1000, 7001, 100).size() == 100);
    CHECK(stream(*lab, "a", "c", 100, 1000, 7002, 100).size() == 100);
}
LAB_CASE("one-way partition blocks only that direction", partition_one_way)

void heal_fast(Backend b) {
    auto lab = make_lab(b);
    lab->set_grudge(isolate(lab->nodes(), "a"));
    Receiver rx(lab->netns_fd("b"), 7000);
    int64_t called_ns = 0, healed_ns = 0;
    std::thread healer([&] {
        ::usleep(300000);
        called_ns = clock_ns();
        lab->heal();
        healed_ns = clock_ns();
    });
    send_stream(lab->netns_fd("a"), lab->address("b"), 7000, 1000, 1000);  // 1 s, 1 per ms
    healer.join();
    auto got = rx.take(100);
    REQUIRE_FALSE(got.empty());
    int64_t first = got.front().recv_ns;
    int sent_before_call = 0;
    for (const auto& a : got) {
        first = std::min(first, a.recv_ns);
        sent_before_call += a.sent_ns < called_ns - 2'000'000;
    }
    // The heal lands somewhere between the call and its return (the netem backend's
    // iptables-restore takes its time, ~70 ms in an emulated guest): measure from the call.
    const double after_ms = static_cast<double>(first - called_ns) / 1e6;
    const double took_ms = static_cast<double>(healed_ns - called_ns) / 1e6;
    INFO("first packet " << after_ms << " ms after the heal call (the call took " << took_ms
                         << " ms); " << sent_before_call << " sent before the call arrived");
    CHECK(after_ms < 100 + took_ms);
    // Everything sent before the heal was dropped.
    CHECK(sent_before_call == 0);
}
LAB_CASE("heal restores traffic within 100 ms", heal_fast)

void change_mid_stream(Backend b) {
    auto lab = make_lab(b);
    lab->set_shape("a", "b", LinkShape{.delay_ms = 10});
    Receiver rx(lab->netns_fd("b"), 7000);
    int64_t changed_ns = 0;
    std::thread changer([&] {
        ::usleep(1000000);
        lab->set_shape("*", "b", LinkShape{.delay_ms = 60});
        changed_ns = clock_ns();
    });
    send_stream(lab->netns_fd("a"), lab->address("b"), 7000, 1000, 500);  // 2 s
    changer.join();
    auto got = rx.take(300);
    require_most(got, 1000);
    std::vector<double> before, after;
    for (const auto& a : got) {
        if (a.sent_ns < changed_ns - 50'000'000) before.push_back(a.delay_ms());
        if (a.sent_ns > changed_ns + 5'000'000) after.push_back(a.delay_ms());
    }
    auto sb = summarize(before), sa = summarize(after);
    INFO("before " << sb.median << " ms, after " << sa.median << " ms");
    CHECK(sb.median > 9);
    CHECK(sb.median < 12 + late_ms());
    CHECK(sa.median > 59);
    CHECK(sa.median < 62 + late_ms());
}
LAB_CASE("changing a shape mid-stream takes effect", change_mid_stream)

void bursty_loss(Backend b) {
    // Gilbert–Elliott: p = 5% into the bad state, r = 25% out; all lost in bad, none in good.
    // Mean loss p / (p + r) = 16.7%, mean burst 1 / r = 4 packets (uniform loss at 16.7%
    // would give bursts of 1.2).
    auto lab = make_lab(b);
    LinkShape s;
    s.gemodel = GeModel{.p = 0.05, .r = 0.25, .bad_loss = 1, .good_loss = 0};
    lab->set_shape("a", "b", s);
    auto got = stream(*lab, "a", "b", 5000, 5000);
    std::vector<char> seen(5000, 0);
    for (const auto& a : got)
        if (a.seq < 5000) seen[a.seq] = 1;
    int lost = 0, bursts = 0;
    for (size_t i = 0; i < seen.size(); ++i) {
        if (seen[i]) continue;
        ++lost;
        if (i == 0 || seen[i - 1]) ++bursts;
    }
    const double loss = lost / 5000.0, burst = bursts ? double(lost) / bursts : 0;
    INFO("lost " << lost << " of 5000 (" << loss * 100 << "%) in " << bursts
                 << " bursts, mean burst " << burst << " packets");
    CHECK(loss > 0.12);
    CHECK(loss < 0.22);
    CHECK(burst > 3.0);
    CHECK(burst < 5.5);
    // The kernel (or the engine) reports the model it enforces.
    auto obs = lab->observe();
    REQUIRE(obs.size() == 1);
    REQUIRE(obs[0].in_force);
    REQUIRE(obs[0].in_force->gemodel);
    CHECK(obs[0].in_force->gemodel->p == Approx(0.05).margin(1e-6));
    CHECK(obs[0].in_force->gemodel->r == Approx(0.25).margin(1e-6));
    CHECK(obs[0].in_force->gemodel->bad_loss == Approx(1).margin(1e-6));
    CHECK(obs[0].lost <= static_cast<uint64_t>(lost));  // the receiver may miss one or two more
    CHECK(obs[0].lost + 50 >= static_cast<uint64_t>(lost));
}
LAB_CASE("bursty loss (Gilbert-Elliott) drops packets in bursts of 1/r", bursty_loss)

void observe(Backend b) {
    auto lab = make_lab(b);
    const LinkShape shape{.delay_ms = 20, .loss = 0.3};
    lab->set_shape("a", "b", shape);
    lab->set_grudge(one_way("c", "a"));  // a stops hearing c
    stream(*lab, "a", "b", 1000, 2000);
    stream(*lab, "c", "a", 100, 1000, 7001, 100);
    auto obs = lab->observe();
    auto find = [&](const std::string& s, const std::string& d) {
        for (const auto& l : obs)
            if (l.src == s && l.dst == d) return l;
        FAIL("no observation of " << s << " -> " << d);
        return Lab::LinkObservation{};
    };
    const auto ab = find("a", "b");
    INFO("a -> b: forwarded " << ab.forwarded << ", packets " << ab.packets << ", lost " << ab.lost
                              << ", held " << ab.held);
    REQUIRE(ab.in_force);
    CHECK(ab.in_force->delay_ms == Approx(20).margin(0.01));
    CHECK(ab.in_force->loss == Approx(0.3).margin(1e-6));
    CHECK(ab.forwarded >= 1000);
    CHECK(ab.packets >= 1000);
    CHECK(ab.lost > 240);
    CHECK(ab.lost < 360);
    CHECK(ab.held + ab.lost >= ab.packets - 5);
    const auto ca = find("c", "a");
    CHECK(ca.partitioned);
    CHECK(ca.dropping);
    CHECK(ca.cut >= 100);
    CHECK(ca.forwarded == 0);
    // Links never shaped nor partitioned are not observed.
    for (const auto& l : obs)
        CHECK(((l.src == "a" && l.dst == "b") || (l.src == "c" && l.dst == "a")));
}
LAB_CASE("observe reads back what is in force and counts what it did", observe)

void observe_broken(Backend b) {
    // The sabotage the faults_landed check exists for: the netem backend's filters without
    // their terminal flag (the bug that left every link unshaped), the engine's delay skipped.
    ::setenv("GOSSIPLAB_BREAK_IMPAIRMENT", b == Backend::Netem ? "filter" : "delay", 1);
    auto lab = make_lab(b);
    ::unsetenv("GOSSIPLAB_BREAK_IMPAIRMENT");
    lab->set_shape("a", "b", LinkShape{.delay_ms = 20});
    auto got = stream(*lab, "a", "b", 500, 2000);
    auto obs = lab->observe();
    REQUIRE(obs.size() == 1);
    const auto& l = obs[0];
    INFO("a -> b: forwarded " << l.forwarded << ", packets " << l.packets << ", held " << l.held);
    CHECK(l.forwarded >= 500);
    CHECK(l.held == 0);  // netem: nothing reached the leaf; nfqueue: nothing was held
    CHECK(summarize(delays(got)).median < 5);
}
LAB_CASE("a sabotaged backend shows in its own counters", observe_broken)

}  // namespace

TEST_CASE("in_netns starts a process inside the node's namespace", "[integration]") {
    auto lab = make_lab(Backend::Nfqueue);
    namespace bp = boost::process;
    bp::ipstream out;
    bp::child c(bp::search_path("ip"), "-4", "-o", "addr", "show", "dev", "eth0", bp::std_out > out,
                in_netns(lab->netns_fd("b")));
    std::string all, line;
    while (std::getline(out, line)) all += line + "\n";
    c.wait();
    CHECK(c.exit_code() == 0);
    CHECK(all.find("198.18.0.3") != std::string::npos);
}

TEST_CASE("auto picks a backend and says why in one line", "[integration]") {
    auto lab = make_lab(Backend::Auto);
    const std::string note = lab->backend_note();
    CHECK(note.rfind(lab->backend_name() + " (auto: sch_netem ", 0) == 0);
    CHECK(note.find('\n') == std::string::npos);
}

TEST_CASE("TCP streams cross the hub intact under delay and loss", "[integration]") {
    auto lab = make_lab(Backend::Nfqueue);
    lab->set_shape("*", "*", LinkShape{.delay_ms = 5, .loss = 0.01});
    constexpr size_t kBytes = 2 << 20;
    size_t got = 0;
    uint64_t sum_in = 0, sum_out = 0;
    std::atomic<bool> listening{false};
    std::thread server([&] {
        REQUIRE(::setns(lab->netns_fd("b"), CLONE_NEWNET) == 0);
        int ls = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(7400);
        REQUIRE(::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        ::listen(ls, 1);
        listening = true;
        int c = ::accept(ls, nullptr, nullptr);
        std::vector<unsigned char> buf(65536);
        ssize_t n;
        while ((n = ::read(c, buf.data(), buf.size())) > 0) {
            for (ssize_t i = 0; i < n; ++i) sum_in = sum_in * 31 + buf[static_cast<size_t>(i)];
            got += static_cast<size_t>(n);
        }
        ::close(c);
        ::close(ls);
    });
    while (!listening) std::this_thread::yield();
    std::thread client([&] {
        REQUIRE(::setns(lab->netns_fd("a"), CLONE_NEWNET) == 0);
        int s = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(7400);
        ::inet_pton(AF_INET, lab->address("b").c_str(), &to.sin_addr);
        REQUIRE(::connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
        std::vector<unsigned char> data(kBytes);
        for (size_t i = 0; i < kBytes; ++i) {
            data[i] = static_cast<unsigned char>(i * 7 + (i >> 9));
            sum_out = sum_out * 31 + data[i];
        }
        size_t off = 0;
        while (off < kBytes) {
            ssize_t n = ::write(s, data.data() + off, kBytes - off);
            REQUIRE(n > 0);
            off += static_cast<size_t>(n);
        }
        ::close(s);
    });
    client.join();
    server.join();
    CHECK(got == kBytes);
    CHECK(sum_in == sum_out);
}

TEST_CASE("bad lab input gets a clear error", "[integration]") {
    ensure_world();
    CHECK_THROWS_WITH(Lab(LabConfig{{"a", "a"}}), Catch::Contains("duplicate node id \"a\""));
    CHECK_THROWS_WITH(Lab(LabConfig{{"a"}, "198.18.0.0"}), Catch::Contains("a.b.c.d/len"));
    CHECK_THROWS_WITH(Lab(LabConfig{{"a", "b"}, "10.0.0.0/31"}), Catch::Contains("prefix length"));
    auto lab = make_lab(Backend::Nfqueue);
    CHECK_THROWS_WITH(lab->set_shape("a", "zz", LinkShape{}),
                      Catch::Contains("unknown node \"zz\""));
    CHECK_THROWS_WITH(lab->set_shape("a", "b", LinkShape{.loss = 2}), Catch::Contains("loss"));
    CHECK_THROWS_WITH(lab->set_grudge(Grudge{{"q", {"a"}}}), Catch::Contains("unknown node \"q\""));
}
