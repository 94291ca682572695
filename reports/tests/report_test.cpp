// Unit tests for report.json normalisation, junit.xml well-formedness and render errors.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "gossiplab/reports/report.h"
#include "internal.h"
#include "run_data.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace gossiplab::reports;

namespace {

// A strict little XML 1.0 well-formedness checker: one root, matched tags, quoted unique
// attributes, only the five named entities or character references, no forbidden
// characters. Returns "" when well formed, else what is wrong and where.
class XmlChecker {
  public:
    explicit XmlChecker(std::string s) : s_(std::move(s)) {}

    std::string check() {
        if (s_.rfind("<?xml", 0) == 0) {
            const size_t e = s_.find("?>");
            if (e == std::string::npos) return at("unterminated XML declaration");
            i_ = e + 2;
        }
        skip_ws();
        if (!element()) return err_;
        skip_ws();
        if (i_ != s_.size()) return at("content after the root element");
        return "";
    }

  private:
    std::string at(const std::string& what) {
        err_ = what + " at byte " + std::to_string(i_);
        return err_;
    }
    void skip_ws() {
        while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    bool name(std::string& out) {
        const size_t b = i_;
        while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) ||
                                  s_[i_] == '_' || s_[i_] == ':' || s_[i_] == '-' || s_[i_] == '.'))
            ++i_;
        out = s_.substr(b, i_ - b);
        if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])) || out[0] == '-') {
            at("bad name");
            return false;
        }
        return true;
    }
    bool reference() {  // at '&'
        const size_t e = s_.find(';', i_);
        if (e == std::string::npos || e - i_ > 10) return at("bad reference"), false;
        const std::string r = s_.substr(i_ + 1, e - i_ - 1);
        static const std::set<std::string> kNamed = {"amp", "lt", "gt", "quot", "apos"};
        bool ok = kNamed.count(r) > 0;
        if (!ok && r.size() > 1 && r[0] == '#') {
            ok = r[1] == 'x' ? r.find_first_not_of("0123456789abcdefABCDEF", 2) == std::string::npos
                             : r.find_first_not_of("0123456789", 1) == std::string::npos;
        }
        if (!ok) return at("unknown entity &" + r + ";"), false;
        i_ = e + 1;
        return true;
    }
    bool chars_until(char stop) {
        while (i_ < s_.size() && s_[i_] != stop) {
            const auto c = static_cast<unsigned char>(s_[i_]);
            if (c == '&') {
                if (!reference()) return false;
                continue;
            }
            if (c == '<' && stop != '<') return at("'<' in attribute value"), false;
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                return at("forbidden control character"), false;
            }
            ++i_;
        }
        return true;
    }
    bool element() {
        if (i_ >= s_.size() || s_[i_] != '<') return at("expected '<'"), false;
        ++i_;
        std::string tag;
        if (!name(tag)) return false;
        std::set<std::string> attrs;
        for (;;) {
            skip_ws();
            if (i_ >= s_.size()) return at("unterminated tag"), false;
            if (s_.compare(i_, 2, "/>") == 0) {
                i_ += 2;
                return true;
            }
            if (s_[i_] == '>') {
                ++i_;
                break;
            }
            std::string a;
            if (!name(a)) return false;
            if (!attrs.insert(a).second) return at("duplicate attribute " + a), false;
            skip_ws();
            if (i_ >= s_.size() || s_[i_] != '=') return at("expected '='"), false;
            ++i_;
            skip_ws();
            if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) {
                return at("unquoted attribute"), false;
            }
            const char q = s_[i_++];
            if (!chars_until(q)) return false;
            if (i_ >= s_.size()) return at("unterminated attribute"), false;
            ++i_;
        }
        for (;;) {
            if (!chars_until('<')) return false;
            if (i_ >= s_.size()) return at("missing </" + tag + ">"), false;
            if (s_.compare(i_, 2, "</") == 0) {
                i_ += 2;
                std::string close;
                if (!name(close)) return false;
                if (close != tag) return at("</" + close + "> closes <" + tag + ">"), false;
                skip_ws();
                if (i_ >= s_.size() || s_[i_] != '>') return at("bad end tag"), false;
                ++i_;
                return true;
            }
            if (!element()) return false;
        }
    }
    std::string s_;
    size_t i_ = 0;
    std::string err_;
};

