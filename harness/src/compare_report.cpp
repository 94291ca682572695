// A comparison's three outputs: the table on stdout, compare.html and the JUnit file.
#include <cstdio>

#include "gossiplab/harness/compare.hpp"
#include "gossiplab/reports/escape.h"

namespace gossiplab::harness {

namespace {

using reports::html_escape;
using reports::xml_escape;

std::string num(const std::optional<double>& v) {
    if (!v) return "-";
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", *v);
    return b;
}

std::string ratio(const std::optional<double>& v) {
    if (!v) return "-";
    char b[32];
    std::snprintf(b, sizeof b, "x%.2f", *v);
    return b;
}

std::string percent(double t) {
    char b[32];
    std::snprintf(b, sizeof b, "%g %%", t * 100);
    return b;
}

std::string summary(const Comparison& c) {
    using C = CheckDelta::Change;
    return std::to_string(c.count(C::Regression)) + " regressions, " +
           std::to_string(c.count(C::Improvement)) + " improvements, " +
           std::to_string(c.count(C::Changed)) + " other verdict changes, " +
           std::to_string(c.count(C::Missing)) + " missing, " + std::to_string(c.count(C::Added)) +
           " added, " + std::to_string(c.rows.size()) + " checks";
}

// A row is shown when it has something to compare or to say.
bool shown(const CheckDelta& d) {
    return !d.metrics.empty() || d.change != CheckDelta::Change::Same;
}

}  // namespace

std::string format_comparison(const Comparison& c) {
    std::string s = "compare " + c.base.string() + " -> " + c.now.string() + " (threshold " +
                    percent(c.threshold) + " worse)\n";
    char line[512];
    std::snprintf(line, sizeof line, "  %-30s %-22s %-8s %-8s %-28s %9s %9s %7s  %s\n", "scenario",
                  "check", "base", "new", "metric", "base", "new", "ratio", "change");
    s += line;
    for (const auto& d : c.rows) {
        if (!shown(d)) continue;
        const size_t n = std::max<size_t>(1, d.metrics.size());
        for (size_t i = 0; i < n; ++i) {
            const MetricDelta* m = i < d.metrics.size() ? &d.metrics[i] : nullptr;
            const bool first = i == 0;
            std::string name = m ? m->name + (m->unit.empty() ? "" : " (" + m->unit + ")") : "";
            std::snprintf(line, sizeof line, "  %-30s %-22s %-8s %-8s %-28s %9s %9s %7s  %s\n",
                          first ? d.scenario.c_str() : "", first ? d.check.c_str() : "",
                          first ? (d.base_verdict.empty() ? "-" : d.base_verdict.c_str()) : "",
                          first ? (d.new_verdict.empty() ? "-" : d.new_verdict.c_str()) : "",
                          name.c_str(), m ? num(m->base).c_str() : "", m ? num(m->now).c_str() : "",
                          m ? ratio(m->ratio).c_str() : "",
                          first && d.change != CheckDelta::Change::Same
                              ? (std::string(to_string(d.change)) + ": " + d.why).c_str()
                              : "");
            s += line;
        }
    }
    s += std::string("compare: ") + (c.regressed() ? "REGRESSION" : "no regression") + " (" +
         summary(c) + ")\n";
    return s;
}

std::string comparison_html(const Comparison& c) {
    std::string h =
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>gossiplab compare</title>\n"
        "<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}"
        "td.n{text-align:right;font-variant-numeric:tabular-nums}"
        ".REGRESSION{background:#fdd}.improved{background:#dfd}.changed,.missing,.added"
        "{background:#ffd}.fail{color:#b00;font-weight:bold}</style></head><body>\n";
    h += "<h1>" + std::string(c.regressed() ? "Regression" : "No regression") + "</h1>\n";
    h += "<p>base: <code>" + html_escape(c.base.string()) + "</code><br>new: <code>" +
         html_escape(c.now.string()) + "</code><br>threshold: " + percent(c.threshold) +
         " worse on a metric of a check that passed both times; " + html_escape(summary(c)) +
         ". <a href=\"index.html\">suite index</a></p>\n";
    h += "<table><tr><th>scenario</th><th>check</th><th>base</th><th>new</th><th>metric</th>"
         "<th>base</th><th>new</th><th>ratio</th><th>change</th></tr>\n";
    for (const auto& d : c.rows) {
        if (!shown(d)) continue;
        const size_t n = std::max<size_t>(1, d.metrics.size());
        for (size_t i = 0; i < n; ++i) {
            const MetricDelta* m = i < d.metrics.size() ? &d.metrics[i] : nullptr;
            const char* cls = to_string(d.change);
            h += std::string("<tr class=\"") + cls + "\">";
            if (i == 0) {
                const std::string rs = " rowspan=\"" + std::to_string(n) + "\"";
                h += "<td" + rs + "><a href=\"" + html_escape(d.scenario) + "/report.html\">" +
                     html_escape(d.scenario) + "</a></td><td" + rs + ">" + html_escape(d.check) +
                     "</td><td" + rs + " class=\"" + html_escape(d.base_verdict) + "\">" +
                     html_escape(d.base_verdict) + "</td><td" + rs + " class=\"" +
                     html_escape(d.new_verdict) + "\">" + html_escape(d.new_verdict) + "</td>";
            }
            h += "<td>" +
                 (m ? html_escape(m->name + (m->unit.empty() ? "" : " (" + m->unit + ")")) : "") +
                 "</td><td class=\"n\">" + (m ? num(m->base) : "") + "</td><td class=\"n\">" +
                 (m ? num(m->now) : "") + "</td><td class=\"n\">" + (m ? ratio(m->ratio) : "") +
                 "</td>";
            if (i == 0)
                h += "<td rowspan=\"" + std::to_string(n) + "\">" +
                     (d.change == CheckDelta::Change::Same
                          ? std::string()
                          : std::string(cls) + ": " + html_escape(d.why)) +
                     "</td>";
            h += "</tr>\n";
        }
    }
    h += "</table></body></html>\n";
    return h;
}

std::string comparison_junit(const Comparison& c) {
    std::string cases;
    size_t failures = 0;
    for (const auto& d : c.rows) {
        cases += "  <testcase classname=\"compare." + xml_escape(d.scenario) + "\" name=\"" +
                 xml_escape(d.check) + "\"";
        if (d.change == CheckDelta::Change::Regression) {
            ++failures;
            cases += "><failure message=\"" + xml_escape(d.why) + "\">" +
                     xml_escape(d.scenario + " " + d.check + ": " + d.why) +
                     "</failure></testcase>\n";
        } else if (d.change == CheckDelta::Change::Missing) {
            cases += "><skipped message=\"" + xml_escape(d.why) + "\"/></testcase>\n";
        } else {
            cases += "/>\n";
        }
    }
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"gossiplab compare\" "
           "tests=\"" +
           std::to_string(c.rows.size()) + "\" failures=\"" + std::to_string(failures) + "\">\n" +
           cases + "</testsuite>\n";
}

}  // namespace gossiplab::harness
