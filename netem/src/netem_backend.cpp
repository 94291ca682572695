// The netem backend: kernel tc netem per directed link (htb classes + u32 filters on the hub
// side), partitions as iptables DROP rules in the hub.
#include "impairment.hpp"
#include "netem_tc.hpp"
#include "sys.hpp"

#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc.h>

namespace gossiplab::netem {
namespace {

const char* kChain = "GL_GRUDGE";

class NetemBackend final : public Impairment {
  public:
    explicit NetemBackend(const Topology& topo)
        : topo_(topo),
          applied_(static_cast<int>(topo.addr_be.size())),
          rooted_(topo.addr_be.size(), false),
          filtered_(applied_.shape.size(), false) {
        for (const auto& name : topo.hub_if) ifindex_.push_back(sys::ifindex(sock_.get(), name));
        sys::run_checked({"iptables", "-w", "-N", kChain},
                         "netem backend: create the grudge chain");
        sys::run_checked({"iptables", "-w", "-I", "FORWARD", "-j", kChain},
                         "netem backend: hook the grudge chain");
    }

    ~NetemBackend() override {
        // Deleting the interfaces (the lab does) removes the qdiscs; the rules go here.
        sys::run({"iptables", "-w", "-D", "FORWARD", "-j", kChain});
        sys::run({"iptables", "-w", "-F", kChain});
        sys::run({"iptables", "-w", "-X", kChain});
    }

    std::string name() const override { return "netem"; }

    void apply(const Table& t) override {
        const int n = t.n;
        for (int dst = 0; dst < n; ++dst) {
            for (int src = 0; src < n; ++src) {
                const size_t i = t.at(src, dst);
                if (t.shape[i] == applied_.shape[i]) continue;
                shape_link(src, dst, t.shape[i].value_or(LinkShape{}));
                applied_.shape[i] = t.shape[i];
            }
        }
        if (t.drop != applied_.drop) {
            // One iptables-restore replaces the whole chain at once: a partition or a heal is
            // a single atomic change, however many rules it has.
            std::string rules = "*filter\n-F " + std::string(kChain) + "\n";
            for (int src = 0; src < n; ++src) {
                for (int dst = 0; dst < n; ++dst) {
                    if (!t.drop[t.at(src, dst)]) continue;
                    rules += "-A " + std::string(kChain) + " -s " +
                             sys::ip_to_string(topo_.addr_be[static_cast<size_t>(src)]) + " -d " +
                             sys::ip_to_string(topo_.addr_be[static_cast<size_t>(dst)]) +
                             " -j DROP\n";
                }
            }
            rules += "COMMIT\n";
            sys::run_checked({"iptables-restore", "-w", "--noflush"},
                             "netem backend: apply the partition", rules);
            applied_.drop = t.drop;
        }
    }

    Lab::Stats stats() const override { return {}; }

  private:
    // An unshaped link keeps its class and an identity netem leaf: changing objects in place
    // never drops the packets they hold.
    void shape_link(int src, int dst, const LinkShape& s) {
        const int ifi = ifindex_[static_cast<size_t>(dst)];
        if (!rooted_[static_cast<size_t>(dst)]) {
            auto root = tc::build_root(ifi);
            if (int e = rtnl_qdisc_add(sock_.get(), root.get(), NLM_F_CREATE | NLM_F_REPLACE);
                e < 0)
                sys::throw_nl("netem backend: add htb root on " + topo_.hub_if[dst], e);
            rooted_[static_cast<size_t>(dst)] = true;
        }
        auto cls = tc::build_class(ifi, src, s);
        if (int e = rtnl_class_add(sock_.get(), cls.get(), NLM_F_CREATE | NLM_F_REPLACE); e < 0)
            sys::throw_nl("netem backend: add htb class for link", e);
        auto leaf = tc::build_leaf(ifi, src, s);
        if (int e = rtnl_qdisc_add(sock_.get(), leaf.get(), NLM_F_CREATE | NLM_F_REPLACE); e < 0)
            sys::throw_nl("netem backend: add netem qdisc (is sch_netem available?)", e);
        const size_t i = applied_.at(src, dst);
        if (!filtered_[i]) {
            auto f = tc::build_filter(ifi, src, topo_.addr_be[static_cast<size_t>(src)]);
            if (int e = rtnl_cls_add(sock_.get(), f.get(), NLM_F_CREATE); e < 0)
                sys::throw_nl("netem backend: add u32 filter", e);
            filtered_[i] = true;
        }
    }

    Topology topo_;
    sys::NlSock sock_;
    std::vector<int> ifindex_;
    Table applied_;
    std::vector<bool> rooted_;
    std::vector<bool> filtered_;
};

}  // namespace

std::unique_ptr<Impairment> make_netem(const Topology& topo) {
    return std::make_unique<NetemBackend>(topo);
}

}  // namespace gossiplab::netem
