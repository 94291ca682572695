// The netem backend: kernel tc netem per directed link (htb classes + u32 filters on the hub
// side), partitions as iptables DROP rules in the hub.
#include "impairment.hpp"
#include "netem_tc.hpp"
#include "sys.hpp"

#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>

#include <cmath>
#include <map>
#include <sstream>

namespace gossiplab::netem {
namespace {

const char* kChain = "GL_GRUDGE";
const char* kCount = "GL_COUNT";  // mangle POSTROUTING: per-link packets past the partition

// "[pkts:bytes] -A CHAIN -s A/32 -d B/32 ..." lines of iptables-save -c for one chain.
std::map<std::pair<uint32_t, uint32_t>, uint64_t> saved_rules(const std::string& text,
                                                              const std::string& chain) {
    std::map<std::pair<uint32_t, uint32_t>, uint64_t> out;
    std::istringstream in(text);
    std::string line;
    const std::string tag = "-A " + chain + " ";
    while (std::getline(in, line)) {
        const auto at = line.find(tag);
        if (line.empty() || line[0] != '[' || at == std::string::npos) continue;
        const uint64_t pkts = std::stoull(line.substr(1, line.find(':') - 1));
        std::istringstream rule(line.substr(at + tag.size()));
        std::string w, src, dst;
        while (rule >> w) {
            if (w == "-s") rule >> src;
            if (w == "-d") rule >> dst;
        }
        auto strip = [](std::string a) { return a.substr(0, a.find('/')); };
        if (src.empty() || dst.empty()) continue;
        out[{sys::ip_from_string(strip(src), "iptables-save"),
             sys::ip_from_string(strip(dst), "iptables-save")}] += pkts;
    }
    return out;
}

class NetemBackend final : public Impairment {
  public:
    explicit NetemBackend(const Topology& topo)
        : topo_(topo),
          applied_(static_cast<int>(topo.addr_be.size())),
          rooted_(topo.addr_be.size(), false),
          filtered_(applied_.shape.size(), false),
          counted_(applied_.shape.size(), false),
          break_(break_impairment()) {
        for (const auto& name : topo.hub_if) ifindex_.push_back(sys::ifindex(sock_.get(), name));
        sys::run_checked({"iptables", "-w", "-N", kChain},
                         "netem backend: create the grudge chain");
        sys::run_checked({"iptables", "-w", "-I", "FORWARD", "-j", kChain},
                         "netem backend: hook the grudge chain");
        sys::run_checked({"iptables", "-w", "-t", "mangle", "-N", kCount},
                         "netem backend: create the link counting chain");
        sys::run_checked({"iptables", "-w", "-t", "mangle", "-A", "POSTROUTING", "-j", kCount},
                         "netem backend: hook the link counting chain");
    }

    ~NetemBackend() override {
        // Deleting the interfaces (the lab does) removes the qdiscs; the rules go here.
        sys::run({"iptables", "-w", "-D", "FORWARD", "-j", kChain});
        sys::run({"iptables", "-w", "-F", kChain});
        sys::run({"iptables", "-w", "-X", kChain});
        sys::run({"iptables", "-w", "-t", "mangle", "-D", "POSTROUTING", "-j", kCount});
        sys::run({"iptables", "-w", "-t", "mangle", "-F", kCount});
        sys::run({"iptables", "-w", "-t", "mangle", "-X", kCount});
    }

    std::string name() const override { return "netem"; }

