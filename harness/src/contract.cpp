// The node contract's self-test: three nodes of one manifest, one requirement at a time, each
// failure with the first line that breaks it.
#include "gossiplab/harness/contract.hpp"

#include <algorithm>
#include <csignal>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "gossiplab/harness/scenario.hpp"
#include "gossiplab/netem/lab.hpp"
#include "run_clock.hpp"
#include "scratch.hpp"
#include "supervisor.hpp"

namespace gossiplab::harness {

namespace fs = std::filesystem;
using nlohmann::json;

bool ContractResult::failed() const {
    return std::any_of(items.begin(), items.end(),
                       [](const ContractItem& i) { return i.status == ContractStatus::Fail; });
}

namespace {

const std::vector<std::string> kNodes = {"n1", "n2", "n3"};  // n1 seeds n2 and n3
const std::vector<std::string> kFeatures = {
    "suspicion_events", "incarnations", "refute_events", "rumors",
    "counters",         "view",         "leave",         "state",
    "state_versions"};
const char* kRumor = "contract-r1";

// The checklist, in the order it is printed: what each requirement demands.
const std::vector<std::pair<std::string, std::string>> kRequirements = {
    {"launch", "the command starts a process for each node"},
    {"stdout_json", "stdout carries only JSON objects with ts and type"},
    {"started", "each node prints one `started` with its id"},
    {"contract_version", "`started` carries the manifest's \"contract\" or a newer one (<= 2)"},
    {"members", "each node prints `member` alive for each peer"},
    {"stays_up", "no node exits before it is told to"},
    {"incarnations", "`member` events carry an integer incarnation"},
    {"counters", "each node prints `counters` with the packet and byte totals"},
    {"view", "{\"cmd\":\"view\"} is answered by a `view` of the whole table"},
    {"rumors", "{\"cmd\":\"broadcast\"} reaches every node as a `rumor`"},
    {"state", "{\"cmd\":\"set\"} reaches every node as a `state`; `digest` is answered"},
    {"bad_command", "an unknown command is answered by an `error` event"},
    {"suspicion_events", "a paused node is reported `suspect` by a peer"},
    {"refute_events", "a paused node prints `refute` once it resumes"},
    {"leave", "{\"cmd\":\"leave\"}: `stopping` (leave), exit 0, peers see `left`"},
    {"sigterm", "SIGTERM: `stopping` (signal), then exit within the grace period"},
};

// Which items need which feature (the others are required of every implementation).
const std::map<std::string, std::string> kFeatureOf = {{"incarnations", "incarnations"},
                                                       {"counters", "counters"},
                                                       {"view", "view"},
                                                       {"rumors", "rumors"},
                                                       {"state", "state"},
                                                       {"suspicion_events", "suspicion_events"},
                                                       {"refute_events", "refute_events"},
                                                       {"leave", "leave"}};

std::string clip(const std::string& s, size_t n = 160) {
    return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

std::string seconds(double s) {
    char b[32];
    std::snprintf(b, sizeof b, "%g s", s);
    return b;
}

std::string describe(const ExitStatus& e) {
    return e.signal ? "killed by " + signal_name(e.signal) : "exit code " + std::to_string(e.code);
}

// One line a node printed on stdout.
struct Line {
    size_t no = 0;  // 1-based, as in nodes/ID.out
    std::string text;
    json j;  // the object it parses to; null when it is not a JSON object
    std::string type() const { return j.is_object() ? j.value("type", "") : ""; }
    bool about(const std::string& member, const std::string& state) const {
        return type() == "member" && j.value("member", "") == member &&
               j.value("state", "") == state;
    }
};

struct NodeLog {
    std::vector<Line> lines;
    bool running = false;
    bool exit_expected = false;  // told to leave or to stop
    std::optional<ExitStatus> exit;
    std::string last_stderr;
};

using LinePred = std::function<bool(const Line&)>;

class ContractRun {
  public:
    ContractRun(const Manifest& m, Network& net, const ContractOptions& opt)
        : m_(m),
          net_(net),
          opt_(opt),
          profile_(m.profile(opt.profile)),
          work_(boost::asio::make_work_guard(ioc_)) {
        fs::create_directories(opt_.out / "nodes");
        scratch_.open(opt_.out / "scratch", netem::in_private_world());
        sup_ = make_process_supervisor(ioc_, opt_.out / "nodes", clock_);
        sup_->set_handlers(handlers());
        for (const auto& [id, req] : kRequirements)
            r_.items.push_back({id, req, ContractStatus::Skip, "not reached", ""});
        for (const auto& f : m_.features)
            if (std::find(kFeatures.begin(), kFeatures.end(), f) == kFeatures.end())
                r_.unknown_features.push_back(f);
        r_.network = net_.name();
    }

    ~ContractRun() {
        for (const auto& id : kNodes) sup_->kill_now(id);
    }

    ContractResult run() {
        if (launch() && started()) {
            if (members()) features();
        }
        sigterm();
        stdout_json();
        member_fields();
        stays_up();
        return r_;
    }

  private:
    NodeHandlers handlers() {
        NodeHandlers h;
        h.on_stdout = [this](const std::string& node, const std::string& text, bool truncated) {
            NodeLog& n = logs_[node];
            Line l{n.lines.size() + 1, text, nullptr};
            json j = json::parse(text, nullptr, false);
            if (!truncated && j.is_object()) l.j = std::move(j);
            n.lines.push_back(std::move(l));
        };
        h.on_stderr = [this](const std::string& node, const std::string& text) {
            if (!text.empty()) logs_[node].last_stderr = text;
        };
        h.on_exit = [this](const std::string& node, pid_t, const ExitStatus& st) {
            logs_[node].running = false;
            logs_[node].exit = st;
        };
        return h;
    }

    ContractItem& item(const std::string& id) {
        for (auto& i : r_.items)
            if (i.id == id) return i;
        throw std::logic_error("no contract item " + id);
    }
    void pass(const std::string& id, const std::string& detail) {
        item(id).status = ContractStatus::Pass;
        item(id).detail = detail;
    }
    // Records the first failure of ID; later ones keep the first offending line.
    void fail(const std::string& id, const std::string& detail, const std::string& line = "") {
        ContractItem& i = item(id);
        if (i.status == ContractStatus::Fail) return;
        i.status = ContractStatus::Fail;
        i.detail = detail;
        i.line = line;
    }
    void skip(const std::string& id, const std::string& why) {
        item(id).status = ContractStatus::Skip;
        item(id).detail = why;
    }
    bool failed(const std::string& id) { return item(id).status == ContractStatus::Fail; }
    // Items that need an undeclared feature are skipped; true when ID is to be checked.
    bool declared(const std::string& id) {
        auto f = kFeatureOf.find(id);
        if (f == kFeatureOf.end() || m_.has(f->second)) return true;
        skip(id, "not declared in features");
        return false;
    }

    // Runs the event loop until DONE holds or TIMEOUT seconds have passed; DONE's value.
    bool wait(double timeout, const std::function<bool()>& done) {
        const auto until = RunClock::Clock::now() + RunClock::secs(timeout);
        while (!done()) {
            auto now = RunClock::Clock::now();
            if (now >= until) return false;
            ioc_.run_one_until(std::min(until, now + std::chrono::milliseconds(20)));
        }
        return true;
    }
    void sleep(double s) {
        wait(s, [] { return false; });
    }

    // The first line of NODE from line index FROM on that satisfies PRED, or null.
    const Line* find(const std::string& node, size_t from, const LinePred& pred) {
        const auto& lines = logs_[node].lines;
        for (size_t i = from; i < lines.size(); ++i)
            if (pred(lines[i])) return &lines[i];
        return nullptr;
    }
    const Line* find_type(const std::string& node, size_t from, const std::string& type) {
        return find(node, from, [&](const Line& l) { return l.type() == type; });
    }
    size_t mark(const std::string& node) { return logs_[node].lines.size(); }
    bool running(const std::string& node) { return logs_[node].running; }

    std::string cite(const std::string& node, const Line& l) const {
        return node + " stdout line " + std::to_string(l.no) + ": " + clip(l.text);
    }
    // What NODE printed last: its last stdout line, else its last stderr line, else "".
    std::string last_words(const std::string& node) {
        const NodeLog& n = logs_[node];
        if (!n.lines.empty()) return cite(node, n.lines.back());
        if (!n.last_stderr.empty()) return node + " stderr: " + clip(n.last_stderr);
        return node + " printed nothing (nodes/" + node + ".log)";
    }
    std::string exited_how(const std::string& node) {
        const NodeLog& n = logs_[node];
        return n.exit ? " (it exited: " + describe(*n.exit) + ")" : "";
    }

    std::vector<std::string> argv(const std::string& id) {
        std::string seeds, seed_ids;
        if (id != "n1") {
            seeds = net_.address("n1") + ":" + std::to_string(m_.port);
            seed_ids = "n1";
        }
        std::map<std::string, std::string> vars = {
            {"id", id},
            {"addr", net_.address(id)},
            {"port", std::to_string(m_.port)},
            {"seeds", seeds},
            {"seed_ids", seed_ids},
            {"profile", opt_.profile.empty() ? m_.default_profile : opt_.profile},
            {"rng_seed", std::to_string(derive_seed(1, id + "#0"))},
            {"bin", opt_.bin_dir.string()},
            {"adapter", m_.dir.string()},
            {"scratch", uses_scratch() ? scratch_.dir(id).string() : ""}};
        return expand_command(m_.command, vars, m_.file.string());
    }
    bool uses_scratch() const {
        for (const auto& arg : m_.command)
            if (arg.find("{scratch}") != std::string::npos) return true;
        return false;
    }

    bool launch() {
        std::string pids;
        for (const auto& id : kNodes) {
            try {
                pid_t pid = sup_->start(id, argv(id), net_.netns_fd(id));
                logs_[id].running = true;
                pids += (pids.empty() ? "" : ", ") + id + " pid " + std::to_string(pid);
            } catch (const std::exception& e) {
                fail("launch", e.what(), "command: " + clip(m_.command.front()));
                return false;
            }
        }
        pass("launch", pids);
        return true;
    }

    bool started() {
        wait(opt_.timeout_s, [&] {
            for (const auto& id : kNodes)
                if (running(id) && !find_type(id, 0, "started")) return false;
            return true;
        });
        for (const auto& id : kNodes) {
            const Line* s = find_type(id, 0, "started");
            if (!s) {
                const NodeLog& n = logs_[id];
                fail("started",
                     id + " printed no `started` event in " + seconds(opt_.timeout_s) +
                         exited_how(id),
                     n.lines.empty() ? last_words(id) : cite(id, n.lines.front()));
                continue;
            }
            if (s->j.value("id", "") != id)
                fail("started", id + "'s `started` carries id " + s->j.value("id", json()).dump(),
                     cite(id, *s));
            if (const Line* again = find_type(id, s->no, "started"))
                fail("started", id + " printed `started` twice", cite(id, *again));
            // A node may speak a newer contract than its manifest declares (v2 is v1 plus
            // application state), never an older one or one this harness does not know.
            const json c = s->j.value("contract", json());
            if (!(c.is_number_integer() && c.get<int>() >= m_.contract && c.get<int>() <= 2))
                fail("contract_version",
                     id + "'s `started` carries contract " + c.dump() + "; the manifest says " +
                         std::to_string(m_.contract) + " and this harness speaks 1 and 2",
                     cite(id, *s));
        }
        if (!failed("contract_version"))
            pass("contract_version",
                 "contract " + std::to_string(m_.contract) + " (or newer) on every node");
        if (failed("started")) {
            skip("contract_version", "not reached: not every node started");
            return false;
        }
        pass("started", "n1, n2, n3 printed `started`");
        return true;
    }

    bool sees(const std::string& node, const std::string& peer, size_t from = 0) {
        return find(node, from, [&](const Line& l) { return l.about(peer, "alive"); }) != nullptr;
    }

    bool members() {
        auto all_joined = [&] {
            for (const auto& a : kNodes)
                for (const auto& b : kNodes)
                    if (a != b && running(a) && !sees(a, b)) return false;
            return true;
        };
        // A join is guaranteed by the anti-entropy at the latest (serf's joins often wait for
        // it), so the wait is one push-pull interval longer than the others.
        const json& pp =
            profile_.contains("push_pull_interval") ? profile_["push_pull_interval"] : json();
        const double join_wait = opt_.timeout_s + (pp.is_number() ? pp.get<double>() : 0.0);
        wait(join_wait, all_joined);
        for (const auto& a : kNodes)
            for (const auto& b : kNodes)
                if (a != b && !sees(a, b))
                    fail("members",
                         a + " printed no `member` " + b + " alive in " + seconds(join_wait) +
                             exited_how(a),
                         last_words(a));
        if (failed("members")) return false;
        pass("members", "every node saw both peers alive");
        return true;
    }

    void features() {
        if (declared("counters")) counters();
        if (declared("view")) view();
        if (declared("rumors")) rumors();
        if (declared("state")) state();
        bad_command();
        pause_and_resume();
        if (declared("leave")) leave();
    }

    void counters() {
        static const char* fields[] = {"pkts_sent", "pkts_recv", "bytes_sent", "bytes_recv"};
        wait(opt_.timeout_s, [&] {
            for (const auto& id : kNodes)
                if (running(id) && !find_type(id, 0, "counters")) return false;
            return true;
        });
        for (const auto& id : kNodes) {
            const Line* c = find_type(id, 0, "counters");
            if (!c) {
                fail("counters", id + " printed no `counters` event in " + seconds(opt_.timeout_s),
                     last_words(id));
                continue;
            }
            for (const char* f : fields)
                if (!(c->j.contains(f) && c->j[f].is_number()))
                    fail("counters", id + "'s `counters` has no number " + f, cite(id, *c));
        }
        if (!failed("counters")) pass("counters", "every node printed its totals");
    }

    void view() {
        size_t from = mark("n1");
        sup_->send("n1", R"({"cmd":"view"})");
        wait(opt_.timeout_s, [&] { return find_type("n1", from, "view") != nullptr; });
        const Line* v = find_type("n1", from, "view");
        if (!v)
            return fail("view",
                        "no `view` event from n1 in " + seconds(opt_.timeout_s) +
                            " after {\"cmd\":\"view\"}",
                        last_words("n1"));
        const json& ms = v->j.contains("members") ? v->j["members"] : json();
        if (!ms.is_array()) return fail("view", "`members` is not an array", cite("n1", *v));
        std::set<std::string> ids;
        for (const auto& e : ms) {
            if (!e.is_object() || !e.contains("id") || !e["id"].is_string() || !e.contains("state"))
                return fail("view", "a member without a string id and a state", cite("n1", *v));
            ids.insert(e["id"].get<std::string>());
        }
        for (const char* peer : {"n2", "n3"})
            if (!ids.count(peer))
                return fail("view", std::string("n1's view lacks ") + peer, cite("n1", *v));
        if (!v->j.contains("self") || !v->j["self"].is_object() ||
            v->j["self"].value("id", "") != "n1")
            return fail("view", "`self` is not {\"id\":\"n1\",...}", cite("n1", *v));
        pass("view", "n1 answered with n2, n3 and itself");
    }

    // Sends `cmd` to n2 and waits until every running node prints a line that `matches`; fails
    // `req` for each node that did not (it printed no `what` after n2 was told to `told`).
    void reaches_every_node(const std::string& req, const json& cmd, const LinePred& matches,
                            const std::string& what, const std::string& told) {
        std::map<std::string, size_t> from;
        for (const auto& id : kNodes) from[id] = mark(id);
        sup_->send("n2", cmd.dump());
        auto got = [&](const std::string& id) { return find(id, from[id], matches) != nullptr; };
        wait(opt_.timeout_s, [&] {
            return std::all_of(kNodes.begin(), kNodes.end(),
                               [&](const std::string& id) { return !running(id) || got(id); });
        });
        for (const auto& id : kNodes)
            if (!got(id))
                fail(req,
                     id + " printed no " + what + " in " + seconds(opt_.timeout_s) +
                         " after n2 was told to " + told,
                     last_words(id));
    }

    void rumors() {
        reaches_every_node(
            "rumors", json{{"cmd", "broadcast"}, {"rumor", kRumor}, {"payload", "hello"}},
            [](const Line& l) { return l.type() == "rumor" && l.j.value("rumor", "") == kRumor; },
            std::string("`rumor` ") + kRumor, "broadcast it");
        if (!failed("rumors")) pass("rumors", std::string(kRumor) + " reached n1, n2 and n3");
    }

    // Contract v2: n2 writes one entry; every node prints its `state`, and n1 answers `digest`.
    void state() {
        static const char* kKey = "contract-k1";
        reaches_every_node(
            "state", json{{"cmd", "set"}, {"key", kKey}, {"value", "hello"}},
            [](const Line& l) {
                return l.type() == "state" && l.j.value("owner", "") == "n2" &&
                       l.j.value("key", "") == kKey && l.j.contains("version") &&
                       l.j["version"].is_number_integer() && l.j.contains("digest") &&
                       l.j["digest"].is_string();
            },
            std::string("`state` of n2/") + kKey + " (with an integer version and a string digest)",
            "set it");
        if (failed("state")) return;
        size_t d = mark("n1");
        sup_->send("n1", R"({"cmd":"digest"})");
        wait(opt_.timeout_s, [&] { return find_type("n1", d, "state_digest") != nullptr; });
        const Line* dg = find_type("n1", d, "state_digest");
        if (!dg)
            return fail("state",
                        "no `state_digest` event from n1 in " + seconds(opt_.timeout_s) +
                            " after {\"cmd\":\"digest\"}",
                        last_words("n1"));
        if (!dg->j.contains("owners") || !dg->j["owners"].is_array())
            return fail("state", "`state_digest` has no `owners` array", cite("n1", *dg));
        pass("state", std::string("n2/") + kKey + " reached n1, n2 and n3; n1 answered digest");
    }

    void bad_command() {
        size_t from = mark("n1");
        sup_->send("n1", R"({"cmd":"gossiplab-contract-no-such-command"})");
        if (wait(opt_.timeout_s, [&] { return find_type("n1", from, "error") != nullptr; }))
            return pass("bad_command", "n1 answered with an `error` event");
        fail("bad_command",
             "no `error` event from n1 in " + seconds(opt_.timeout_s) +
                 " after {\"cmd\":\"gossiplab-contract-no-such-command\"}",
             last_words("n1"));
    }

    bool suspected(const std::string& who, size_t from1, size_t from2) {
        return find("n1", from1, [&](const Line& l) { return l.about(who, "suspect"); }) ||
               find("n2", from2, [&](const Line& l) { return l.about(who, "suspect"); });
    }

    // SIGSTOP n3 until a peer suspects it (or, without suspicion_events, for four probe
    // periods), then SIGCONT and wait for its refute and for the peers to see it alive again.
    void pause_and_resume() {
        const bool susp = declared("suspicion_events"), refute = declared("refute_events");
        if (!susp && !refute) return;
        const size_t m1 = mark("n1"), m2 = mark("n2"), m3 = mark("n3");
        sup_->signal("n3", SIGSTOP);
        if (susp) {
            if (wait(opt_.timeout_s, [&] { return suspected("n3", m1, m2); }))
                pass("suspicion_events", "n1 or n2 reported the paused n3 suspect");
            else
                fail("suspicion_events",
                     "neither n1 nor n2 printed `member` n3 suspect in " + seconds(opt_.timeout_s) +
                         " of n3 paused",
                     last_words("n1"));
        } else {
            const double probe = profile_.value("probe_interval", 1.0);
            sleep(std::min(opt_.timeout_s, 4 * probe + profile_.value("probe_timeout", 0.5)));
        }
        sup_->signal("n3", SIGCONT);
        if (refute) {
            if (wait(opt_.timeout_s, [&] { return find_type("n3", m3, "refute") != nullptr; }))
                pass("refute_events", "n3 refuted after it resumed");
            else
                fail("refute_events",
                     "n3 printed no `refute` in " + seconds(opt_.timeout_s) + " after it resumed",
                     last_words("n3"));
        }
        // Let the peers take n3 back before it leaves, so that `left` is a transition.
        wait(opt_.timeout_s, [&] {
            return last_state("n1", "n3") == "alive" && last_state("n2", "n3") == "alive";
        });
    }

    std::string last_state(const std::string& node, const std::string& peer) {
        std::string s;
        for (const auto& l : logs_[node].lines)
            if (l.type() == "member" && l.j.value("member", "") == peer) s = l.j.value("state", "");
        return s;
    }

    void leave() {
        std::map<std::string, size_t> from;
        for (const auto& id : kNodes) from[id] = mark(id);
        logs_["n3"].exit_expected = true;
        sup_->send("n3", R"({"cmd":"leave"})");
        auto saw_left = [&](const std::string& id) {
            return find(id, from[id], [](const Line& l) { return l.about("n3", "left"); }) !=
                   nullptr;
        };
        wait(opt_.timeout_s, [&] { return !running("n3") && saw_left("n1") && saw_left("n2"); });
        const Line* s = find_type("n3", from["n3"], "stopping");
        if (!s)
            fail("leave", "n3 printed no `stopping` after {\"cmd\":\"leave\"}", last_words("n3"));
        else if (s->j.value("reason", "") != "leave")
            fail("leave",
                 "n3's `stopping` gives reason " + s->j.value("reason", json()).dump() +
                     ", expected \"leave\"",
                 cite("n3", *s));
        if (running("n3"))
            fail("leave", "n3 still running " + seconds(opt_.timeout_s) + " after leave",
                 last_words("n3"));
        else if (logs_["n3"].exit->signal || logs_["n3"].exit->code != 0)
            fail("leave", "n3 left with " + describe(*logs_["n3"].exit) + ", expected exit 0",
                 last_words("n3"));
        for (const char* peer : {"n1", "n2"})
            if (!saw_left(peer))
                fail("leave",
                     std::string(peer) + " printed no `member` n3 left in " +
                         seconds(opt_.timeout_s),
                     last_words(peer));
        if (!failed("leave")) pass("leave", "n3 left with exit 0; n1 and n2 saw it leave");
    }

    void sigterm() {
        std::map<std::string, size_t> from;
        std::vector<std::string> told;
        for (const auto& id : kNodes) {
            if (!running(id)) continue;
            from[id] = mark(id);
            logs_[id].exit_expected = true;
            sup_->signal(id, SIGTERM);
            told.push_back(id);
        }
        if (told.empty()) return skip("sigterm", "not reached: no node was running");
        wait(opt_.term_grace_s, [&] {
            return std::none_of(told.begin(), told.end(),
                                [&](const auto& id) { return running(id); });
        });
        for (const auto& id : told) {
            if (running(id)) {
                fail(
                    "sigterm",
                    id + " still running " + seconds(opt_.term_grace_s) + " after SIGTERM (killed)",
                    last_words(id));
                sup_->kill_now(id);
                continue;
            }
            const Line* s = find_type(id, from[id], "stopping");
            if (!s)
                fail("sigterm", id + " exited on SIGTERM without printing `stopping`",
                     last_words(id));
            else if (s->j.value("reason", "") != "signal")
                fail("sigterm",
                     id + "'s `stopping` gives reason " + s->j.value("reason", json()).dump() +
                         ", expected \"signal\"",
                     cite(id, *s));
        }
        if (!failed("sigterm")) {
            std::string names;
            for (const auto& id : told) names += (names.empty() ? "" : ", ") + id;
            pass("sigterm", names + " printed `stopping` and exited");
        }
    }

    void stdout_json() {
        size_t total = 0;
        for (const auto& id : kNodes)
            for (const auto& l : logs_[id].lines) {
                ++total;
                if (!l.j.is_object())
                    fail("stdout_json", id + " printed a line that is not a JSON object",
                         cite(id, l));
                else if (!l.j.contains("ts") || !l.j["ts"].is_number())
                    fail("stdout_json", id + " printed an event without a number `ts`",
                         cite(id, l));
                else if (!l.j.contains("type") || !l.j["type"].is_string())
                    fail("stdout_json", id + " printed an event without a string `type`",
                         cite(id, l));
            }
        if (!failed("stdout_json"))
            pass("stdout_json", std::to_string(total) + " lines, every one a JSON event");
    }

    // The `member` events' own fields: a known state, never about the node itself, and (with
    // the feature) an incarnation.
    void member_fields() {
        static const std::set<std::string> states = {"alive", "suspect", "dead", "left"};
        bool any = false;
        for (const auto& id : kNodes)
            for (const auto& l : logs_[id].lines) {
                if (l.type() != "member") continue;
                any = true;
                if (!l.j.contains("member") || !l.j["member"].is_string() ||
                    !l.j.contains("state") || !l.j["state"].is_string() ||
                    !states.count(l.j["state"].get<std::string>()))
                    fail("members",
                         "a `member` event needs a string member and a state of alive, "
                         "suspect, dead or left",
                         cite(id, l));
                else if (l.j["member"] == id)
                    fail("members", id + " printed a `member` event about itself", cite(id, l));
                if (m_.has("incarnations") &&
                    !(l.j.contains("incarnation") && l.j["incarnation"].is_number_integer() &&
                      l.j["incarnation"].get<int64_t>() >= 0))
                    fail("incarnations", id + " printed a `member` event without an incarnation",
                         cite(id, l));
            }
        if (declared("incarnations") && any && !failed("incarnations"))
            pass("incarnations", "every `member` event carries one");
    }

    void stays_up() {
        for (const auto& id : kNodes) {
            const NodeLog& n = logs_[id];
            if (n.exit && !n.exit_expected)
                fail("stays_up", id + " exited on its own: " + describe(*n.exit), last_words(id));
        }
        if (item("launch").status == ContractStatus::Pass && !failed("stays_up"))
            pass("stays_up", "every node ran until it was told to stop");
    }

    const Manifest& m_;
    Network& net_;
    const ContractOptions& opt_;
    const json& profile_;
    boost::asio::io_context ioc_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    RunClock clock_;
    ScratchArea scratch_;  // OUT/scratch ({scratch}): removed after sup_'s nodes are gone
    std::unique_ptr<NodeSupervisor> sup_;
    std::map<std::string, NodeLog> logs_;
    ContractResult r_;
};

}  // namespace

ContractResult run_contract(const Manifest& m, Network& net, const ContractOptions& opt) {
    ContractRun run(m, net, opt);
    return run.run();
}

std::string format_checklist(const Manifest& m, const ContractResult& r) {
    std::string s;
    size_t failed = 0, passed = 0;
    std::string skipped;
    for (const auto& i : r.items) {
        const char* tag = i.status == ContractStatus::Pass   ? "ok  "
                          : i.status == ContractStatus::Fail ? "FAIL"
                                                             : "skip";
        char head[64];
        std::snprintf(head, sizeof head, "  %s  %-17s ", tag, i.id.c_str());
        s += head + i.detail + "\n";
        if (i.status == ContractStatus::Fail) {
            ++failed;
            s += "                           requirement: " + i.requirement + "\n";
            if (!i.line.empty()) s += "                           " + i.line + "\n";
        } else if (i.status == ContractStatus::Pass) {
            ++passed;
        } else {
            skipped += (skipped.empty() ? "" : ", ") + i.id;
        }
    }
    for (const auto& f : r.unknown_features)
        s += "  note  feature \"" + f + "\" is not in the contract (ignored)\n";
    s += std::string("contract: ") + (failed ? "FAIL" : "PASS") + " for " + m.name + " (" +
         std::to_string(passed) + " passed, " + std::to_string(failed) + " failed, " +
         std::to_string(r.items.size() - passed - failed) + " skipped" +
         (skipped.empty() ? "" : ": " + skipped) + ")\n";
    return s;
}

}  // namespace gossiplab::harness
