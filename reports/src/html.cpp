// report.html and the suite index: static, escaped HTML plus embedded data for the charts.
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "gossiplab/reports/escape.h"
#include "gossiplab/reports/report.h"
#include "internal.h"
#include "run_data.h"

namespace gossiplab::reports {

namespace fs = std::filesystem;
using checkers::Verdict;
using detail::display;
using detail::fmt_num;
using detail::verdict_of;
using nlohmann::json;

namespace {

// Evidence rows shown per failing check, and log lines shown around each piece of evidence.
constexpr size_t kMaxEvidenceRows = 200;
constexpr size_t kLogBefore = 5, kLogAfter = 3;

std::string h(std::string_view s) {
    return html_escape(s);
}

// A fresh nonce per page: the Content-Security-Policy lets only our own two script elements
// run, so even a string that slipped through escaping could not execute.
std::string make_nonce() {
    std::random_device rd;
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string n;
    for (int i = 0; i < 24; ++i) n += kAlphabet[rd() % (sizeof kAlphabet - 1)];
    return n;
}

std::string page_head(const std::string& title, const std::string& nonce) {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "script-src 'nonce-" +
           nonce +
           "'; style-src 'unsafe-inline'; img-src data:\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>" +
           h(title) + "</title>\n<style>\n" + std::string(detail::kReportCss) +
           "</style>\n</head>\n";
}

// A badge for a verdict, or for another word ("error") drawn like unknown.
std::string verdict_badge(const std::string& text) {
    const Verdict v = checkers::verdict_from_string(text).value_or(Verdict::Unknown);
    return "<span class=\"verdict v-" + checkers::to_string(v) + "\">" + h(text) + "</span>";
}

std::string verdict_badge(Verdict v) {
    return verdict_badge(checkers::to_string(v));
}

int verdict_rank(Verdict v) {
    switch (v) {
        case Verdict::Fail:
            return 0;
        case Verdict::Unknown:
            return 1;
        case Verdict::Pass:
            return 2;
    }
    return 1;
}

std::string kv_rows(const json& obj) {
    std::string s;
    if (!obj.is_object()) return s;
    for (const auto& [k, v] : obj.items()) {
        s += "<tr><th>" + h(k) + "</th><td>" + h(display(v)) + "</td></tr>\n";
    }
    return s;
}

std::string profile_text(const json& p) {
    if (p.is_string()) return p.get<std::string>();
    if (!p.is_object()) return "—";
    std::string s;
    if (p.contains("name")) s = display(p["name"]) + ": ";
    bool first = true;
    for (const auto& [k, v] : p.items()) {
        if (k == "name") continue;
        s += (first ? "" : ", ") + k + " " + display(v);
        first = false;
    }
    return s;
}

// The checks in display order: failing first, then unknown, then passing; stable.
std::vector<size_t> check_order(const json& checks) {
    std::vector<size_t> order(checks.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return verdict_rank(verdict_of(checks[a])) < verdict_rank(verdict_of(checks[b]));
    });
    return order;
}

// A check's findings that do not decide its verdict (a model miss, a part not applicable),
// under its reason.
std::string findings_html(const json& c) {
    std::string s;
    for (const std::string& f : detail::check_findings(c))
        s += "<div class=\"finding\">" + h(f) + "</div>";
    return s;
}

std::string summary_table(const json& report) {
    const json& checks = report["checks"];
    std::string s =
        "<table id=\"summary-table\" class=\"grid\">\n<thead><tr><th>check</th><th>verdict</th>"
        "<th>bound</th><th>bound "
        "value</th><th>measured</th><th>reason</th></tr></thead>\n<tbody>\n";
    for (size_t i : check_order(checks)) {
        const json& c = checks[i];
        const Verdict v = verdict_of(c);
        const json bound = c.value("bound", json());
        const std::string name = h(c.value("check", std::string()));
        s += "<tr class=\"row-" + checkers::to_string(v) + "\"><td>" +
             (v != Verdict::Pass ? "<a href=\"#check-" + std::to_string(i) + "\">" + name + "</a>"
                                 : name) +
             "</td><td>" + verdict_badge(v) + "</td><td><code>" +
             h(bound.is_object() ? display(bound.value("expr", json())) : "—") +
             "</code></td><td>" +
             h(bound.is_object() ? display(bound.value("value", json())) : "—") + "</td><td>" +
             h(display(c.value("measured", json()))) + "</td><td>" +
             h(c.value("reason", std::string())) + findings_html(c) + "</td></tr>\n";
    }
    if (checks.empty()) s += "<tr><td colspan=\"6\">no checks ran</td></tr>\n";
    return s + "</tbody>\n</table>\n";
}

// faults_landed's table: each link interval, configured against what the lab read back.
std::string faults_section(const json& report) {
    const json* table = nullptr;
    for (const auto& c : report["checks"])
        if (c.value("check", std::string()) == "faults_landed" && c.contains("metrics") &&
            c["metrics"].contains("table") && c["metrics"]["table"].is_array())
            table = &c["metrics"]["table"];
    if (!table || table->empty()) return "";
    auto shape = [](const json& sh) {
        if (!sh.is_object()) return std::string("none");
        std::string out;
        for (const auto& [k, v] : sh.items()) {
            if (k == "distribution" || (v.is_number() && v.get<double>() == 0)) continue;
            out += (out.empty() ? "" : " ") + k + " " + display(v);
        }
        return out.empty() ? std::string("none") : out;
    };
    std::string s =
        "<section id=\"faults-section\"><h2>Faults: configured against observed</h2>\n"
        "<p class=\"note\">What the lab read back from the kernel (netem) or its engine "
        "(nfqueue) for each shaped or partitioned link, and what it counted between two "
        "observations.</p>\n<table class=\"grid\" id=\"faults-table\">\n<thead><tr><th>link</th>"
        "<th>from (s)</th><th>to (s)</th><th>configured</th><th>in force</th><th>forwarded</th>"
        "<th>shaped</th><th>lost</th><th>held</th><th>cut by the partition</th><th>problem</th>"
        "</tr></thead>\n<tbody>\n";
    for (const auto& r : *table) {
        const bool cut = r.value("partitioned", false);
        const std::string problem = r.value("problem", std::string());
        std::string lost = display(r.value("lost", json()));
        if (r.contains("observed_loss"))
            lost += " (" + display(std::round(r["observed_loss"].get<double>() * 1000) / 10) + "%)";
        s += std::string("<tr") + (problem.empty() ? "" : " class=\"row-fail\"") + "><td>" +
             h(r.value("link", std::string())) + "</td><td>" + h(display(r.value("from", json()))) +
             "</td><td>" + h(display(r.value("to", json()))) + "</td><td>" +
             h(cut ? "partitioned" : shape(r.value("configured", json()))) + "</td><td>" +
             h(shape(r.value("in_force", json()))) + "</td><td>" +
             h(display(r.value("forwarded", json()))) + "</td><td>" +
             h(display(r.value("packets", json()))) + "</td><td>" + h(lost) + "</td><td>" +
             h(display(r.value("held", json()))) + "</td><td>" +
             h(display(r.value("cut", json()))) + "</td><td>" + h(problem) + "</td></tr>\n";
    }
    return s + "</tbody>\n</table>\n</section>\n";
}

std::string evidence_sections(const json& report, detail::NodeLogs& logs) {
    const json& checks = report["checks"];
    std::string s;
    for (size_t i : check_order(checks)) {
        const json& c = checks[i];
        const Verdict v = verdict_of(c);
        if (v == Verdict::Pass) continue;
        s += "<div class=\"check-detail\" id=\"check-" + std::to_string(i) + "\">\n<h3>" +
             verdict_badge(v) + " " + h(c.value("check", std::string())) + "</h3>\n<p>" +
             h(c.value("reason", std::string())) + "</p>\n" + findings_html(c) + "\n";
        if (c.contains("report_notes")) {
            s += "<p class=\"note\">report notes: " + h(display(c["report_notes"])) + "</p>\n";
        }
        const json& ev = c["evidence"];
        if (ev.empty()) {
            s += "<p class=\"note\">no evidence recorded</p>\n</div>\n";
            continue;
        }
        s += "<table class=\"grid evidence\">\n<thead><tr><th>t (s)</th><th>node</th><th>what</th>"
             "<th>history.jsonl</th></tr></thead>\n<tbody>\n";
        const size_t shown = std::min(ev.size(), kMaxEvidenceRows);
        for (size_t k = 0; k < shown; ++k) {
            const json& e = ev[k];
            const json t = e.value("t", json());
            const json node = e.value("node", json());
            const std::string node_s = node.is_string() ? node.get<std::string>() : "";
            std::string tcell = h(display(t));
            if (t.is_number()) {
                // data-t is a number we formatted, data-node is escaped text: the script
                // only reads them.
                tcell = "<a href=\"#timeline-section\" class=\"evlink\" data-t=\"" +
                        fmt_num(t.get<double>()) + "\" data-node=\"" + h(node_s) + "\">" + tcell +
                        "</a>";
            }
            s += "<tr><td>" + tcell + "</td><td>" + h(display(node)) + "</td><td>" +
                 h(display(e.value("what", json()))) + "</td><td>" +
                 h(display(e.value("ref", json()))) + "</td></tr>\n";
            if (t.is_number() && !node_s.empty()) {
                const auto lines = logs.around(node_s, t.get<double>(), kLogBefore, kLogAfter);
                if (!lines.empty()) {
                    s += "<tr class=\"logs\"><td></td><td colspan=\"3\"><details" +
                         std::string(k == 0 ? " open" : "") + "><summary>" + h(node_s) +
                         ".log around " + h(display(t)) + " s</summary><pre>";
                    // Marks the last line logged at or before the evidence.
                    size_t at = lines.size();
                    for (size_t k2 = 0; k2 < lines.size(); ++k2) {
                        if (lines[k2].t <= t.get<double>() + 1e-9) at = k2;
                    }
                    for (size_t k2 = 0; k2 < lines.size(); ++k2) {
                        const auto& l = lines[k2];
                        const std::string text = fmt_num(l.t) + "  " + h(l.text);
                        s += k2 == at ? "<mark>" + text + "</mark>\n" : text + "\n";
                    }
                    s += "</pre></details></td></tr>\n";
                }
            }
        }
        s += "</tbody>\n</table>\n";
        if (ev.size() > shown) {
            s += "<p class=\"note\">" + std::to_string(ev.size() - shown) +
                 " more evidence rows are in report.json</p>\n";
        }
        s += "</div>\n";
    }
    if (s.empty()) s = "<p>Every check passed.</p>\n";
    return s;
}

std::string render_html(const json& report, const json& timeline,
                        const std::vector<std::string>& notes, detail::NodeLogs& logs) {
    const std::string nonce = make_nonce();
    const json& sc = report["scenario"];
    const json& impl = report["implementation"];
    const std::string name = sc.value("name", std::string());
    const std::string verdict = checkers::to_string(verdict_of(report));
    const json& sum = report["summary"];

    std::string s = page_head("gossiplab: " + name + " — " + verdict, nonce);
    s += "<body>\n<header>\n<h1>" + verdict_badge(verdict) + " " + h(name) + "</h1>\n";
    if (const json cut = report.value("interrupted", json()); cut.is_object()) {
        s += "<p class=\"interrupted\" id=\"interrupted\">Interrupted: the run did not finish; "
             "the last line recorded is at t = " +
             h(display(cut.value("last_t", json()))) + " s, and nothing past it was observed. " +
             h(display(cut.value("reason", json()))) + "</p>\n";
    }
    if (const json st = report.value("starved", json()); st.is_object()) {
        std::string which;
        for (const auto& c : st.value("checks", json::array()))
            which += (which.empty() ? "" : ", ") + display(c);
        s += "<p class=\"interrupted\" id=\"starved\">Starved: the machine could not keep the "
             "lab on time (" +
             h(display(st.value("reason", json()))) + "), so the checks that failed (" + h(which) +
             ") are judged unknown: an environment problem, not a verdict on the "
             "implementation. Run it again on a machine with spare CPU.</p>\n";
    }
    if (!sc.value("description", std::string()).empty()) {
        s += "<p class=\"desc\">" + h(sc.value("description", std::string())) + "</p>\n";
    }
    s += "<table class=\"kv\" id=\"run-info\">\n";
    s += "<tr><th>seed</th><td>" + h(display(report["seed"])) + "</td></tr>\n";
    s +=
        "<tr><th>implementation</th><td>" + h(display(impl.value("name", json()))) + "</td></tr>\n";
    json profile = impl.value("profile", json());
    // The harness stores the profile's values; its name is in the resolved scenario.
    const json resolved = sc.value("resolved", json());
    const json named = resolved.is_object() ? resolved.value("profile", json()) : json();
    if (profile.is_object() && !profile.contains("name") && named.is_string()) {
        profile["name"] = named;
    }
    s += "<tr><th>timing profile</th><td>" + h(profile_text(profile)) + "</td></tr>\n";
    s += "<tr><th>features</th><td>" + h(display(impl.value("features", json()))) + "</td></tr>\n";
    s += "<tr><th>duration</th><td>" + h(display(report.value("duration_s", json()))) +
         " s</td></tr>\n";
    s += "<tr><th>checks</th><td>" + h(display(sum.value("fail", json()))) + " failed, " +
         h(display(sum.value("unknown", json()))) + " unknown, " +
         h(display(sum.value("pass", json()))) + " passed</td></tr>\n</table>\n</header>\n";
    s += "<nav><a href=\"#summary\">checks</a> <a href=\"#failures\">why</a> "
         "<a href=\"#timeline-section\">timeline</a> <a href=\"#dissemination-section\">"
         "dissemination</a> <a href=\"#metrics-section\">measurements</a> "
         "<a href=\"#environment\">environment</a></nav>\n";
    s += "<section id=\"reproduce\"><h2>Reproduce</h2><pre id=\"command\">" +
         h(report.value("command", std::string())) + "</pre></section>\n";
    s += "<section id=\"summary\"><h2>Checks</h2>\n" + summary_table(report) + "</section>\n";
    s += "<section id=\"failures\"><h2>Why</h2>\n" + evidence_sections(report, logs) +
         "</section>\n";
    s += faults_section(report);
    s += "<section id=\"timeline-section\"><h2>Membership timeline</h2>\n"
         "<div id=\"timeline-controls\"></div><div id=\"timeline\" class=\"chart\"></div>"
         "<p id=\"timeline-note\" class=\"note\"></p></section>\n";
    s += "<section id=\"dissemination-section\"><h2>Dissemination</h2>\n"
         "<div id=\"dissemination\" class=\"chart\"></div>"
         "<p id=\"dissemination-note\" class=\"note\"></p></section>\n";
    s += "<section id=\"metrics-section\"><h2>Measurements</h2>\n<div id=\"metrics\"></div>"
         "</section>\n";
    s += "<section id=\"environment\"><h2>Environment</h2>\n<table class=\"kv\">\n" +
         kv_rows(report["environment"]) + "</table>\n</section>\n";
    s += "<section id=\"notes\"><h2>Report notes</h2>\n<ul id=\"notes-list\">\n";
    for (const auto& n : notes) s += "<li>" + h(n) + "</li>\n";
    s += "</ul>\n</section>\n<div id=\"tooltip\" hidden></div>\n";
    s += "<noscript><p class=\"note\">Charts need JavaScript; the tables above are complete "
         "without it.</p></noscript>\n";

    json data = {{"report", report}, {"timeline", timeline}};
    // The seed is a 64-bit integer: JavaScript numbers would round it.
    data["report"]["seed"] = display(report["seed"]);
    s +=
        "<script type=\"application/json\" id=\"gl-data\">" + json_for_script(data) + "</script>\n";
    s += "<script nonce=\"" + nonce + "\">\n" + std::string(detail::kReportJs) + "</script>\n";
    s += "</body>\n</html>\n";
    return s;
}

}  // namespace

