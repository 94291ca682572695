// Loading history.jsonl into the compact typed form; bad lines become problems, not exceptions.
#include <gossiplab/checkers/history.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace gossiplab::checkers {

namespace {

EventType event_type(std::string_view s) {
    if (s == "member") return EventType::member;
    if (s == "counters") return EventType::counters;
    if (s == "rumor") return EventType::rumor;
    if (s == "started") return EventType::started;
    if (s == "refute") return EventType::refute;
    if (s == "view") return EventType::view;
    if (s == "stopping") return EventType::stopping;
    if (s == "error") return EventType::error;
    return EventType::other;
}

ActionType action_type(std::string_view s) {
    static const std::unordered_map<std::string_view, ActionType> m{
        {"run_start", ActionType::run_start},
        {"node_start", ActionType::node_start},
        {"node_exit", ActionType::node_exit},
        {"node_error", ActionType::node_error},
        {"kill", ActionType::kill},
        {"pause", ActionType::pause},
        {"resume", ActionType::resume},
        {"starve_start", ActionType::starve_start},
        {"starve_stop", ActionType::starve_stop},
        {"leave", ActionType::leave},
        {"restart", ActionType::restart},
        {"partition", ActionType::partition},
        {"heal", ActionType::heal},
        {"shape", ActionType::shape},
        {"clear", ActionType::clear},
        {"broadcast", ActionType::broadcast},
        {"run_end", ActionType::run_end},
    };
    auto it = m.find(s);
    return it == m.end() ? ActionType::other : it->second;
}

MemberState member_state(std::string_view s) {
    if (s == "alive") return MemberState::alive;
    if (s == "suspect") return MemberState::suspect;
    if (s == "dead") return MemberState::dead;
    if (s == "left") return MemberState::left;
    return MemberState::none;
}

bool needs_node(ActionType a) {
    switch (a) {
        case ActionType::node_start:
        case ActionType::node_exit:
        case ActionType::node_error:
        case ActionType::kill:
        case ActionType::pause:
        case ActionType::resume:
        case ActionType::starve_start:
        case ActionType::starve_stop:
        case ActionType::leave:
        case ActionType::restart:
        case ActionType::broadcast:
            return true;
        default:
            return false;
    }
}

const std::string* str_field(const json& o, const char* key) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) return nullptr;
    return it->get_ptr<const std::string*>();
}

double num_field(const json& o, const char* key, double dflt) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_number()) return dflt;
    return it->get<double>();
}

void problem(History& h, uint32_t line, uint32_t node, double t, std::string what) {
    h.problems.push_back(Problem{line, node, t, std::move(what)});
}

void add_event(History& h, const json& j, double t, uint32_t line) {
    const std::string* node = str_field(j, "node");
    auto ev = j.find("event");
    if (!node) {
        problem(h, line, kNone, t, "event line without a string \"node\"");
        return;
    }
    uint32_t n = h.intern(*node);
    if (ev == j.end() || !ev->is_object()) {
        problem(h, line, n, t, "event line without an \"event\" object");
        return;
    }
    const json& e = *ev;
    Event out;
    out.t = t;
    out.line = line;
    out.node = n;
    out.ts = num_field(e, "ts", std::numeric_limits<double>::quiet_NaN());
    const std::string* type = str_field(e, "type");
    if (!type) {
        problem(h, line, n, t, "event without a string \"type\"");
        return;
    }
    out.type = event_type(*type);
    auto inc = e.find("incarnation");
    if (inc != e.end() && inc->is_number_integer()) out.incarnation = inc->get<int64_t>();
    switch (out.type) {
        case EventType::member: {
            const std::string* m = str_field(e, "member");
            const std::string* st = str_field(e, "state");
            if (!m || !st) {
                problem(h, line, n, t, "member event needs string \"member\" and \"state\"");
                return;
            }
            out.state = member_state(*st);
            if (out.state == MemberState::none) {
                problem(h, line, n, t,
                        "member event with state \"" + *st +
                            "\" (expected alive, suspect, dead or left)");
                return;
            }
            out.subject = h.intern(*m);
            break;
        }
        case EventType::rumor: {
            const std::string* r = str_field(e, "rumor");
            if (!r) {
                problem(h, line, n, t, "rumor event without a string \"rumor\"");
                return;
            }
            out.subject = h.intern_rumor(*r);
            if (const std::string* o = str_field(e, "origin")) out.aux = h.intern(*o);
            break;
        }
        case EventType::counters: {
            CountersSample c;
            c.pkts_sent = num_field(e, "pkts_sent", 0);
            c.pkts_recv = num_field(e, "pkts_recv", 0);
            c.bytes_sent = num_field(e, "bytes_sent", 0);
            c.bytes_recv = num_field(e, "bytes_recv", 0);
            out.aux = uint32_t(h.counters.size());
            h.counters.push_back(c);
            break;
        }
        case EventType::started: {
            if (const std::string* id = str_field(e, "id")) out.subject = h.intern(*id);
            break;
        }
        case EventType::other:
            problem(h, line, n, t, "event of unknown type \"" + *type + "\"");
            break;
        default:
            break;
    }
    h.events.push_back(out);
}

