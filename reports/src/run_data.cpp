// Extracts lanes, faults and rumor deliveries from history.jsonl, and log lines from nodes/.
#include "run_data.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <unordered_map>

#include "gossiplab/reports/escape.h"
#include "internal.h"

namespace gossiplab::reports::detail {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Rounds to 0.1 ms: enough for a chart, and keeps the embedded JSON short.
double r4(double v) {
    return std::round(v * 1e4) / 1e4;
}

std::string str_of(const json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) return {};
    const json& v = j[key];
    if (v.is_string()) return sanitize_utf8(v.get_ref<const std::string&>());
    if (v.is_null()) return {};
    return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string truncate(std::string s, size_t n) {
    if (s.size() <= n) return s;
    s.resize(n);
    return sanitize_utf8(s) + "…";
}

// Describes a link shape as "delay 100 ms ±10, loss 5%".
std::string shape_text(const json& shape) {
    if (!shape.is_object()) return "shape";
    std::string s;
    const auto num = [&](const char* k) {
        const json v = shape.value(k, json());
        return v.is_number() ? v.get<double>() : 0.0;
    };
    const auto add = [&](const std::string& part) { s += (s.empty() ? "" : ", ") + part; };
    if (num("delay_ms") > 0) {
        add("delay " + fmt_num(num("delay_ms")) + " ms" +
            (num("jitter_ms") > 0 ? " ±" + fmt_num(num("jitter_ms")) : ""));
    }
    if (num("loss") > 0) add("loss " + fmt_num(num("loss") * 100) + "%");
    if (num("duplicate") > 0) add("duplicate " + fmt_num(num("duplicate") * 100) + "%");
    if (num("reorder") > 0) add("reorder " + fmt_num(num("reorder") * 100) + "%");
    if (num("corrupt") > 0) add("corrupt " + fmt_num(num("corrupt") * 100) + "%");
    if (num("rate_kbit") > 0) add("rate " + fmt_num(num("rate_kbit")) + " kbit/s");
    return s.empty() ? "no impairment" : s;
}

std::string links_text(const json& links) {
    if (links.is_string()) return sanitize_utf8(links.get<std::string>());
    if (!links.is_array()) return "?";
    std::string s;
    for (size_t i = 0; i < links.size() && i < 8; ++i) {
        const auto& l = links[i];
        s += (i ? ", " : "");
        s += l.is_array() && l.size() == 2 ? display(l[0]) + "→" + display(l[1]) : display(l);
    }
    if (links.size() > 8) s += " … (" + std::to_string(links.size()) + " links)";
    return s;
}

}  // namespace

