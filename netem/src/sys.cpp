// Small OS helpers the lab shares: netlink sockets, namespaces, child commands, errors.
#include "sys.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

extern char** environ;

namespace gossiplab::netem::sys {

void throw_errno(const std::string& what, int err) {
    throw LabError(what + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")");
}

void throw_nl(const std::string& what, int nlerr) {
    throw LabError(what + ": " + nl_geterror(nlerr));
}

Fd::~Fd() {
    if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.release();
    }
    return *this;
}

NlSock::NlSock() {
    sk_ = nl_socket_alloc();
    if (!sk_) throw LabError("netlink: cannot allocate a socket");
    if (int e = nl_connect(sk_, NETLINK_ROUTE); e < 0) {
        nl_socket_free(sk_);
        throw_nl("netlink: connect NETLINK_ROUTE", e);
    }
}

NlSock::~NlSock() {
    nl_socket_free(sk_);
}

namespace {

// Runs fn on a fresh thread (whose namespace changes die with it) and rethrows its error.
void on_thread(const std::function<void()>& fn) {
    std::exception_ptr err;
    std::thread t([&] {
        try {
            fn();
        } catch (...) {
            err = std::current_exception();
        }
    });
    t.join();
    if (err) std::rethrow_exception(err);
}

}  // namespace

Fd new_netns() {
    Fd out;
    on_thread([&] {
        // The network namespace is per thread, so unshare here leaves the caller where it is.
        if (::unshare(CLONE_NEWNET) != 0) throw_errno("unshare(CLONE_NEWNET) for a node", errno);
        int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw_errno("open /proc/thread-self/ns/net", errno);
        out = Fd(fd);
    });
    return out;
}

void in_netns(int fd, const std::function<void()>& fn) {
    on_thread([&] {
        if (::setns(fd, CLONE_NEWNET) != 0) throw_errno("setns into a node namespace", errno);
        fn();
    });
}

