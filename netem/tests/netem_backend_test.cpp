// Integration: the parts of the netem backend this kernel can run without sch_netem: its
// partition rules (iptables-restore into the hub) and its htb classes and u32 filters.
#include "gossiplab/netem/lab.hpp"
#include "impairment.hpp"
#include "netem_tc.hpp"
#include "sys.hpp"
#include "udp_probe.hpp"

#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc.h>

#include <catch2/catch.hpp>

using namespace gossiplab::netem;
using namespace gossiplab::netem::testing;

namespace {

void ensure_world() {
    static bool entered = false;
    if (!entered) {
        enter_private_world();
        entered = true;
    }
}

size_t delivered(Lab& lab, const std::string& src, const std::string& dst, uint16_t port) {
    Receiver rx(lab.netns_fd(dst), port);
    send_stream(lab.netns_fd(src), lab.address(dst), port, 50, 1000);
    return rx.take(100).size();
}

}  // namespace

TEST_CASE("netem backend: partitions are iptables rules in the hub, applied atomically",
          "[integration]") {
    ensure_world();
    Lab lab(LabConfig{{"a", "b", "c"}, "198.18.0.0/15", Backend::Nfqueue});
    Topology topo;
    for (size_t i = 0; i < lab.nodes().size(); ++i) {
        topo.addr_be.push_back(sys::ip_from_string(lab.address(lab.nodes()[i]), "test"));
        topo.hub_if.push_back("gl" + std::to_string(i));
    }
    {
        auto netem = make_netem(topo);  // its chain goes first in FORWARD
        Table t(3);
        t.drop[t.at(0, 1)] = 1;  // b drops a
        netem->apply(t);
        CHECK(delivered(lab, "a", "b", 7200) == 0);
        CHECK(delivered(lab, "b", "a", 7201) == 50);
        netem->apply(Table(3));  // heal
        CHECK(delivered(lab, "a", "b", 7202) == 50);
        netem->apply(t);
    }
    // Its destructor removed the chain: traffic flows again.
    CHECK(delivered(lab, "a", "b", 7203) == 50);
}

TEST_CASE("netem backend: this kernel accepts its htb root, classes and u32 filters",
          "[integration]") {
    ensure_world();
    Lab lab(LabConfig{{"a", "b"}, "198.18.0.0/15", Backend::Nfqueue});
    sys::NlSock sk;
    const int ifi = sys::ifindex(sk.get(), "gl1");  // towards b
    auto root = tc::build_root(ifi);
    REQUIRE(rtnl_qdisc_add(sk.get(), root.get(), NLM_F_CREATE | NLM_F_REPLACE) == 0);
    auto cls = tc::build_class(ifi, 0, LinkShape{.rate_kbit = 800});
    REQUIRE(rtnl_class_add(sk.get(), cls.get(), NLM_F_CREATE | NLM_F_REPLACE) == 0);
    auto filter = tc::build_filter(ifi, 0, sys::ip_from_string(lab.address("a"), "test"));
    REQUIRE(rtnl_cls_add(sk.get(), filter.get(), NLM_F_CREATE) == 0);
    // Changing the class in place (a new rate) is accepted too.
    auto faster = tc::build_class(ifi, 0, LinkShape{.rate_kbit = 8000});
    CHECK(rtnl_class_add(sk.get(), faster.get(), NLM_F_CREATE | NLM_F_REPLACE) == 0);
    // Traffic a -> b still flows through the class (the htb default leaf is a fifo).
    CHECK(delivered(lab, "a", "b", 7300) == 50);
}

TEST_CASE("netem backend: its u32 filters classify, so a class's rate shapes the link",
          "[integration]") {
    // Measured, not taken from a return code: 100 packets of 44 bytes through a 100 kbit/s
    // class take >= 350 ms; unclassified they arrive in the 100 ms they were sent in.
    ensure_world();
    Lab lab(LabConfig{{"a", "b", "c"}, "198.18.0.0/15", Backend::Nfqueue});
    sys::NlSock sk;
    const int ifi = sys::ifindex(sk.get(), "gl1");  // towards b
    auto root = tc::build_root(ifi);
    REQUIRE(rtnl_qdisc_add(sk.get(), root.get(), NLM_F_CREATE | NLM_F_REPLACE) == 0);
    auto cls = tc::build_class(ifi, 0, LinkShape{.rate_kbit = 100});
    REQUIRE(rtnl_class_add(sk.get(), cls.get(), NLM_F_CREATE | NLM_F_REPLACE) == 0);
    auto filter = tc::build_filter(ifi, 0, sys::ip_from_string(lab.address("a"), "test"));
    REQUIRE(rtnl_cls_add(sk.get(), filter.get(), NLM_F_CREATE) == 0);
    auto spread_ms = [&](const std::string& src, uint16_t port) {
        Receiver rx(lab.netns_fd("b"), port);
        send_stream(lab.netns_fd(src), lab.address("b"), port, 100, 1000);
        auto got = rx.take(800);
        REQUIRE(got.size() >= 95);
        int64_t first = got.front().recv_ns, last = first;
        for (const auto& a : got) {
            first = std::min(first, a.recv_ns);
            last = std::max(last, a.recv_ns);
        }
        return static_cast<double>(last - first) / 1e6;
    };
    const double shaped = spread_ms("a", 7400);
    INFO("a -> b (100 kbit/s class): 100 packets over " << shaped << " ms");
    CHECK(shaped > 300);
    // c -> b has no class of its own: the filter matched a's address only.
    const double unshaped = spread_ms("c", 7401);
    INFO("c -> b (unclassified): 100 packets over " << unshaped << " ms");
    CHECK(unshaped < 250);
}
