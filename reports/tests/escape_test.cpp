// Unit tests for escaping untrusted text into HTML, XML and inline JSON.
#include <catch2/catch.hpp>

#include "gossiplab/reports/escape.h"

using namespace gossiplab::reports;

TEST_CASE("html_escape neutralises markup in text and attributes") {
    CHECK(html_escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
    CHECK(html_escape("\"><img src=x onerror=alert(1)>") ==
          "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
    CHECK(html_escape("a & b ' c") == "a &amp; b &#39; c");
    CHECK(html_escape("plain n1.x_y-z") == "plain n1.x_y-z");
    CHECK(html_escape("ü→✓") == "ü→✓");
}

TEST_CASE("invalid UTF-8 becomes U+FFFD instead of passing through") {
    CHECK(sanitize_utf8("ok\xff") == "ok\xEF\xBF\xBD");
    CHECK(sanitize_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
    CHECK(sanitize_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
    CHECK(sanitize_utf8("\xE2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");                  // truncated
    CHECK(html_escape(std::string("a\0b", 3)) ==
          "a\xEF\xBF\xBD"
          "b");
}

TEST_CASE("xml_escape drops characters XML 1.0 forbids and keeps whitespace in attributes") {
    CHECK(xml_escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&apos;");
    CHECK(xml_escape("x\x01y\x1f") == "x\xEF\xBF\xBDy\xEF\xBF\xBD");
    CHECK(xml_escape("l1\nl2\tx\r") == "l1&#10;l2&#9;x&#13;");
    CHECK(xml_escape("\xEF\xBF\xBE") == "\xEF\xBF\xBD");  // U+FFFE
    CHECK(xml_escape("bad\xfe") == "bad\xEF\xBF\xBD");
}

TEST_CASE("json_for_script cannot close its script element and round-trips") {
    const nlohmann::json j = {{"id", "</script><script>alert(1)</script>"},
                              {"p", "<!-- \xE2\x80\xA8 \xE2\x80\xA9 & >"},
                              {"bad", "x\xff"}};
    const std::string s = json_for_script(j);
    CHECK(s.find('<') == std::string::npos);
    CHECK(s.find('>') == std::string::npos);
    CHECK(s.find('&') == std::string::npos);
    CHECK(s.find("\xE2\x80\xA8") == std::string::npos);
    CHECK(s.find("\xE2\x80\xA9") == std::string::npos);
    const auto back = nlohmann::json::parse(s);
    CHECK(back["id"] == j["id"]);
    CHECK(back["p"] == j["p"]);
    CHECK(back["bad"] == "x\xEF\xBF\xBD");
}

TEST_CASE("url_encode_path keeps slashes and encodes the rest") {
    CHECK(url_encode_path("runs/a b/report.html") == "runs/a%20b/report.html");
    CHECK(url_encode_path("../x\"<y>") == "../x%22%3Cy%3E");
    CHECK(url_encode_path("javascript:alert(1)") == "javascript%3Aalert%281%29");
}
