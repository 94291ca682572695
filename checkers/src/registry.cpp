// The checker registry: names to functions, exception containment, composition, and
// re-checking a recorded run directory.
#include <gossiplab/checkers/checkers.hpp>

#include "checks.hpp"
#include "timing.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <utility>

namespace gossiplab::checkers {

namespace {

using Fn = CheckResult (*)(const Context&, const json&);

struct Entry {
    std::string name;
    Fn fn;
    std::vector<std::string> options;  // besides "bound" and "max_evidence" (docs/checkers.md)
};

const std::vector<Entry>& registry() {
    static const std::vector<Entry> r{
        {"history_wellformed", &detail::history_wellformed, {"grace"}},
        {"run_health", &detail::run_health, {"starved_limit"}},
        {"membership_convergence",
         &detail::membership_convergence,
         {"bound_join", "bound_crash", "bound_leave", "bound_heal", "leave_accepts_dead",
          "final_views"}},
        {"failure_detection",
         &detail::failure_detection,
         {"accept_left", "partitions", "confirmed_within"}},
        {"accuracy", &detail::accuracy, {"lookback", "max_false_suspicions"}},
        {"suspicion_refutation",
         &detail::suspicion_refutation,
         {"rejoin_bound", "short_below", "long_above"}},
        {"partition_healing", &detail::partition_healing, {}},
        {"dissemination",
         &detail::dissemination,
         {"min_delivery", "max_duplicates", "max_msgs_per_rumor", "min_time_to_all"}},
        {"latency",
         &detail::latency,
         {"median", "p99", "max_msgs_per_rumor", "max_packets_per_rumor"}},
        {"message_load", &detail::message_load, {"max_imbalance", "from"}},
        {"faults_landed", &detail::faults_landed, {"min_packets", "min_held", "sigmas"}},
        {"state_convergence", &detail::state_convergence, {"max_repair_ratio"}},
        {"local_health", &detail::local_health, {"healthy_max", "refute_raises", "isolated_peak", "isolated_for"}},
        {"exercised", &detail::exercised, {}},
        {"input_validation", &detail::input_validation, {"settle"}},
    };
    return r;
}

CheckResult unknown(const std::string& name, const std::string& why) {
    CheckResult r;
    r.check = name;
    r.verdict = Verdict::Unknown;
    r.reason = why;
    return r;
}

json read_json(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw HistoryError(file.string() + ":0: cannot open (expected a JSON object)");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw HistoryError(file.string() + ":0: not a JSON object");
    return j;
}

}  // namespace

bool Context::has(const std::string& feature) const {
    return std::find(features.begin(), features.end(), feature) != features.end();
}

const history::Truth& Context::truth() const {
    std::call_once(lazy_truth->once, [this] { lazy_truth->truth.emplace(history); });
    return *lazy_truth->truth;
}

json CheckResult::to_json() const {
    json j = {{"check", check},       {"verdict", verdict}, {"reason", reason},    {"bound", bound},
              {"measured", measured}, {"metrics", metrics}, {"evidence", evidence}};
    if (!model.is_null()) j["model"] = model;
    if (!not_applicable.empty()) j["not_applicable"] = not_applicable;
    return j;
}

std::vector<std::string> check_names() {
    std::vector<std::string> out;
    for (const auto& e : registry()) out.push_back(e.name);
    return out;
}

CheckResult run_check(const std::string& name, const Context& ctx, const json& options) {
    for (const auto& entry : registry()) {
        if (entry.name != name) continue;
        if (!options.is_null() && !options.is_object())
            return unknown(name, "options must be an object, got " + options.dump());
        if (options.is_object())
            for (const auto& [key, value] : options.items()) {
                std::vector<std::string> known = entry.options;
                for (auto& k : detail::timing_options(name)) known.push_back(std::move(k));
                if (key == "bound" || key == "max_evidence" ||
                    std::find(known.begin(), known.end(), key) != known.end())
                    continue;
                std::string list = "bound, max_evidence";
                for (const auto& k : known) list += ", " + k;
                return unknown(name, "\"" + key + "\" is not an option of " + name +
                                         " (expected one of: " + list + ")");
            }
        try {
            CheckResult r = entry.fn(ctx, options.is_null() ? json::object() : options);
            r.check = name;
            return r;
        } catch (const BoundError& e) {
            return unknown(name, e.what());  // already names the bound and the place
        } catch (const std::exception& e) {
            return unknown(name, std::string("checker error: ") + e.what());
        } catch (...) {
            return unknown(name, "checker error: unknown exception");
        }
    }
    std::string known;
    for (const auto& n : check_names()) known += (known.empty() ? "" : ", ") + n;
    return unknown(name, "no checker named \"" + name + "\" (known: " + known + ")");
}

std::vector<CheckResult> run_checks(const Context& ctx, const json& checks) {
    std::vector<CheckResult> out;
    if (checks.is_null()) {
        for (const auto& n : check_names()) out.push_back(run_check(n, ctx, json::object()));
        return out;
    }
    if (!checks.is_object()) {
        out.push_back(unknown("checks",
                              "scenario \"checks\" must be an object mapping check "
                              "names to options, got " +
                                  checks.dump()));
        return out;
    }
    for (const auto& [name, options] : checks.items()) out.push_back(run_check(name, ctx, options));
    return out;
}

std::vector<Verdict> verdicts_of(const std::vector<CheckResult>& results) {
    std::vector<Verdict> out;
    out.reserve(results.size());
    for (const auto& r : results) out.push_back(r.verdict);
    return out;
}

json starved_environment(std::vector<CheckResult>& results) {
    const CheckResult* health = nullptr;
    for (const auto& r : results)
        if (r.check == "run_health") health = &r;
    if (!health || compose(verdicts_of(results)) != Verdict::Fail) return nullptr;
    const json load = health->metrics.value("load", json::object());
    if (load.value("starved", 0) == 0 || !load.contains("worst") || !load["worst"].is_object())
        return nullptr;
    const json worst = load["worst"];
    const std::string why = "the lab was starved: " + worst.value("what", std::string("?")) + "; " +
                            std::to_string(load.value("starved", 0)) + " of " +
                            std::to_string(load.value("samples", 0)) +
                            " load sample(s) reached the limit";
    std::vector<std::string> relabelled;
    for (auto& r : results) {
        // A malformed history or a misbehaving node is not the machine's doing.
        if (r.verdict != Verdict::Fail || r.check == "run_health" ||
            r.check == "history_wellformed")
            continue;
        r.verdict = Verdict::Unknown;
        r.reason = "environment: " + why + "; the check had failed: " + r.reason;
        r.metrics["environment"] = true;
        relabelled.push_back(r.check);
    }
    if (relabelled.empty()) return nullptr;
    return {{"starved", true}, {"reason", why}, {"worst", worst}, {"checks", relabelled}};
}

json check_run_dir(const std::filesystem::path& run_dir) {
    History h = load_history(run_dir / "history.jsonl");
    json scenario = read_json(run_dir / "scenario.json");
    json impl = read_json(run_dir / "impl.json");
    std::vector<std::string> features;
    if (impl.contains("features")) {
        if (!impl["features"].is_array())
            throw HistoryError((run_dir / "impl.json").string() +
                               ":0: \"features\" must be an array of strings");
        for (const auto& f : impl["features"])
            if (f.is_string()) features.push_back(f.get<std::string>());
    }
    json profile = impl.contains("profile") ? impl["profile"] : json(nullptr);
    Context ctx{h, scenario, profile, features};
    const json checks = scenario.contains("checks") ? scenario["checks"] : json(nullptr);
    std::vector<CheckResult> results = run_checks(ctx, checks);
    // Every run with a network fault proves that it landed, whether or not the scenario
    // asks (a null `checks` already ran every checker).
    if (checks.is_object() && !checks.contains("faults_landed")) {
        CheckResult f = run_check("faults_landed", ctx, json::object());
        if (!(f.verdict == Verdict::Pass && f.metrics.value("observations", 0) == 0))
            results.push_back(std::move(f));
    }
    // A scenario that declares the mechanisms it exercises is judged on them, whether or not
    // its checks name `exercised` (docs/checkers.md, exercised).
    if (checks.is_object() && !checks.contains("exercised") && scenario.contains("exercises"))
        results.push_back(run_check("exercised", ctx, json::object()));
    // And every run proves it was sound (docs/checkers.md, run_health): a run that was not
    // cannot pass, whatever the scenario's checks say.
    if (checks.is_object() && !checks.contains("run_health"))
        results.push_back(run_check("run_health", ctx, json::object()));
    // A failure on a starved machine is the environment's (docs/checkers.md "Starved runs").
    json starved = starved_environment(results);
    json out = {{"checks", json::array()},
                {"verdict", compose(verdicts_of(results))},
                {"starved", starved}};
    for (const auto& r : results) out["checks"].push_back(r.to_json());
    return out;
}

}  // namespace gossiplab::checkers