json timeline_data(const fs::path& history, std::vector<std::string>& notes) {
    json out = {{"nodes", json::array()},
                {"m", json::array()},
                {"down", json::array()},
                {"faults", json::array()},
                {"broadcasts", json::array()},
                {"rumors", json::array()},
                {"subjects", json::array()},
                {"t_end", 0},
                {"lines", 0},
                {"events", 0}};
    std::ifstream in(history, std::ios::binary);
    if (!in) {
        notes.push_back(history.string() +
                        ": missing or unreadable; the timeline and "
                        "dissemination chart are empty");
        return out;
    }
    std::vector<std::string> nodes;
    std::unordered_map<std::string, int> index;
    const auto node_idx = [&](const std::string& id) {
        auto it = index.find(id);
        if (it != index.end()) return it->second;
        const int i = static_cast<int>(nodes.size());
        nodes.push_back(id);
        index.emplace(id, i);
        return i;
    };

    json& m = out["m"];
    json& faults = out["faults"];
    json& broadcasts = out["broadcasts"];
    std::vector<double> down_since;  // per node: time it went down, NaN while up
    std::vector<double> paused_since;
    std::vector<std::pair<int, std::array<double, 2>>> down, paused;
    std::vector<json> open_partitions, open_shapes;
    std::map<int, json> open_pause, open_kill, open_starve;
    std::set<int> subjects;
    std::set<int> live;
    // rumor id -> (broadcast time, origin, live nodes then) and first delivery per node.
    struct Rumor {
        double t0 = NAN;
        int origin = -1;
        int live = 0;
        std::map<int, double> first;
        size_t order = 0;
    };
    std::map<std::string, Rumor> rumors;
    size_t rumor_order = 0;

    const auto ensure = [&](int i) {
        if (static_cast<size_t>(i) >= down_since.size()) {
            down_since.resize(i + 1, 0.0);  // not running until its node_start
            paused_since.resize(i + 1, NAN);
        }
    };
    const auto go_down = [&](int i, double t) {
        ensure(i);
        live.erase(i);
        if (std::isnan(down_since[i])) down_since[i] = t;
        if (!std::isnan(paused_since[i])) {
            paused.push_back({i, {paused_since[i], t}});
            paused_since[i] = NAN;
        }
    };

    std::string line;
    size_t lineno = 0, bad = 0, first_bad = 0, events = 0;
    double t = 0, t_end = 0;
    bool ended = false;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty()) continue;
        json j;
        try {
            j = json::parse(line);
        } catch (const json::exception&) {
            if (bad++ == 0) first_bad = lineno;
            continue;
        }
        if (!j.is_object() || !j.value("t", json()).is_number()) {
            if (bad++ == 0) first_bad = lineno;
            continue;
        }
        t = j["t"].get<double>();
        if (!ended) t_end = std::max(t_end, t);
        const std::string kind = str_of(j, "kind");
        if (kind == "event") {
            ++events;
            const json& ev = j.value("event", json());
            const std::string type = str_of(ev, "type");
            const std::string who = str_of(j, "node");
            if (who.empty()) continue;  // not attributable to a lane
            const int obs = node_idx(who);
            if (type == "member") {
                static const std::map<std::string, int> kState = {
                    {"alive", 1}, {"suspect", 2}, {"dead", 3}, {"left", 4}};
                auto st = kState.find(str_of(ev, "state"));
                if (st == kState.end() || str_of(ev, "member").empty()) continue;
                m.push_back({r4(t), obs, node_idx(str_of(ev, "member")), st->second});
            } else if (type == "rumor") {
                const std::string id = str_of(ev, "rumor");
                auto [it, fresh] = rumors.try_emplace(id);
                if (fresh) it->second.order = rumor_order++;
                it->second.first.try_emplace(obs, t);
            }
            continue;
        }
        if (kind != "action") continue;
        const std::string action = str_of(j, "action");
        const std::string nid = str_of(j, "node");
        const int n = nid.empty() ? -1 : node_idx(nid);
        if (n >= 0) ensure(n);
        if (action == "run_start") {
            if (j.value("nodes", json()).is_array()) {
                for (const auto& id : j["nodes"]) ensure(node_idx(display(id)));
            }
        } else if (action == "node_start") {
            live.insert(n);
            if (!std::isnan(down_since[n])) {
                down.push_back({n, {down_since[n], t}});
                down_since[n] = NAN;
            }
            if (auto it = open_kill.find(n); it != open_kill.end()) {
                it->second["t1"] = r4(t);
                faults.push_back(it->second);
                open_kill.erase(it);
            }
        } else if (action == "kill" || action == "restart" || action == "node_exit") {
            go_down(n, t);
            if (action == "node_exit") continue;
            subjects.insert(n);
            if (action == "kill" && !open_kill.count(n)) {
                open_kill[n] = {
                    {"kind", "kill"}, {"t0", r4(t)}, {"label", "kill " + nid}, {"nodes", {n}}};
            } else if (action == "restart") {
                faults.push_back({{"kind", "restart"},
                                  {"t0", r4(t)},
                                  {"t1", r4(t)},
                                  {"label", "restart " + nid},
                                  {"nodes", {n}}});
            }
        } else if (action == "pause") {
            subjects.insert(n);
            if (std::isnan(paused_since[n])) paused_since[n] = t;
            open_pause[n] = {
                {"kind", "pause"}, {"t0", r4(t)}, {"label", "pause " + nid}, {"nodes", {n}}};
        } else if (action == "resume") {
            if (!std::isnan(paused_since[n])) {
                paused.push_back({n, {paused_since[n], t}});
                paused_since[n] = NAN;
            }
            if (auto it = open_pause.find(n); it != open_pause.end()) {
                it->second["t1"] = r4(t);
                faults.push_back(it->second);
                open_pause.erase(it);
            }
        } else if (action == "starve_start") {
            subjects.insert(n);
            open_starve[n] = {{"kind", "starve"},
                              {"t0", r4(t)},
                              {"label", "starve " + nid + " (" + str_of(j, "method") + ", share " +
                                            display(j.value("share", json())) + ")"},
                              {"nodes", {n}}};
        } else if (action == "starve_stop") {
            if (auto it = open_starve.find(n); it != open_starve.end()) {
                it->second["t1"] = r4(t);
                faults.push_back(it->second);
                open_starve.erase(it);
            }
        } else if (action == "leave") {
            subjects.insert(n);
            faults.push_back({{"kind", "leave"},
                              {"t0", r4(t)},
                              {"t1", r4(t)},
                              {"label", "leave " + nid},
                              {"nodes", {n}}});
        } else if (action == "node_error") {
            faults.push_back(
                {{"kind", "node_error"},
                 {"t0", r4(t)},
                 {"t1", r4(t)},
                 {"label", truncate("node error " + nid + ": " + str_of(j, "message"), 300)},
                 {"nodes", {n}}});
        } else if (action == "partition") {
            json involved = json::array();
            std::string text;
            const json grudge = j.value("grudge", json::object());
            if (grudge.is_object()) {
                for (const auto& [from, to] : grudge.items()) {
                    involved.push_back(node_idx(from));
                    if (text.size() < 400) {
                        text += (text.empty() ? "" : "; ") + from + " drops " + links_text(to);
                    }
                }
            }
            open_partitions.push_back({{"kind", "partition"},
                                       {"t0", r4(t)},
                                       {"label", truncate("partition: " + text, 500)},
                                       {"nodes", involved}});
        } else if (action == "heal") {
            for (auto& f : open_partitions) {
                f["t1"] = r4(t);
                faults.push_back(f);
            }
            open_partitions.clear();
        } else if (action == "shape") {
            open_shapes.push_back(
                {{"kind", "shape"},
                 {"t0", r4(t)},
                 {"label", truncate("shape " + shape_text(j.value("shape", json())) + " on " +
                                        links_text(j.value("links", json())),
                                    500)},
                 {"links", j.value("links", json())},
                 {"nodes", json::array()}});
        } else if (action == "clear") {
            const json links = j.value("links", json());
            for (auto it = open_shapes.begin(); it != open_shapes.end();) {
                bool hit = links.is_string() || (*it)["links"].is_string();
                if (!hit && links.is_array()) {
                    for (const auto& l : links) {
                        for (const auto& o : (*it)["links"]) hit = hit || l == o;
                    }
                }
                if (hit) {
                    (*it)["t1"] = r4(t);
                    it->erase("links");
                    faults.push_back(*it);
                    it = open_shapes.erase(it);
                } else {
                    ++it;
                }
            }
        } else if (action == "broadcast") {
            const std::string id = str_of(j, "rumor");
            auto [it, fresh] = rumors.try_emplace(id);
            if (fresh) it->second.order = rumor_order++;
            if (std::isnan(it->second.t0)) {
                it->second.t0 = t;
                it->second.origin = n;
                it->second.live = static_cast<int>(live.size());
            }
            broadcasts.push_back({{"t", r4(t)},
                                  {"node", n},
                                  {"rumor", truncate(id, 200)},
                                  {"payload", truncate(str_of(j, "payload"), 200)}});
        } else if (action == "run_end") {
            ended = true;
            t_end = t;
        }
    }
    if (bad > 0) {
        notes.push_back(history.string() + ": " + std::to_string(bad) +
                        " line(s) skipped: not a JSON object with a numeric \"t\" (first at line " +
                        std::to_string(first_bad) + ")");
    }
    // Close what is still open at the end of the run.
    const auto close = [&](json fault) {
        fault["t1"] = r4(t_end);
        fault.erase("links");
        faults.push_back(std::move(fault));
    };
    for (auto& f : open_partitions) close(f);
    for (auto& f : open_shapes) close(f);
    for (auto* open : {&open_pause, &open_kill, &open_starve}) {
        for (auto& [node, f] : *open) close(f);
    }
    for (size_t i = 0; i < down_since.size(); ++i) {
        if (!std::isnan(down_since[i]) && down_since[i] < t_end) {
            down.push_back({static_cast<int>(i), {down_since[i], t_end}});
        }
        if (!std::isnan(paused_since[i]))
            paused.push_back({static_cast<int>(i), {paused_since[i], t_end}});
    }
    for (const auto& [i, span] : down) {
        out["down"].push_back({i, r4(span[0]), r4(span[1]), 0});
    }
    for (const auto& [i, span] : paused) {
        out["down"].push_back({i, r4(span[0]), r4(span[1]), 1});
    }

    std::vector<std::pair<size_t, std::string>> order;
    for (const auto& [id, r] : rumors) order.push_back({r.order, id});
    std::sort(order.begin(), order.end());
    for (const auto& [ord, id] : order) {
        const Rumor& r = rumors[id];
        double t0 = r.t0;
        if (std::isnan(t0)) {  // delivered without a recorded broadcast: start at the first
            t0 = INFINITY;
            for (const auto& [node, td] : r.first) t0 = std::min(t0, td);
        }
        std::vector<double> d;
        for (const auto& [node, td] : r.first) d.push_back(r4(std::max(0.0, td - t0)));
        std::sort(d.begin(), d.end());
        out["rumors"].push_back({{"rumor", truncate(id, 200)},
                                 {"t0", r4(t0)},
                                 {"origin", r.origin},
                                 {"live", r.live > 0 ? r.live : static_cast<int>(nodes.size())},
                                 {"d", d}});
    }
    for (const auto& id : nodes) out["nodes"].push_back(truncate(id, 200));
    for (int s : subjects) out["subjects"].push_back(s);
    out["t_end"] = r4(t_end);
    out["lines"] = lineno;
    out["events"] = events;
    return out;
}

