// Verdict spelling and composition.
#include <gossiplab/checkers/verdict.hpp>

#include <ostream>

namespace gossiplab::checkers {

std::string to_string(Verdict v) {
    switch (v) {
        case Verdict::Pass:
            return "pass";
        case Verdict::Fail:
            return "fail";
        case Verdict::Unknown:
            return "unknown";
    }
    return "unknown";
}

std::optional<Verdict> verdict_from_string(std::string_view s) {
    if (s == "pass") return Verdict::Pass;
    if (s == "fail") return Verdict::Fail;
    if (s == "unknown") return Verdict::Unknown;
    return std::nullopt;
}

Verdict compose(const std::vector<Verdict>& verdicts) {
    if (verdicts.empty()) return Verdict::Unknown;
    bool unknown_seen = false;
    for (Verdict v : verdicts) {
        if (v == Verdict::Fail) return Verdict::Fail;
        if (v == Verdict::Unknown) unknown_seen = true;
    }
    return unknown_seen ? Verdict::Unknown : Verdict::Pass;
}

Verdict verdict_of(const nlohmann::json& result) {
    if (!result.is_object()) return Verdict::Unknown;
    const auto it = result.find("verdict");
    if (it == result.end() || !it->is_string()) return Verdict::Unknown;
    return verdict_from_string(it->get_ref<const std::string&>()).value_or(Verdict::Unknown);
}

void to_json(nlohmann::json& j, Verdict v) {
    j = to_string(v);
}

std::ostream& operator<<(std::ostream& os, Verdict v) {
    return os << to_string(v);
}

}  // namespace gossiplab::checkers
