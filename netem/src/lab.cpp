// The lab: one network namespace per node, a veth pair from the hub to each, and the
// impairment backend at the hub.
#include "gossiplab/netem/lab.hpp"
#include "impairment.hpp"
#include "probe.hpp"
#include "sys.hpp"

#include <arpa/inet.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace gossiplab::netem {

std::string to_string(Backend b) {
    switch (b) {
        case Backend::Auto:
            return "auto";
        case Backend::Netem:
            return "netem";
        case Backend::Nfqueue:
            return "nfqueue";
    }
    return "?";
}

Backend backend_from_string(const std::string& s) {
    if (s == "auto") return Backend::Auto;
    if (s == "netem") return Backend::Netem;
    if (s == "nfqueue") return Backend::Nfqueue;
    throw LabError("impairment backend: expected \"auto\", \"netem\" or \"nfqueue\", got \"" + s +
                   "\"");
}

struct Lab::Impl {
    LabConfig cfg;
    std::vector<sys::Fd> ns;
    Topology topo;
    std::vector<std::string> hub_created;  // hub-side veth names to delete on teardown
    std::unique_ptr<Impairment> backend;
    std::string note;
    Table table;
    std::vector<char> touched;  // links that were ever shaped or partitioned

    int index(const std::string& node, const char* what) const {
        auto it = std::find(cfg.nodes.begin(), cfg.nodes.end(), node);
        if (it == cfg.nodes.end()) {
            throw LabError(std::string(what) + ": unknown node \"" + node + "\"");
        }
        return static_cast<int>(it - cfg.nodes.begin());
    }
    std::vector<int> select(const std::string& node, const char* what) const {
        std::vector<int> out;
        if (node == "*") {
            for (int i = 0; i < static_cast<int>(cfg.nodes.size()); ++i) out.push_back(i);
        } else {
            out.push_back(index(node, what));
        }
        return out;
    }

    void teardown() noexcept {
        backend.reset();
        try {
            sys::NlSock sk;
            for (const auto& name : hub_created) {
                rtnl_link* l = rtnl_link_alloc();
                rtnl_link_set_name(l, name.c_str());
                rtnl_link_delete(sk.get(), l);  // deleting one end deletes the pair
                rtnl_link_put(l);
            }
        } catch (...) {
            // The namespaces die with their last fd or process anyway.
        }
        hub_created.clear();
        ns.clear();
    }
};

namespace {

struct Subnet {
    uint32_t base = 0;  // host order
    uint64_t size = 0;
};

Subnet parse_subnet(const std::string& s) {
    const auto slash = s.find('/');
    const std::string where = "LabConfig.subnet";
    if (slash == std::string::npos) {
        throw LabError(where + ": expected a.b.c.d/len, got \"" + s + "\"");
    }
    int prefix = -1;
    try {
        size_t used = 0;
        prefix = std::stoi(s.substr(slash + 1), &used);
        if (used != s.size() - slash - 1) prefix = -1;
    } catch (...) {
    }
    if (prefix < 1 || prefix > 30) {
        throw LabError(where + ": expected a prefix length in 1..30, got \"" + s + "\"");
    }
    Subnet r;
    const uint32_t mask = ~uint32_t{0} << (32 - prefix);
    r.base = ntohl(sys::ip_from_string(s.substr(0, slash), where)) & mask;
    r.size = uint64_t{1} << (32 - prefix);
    return r;
}

}  // namespace