const std::string kS1 = "<script>alert(1)</script>";
const std::string kS2 = "\"><img src=x onerror=alert(1)>";

RunInfo hostile_run() {
    RunInfo info;
    info.scenario_name = "kill " + kS1;
    info.scenario_description = kS2;
    info.seed = 18446744073709551557ull;
    info.impl = kS2;
    info.profile = {{"name", "fast"}, {"fanout", 3}, {"gossip_interval", 0.02}};
    info.features = {"rumors"};
    info.environment = {{"kernel", kS1}};
    info.command = "gossiplab run " + kS2;
    info.duration_s = 12.5;
    info.checks =
        json::array({{{"check", "failure_detection"},
                      {"verdict", "fail"},
                      {"reason", kS1 + " & \x01 never declared dead"},
                      {"bound", {{"expr", "a < b"}, {"value", 2.4}}},
                      {"measured", 3.1},
                      {"metrics", {{"x", 1}}},
                      {"evidence", {{{"t", 1.5}, {"node", kS2}, {"what", kS1}, {"ref", 3}}}}},
                     {{"check", "accuracy"},
                      {"verdict", "unknown"},
                      {"reason", "needs suspicion_events"},
                      {"bound", nullptr},
                      {"measured", nullptr},
                      {"metrics", json::object()},
                      {"evidence", json::array()}},
                     {{"check", "dissemination"},
                      {"verdict", "pass"},
                      {"reason", "ok"},
                      {"bound", nullptr},
                      {"measured", 0.1},
                      {"metrics", json::object()},
                      {"evidence", json::array()}}});
    return info;
}

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("gl-reports-test-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(counter()++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    static int& counter() {
        static int c = 0;
        return c;
    }
};

