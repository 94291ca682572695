// The membership table and SWIM's precedence rules between alive, suspect, dead and left.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gossip/types.hpp"

namespace gossip {

struct Member {
    std::string id;
    Addr addr;
    MemberState state = MemberState::alive;
    std::uint64_t incarnation = 0;
    Time state_since{0};  // when this node last changed the member's state
};

// Whether an update (state, incarnation) about a member supersedes what we hold, by SWIM's
// rules (Das et al. 2002, section 4.2, with Lifeguard's `left`):
//   alive(i)   overrides alive(j), suspect(j), dead(j), left(j)  iff i > j
//   suspect(i) overrides alive(j) iff i >= j;  suspect(j) iff i > j;  never dead/left
//   dead(i), left(i) override alive(j), suspect(j) iff i >= j;  dead(j), left(j) iff i > j
// (a dead member comes back only with a higher incarnation, which only it can raise).
bool supersedes(MemberState update, std::uint64_t update_inc, MemberState current,
                std::uint64_t current_inc);

// Members other than ourselves, by id. Entries are never erased: a dead member's incarnation
// must be remembered, or a stale `alive` could resurrect it.
class Membership {
  public:
    // Applies an update if it supersedes the entry (or creates the entry for alive). Returns
    // true when the (state, incarnation) pair changed. Suspect, dead and left about an unknown
    // member are ignored (false): we cannot address it anyway.
    bool apply(const std::string& id, MemberState state, std::uint64_t incarnation,
               const Addr* addr, Time now);

    // Sets the entry whatever SWIM's precedence says (creating it for alive with an address),
    // for a detector whose evidence is not ordered by incarnation: the heartbeat detector
    // revives a dead member at the same incarnation when its counter advances again. Returns
    // true when the (state, incarnation) pair changed.
    bool assign(const std::string& id, MemberState state, std::uint64_t incarnation,
                const Addr* addr, Time now);

    const Member* find(const std::string& id) const;
    const std::map<std::string, Member>& all() const { return members_; }
    // Members in state alive or suspect (the ones we probe and count as the cluster).
    std::size_t live_count() const { return static_cast<std::size_t>(live_); }
    std::vector<const Member*> live() const;
    std::size_t size() const { return members_.size(); }
    // Every member in insertion order, for O(1) random sampling.
    const std::vector<const Member*>& by_index() const { return index_; }

  private:
    std::map<std::string, Member> members_;
    std::ptrdiff_t live_ = 0;
    std::vector<const Member*> index_;  // std::map nodes never move: pointers stay valid
};

}  // namespace gossip
