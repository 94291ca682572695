// Unit: the netem backend's qdisc/class/filter objects for a shape, checked attribute by
// attribute and as netlink requests, without applying them.
#include "netem_tc.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <netlink/msg.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/tc.h>

#include <catch2/catch.hpp>

using namespace gossiplab::netem;

TEST_CASE("root is an htb at 1: whose default leaves unclassified traffic alone", "[unit]") {
    auto q = tc::build_root(7);
    CHECK(std::string(rtnl_tc_get_kind(TC_CAST(q.get()))) == "htb");
    CHECK(rtnl_tc_get_ifindex(TC_CAST(q.get())) == 7);
    CHECK(rtnl_tc_get_parent(TC_CAST(q.get())) == TC_H_ROOT);
    CHECK(rtnl_tc_get_handle(TC_CAST(q.get())) == 0x10000u);
    CHECK(rtnl_htb_get_defcls(q.get()) == 0);
}

TEST_CASE("a link's class carries its rate, or 10 Gbit/s when unlimited", "[unit]") {
    auto c = tc::build_class(7, 4, LinkShape{.rate_kbit = 1000});
    CHECK(rtnl_tc_get_parent(TC_CAST(c.get())) == 0x10000u);
    CHECK(rtnl_tc_get_handle(TC_CAST(c.get())) == 0x10005u);  // 1:(src+1)
    uint64_t rate = 0;
    REQUIRE(rtnl_htb_get_rate64(c.get(), &rate) == 0);
    CHECK(rate == 125000);  // bytes per second
    CHECK(rtnl_htb_get_quantum(c.get()) == 12500);
    auto u = tc::build_class(7, 0, LinkShape{});
    REQUIRE(rtnl_htb_get_rate64(u.get(), &rate) == 0);
    CHECK(rate == tc::kUnlimitedBytes);
    CHECK(rtnl_htb_get_quantum(u.get()) == 60000);
}

TEST_CASE("the netem leaf carries every field of the shape", "[unit]") {
    LinkShape s{.delay_ms = 50,
                .jitter_ms = 20,
                .distribution = "normal",
                .loss = 0.3,
                .loss_correlation = 0.25,
                .duplicate = 0.1,
                .reorder = 0.5,
                .corrupt = 0.01};
    auto q = tc::build_leaf(9, 2, s);
    CHECK(std::string(rtnl_tc_get_kind(TC_CAST(q.get()))) == "netem");
    CHECK(rtnl_tc_get_parent(TC_CAST(q.get())) == tc::class_handle(2));
    CHECK(rtnl_tc_get_handle(TC_CAST(q.get())) == 0x40000u);  // (src+2):
    CHECK(rtnl_netem_get_delay(q.get()) == 50000);            // µs
    CHECK(rtnl_netem_get_jitter(q.get()) == 20000);
    CHECK(static_cast<uint32_t>(rtnl_netem_get_loss(q.get())) == tc::scaled(0.3));
    CHECK(static_cast<uint32_t>(rtnl_netem_get_loss_correlation(q.get())) == tc::scaled(0.25));
    CHECK(static_cast<uint32_t>(rtnl_netem_get_duplicate(q.get())) == tc::scaled(0.1));
    CHECK(static_cast<uint32_t>(rtnl_netem_get_reorder_probability(q.get())) == tc::scaled(0.5));
    CHECK(static_cast<uint32_t>(rtnl_netem_get_corruption_probability(q.get())) ==
          tc::scaled(0.01));
    CHECK(rtnl_netem_get_gap(q.get()) == 1);
    CHECK(rtnl_netem_get_limit(q.get()) == tc::kNetemLimit);
    CHECK(rtnl_netem_get_delay_distribution_size(q.get()) == 4096);
    CHECK(tc::scaled(1.0) == 0xffffffffu);
    CHECK(tc::scaled(0.5) == 0x80000000u);

    // It serialises to a valid RTM_NEWQDISC request with options.
    nl_msg* msg = nullptr;
    REQUIRE(rtnl_qdisc_build_add_request(q.get(), NLM_F_CREATE, &msg) == 0);
    nlmsghdr* h = nlmsg_hdr(msg);
    CHECK(h->nlmsg_type == RTM_NEWQDISC);
    CHECK(nlmsg_find_attr(h, sizeof(tcmsg), TCA_OPTIONS) != nullptr);
    CHECK(nlmsg_find_attr(h, sizeof(tcmsg), TCA_KIND) != nullptr);
    nlmsg_free(msg);
}