    void apply(const Table& t) override {
        const int n = t.n;
        count_links(t);
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
                    if (!t.drop[t.at(src, dst)] || break_ == "partition") continue;
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

    // Reads the kernel's state back: each link's netem leaf and htb class (parameters and
    // counters), the grudge chain's DROP rules and the counting chain's per-link packets.
    Observed observe() override {
        const int n = applied_.n;
        Observed o{Table(n), std::vector<LinkCounters>(applied_.shape.size())};
        nl_cache* qc = nullptr;
        if (int e = rtnl_qdisc_alloc_cache(sock_.get(), &qc); e < 0)
            sys::throw_nl("netem backend: read back the qdiscs", e);
        for (int dst = 0; dst < n; ++dst) {
            if (!rooted_[static_cast<size_t>(dst)]) continue;
            const int ifi = ifindex_[static_cast<size_t>(dst)];
            nl_cache* cc = nullptr;
            if (int e = rtnl_class_alloc_cache(sock_.get(), ifi, &cc); e < 0) {
                nl_cache_free(qc);
                sys::throw_nl("netem backend: read back the classes on " + topo_.hub_if[dst], e);
            }
            for (int src = 0; src < n; ++src) {
                const size_t i = applied_.at(src, dst);
                rtnl_qdisc* leaf = rtnl_qdisc_get(qc, ifi, tc::leaf_handle(src));
                if (!leaf) continue;
                rtnl_class* cls = rtnl_class_get(cc, ifi, tc::class_handle(src));
                o.in_force.shape[i] = read_shape(leaf, cls);
                if (o.in_force.shape[i]->is_identity()) o.in_force.shape[i].reset();
                auto stat = [&](rtnl_tc_stat st) { return rtnl_tc_get_stat(TC_CAST(leaf), st); };
                auto& c = o.counters[i];
                c.lost = stat(RTNL_TC_DROPS);
                c.packets = stat(RTNL_TC_PACKETS) + c.lost + stat(RTNL_TC_QLEN);
                const auto& f = o.in_force.shape[i];
                // Every packet a netem leaf with a delay (or its class with a rate) takes in
                // is held until its time: the leaf's intake is what was held.
                if (f && (f->delay_ms > 0 || f->jitter_ms > 0 || f->rate_kbit > 0))
                    c.held = c.packets - c.lost;
                if (cls) rtnl_class_put(cls);
                rtnl_qdisc_put(leaf);
            }
            nl_cache_free(cc);
        }
        nl_cache_free(qc);
        const auto ge = tc::read_gemodels();
        for (int dst = 0; dst < n; ++dst) {
            for (int src = 0; src < n; ++src) {
                auto& sh = o.in_force.shape[applied_.at(src, dst)];
                auto it = ge.find({ifindex_[static_cast<size_t>(dst)], tc::leaf_handle(src)});
                if (it == ge.end()) continue;
                if (!sh) sh = LinkShape{};
                sh->gemodel = it->second;
            }
        }
        std::map<uint32_t, int> index;
        for (int i = 0; i < n; ++i) index[topo_.addr_be[static_cast<size_t>(i)]] = i;
        // One iptables-save for both chains (the grudge in filter, the counters in mangle):
        // each call is a process and a full dump, and observe runs around every fault.
        std::string text;
        if (sys::run({"iptables-save", "-c"}, &text) != 0)
            throw LabError("netem backend: iptables-save -c failed: " + text);
        auto each = [&](const std::string& chain, auto fn) {
            for (const auto& [pair, pkts] : saved_rules(text, chain)) {
                auto s = index.find(pair.first), d = index.find(pair.second);
                if (s != index.end() && d != index.end())
                    fn(applied_.at(s->second, d->second), pkts);
            }
        };
        each(kChain, [&](size_t i, uint64_t pkts) {
            o.in_force.drop[i] = 1;
            o.counters[i].cut = pkts;
        });
        each(kCount, [&](size_t i, uint64_t pkts) { o.counters[i].forwarded = pkts; });
        return o;
    }

  private:
    static LinkShape read_shape(rtnl_qdisc* leaf, rtnl_class* cls) {
        LinkShape s;
        auto prob = [](int v) { return v <= 0 ? 0.0 : static_cast<uint32_t>(v) / 4294967295.0; };
        const int delay = rtnl_netem_get_delay(leaf), jitter = rtnl_netem_get_jitter(leaf);
        s.delay_ms = delay > 0 ? delay / 1000.0 : 0;
        s.jitter_ms = jitter > 0 ? jitter / 1000.0 : 0;
        // The kernel does not report a distribution table, only that jitter is in force.
        s.distribution = "normal";
        s.loss = prob(rtnl_netem_get_loss(leaf));
        s.loss_correlation = prob(rtnl_netem_get_loss_correlation(leaf));
        s.duplicate = prob(rtnl_netem_get_duplicate(leaf));
        s.reorder = prob(rtnl_netem_get_reorder_probability(leaf));
        s.corrupt = prob(rtnl_netem_get_corruption_probability(leaf));
        uint64_t rate = 0;
        if (cls && rtnl_htb_get_rate64(cls, &rate) == 0 && rate < tc::kUnlimitedBytes)
            s.rate_kbit = static_cast<double>(rate) * 8.0 / 1000.0;
        return s;
    }

    // Per-link counting rules for every link that is shaped or partitioned (once per link).
    void count_links(const Table& t) {
        std::string rules;
        for (int src = 0; src < t.n; ++src) {
            for (int dst = 0; dst < t.n; ++dst) {
                const size_t i = t.at(src, dst);
                if (counted_[i] || (!t.shape[i] && !t.drop[i])) continue;
                rules += "-A " + std::string(kCount) + " -s " +
                         sys::ip_to_string(topo_.addr_be[static_cast<size_t>(src)]) + " -d " +
                         sys::ip_to_string(topo_.addr_be[static_cast<size_t>(dst)]) + "\n";
                counted_[i] = true;
            }
        }
        if (rules.empty()) return;
        sys::run_checked({"iptables-restore", "-w", "--noflush"},
                         "netem backend: add the link counters", "*mangle\n" + rules + "COMMIT\n");
    }

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
        LinkShape built = s;
        if (break_ == "delay") built.delay_ms = built.jitter_ms = 0, built.reorder = 0;
        const size_t li = applied_.at(src, dst);
        if (built_[li] && tc::needs_new_leaf(*built_[li], built)) {
            auto old = tc::build_leaf(ifi, src, LinkShape{});
            if (int e = rtnl_qdisc_delete(sock_.get(), old.get()); e < 0)
                sys::throw_nl("netem backend: replace a netem leaf", e);
        }
        built_[li] = built;
        auto leaf = tc::build_leaf(ifi, src, built);
        if (int e = tc::add_leaf(sock_.get(), leaf.get(), built, NLM_F_CREATE | NLM_F_REPLACE);
            e < 0)
            sys::throw_nl("netem backend: add netem qdisc (is sch_netem available?)", e);
        const size_t i = applied_.at(src, dst);
        if (!filtered_[i]) {
            auto f = tc::build_filter(ifi, src, topo_.addr_be[static_cast<size_t>(src)],
                                      break_ != "filter");
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
    std::vector<bool> counted_;
    std::vector<std::optional<LinkShape>> built_ =  // each leaf's shape as last sent
        std::vector<std::optional<LinkShape>>(counted_.size());
    std::string break_;
};

}  // namespace

std::unique_ptr<Impairment> make_netem(const Topology& topo) {
    return std::make_unique<NetemBackend>(topo);
}

}  // namespace gossiplab::netem
