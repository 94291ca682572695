// Bound expressions: arithmetic over the timing profile and the cluster size.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace gossiplab::checkers {

// Thrown by eval_bound; the message names the expression, the 1-based position and what was
// expected there, e.g. "bound '3 * ': at 5: expected a number, a variable or '('".
class BoundError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Variable name -> value; std::nullopt marks a knob the implementation does not have (a bound
// that uses it cannot be evaluated).
using Vars = std::map<std::string, std::optional<double>, std::less<>>;

// Evaluates `expr`: numbers, variables, + - * / ^ (right-assoc), unary minus, parentheses and the
// functions log (natural), ln, log10, log2, ceil, floor, sqrt, abs (one argument), min, max (two
// or more). Throws BoundError on a syntax error, an unknown or null variable, or a result that is
// not a finite number.
double eval_bound(const std::string& expr, const Vars& vars);

// The variables for a bound: every knob of `profile` (null knobs are nullopt), N, and the derived
// quantities of docs/node-contract.md §4 (suspicion_min, suspicion_max, retransmits,
// gossip_rounds), computed with exactly the contract's formulas for cluster size `n`.
Vars profile_vars(const nlohmann::json& profile, double n);

}  // namespace gossiplab::checkers
