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
