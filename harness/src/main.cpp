// gossiplab: the command line (run, suite, check, report, list, doctor, contract, compare,
// init): each command's flags, then its module.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <optional>

#include <boost/process.hpp>

#include "gossiplab/checkers/checkers.hpp"
#include "gossiplab/harness/cli.hpp"
#include "gossiplab/harness/compare.hpp"
#include "gossiplab/harness/contract.hpp"
#include "gossiplab/harness/controller.hpp"
#include "gossiplab/harness/init.hpp"
#include "gossiplab/harness/manifest.hpp"
#include "gossiplab/harness/reproduce.hpp"
#include "gossiplab/harness/scenario.hpp"
#include "gossiplab/harness/sim.hpp"
#include "gossiplab/harness/suite.hpp"
#include "gossiplab/netem/lab.hpp"
#include "gossiplab/reports/report.h"
#include "gossiplab/version.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace gossiplab;
using checkers::Verdict;
using checkers::verdict_of;
using harness::Args;
using harness::ScenarioError;
using harness::UsageError;

namespace {

constexpr int kExitPass = 0, kExitFail = 1, kExitBadInput = 2, kExitEnv = 3, kExitInterrupted = 130;

const char* kUsage =
    "usage: gossiplab COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO     run one scenario (a file, or a name from scenarios/)\n"
    "  suite [DIR]      run every scenario in DIR (default: the project's scenarios/)\n"
    "  check RUN_DIR    re-run the checkers on a recorded run (no lab needed)\n"
    "  report RUN_DIR   re-render report.html and junit.xml from report.json\n"
    "  list [DIR]       list scenarios with one-line descriptions\n"
    "  doctor           check what a run needs from this machine\n"
    "  contract         self-test an implementation against the node contract (3 nodes)\n"
    "  compare BASE NEW regressions between two suite directories\n"
    "  init DIR         write a starting impl.json (and node.sh) for your implementation\n"
    "\n"
    "`gossiplab COMMAND --help` describes each command's options.\n"
    "exit codes: 0 all checks pass, 1 a check failed, 2 bad input, 3 environment problem,\n"
    "            130 interrupted\n";

// The words after the command, parsed against its flags.
Args parse(const harness::CommandSpec& spec, int argc, char** argv) {
    return harness::parse_args(spec, std::vector<std::string>(argv + 2, argv + argc));
}

// Prints the command's --help text when it was asked for; true then.
bool help(const Args& a, const harness::CommandSpec& spec) {
    if (a.help) std::fputs(harness::help_text(spec).c_str(), stdout);
    return a.help;
}

fs::path self_dir() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::current_path() : p.parent_path();
}

// Where scenarios/ and adapters/ live: GOSSIPLAB_HOME when set; else, for an installed
// gossiplab (PREFIX/bin/gossiplab), PREFIX/share/gossiplab beside it, wherever PREFIX is
// (a .deb unpacked anywhere works); else the source tree this binary was built from.
fs::path home() {
    if (const char* h = std::getenv("GOSSIPLAB_HOME"); h && *h) return h;
    static const fs::path installed = self_dir().parent_path() / "share" / "gossiplab";
    if (fs::is_directory(installed / "scenarios")) return installed;
    return GOSSIPLAB_SOURCE_DIR;
}

std::string stamp() {
    std::time_t t = std::time(nullptr);
    char b[32];
    std::strftime(b, sizeof b, "%Y%m%d-%H%M%S", std::localtime(&t));
    return b;
}

fs::path resolve_scenario(const std::string& s) {
    fs::path p = s;
    if (fs::exists(p)) return p;
    fs::path named = home() / "scenarios" / (s + ".json");
    if (fs::exists(named)) return named;
    throw ScenarioError(s, "",
                        "no such file, and no scenario named \"" + s + "\" in " +
                            (home() / "scenarios").string() + " (see `gossiplab list`)");
}