void render_run(const fs::path& run_dir) {
    const json report = detail::load_report(run_dir / "report.json");
    std::vector<std::string> notes;
    const json timeline = detail::timeline_data(run_dir / "history.jsonl", notes);
    if (!fs::is_directory(run_dir / "nodes")) {
        notes.push_back((run_dir / "nodes").string() + ": missing; no log lines around evidence");
    }
    detail::NodeLogs logs(run_dir / "nodes");
    detail::write_file_atomic(run_dir / "report.html", render_html(report, timeline, notes, logs));
    const auto n = detail::junit_counts(report);
    detail::write_file_atomic(
        run_dir / "junit.xml",
        detail::junit_document(detail::junit_testsuite(report), n.tests, n.failures, n.errors,
                               n.skipped, report.value("duration_s", 0.0)));
}

void write_run_reports(const fs::path& run_dir, const RunInfo& info) {
    std::error_code ec;
    fs::create_directories(run_dir, ec);
    if (ec)
        throw ReportError(run_dir.string() + ": cannot create directory (" + ec.message() + ")");
    RunInfo with = info;
    if (with.history.is_null()) with.history = history_digest(run_dir / "history.jsonl");
    detail::write_file_atomic(
        run_dir / "report.json",
        build_report(with).dump(2, ' ', false, json::error_handler_t::replace) + "\n");
    render_run(run_dir);
}

