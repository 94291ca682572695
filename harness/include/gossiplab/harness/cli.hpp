// The command line's flags: one table per command drives parsing, the checks on each value
// and the --help text, so a flag is written down once.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace gossiplab::harness {

// A mistake on the command line; what() names the flag and what was expected, e.g.
// "--nodes expects 1..1000". `gossiplab` prints it with the command and exits 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// One flag of a command. Written --NAME; a flag with a metavar takes a value, as
// `--NAME VALUE` or `--NAME=VALUE`; one without is a switch.
struct FlagSpec {
    enum class Type {
        Switch,   // no value
        Text,     // any value
        Integer,  // a non-negative decimal integer in [min, max]
        Choice,   // one of `choices`
    };
    std::string_view name;     // without the dashes: "nodes"
    std::string_view metavar;  // "N" in the help text; empty for a switch
    std::string_view help;     // the help text; each '\n' starts an indented continuation line
    Type type = Type::Text;
    uint64_t min = 0;  // Integer: the allowed range
    uint64_t max = std::numeric_limits<uint64_t>::max();
    std::vector<std::string_view> choices;  // Choice: the allowed values, in the order shown
};

// A command's usage text and flags. Every command also takes --help, which is not listed.
struct CommandSpec {
    std::string_view name;   // "run": names the command in errors
    std::string_view usage;  // "usage: gossiplab run SCENARIO [options]\n", and any lines below
    std::vector<FlagSpec> flags;
};

// The command line as parsed against a CommandSpec: positional words, switches given and
// (validated) values. Keeps a pointer to its spec: the spec must outlive it.
class Args {
  public:
    std::vector<std::string> positional;
    bool help = false;  // --help was given: nothing else was validated

    // Whether switch NAME was given. Throws std::logic_error when NAME is not a switch of the
    // spec (a mistake in the caller, not on the command line).
    bool is_set(std::string_view name) const;
    // The value of flag NAME as given (the last one, when it is repeated); nullopt when absent.
    // Throws std::logic_error when NAME is not a flag with a value.
    std::optional<std::string> value(std::string_view name) const;
    // The value of Integer flag NAME; nullopt when absent. Throws std::logic_error when NAME is
    // not an Integer flag.
    std::optional<uint64_t> number(std::string_view name) const;

  private:
    friend Args parse_args(const CommandSpec& spec, const std::vector<std::string>& argv);
    const FlagSpec& flag(std::string_view name, bool with_value) const;
    const CommandSpec* spec_ = nullptr;
    std::set<std::string, std::less<>> switches_;
    std::map<std::string, std::string, std::less<>> values_;
};

// Parses ARGV (the words after the command) against SPEC. A word that starts with "--" is a
// flag, any other word is positional. Throws UsageError for an unknown flag ("unknown option
// --x"), a flag without its value ("option --nodes needs a value") and, unless --help was
// given, a value its flag does not accept ("--nodes expects 1..1000", "--seed expects a
// non-negative integer, got \"x\"", "--impairment expects auto, nfqueue, netem or none, got
// \"x\""), checked in the table's order.
Args parse_args(const CommandSpec& spec, const std::vector<std::string>& argv);

// SPEC's --help text: its usage, then, when it has flags, an empty line and one entry per flag
// ("  --nodes N           override the scenario's node count").
std::string help_text(const CommandSpec& spec);

// The commands of `gossiplab`: run, suite, check, report, list, doctor, contract, compare,
// init.
const CommandSpec& run_command();
const CommandSpec& suite_command();
const CommandSpec& check_command();
const CommandSpec& report_command();
const CommandSpec& list_command();
const CommandSpec& doctor_command();
const CommandSpec& contract_command();
const CommandSpec& compare_command();
const CommandSpec& init_command();

}  // namespace gossiplab::harness
