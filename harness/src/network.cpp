// The two places nodes can live: the lab (netem/) and plain loopback.
#include <set>
#include <stdexcept>

#include "gossiplab/harness/controller.hpp"
#include "gossiplab/netem/lab.hpp"

namespace gossiplab::harness {

using nlohmann::json;

namespace {

class LabNetwork : public Network {
  public:
    LabNetwork(const std::vector<std::string>& nodes, netem::Backend backend, uint64_t seed)
        : lab_(netem::LabConfig{nodes, "198.18.0.0/15", backend, seed}),
          seed_(seed),
          nodes_(nodes) {}
    std::string name() const override { return lab_.backend_name(); }
    json fates() const override {
        if (lab_.backend_name() == "nfqueue")
            return {{"engine", "nfqueue"},
                    {"seed", seed_},
                    {"streams",
                     "one per directed link: link_seed(seed, src, dst), src and dst "
                     "indexes in run_start.nodes order"},
                    {"reproducible", true}};
        return {{"engine", lab_.backend_name()},
                {"seed", nullptr},
                {"reproducible", false},
                {"why",
                 "the kernel's netem draws from its own generator: libnl cannot pass it a "
                 "seed"}};
    }
    std::string address(const std::string& n) const override { return lab_.address(n); }
    int netns_fd(const std::string& n) const override { return lab_.netns_fd(n); }
    void set_grudge(const netem::Grudge& g) override {
        active_ = netem::merge(active_, g);
        apply();
    }
    void heal() override {
        active_.clear();
        clogged_.clear();
        lab_.heal();
    }
    void clog(const std::string& node) override {
        clogged_.insert(node);
        apply();
    }
    void unclog(const std::string& node) override {
        clogged_.erase(node);
        apply();
    }
    void shape(const Links& links, const netem::LinkShape& s) override {
        for_links(links,
                  [&](const std::string& a, const std::string& b) { lab_.set_shape(a, b, s); });
    }
    void clear(const Links& links) override {
        if (links.kind == Links::Kind::all) return lab_.clear_shapes();
        for_links(links,
                  [&](const std::string& a, const std::string& b) { lab_.clear_shape(a, b); });
    }
    json stats() const override {
        auto s = lab_.stats();
        return {{"queued", s.queued},
                {"passed", s.passed},
                {"dropped", s.dropped},
                {"duplicated", s.duplicated},
                {"delayed", s.delayed}};
    }

    std::optional<double> release_lag() override { return lab_.take_release_lag(); }

    json observe() override {
        json links = json::array();
        auto shape = [](const std::optional<netem::LinkShape>& s) {
            return s ? netem::to_json(*s) : json(nullptr);
        };
        for (const auto& l : lab_.observe()) {
            links.push_back({{"src", l.src},
                             {"dst", l.dst},
                             {"configured", shape(l.configured)},
                             {"in_force", shape(l.in_force)},
                             {"partitioned", l.partitioned},
                             {"dropping", l.dropping},
                             {"forwarded", l.forwarded},
                             {"packets", l.packets},
                             {"lost", l.lost},
                             {"held", l.held},
                             {"cut", l.cut}});
        }
        return links;
    }

  private:
    // The partitions and the clogs together, as the lab's one grudge in force.
    void apply() {
        netem::Grudge g = active_;
        for (const auto& c : clogged_) g = netem::merge(g, netem::isolate(nodes_, c));
        if (g.empty()) return lab_.heal();
        lab_.set_grudge(g);
    }
    template <class F>
    void for_links(const Links& links, F f) {
        switch (links.kind) {
            case Links::Kind::all:
                return f("*", "*");
            case Links::Kind::node:
                f(links.node, "*");
                return f("*", links.node);
            case Links::Kind::pairs:
                for (const auto& [a, b] : links.pairs) f(a, b);
        }
    }
    netem::Lab lab_;
    uint64_t seed_;
    netem::Grudge active_;           // the partitions since the last heal
    std::set<std::string> clogged_;  // swizzle-clog: nodes whose links are all stopped
    std::vector<std::string> nodes_;
};

// Loopback: every node gets its own 127.0.0.x address (Linux routes all of
// 127/8 to lo), so ids map to distinct addresses with the same port. There is
// nothing to impair: network faults are refused with an explanation.
class LoopbackNetwork : public Network {
  public:
    explicit LoopbackNetwork(const std::vector<std::string>& nodes) {
        if (nodes.size() > 250 * 250) throw std::runtime_error("too many nodes for loopback");
        for (size_t i = 0; i < nodes.size(); ++i)
            addr_[nodes[i]] =
                "127.0." + std::to_string(10 + i / 250) + "." + std::to_string(1 + i % 250);
    }
    std::string name() const override { return "loopback"; }
    std::string address(const std::string& n) const override { return addr_.at(n); }
    int netns_fd(const std::string&) const override { return -1; }
    void set_grudge(const netem::Grudge&) override { refuse("partitions"); }
    void heal() override {}
    void clog(const std::string&) override { refuse("clogs"); }
    void unclog(const std::string&) override {}
    void shape(const Links&, const netem::LinkShape&) override { refuse("link shapes"); }
    void clear(const Links&) override {}
    json stats() const override { return json::object(); }

  private:
    [[noreturn]] static void refuse(const std::string& what) {
        throw std::runtime_error("the loopback network cannot apply " + what +
                                 " (run with the lab: --impairment auto|nfqueue|netem)");
    }
    std::map<std::string, std::string> addr_;
};

}  // namespace

std::unique_ptr<Network> make_lab_network(const std::vector<std::string>& nodes,
                                          netem::Backend backend, uint64_t seed) {
    return std::make_unique<LabNetwork>(nodes, backend, seed);
}

std::unique_ptr<Network> make_loopback_network(const std::vector<std::string>& nodes) {
    return std::make_unique<LoopbackNetwork>(nodes);
}

}  // namespace gossiplab::harness
