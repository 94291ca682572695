// Escaping of untrusted text for HTML, XML and JSON embedded in a script element.
#include "gossiplab/reports/escape.h"

#include <cstdint>

namespace gossiplab::reports {
namespace {

// Decodes one UTF-8 sequence at s[i]; returns its length and sets cp, or 0 when the
// bytes are not a valid, shortest-form sequence (surrogates and > U+10FFFF included).
size_t decode_utf8(std::string_view s, size_t i, uint32_t& cp) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = b(i);
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    size_t len = 0;
    uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + len > s.size()) return 0;
    for (size_t k = 1; k < len; ++k) {
        if ((b(i + k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(i + k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

}  // namespace

std::string sanitize_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        uint32_t cp = 0;
        const size_t n = decode_utf8(s, i, cp);
        if (n == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

namespace {

// Escapes valid UTF-8 code point by code point: `replace` returns the text for a code point
// that needs it, or an empty view to copy the code point as is. Invalid bytes become U+FFFD.
template <class Replace>
std::string escape_with(std::string_view s, Replace replace) {
    std::string out;
    out.reserve(s.size() + s.size() / 8);
    for (size_t i = 0; i < s.size();) {
        uint32_t cp = 0;
        const size_t n = decode_utf8(s, i, cp);
        if (n == 0) {
            out += kReplacement;
            ++i;
            continue;
        }
        std::string_view r = replace(cp);
        if (r.empty()) {
            out.append(s.substr(i, n));
        } else {
            out += r;
        }
        i += n;
    }
    return out;
}

}  // namespace

std::string html_escape(std::string_view s) {
    return escape_with(s, [](uint32_t cp) -> std::string_view {
        switch (cp) {
            case '&':
                return "&amp;";
            case '<':
                return "&lt;";
            case '>':
                return "&gt;";
            case '"':
                return "&quot;";
            case '\'':
                return "&#39;";
            case 0:
                return kReplacement;  // NUL is a parse error in HTML
            default:
                return {};
        }
    });
}

std::string xml_escape(std::string_view s) {
    return escape_with(s, [](uint32_t cp) -> std::string_view {
        switch (cp) {
            case '&':
                return "&amp;";
            case '<':
                return "&lt;";
            case '>':
                return "&gt;";
            case '"':
                return "&quot;";
            case '\'':
                return "&apos;";
            // Attribute-value normalisation would turn raw tab/LF/CR into spaces.
            case '\t':
                return "&#9;";
            case '\n':
                return "&#10;";
            case '\r':
                return "&#13;";
            default:  // characters XML 1.0 does not allow
                return cp < 0x20 || cp == 0xFFFE || cp == 0xFFFF ? kReplacement
                                                                 : std::string_view{};
        }
    });
}

std::string json_for_script(const nlohmann::json& j) {
    const std::string raw = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(raw.size() + raw.size() / 16);
    // These characters only occur inside JSON strings, where \uXXXX means the same thing.
    for (size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == '<') {
            out += "\\u003c";
        } else if (c == '>') {
            out += "\\u003e";
        } else if (c == '&') {
            out += "\\u0026";
        } else if (c == '\xE2' && i + 2 < raw.size() && raw[i + 1] == '\x80' &&
                   (raw[i + 2] == '\xA8' || raw[i + 2] == '\xA9')) {
            out += raw[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string url_encode_path(std::string_view path) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : path) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

}  // namespace gossiplab::reports
