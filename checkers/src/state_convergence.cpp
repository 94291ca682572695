// state_convergence: after the last write and the last fault, every live node holds the newest
// record of every application state entry within the bound (node contract v2, feature `state`).
// Also: writes a node never applied, a node that went back to an older record (an older version
// winning), and after the last heal how long the repair took and what it cost (entries the
// nodes' anti-entropy sent against the (node, entry) pairs that had diverged).
//
// Without the feature `state_versions` (Serf's tags, memberlist's node metadata: one map per
// owner, replaced whole under the owner's incarnation, no per-entry version, no tombstone) the
// records carry no order: the newest record of an entry is then the last one its owner printed
// (only the owner writes it, in the order the controller sent the writes), records are equal
// when their values are, a deleted entry and an absent one are the same, and a node going back
// to an older record cannot be told from a new write, so that part is not judged.
#include "checks.hpp"
#include "common.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace gossiplab::checkers::detail {

namespace {

// The order of records of one entry (reference-node/include/gossip/state.hpp): version, then
// the owner id (the writer), then the value digest, then a tombstone over a value.
auto rank(const History& h, const StateRecord& r) {
    return std::tie(r.version, h.ids[r.owner], r.digest, r.deleted);
}
bool same(const StateRecord& a, const StateRecord& b, bool versions) {
    return (!versions || a.version == b.version) && a.digest == b.digest && a.deleted == b.deleted;
}
std::string describe(const StateRecord& r, bool versions) {
    if (!versions) return r.deleted ? "deleted" : "digest " + r.digest;
    return "v" + std::to_string(r.version) + (r.deleted ? " (deleted)" : " digest " + r.digest);
}

struct Newest {
    uint32_t rec = kNone;  // index into h.states
    uint32_t line = 0;     // the first event that printed it
    double t = 0;
};

// What a node's current process holds of one entry.
struct Hold {
    uint32_t rec = kNone;
    double newest_since = -1;  // when it first held the newest record in this process
    uint32_t newest_line = 0;
};

// Records as (owner, key, version, digest, deleted): the forged-record check's sets.
using RecordSet = std::set<std::tuple<uint32_t, std::string, uint64_t, std::string, bool>>;

bool is_fault(ActionType a) {
    switch (a) {
        case ActionType::partition:
        case ActionType::heal:
        case ActionType::clog:
        case ActionType::unclog:
        case ActionType::shape:
        case ActionType::clear:
        case ActionType::kill:
        case ActionType::pause:
        case ActionType::resume:
        case ActionType::restart:
        case ActionType::starve_start:
        case ActionType::starve_stop:
            return true;
        default:
            return false;
    }
}

}  // namespace

