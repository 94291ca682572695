// Loading history.jsonl into the compact typed form; bad lines become problems, not exceptions.
#include <gossiplab/history/history.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <utility>

namespace gossiplab::history {

namespace {

// The names of the record: one table each, in enum order (checked at compile time).
constexpr std::pair<EventType, const char*> kEventNames[] = {
    {EventType::started, "started"},   {EventType::member, "member"},
    {EventType::refute, "refute"},     {EventType::rumor, "rumor"},
    {EventType::counters, "counters"}, {EventType::view, "view"},
    {EventType::stopping, "stopping"}, {EventType::error, "error"},
    {EventType::state, "state"},       {EventType::state_digest, "state_digest"},
};

constexpr std::pair<ActionType, const char*> kActionNames[] = {
    {ActionType::run_start, "run_start"},
    {ActionType::node_start, "node_start"},
    {ActionType::node_exit, "node_exit"},
    {ActionType::node_error, "node_error"},
    {ActionType::kill, "kill"},
    {ActionType::pause, "pause"},
    {ActionType::resume, "resume"},
    {ActionType::starve_start, "starve_start"},
    {ActionType::starve_stop, "starve_stop"},
    {ActionType::leave, "leave"},
    {ActionType::restart, "restart"},
    {ActionType::partition, "partition"},
    {ActionType::heal, "heal"},
    {ActionType::shape, "shape"},
    {ActionType::clear, "clear"},
    {ActionType::clog, "clog"},
    {ActionType::unclog, "unclog"},
    {ActionType::inject, "inject"},
    {ActionType::broadcast, "broadcast"},
    {ActionType::set, "set"},
    {ActionType::del, "delete"},
    {ActionType::observe, "observe"},
    {ActionType::load, "load"},
    {ActionType::run_end, "run_end"},
    {ActionType::error, "error"},
    {ActionType::interrupted, "interrupted"},
};

constexpr std::pair<MemberState, const char*> kStateNames[] = {
    {MemberState::alive, "alive"},
    {MemberState::suspect, "suspect"},
    {MemberState::dead, "dead"},
    {MemberState::left, "left"},
};

template <class E, size_t N>
constexpr bool in_enum_order(const std::pair<E, const char*> (&table)[N], size_t first) {
    for (size_t i = 0; i < N; ++i)
        if (size_t(table[i].first) != first + i) return false;
    return true;
}
static_assert(in_enum_order(kEventNames, 0) && std::size(kEventNames) == size_t(EventType::other));
static_assert(in_enum_order(kActionNames, 0) &&
              std::size(kActionNames) == size_t(ActionType::other));
static_assert(in_enum_order(kStateNames, 1));

template <class E, size_t N>
E lookup(const std::pair<E, const char*> (&table)[N], std::string_view s, E none) {
    for (const auto& [e, name] : table)
        if (s == name) return e;
    return none;
}

}  // namespace

const char* to_string(LineKind k) {
    switch (k) {
        case LineKind::event:
            return "event";
        case LineKind::action:
            return "action";
        case LineKind::malformed:
            return "malformed";
    }
    return "?";
}

const char* to_string(EventType t) {
    return t < EventType::other ? kEventNames[size_t(t)].second : "other";
}

EventType event_type(std::string_view s) {
    return lookup(kEventNames, s, EventType::other);
}

const char* to_string(ActionType a) {
    return a < ActionType::other ? kActionNames[size_t(a)].second : "other";
}

ActionType action_type(std::string_view s) {
    return lookup(kActionNames, s, ActionType::other);
}

MemberState member_state(std::string_view s) {
    return lookup(kStateNames, s, MemberState::none);
}

const char* to_string(MemberState s) {
    return s == MemberState::none ? "absent" : kStateNames[size_t(s) - 1].second;
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
        case ActionType::clog:
        case ActionType::unclog:
        case ActionType::inject:
        case ActionType::broadcast:
        case ActionType::set:
        case ActionType::del:
            return true;
        default:
            return false;
    }
}