Lab::Lab(LabConfig cfg) : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.cfg = std::move(cfg);
    const auto& nodes = m.cfg.nodes;
    if (!in_private_world()) {
        // Building here would add interfaces and forwarding to the host itself.
        throw LabError(
            "Lab: call enter_private_world() first (at the start of the controller, "
            "while it is single-threaded); refusing to touch the host's network");
    }
    if (nodes.empty()) throw LabError("LabConfig.nodes: expected at least one node id");
    std::set<std::string> seen;
    for (const auto& n : nodes) {
        if (n.empty() || n == "*") {
            throw LabError("LabConfig.nodes: node ids must be non-empty and not \"*\"");
        }
        if (!seen.insert(n).second)
            throw LabError("LabConfig.nodes: duplicate node id \"" + n + "\"");
    }
    const Subnet net = parse_subnet(m.cfg.subnet);
    if (net.size < nodes.size() + 3) {
        throw LabError("LabConfig.subnet: " + m.cfg.subnet + " has room for " +
                       std::to_string(net.size >= 3 ? net.size - 3 : 0) + " nodes, " +
                       std::to_string(nodes.size()) + " requested");
    }
    // The hub's side of every veth carries the gateway address; node i gets base + 2 + i.
    const uint32_t gw = htonl(net.base + 1);
    m.table = Table(static_cast<int>(nodes.size()));
    try {
        sys::write_file("/proc/sys/net/ipv4/ip_forward", "1");
        sys::NlSock hub;
        for (size_t i = 0; i < nodes.size(); ++i) {
            const uint32_t addr = htonl(net.base + 2 + static_cast<uint32_t>(i));
            const std::string hub_if = "gl" + std::to_string(i);
            m.ns.push_back(sys::new_netns());
            const int nsfd = m.ns.back().get();

            rtnl_link* veth = rtnl_link_veth_alloc();
            if (!veth) throw LabError("netlink: cannot allocate a veth");
            rtnl_link* peer = rtnl_link_veth_get_peer(veth);
            rtnl_link_set_name(veth, hub_if.c_str());
            rtnl_link_set_name(peer, "eth0");
            rtnl_link_set_ns_fd(peer, nsfd);
            int e = rtnl_link_add(hub.get(), veth, NLM_F_CREATE | NLM_F_EXCL);
            rtnl_link_veth_release(veth);
            if (e < 0) {
                sys::throw_nl("netlink: create veth " + hub_if + " for node " + nodes[i] +
                                  " (is another lab running in this world?)",
                              e);
            }
            m.hub_created.push_back(hub_if);
            sys::offloads_off(hub_if);
            sys::add_p2p_addr(hub.get(), sys::ifindex(hub.get(), hub_if), gw, addr);
            sys::link_up(hub.get(), hub_if);
            // Permanent neighbours on both ends: no ARP at all, so a busy machine (ARP runs in
            // softirq, which starves under load) can never stall or drop a link's first packets.
            const auto hub_mac = sys::mac_of(hub.get(), hub_if);
            std::vector<uint8_t> node_mac;
            sys::in_netns(nsfd, [&] {
                sys::NlSock sk;
                sys::link_up(sk.get(), "lo");
                sys::offloads_off("eth0");
                const int eth = sys::ifindex(sk.get(), "eth0");
                sys::add_p2p_addr(sk.get(), eth, addr, gw);
                sys::link_up(sk.get(), "eth0");
                sys::add_default_route(sk.get(), eth, gw);
                sys::add_permanent_neigh(sk.get(), eth, gw, hub_mac);
                node_mac = sys::mac_of(sk.get(), "eth0");
            });
            sys::add_permanent_neigh(hub.get(), sys::ifindex(hub.get(), hub_if), addr, node_mac);
            m.topo.addr_be.push_back(addr);
            m.topo.hub_if.push_back(hub_if);
        }
        Backend b = m.cfg.backend;
        std::string why;
        const bool netem =
            probe_qdisc(hub.get(), sys::ifindex(hub.get(), m.topo.hub_if[0]), "netem", &why);
        if (b == Backend::Netem && !netem) {
            throw LabError("impairment backend netem unavailable: " + why +
                           " (the kernel lacks sch_netem; fix: modprobe sch_netem, or use "
                           "--impairment nfqueue)");
        }
        if (b == Backend::Auto) {
            b = netem ? Backend::Netem : Backend::Nfqueue;
            m.note = to_string(b) + (netem ? " (auto: sch_netem available)"
                                           : " (auto: sch_netem unavailable: " + why + ")");
        } else {
            m.note = to_string(b) + " (requested)";
        }
        m.topo.seed = m.cfg.seed;
        m.backend = b == Backend::Netem ? make_netem(m.topo) : make_nfqueue(m.topo);
        m.backend->apply(m.table);
    } catch (...) {
        m.teardown();
        throw;
    }
}

Lab::~Lab() {
    impl_->teardown();
}

const std::vector<std::string>& Lab::nodes() const {
    return impl_->cfg.nodes;
}