std::string impl_version(const harness::Manifest& m, const fs::path& bin) {
    if (m.version_command.empty()) return "";
    try {
        auto argv = harness::expand_command(m.version_command,
                                            {{"bin", bin.string()}, {"adapter", m.dir.string()}},
                                            m.file.string());
        namespace bp = boost::process;
        bp::ipstream out;
        std::vector<std::string> rest(argv.begin() + 1, argv.end());
        bp::child c(bp::exe = argv[0], bp::args = rest, bp::std_out > out, bp::std_err > bp::null);
        std::string line;
        std::getline(out, line);
        c.wait();
        return line;
    } catch (const std::exception& e) {
        return std::string("unknown (") + e.what() + ")";
    }
}

std::string kernel() {
    utsname u{};
    if (::uname(&u) != 0) return "unknown";
    return std::string(u.sysname) + " " + u.release;
}

// Builds the network once per process: entering the private world is only
// possible while the process is single-threaded, so it happens before any run.
struct World {
    std::optional<netem::Backend> backend;  // resolved: Netem or Nfqueue; none: loopback
    bool sim = false;   // --impairment sim: no lab, the reference core in virtual time
    std::string given;  // --impairment as given, "" when absent (the reproduce command repeats it)
    // `given` is already one of auto, nfqueue, netem, none, sim (the flag table checks it).
    // ENTER: enter the private lab world now (false: each run's child process of a parallel
    // suite enters its own, World::enter).
    static World prepare(const std::optional<std::string>& given, bool enter = true) {
        const std::string requested = given.value_or("auto");
        World w;
        w.given = given.value_or("");
        if (requested == "none") return w;
        if (requested == "sim") {
            w.sim = true;
            std::fprintf(stderr, "gossiplab: impairment backend: sim (virtual time, in-process)\n");
            return w;
        }
        netem::Backend req = netem::backend_from_string(requested);
        w.backend = netem::choose_backend(req);
        std::fprintf(stderr, "gossiplab: impairment backend: %s%s\n",
                     netem::to_string(*w.backend).c_str(),
                     req == netem::Backend::Auto ? " (auto-selected)" : "");
        if (enter) w.enter();
        return w;
    }
    void enter() const {
        if (backend) netem::enter_private_world();
    }
};

// The network of one run's NODES in WORLD: the lab, or loopback. Throws std::system_error
// (an environment problem) when the lab cannot be built.
// The run's network; `seed` is the run's, from which the nfqueue engine's packet fates derive.
std::unique_ptr<harness::Network> network_for(const std::vector<std::string>& nodes,
                                              const World& world, uint64_t seed) {
    try {
        return world.backend ? harness::make_lab_network(nodes, *world.backend, seed)
                             : harness::make_loopback_network(nodes);
    } catch (const netem::LabError& e) {
        throw std::system_error(std::make_error_code(std::errc::operation_not_supported),
                                std::string("building the lab: ") + e.what());
    }
}

void print_checks(const json& checks) {
    std::printf("  %-24s %-8s %-14s %-14s %s\n", "check", "verdict", "bound", "measured", "reason");
    for (const auto& c : checks) {
        std::string bound = "-", measured = "-";
        if (c.contains("bound") && c["bound"].is_object() && c["bound"].contains("value") &&
            c["bound"]["value"].is_number()) {
            char b[32];
            std::snprintf(b, sizeof b, "%.3g",
                          c["bound"]["value"].get<double>());  // units vary by check
            bound = b;
        }
        if (c.contains("measured") && c["measured"].is_number()) {
            char b[32];
            std::snprintf(b, sizeof b, "%.3g", c["measured"].get<double>());
            measured = b;
        }
        std::string reason = c.value("reason", "");
        if (reason.size() > 100) reason = reason.substr(0, 97) + "...";
        std::printf("  %-24s %-8s %-14s %-14s %s\n", c.value("check", "?").c_str(),
                    c.value("verdict", "?").c_str(), bound.c_str(), measured.c_str(),
                    reason.c_str());
    }
}