namespace {

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

// The fields of an event line that the checkers use; `has` only when the value is a string.
struct Str {
    bool has = false;
    std::string_view v;
};

struct EventFields {
    Str node;
    bool has_event = false;
    double ts = std::numeric_limits<double>::quiet_NaN();
    Str type, member, state, rumor, origin, id;
    int64_t incarnation = -1;
    CountersSample counters;
    // The whole event object, on the general path only: the fast scanner hands state events
    // (and counters with sync fields) to the general path, so both judge them alike.
    const json* body = nullptr;
};

// A state event's record from its body (null: no fields at all); "" when sound, else what is
// wrong with it.
std::string state_record(History& h, const json* b, StateRecord& out) {
    auto str = [&](const char* k) -> const std::string* {
        if (b == nullptr) return nullptr;
        auto it = b->find(k);
        return it != b->end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
    };
    const std::string* owner = str("owner");
    const std::string* key = str("key");
    if (!owner || !key) return "state event needs string \"owner\" and \"key\"";
    auto v = b->find("version");
    if (v == b->end() ||
        !(v->is_number_unsigned() || (v->is_number_integer() && v->get<int64_t>() >= 0)))
        return "state event needs an integer \"version\" >= 0";
    const std::string* digest = str("digest");
    if (!digest) return "state event needs a string \"digest\" (the value's digest)";
    auto d = b->find("deleted");
    if (d != b->end() && !d->is_boolean()) return "state event's \"deleted\" must be true or false";
    out.owner = h.intern(*owner);
    out.key = *key;
    out.version = v->get<uint64_t>();
    out.digest = *digest;
    out.deleted = d != b->end() && d->get<bool>();
    return "";
}

// Both parsers (the fast scanner and the general JSON path) end here, so they judge alike.
void add_event(History& h, const EventFields& f, double t, uint32_t line) {
    if (!f.node.has) {
        problem(h, line, kNone, t, "event line without a string \"node\"");
        return;
    }
    uint32_t n = h.intern(f.node.v);
    if (!f.has_event) {
        problem(h, line, n, t, "event line without an \"event\" object");
        return;
    }
    Event out;
    out.t = t;
    out.line = line;
    out.node = n;
    out.ts = f.ts;
    if (!f.type.has) {
        problem(h, line, n, t, "event without a string \"type\"");
        return;
    }
    out.type = event_type(f.type.v);
    out.incarnation = f.incarnation;
    switch (out.type) {
        case EventType::member: {
            if (!f.member.has || !f.state.has) {
                problem(h, line, n, t, "member event needs string \"member\" and \"state\"");
                return;
            }
            out.state = member_state(f.state.v);
            if (out.state == MemberState::none) {
                problem(h, line, n, t,
                        "member event with state \"" + std::string(f.state.v) +
                            "\" (expected alive, suspect, dead or left)");
                return;
            }
            out.subject = h.intern(f.member.v);
            break;
        }
        case EventType::rumor: {
            if (!f.rumor.has) {
                problem(h, line, n, t, "rumor event without a string \"rumor\"");
                return;
            }
            out.subject = h.intern_rumor(f.rumor.v);
            if (f.origin.has) out.aux = h.intern(f.origin.v);
            break;
        }
        case EventType::counters:
            out.aux = uint32_t(h.counters.size());
            h.counters.push_back(f.counters);
            break;
        case EventType::started:
            if (f.id.has) out.subject = h.intern(f.id.v);
            break;
        case EventType::state: {
            StateRecord rec;
            std::string bad = state_record(h, f.body, rec);
            if (!bad.empty()) {
                problem(h, line, n, t, bad);
                return;
            }
            out.subject = rec.owner;
            out.aux = uint32_t(h.states.size());
            h.states.push_back(std::move(rec));
            break;
        }
        case EventType::error: {
            // The message (contract: a refusal says why, and what it refuses); "" without one.
            std::string message;
            if (f.body) {
                auto m = f.body->find("message");
                if (m != f.body->end() && m->is_string()) message = m->get<std::string>();
            }
            out.aux = uint32_t(h.errors.size());
            h.errors.push_back(std::move(message));
            break;
        }
        case EventType::state_digest: {
            bool owners = false;
            if (f.body) {
                auto o = f.body->find("owners");
                owners = o != f.body->end() && o->is_array();
            }
            if (!owners) {
                problem(h, line, n, t, "state_digest event without an \"owners\" array");
                return;
            }
            break;
        }
        case EventType::other:
            problem(h, line, n, t, "event of unknown type \"" + std::string(f.type.v) + "\"");
            break;
        default:
            break;
    }
    h.events.push_back(out);
}

Str str_of(const json& o, const char* key) {
    const std::string* s = str_field(o, key);
    return s ? Str{true, *s} : Str{};
}

void add_event(History& h, const json& j, double t, uint32_t line) {
    EventFields f;
    f.node = str_of(j, "node");
    auto ev = j.find("event");
    f.has_event = ev != j.end() && ev->is_object();
    if (f.has_event) {
        const json& e = *ev;
        f.ts = num_field(e, "ts", std::numeric_limits<double>::quiet_NaN());
        f.type = str_of(e, "type");
        f.member = str_of(e, "member");
        f.state = str_of(e, "state");
        f.rumor = str_of(e, "rumor");
        f.origin = str_of(e, "origin");
        f.id = str_of(e, "id");
        auto inc = e.find("incarnation");
        if (inc != e.end() && inc->is_number_integer()) f.incarnation = inc->get<int64_t>();
        f.counters.pkts_sent = num_field(e, "pkts_sent", 0);
        f.counters.pkts_recv = num_field(e, "pkts_recv", 0);
        f.counters.bytes_sent = num_field(e, "bytes_sent", 0);
        f.counters.bytes_recv = num_field(e, "bytes_recv", 0);
        f.counters.sync_hashes = num_field(e, "sync_hashes", 0);
        f.counters.sync_entries_sent = num_field(e, "sync_entries_sent", 0);
        f.counters.has_sync_entries = e.contains("sync_entries_sent");
        f.counters.sync_bytes_sent = num_field(e, "sync_bytes_sent", 0);
        f.counters.detector_pkts_sent = num_field(e, "detector_pkts_sent", 0);
        f.counters.detector_bytes_sent = num_field(e, "detector_bytes_sent", 0);
        f.counters.has_detector = e.contains("detector_bytes_sent");
        f.counters.awareness = num_field(e, "awareness", -1);
        f.counters.awareness_peak = num_field(e, "awareness_peak", -1);
        f.counters.bad_pkts = num_field(e, "bad_pkts", -1);
        f.body = &e;
    }
    add_event(h, f, t, line);
}

// A scanner for the common case: a flat `kind: "event"` line without escapes, non-ASCII bytes
// or repeated keys. It gives up (returns false) on anything else, and the general JSON path
// takes the line instead, so that both judge every line alike (bench/fuzz/fuzz_history.cpp
// checks it): nlohmann::json rejects invalid UTF-8 and keeps the last of repeated keys.
class Scanner {
  public:
    explicit Scanner(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

    bool event_line(double& t, EventFields& f) {
        bool has_t = false, is_event = false;
        if (!object([&](std::string_view key) {
                if (key == "t") return !has_t && (has_t = number(t));
                if (key == "kind") {
                    if (!once(kKind)) return false;
                    Str k;
                    if (!string(k)) return false;
                    is_event = k.v == to_string(LineKind::event);
                    return is_event;
                }
                if (key == "node") return once(kNode) && string(f.node);
                if (key == "event") {
                    if (f.has_event) return false;
                    f.has_event = true;
                    return object([&](std::string_view k) { return event_field(k, f); });
                }
                return skip();
            }))
            return false;
        ws();
        return p_ == end_ && has_t && is_event && std::isfinite(t);
    }

  private:
    // The keys that must not repeat: the line's own and the event's that set a field.
    enum Key : uint32_t {
        kKind = 1u << 0,
        kNode = 1u << 1,
        kTs = 1u << 2,
        kType = 1u << 3,
        kMember = 1u << 4,
        kState = 1u << 5,
        kIncarnation = 1u << 6,
        kId = 1u << 7,
        kRumor = 1u << 8,
        kOrigin = 1u << 9,
        kPktsSent = 1u << 10,
        kPktsRecv = 1u << 11,
        kBytesSent = 1u << 12,
        kBytesRecv = 1u << 13,
        kBadPkts = 1u << 14,
    };
    // False when `k` was seen before on this line (then the general path takes it).
    bool once(Key k) {
        if (seen_ & k) return false;
        seen_ |= k;
        return true;
    }
    bool event_field(std::string_view k, EventFields& f) {
        // Fields only the general path reads (state events, an error's message, anti-entropy
        // and detector counters, a started event's version): give the line to it.
        if (k == "owner" || k == "owners" || k == "key" || k == "version" || k == "digest" ||
            k == "deleted" || k == "message" || k.starts_with("sync_") ||
            k.starts_with("detector_") || k.starts_with("awareness"))
            return false;
        switch (k.empty() ? 0 : k[0]) {
            case 't':
                if (k == "ts") return once(kTs) && maybe_number(f.ts);
                if (k == "type") return once(kType) && string(f.type);
                break;
            case 'm':
                if (k == "member") return once(kMember) && string(f.member);
                break;
            case 's':
                if (k == "state") return once(kState) && string(f.state);
                break;
            case 'i':
                if (k == "incarnation") return once(kIncarnation) && integer(f.incarnation);
                if (k == "id") return once(kId) && string(f.id);
                break;
            case 'r':
                if (k == "rumor") return once(kRumor) && string(f.rumor);
                break;
            case 'o':
                if (k == "origin") return once(kOrigin) && string(f.origin);
                break;
            case 'p':
                if (k == "pkts_sent") return once(kPktsSent) && maybe_number(f.counters.pkts_sent);
                if (k == "pkts_recv") return once(kPktsRecv) && maybe_number(f.counters.pkts_recv);
                break;
            case 'b':
                if (k == "bytes_sent")
                    return once(kBytesSent) && maybe_number(f.counters.bytes_sent);
                if (k == "bytes_recv")
                    return once(kBytesRecv) && maybe_number(f.counters.bytes_recv);
                if (k == "bad_pkts") return once(kBadPkts) && maybe_number(f.counters.bad_pkts);
                break;
        }
        return skip();
    }
    // Compact lines have no whitespace at all: one comparison in the common case.
    // The fast path is inlined at every call; the loop is not.
    void ws() {
        if (p_<end_&& static_cast<unsigned char>(*p_)> ' ') return;
        ws_loop();
    }
    [[gnu::noinline]] void ws_loop() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
    }
    template <class F>
    bool object(F&& on_key) {
        ws();
        if (p_ >= end_ || *p_ != '{') return false;
        ++p_;
        ws();
        if (p_ < end_ && *p_ == '}') {
            ++p_;
            return true;
        }
        for (;;) {
            Str key;
            ws();
            if (!string(key)) return false;
            ws();
            if (p_ >= end_ || *p_ != ':') return false;
            ++p_;
            ws();
            if (!on_key(key.v)) return false;
            ws();
            if (p_ >= end_) return false;
            if (*p_ == ',') {
                ++p_;
                continue;
            }
            if (*p_ == '}') {
                ++p_;
                return true;
            }
            return false;
        }
    }
    // A string without escapes or control characters; the caller's view points into the line.
    bool string(Str& out) {
        if (p_ >= end_ || *p_ != '"') return false;
        const char* b = ++p_;
        while (p_ < end_ && *p_ != '"') {
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '\\' || c < 0x20 || c >= 0x80) return false;
            ++p_;
        }
        if (p_ >= end_) return false;
        out = {true, std::string_view(b, size_t(p_ - b))};
        ++p_;
        return true;
    }
    // A number in JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
    bool number(double& out) {
        const char* q = p_;
        uint64_t mant = 0;  // the digits so far, while they fit in 19 of them
        int ndigits = 0;
        auto digits = [&] {
            const char* b = q;
            for (; q < end_ && *q >= '0' && *q <= '9'; ++q, ++ndigits)
                if (ndigits < 19) mant = mant * 10 + uint64_t(*q - '0');
            return q > b;
        };
        bool neg = q < end_ && *q == '-';
        if (neg) ++q;
        if (q < end_ && *q == '0')
            ++q;
        else if (!digits())
            return false;
        int frac = 0;
        if (q < end_ && *q == '.') {
            ++q;
            int before = ndigits;
            if (!digits()) return false;
            frac = ndigits - before;
        }
        bool exp = q < end_ && (*q == 'e' || *q == 'E');
        if (exp) {
            ++q;
            if (q < end_ && (*q == '+' || *q == '-')) ++q;
            if (!digits()) return false;
        }
        // Clinger's fast path, as fast_float takes it: a mantissa below 2^53 and a power of ten
        // up to 10^22 are both exact doubles, so one IEEE division is correctly rounded, the
        // same double from_chars gives (the timestamps "1700000004.123456" all qualify).
        static constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                            1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                            1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
        if (!exp && ndigits <= 19 && mant < (uint64_t{1} << 53) && frac <= 22) {
            double v = double(mant) / kPow10[frac];
            out = neg ? -v : v;
            p_ = q;
            return true;
        }
        auto [ptr, ec] = std::from_chars(p_, q, out);
        if (ec != std::errc() || ptr != q) return false;
        p_ = q;
        return true;
    }
    // A number where one is expected; any other JSON value leaves `out` alone.
    bool maybe_number(double& out) {
        if (p_ < end_ && (*p_ == '-' || (*p_ >= '0' && *p_ <= '9'))) return number(out);
        return skip();
    }
    // An integer sets `out`; a number with a fraction or exponent, or another value, does not.
    bool integer(int64_t& out) {
        const char* b = p_;
        if (p_ < end_ && (*p_ == '-' || (*p_ >= '0' && *p_ <= '9'))) {
            double d;
            if (!number(d)) return false;
            std::string_view tok(b, size_t(p_ - b));
            if (tok.find_first_of(".eE") != std::string_view::npos) return true;
            int64_t v;
            auto [ptr, ec] = std::from_chars(b, p_, v);
            if (ec != std::errc() || ptr != p_) return false;  // out of range: general path
            out = v;
            return true;
        }
        return skip();
    }
    bool skip() {
        ws();
        if (p_ >= end_) return false;
        char c = *p_;
        if (c == '"') {
            Str s;
            return string(s);
        }
        if (c == '{') return object([&](std::string_view) { return skip(); });
        if (c == '[') {
            ++p_;
            ws();
            if (p_ < end_ && *p_ == ']') {
                ++p_;
                return true;
            }
            for (;;) {
                if (!skip()) return false;
                ws();
                if (p_ >= end_) return false;
                if (*p_ == ',') {
                    ++p_;
                    continue;
                }
                if (*p_ == ']') {
                    ++p_;
                    return true;
                }
                return false;
            }
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            double d;
            return number(d);
        }
        for (std::string_view lit : {"true", "false", "null"})
            if (size_t(end_ - p_) >= lit.size() && std::string_view(p_, lit.size()) == lit) {
                p_ += lit.size();
                return true;
            }
        return false;
    }