void add_action(History& h, json&& j, double t, uint32_t line) {
    const std::string* name = str_field(j, "action");
    if (!name) {
        problem(h, line, kNone, t, "action line without a string \"action\"");
        return;
    }
    Action a;
    a.t = t;
    a.line = line;
    a.type = action_type(*name);
    // The controller also records its own failures ("error") and an interrupt; they are
    // known but judged by no checker.
    if (a.type == ActionType::other && *name != "error" && *name != "interrupted") {
        problem(h, line, kNone, t, "unknown action \"" + *name + "\"");
        return;
    }
    if (const std::string* node = str_field(j, "node")) {
        a.node = h.intern(*node);
    } else if (needs_node(a.type)) {
        problem(h, line, kNone, t, "action \"" + *name + "\" without a string \"node\"");
        return;
    }
    if (a.type == ActionType::run_start) {
        if (!h.run_start.is_null()) problem(h, line, kNone, t, "a second run_start");
        auto nodes = j.find("nodes");
        if (nodes != j.end() && nodes->is_array()) {
            for (const auto& id : *nodes)
                if (id.is_string()) h.declared.push_back(h.intern(id.get<std::string>()));
        } else {
            problem(h, line, kNone, t, "run_start without a \"nodes\" array of ids");
        }
        h.run_start = j;
    }
    if (a.type == ActionType::partition) {
        auto g = j.find("grudge");
        if (g == j.end() || !g->is_object()) {
            problem(h, line, kNone, t, "partition without a \"grudge\" object");
            return;
        }
        for (const auto& [k, v] : g->items()) {
            if (!v.is_array()) {
                problem(h, line, kNone, t, "partition grudge[\"" + k + "\"] is not an array");
                return;
            }
            for (const auto& x : v)
                if (!x.is_string()) {
                    problem(h, line, kNone, t,
                            "partition grudge[\"" + k + "\"] holds a non-string");
                    return;
                }
        }
    }
    if (a.type == ActionType::broadcast && !str_field(j, "rumor")) {
        problem(h, line, a.node, t, "broadcast without a string \"rumor\"");
        return;
    }
    a.body = std::move(j);
    h.actions.push_back(std::move(a));
}

}  // namespace

const char* to_string(MemberState s) {
    switch (s) {
        case MemberState::alive:
            return "alive";
        case MemberState::suspect:
            return "suspect";
        case MemberState::dead:
            return "dead";
        case MemberState::left:
            return "left";
        default:
            return "absent";
    }
}

uint32_t History::find(std::string_view id) const {
    auto it = index_.find(std::string(id));
    return it == index_.end() ? kNone : it->second;
}

uint32_t History::find_rumor(std::string_view id) const {
    auto it = rumor_index_.find(std::string(id));
    return it == rumor_index_.end() ? kNone : it->second;
}

uint32_t History::intern(std::string_view id) {
    auto [it, added] = index_.try_emplace(std::string(id), uint32_t(ids.size()));
    if (added) ids.emplace_back(id);
    return it->second;
}

uint32_t History::intern_rumor(std::string_view id) {
    auto [it, added] = rumor_index_.try_emplace(std::string(id), uint32_t(rumor_ids.size()));
    if (added) rumor_ids.emplace_back(id);
    return it->second;
}

void History::finish() {
    const size_t n = ids.size();
    by_pair.assign(n * n, {});
    by_node.assign(n, {});
    by_rumor.assign(rumor_ids.size(), {});
    for (uint32_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        by_node[e.node].push_back(i);
        if (e.type == EventType::member) by_pair[pair_index(e.node, e.subject)].push_back(i);
        if (e.type == EventType::rumor) by_rumor[e.subject].push_back(i);
    }
}

void add_line(History& h, std::string_view text, uint32_t line) {
    h.lines = std::max(h.lines, line);
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) {
        problem(h, line, kNone, h.last_t, "empty line (expected one JSON object)");
        return;
    }
    json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        problem(h, line, kNone, h.last_t, "not a JSON object");
        return;
    }
    auto t_it = j.find("t");
    if (t_it == j.end() || !t_it->is_number()) {
        problem(h, line, kNone, h.last_t, "missing number \"t\"");
        return;
    }
    double t = t_it->get<double>();
    if (!std::isfinite(t)) {
        problem(h, line, kNone, h.last_t, "\"t\" is not finite");
        return;
    }
    if (h.any_t && t < h.last_t) {
        std::ostringstream os;
        os << "\"t\" went backwards (" << t << " after " << h.last_t << ")";
        problem(h, line, kNone, t, os.str());
    }
    h.last_t = h.any_t ? std::max(h.last_t, t) : t;
    h.any_t = true;
    const std::string* kind = str_field(j, "kind");
    if (!kind) {
        problem(h, line, kNone, t, "missing string \"kind\" (event, action or malformed)");
    } else if (*kind == "event") {
        add_event(h, j, t, line);
    } else if (*kind == "action") {
        add_action(h, std::move(j), t, line);
    } else if (*kind == "malformed") {
        const std::string* node = str_field(j, "node");
        const std::string* why = str_field(j, "why");
        problem(h, line, node ? h.intern(*node) : kNone, t,
                "node printed a malformed line" + (why ? ": " + *why : std::string()));
    } else {
        problem(h, line, kNone, t,
                "unknown kind \"" + *kind + "\" (expected event, action or malformed)");
    }
}

History parse_history(std::string_view text, std::string name) {
    History h;
    h.file = std::move(name);
    uint32_t line = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        add_line(h, text.substr(pos, end - pos), ++line);
        pos = end + 1;
    }
    h.finish();
    return h;
}

History load_history(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw HistoryError(file.string() + ":0: cannot open (expected a readable history.jsonl)");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw HistoryError(file.string() + ":0: read error");
    return parse_history(text, file.filename().string());
}

}  // namespace gossiplab::checkers