// Runs SC (read from sc.file) into OUT: the lab, the nodes, the checks and the run's reports.
harness::RunOutcome run_one(const harness::Scenario& sc, const fs::path& out, const World& world) {
    harness::Manifest m = harness::load_manifest(home(), sc.impl);
    m.profile(sc.profile);  // fail early on an unknown profile
    fs::path bin = self_dir();
    if (fs::exists(out) && !fs::is_empty(out))
        throw ScenarioError(out.string(), "", "the run directory exists and is not empty");

    std::unique_ptr<harness::Network> net;
    if (world.sim)
        harness::require_simulable(m);
    else
        net = network_for(sc.nodes, world, sc.seed);
    const std::string backend = world.sim ? std::string("sim") : net->name();
    harness::RunOptions opt;
    opt.run_dir = out;
    opt.bin_dir = bin;
    opt.progress = ::isatty(2);
    opt.command_line = harness::reproduce_command(sc.file, sc, m.ref, world.given);
    opt.environment = {
        {"kernel", kernel()},
        {"backend", backend},
        {"impl", m.name},
        {"impl_version", world.sim ? std::string(gossiplab::kVersion) : impl_version(m, bin)},
        {"gossiplab_version", gossiplab::kVersion},
        {"cpus", std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN))}};
    for (const auto& a : sc.actions)
        if (std::holds_alternative<harness::op::Inject>(a.op)) {
            opt.corpus = harness::load_corpus(m, bin);
            break;
        }
    const double length = harness::run_length(sc, m.profile(sc.profile));
    char judged[64] = "";
    if (length > sc.duration)
        std::snprintf(judged, sizeof judged, " (%.1f s to judge its obligations)", length);
    std::fprintf(stderr, "gossiplab: %s: %zu nodes, %s, %.0f s%s, seed %llu -> %s\n",
                 sc.name.c_str(), sc.nodes.size(), backend.c_str(), sc.duration, judged,
                 static_cast<unsigned long long>(sc.seed), out.string().c_str());
    double wall = 0;
    harness::RunResult rr = world.sim ? harness::run_simulated(sc, m, opt, &wall)
                                      : harness::run_scenario(sc, m, *net, opt);
    if (world.sim)
        std::fprintf(stderr, "gossiplab: sim: %.1f simulated s in %.1f s wall\n", rr.duration_s,
                     wall);
    net.reset();  // tear the lab down before the (slow) checking

    json checked = checkers::check_run_dir(out);
    reports::RunInfo info;
    info.scenario_name = sc.name;
    info.scenario_description = sc.description;
    info.scenario = sc.resolved;
    info.seed = sc.seed;
    info.impl = m.name;
    info.profile = m.profile(sc.profile);
    info.features = m.features;
    info.environment = opt.environment;
    info.command = opt.command_line;
    info.duration_s = rr.duration_s;
    info.checks = checked["checks"];
    const Verdict verdict = verdict_of(checked);
    info.verdict = verdict;
    reports::write_run_reports(out, info);
    print_checks(info.checks);
    std::printf("%s: %s  (report: %s)\n", sc.name.c_str(), checkers::to_string(verdict).c_str(),
                (out / "report.html").string().c_str());
    std::fflush(stdout);  // keep the table next to its scenario when stdout is a file
    harness::RunOutcome o{verdict, info.checks, rr.interrupted, {}};
    if (checked["starved"].is_object()) {
        o.starved = checked["starved"].value("reason", std::string("the lab was starved"));
        std::printf("%s: environment: %s; the failed checks are judged unknown (exit 3)\n",
                    sc.name.c_str(), o.starved.c_str());
    }
    return o;
}

int verdict_exit(Verdict v) {
    return v == Verdict::Fail ? kExitFail : kExitPass;
}