NodeLogs::NodeLogs(fs::path nodes_dir) : dir_(std::move(nodes_dir)) {
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path p = it->path();
        if (p.extension() == ".log") files_[p.stem().string()] = p;
    }
}

std::vector<NodeLogs::Line> NodeLogs::around(const std::string& node, double t, size_t before,
                                             size_t after) {
    auto file = files_.find(node);
    if (file == files_.end()) return {};
    auto [it, fresh] = loaded_.try_emplace(node);
    std::vector<Line>& lines = it->second;
    if (fresh) {
        std::ifstream in(file->second, std::ios::binary);
        std::string raw;
        double last = 0;
        while (std::getline(in, raw)) {
            // Each line starts with the controller time: "12.345 <stderr line>".
            char* end = nullptr;
            const double lt = std::strtod(raw.c_str(), &end);
            const bool timed = end != raw.c_str() && std::isfinite(lt);
            if (timed) last = lt;
            std::string text = timed ? raw.substr(end - raw.c_str()) : raw;
            if (!text.empty() && text[0] == ' ') text.erase(0, 1);
            if (text.size() > 500) text = text.substr(0, 500) + "…";
            lines.push_back({timed ? lt : last, sanitize_utf8(text)});
        }
    }
    const auto pos = std::upper_bound(lines.begin(), lines.end(), t,
                                      [](double v, const Line& l) { return v < l.t; });
    const size_t idx = static_cast<size_t>(pos - lines.begin());
    const size_t from = idx > before ? idx - before : 0;
    const size_t to = std::min(lines.size(), idx + after);
    return {lines.begin() + static_cast<std::ptrdiff_t>(from),
            lines.begin() + static_cast<std::ptrdiff_t>(to)};
}

}  // namespace gossiplab::reports::detail
