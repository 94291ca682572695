// The command line's flags: the generic parser and the table of every command's flags.
#include "gossiplab/harness/cli.hpp"

#include <algorithm>

namespace gossiplab::harness {
namespace {

using Type = FlagSpec::Type;

std::string dashed(std::string_view name) {
    return "--" + std::string(name);
}

const FlagSpec* find_flag(const CommandSpec& spec, std::string_view name) {
    for (const FlagSpec& f : spec.flags)
        if (f.name == name) return &f;
    return nullptr;
}

uint64_t parse_integer(const FlagSpec& f, const std::string& s) {
    uint64_t v = 0;
    try {
        size_t n = 0;
        v = std::stoull(s, &n, 10);
        if (n != s.size() || s.empty() || s[0] == '-') throw std::invalid_argument(s);
    } catch (const std::exception&) {
        throw UsageError(dashed(f.name) + " expects a non-negative integer, got \"" + s + "\"");
    }
    if (v < f.min || v > f.max)
        throw UsageError(dashed(f.name) + " expects " + std::to_string(f.min) + ".." +
                         std::to_string(f.max));
    return v;
}

// "auto, nfqueue, netem or none".
std::string one_of(const std::vector<std::string_view>& choices) {
    std::string s;
    for (size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) s += i + 1 == choices.size() ? " or " : ", ";
        s += choices[i];
    }
    return s;
}

void check_value(const FlagSpec& f, const std::string& v) {
    if (f.type == Type::Integer) parse_integer(f, v);
    if (f.type == Type::Choice &&
        std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end())
        throw UsageError(dashed(f.name) + " expects " + one_of(f.choices) + ", got \"" + v + "\"");
}

FlagSpec flag_of(std::string_view name, std::string_view metavar, std::string_view help,
                 Type type) {
    FlagSpec f;
    f.name = name;
    f.metavar = metavar;
    f.help = help;
    f.type = type;
    return f;
}

FlagSpec switch_flag(std::string_view name, std::string_view help) {
    return flag_of(name, "", help, Type::Switch);
}

FlagSpec text_flag(std::string_view name, std::string_view metavar, std::string_view help) {
    return flag_of(name, metavar, help, Type::Text);
}

FlagSpec integer_flag(std::string_view name, std::string_view metavar, std::string_view help,
                      uint64_t min = 0, uint64_t max = std::numeric_limits<uint64_t>::max()) {
    FlagSpec f = flag_of(name, metavar, help, Type::Integer);
    f.min = min;
    f.max = max;
    return f;
}

FlagSpec impairment_flag(std::string_view help) {
    FlagSpec f = flag_of("impairment", "B", help, Type::Choice);
    f.choices = {"auto", "nfqueue", "netem", "none", "sim"};
    return f;
}

}  // namespace

const FlagSpec& Args::flag(std::string_view name, bool with_value) const {
    const FlagSpec* f = spec_ ? find_flag(*spec_, name) : nullptr;
    if (!f || (f->type == Type::Switch) == with_value)
        throw std::logic_error(dashed(name) + " is not a " +
                               (with_value ? "flag with a value" : "switch") + " of gossiplab " +
                               (spec_ ? std::string(spec_->name) : "?"));
    return *f;
}

bool Args::is_set(std::string_view name) const {
    flag(name, false);
    return switches_.count(name) > 0;
}

std::optional<std::string> Args::value(std::string_view name) const {
    flag(name, true);
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

std::optional<uint64_t> Args::number(std::string_view name) const {
    const FlagSpec& f = flag(name, true);
    if (f.type != Type::Integer) throw std::logic_error(dashed(name) + " is not an integer flag");
    auto v = value(name);
    if (!v) return std::nullopt;
    return parse_integer(f, *v);
}

Args parse_args(const CommandSpec& spec, const std::vector<std::string>& argv) {
    Args a;
    a.spec_ = &spec;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& s = argv[i];
        if (s.rfind("--", 0) != 0) {
            a.positional.push_back(s);
            continue;
        }
        std::string key = s.substr(2), val;
        bool has_eq = false;
        if (auto eq = key.find('='); eq != std::string::npos) {
            val = key.substr(eq + 1);
            key = key.substr(0, eq);
            has_eq = true;
        }
        const FlagSpec* f = find_flag(spec, key);
        if (key == "help") {
            a.help = true;
        } else if (!f) {
            throw UsageError("unknown option " + s);
        } else if (f->type == Type::Switch) {
            a.switches_.insert(key);
        } else {
            if (!has_eq) {
                if (i + 1 >= argv.size())
                    throw UsageError("option " + dashed(key) + " needs a value");
                val = argv[++i];
            }
            a.values_[key] = val;
        }
    }
    if (a.help) return a;
    for (const FlagSpec& f : spec.flags)
        if (auto it = a.values_.find(f.name); it != a.values_.end()) check_value(f, it->second);
    return a;
}

std::string help_text(const CommandSpec& spec) {
    constexpr size_t kColumn = 20;  // where the help text starts, after the two-space indent
    std::string s(spec.usage);
    if (spec.flags.empty()) return s;
    s += "\n";
    for (const FlagSpec& f : spec.flags) {
        std::string entry = dashed(f.name);
        if (!f.metavar.empty()) entry += " " + std::string(f.metavar);
        entry.resize(std::max(kColumn, entry.size() + 1), ' ');
        std::string help(f.help);
        for (size_t p = 0; (p = help.find('\n', p)) != std::string::npos; p += kColumn + 3)
            help.insert(p + 1, kColumn + 2, ' ');
        s += "  " + entry + help + "\n";
    }
    return s;
}

