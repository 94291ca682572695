// Small value types shared by every part of the core: time, addresses, member states.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace gossip {

// The core never reads a clock: every call gets `now`, a point on the driver's monotonic
// clock expressed as the time since an arbitrary origin.
using Duration = std::chrono::microseconds;
using Time = std::chrono::microseconds;

// An IPv4 endpoint in host byte order.
struct Addr {
    std::uint32_t ip = 0;
    std::uint16_t port = 0;

    auto operator<=>(const Addr&) const = default;
    std::string to_string() const;
    // Parses "A.B.C.D:PORT" (or "A.B.C.D" with default_port when given); nullopt when invalid.
    static std::optional<Addr> parse(const std::string& text,
                                     std::optional<std::uint16_t> default_port = std::nullopt);
    // Parses a dotted IPv4 address alone.
    static std::optional<std::uint32_t> parse_ip(const std::string& text);
};

// A member's state as one node sees it. `left` is a death announced by the member itself.
enum class MemberState : std::uint8_t { alive = 0, suspect = 1, dead = 2, left = 3 };

const char* to_string(MemberState s);

inline double seconds(Duration d) {
    return std::chrono::duration<double>(d).count();
}

}  // namespace gossip