    const char* p_;
    const char* end_;
    uint32_t seen_ = 0;  // Key bits
};

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
    if (a.type == ActionType::other) {
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
    if ((a.type == ActionType::set || a.type == ActionType::del) && !str_field(j, "key")) {
        problem(h, line, a.node, t, "action \"" + *name + "\" without a string \"key\"");
        return;
    }
    a.body = std::move(j);
    h.actions.push_back(std::move(a));
}

}  // namespace

uint32_t History::find(std::string_view id) const {
    auto it = index_.find(id);
    return it == index_.end() ? kNone : it->second;
}

uint32_t History::find_rumor(std::string_view id) const {
    auto it = rumor_index_.find(id);
    return it == rumor_index_.end() ? kNone : it->second;
}

const Action* History::action_at(uint32_t line) const {
    auto it = std::lower_bound(actions.begin(), actions.end(), line,
                               [](const Action& a, uint32_t l) { return a.line < l; });
    return it != actions.end() && it->line == line ? &*it : nullptr;
}

uint32_t History::intern(std::string_view id) {
    if (auto it = index_.find(id); it != index_.end()) return it->second;
    index_.emplace(std::string(id), uint32_t(ids.size()));
    ids.emplace_back(id);
    return uint32_t(ids.size() - 1);
}