const CommandSpec& run_command() {
    static const CommandSpec spec{
        "run",
        "usage: gossiplab run SCENARIO [options]\n",
        {
            text_flag("impl", "NAME|PATH",
                      "implementation: a name (adapters/NAME/impl.json) or the path of an\n"
                      "impl.json (or its folder) anywhere; default: the scenario's, else\n"
                      "reference"),
            integer_flag("nodes", "N",
                         "override the scenario's node count (the lab: up to 1000;\n"
                         "--impairment sim: up to 100000)",
                         1, 100000),
            integer_flag("seed", "S", "seed for every random choice (default 1)"),
            text_flag("profile", "P",
                      "timing profile of the implementation (default: its default)"),
            text_flag("out", "DIR", "run directory (default: runs/SCENARIO-DATE-TIME)"),
            impairment_flag("auto | nfqueue | netem | none | sim (default auto; none = loopback,\n"
                            "no network faults; sim = the reference node's core in virtual\n"
                            "time, in this process: docs/simulation.md)"),
        }};
    return spec;
}

const CommandSpec& suite_command() {
    static const CommandSpec spec{
        "suite",
        "usage: gossiplab suite [DIR] [options]\n",
        {
            switch_flag("quick", "only the scenarios marked quick (the CI subset)"),
            text_flag("impl", "NAME|PATH",
                      "implementation to test: a name from adapters/ or the path of an\n"
                      "impl.json (default: each scenario's, else reference)"),
            integer_flag("seed", "S", "seed (default 1)"),
            text_flag("profile", "P",
                      "timing profile of the implementation for every scenario (default:\n"
                      "each scenario's, else the implementation's default)"),
            text_flag("out", "DIR", "suite directory (default: runs/suite-DATE-TIME)"),
            impairment_flag("auto | nfqueue | netem | none | sim"),
            text_flag("only", "A,B", "only these scenarios (by name)"),
            integer_flag("jobs", "J",
                         "runs at a time, each in a process and a lab of its own (default 1;\n"
                         "a run that finds the machine starved is judged unknown, exit 3)"),
        }};
    return spec;
}

const CommandSpec& check_command() {
    static const CommandSpec spec{
        "check",
        "usage: gossiplab check RUN_DIR [--json]\n  re-runs every checker on "
        "RUN_DIR/history.jsonl\n",
        {switch_flag("json",
                     "print the results as JSON ({\"checks\": [...], \"verdict\"}) on stdout")}};
    return spec;
}

const CommandSpec& report_command() {
    static const CommandSpec spec{
        "report",
        "usage: gossiplab report RUN_DIR\n  re-renders report.html and junit.xml from report.json; "
        "a run without one (its\n  controller was killed) gets all three from its history, "
        "marked interrupted\n",
        {}};
    return spec;
}

const CommandSpec& list_command() {
    static const CommandSpec spec{"list", "usage: gossiplab list [DIR]\n", {}};
    return spec;
}

const CommandSpec& contract_command() {
    static const CommandSpec spec{
        "contract",
        "usage: gossiplab contract [--impl NAME|PATH] [options]\n"
        "  the node contract's self-test (docs/node-contract.md): starts 3 nodes and checks\n"
        "  one requirement at a time; prints a checklist with the first offending line of\n"
        "  each failure. Exit 0 all pass, 1 a requirement failed.\n",
        {
            text_flag("impl", "NAME|PATH",
                      "implementation: a name from adapters/ or the path of an impl.json\n"
                      "(default reference)"),
            text_flag("profile", "P", "timing profile (default: the manifest's default)"),
            integer_flag("timeout", "S", "the longest wait for any one expected event (default 10)",
                         1, 600),
            integer_flag("grace", "S", "how long a node may take to exit after SIGTERM (default 5)",
                         1, 600),
            text_flag("out", "DIR", "where the nodes' logs go (default: runs/contract-IMPL-DATE)"),
            impairment_flag("auto | nfqueue | netem | none (default: the lab when this machine\n"
                            "has one, else loopback)"),
        }};
    return spec;
}

const CommandSpec& compare_command() {
    static const CommandSpec spec{
        "compare",
        "usage: gossiplab compare BASE NEW [options]\n"
        "  regressions between two suite directories (e.g. the last green run and this one):\n"
        "  per scenario and check, verdict changes and the NEW/BASE ratio of its metrics.\n"
        "  Writes compare.html and compare-junit.xml (into NEW unless --out); exit 1 on a\n"
        "  regression.\n",
        {
            integer_flag("threshold", "PCT",
                         "how much worse a metric of a check that passed both times may get\n"
                         "before it is a regression, in percent (default 100: twice as bad)",
                         0, 100000),
            text_flag("out", "DIR", "where compare.html and compare-junit.xml go (default NEW)"),
        }};
    return spec;
}

const CommandSpec& init_command() {
    static const CommandSpec spec{
        "init",
        "usage: gossiplab init DIR [--name NAME]\n"
        "  writes DIR/impl.json (a starting manifest for your implementation) and DIR/node.sh\n"
        "  (the command it runs, to fill in); `gossiplab contract --impl DIR` then tests it.\n",
        {
            text_flag("name", "NAME", "the implementation's name (default: DIR's last part)"),
        }};
    return spec;
}

const CommandSpec& doctor_command() {
    static const CommandSpec spec{
        "doctor",
        "usage: gossiplab doctor\n  what a run needs from this machine, and the fixes\n",
        {}};
    return spec;
}

}  // namespace gossiplab::harness