std::string Lab::address(const std::string& node) const {
    return sys::ip_to_string(
        impl_->topo.addr_be[static_cast<size_t>(impl_->index(node, "address"))]);
}

int Lab::netns_fd(const std::string& node) const {
    return impl_->ns[static_cast<size_t>(impl_->index(node, "netns_fd"))].get();
}

std::string Lab::backend_name() const {
    return impl_->backend->name();
}

std::string Lab::backend_note() const {
    return impl_->note;
}

void Lab::set_shape(const std::string& src, const std::string& dst, const LinkShape& shape) {
    validate(shape, "shape " + src + " -> " + dst);
    auto& t = impl_->table;
    for (int s : impl_->select(src, "set_shape src"))
        for (int d : impl_->select(dst, "set_shape dst"))
            if (s != d)
                t.shape[t.at(s, d)] = shape.is_identity() ? std::nullopt : std::optional(shape);
    impl_->backend->apply(t);
}

void Lab::clear_shape(const std::string& src, const std::string& dst) {
    auto& t = impl_->table;
    for (int s : impl_->select(src, "clear_shape src"))
        for (int d : impl_->select(dst, "clear_shape dst")) t.shape[t.at(s, d)].reset();
    impl_->backend->apply(t);
}

void Lab::clear_shapes() {
    clear_shape("*", "*");
}

void Lab::set_grudge(const Grudge& g) {
    auto& t = impl_->table;
    std::vector<char> drop(t.drop.size(), 0);
    for (const auto& [node, drops] : g) {
        const int d = impl_->index(node, "grudge");
        for (const auto& from : drops) {
            const int s = impl_->index(from, "grudge");
            if (s != d) drop[t.at(s, d)] = 1;  // node d drops packets from s
        }
    }
    t.drop = std::move(drop);
    impl_->backend->apply(t);
}

void Lab::heal() {
    set_grudge({});
}

Lab::Stats Lab::stats() const {
    return impl_->backend->stats();
}

std::optional<double> Lab::take_release_lag() {
    const int64_t ns = impl_->backend->take_release_lag_ns();
    if (ns < 0) return std::nullopt;
    return double(ns) / 1e9;
}

std::vector<Lab::LinkObservation> Lab::observe() {
    const Table& t = impl_->table;
    auto& touched = impl_->touched;
    touched.resize(t.shape.size(), 0);
    for (size_t i = 0; i < t.shape.size(); ++i) touched[i] |= t.shape[i] || t.drop[i];
    const Observed o = impl_->backend->observe();
    std::vector<LinkObservation> out;
    for (int s = 0; s < t.n; ++s) {
        for (int d = 0; d < t.n; ++d) {
            const size_t i = t.at(s, d);
            if (!touched[i]) continue;
            LinkObservation l;
            l.src = impl_->cfg.nodes[static_cast<size_t>(s)];
            l.dst = impl_->cfg.nodes[static_cast<size_t>(d)];
            l.configured = t.shape[i];
            l.partitioned = t.drop[i];
            if (i < o.in_force.shape.size()) {
                l.in_force = o.in_force.shape[i];
                l.dropping = o.in_force.drop[i];
            }
            if (i < o.counters.size()) {
                const auto& c = o.counters[i];
                l.forwarded = c.forwarded;
                l.packets = c.packets;
                l.lost = c.lost;
                l.held = c.held;
                l.cut = c.cut;
            }
            out.push_back(std::move(l));
        }
    }
    return out;
}

std::string break_impairment() {
    if (in_doctor_probe()) return "";
    const char* v = std::getenv("GOSSIPLAB_BREAK_IMPAIRMENT");
    std::string b = v ? v : "";
    if (!b.empty() && b != "delay" && b != "partition" && b != "filter")
        throw LabError("GOSSIPLAB_BREAK_IMPAIRMENT: expected delay, partition or filter, got \"" +
                       b + "\"");
    if (!b.empty())
        std::fprintf(stderr,
                     "gossiplab netem: GOSSIPLAB_BREAK_IMPAIRMENT=%s: the impairment "
                     "is sabotaged on purpose (test only)\n",
                     b.c_str());
    return b;
}

}  // namespace gossiplab::netem