TEST_CASE("uniform jitter uses netem's built-in draw; bad shapes are refused", "[unit]") {
    auto q =
        tc::build_leaf(9, 0, LinkShape{.delay_ms = 10, .jitter_ms = 5, .distribution = "uniform"});
    CHECK(rtnl_netem_get_delay_distribution_size(q.get()) <= 0);
    auto plain = tc::build_leaf(9, 0, LinkShape{.delay_ms = 10});
    CHECK(rtnl_netem_get_loss(plain.get()) <= 0);  // not set (libnl: -NLE_NOATTR)
    CHECK_THROWS_WITH(tc::build_leaf(9, 0, LinkShape{.reorder = 0.5}), Catch::Contains("reorder"));
}

TEST_CASE("distribution tables are standardised like iproute2's", "[unit]") {
    for (const char* name : {"normal", "pareto"}) {
        auto t = tc::distribution_table(name);
        REQUIRE(t.size() == 4096);
        double m = 0, ss = 0;
        for (int16_t v : t) m += v / 8192.0;
        m /= 4096;
        for (int16_t v : t) ss += (v / 8192.0 - m) * (v / 8192.0 - m);
        INFO(name << " mean " << m << " sd " << std::sqrt(ss / 4096));
        CHECK(std::abs(m) < 0.05);
        // int16 entries clamp at 4 sigma; pareto's long tail loses some spread there.
        const double want = std::string(name) == "pareto" ? 0.74 : 1.0;
        CHECK(std::abs(std::sqrt(ss / 4096) - want) < 0.05);
        CHECK(std::is_sorted(t.begin(), t.end()));
    }
}

TEST_CASE("the u32 filter matches the source address and points at its class", "[unit]") {
    in_addr a{};
    inet_pton(AF_INET, "198.18.0.5", &a);
    auto f = tc::build_filter(9, 3, a.s_addr);
    CHECK(std::string(rtnl_tc_get_kind(TC_CAST(f.get()))) == "u32");
    CHECK(rtnl_tc_get_parent(TC_CAST(f.get())) == 0x10000u);
    CHECK(rtnl_cls_get_protocol(f.get()) == ETH_P_IP);
    uint32_t classid = 0;
    REQUIRE(rtnl_u32_get_classid(f.get(), &classid) == 0);
    CHECK(classid == tc::class_handle(3));
    uint32_t val = 0, mask = 0;
    int off = 0, offmask = 0;
    REQUIRE(rtnl_u32_get_key(f.get(), 0, &val, &mask, &off, &offmask) == 0);
    CHECK(val == a.s_addr);
    CHECK(mask == 0xffffffffu);
    CHECK(off == 12);  // IPv4 source address

    // The selector is terminal, or a match classifies nothing (the kernel walks on and htb
    // sends the packet to its unshaped default).
    nl_msg* msg = nullptr;
    REQUIRE(rtnl_cls_build_add_request(f.get(), NLM_F_CREATE, &msg) == 0);
    nlattr* opts = nlmsg_find_attr(nlmsg_hdr(msg), sizeof(tcmsg), TCA_OPTIONS);
    REQUIRE(opts != nullptr);
    nlattr* sel = nla_find(static_cast<nlattr*>(nla_data(opts)), nla_len(opts), TCA_U32_SEL);
    REQUIRE(sel != nullptr);
    REQUIRE(nla_len(sel) >= static_cast<int>(sizeof(tc_u32_sel)));
    const auto* u = static_cast<const tc_u32_sel*>(nla_data(sel));
    CHECK((u->flags & TC_U32_TERMINAL) != 0);
    CHECK(u->nkeys == 1);
    nlmsg_free(msg);
}

TEST_CASE("a leaf is replaced whole when a field libnl cannot send as zero goes back to zero",
          "[unit]") {
    CHECK(tc::needs_new_leaf(LinkShape{.corrupt = 1.0}, LinkShape{}));
    CHECK(tc::needs_new_leaf(LinkShape{.delay_ms = 10, .reorder = 0.25}, LinkShape{.delay_ms = 10}));
    CHECK(tc::needs_new_leaf(LinkShape{.loss = 0.1, .loss_correlation = 0.5}, LinkShape{.loss = 0.1}));
    CHECK(tc::needs_new_leaf(LinkShape{.delay_ms = 100, .jitter_ms = 20},
                             LinkShape{.delay_ms = 100, .jitter_ms = 20, .distribution = "uniform"}));
    // Fields carried in netem's fixed options are overwritten in place.
    CHECK_FALSE(tc::needs_new_leaf(LinkShape{.delay_ms = 10, .loss = 0.3}, LinkShape{}));
    CHECK_FALSE(tc::needs_new_leaf(LinkShape{}, LinkShape{.corrupt = 0.5}));
}
