// libFuzzer: the history loader (history/src/history.cpp). Every line goes through the fast
// scanner first and, when it gives up, the general JSON path; the two must load any text alike
// (the same events, problems, actions and times), and neither may crash or throw.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gossiplab/history/history.hpp"

using namespace gossiplab::history;

namespace {

[[noreturn]] void differ(const char* what, size_t i) {
    std::fprintf(stderr, "the scanner and the general path differ: %s (item %zu)\n", what, i);
    std::abort();
}

bool same_num(double a, double b) {
    return a == b || (std::isnan(a) && std::isnan(b));
}

const std::string& name_of(const History& h, uint32_t n) {
    static const std::string none = "<none>";
    return n < h.ids.size() ? h.ids[n] : none;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const History a = parse_history(text);
    const History b = parse_history_general(text);
    if (a.lines != b.lines) differ("line count", 0);
    if (!same_num(a.last_t, b.last_t) || a.any_t != b.any_t) differ("last_t", 0);
    if (a.events.size() != b.events.size()) differ("event count", a.events.size());
    for (size_t i = 0; i < a.events.size(); ++i) {
        const Event& x = a.events[i];
        const Event& y = b.events[i];
        if (x.line != y.line || x.type != y.type || !same_num(x.t, y.t) || !same_num(x.ts, y.ts) ||
            x.incarnation != y.incarnation || x.state != y.state ||
            name_of(a, x.node) != name_of(b, y.node))
            differ("event", i);
        if (x.type == EventType::member && name_of(a, x.subject) != name_of(b, y.subject))
            differ("member", i);
        if (x.type == EventType::rumor && a.rumor_ids[x.subject] != b.rumor_ids[y.subject])
            differ("rumor", i);
        if (x.type == EventType::counters) {
            const CountersSample &p = a.counters[x.aux], &q = b.counters[y.aux];
            if (!same_num(p.pkts_sent, q.pkts_sent) || !same_num(p.pkts_recv, q.pkts_recv) ||
                !same_num(p.bytes_sent, q.bytes_sent) || !same_num(p.bytes_recv, q.bytes_recv) ||
                !same_num(p.sync_hashes, q.sync_hashes) ||
                !same_num(p.sync_entries_sent, q.sync_entries_sent) ||
                !same_num(p.sync_bytes_sent, q.sync_bytes_sent))
                differ("counters", i);
        }
        if (x.type == EventType::state) {
            const StateRecord &p = a.states[x.aux], &q = b.states[y.aux];
            if (name_of(a, p.owner) != name_of(b, q.owner) || p.key != q.key ||
                p.version != q.version || p.digest != q.digest || p.deleted != q.deleted)
                differ("state", i);
        }
    }
    if (a.problems.size() != b.problems.size()) differ("problem count", a.problems.size());
    for (size_t i = 0; i < a.problems.size(); ++i)
        if (a.problems[i].line != b.problems[i].line || a.problems[i].what != b.problems[i].what)
            differ("problem", i);
    if (a.actions.size() != b.actions.size()) differ("action count", a.actions.size());
    return 0;
}