CheckResult state_convergence(const Context& ctx, const json& options) {
    const History& h = ctx.history;
    const Truth& truth = ctx.truth();
    ResultBuilder rb("state_convergence", h, options);
    const bool any_state =
        !h.states.empty() || std::any_of(h.actions.begin(), h.actions.end(), [](const Action& a) {
            return a.type == ActionType::set || a.type == ActionType::del;
        });
    if (!any_state) return rb.finish("no application state was written in this run");
    if (!ctx.has("state")) {
        rb.unknown("the implementation does not report application state (no state feature)");
        return rb.finish("");
    }
    const BoundSpec spec = bound_spec(options, "bound", kStateBound);
    const double n_nodes = double(std::max<size_t>(h.declared.size(), 1));
    const double bound = bound_value(spec, ctx, n_nodes);
    rb.r.bound = bound_json(spec, bound);
    const auto max_ratio = opt_number_or_null(options, "max_repair_ratio");
    const bool versions = ctx.has("state_versions");

    // The entries and their newest records.
    std::map<std::pair<uint32_t, std::string>, uint32_t> entry_of;
    std::vector<std::pair<uint32_t, std::string>> entries;
    std::vector<Newest> newest;
    auto entry = [&](const StateRecord& r) {
        auto [it, added] =
            entry_of.try_emplace(std::make_pair(r.owner, r.key), uint32_t(entries.size()));
        if (added) {
            entries.push_back({r.owner, r.key});
            newest.push_back({});
        }
        return it->second;
    };
    std::vector<bool> by_owner;  // versions-less: the newest is the owner's own last record
    for (const Event& e : h.events) {
        if (e.type != EventType::state) continue;
        const StateRecord& r = h.states[e.aux];
        const uint32_t ent = entry(r);
        by_owner.resize(entries.size(), false);
        Newest& n = newest[ent];
        if (versions) {
            if (n.rec == kNone || rank(h, h.states[n.rec]) < rank(h, r)) n = {e.aux, e.line, e.t};
        } else if (e.node == r.owner) {
            // A repeat of the value it holds is not a new write: keep the first line of it.
            if (!by_owner[ent] || !same(h.states[n.rec], r, false)) n = {e.aux, e.line, e.t};
            by_owner[ent] = true;
        } else if (!by_owner[ent]) {
            n = {e.aux, e.line, e.t};  // until the owner prints one (it should, first)
        }
    }
    auto name = [&](uint32_t ent) { return id(h, entries[ent].first) + "/" + entries[ent].second; };

    // The window opens at the last write and the last fault.
    double last_write = 0, last_fault = 0, heal_t = -1;
    uint32_t heal_line = 0;
    struct Write {
        const Action* a;
        bool deleted;
    };
    std::vector<Write> writes;
    for (const Action& a : h.actions) {
        if (a.type == ActionType::set || a.type == ActionType::del) {
            last_write = std::max(last_write, a.t);
            writes.push_back({&a, a.type == ActionType::del});
        }
        if (is_fault(a.type) && a.t <= truth.end_t) last_fault = std::max(last_fault, a.t);
        if (a.type == ActionType::heal && a.t <= truth.end_t) {
            heal_t = a.t;
            heal_line = a.line;
        }
    }
    const double from = std::max(last_write, last_fault);
    const double deadline = from + bound;

    // Every write must be applied by its node: a `state` event of its own entry after it. The
    // first such record is what the write wrote.
    RecordSet written;
    size_t unapplied = 0;
    for (const Write& w : writes) {
        const std::string* key = w.a->body.contains("key") && w.a->body["key"].is_string()
                                     ? w.a->body["key"].get_ptr<const std::string*>()
                                     : nullptr;
        if (key == nullptr || w.a->node == kNone) continue;
        bool applied = false;
        for (uint32_t idx : h.by_node[w.a->node]) {
            const Event& e = h.events[idx];
            if (e.line < w.a->line || e.type != EventType::state) continue;
            const StateRecord& r = h.states[e.aux];
            if (r.owner == w.a->node && r.key == *key && r.deleted == w.deleted) {
                applied = true;
                written.insert({r.owner, r.key, r.version, r.digest, r.deleted});
                break;
            }
        }
        if (!applied) {
            ++unapplied;
            rb.evidence(w.a->t, w.a->node,
                        "lost write: " + id(h, w.a->node) + " never applied its " +
                            (w.deleted ? "delete" : "set") + " of " + *key,
                        w.a->line);
        }
    }

    // Only an entry's owner writes it, on a set or delete command: every record any node holds
    // (the owner too) must be one of those writes (same version, digest and tombstone). A
    // record nobody wrote is a forgery (a field garbled on the way, a tombstone made of a
    // value). Judged with versions, and for owners that lived once (a killed one may not have
    // printed its last write) and wrote only on command.
    size_t forged = 0;
    if (versions) {
        std::set<uint32_t> judged_owners;
        for (uint32_t o = 0; o < truth.lives.size(); ++o) {
            const auto& lives = truth.lives[o];
            if (lives.size() == 1 && lives[0].how != EndHow::killed &&
                lives[0].how != EndHow::crashed)
                judged_owners.insert(o);
        }
        RecordSet reported;
        for (const Event& e : h.events) {
            if (e.type != EventType::state) continue;
            const StateRecord& r = h.states[e.aux];
            if (!judged_owners.count(r.owner)) continue;
            const auto rec = std::make_tuple(r.owner, r.key, r.version, r.digest, r.deleted);
            if (written.count(rec) || !reported.insert(rec).second) continue;
            ++forged;
            rb.evidence(e.t, e.node,
                        "forged record: " + id(h, e.node) + " holds " + describe(r, true) + " of " +
                            id(h, r.owner) + "/" + r.key + ", which " + id(h, r.owner) +
                            " never wrote",
                        e.line);
        }
    }

    // One pass in line order: what each node's current process holds, when it first held the
    // newest record, records that went back, and the holdings at the heal.
    std::vector<std::map<uint32_t, Hold>> hold(h.ids.size());
    std::vector<std::map<uint32_t, Hold>> at_heal;
    size_t regressions = 0;
    bool snapped = false;
    auto snap = [&] {
        if (!snapped && heal_t >= 0) at_heal = hold;
        snapped = true;
    };
    for (const Event& e : h.events) {
        if (heal_t >= 0 && e.line > heal_line) snap();
        if (e.type == EventType::started) {
            hold[e.node].clear();  // a new process starts with no state (no disk in the lab)
            continue;
        }
        if (e.type != EventType::state) continue;
        const StateRecord& r = h.states[e.aux];
        const uint32_t ent = entry_of.at({r.owner, r.key});
        Hold& hd = hold[e.node][ent];
        if (versions && hd.rec != kNone && rank(h, r) < rank(h, h.states[hd.rec])) {
            ++regressions;
            rb.evidence(e.t, e.node,
                        "lost write: " + id(h, e.node) + " replaced " +
                            describe(h.states[hd.rec], true) + " of " + name(ent) +
                            " by the older " + describe(r, true),
                        e.line);
        }
        hd.rec = e.aux;
        if (same(r, h.states[newest[ent].rec], versions)) {
            if (hd.newest_since < 0) {
                hd.newest_since = e.t;
                hd.newest_line = e.line;
            }
        } else {
            hd.newest_since = -1;
        }
    }
    snap();

    // At the end: every live node holds every newest record, in time.
    const double end = truth.end_t;
    const double probe = end - 1e-6;
    std::vector<uint32_t> live;
    for (uint32_t n = 0; n < h.ids.size(); ++n)
        if (truth.live(n, probe) && !truth.paused_at(n, probe)) live.push_back(n);
    size_t missing = 0, stale = 0, late = 0, pending = 0;
    double worst = 0;
    json per_entry = json::array();
    for (uint32_t ent = 0; ent < entries.size(); ++ent) {
        const StateRecord& nr = h.states[newest[ent].rec];
        double all_at = newest[ent].t;
        size_t holders = 0;
        for (uint32_t n : live) {
            auto it = hold[n].find(ent);
            const Hold* hd = it == hold[n].end() ? nullptr : &it->second;
            if (hd && hd->newest_since >= 0) {
                ++holders;
                all_at = std::max(all_at, hd->newest_since);
                double lag = std::max(0.0, hd->newest_since - from);
                worst = std::max(worst, lag);
                if (hd->newest_since > deadline) {
                    ++late;
                    rb.evidence(hd->newest_since, n,
                                id(h, n) + " got the newest " + describe(nr, versions) + " of " +
                                    name(ent) + " " + fmt(lag) +
                                    " s after the last write or fault (bound " + fmt(bound) + " s)",
                                hd->newest_line);
                }
                continue;
            }
            if (!versions && !hd && nr.deleted) {
                ++holders;  // no tombstones: never having held the entry is holding its delete
                continue;
            }
            if (deadline > end) {
                ++pending;
                continue;
            }
            std::string what = hd ? id(h, n) + " still holds " +
                                        describe(h.states[hd->rec], versions) + " of " + name(ent) +
                                        " at the end; the newest is " + describe(nr, versions)
                                  : id(h, n) + " never received " + name(ent) + " (newest " +
                                        describe(nr, versions) + ")";
            ++(hd ? stale : missing);
            rb.evidence(end, n, "lost write: " + what, newest[ent].line);
        }
        if (per_entry.size() < 200)
            per_entry.push_back({{"entry", name(ent)},
                                 {"newest", nr.version},
                                 {"deleted", nr.deleted},
                                 {"written_at", newest[ent].t},
                                 {"holders", holders},
                                 {"live", live.size()},
                                 {"converged_at", holders == live.size() ? json(all_at) : json()}});
    }

    // The repair after the last heal: (node, entry) pairs that had diverged, what it cost.
    json repair = nullptr;
    if (heal_t >= 0) {
        size_t diverged = 0;
        double repaired_at = heal_t;
        for (uint32_t n : live) {
            if (!truth.live(n, heal_t)) continue;
            for (uint32_t ent = 0; ent < entries.size(); ++ent) {
                if (newest[ent].t > heal_t) continue;  // written after the heal
                auto it = at_heal[n].find(ent);
                bool had = it != at_heal[n].end() ? it->second.newest_since >= 0
                                                  : !versions && h.states[newest[ent].rec].deleted;
                if (had) continue;
                ++diverged;
                auto now = hold[n].find(ent);
                if (now != hold[n].end() && now->second.newest_since >= 0)
                    repaired_at = std::max(repaired_at, now->second.newest_since);
            }
        }
        double sent = 0;
        bool counted = false;
        for (uint32_t n = 0; n < h.ids.size(); ++n) {
            double before = 0, last = 0;
            for (uint32_t idx : h.by_node[n]) {
                const Event& e = h.events[idx];
                if (e.type == EventType::started) {
                    sent += last - before;  // a finished process's share
                    before = last = 0;
                }
                if (e.type != EventType::counters) continue;
                counted = counted || h.counters[e.aux].has_sync_entries;
                const double v = h.counters[e.aux].sync_entries_sent;
                if (e.line < heal_line) before = v;
                last = v;
            }
            sent += last - before;
        }
        repair = {{"heal_t", heal_t},
                  {"diverged", diverged},
                  {"entries_sent", counted ? json(sent) : json()},
                  {"ratio", counted && diverged > 0 ? json(sent / double(diverged)) : json()},
                  {"repair_time", repaired_at - heal_t}};
        if (max_ratio && counted && diverged > 0 && sent > *max_ratio * double(diverged))
            rb.fail("the repair after the heal sent " + fmt(sent) + " entries for " +
                    std::to_string(diverged) + " diverged (node, entry) pairs: more than " +
                    fmt(*max_ratio) + "x");
    }

    rb.r.measured = worst;
    rb.r.metrics = {{"entries", entries.size()},
                    {"writes", writes.size()},
                    {"live_nodes", live.size()},
                    {"window_from", from},
                    {"deadline", deadline},
                    {"missing", missing},
                    {"stale", stale},
                    {"late", late},
                    {"unapplied_writes", unapplied},
                    {"regressions", versions ? json(regressions) : json()},
                    {"forged", versions ? json(forged) : json()},
                    {"versions", versions},
                    {"max_lag", worst},
                    {"per_entry", per_entry},
                    {"repair", repair}};
    if (unapplied)
        rb.fail(std::to_string(unapplied) +
                " write(s) never applied by the node they were sent to");
    if (regressions)
        rb.fail(std::to_string(regressions) + " time(s) a node went back to an older record");
    if (forged)
        rb.fail(std::to_string(forged) +
                " record(s) that their owner never wrote (forged on the way: a field garbled, a "
                "tombstone made of a value)");
    if (missing + stale)
        rb.fail(std::to_string(missing + stale) + " (node, entry) pair(s) never converged: " +
                std::to_string(missing) + " missing, " + std::to_string(stale) + " older version");
    if (late)
        rb.fail(std::to_string(late) + " (node, entry) pair(s) converged later than the bound " +
                fmt(bound) + " s");
    if (pending)
        rb.unknown("the run ended at " + fmt(end) + " s, before the deadline " + fmt(deadline) +
                   " s, with " + std::to_string(pending) + " (node, entry) pair(s) not converged");
    return rb.finish(std::to_string(entries.size()) + " entries converged on " +
                     std::to_string(live.size()) + " live nodes within " + fmt(worst) +
                     " s of the last write or fault (bound " + fmt(bound) + " s)");
}

}  // namespace gossiplab::checkers::detail
