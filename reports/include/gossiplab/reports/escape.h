// Escaping of untrusted text (node ids, rumors, log lines) for HTML, XML and inline JSON.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gossiplab::reports {

// Replaces invalid UTF-8 sequences with U+FFFD so the text can go into JSON and XML.
std::string sanitize_utf8(std::string_view s);

// Escapes text for an HTML text node or a double- or single-quoted attribute value:
// & < > " ' become character references; invalid UTF-8 becomes U+FFFD.
std::string html_escape(std::string_view s);

// Escapes text for XML 1.0 character data and attribute values: as html_escape, and
// characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE/U+FFFF) become
// U+FFFD, and tab/LF/CR become character references so attributes keep them.
std::string xml_escape(std::string_view s);

// Serialises JSON for a <script type="application/json"> element: < > & U+2028 U+2029
// become \uXXXX escapes so the text can neither close the element nor start a comment;
// invalid UTF-8 in strings becomes U+FFFD. JSON.parse gives back the same value.
std::string json_for_script(const nlohmann::json& j);

// Percent-encodes a relative path for an href (keeps '/' and unreserved characters).
std::string url_encode_path(std::string_view path);

}  // namespace gossiplab::reports