// `check`'s exit: an interrupted run (run_health's metrics.interrupted) proves nothing, so it
// is an environment problem (3) unless a check failed (1). docs/checkers.md "run_health".
int check_exit(const json& checked, Verdict v) {
    if (v == Verdict::Fail) return kExitFail;
    if (checked.value("starved", json()).is_object()) return kExitEnv;  // "Starved runs"
    for (const auto& c : checked["checks"])
        if (c.value("check", "") == "run_health" && c.contains("metrics") &&
            c["metrics"].value("interrupted", false))
            return kExitEnv;
    return verdict_exit(v);
}

int cmd_run(int argc, char** argv) {
    Args a = parse(harness::run_command(), argc, argv);
    if (help(a, harness::run_command())) return 0;
    if (a.positional.size() != 1) throw UsageError("run expects exactly one SCENARIO");
    harness::Overrides ov;
    ov.impl = a.value("impl");
    ov.profile = a.value("profile");
    if (auto n = a.number("nodes")) ov.nodes = static_cast<int>(*n);
    ov.seed = a.number("seed").value_or(1);
    ov.profile_of = harness::profile_lookup(home());
    fs::path file = resolve_scenario(a.positional[0]);
    // Validate everything before touching the machine.
    harness::Scenario sc = harness::load_scenario(file, ov);
    harness::Manifest m = harness::load_manifest(home(), sc.impl);
    m.profile(sc.profile);
    const bool sim = a.value("impairment").value_or("") == "sim";
    if (sim) harness::require_simulable(m);
    if (!sim && sc.nodes.size() > 1000)
        throw UsageError("--nodes above 1000 needs --impairment sim (the lab holds at most 1000)");
    fs::path out = a.value("out").value_or(fs::path("runs") / (sc.name + "-" + stamp()));
    World w = World::prepare(a.value("impairment"));
    harness::RunOutcome r = run_one(sc, out, w);
    if (r.interrupted) return kExitInterrupted;
    if (r.verdict != Verdict::Fail && !r.starved.empty()) return kExitEnv;
    return verdict_exit(r.verdict);
}

// The suite's report files and summary: each sweep's details as it ends, then the index.
struct SuiteReporter {
    fs::path out;

    void scenario_started(size_t i, size_t count, const std::string& stem) const {
        std::fprintf(stderr, "gossiplab: suite [%zu/%zu] %s\n", i + 1, count, stem.c_str());
    }

    void sweep_done(const harness::SweepResult& s) const {
        std::ofstream(out / s.details_file()) << s.to_json().dump(2) << "\n";
        std::printf("%s: load per member across N: %s (%s)\n", s.stem.c_str(),
                    checkers::to_string(s.load_flatness.verdict).c_str(),
                    s.load_flatness.reason.c_str());
    }

    void finish(const harness::SuiteResult& r, double elapsed_s) const {
        std::vector<reports::SuiteCheck> across_runs;  // load flatness of each sweep
        for (const auto& s : r.sweeps)
            across_runs.push_back({s.stem, s.load_flatness.to_json(), s.details_file()});
        reports::write_suite_index(out, r.run_dirs, across_runs);
        // The scenarios not run, for whoever reads the suite's directory (bench/conformance).
        json na = json::object();
        for (const auto& [stem, why] : r.not_applicable) na[stem] = why;
        if (!na.empty()) std::ofstream(out / "not-applicable.json") << na.dump(2) << "\n";
        std::printf("\nsuite: %zu scenarios in %.0f s\n", r.verdicts.size(), elapsed_s);
        for (const auto& [n, v] : r.verdicts)
            std::printf("  %-32s %s\n", n.c_str(), checkers::to_string(v).c_str());
        for (const auto& [n, why] : r.not_applicable)
            std::printf("  %-32s not applicable: %s\n", n.c_str(), why.c_str());
        for (const auto& [n, why] : r.starved)
            std::printf("  %-32s environment: %s\n", n.c_str(), why.c_str());
        std::printf("index: %s\n", (out / "index.html").string().c_str());
    }
};

