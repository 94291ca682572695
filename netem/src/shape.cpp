// Link shape validation and its JSON form (the history's "link shape object").
#include "gossiplab/netem/shape.hpp"

#include <cmath>
#include <set>

namespace gossiplab::netem {
namespace {

std::string show(const nlohmann::json& v) {
    std::string s = v.dump();
    return s.size() > 60 ? s.substr(0, 60) + "..." : s;
}

void check_range(const std::string& where, const char* field, double v, double lo, double hi,
                 const char* expected) {
    if (!std::isfinite(v) || v < lo || v > hi) {
        throw LabError(where + "." + field + ": expected " + expected + ", got " +
                       nlohmann::json(v).dump());
    }
}

}  // namespace

void validate(const LinkShape& s, const std::string& where) {
    // Upper bounds keep held packets (delay x rate) within what the engine's queue can hold.
    check_range(where, "delay_ms", s.delay_ms, 0, 60000, "a number of milliseconds in 0..60000");
    check_range(where, "jitter_ms", s.jitter_ms, 0, 60000, "a number of milliseconds in 0..60000");
    if (s.distribution != "normal" && s.distribution != "uniform" && s.distribution != "pareto") {
        throw LabError(where +
                       ".distribution: expected \"normal\", \"uniform\" or \"pareto\", got " +
                       nlohmann::json(s.distribution).dump());
    }
    check_range(where, "loss", s.loss, 0, 1, "a probability in 0..1");
    check_range(where, "loss_correlation", s.loss_correlation, 0, 1, "a number in 0..1");
    check_range(where, "duplicate", s.duplicate, 0, 1, "a probability in 0..1");
    check_range(where, "reorder", s.reorder, 0, 1, "a probability in 0..1");
    check_range(where, "corrupt", s.corrupt, 0, 1, "a probability in 0..1");
    check_range(where, "rate_kbit", s.rate_kbit, 0, 100e6,
                "kbit/s in 0..100000000 (0 = unlimited)");
    if (s.gemodel) {
        const GeModel& g = *s.gemodel;
        check_range(where, "gemodel.p", g.p, 1e-9, 1, "a probability in (0, 1]");
        check_range(where, "gemodel.r", g.r, 1e-9, 1, "a probability in (0, 1]");
        check_range(where, "gemodel.bad_loss", g.bad_loss, 0, 1, "a probability in 0..1");
        check_range(where, "gemodel.good_loss", g.good_loss, 0, 1, "a probability in 0..1");
        if (s.loss > 0 || s.loss_correlation > 0)
            throw LabError(where +
                           ".gemodel: replaces loss and loss_correlation (netem has one loss "
                           "model per link), got loss " +
                           nlohmann::json(s.loss).dump());
    }
    // netem's rule: reordering means "some packets skip the delay", so without delay it is void.
    if (s.reorder > 0 && s.delay_ms <= 0) {
        throw LabError(where +
                       ".reorder: needs delay_ms > 0 (reordered packets are the ones sent "
                       "without the delay), got delay_ms 0");
    }
}

LinkShape shape_from_json(const nlohmann::json& j, const std::string& where) {
    if (!j.is_object()) throw LabError(where + ": expected a link shape object, got " + show(j));
    static const std::set<std::string> known = {"delay_ms", "jitter_ms",        "distribution",
                                                "loss",     "loss_correlation", "duplicate",
                                                "reorder",  "corrupt",          "rate_kbit",
                                                "gemodel"};
    for (const auto& [k, v] : j.items()) {
        if (!known.count(k)) {
            throw LabError(where + ": unknown field \"" + k +
                           "\" (expected delay_ms, jitter_ms, distribution, loss, "
                           "loss_correlation, duplicate, reorder, corrupt, rate_kbit, gemodel)");
        }
    }
    LinkShape s;
    auto num = [&](const char* field, double& out) {
        if (!j.contains(field)) return;
        const auto& v = j.at(field);
        if (!v.is_number()) {
            throw LabError(where + "." + field + ": expected a number, got " + show(v));
        }
        out = v.get<double>();
    };
    num("delay_ms", s.delay_ms);
    num("jitter_ms", s.jitter_ms);
    if (j.contains("distribution")) {
        const auto& v = j.at("distribution");
        if (!v.is_string()) {
            throw LabError(where +
                           ".distribution: expected \"normal\", \"uniform\" or "
                           "\"pareto\", got " +
                           show(v));
        }
        s.distribution = v.get<std::string>();
    }
    num("loss", s.loss);
    num("loss_correlation", s.loss_correlation);
    num("duplicate", s.duplicate);
    num("reorder", s.reorder);
    num("corrupt", s.corrupt);
    num("rate_kbit", s.rate_kbit);
    if (j.contains("gemodel")) {
        const auto& g = j.at("gemodel");
        const std::string w = where + ".gemodel";
        if (!g.is_object())
            throw LabError(w + ": expected an object {\"p\", \"r\", \"bad_loss\", \"good_loss\"}, got " +
                           show(g));
        GeModel m;
        bool has_r = false;
        for (const auto& [k, v] : g.items()) {
            double* out = k == "p" ? &m.p : k == "r" ? &m.r : k == "bad_loss" ? &m.bad_loss
                          : k == "good_loss" ? &m.good_loss : nullptr;
            if (!out)
                throw LabError(w + ": unknown field \"" + k +
                               "\" (expected p, r, bad_loss, good_loss)");
            if (!v.is_number()) throw LabError(w + "." + k + ": expected a number, got " + show(v));
            *out = v.get<double>();
            has_r |= k == "r";
        }
        if (!g.contains("p")) throw LabError(w + ".p: missing (the good -> bad probability)");
        if (!has_r) m.r = 1 - m.p;  // netem's default
        s.gemodel = m;
    }
    validate(s, where);
    return s;
}

nlohmann::json to_json(const LinkShape& s) {
    nlohmann::json j = {{"delay_ms", s.delay_ms},
            {"jitter_ms", s.jitter_ms},
            {"distribution", s.distribution},
            {"loss", s.loss},
            {"loss_correlation", s.loss_correlation},
            {"duplicate", s.duplicate},
            {"reorder", s.reorder},
            {"corrupt", s.corrupt},
            {"rate_kbit", s.rate_kbit}};
    if (s.gemodel)
        j["gemodel"] = {{"p", s.gemodel->p},
                        {"r", s.gemodel->r},
                        {"bad_loss", s.gemodel->bad_loss},
                        {"good_loss", s.gemodel->good_loss}};
    return j;
}

}  // namespace gossiplab::netem
