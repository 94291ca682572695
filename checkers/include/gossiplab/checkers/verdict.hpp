// A check's verdict and the one rule that composes verdicts.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gossiplab::checkers {

enum class Verdict { Pass, Fail, Unknown };

// "pass", "fail", "unknown": the spelling in report.json, junit.xml and the history.
std::string to_string(Verdict v);
// The inverse of to_string; nullopt for any other text (the caller decides what that means).
std::optional<Verdict> verdict_from_string(std::string_view s);

// The composed verdict: Fail if any failed, else Unknown if any is unknown, else Pass.
// An empty list is Unknown: nothing was checked (docs/checkers.md).
Verdict compose(const std::vector<Verdict>& verdicts);

// A check-result object's (or report's) "verdict"; missing, not a string or not one of the
// three spellings: Unknown.
Verdict verdict_of(const nlohmann::json& result);

// JSON writes a verdict as its string; there is deliberately no from_json: reading one
// from a file goes through verdict_from_string, so the reader says what a bad one means.
void to_json(nlohmann::json& j, Verdict v);
std::ostream& operator<<(std::ostream& os, Verdict v);  // for test failure messages

}  // namespace gossiplab::checkers
