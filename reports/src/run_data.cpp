// The report's timeline (lanes, faults, rumor deliveries) drawn from the loaded history and its
// ground truth (gossiplab::history), and log lines from nodes/.
#include "run_data.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>

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

namespace hist = gossiplab::history;
using hist::ActionType;
using hist::EndHow;
using hist::kNone;

// A fault's kind on the page (report.js colours by it): the name of the action that caused it.
const char* kind(ActionType a) {
    return hist::to_string(a);
}

// A node id (or any text from the history) as the page shows it.
std::string shown(const std::string& s) {
    return truncate(sanitize_utf8(s), 200);
}

// Collects the timeline's intervals, each clipped to [0, end]: the chart ends where the truth
// says the run ended (Truth::end_t), so nothing is drawn past it.
class Spans {
  public:
    Spans(const hist::History& history, const hist::Truth& t) : h(history), truth(t) {}

    double end() const { return truth.end_t; }
    const std::string& id(uint32_t node) const { return h.ids[node]; }

    // A fault interval (an instant when from == to); left out when it begins after the end.
    void fault(const char* kind, double from, double to, std::string label, json nodes) {
        if (from > end()) return;
        faults_.push_back({{"kind", kind},
                           {"t0", r4(from)},
                           {"t1", r4(std::min(to, end()))},
                           {"label", std::move(label)},
                           {"nodes", std::move(nodes)}});
    }
    // A lane stripe: the node not running (paused = false) or paused (paused = true).
    void lane(uint32_t node, double from, double to, bool paused) {
        if (from >= end() || to <= from) return;
        (paused ? paused_ : down_)
            .push_back({node, r4(from), r4(std::min(to, end())), paused ? 1 : 0});
    }
    // The faults in time order (ties keep the order they were added in).
    json faults() {
        std::stable_sort(faults_.begin(), faults_.end(), [](const json& a, const json& b) {
            return a["t0"].get<double>() < b["t0"].get<double>();
        });
        return json(faults_);
    }
    // Not-running stripes first, then paused ones (report.js draws them in this order).
    json lanes() const {
        json out = json::array();
        for (const auto* list : {&down_, &paused_})
            for (const json& d : *list) out.push_back(d);
        return out;
    }

    const hist::History& h;
    const hist::Truth& truth;

  private:
    std::vector<json> faults_, down_, paused_;
};

// Where each node was not running: before its first life, between lives, after its last.
void life_lanes(Spans& s) {
    const hist::Truth& truth = s.truth;
    for (uint32_t x = 0; x < truth.n; ++x) {
        double at = 0;
        for (const hist::Life& l : truth.lives[x]) {
            s.lane(x, at, l.start, false);
            at = std::max(at, l.end);
        }
        s.lane(x, at, s.end(), false);
    }
}

// Kills (until the node's next life), restarts and leaves, from how each life ended.
void life_faults(Spans& s) {
    const hist::Truth& truth = s.truth;
    for (uint32_t x = 0; x < truth.n; ++x) {
        const auto& lives = truth.lives[x];
        for (size_t i = 0; i < lives.size(); ++i) {
            const hist::Life& l = lives[i];
            const std::string who = shown(s.id(x));
            if (l.how == EndHow::killed) {
                const double back = i + 1 < lives.size() ? lives[i + 1].start : hist::kForever;
                s.fault(kind(ActionType::kill), l.end, back, "kill " + who, {x});
            } else if (l.how == EndHow::restarted) {
                s.fault(kind(ActionType::restart), l.end, l.end, "restart " + who, {x});
            }
            if (l.leave_t < hist::kForever)
                s.fault(kind(ActionType::leave), l.leave_t, l.leave_t, "leave " + who, {x});
        }
    }
}

// Pauses (as faults and as stripes on the node's lane) and starvation.
void pause_and_starve_faults(Spans& s) {
    const hist::Truth& truth = s.truth;
    for (uint32_t x = 0; x < truth.n; ++x) {
        const std::string who = shown(s.id(x));
        for (const hist::Interval& p : truth.pauses[x]) {
            s.fault(kind(ActionType::pause), p.from, p.to, "pause " + who, {x});
            s.lane(x, p.from, p.to, true);
        }
        for (const hist::Interval& p : truth.starves[x]) {
            const hist::Action* a = s.h.action_at(p.from_line);
            const std::string method = a ? str_of(a->body, "method") : std::string();
            s.fault("starve", p.from, p.to,
                    "starve " + who + " (" + method + ", share " + fmt_num(p.share) + ")", {x});
        }
    }
}

