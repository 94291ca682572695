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
    uint64_t seed =
        1;  // the run's seed (LabConfig::seed): the engine's random streams derive from it
};

// What a backend did on one directed link, counted since it started (monotonic).
struct LinkCounters {
    uint64_t forwarded = 0;  // packets src -> dst past the partition rules, towards the shaping
    uint64_t packets = 0;    // of those, the packets the link's shaping element received
    uint64_t lost = 0;       // dropped by the link's loss
    uint64_t held = 0;       // held for a delay, jitter or rate
    uint64_t cut = 0;        // dropped by a partition
};

// What a backend reads back: the state in force (from the kernel or the engine, not from
// what was asked) and its counters, both indexed like Table.
struct Observed {
    Table in_force;
    std::vector<LinkCounters> counters;
};

// Test-only sabotage, in the style of gossip-node --break: GOSSIPLAB_BREAK_IMPAIRMENT names
// one part of the shaping that a backend then skips, so that the lab's own check can be shown
// to catch a fault that did not land. "" (unset) | "delay" | "partition" | "filter" (netem:
// u32 filters without the terminal flag, the bug that once left every link unshaped).
std::string break_impairment();

// An impairment engine at the hub. apply() replaces the whole state; it is called from the
// controller's thread only and takes effect on packets that arrive after it returns.
class Impairment {
  public:
    virtual ~Impairment() = default;
    virtual std::string name() const = 0;
    virtual void apply(const Table& t) = 0;
    virtual Lab::Stats stats() const = 0;
    // Reads back what is in force and the per-link counters. Not cheap (netlink dumps and an
    // iptables-save for netem): call it after a change and at the end, not per packet.
    virtual Observed observe() = 0;
    // The most a held packet left after its release time since the last call, in ns; -1 when
    // the backend does not hold packets itself (the kernel's netem: its lag is not visible).
    virtual int64_t take_release_lag_ns() { return -1; }
};

std::unique_ptr<Impairment> make_nfqueue(const Topology& topo);
std::unique_ptr<Impairment> make_netem(const Topology& topo);

}  // namespace gossiplab::netem