int run(const std::vector<std::string>& argv, std::string* output, const std::string& input) {
    int pipefd[2], in[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) return 127;
    if (::pipe2(in, O_CLOEXEC) != 0) {
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        return 127;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(pipefd[1]);
    ::close(in[0]);
    // The commands we run read all their input before writing much, so writing first is safe.
    for (size_t off = 0; rc == 0 && off < input.size();) {
        ssize_t n = ::write(in[1], input.data() + off, input.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    ::close(in[1]);
    std::string out;
    if (rc == 0) {
        char buf[4096];
        ssize_t n;
        while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
            if (n > 0) out.append(buf, static_cast<size_t>(n));
        }
    } else {
        out = std::string("cannot start ") + argv[0] + ": " + std::strerror(rc);
    }
    ::close(pipefd[0]);
    if (output) *output = out;
    if (rc != 0) return 127;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void run_checked(const std::vector<std::string>& argv, const std::string& why,
                 const std::string& input) {
    std::string out;
    int rc = run(argv, &out, input);
    if (rc != 0) {
        std::string cmd;
        for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
        throw LabError(why + ": `" + cmd + "` exited with " + std::to_string(rc) + ": " + out);
    }
}

void write_file(const std::string& path, const std::string& value) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("open " + path, errno);
    ssize_t n = ::write(fd, value.data(), value.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(value.size())) throw_errno("write " + path, err);
}

int ifindex(nl_sock* sk, const std::string& name) {
    rtnl_link* link = nullptr;
    if (int e = rtnl_link_get_kernel(sk, 0, name.c_str(), &link); e < 0) {
        throw_nl("netlink: find interface " + name, e);
    }
    int idx = rtnl_link_get_ifindex(link);
    rtnl_link_put(link);
    return idx;
}

void link_up(nl_sock* sk, const std::string& name) {
    rtnl_link* orig = nullptr;
    if (int e = rtnl_link_get_kernel(sk, 0, name.c_str(), &orig); e < 0) {
        throw_nl("netlink: find interface " + name, e);
    }
    rtnl_link* change = rtnl_link_alloc();
    rtnl_link_set_flags(change, IFF_UP);
    int e = rtnl_link_change(sk, orig, change, 0);
    rtnl_link_put(change);
    rtnl_link_put(orig);
    if (e < 0) throw_nl("netlink: set " + name + " up", e);
}

namespace {

nl_addr* v4(uint32_t be, int prefix) {
    nl_addr* a = nl_addr_build(AF_INET, &be, 4);
    if (!a) throw LabError("netlink: cannot allocate an address");
    nl_addr_set_prefixlen(a, prefix);
    return a;
}

}  // namespace

void add_p2p_addr(nl_sock* sk, int ifindex, uint32_t local_be, uint32_t peer_be) {
    rtnl_addr* addr = rtnl_addr_alloc();
    nl_addr* local = v4(local_be, 32);
    nl_addr* peer = v4(peer_be, 32);
    rtnl_addr_set_ifindex(addr, ifindex);
    rtnl_addr_set_family(addr, AF_INET);
    rtnl_addr_set_local(addr, local);
    rtnl_addr_set_peer(addr, peer);
    int e = rtnl_addr_add(sk, addr, 0);
    nl_addr_put(local);
    nl_addr_put(peer);
    rtnl_addr_put(addr);
    if (e < 0) throw_nl("netlink: add address " + ip_to_string(local_be), e);
}

void add_default_route(nl_sock* sk, int ifindex, uint32_t gateway_be) {
    rtnl_route* route = rtnl_route_alloc();
    nl_addr* dst = v4(0, 0);
    nl_addr* gw = v4(gateway_be, 32);
    rtnl_route_set_family(route, AF_INET);
    rtnl_route_set_dst(route, dst);
    rtnl_route_set_table(route, RT_TABLE_MAIN);
    rtnl_route_set_protocol(route, RTPROT_STATIC);
    rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
    rtnl_route_set_type(route, RTN_UNICAST);
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_nh_set_gateway(nh, gw);
    rtnl_route_add_nexthop(route, nh);  // the route owns nh now
    int e = rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL);
    nl_addr_put(dst);
    nl_addr_put(gw);
    rtnl_route_put(route);
    if (e < 0) throw_nl("netlink: add default route via " + ip_to_string(gateway_be), e);
}

std::vector<uint8_t> mac_of(nl_sock* sk, const std::string& name) {
    rtnl_link* link = nullptr;
    if (int e = rtnl_link_get_kernel(sk, 0, name.c_str(), &link); e < 0) {
        throw_nl("netlink: find interface " + name, e);
    }
    std::vector<uint8_t> mac;
    if (nl_addr* a = rtnl_link_get_addr(link)) {
        const auto* p = static_cast<const uint8_t*>(nl_addr_get_binary_addr(a));
        mac.assign(p, p + nl_addr_get_len(a));
    }
    rtnl_link_put(link);
    if (mac.size() != 6) throw LabError("netlink: interface " + name + " has no MAC address");
    return mac;
}

void add_permanent_neigh(nl_sock* sk, int ifindex, uint32_t ip_be,
                         const std::vector<uint8_t>& mac) {
    rtnl_neigh* n = rtnl_neigh_alloc();
    nl_addr* dst = v4(ip_be, 32);
    nl_addr* ll = nl_addr_build(AF_LLC, mac.data(), mac.size());
    rtnl_neigh_set_ifindex(n, ifindex);
    rtnl_neigh_set_family(n, AF_INET);
    rtnl_neigh_set_dst(n, dst);
    rtnl_neigh_set_lladdr(n, ll);
    rtnl_neigh_set_state(n, NUD_PERMANENT);
    int e = rtnl_neigh_add(sk, n, NLM_F_CREATE | NLM_F_REPLACE);
    nl_addr_put(dst);
    nl_addr_put(ll);
    rtnl_neigh_put(n);
    if (e < 0) throw_nl("netlink: add neighbour " + ip_to_string(ip_be), e);
}

void offloads_off(const std::string& ifname) {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) throw_errno("socket for ethtool", errno);
    for (uint32_t cmd : {ETHTOOL_SGRO, ETHTOOL_SGSO, ETHTOOL_STSO}) {
        ethtool_value ev{};
        ev.cmd = cmd;
        ev.data = 0;
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
        ifr.ifr_data = reinterpret_cast<char*>(&ev);
        // Some of these may be fixed off already for veth (EOPNOTSUPP): only "on" matters.
        (void)::ioctl(s, SIOCETHTOOL, &ifr);
    }
    ::close(s);
}

std::string ip_to_string(uint32_t be) {
    char buf[INET_ADDRSTRLEN];
    in_addr a{};
    a.s_addr = be;
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

uint32_t ip_from_string(const std::string& s, const std::string& where) {
    in_addr a{};
    if (::inet_pton(AF_INET, s.c_str(), &a) != 1) {
        throw LabError(where + ": expected an IPv4 address, got \"" + s + "\"");
    }
    return a.s_addr;
}

}  // namespace gossiplab::netem::sys