// "a drops b, c; d drops e": a partition action's grudge as the scenario wrote it.
std::string grudge_text(const json& grudge) {
    std::string text;
    if (!grudge.is_object()) return text;
    for (const auto& [from, to] : grudge.items()) {
        if (text.size() >= 400) break;
        text += (text.empty() ? "" : "; ") + sanitize_utf8(from) + " drops " + links_text(to);
    }
    return text;
}

// One fault per partition epoch (a stretch with the same cut; partitions compose until a
// heal), labelled with the grudge of the action that began it.
void partition_faults(Spans& s) {
    const hist::Truth& truth = s.truth;
    for (size_t i = 0; i < truth.epochs.size(); ++i) {
        const hist::Epoch& e = truth.epochs[i];
        const hist::Action* a = s.h.action_at(e.from_line);
        std::string label =
            "partition: " + grudge_text(a ? a->body.value("grudge", json()) : json());
        if (i > 0 && truth.epochs[i - 1].to_line == e.from_line)
            label +=
                " (added to the cut in place since " + fmt_num(truth.epochs[i - 1].from) + " s)";
        json nodes = json::array();
        for (uint32_t x = 0; x < truth.n; ++x)
            if (e.involves(x)) nodes.push_back(x);
        s.fault(kind(ActionType::partition), e.from, e.to, truncate(label, 500), std::move(nodes));
    }
}

void shape_faults(Spans& s) {
    for (const hist::ShapeFault& f : s.truth.shapes)
        s.fault(kind(ActionType::shape), f.from, f.to,
                truncate("shape " + shape_text(f.shape) + " on " + links_text(f.links), 500),
                json::array());
}

// Errors the controller reported about a node (instants).
void node_error_faults(Spans& s) {
    for (const hist::Action& a : s.h.actions) {
        if (a.type != ActionType::node_error || a.node == kNone) continue;
        s.fault(
            kind(ActionType::node_error), a.t, a.t,
            truncate("node error " + shown(s.id(a.node)) + ": " + str_of(a.body, "message"), 300),
            {a.node});
    }
}

// The nodes a scenario faulted (killed, restarted, left, paused or starved), in id order.
json subjects(const hist::Truth& truth) {
    json out = json::array();
    for (uint32_t x = 0; x < truth.n; ++x) {
        bool faulted = !truth.pauses[x].empty() || !truth.starves[x].empty();
        for (const hist::Life& l : truth.lives[x])
            faulted = faulted || l.how == EndHow::killed || l.how == EndHow::restarted ||
                      l.leave_t < hist::kForever;
        if (faulted) out.push_back(x);
    }
    return out;
}

// Member events as [t, observer, member, state] with states 1..4 = alive, suspect, dead, left.
json member_events(const hist::History& h) {
    static_assert(int(hist::MemberState::alive) == 1 && int(hist::MemberState::suspect) == 2 &&
                  int(hist::MemberState::dead) == 3 && int(hist::MemberState::left) == 4);
    json m = json::array();
    for (const hist::Event& e : h.events)
        if (e.type == hist::EventType::member)
            m.push_back({r4(e.t), e.node, e.subject, int(e.state)});
    return m;
}

json broadcasts(const hist::History& h) {
    json out = json::array();
    for (const hist::Action& a : h.actions) {
        if (a.type != ActionType::broadcast) continue;
        out.push_back({{"t", r4(a.t)},
                       {"node", a.node},
                       {"rumor", truncate(str_of(a.body, "rumor"), 200)},
                       {"payload", truncate(str_of(a.body, "payload"), 200)}});
    }
    return out;
}

