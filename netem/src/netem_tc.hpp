// The netem backend's traffic-control objects for one directed link, built without applying
// them (so they can be unit tested on any kernel).
#pragma once

#include "gossiplab/netem/shape.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

struct rtnl_qdisc;
struct rtnl_class;
struct rtnl_cls;
struct nl_sock;

namespace gossiplab::netem::tc {

struct QdiscDel {
    void operator()(rtnl_qdisc* q) const;
};
struct ClassDel {
    void operator()(rtnl_class* c) const;
};
struct ClsDel {
    void operator()(rtnl_cls* c) const;
};
using Qdisc = std::unique_ptr<rtnl_qdisc, QdiscDel>;
using Class = std::unique_ptr<rtnl_class, ClassDel>;
using Cls = std::unique_ptr<rtnl_cls, ClsDel>;

// Layout on the hub interface towards node `dst` (egress, so it shapes src -> dst):
//   root htb 1:  (default: unclassified packets pass unshaped)
//     class 1:(src+1)  rate = rate_kbit (or kUnlimitedBytes/s)
//       netem (src+2):  delay / jitter / distribution / loss / duplicate / reorder / corrupt
//     u32 filter on parent 1: ip saddr == addr(src)/32 -> classid 1:(src+1)
constexpr uint32_t kRootHandle = 0x00010000;                 // 1:
constexpr uint64_t kUnlimitedBytes = 10'000'000'000ull / 8;  // 10 Gbit/s
constexpr int kNetemLimit = 100000;                          // packets a netem leaf may hold

uint32_t class_handle(int src);  // 1:(src+1)
uint32_t leaf_handle(int src);   // (src+2):0

Qdisc build_root(int ifindex);
Class build_class(int ifindex, int src, const LinkShape& s);
// Throws LabError if the shape cannot be expressed by netem (it is validated first).
Qdisc build_leaf(int ifindex, int src, const LinkShape& s);
// Whether changing a leaf from `from` to `to` in place would leave part of `from` in force:
// libnl omits zero corrupt/reorder/correlation attributes and the kernel keeps what is omitted.
bool needs_new_leaf(const LinkShape& from, const LinkShape& to);
// `terminal` false only for GOSSIPLAB_BREAK_IMPAIRMENT=filter (a filter that classifies nothing).
Cls build_filter(int ifindex, int src, uint32_t src_addr_be, bool terminal = true);

// Sends `leaf` (built by build_leaf for `s`) as RTM_NEWQDISC with `flags`, appending what
// libnl cannot express: the Gilbert–Elliott loss model (TCA_NETEM_LOSS / NETEM_LOSS_GE).
// Returns 0 or a negative libnl error.
int add_leaf(nl_sock* sk, rtnl_qdisc* leaf, const LinkShape& s, int flags);
// The Gilbert–Elliott models in force, by (ifindex, qdisc handle), read with a raw
// RTM_GETQDISC dump (libnl's netem parser skips TCA_NETEM_LOSS). Throws LabError.
std::map<std::pair<int, uint32_t>, GeModel> read_gemodels();

// netem delay distribution tables (4096 entries scaled by 8192, as iproute2's .dist files).
std::vector<int16_t> distribution_table(const std::string& name);
// Probability 0..1 as netem's u32 scale (1.0 = 0xffffffff).
uint32_t scaled(double p);

}  // namespace gossiplab::netem::tc