uint32_t History::intern_rumor(std::string_view id) {
    if (auto it = rumor_index_.find(id); it != rumor_index_.end()) return it->second;
    rumor_index_.emplace(std::string(id), uint32_t(rumor_ids.size()));
    rumor_ids.emplace_back(id);
    return uint32_t(rumor_ids.size() - 1);
}

void History::finish() {
    const size_t n = ids.size();
    by_pair.assign(n * n, {});
    by_node.assign(n, {});
    by_rumor.assign(rumor_ids.size(), {});
    // Counted first, so each list is allocated once (growing 65,000 lists by doubling was a
    // few percent of loading bench-checkers' history in malloc and free).
    {
        std::vector<uint32_t> nodes(n), pairs(n * n), rumors(rumor_ids.size());
        for (const Event& e : events) {
            ++nodes[e.node];
            if (e.type == EventType::member) ++pairs[pair_index(e.node, e.subject)];
            if (e.type == EventType::rumor) ++rumors[e.subject];
        }
        for (size_t i = 0; i < n; ++i) by_node[i].reserve(nodes[i]);
        for (size_t i = 0; i < pairs.size(); ++i) by_pair[i].reserve(pairs[i]);
        for (size_t i = 0; i < rumors.size(); ++i) by_rumor[i].reserve(rumors[i]);
    }
    for (uint32_t i = 0; i < events.size(); ++i) {
        const Event& e = events[i];
        by_node[e.node].push_back(i);
        if (e.type == EventType::member) by_pair[pair_index(e.node, e.subject)].push_back(i);
        if (e.type == EventType::rumor) by_rumor[e.subject].push_back(i);
    }
    std::set<std::pair<uint32_t, std::string_view>> broadcast;  // (node, rumor id) so far
    for (Action& a : actions) {
        if (a.type != ActionType::broadcast || a.node == kNone) continue;
        if (const std::string* r = str_field(a.body, "rumor"))
            a.repeat = !broadcast.emplace(a.node, *r).second;
    }
}

