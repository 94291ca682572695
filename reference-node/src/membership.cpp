// The membership table: SWIM's precedence rules applied to each incoming update.
#include "gossip/membership.hpp"

namespace gossip {

namespace {
bool is_down(MemberState s) {
    return s == MemberState::dead || s == MemberState::left;
}
}  // namespace

bool supersedes(MemberState update, std::uint64_t i, MemberState current, std::uint64_t j) {
    switch (update) {
        case MemberState::alive:
            return i > j;
        case MemberState::suspect:
            if (current == MemberState::alive) return i >= j;
            if (current == MemberState::suspect) return i > j;
            return false;
        case MemberState::dead:
        case MemberState::left:
            if (is_down(current)) return i > j;
            return i >= j;
    }
    return false;
}

bool Membership::apply(const std::string& id, MemberState state, std::uint64_t incarnation,
                       const Addr* addr, Time now) {
    auto it = members_.find(id);
    if (it == members_.end()) {
        if (state != MemberState::alive || addr == nullptr) return false;
        auto [pos, inserted] = members_.emplace(id, Member{id, *addr, state, incarnation, now});
        index_.push_back(&pos->second);
        ++live_;
        return true;
    }
    Member& m = it->second;
    if (!supersedes(state, incarnation, m.state, m.incarnation)) return false;
    if (m.state != state) m.state_since = now;
    // Keep the live count current: formulas ask for N on every packet.
    live_ += static_cast<std::ptrdiff_t>(!is_down(state)) -
             static_cast<std::ptrdiff_t>(!is_down(m.state));
    m.state = state;
    m.incarnation = incarnation;
    // A member that comes back (restart) may do so from another address.
    if (state == MemberState::alive && addr != nullptr) m.addr = *addr;
    return true;
}

bool Membership::assign(const std::string& id, MemberState state, std::uint64_t incarnation,
                        const Addr* addr, Time now) {
    auto it = members_.find(id);
    if (it == members_.end()) return apply(id, state, incarnation, addr, now);
    Member& m = it->second;
    if (m.state == state && m.incarnation == incarnation) return false;
    if (m.state != state) m.state_since = now;
    live_ += static_cast<std::ptrdiff_t>(!is_down(state)) -
             static_cast<std::ptrdiff_t>(!is_down(m.state));
    m.state = state;
    m.incarnation = incarnation;
    if (state == MemberState::alive && addr != nullptr) m.addr = *addr;
    return true;
}

const Member* Membership::find(const std::string& id) const {
    auto it = members_.find(id);
    return it == members_.end() ? nullptr : &it->second;
}

std::vector<const Member*> Membership::live() const {
    std::vector<const Member*> out;
    for (const auto& [id, m] : members_) {
        if (!is_down(m.state)) out.push_back(&m);
    }
    return out;
}

}  // namespace gossip
