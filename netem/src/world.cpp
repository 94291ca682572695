// The private world (user + net + mount namespaces) and the capability probes (doctor).
#include "gossiplab/netem/lab.hpp"
#include "netem_tc.hpp"
#include "probe.hpp"
#include "sys.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <cstring>
#include <fstream>
#include <sstream>

namespace gossiplab::netem {

namespace {

void write_id_maps(uid_t uid, gid_t gid) {
    // Map our own ids to root inside, which gives CAP_NET_ADMIN over the namespaces we own.
    sys::write_file("/proc/self/setgroups", "deny");
    sys::write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
    sys::write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
}

// Enters the namespaces a run uses; returns "" or what failed.
std::string unshare_world() {
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    int flags = CLONE_NEWNET | CLONE_NEWNS;
    if (uid != 0) flags |= CLONE_NEWUSER;
    if (::unshare(flags) != 0) {
        const int err = errno;
        std::string why = std::string("unshare(") + (uid != 0 ? "user+" : "") +
                          "net+mount namespaces): " + std::strerror(err);
        if (err == EINVAL) why += " (the process already has threads: call it first thing)";
        return why;
    }
    try {
        if (uid != 0) write_id_maps(uid, gid);
        // Nothing mounted from here on propagates to the host.
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            sys::throw_errno("make mounts private", errno);
        sys::NlSock sk;
        sys::link_up(sk.get(), "lo");
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

const char* kUserNs = "user namespaces";
const char* kNetNs = "network namespaces";
const char* kVeth = "veth";
const char* kNetem = "sch_netem";
const char* kHtb = "htb";
const char* kNfq = "nfnetlink_queue";
const char* kIpt = "iptables/xtables";
const char* kRange = "lab address range free";
const char* kNetemShapes = "netem shapes a link";
const char* kNfqShapes = "nfqueue shapes a link";

int64_t mono_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// A backend that accepts a shape but does not apply it is the failure "qdisc accepted" cannot
// see: build a two-node lab on it, delay one link by 30 ms, send 40 packets and measure.
Capability probe_shaping(Backend b, const char* name) {
    constexpr double kDelayMs = 30;
    constexpr int kPackets = 40;
    std::string detail;
    bool ok = false;
    try {
        Lab lab(LabConfig{{"probe-a", "probe-b"}, LabConfig{}.subnet, b});
        lab.set_shape("probe-a", "probe-b", LinkShape{.delay_ms = kDelayMs});
        sys::Fd rx, tx;
        sys::in_netns(lab.netns_fd("probe-b"), [&] {
            rx = sys::Fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(7999);
            if (rx.get() < 0 || ::bind(rx.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
                sys::throw_errno("probe receiver", errno);
        });
        sys::in_netns(lab.netns_fd("probe-a"), [&] {
            tx = sys::Fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            if (tx.get() < 0) sys::throw_errno("probe sender", errno);
        });
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(7999);
        ::inet_pton(AF_INET, lab.address("probe-b").c_str(), &to.sin_addr);
        for (int i = 0; i < kPackets; ++i) {
            const int64_t t = mono_ns();
            ::sendto(tx.get(), &t, sizeof t, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
            ::usleep(1000);
        }
        std::vector<double> delays;
        const int64_t until = mono_ns() + 1'000'000'000;
        while (static_cast<int>(delays.size()) < kPackets && mono_ns() < until) {
            pollfd p{rx.get(), POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) continue;
            int64_t sent = 0;
            while (::recv(rx.get(), &sent, sizeof sent, 0) == static_cast<ssize_t>(sizeof sent))
                delays.push_back(static_cast<double>(mono_ns() - sent) / 1e6);
        }
        uint64_t held = 0;
        for (const auto& l : lab.observe())
            if (l.src == "probe-a" && l.dst == "probe-b") held = l.held;
        std::sort(delays.begin(), delays.end());
        const double median = delays.empty() ? 0 : delays[delays.size() / 2];
        // What it must catch is a delay that is not there (a median near 0); a busy or
        // emulated machine only adds to the delay, so the upper side is generous.
        ok = delays.size() >= kPackets / 2 && median >= kDelayMs - 2 && median < kDelayMs * 6 &&
             held >= delays.size();
        std::ostringstream os;
        os.precision(3);
        os << "a " << kDelayMs << " ms link: " << delays.size() << " of " << kPackets
           << " packets arrived, median delay " << median << " ms, " << held
           << " counted as held";
        detail = os.str();
    } catch (const std::exception& e) {
        detail = std::string("probe lab failed: ") + e.what();
    }
    return Capability{name, ok, detail,
                      ok ? "" : "the backend does not shape: report it with this line",
                      false};
}

Capability cap(const char* name, bool ok, std::string detail, std::string fix, bool required) {
    return Capability{name, ok, std::move(detail), ok ? "" : std::move(fix), required};
}

std::string read_first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

// Every probe that needs namespaces, run inside the child's fresh world.
bool g_probe_world = false;  // doctor's child: probe labs may be built

std::vector<Capability> probe_in_world() {
    std::vector<Capability> caps;
    const bool root = ::geteuid() == 0;
    // User namespaces are probed separately (a grandchild), whatever our uid.
    {
        pid_t pid = ::fork();
        if (pid == 0) _exit(::unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
        int st = 0;
        ::waitpid(pid, &st, 0);
        const bool ok = pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
        caps.push_back(cap(kUserNs, ok,
                           ok ? "unshare(CLONE_NEWUSER) works" +
                                    std::string(root ? " (running as root: not needed)" : "")
                              : "unshare(CLONE_NEWUSER) refused; max_user_namespaces=" +
                                    read_first_line("/proc/sys/user/max_user_namespaces"),
                           "sysctl -w user.max_user_namespaces=10000 "
                           "kernel.unprivileged_userns_clone=1 (or run as root)",
                           !root));
    }
    const std::string err = unshare_world();
    caps.push_back(cap(kNetNs, err.empty(), err.empty() ? "private net+mount namespaces work" : err,
                       "a kernel with CONFIG_NET_NS and CONFIG_USER_NS (or run as root)", true));
    if (!err.empty()) {
        for (const char* n : {kVeth, kHtb, kNetem, kNfq, kIpt})
            caps.push_back(cap(n, false, "not probed: no private network namespace",
                               "fix network namespaces first", std::string(n) != kNetem));
        return caps;
    }
    sys::NlSock sk;
    int ifi = -1;
    {
        rtnl_link* veth = rtnl_link_veth_alloc();
        rtnl_link_set_name(veth, "glprobe0");
        rtnl_link_set_name(rtnl_link_veth_get_peer(veth), "glprobe1");
        int e = rtnl_link_add(sk.get(), veth, NLM_F_CREATE | NLM_F_EXCL);
        rtnl_link_veth_release(veth);
        caps.push_back(cap(kVeth, e >= 0, e >= 0 ? "veth pair created" : nl_geterror(e),
                           "load the veth module (modprobe veth) or use a kernel with CONFIG_VETH",
                           true));
        if (e >= 0) ifi = sys::ifindex(sk.get(), "glprobe0");
    }
    std::string why;
    const bool htb = ifi > 0 && probe_qdisc(sk.get(), ifi, "htb", &why);
    caps.push_back(cap(kHtb, htb, htb ? "htb qdisc accepted" : why,
                       "modprobe sch_htb (CONFIG_NET_SCH_HTB)", false));
    const bool netem = ifi > 0 && probe_qdisc(sk.get(), ifi, "netem", &why);
    caps.push_back(cap(kNetem, netem, netem ? "netem qdisc accepted" : why,
                       "modprobe sch_netem (CONFIG_NET_SCH_NETEM); without it runs use the "
                       "nfqueue backend",
                       false));
    {
        nfq_handle* h = nfq_open();
        nfq_q_handle* q =
            h ? nfq_create_queue(
                    h, 0, [](nfq_q_handle*, nfgenmsg*, nfq_data*, void*) { return 0; }, nullptr)
              : nullptr;
        const bool ok = q != nullptr;
        const std::string detail =
            ok ? "queue 0 bound" : std::string("cannot bind a queue: ") + std::strerror(errno);
        if (q) nfq_destroy_queue(q);
        if (h) nfq_close(h);
        caps.push_back(cap(kNfq, ok, detail,
                           "modprobe nfnetlink_queue (CONFIG_NETFILTER_NETLINK_QUEUE)", false));
    }
    {
        std::string out;
        int rc = sys::run({"iptables", "-w", "-A", "FORWARD", "-j", "NFQUEUE", "--queue-num", "0"},
                          &out);
        while (!out.empty() && out.back() == '\n') out.pop_back();
        caps.push_back(cap(kIpt, rc == 0,
                           rc == 0 ? "NFQUEUE rule accepted (inside the probe namespace)"
                                   : "iptables exited " + std::to_string(rc) + ": " + out,
                           "apt-get install iptables; CONFIG_NETFILTER_XT_TARGET_NFQUEUE", true));
        if (rc == 0)
            sys::run({"iptables", "-w", "-D", "FORWARD", "-j", "NFQUEUE", "--queue-num", "0"});
    }
    // Measured, not accepted: each backend this kernel has shapes a test link.
    auto have = [&](const char* n) {
        for (const auto& c : caps)
            if (c.name == n) return c.ok;
        return false;
    };
    g_probe_world = true;  // this forked child is in its own private world now
    if (have(kNetem) && have(kHtb) && have(kIpt))
        caps.push_back(probe_shaping(Backend::Netem, kNetemShapes));
    if (have(kNfq) && have(kIpt)) caps.push_back(probe_shaping(Backend::Nfqueue, kNfqShapes));
    return caps;
}

Capability probe_range(const std::string& subnet) {
    // The lab is private, so an overlap cannot leak traffic; it only confuses people reading
    // addresses. Hence not required.
    uint32_t base = 0, mask = 0;
    try {
        auto slash = subnet.find('/');
        base = ntohl(sys::ip_from_string(subnet.substr(0, slash), "subnet"));
        int prefix = std::stoi(subnet.substr(slash + 1));
        mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
    } catch (...) {
        return cap(kRange, false, "cannot parse " + subnet, "use a.b.c.d/len", false);
    }
    std::string clash;
    ifaddrs* ifa = nullptr;
    if (::getifaddrs(&ifa) == 0) {
        for (ifaddrs* p = ifa; p; p = p->ifa_next) {
            if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET) continue;
            uint32_t a = ntohl(reinterpret_cast<sockaddr_in*>(p->ifa_addr)->sin_addr.s_addr);
            if ((a & mask) == (base & mask))
                clash = std::string("host interface ") + p->ifa_name + " has an address in it";
        }
        ::freeifaddrs(ifa);
    }
    std::ifstream routes("/proc/net/route");
    std::string line;
    std::getline(routes, line);
    while (clash.empty() && std::getline(routes, line)) {
        std::istringstream ls(line);
        std::string ifname, dst_hex, gw, flags, refc, use, metric, mask_hex;
        ls >> ifname >> dst_hex >> gw >> flags >> refc >> use >> metric >> mask_hex;
        uint32_t dst = ntohl(static_cast<uint32_t>(std::stoul(dst_hex, nullptr, 16)));
        uint32_t m = ntohl(static_cast<uint32_t>(std::stoul(mask_hex, nullptr, 16)));
        if (m == 0) continue;  // the default route covers everything; it is not a clash
        const uint32_t common = m & mask;
        if ((dst & common) == (base & common)) clash = "host route via " + ifname + " overlaps it";
    }
    return cap(kRange, clash.empty(), clash.empty() ? subnet + " unused on the host" : clash,
               "choose another LabConfig::subnet", false);
}

}  // namespace

bool probe_qdisc(nl_sock* sk, int ifindex, const std::string& kind, std::string* why) {
    rtnl_qdisc* q = rtnl_qdisc_alloc();
    rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
    rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
    rtnl_tc_set_handle(TC_CAST(q), 0x0fff0000);
    rtnl_tc_set_kind(TC_CAST(q), kind.c_str());
    int e = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
    if (e >= 0) rtnl_qdisc_delete(sk, q);
    rtnl_qdisc_put(q);
    if (e < 0 && why) *why = kind + " qdisc refused: " + nl_geterror(e);
    return e >= 0;
}

namespace {
std::atomic<bool> g_in_private_world{false};
}  // namespace

bool in_doctor_probe() {
    return g_probe_world;
}

bool in_private_world() {
    return g_in_private_world.load() || g_probe_world;
}

void enter_private_world() {
    if (g_in_private_world.load()) throw LabError("enter_private_world: called twice");
    const std::string err = unshare_world();
    if (!err.empty()) {
        throw LabError("cannot enter the private lab world: " + err +
                       ". Fix: run as root, or enable unprivileged user namespaces "
                       "(sysctl -w user.max_user_namespaces=10000 "
                       "kernel.unprivileged_userns_clone=1); `gossiplab doctor` says more");
    }
    g_in_private_world = true;
}

std::vector<Capability> doctor() {
    int fds[2];
    if (::pipe(fds) != 0) sys::throw_errno("doctor: pipe", errno);
    pid_t pid = ::fork();
    if (pid < 0) sys::throw_errno("doctor: fork", errno);
    if (pid == 0) {
        ::close(fds[0]);
        nlohmann::json out = nlohmann::json::array();
        try {
            for (const auto& c : probe_in_world())
                out.push_back({c.name, c.ok, c.detail, c.fix, c.required});
        } catch (const std::exception& e) {
            out.push_back({"probe", false, e.what(), "", true});
        }
        const std::string s = out.dump();
        size_t off = 0;
        while (off < s.size()) {
            ssize_t n = ::write(fds[1], s.data() + off, s.size() - off);
            if (n <= 0) break;
            off += static_cast<size_t>(n);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    std::vector<Capability> caps;
    try {
        for (const auto& c : nlohmann::json::parse(s))
            caps.push_back(Capability{c[0], c[1], c[2], c[3], c[4]});
    } catch (const std::exception&) {
        caps.push_back(cap("probe", false,
                           "the probe process died (status " + std::to_string(st) + ")",
                           "run `gossiplab doctor` as root to see more", true));
    }
    caps.push_back(probe_range(LabConfig{}.subnet));
    return caps;
}

Backend choose_backend(Backend requested, const std::vector<Capability>& caps) {
    auto find = [&](const char* name) -> const Capability* {
        for (const auto& c : caps)
            if (c.name == name) return &c;
        return nullptr;
    };
    auto ok = [&](const char* name) {
        const Capability* c = find(name);
        return c && c->ok;
    };
    auto missing = [&](std::initializer_list<const char*> names) {
        std::string s;
        for (const char* n : names) {
            const Capability* c = find(n);
            if (c && c->ok) continue;
            s += std::string(s.empty() ? "" : "; ") + n + " missing" +
                 (c ? " (" + c->detail + "; fix: " + c->fix + ")" : " (not probed)");
        }
        return s;
    };
    for (const auto& c : caps) {
        if (c.required && !c.ok) {
            throw LabError("no run is possible: " + c.name + " missing (" + c.detail +
                           "; fix: " + c.fix + ")");
        }
    }
    // Where the shaping probe ran, a backend counts only if it shaped the test link.
    const bool netem = ok(kNetem) && ok(kHtb) && ok(kIpt) && (!find(kNetemShapes) || ok(kNetemShapes));
    const bool nfq = ok(kNfq) && ok(kIpt) && (!find(kNfqShapes) || ok(kNfqShapes));
    switch (requested) {
        case Backend::Netem:
            if (!netem)
                throw LabError("impairment backend netem unavailable: " +
                               missing({kNetem, kHtb, kIpt, kNetemShapes}) +
                               ". Use --impairment nfqueue");
            return Backend::Netem;
        case Backend::Nfqueue:
            if (!nfq)
                throw LabError("impairment backend nfqueue unavailable: " +
                               missing({kNfq, kIpt, kNfqShapes}));
            return Backend::Nfqueue;
        case Backend::Auto:
            if (netem) return Backend::Netem;
            if (nfq) return Backend::Nfqueue;
            throw LabError("no impairment backend available: " +
                           missing({kNetem, kHtb, kNfq, kIpt}));
    }
    return Backend::Nfqueue;
}

Backend choose_backend(Backend requested) {
    return choose_backend(requested, doctor());
}

}  // namespace gossiplab::netem