void write(const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << s;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

size_t count(const std::string& hay, const std::string& needle) {
    size_t n = 0;
    for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("the XML checker itself rejects what it should") {
    CHECK(XmlChecker("<a b=\"1\"><c/></a>").check().empty());
    CHECK_FALSE(XmlChecker("<a><b></a></b>").check().empty());
    CHECK_FALSE(XmlChecker("<a b=\"<\"/>").check().empty());
    CHECK_FALSE(XmlChecker("<a>&nbsp;</a>").check().empty());
    CHECK_FALSE(XmlChecker("<a b=\"1\" b=\"2\"/>").check().empty());
    CHECK_FALSE(XmlChecker("<a>\x01</a>").check().empty());
    CHECK_FALSE(XmlChecker("<a/><b/>").check().empty());
}

TEST_CASE("junit.xml is well formed with hostile names and reasons") {
    const json report = build_report(hostile_run());
    const auto n = detail::junit_counts(report);
    CHECK(n.tests == 3);
    CHECK(n.failures == 1);
    CHECK(n.skipped == 1);
    const std::string xml = detail::junit_document(detail::junit_testsuite(report), n.tests,
                                                   n.failures, 0, n.skipped, 12.5);
    INFO(xml);
    CHECK(XmlChecker(xml).check() == "");
    CHECK(xml.find(kS1) == std::string::npos);
    CHECK(xml.find("message=\"&lt;script&gt;alert(1)&lt;/script&gt; &amp; \xEF\xBF\xBD never") !=
          std::string::npos);
    CHECK(xml.find("<skipped message=\"unknown: needs suspicion_events\"/>") != std::string::npos);
    CHECK(count(xml, "<testcase ") == 3);
}

TEST_CASE("a passing check's model finding and not-applicable parts reach junit.xml and the page") {
    TempDir d;
    RunInfo info = hostile_run();
    info.checks[2]["model"] = {{"enforced", false},
                               {"items", 4},
                               {"misses", 1},
                               {"finding", "slower than the model: 1 of 4 rumor(s) <late>"}};
    info.checks[2]["not_applicable"] = json::array({"no incarnations feature"});
    info.checks[1]["not_applicable"] = 7;  // malformed: dropped with a note
    write(d.path / "history.jsonl",
          "{\"t\":0,\"kind\":\"action\",\"action\":\"run_start\",\"nodes\":[\"n1\"]}\n");
    write_run_reports(d.path, info);
    const std::string xml = slurp(d.path / "junit.xml");
    INFO(xml);
    CHECK(XmlChecker(xml).check() == "");
    CHECK(xml.find("<system-out>slower than the model: 1 of 4 rumor(s) &lt;late&gt; (reported; the "
                   "guarantee decides)&#10;not applicable: no incarnations feature</system-out>") !=
          std::string::npos);
    const std::string html = slurp(d.path / "report.html");
    CHECK(html.find("<div class=\"finding\">slower than the model: 1 of 4 rumor(s) &lt;late&gt;") !=
          std::string::npos);
    CHECK(html.find("<div class=\"finding\">not applicable: no incarnations feature</div>") !=
          std::string::npos);
    const json back = json::parse(slurp(d.path / "report.json"));
    CHECK(back["checks"][2]["model"]["misses"] == 1);
    CHECK_FALSE(back["checks"][1].contains("not_applicable"));
    CHECK(back["checks"][1]["report_notes"][0] == "not_applicable is not an array of strings");
}

TEST_CASE("build_report keeps a well-formed run as given and composes the verdict") {
    RunInfo info = hostile_run();
    const json r = build_report(info);
    CHECK(r["schema_version"] == kReportSchemaVersion);
    CHECK(r["seed"].get<uint64_t>() == 18446744073709551557ull);
    CHECK(r["verdict"] == "fail");  // composed: one check failed
    CHECK(r["summary"]["fail"] == 1);
    CHECK(r["summary"]["unknown"] == 1);
    CHECK(r["summary"]["pass"] == 1);
    CHECK(r["summary"]["failing"] == json::array({"failure_detection"}));
    CHECK(r["checks"][0]["evidence"][0]["node"] == kS2);
    CHECK_FALSE(r["checks"][0].contains("report_notes"));
    info.verdict = gossiplab::checkers::Verdict::Unknown;  // the harness's verdict wins
    CHECK(build_report(info)["verdict"] == "unknown");
    info.verdict = std::nullopt;
    info.checks = json::array({{{"check", "a"}, {"verdict", "pass"}}});
    CHECK(build_report(info)["verdict"] == "pass");
    // No checks: nothing was checked, so unknown (checkers::compose, docs/checkers.md).
    info.checks = json::array();
    CHECK(build_report(info)["verdict"] == "unknown");
}

TEST_CASE("build_report repairs malformed check results instead of writing an invalid report") {
    RunInfo info;
    info.duration_s = std::nan("");
    info.checks = json::array({
        42,
        {{"verdict", "maybe"}, {"bound", 2.5}, {"measured", "fast"}, {"evidence", "none"}},
        {{"check", "x"},
         {"verdict", "pass"},
         {"bound", {{"expr", 7}}},
         {"metrics", 5},
         {"evidence", {{{"t", "soon"}, {"node", 3}, {"ref", 0}}, "free text"}}},
    });
    const json r = build_report(info);
    REQUIRE(r["checks"].size() == 3);
    CHECK(r["duration_s"] == 0.0);
    const json& a = r["checks"][0];
    CHECK(a["check"] == "check[0]");
    CHECK(a["verdict"] == "unknown");
    CHECK(a["reason"].get<std::string>().find("expected an object") != std::string::npos);
    const json& b = r["checks"][1];
    CHECK(b["check"] == "check[1]");
    CHECK(b["verdict"] == "unknown");
    CHECK(b["bound"] == json({{"expr", nullptr}, {"value", 2.5}}));
    CHECK(b["measured"].is_null());
    CHECK(b["evidence"] == json::array());
    CHECK(b["report_notes"].size() == 4);
    const json& c = r["checks"][2];
    CHECK(c["bound"]["expr"] == "7");
    CHECK(c["bound"]["value"].is_null());
    CHECK(c["metrics"] == json({{"value", 5}}));
    CHECK(c["evidence"][0] ==
          json({{"t", nullptr}, {"node", "3"}, {"what", ""}, {"ref", nullptr}}));
    CHECK(c["evidence"][1]["what"] == "free text");
    CHECK(r["verdict"] == "unknown");
    for (const auto& k : {"reason", "bound", "measured", "metrics", "evidence"}) {
        for (const auto& chk : r["checks"]) CHECK(chk.contains(k));
    }
}

TEST_CASE("render_run names the file when report.json is missing or malformed") {
    TempDir d;
    REQUIRE_THROWS_WITH(render_run(d.path), Catch::Contains((d.path / "report.json").string()) &&
                                                Catch::Contains("missing"));
    write(d.path / "report.json", "{\"schema_version\": 1,");
    REQUIRE_THROWS_WITH(render_run(d.path), Catch::Contains("report.json: not JSON"));
    write(d.path / "report.json", "{\"schema_version\": 99, \"checks\": []}");
    REQUIRE_THROWS_WITH(render_run(d.path), Catch::Contains("schema_version 99 is not supported"));
    json r = build_report(hostile_run());
    r["checks"][0].erase("evidence");
    write(d.path / "report.json", r.dump());
    REQUIRE_THROWS_WITH(render_run(d.path), Catch::Contains("checks[0] lacks \"evidence\""));
    CHECK_FALSE(fs::exists(d.path / "report.html"));

    // Wrong types in a hand-edited report are repaired, not a crash.
    r = build_report(hostile_run());
    r["checks"][0]["reason"] = 5;
    r["checks"][0]["evidence"] = json::array({"text", {{"t", "x"}}});
    r["scenario"]["name"] = 7;
    r["duration_s"] = "long";
    write(d.path / "report.json", r.dump());
    REQUIRE_NOTHROW(render_run(d.path));
    CHECK(slurp(d.path / "report.html").find("<td>5</td>") != std::string::npos);
}

TEST_CASE("report.html escapes run text and never reads logs outside nodes/") {
    TempDir d;
    RunInfo info = hostile_run();
    info.checks[0]["evidence"].push_back({{"t", 1.5}, {"node", "../secret"}, {"what", "x"}});
    write(d.path / "secret.log", "1.0 TOP-SECRET-LINE\n");
    write(d.path / "nodes" / (kS2 + ".log"), "1.2 before " + kS1 + "\n1.6 after\n9.0 later\n");
    write(d.path / "history.jsonl",
          "{\"t\":0,\"kind\":\"action\",\"action\":\"run_start\",\"nodes\":[\"n1\"]}\n"
          "not json at all\n");
    write_run_reports(d.path, info);
    const std::string html = slurp(d.path / "report.html");
    CHECK(count(html, "<script") == 2);  // the data element and our own script only
    CHECK(count(html, "<img") == 0);
    CHECK(html.find(kS1) == std::string::npos);
    CHECK(html.find("TOP-SECRET-LINE") == std::string::npos);
    CHECK(html.find("1.2  before &lt;script&gt;") != std::string::npos);  // the log around t
    CHECK(html.find("<mark>1.2  before") != std::string::npos);           // the line at or before t
    CHECK(html.find("1 problem(s) in the record") != std::string::npos);
    CHECK(html.find("first at line 2: not a JSON object") != std::string::npos);
    CHECK(html.find("18446744073709551557") != std::string::npos);
    CHECK(XmlChecker(slurp(d.path / "junit.xml")).check() == "");
    const json back = json::parse(slurp(d.path / "report.json"));
    CHECK(back["seed"].get<uint64_t>() == 18446744073709551557ull);
}

TEST_CASE("timeline data: lifecycles, faults and rumor deliveries from the history") {
    TempDir d;
    write(d.path / "history.jsonl",
          R"({"t":0,"kind":"action","action":"run_start","nodes":["a","b","c"]}
{"t":0.1,"kind":"action","action":"node_start","node":"a"}
{"t":0.1,"kind":"action","action":"node_start","node":"b"}
{"t":0.2,"kind":"action","action":"node_start","node":"c"}
{"t":1,"kind":"event","node":"a","event":{"type":"member","member":"b","state":"alive"}}
{"t":2,"kind":"action","action":"broadcast","node":"a","rumor":"r1","payload":"p"}
{"t":2,"kind":"event","node":"a","event":{"type":"rumor","rumor":"r1"}}
{"t":2.5,"kind":"event","node":"b","event":{"type":"rumor","rumor":"r1"}}
{"t":2.6,"kind":"event","node":"b","event":{"type":"rumor","rumor":"r1"}}
{"t":3,"kind":"action","action":"kill","node":"c"}
{"t":4,"kind":"action","action":"partition","grudge":{"a":["b"],"b":["a"]}}
{"t":5,"kind":"action","action":"heal"}
{"t":6,"kind":"action","action":"pause","node":"b"}
{"t":7,"kind":"event","node":"a","event":{"type":"member","member":"b","state":"zombie"}}
{"t":8,"kind":"action","action":"run_end","reason":"duration"}
)");
    std::vector<std::string> notes;
    const json tl = detail::timeline_data(d.path / "history.jsonl", notes);
    REQUIRE(notes.size() == 1);  // the unknown member state
    CHECK(notes[0].find("1 problem(s) in the record") != std::string::npos);
    CHECK(notes[0].find("first at line 14: member event with state \"zombie\"") !=
          std::string::npos);
    CHECK(tl["nodes"] == json::array({"a", "b", "c"}));
    CHECK(tl["t_end"] == 8);
    CHECK(tl["m"] == json::array({json::array({1, 0, 1, 1})}));  // the unknown state is dropped
    CHECK(tl["subjects"] == json::array({1, 2}));
    REQUIRE(tl["rumors"].size() == 1);
    CHECK(tl["rumors"][0]["d"] == json::array({0, 0.5}));  // first delivery per node only
    CHECK(tl["rumors"][0]["live"] == 3);
    std::map<std::string, std::pair<double, double>> faults;
    for (const auto& f : tl["faults"]) faults[f["kind"]] = {f["t0"], f["t1"]};
    CHECK(faults["kill"] == std::make_pair(3.0, 8.0));
    CHECK(faults["partition"] == std::make_pair(4.0, 5.0));
    CHECK(faults["pause"] == std::make_pair(6.0, 8.0));
    // c: not running before its start and after the kill; b paused from 6 s to the end.
    CHECK(tl["down"].size() == 5);
    CHECK(tl["down"].back() == json::array({1, 6, 8, 1}));

    std::vector<std::string> none;
    const json empty = detail::timeline_data(d.path / "absent.jsonl", none);
    CHECK(empty["nodes"].empty());
    REQUIRE(none.size() == 1);
    CHECK(none[0].find("absent.jsonl: missing") != std::string::npos);
}

TEST_CASE("a check across runs (load flatness) reaches the suite's index.html and junit.xml") {
    TempDir d;
    RunInfo info = hostile_run();
    info.scenario_name = "scale-sweep";
    info.checks = json::array({info.checks[2]});  // the one passing check
    write_run_reports(d.path / "scale-sweep-n5", info);
    const json flat = {{"check", "load_flatness"},
                       {"verdict", "fail"},
                       {"reason", "per-member load varies by 80% across cluster sizes"},
                       {"bound", {{"expr", "max/min - 1 <= 0.25"}, {"value", 0.25}}},
                       {"measured", 0.8},
                       {"metrics", json::object()},
                       {"evidence", json::array()}};
    write_suite_index(d.path, {d.path / "scale-sweep-n5"},
                      {{"scale-sweep", flat, "scale-sweep-sweep.json"}});

    const std::string index = slurp(d.path / "index.html");
    CHECK(index.find("id=\"across-table\"") != std::string::npos);
    CHECK(index.find("<a href=\"scale-sweep-sweep.json\">load_flatness</a>") != std::string::npos);
    CHECK(index.find("per-member load varies by 80%") != std::string::npos);
    CHECK(index.find("1 check(s) across runs, 1 failed") != std::string::npos);

    const std::string xml = slurp(d.path / "junit.xml");
    INFO(xml);
    CHECK(XmlChecker(xml).check() == "");
    CHECK(xml.find("<testsuites name=\"gossiplab\" tests=\"2\" failures=\"1\"") !=
          std::string::npos);
    CHECK(xml.find("<testsuite name=\"scale-sweep (across runs)\" tests=\"1\" failures=\"1\"") !=
          std::string::npos);
    CHECK(xml.find("name=\"load_flatness\"") != std::string::npos);
    CHECK(xml.find("<failure message=\"per-member load varies by 80% across cluster sizes\"") !=
          std::string::npos);

    // Without checks across runs the index has no such table (and nothing else changes).
    write_suite_index(d.path, {d.path / "scale-sweep-n5"});
    CHECK(slurp(d.path / "index.html").find("across-table") == std::string::npos);
    CHECK(slurp(d.path / "junit.xml").find("load_flatness") == std::string::npos);
}