// The report a scenario's checks across runs make for the renderers (never written to disk).
static json across_runs_report(const std::string& scenario,
                               const std::vector<const SuiteCheck*>& checks) {
    RunInfo info;
    info.scenario_name = scenario + " (across runs)";
    info.scenario_description = "checks that judge the runs of " + scenario + " together";
    info.checks = json::array();
    for (const SuiteCheck* c : checks) info.checks.push_back(c->result);
    return build_report(info);
}

namespace {

// What the suite's index.html and junit.xml add up over runs and checks across runs.
struct SuiteTotals {
    int tests = 0, failures = 0, skipped = 0, runs_failed = 0, errors = 0, across_failed = 0;
    double time = 0;
    std::string rows, across_rows, suites;  // index.html rows, junit <testsuite> elements

    void count(const json& report) {
        const auto n = detail::junit_counts(report);
        tests += n.tests, failures += n.failures, skipped += n.skipped, errors += n.errors;
        suites += detail::junit_testsuite(report);
    }
};

// A run whose report.json cannot be read: an error row and a testsuite with one error.
void add_missing_run(SuiteTotals& t, const fs::path& dir, const std::string& error) {
    ++t.errors;
    ++t.tests;
    t.rows += "<tr class=\"row-unknown\"><td>" + h(dir.filename().string()) + "</td><td>" +
              verdict_badge("error") + "</td><td colspan=\"4\">" + h(error) + "</td></tr>\n";
    t.suites += "  <testsuite name=\"" + xml_escape(dir.filename().string()) +
                "\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\">\n"
                "    <testcase classname=\"gossiplab.suite\" name=\"report\" time=\"0\">\n"
                "      <error message=\"" +
                xml_escape(error) +
                "\" type=\"report_missing\"/>\n"
                "    </testcase>\n  </testsuite>\n";
}

// One run's row (linked to its report.html, relative to the suite directory when it can be).
void add_run(SuiteTotals& t, const fs::path& suite_dir, const fs::path& dir) {
    json report;
    try {
        report = detail::load_report(dir / "report.json");
    } catch (const ReportError& e) {
        add_missing_run(t, dir, e.what());
        return;
    }
    std::error_code rel_ec;
    fs::path rel = fs::relative(dir / "report.html", suite_dir, rel_ec);
    if (rel_ec || rel.empty()) rel = fs::absolute(dir / "report.html");
    const std::string href = h(url_encode_path(rel.generic_string()));
    t.count(report);
    const double dur = report.value("duration_s", 0.0);
    t.time += dur;
    const Verdict v = verdict_of(report);
    if (v == Verdict::Fail) ++t.runs_failed;
    std::string chips;
    for (size_t i : check_order(report["checks"])) {
        const json& c = report["checks"][i];
        const std::string cv = checkers::to_string(verdict_of(c));
        const std::vector<std::string> findings = detail::check_findings(c);
        std::string title = c.value("reason", std::string());
        for (const std::string& f : findings) title += "\n" + f;
        chips += "<span class=\"chip v-" + cv + (findings.empty() ? "" : " with-finding") +
                 "\" title=\"" + h(title) + "\">" + h(c.value("check", std::string())) + ": " + cv +
                 (findings.empty() ? "" : " *") + "</span> ";
    }
    t.rows += "<tr class=\"row-" + checkers::to_string(v) + "\"><td><a href=\"" + href + "\">" +
              h(report["scenario"].value("name", std::string())) + "</a></td><td>" +
              verdict_badge(v) + "</td><td>" + chips + "</td><td>" + h(fmt_num(dur)) +
              " s</td><td>" + h(display(report["implementation"].value("name", json()))) +
              "</td><td>" + h(display(report["seed"])) + "</td></tr>\n";
}

// Checks across runs (load flatness of a scale sweep): their own rows and testsuites, and
// they count in every total, so a CI that reads only junit.xml sees them fail.
void add_across_runs(SuiteTotals& t, const std::vector<SuiteCheck>& across_runs) {
    std::vector<std::string> across_order;
    std::map<std::string, std::vector<const SuiteCheck*>> across_by_scenario;
    for (const auto& c : across_runs) {
        if (!across_by_scenario.count(c.scenario)) across_order.push_back(c.scenario);
        across_by_scenario[c.scenario].push_back(&c);
    }
    for (const auto& scenario : across_order) {
        const auto& group = across_by_scenario[scenario];
        const json report = across_runs_report(scenario, group);
        t.count(report);
        for (size_t i = 0; i < group.size(); ++i) {
            const json& c = report["checks"][i];
            const Verdict v = verdict_of(c);
            if (v == Verdict::Fail) ++t.across_failed;
            const std::string name = h(c.value("check", std::string()));
            const std::string& details = group[i]->details;
            const json bound = c.value("bound", json());
            t.across_rows += "<tr class=\"row-" + checkers::to_string(v) + "\"><td>" + h(scenario) +
                             "</td><td>" +
                             (details.empty() ? name
                                              : "<a href=\"" + h(url_encode_path(details)) + "\">" +
                                                    name + "</a>") +
                             "</td><td>" + verdict_badge(v) + "</td><td><code>" +
                             h(bound.is_object() ? display(bound.value("expr", json())) : "—") +
                             "</code></td><td>" + h(display(c.value("measured", json()))) +
                             "</td><td>" + h(c.value("reason", std::string())) + "</td></tr>\n";
        }
    }
}

std::string suite_page(const SuiteTotals& t, size_t runs, size_t across_runs) {
    std::string s = page_head("gossiplab suite", make_nonce());
    s += "<body>\n<header><h1>gossiplab suite</h1>\n<p id=\"suite-summary\">" +
         std::to_string(runs) + " scenario(s): " + std::to_string(t.runs_failed) + " failed, " +
         std::to_string(t.errors) + " without a report; " +
         (across_runs == 0 ? std::string()
                           : std::to_string(across_runs) + " check(s) across runs, " +
                                 std::to_string(t.across_failed) + " failed; ") +
         std::to_string(t.tests) + " checks, " + std::to_string(t.failures) + " failed, " +
         std::to_string(t.skipped) + " unknown</p></header>\n";
    s += "<table id=\"suite-table\" class=\"grid\">\n<thead><tr><th>scenario</th><th>verdict</th>"
         "<th>checks</th><th>duration</th><th>implementation</th><th>seed</th></tr></thead>\n"
         "<tbody>\n" +
         t.rows + "</tbody>\n</table>\n";
    if (!t.across_rows.empty()) {
        s += "<h2>Checks across runs</h2>\n<table id=\"across-table\" class=\"grid\">\n<thead><tr>"
             "<th>scenario</th><th>check</th><th>verdict</th><th>bound</th><th>measured</th>"
             "<th>reason</th></tr></thead>\n<tbody>\n" +
             t.across_rows + "</tbody>\n</table>\n";
    }
    s += "</body>\n</html>\n";
    return s;
}

}  // namespace

void write_suite_index(const fs::path& suite_dir, const std::vector<fs::path>& run_dirs,
                       const std::vector<SuiteCheck>& across_runs) {
    std::error_code ec;
    fs::create_directories(suite_dir, ec);
    if (ec)
        throw ReportError(suite_dir.string() + ": cannot create directory (" + ec.message() + ")");
    SuiteTotals t;
    for (const auto& dir : run_dirs) add_run(t, suite_dir, dir);
    add_across_runs(t, across_runs);
    detail::write_file_atomic(suite_dir / "index.html",
                              suite_page(t, run_dirs.size(), across_runs.size()));
    detail::write_file_atomic(
        suite_dir / "junit.xml",
        detail::junit_document(t.suites, t.tests, t.failures, t.errors, t.skipped, t.time));
}

}  // namespace gossiplab::reports
