// Formatting and parsing of the core's small value types.
#include "gossip/types.hpp"

#include <charconv>

namespace gossip {

std::string Addr::to_string() const {
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
           std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff) + ":" +
           std::to_string(port);
}

std::optional<std::uint32_t> Addr::parse_ip(const std::string& text) {
    std::uint32_t ip = 0;
    const char* p = text.data();
    const char* end = p + text.size();
    for (int i = 0; i < 4; ++i) {
        unsigned octet = 0;
        auto [next, ec] = std::from_chars(p, end, octet);
        if (ec != std::errc() || next == p || octet > 255 || next - p > 3) return std::nullopt;
        ip = (ip << 8) | octet;
        p = next;
        if (i < 3) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
    }
    if (p != end) return std::nullopt;
    return ip;
}

std::optional<Addr> Addr::parse(const std::string& text,
                                std::optional<std::uint16_t> default_port) {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
        if (!default_port) return std::nullopt;
        auto ip = parse_ip(text);
        if (!ip) return std::nullopt;
        return Addr{*ip, *default_port};
    }
    auto ip = parse_ip(text.substr(0, colon));
    if (!ip) return std::nullopt;
    unsigned port = 0;
    const char* b = text.data() + colon + 1;
    const char* e = text.data() + text.size();
    auto [next, ec] = std::from_chars(b, e, port);
    if (ec != std::errc() || next != e || b == e || port == 0 || port > 65535) return std::nullopt;
    return Addr{*ip, static_cast<std::uint16_t>(port)};
}

const char* to_string(MemberState s) {
    switch (s) {
        case MemberState::alive:
            return "alive";
        case MemberState::suspect:
            return "suspect";
        case MemberState::dead:
            return "dead";
        case MemberState::left:
            return "left";
    }
    return "unknown";
}

}  // namespace gossip