namespace {

// add_line, with the fast scanner (`scan`) or the general JSON path alone.
void add_line_with(History& h, std::string_view text, uint32_t line, bool scan) {
    h.lines = std::max(h.lines, line);
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) {
        problem(h, line, kNone, h.last_t, "empty line (expected one JSON object)");
        return;
    }
    if (scan) {
        double t = 0;
        EventFields f;
        if (Scanner(text).event_line(t, f)) {
            if (h.any_t && t < h.last_t) {
                std::ostringstream os;
                os << "\"t\" went backwards (" << t << " after " << h.last_t << ")";
                problem(h, line, kNone, t, os.str());
            }
            h.last_t = h.any_t ? std::max(h.last_t, t) : t;
            h.any_t = true;
            add_event(h, f, t, line);
            return;
        }
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
    } else if (*kind == to_string(LineKind::event)) {
        add_event(h, j, t, line);
    } else if (*kind == to_string(LineKind::action)) {
        add_action(h, std::move(j), t, line);
    } else if (*kind == to_string(LineKind::malformed)) {
        const std::string* node = str_field(j, "node");
        const std::string* why = str_field(j, "why");
        Malformed m{t, line, node ? h.intern(*node) : kNone,
                    why ? std::optional<std::string>(*why) : std::nullopt};
        problem(h, line, m.node, t,
                "node printed a malformed line" + (why ? ": " + *why : std::string()));
        h.malformed.push_back(std::move(m));
    } else {
        problem(h, line, kNone, t,
                "unknown kind \"" + *kind + "\" (expected event, action or malformed)");
    }
}

