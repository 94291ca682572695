// Bound expressions: arithmetic, functions, the contract's derived quantities, clear errors.
#include "history_builder.hpp"

#include <catch2/catch.hpp>

#include <cmath>

using namespace gossiplab::checkers;
using namespace gossiplab::checkers::test;

TEST_CASE("bound arithmetic follows the usual precedence") {
    Vars v{{"a", 2.0}, {"b", 3.0}};
    CHECK(eval_bound("1 + 2 * 3", v) == 7);
    CHECK(eval_bound("(1 + 2) * 3", v) == 9);
    CHECK(eval_bound("2 ^ 3 ^ 2", v) == 512);
    CHECK(eval_bound("-a + b", v) == 1);
    CHECK(eval_bound("a - b - 1", v) == -2);
    CHECK(eval_bound("12 / a / b", v) == 2);
    CHECK(eval_bound("1.5e1", v) == 15);
    CHECK(eval_bound("log(e1) ", Vars{{"e1", std::exp(1.0)}}) == Approx(1));
    CHECK(eval_bound("ln(1) + log10(1000) + log2(8)", v) == Approx(6));
    CHECK(eval_bound("ceil(2.1) + floor(2.9) + sqrt(16) + abs(-1)", v) == 10);
    CHECK(eval_bound("min(a, b, 1) + max(a, b)", v) == 4);
}

TEST_CASE("profile variables use the contract's formulas") {
    Vars v = profile_vars(lan_profile(), 250);
    CHECK(*v["N"] == 250);
    CHECK(*v["suspicion_min"] == Approx(4 * std::log10(250.0) * 1.0));
    CHECK(*v["suspicion_max"] == Approx(6 * 4 * std::log10(250.0)));
    CHECK(*v["retransmits"] == 12);   // 4 * ceil(log10(251))
    CHECK(*v["gossip_rounds"] == 6);  // ceil(log(250)/log(3))
    Vars small = profile_vars(lan_profile(), 3);
    CHECK(*small["suspicion_min"] == Approx(4));  // log10(max(N, 10))
    CHECK(eval_bound("ceil(log(N)/log(fanout)) * gossip_interval * 2", v) == Approx(2.4));
    CHECK(eval_bound("3 * probe_interval + suspicion_min", small) == Approx(7));
}

TEST_CASE("bound errors name the expression, the position and what was expected") {
    Vars v = profile_vars(json{{"probe_interval", 1.0}, {"push_pull_interval", nullptr}}, 5);
    auto msg = [&](const std::string& e) {
        try {
            eval_bound(e, v);
        } catch (const BoundError& err) {
            return std::string(err.what());
        }
        return std::string("no error");
    };
    CHECK(msg("3 *") ==
          "bound '3 *': at 4: expected a number, a variable or '(' but the expression ended");
    CHECK(msg("2 * prob_interval")
              .find("bound '2 * prob_interval': at 5: unknown variable 'prob_interval' "
                    "(expected a timing-profile knob") == 0);
    CHECK(msg("push_pull_interval + 1").find("null in this timing profile") != std::string::npos);
    CHECK(msg("(1 + 2") == "bound '(1 + 2': at 7: expected ')'");
    CHECK(msg("1 2") == "bound '1 2': at 3: expected an operator or the end of the expression");
    CHECK(msg("foo(1)").find("unknown function 'foo'") != std::string::npos);
    CHECK(msg("1 / (probe_interval - 1)").find("division by zero") != std::string::npos);
    CHECK(msg("log(0)").find("not a finite number") != std::string::npos);
    CHECK(msg("min(1)").find("two or more") != std::string::npos);
    CHECK(msg("1 $ 2").find("at 3") != std::string::npos);
}