// Per rumor, in the order rumors first appear (broadcast or delivery): when it was broadcast,
// by whom, how many nodes were live then (Truth::live_count), and each node's first delivery
// after it.
json rumor_curves(const hist::History& h, const hist::Truth& truth) {
    struct Rumor {
        uint32_t first_line = UINT32_MAX;
        double t0 = NAN;
        int64_t origin = -1;
        size_t live = 0;
        uint32_t id = kNone;  // the rumor's interned id, when some node delivered it
    };
    std::map<std::string, Rumor> rumors;
    for (const hist::Action& a : h.actions) {
        if (a.type != ActionType::broadcast) continue;
        Rumor& r = rumors[str_of(a.body, "rumor")];
        if (!std::isnan(r.t0)) continue;
        r.first_line = a.line;
        r.t0 = a.t;
        r.origin = a.node == kNone ? -1 : int64_t(a.node);
        r.live = truth.live_count(a.t);
    }
    for (uint32_t id = 0; id < h.rumor_ids.size(); ++id) {
        Rumor& r = rumors[h.rumor_ids[id]];
        r.id = id;
        if (!h.by_rumor[id].empty())
            r.first_line = std::min(r.first_line, h.events[h.by_rumor[id].front()].line);
    }
    std::vector<std::pair<uint32_t, const std::string*>> order;
    for (const auto& [name, r] : rumors) order.push_back({r.first_line, &name});
    std::sort(order.begin(), order.end());
    json out = json::array();
    for (const auto& [line, name] : order) {
        const Rumor& r = rumors[*name];
        std::map<uint32_t, double> first;  // node -> first delivery
        if (r.id != kNone)
            for (uint32_t i : h.by_rumor[r.id]) first.try_emplace(h.events[i].node, h.events[i].t);
        double t0 = r.t0;
        if (std::isnan(t0)) {  // delivered without a recorded broadcast: start at the first
            t0 = INFINITY;
            for (const auto& [node, td] : first) t0 = std::min(t0, td);
        }
        std::vector<double> d;
        for (const auto& [node, td] : first) d.push_back(r4(std::max(0.0, td - t0)));
        std::sort(d.begin(), d.end());
        out.push_back({{"rumor", truncate(*name, 200)},
                       {"t0", r4(t0)},
                       {"origin", r.origin},
                       {"live", r.live > 0 ? r.live : h.node_count()},
                       {"d", d}});
    }
    return out;
}

// Notes for what the loader and the truth could not take as written.
void problem_notes(const hist::History& h, const hist::Truth& truth,
                   std::vector<std::string>& notes) {
    if (!h.problems.empty()) {
        const hist::Problem& p = h.problems.front();
        notes.push_back(h.file + ": " + std::to_string(h.problems.size()) +
                        " problem(s) in the record; the timeline leaves out what it could not "
                        "read (first at line " +
                        std::to_string(p.line) + ": " + sanitize_utf8(p.what) +
                        "; the history_wellformed check lists them)");
    }
    if (!truth.problems.empty()) {
        const hist::Problem& p = truth.problems.front();
        notes.push_back(h.file + ": " + std::to_string(truth.problems.size()) +
                        " action(s) contradict the ones before them; the timeline draws what the "
                        "ground truth makes of them (first at line " +
                        std::to_string(p.line) + ": " + sanitize_utf8(p.what) + ")");
    }
}

json empty_timeline() {
    return {{"nodes", json::array()},
            {"m", json::array()},
            {"down", json::array()},
            {"faults", json::array()},
            {"broadcasts", json::array()},
            {"rumors", json::array()},
            {"subjects", json::array()},
            {"t_end", 0},
            {"lines", 0},
            {"events", 0}};
}

}  // namespace

json timeline_data(const hist::History& h, const hist::Truth& truth,
                   std::vector<std::string>& notes) {
    json out = empty_timeline();
    problem_notes(h, truth, notes);
    Spans spans(h, truth);
    life_lanes(spans);
    life_faults(spans);
    pause_and_starve_faults(spans);
    partition_faults(spans);
    shape_faults(spans);
    node_error_faults(spans);
    for (const auto& id : h.ids) out["nodes"].push_back(shown(id));
    out["m"] = member_events(h);
    out["down"] = spans.lanes();
    out["faults"] = spans.faults();
    out["broadcasts"] = broadcasts(h);
    out["rumors"] = rumor_curves(h, truth);
    out["subjects"] = subjects(truth);
    out["t_end"] = r4(truth.end_t);
    out["lines"] = h.lines;
    out["events"] = h.events.size();
    return out;
}

json timeline_data(const fs::path& history, std::vector<std::string>& notes) {
    hist::History h;
    try {
        h = hist::load_history(history);
    } catch (const hist::HistoryError&) {
        notes.push_back(history.string() +
                        ": missing or unreadable; the timeline and "
                        "dissemination chart are empty");
        return empty_timeline();
    }
    h.file = history.string();
    const hist::Truth truth(h);
    return timeline_data(h, truth, notes);
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