History parse_with(std::string_view text, std::string name, bool scan) {
    History h;
    h.file = std::move(name);
    size_t expected = size_t(std::count(text.begin(), text.end(), '\n')) + 1;
    h.events.reserve(expected);
    uint32_t line = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        add_line_with(h, text.substr(pos, end - pos), ++line, scan);
        pos = end + 1;
    }
    h.finish();
    return h;
}

}  // namespace

void add_line(History& h, std::string_view text, uint32_t line) {
    add_line_with(h, text, line, true);
}

History parse_history(std::string_view text, std::string name) {
    return parse_with(text, std::move(name), true);
}

History parse_history_general(std::string_view text, std::string name) {
    return parse_with(text, std::move(name), false);
}

History load_history(const std::filesystem::path& file) {
    // A regular file is mapped, not read: reading a 138 MB history into a string cost a zeroing
    // pass, a copy and a page fault per 4 KiB of the string (a third of bench-checkers' load
    // time); the mapping shares the page cache's pages. Anything else (a pipe, an empty file,
    // a mapping refused) is read from the same descriptor (a pipe cannot be opened twice).
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw HistoryError(file.string() + ":0: cannot open (expected a readable history.jsonl)");
    struct Close {
        int fd;
        ~Close() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw HistoryError(file.string() + ":0: read error");
    if (S_ISDIR(st.st_mode))
        throw HistoryError(file.string() +
                           ":0: is a directory (expected a readable history.jsonl)");
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        size_t size = size_t(st.st_size);
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p != MAP_FAILED) {
            struct Unmap {
                void* p;
                size_t n;
                ~Unmap() { ::munmap(p, n); }
            } unmap{p, size};
            ::madvise(p, size, MADV_SEQUENTIAL);
            return parse_history(std::string_view(static_cast<const char*>(p), size),
                                 file.filename().string());
        }
    }
    std::string text;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw HistoryError(file.string() + ":0: read error");
        if (n == 0) break;
        text.append(buf, size_t(n));
    }
    return parse_history(text, file.filename().string());
}

}  // namespace gossiplab::history