int cmd_suite(int argc, char** argv) {
    Args a = parse(harness::suite_command(), argc, argv);
    if (help(a, harness::suite_command())) return 0;
    fs::path dir = a.positional.empty() ? home() / "scenarios" : fs::path(a.positional[0]);
    harness::Overrides ov;
    ov.impl = a.value("impl");
    ov.profile = a.value("profile");
    ov.seed = a.number("seed").value_or(1);
    ov.profile_of = harness::profile_lookup(home());
    harness::SuiteFilter filter;
    filter.quick = a.is_set("quick");
    filter.only = harness::split_names(a.value("only").value_or(""));
    // Every scenario is loaded, and known valid, before any runs.
    std::vector<harness::SuiteScenario> plan = harness::plan_suite(dir, filter, ov, home());
    if (a.value("impairment").value_or("") == "sim")
        for (const auto& p : plan)
            harness::require_simulable(harness::load_manifest(home(), p.scenario.impl));
    const SuiteReporter rep{a.value("out").value_or(fs::path("runs") / ("suite-" + stamp()))};
    const int jobs = static_cast<int>(a.number("jobs").value_or(1));
    if (jobs < 1 || jobs > 64)
        throw UsageError("--jobs: expected 1 to 64, got " + std::to_string(jobs));
    World w = World::prepare(a.value("impairment"), jobs == 1);
    auto t0 = std::chrono::steady_clock::now();
    harness::SuiteResult r = harness::run_suite(
        plan, rep.out,
        [&](const harness::Scenario& sc, const fs::path& out) { return run_one(sc, out, w); },
        {[&](size_t i, size_t n, const std::string& stem) { rep.scenario_started(i, n, stem); },
         [&](const harness::SweepResult& s) { rep.sweep_done(s); }, [&] { w.enter(); },
         [&](const harness::Scenario& sc) {
             return harness::run_length(
                 sc, harness::load_manifest(home(), sc.impl).profile(sc.profile));
         }},
        jobs);
    rep.finish(r, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (r.interrupted) return kExitInterrupted;
    if (r.any_fail()) return kExitFail;
    return r.starved.empty() ? kExitPass : kExitEnv;
}

int cmd_check(int argc, char** argv) {
    Args a = parse(harness::check_command(), argc, argv);
    if (a.help || a.positional.size() != 1) {
        std::fputs(harness::help_text(harness::check_command()).c_str(), a.help ? stdout : stderr);
        return a.help ? 0 : kExitBadInput;
    }
    fs::path d = a.positional[0];
    if (!fs::exists(d / "history.jsonl"))
        throw ScenarioError((d / "history.jsonl").string(), "", "no recorded history here");
    json r = checkers::check_run_dir(d);
    const Verdict v = verdict_of(r);
    if (a.is_set("json")) {
        std::printf("%s\n", r.dump(2).c_str());
        return check_exit(r, v);
    }
    print_checks(r["checks"]);
    std::printf("%s: %s\n", d.string().c_str(), checkers::to_string(v).c_str());
    return check_exit(r, v);
}

int cmd_report(int argc, char** argv) {
    Args a = parse(harness::report_command(), argc, argv);
    if (a.help || a.positional.size() != 1) {
        std::fputs(harness::help_text(harness::report_command()).c_str(), a.help ? stdout : stderr);
        return a.help ? 0 : kExitBadInput;
    }
    const fs::path d = a.positional[0];
    if (fs::exists(d / "report.json") || !fs::exists(d / "history.jsonl")) {
        reports::render_run(d);
        std::printf("%s\n", (d / "report.html").string().c_str());
        return 0;
    }
    // No report.json: the controller died before it wrote one. The checks and the run's own
    // files make it; the run is marked interrupted and its exit is check's.
    const json checked = checkers::check_run_dir(d);
    std::vector<std::string> notes;
    reports::write_run_reports(d, reports::recorded_run_info(d, checked["checks"], &notes));
    for (const auto& n : notes) std::fprintf(stderr, "gossiplab report: %s\n", n.c_str());
    std::printf("%s\n", (d / "report.html").string().c_str());
    return check_exit(checked, verdict_of(checked));
}

int cmd_list(int argc, char** argv) {
    Args a = parse(harness::list_command(), argc, argv);
    if (help(a, harness::list_command())) return 0;
    fs::path dir = a.positional.empty() ? home() / "scenarios" : fs::path(a.positional[0]);
    for (const auto& [f, j] : harness::scenario_files(dir)) {
        std::string d = j.value("description", "");
        if (auto p = d.find(". "); p != std::string::npos) d = d.substr(0, p + 1);
        if (d.size() > 90) d = d.substr(0, 87) + "...";
        std::printf("%-30s %-6s %s\n", f.stem().string().c_str(),
                    j.value("quick", false) ? "quick" : "", d.c_str());
    }
    return 0;
}

int cmd_contract(int argc, char** argv) {
    Args a = parse(harness::contract_command(), argc, argv);
    if (help(a, harness::contract_command())) return 0;
    if (!a.positional.empty()) throw UsageError("contract takes no SCENARIO or DIR");
    harness::Manifest m = harness::load_manifest(home(), a.value("impl").value_or("reference"));
    harness::ContractOptions opt;
    opt.profile = a.value("profile").value_or("");
    m.profile(opt.profile);  // an unknown profile is bad input, before anything starts
    opt.bin_dir = self_dir();
    opt.timeout_s = static_cast<double>(a.number("timeout").value_or(10));
    opt.term_grace_s = static_cast<double>(a.number("grace").value_or(5));
    opt.out = a.value("out").value_or(fs::path("runs") / ("contract-" + m.name + "-" + stamp()));
    if (fs::exists(opt.out) && !fs::is_empty(opt.out))
        throw ScenarioError(opt.out.string(), "", "the output directory exists and is not empty");
    // First, as a run does: an adapter that builds its program on first use builds it now.
    const std::string version = impl_version(m, opt.bin_dir);
    std::optional<std::string> impairment = a.value("impairment");
    if (!impairment) {
        try {
            netem::choose_backend(netem::Backend::Auto);
        } catch (const netem::LabError&) {
            impairment = "none";  // no lab on this machine: loopback is enough for the contract
        }
    }
    if (impairment && *impairment == "sim")
        throw UsageError(
            "the contract runs the implementation's own processes: --impairment sim "
            "does not apply");
    World w = World::prepare(impairment);
    auto net = network_for({"n1", "n2", "n3"}, w, 1);
    std::printf("contract of %s (%s), version \"%s\", profile %s, 3 nodes on %s\n", m.name.c_str(),
                m.file.string().c_str(), version.c_str(),
                (opt.profile.empty() ? m.default_profile : opt.profile).c_str(),
                net->name().c_str());
    std::fflush(stdout);
    harness::ContractResult r = harness::run_contract(m, *net, opt);
    std::fputs(harness::format_checklist(m, r).c_str(), stdout);
    std::printf("node logs: %s\n", (opt.out / "nodes").string().c_str());
    return r.failed() ? kExitFail : kExitPass;
}

int cmd_compare(int argc, char** argv) {
    Args a = parse(harness::compare_command(), argc, argv);
    if (help(a, harness::compare_command())) return 0;
    if (a.positional.size() != 2)
        throw UsageError("compare expects BASE and NEW, two suite directories");
    const double threshold = static_cast<double>(a.number("threshold").value_or(100)) / 100;
    harness::Comparison c = harness::compare_suites(a.positional[0], a.positional[1], threshold);
    const fs::path out = a.value("out").value_or(a.positional[1]);
    fs::create_directories(out);
    for (const auto& [name, text] :
         {std::pair{"compare.html", harness::comparison_html(c)},
          std::pair{"compare-junit.xml", harness::comparison_junit(c)}}) {
        std::ofstream f(out / name);
        f << text;
        if (!f) throw std::runtime_error("cannot write " + (out / name).string());
    }
    std::fputs(harness::format_comparison(c).c_str(), stdout);
    std::printf("compare: %s, %s\n", (out / "compare.html").string().c_str(),
                (out / "compare-junit.xml").string().c_str());
    return c.regressed() ? kExitFail : kExitPass;
}

int cmd_init(int argc, char** argv) {
    Args a = parse(harness::init_command(), argc, argv);
    if (help(a, harness::init_command())) return 0;
    if (a.positional.size() != 1) throw UsageError("init expects exactly one DIR");
    const fs::path dir = a.positional[0];
    fs::path abs = fs::absolute(dir).lexically_normal();
    if (abs.filename().empty()) abs = abs.parent_path();  // "DIR/"
    const std::string name = a.value("name").value_or(abs.filename().string());
    const harness::Manifest ref = harness::load_manifest(home(), "reference");
    harness::write_starter(dir, name, ref.profile("fast"));
    std::printf(
        "wrote %s and %s\nnext: edit node.sh's exec line and impl.json, then\n"
        "  gossiplab contract --impl %s\n",
        (dir / "impl.json").string().c_str(), (dir / "node.sh").string().c_str(),
        dir.string().c_str());
    return 0;
}

int cmd_doctor(int argc, char** argv) {
    Args a = parse(harness::doctor_command(), argc, argv);
    if (help(a, harness::doctor_command())) return 0;
    auto caps = netem::doctor();
    for (const auto& c : caps) {
        std::printf("%-8s %-24s %s\n", c.ok ? "ok" : (c.required ? "MISSING" : "missing"),
                    c.name.c_str(), c.detail.c_str());
        if (!c.ok && !c.fix.empty()) std::printf("         fix: %s\n", c.fix.c_str());
    }
    try {
        auto b = netem::choose_backend(netem::Backend::Auto, caps);
        std::printf("a run will use the %s backend\n", netem::to_string(b).c_str());
        return 0;
    } catch (const netem::LabError& e) {
        std::printf("no run is possible: %s\n", e.what());
        return kExitEnv;
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return kExitBadInput;
    }
    std::string cmd = argv[1];
    try {
        if (cmd == "run") return cmd_run(argc, argv);
        if (cmd == "suite") return cmd_suite(argc, argv);
        if (cmd == "check") return cmd_check(argc, argv);
        if (cmd == "report") return cmd_report(argc, argv);
        if (cmd == "list") return cmd_list(argc, argv);
        if (cmd == "doctor") return cmd_doctor(argc, argv);
        if (cmd == "contract") return cmd_contract(argc, argv);
        if (cmd == "compare") return cmd_compare(argc, argv);
        if (cmd == "init") return cmd_init(argc, argv);
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (cmd == "--version") {
            std::printf("gossiplab %s\n", gossiplab::kVersion);
            return 0;
        }
        std::fprintf(stderr, "gossiplab: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
        return kExitBadInput;
    } catch (const UsageError& e) {
        std::fprintf(stderr, "gossiplab %s: %s (see gossiplab %s --help)\n", cmd.c_str(), e.what(),
                     cmd.c_str());
        return kExitBadInput;
    } catch (const ScenarioError& e) {
        std::fprintf(stderr, "gossiplab: %s\n", e.what());
        return kExitBadInput;
    } catch (const netem::LabError& e) {
        std::fprintf(stderr, "gossiplab: lab: %s\n(run `gossiplab doctor` for details)\n",
                     e.what());
        return kExitEnv;
    } catch (const std::system_error& e) {
        std::fprintf(stderr, "gossiplab: %s\n", e.what());
        return kExitEnv;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "gossiplab: error: %s\n", e.what());
        return kExitEnv;
    }
}
