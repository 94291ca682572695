// The netem backend's traffic-control objects for one directed link, built without applying
// them (so they can be unit tested on any kernel).
#include "netem_tc.hpp"

#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <netinet/in.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/msg.h>
#include <netlink/route/tc.h>
#include <netlink/socket.h>

#include "sys.hpp"

#include <algorithm>
#include <cmath>

namespace gossiplab::netem::tc {

void QdiscDel::operator()(rtnl_qdisc* q) const {
    rtnl_qdisc_put(q);
}
void ClassDel::operator()(rtnl_class* c) const {
    rtnl_class_put(c);
}
void ClsDel::operator()(rtnl_cls* c) const {
    rtnl_cls_put(c);
}

uint32_t class_handle(int src) {
    return kRootHandle | static_cast<uint32_t>(src + 1);
}
uint32_t leaf_handle(int src) {
    return static_cast<uint32_t>(src + 2) << 16;
}

uint32_t scaled(double p) {
    return static_cast<uint32_t>(std::llround(std::clamp(p, 0.0, 1.0) * 4294967295.0));
}

namespace {

// Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
double inv_normal(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double lo = 0.02425;
    if (p < lo) {
        double q = std::sqrt(-2 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - lo) return -inv_normal(1 - p);
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

}  // namespace

std::vector<int16_t> distribution_table(const std::string& name) {
    constexpr int kSize = 4096;
    constexpr double kScale = 8192;  // NETEM_DIST_SCALE
    std::vector<int16_t> t(kSize);
    for (int i = 0; i < kSize; ++i) {
        const double p = (i + 0.5) / kSize;
        double x;
        if (name == "pareto") {
            x = (1.0 / std::cbrt(1.0 - p) - 1.5) / std::sqrt(0.75);  // shape 3, standardised
        } else {
            x = inv_normal(p);
        }
        t[static_cast<size_t>(i)] = static_cast<int16_t>(std::clamp(x * kScale, -32767.0, 32767.0));
    }
    return t;
}

Qdisc build_root(int ifindex) {
    Qdisc q(rtnl_qdisc_alloc());
    if (!q) throw LabError("netem backend: cannot allocate a qdisc");
    rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
    rtnl_tc_set_parent(TC_CAST(q.get()), TC_H_ROOT);
    rtnl_tc_set_handle(TC_CAST(q.get()), kRootHandle);
    if (rtnl_tc_set_kind(TC_CAST(q.get()), "htb") < 0) throw LabError("libnl: no htb support");
    rtnl_htb_set_defcls(q.get(), 0);  // unclassified traffic bypasses shaping
    return q;
}

Class build_class(int ifindex, int src, const LinkShape& s) {
    Class c(rtnl_class_alloc());
    if (!c) throw LabError("netem backend: cannot allocate a class");
    rtnl_tc_set_ifindex(TC_CAST(c.get()), ifindex);
    rtnl_tc_set_parent(TC_CAST(c.get()), kRootHandle);
    rtnl_tc_set_handle(TC_CAST(c.get()), class_handle(src));
    if (rtnl_tc_set_kind(TC_CAST(c.get()), "htb") < 0) throw LabError("libnl: no htb support");
    const uint64_t bytes = s.rate_kbit > 0
                               ? static_cast<uint64_t>(std::llround(s.rate_kbit * 1000.0 / 8.0))
                               : kUnlimitedBytes;
    rtnl_htb_set_rate64(c.get(), bytes);
    rtnl_htb_set_ceil64(c.get(), bytes);
    // htb's default quantum (rate / 10) is far above its sane range at 10 Gbit/s and makes
    // the kernel complain; one class per link needs no more than a few packets' worth.
    rtnl_htb_set_quantum(c.get(),
                         static_cast<uint32_t>(std::clamp<uint64_t>(bytes / 10, 1514, 60000)));
    return c;
}

Qdisc build_leaf(int ifindex, int src, const LinkShape& s) {
    validate(s, "netem backend shape");
    Qdisc q(rtnl_qdisc_alloc());
    if (!q) throw LabError("netem backend: cannot allocate a qdisc");
    rtnl_tc_set_ifindex(TC_CAST(q.get()), ifindex);
    rtnl_tc_set_parent(TC_CAST(q.get()), class_handle(src));
    rtnl_tc_set_handle(TC_CAST(q.get()), leaf_handle(src));
    if (rtnl_tc_set_kind(TC_CAST(q.get()), "netem") < 0) throw LabError("libnl: no netem support");
    rtnl_netem_set_limit(q.get(), kNetemLimit);
    rtnl_netem_set_delay(q.get(), static_cast<int>(std::llround(s.delay_ms * 1000)));
    if (s.jitter_ms > 0) {
        rtnl_netem_set_jitter(q.get(), static_cast<int>(std::llround(s.jitter_ms * 1000)));
        // Without a table the kernel draws jitter uniformly: "uniform" is the absence of one.
        if (s.distribution != "uniform") {
            auto table = distribution_table(s.distribution);
            if (rtnl_netem_set_delay_distribution_data(q.get(), table.data(), table.size()) < 0) {
                throw LabError("netem backend: cannot set the " + s.distribution +
                               " delay distribution");
            }
        }
    }
    auto p = [](double v) { return static_cast<int>(scaled(v)); };  // libnl stores the u32 as is
    // libnl sends corrupt, reorder, the correlations and the delay table only when they are
    // non-zero, and the kernel keeps what a change leaves out: the backend replaces a leaf
    // whole when one of those goes back to zero (needs_new_leaf).
    rtnl_netem_set_loss(q.get(), p(s.loss));
    rtnl_netem_set_loss_correlation(q.get(), p(s.loss_correlation));
    rtnl_netem_set_delay_correlation(q.get(), 0);
    rtnl_netem_set_duplicate(q.get(), p(s.duplicate));
    rtnl_netem_set_duplicate_correlation(q.get(), 0);
    rtnl_netem_set_reorder_probability(q.get(), p(s.reorder));
    rtnl_netem_set_reorder_correlation(q.get(), 0);
    rtnl_netem_set_gap(q.get(), s.reorder > 0 ? 1 : 0);  // tc's default: any packet may be reordered
    rtnl_netem_set_corruption_probability(q.get(), p(s.corrupt));
    rtnl_netem_set_corruption_correlation(q.get(), 0);
    return q;
}

int add_leaf(nl_sock* sk, rtnl_qdisc* leaf, const LinkShape& s, int flags) {
    nl_msg* msg = nullptr;
    if (int e = rtnl_qdisc_build_add_request(leaf, flags, &msg); e < 0) return e;
    if (s.gemodel) {
        // netem's TCA_OPTIONS is its fixed options followed by nested attributes and spans
        // the rest of the message (libnl makes it so): append, then widen it.
        nlmsghdr* h = nlmsg_hdr(msg);
        nlattr* opts = nlmsg_find_attr(h, sizeof(tcmsg), TCA_OPTIONS);
        if (!opts) {
            nlmsg_free(msg);
            return -NLE_MISSING_ATTR;
        }
        const auto off = reinterpret_cast<char*>(opts) - reinterpret_cast<char*>(h);
        const uint32_t before = h->nlmsg_len;
        const GeModel& g = *s.gemodel;
        tc_netem_gemodel ge{scaled(g.p), scaled(g.r), scaled(1 - g.bad_loss), scaled(g.good_loss)};
        nlattr* loss = nla_nest_start(msg, TCA_NETEM_LOSS);
        if (!loss || nla_put(msg, NETEM_LOSS_GE, sizeof ge, &ge) < 0) {
            nlmsg_free(msg);
            return -NLE_NOMEM;
        }
        nla_nest_end(msg, loss);
        h = nlmsg_hdr(msg);
        opts = reinterpret_cast<nlattr*>(reinterpret_cast<char*>(h) + off);
        opts->nla_len = static_cast<uint16_t>(opts->nla_len + (h->nlmsg_len - before));
    }
    return nl_send_sync(sk, msg);  // frees msg
}

namespace {

int on_qdisc(nl_msg* msg, void* arg) {
    auto& out = *static_cast<std::map<std::pair<int, uint32_t>, GeModel>*>(arg);
    nlmsghdr* h = nlmsg_hdr(msg);
    if (h->nlmsg_type != RTM_NEWQDISC) return NL_OK;
    const auto* t = static_cast<const tcmsg*>(nlmsg_data(h));
    nlattr* kind = nlmsg_find_attr(h, sizeof(tcmsg), TCA_KIND);
    nlattr* opts = nlmsg_find_attr(h, sizeof(tcmsg), TCA_OPTIONS);
    if (!kind || !opts || std::string(static_cast<const char*>(nla_data(kind))) != "netem")
        return NL_OK;
    const int fixed = NLA_ALIGN(sizeof(tc_netem_qopt));
    if (nla_len(opts) <= fixed) return NL_OK;
    auto* first = reinterpret_cast<nlattr*>(static_cast<char*>(nla_data(opts)) + fixed);
    nlattr* loss = nla_find(first, nla_len(opts) - fixed, TCA_NETEM_LOSS);
    if (!loss) return NL_OK;
    nlattr* ge = nla_find(static_cast<nlattr*>(nla_data(loss)), nla_len(loss), NETEM_LOSS_GE);
    if (!ge || nla_len(ge) < static_cast<int>(sizeof(tc_netem_gemodel))) return NL_OK;
    const auto* g = static_cast<const tc_netem_gemodel*>(nla_data(ge));
    auto p = [](uint32_t v) { return v / 4294967295.0; };
    out[{t->tcm_ifindex, t->tcm_handle}] = GeModel{p(g->p), p(g->r), 1 - p(g->h), p(g->k1)};
    return NL_OK;
}

}  // namespace

std::map<std::pair<int, uint32_t>, GeModel> read_gemodels() {
    std::map<std::pair<int, uint32_t>, GeModel> out;
    sys::NlSock sk;  // its own socket: the dump's callback stays off the backend's
    tcmsg req{};
    req.tcm_family = AF_UNSPEC;
    if (int e = nl_send_simple(sk.get(), RTM_GETQDISC, NLM_F_DUMP, &req, sizeof req); e < 0)
        sys::throw_nl("netem backend: dump the qdiscs", e);
    nl_socket_modify_cb(sk.get(), NL_CB_VALID, NL_CB_CUSTOM, on_qdisc, &out);
    if (int e = nl_recvmsgs_default(sk.get()); e < 0)
        sys::throw_nl("netem backend: read the qdisc dump", e);
    return out;
}

bool needs_new_leaf(const LinkShape& from, const LinkShape& to) {
    auto table = [](const LinkShape& s) { return s.jitter_ms > 0 && s.distribution != "uniform"; };
    return (from.corrupt > 0 && to.corrupt <= 0) || (from.reorder > 0 && to.reorder <= 0) ||
           (from.loss_correlation > 0 && to.loss_correlation <= 0) || (table(from) && !table(to)) ||
           (from.gemodel && !to.gemodel);
}

Cls build_filter(int ifindex, int src, uint32_t src_addr_be, bool terminal) {
    Cls c(rtnl_cls_alloc());
    if (!c) throw LabError("netem backend: cannot allocate a filter");
    rtnl_tc_set_ifindex(TC_CAST(c.get()), ifindex);
    rtnl_tc_set_parent(TC_CAST(c.get()), kRootHandle);
    if (rtnl_tc_set_kind(TC_CAST(c.get()), "u32") < 0) throw LabError("libnl: no u32 support");
    rtnl_cls_set_protocol(c.get(), ETH_P_IP);
    rtnl_cls_set_prio(c.get(), 1);
    in_addr a{};
    a.s_addr = src_addr_be;
    // Offset 12 in the IPv4 header is the source address.
    if (rtnl_u32_add_key_in_addr(c.get(), &a, 32, 12, 0) < 0)
        throw LabError("netem backend: cannot build the u32 key");
    rtnl_u32_set_classid(c.get(), class_handle(src));
    // A u32 key that matches classifies only when its selector is terminal (TC_U32_TERMINAL;
    // tc sets it for every "flowid"). Without it the kernel walks on, finds no other rule,
    // and htb sends the packet to its unshaped default: the link is never impaired.
    if (terminal && rtnl_u32_set_cls_terminal(c.get()) < 0)
        throw LabError("netem backend: cannot mark the u32 filter terminal");
    return c;
}

}  // namespace gossiplab::netem::tc
