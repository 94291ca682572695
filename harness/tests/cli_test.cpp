// The flag tables: parsing, the errors a bad command line gets, and the --help text they give.
#include <catch2/catch.hpp>

#include "gossiplab/harness/cli.hpp"

using namespace gossiplab::harness;

namespace {

std::string error_of(const CommandSpec& spec, const std::vector<std::string>& argv) {
    try {
        parse_args(spec, argv);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("flags take their value after a space or an equals sign, and the last one wins") {
    Args a = parse_args(run_command(),
                        {"join-all", "--nodes", "5", "--seed=9", "--impl", "a", "--impl=b", "-x"});
    CHECK(a.positional == std::vector<std::string>{"join-all", "-x"});
    CHECK(a.number("nodes") == 5u);
    CHECK(a.number("seed") == 9u);
    CHECK(a.value("impl") == "b");
    CHECK(a.value("profile") == std::nullopt);
    CHECK_FALSE(a.help);

    Args s = parse_args(suite_command(), {"--quick", "--only", "a,b", "--profile", "heartbeat"});
    CHECK(s.is_set("quick"));
    CHECK(s.value("only") == "a,b");
    CHECK(s.value("profile") == "heartbeat");
    CHECK_FALSE(parse_args(suite_command(), {}).is_set("quick"));
}

TEST_CASE("an unknown flag, a missing value and a bad value name the flag") {
    CHECK(error_of(run_command(), {"x", "--bogus"}) == "unknown option --bogus");
    CHECK(error_of(run_command(), {"x", "--bogus=1"}) == "unknown option --bogus=1");
    CHECK(error_of(suite_command(), {"--nodes", "3"}) == "unknown option --nodes");
    CHECK(error_of(check_command(), {"--quick"}) == "unknown option --quick");
    CHECK(error_of(run_command(), {"x", "--seed"}) == "option --seed needs a value");
    CHECK(error_of(run_command(), {"x", "--seed", "minus-one"}) ==
          "--seed expects a non-negative integer, got \"minus-one\"");
    CHECK(error_of(run_command(), {"x", "--seed="}) ==
          "--seed expects a non-negative integer, got \"\"");
    CHECK(error_of(run_command(), {"x", "--seed", "-1"}) ==
          "--seed expects a non-negative integer, got \"-1\"");
    CHECK(error_of(run_command(), {"x", "--nodes", "99999999999999999999999"}) ==
          "--nodes expects a non-negative integer, got \"99999999999999999999999\"");
    CHECK(error_of(run_command(), {"x", "--nodes", "0"}) == "--nodes expects 1..100000");
    CHECK(error_of(run_command(), {"x", "--nodes", "100001"}) == "--nodes expects 1..100000");
    CHECK(error_of(run_command(), {"x", "--nodes", "100000"}).empty());
    CHECK(error_of(suite_command(), {"--impairment", "tc"}) ==
          "--impairment expects auto, nfqueue, netem, none or sim, got \"tc\"");
    CHECK(error_of(run_command(), {"x", "--impairment", "none"}).empty());
}

TEST_CASE("bad values are reported in the table's order") {
    CHECK(error_of(run_command(), {"--seed", "q", "--nodes", "q"}) ==
          "--nodes expects a non-negative integer, got \"q\"");
}

TEST_CASE("help skips the value checks, not the unknown flags") {
    Args a = parse_args(run_command(), {"--nodes", "0", "--help"});
    CHECK(a.help);
    CHECK(parse_args(doctor_command(), {"--help"}).help);
    CHECK(error_of(run_command(), {"--help", "--bogus"}) == "unknown option --bogus");
}

TEST_CASE("asking for a flag the command does not have is a programming error") {
    Args a = parse_args(run_command(), {});
    CHECK_THROWS_AS(a.value("nosuch"), std::logic_error);
    CHECK_THROWS_AS(a.is_set("nodes"), std::logic_error);  // not a switch
    CHECK_THROWS_AS(a.number("impl"), std::logic_error);   // not an integer
    CHECK_THROWS_AS(parse_args(suite_command(), {}).value("quick"), std::logic_error);
}

TEST_CASE("the help text lists every flag once, aligned, continuation lines indented") {
    CHECK(
        help_text(run_command()) ==
        "usage: gossiplab run SCENARIO [options]\n"
        "\n"
        "  --impl NAME|PATH    implementation: a name (adapters/NAME/impl.json) or the path of an\n"
        "                      impl.json (or its folder) anywhere; default: the scenario's, else\n"
        "                      reference\n"
        "  --nodes N           override the scenario's node count (the lab: up to 1000;\n"
        "                      --impairment sim: up to 100000)\n"
        "  --seed S            seed for every random choice (default 1)\n"
        "  --profile P         timing profile of the implementation (default: its default)\n"
        "  --out DIR           run directory (default: runs/SCENARIO-DATE-TIME)\n"
        "  --impairment B      auto | nfqueue | netem | none | sim (default auto; none = "
        "loopback,\n"
        "                      no network faults; sim = the reference node's core in virtual\n"
        "                      time, in this process: docs/simulation.md)\n");
    CHECK(
        help_text(suite_command()) ==
        "usage: gossiplab suite [DIR] [options]\n"
        "\n"
        "  --quick             only the scenarios marked quick (the CI subset)\n"
        "  --impl NAME|PATH    implementation to test: a name from adapters/ or the path of an\n"
        "                      impl.json (default: each scenario's, else reference)\n"
        "  --seed S            seed (default 1)\n"
        "  --profile P         timing profile of the implementation for every scenario "
        "(default:\n"
        "                      each scenario's, else the implementation's default)\n"
        "  --out DIR           suite directory (default: runs/suite-DATE-TIME)\n"
        "  --impairment B      auto | nfqueue | netem | none | sim\n"
        "  --only A,B          only these scenarios (by name)\n"
        "  --jobs J            runs at a time, each in a process and a lab of its own (default 1;\n"
        "                      a run that finds the machine starved is judged unknown, exit 3)\n");
    CHECK(help_text(list_command()) == "usage: gossiplab list [DIR]\n");

    // A flag too long for the column still gets a space before its text.
    FlagSpec long_flag;
    long_flag.name = "a-very-long-flag-name";
    long_flag.metavar = "VALUE";
    long_flag.help = "help";
    CommandSpec wide{"x", "usage: x\n", {long_flag}};
    CHECK(help_text(wide) == "usage: x\n\n  --a-very-long-flag-name VALUE help\n");
}
