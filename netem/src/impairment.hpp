// The backend interface: what the lab asks of an impairment engine, and the table it applies.
#pragma once

#include "gossiplab/netem/lab.hpp"

#include <optional>
#include <string>
#include <vector>

namespace gossiplab::netem {

// The complete desired impairment state of an n-node lab, indexed [src * n + dst].
struct Table {
    int n = 0;
    std::vector<std::optional<LinkShape>> shape;  // nullopt: link unshaped
    std::vector<char> drop;                       // 1: packets src -> dst are dropped (grudge)

    explicit Table(int nodes = 0)
        : n(nodes), shape(static_cast<size_t>(nodes * nodes)), drop(shape.size(), 0) {}
    size_t at(int src, int dst) const { return static_cast<size_t>(src * n + dst); }
};

// The node side of the lab as a backend sees it: node i has address addr_be[i] and is reached
// from the hub through the hub interface hub_if[i].
struct Topology {
    std::vector<uint32_t> addr_be;
    std::vector<std::string> hub_if;
};

// An impairment engine at the hub. apply() replaces the whole state; it is called from the
// controller's thread only and takes effect on packets that arrive after it returns.
class Impairment {
  public:
    virtual ~Impairment() = default;
    virtual std::string name() const = 0;
    virtual void apply(const Table& t) = 0;
    virtual Lab::Stats stats() const = 0;
};

std::unique_ptr<Impairment> make_nfqueue(const Topology& topo);
std::unique_ptr<Impairment> make_netem(const Topology& topo);

}  // namespace gossiplab::netem
