// junit.xml: one testsuite per scenario, one testcase per check, for CI test viewers.
#include <cstdio>
#include <string>

#include "gossiplab/reports/escape.h"
#include "internal.h"

namespace gossiplab::reports::detail {

using nlohmann::json;

namespace {

// The failure body: what a CI viewer shows under the message, enough to start a diagnosis.
std::string failure_text(const json& c) {
    std::string s = c.value("reason", std::string());
    if (c["bound"].is_object()) {
        s += "\nbound: " + display(c["bound"].value("expr", json())) + " = " +
             display(c["bound"].value("value", json()));
    }
    s += "\nmeasured: " + display(c["measured"]);
    const auto& ev = c["evidence"];
    const size_t shown = std::min<size_t>(ev.size(), 20);
    for (size_t i = 0; i < shown; ++i) {
        const auto& e = ev[i];
        s += "\n  t=" + display(e.value("t", json())) + " " + display(e.value("node", json())) +
             ": " + display(e.value("what", json()));
        if (e.value("ref", json()).is_number()) s += " (history.jsonl:" + display(e["ref"]) + ")";
    }
    if (ev.size() > shown) s += "\n  ... " + std::to_string(ev.size() - shown) + " more";
    for (const std::string& f : check_findings(c)) s += "\n" + f;
    return s;
}

// A passing or unknown check's findings (a model miss, a part not applicable), where a CI
// viewer shows a test's output.
std::string findings_out(const json& c) {
    std::string s;
    for (const std::string& f : check_findings(c)) s += (s.empty() ? "" : "\n") + f;
    return s.empty() ? s : "\n      <system-out>" + xml_escape(s) + "</system-out>";
}

}  // namespace

JunitCounts junit_counts(const json& report) {
    JunitCounts n;
    for (const auto& c : report["checks"]) {
        ++n.tests;
        const checkers::Verdict v = verdict_of(c);
        if (v == checkers::Verdict::Fail) ++n.failures;
        if (v == checkers::Verdict::Unknown) ++n.skipped;
    }
    if (report.value("interrupted", json()).is_object()) ++n.tests, ++n.errors;
    if (report.value("starved", json()).is_object()) ++n.tests, ++n.errors;
    return n;
}

std::string junit_testsuite(const json& report) {
    const std::string scenario = report["scenario"].value("name", std::string());
    const JunitCounts n = junit_counts(report);
    std::string x;
    x += "  <testsuite name=\"" + xml_escape(scenario) + "\" tests=\"" + std::to_string(n.tests) +
         "\" failures=\"" + std::to_string(n.failures) + "\" errors=\"" + std::to_string(n.errors) +
         "\" skipped=\"" + std::to_string(n.skipped) + "\" time=\"" +
         fmt_num(report.value("duration_s", 0.0)) + "\">\n";
    x += "    <properties>\n";
    const auto prop = [&](const std::string& name, const std::string& value) {
        x += "      <property name=\"" + xml_escape(name) + "\" value=\"" + xml_escape(value) +
             "\"/>\n";
    };
    prop("seed", display(report["seed"]));
    prop("impl", display(report["implementation"].value("name", json())));
    prop("verdict", display(report["verdict"]));
    prop("command", display(report["command"]));
    const json interrupted = report.value("interrupted", json());
    if (interrupted.is_object()) {
        prop("interrupted", "true");
        prop("last_t", display(interrupted.value("last_t", json())));
    }
    x += "    </properties>\n";
    const std::string classname = "gossiplab." + scenario;
    // A run that did not finish is an error of the run, not a verdict of any check: CI shows
    // it red, and no check of it can pass it.
    if (interrupted.is_object())
        x += "    <testcase classname=\"" + xml_escape(classname) +
             "\" name=\"run\" time=\"0\">\n      <error message=\"" +
             xml_escape("interrupted: the last line recorded is at t = " +
                        display(interrupted.value("last_t", json())) + " s") +
             "\" type=\"interrupted\">" + xml_escape(display(interrupted.value("reason", json()))) +
             "</error>\n    </testcase>\n";
    // A starved lab: the environment's error, red in CI, and no check's verdict.
    const json starved = report.value("starved", json());
    if (starved.is_object())
        x += "    <testcase classname=\"" + xml_escape(classname) +
             "\" name=\"environment\" time=\"0\">\n      <error message=\"" +
             xml_escape("the lab was starved: " + display(starved.value("reason", json()))) +
             "\" type=\"environment\">" +
             xml_escape("failed checks judged unknown: " + starved.value("checks", json()).dump()) +
             "</error>\n    </testcase>\n";
    for (const auto& c : report["checks"]) {
        const checkers::Verdict v = verdict_of(c);
        x += "    <testcase classname=\"" + xml_escape(classname) + "\" name=\"" +
             xml_escape(c.value("check", std::string())) + "\" time=\"0\"";
        const std::string reason = c.value("reason", std::string());
        if (v == checkers::Verdict::Fail) {
            x += ">\n      <failure message=\"" + xml_escape(reason) + "\" type=\"check_failed\">" +
                 xml_escape(failure_text(c)) + "</failure>\n    </testcase>\n";
        } else if (v == checkers::Verdict::Unknown) {
            // unknown: the check could not decide (a missing feature, a checker error);
            // a skip keeps CI honest without claiming the property broke.
            x += ">\n      <skipped message=\"" + xml_escape("unknown: " + reason) + "\"/>" +
                 findings_out(c) + "\n    </testcase>\n";
        } else if (const std::string out = findings_out(c); !out.empty()) {
            x += ">" + out + "\n    </testcase>\n";
        } else {
            x += "/>\n";
        }
    }
    x += "  </testsuite>\n";
    return x;
}

std::string junit_document(const std::string& suites, int tests, int failures, int errors,
                           int skipped, double time_s) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"gossiplab\" tests=\"" +
           std::to_string(tests) + "\" failures=\"" + std::to_string(failures) + "\" errors=\"" +
           std::to_string(errors) + "\" skipped=\"" + std::to_string(skipped) + "\" time=\"" +
           fmt_num(time_s) + "\">\n" + suites + "</testsuites>\n";
}

}  // namespace gossiplab::reports::detail
