// A small builder for hand-made histories: one call per line, times set with at().
#pragma once

#include <gossiplab/checkers/checkers.hpp>

#include <map>
#include <string>
#include <vector>

namespace gossiplab::checkers::test {

using nlohmann::json;

// The reference `lan` profile: with N <= 10, suspicion_min 4 s, suspicion_max 24 s,
// retransmits 4 (N < 10), so the default bounds are round numbers.
json lan_profile();
std::vector<std::string> all_features();

class HB {
  public:
    HB& at(double t) {
        now_ = t;
        return *this;
    }
    double now() const { return now_; }
    HB& run_start(const std::vector<std::string>& nodes);
    HB& action(const std::string& name, json fields = json::object());
    // node_start + the node's `started` event.
    HB& start(const std::string& node, bool restart = false);
    HB& kill(const std::string& node);   // kill + node_exit
    HB& crash(const std::string& node);  // node_exit expected=false
    HB& restart(const std::string& node);
    HB& leave(const std::string& node);  // leave command; the node exits 0.1 s later
    HB& pause(const std::string& node) { return action("pause", {{"node", node}}); }
    HB& resume(const std::string& node) { return action("resume", {{"node", node}}); }
    HB& partition(const std::map<std::string, std::vector<std::string>>& grudge);
    // Both halves drop each other.
    HB& split(const std::vector<std::string>& a, const std::vector<std::string>& b);
    HB& heal() { return action("heal"); }
    HB& broadcast(const std::string& node, const std::string& rumor);
    HB& end() { return action("run_end", {{"reason", "duration"}}); }

    HB& event(const std::string& node, json ev);
    HB& member(const std::string& obs, const std::string& m, const std::string& state,
               int64_t inc = 0);
    // Every node of `observers` sees every other node of `members` in `state`.
    HB& mesh(const std::vector<std::string>& observers, const std::vector<std::string>& members,
             const std::string& state, int64_t inc = 0);
    HB& rumor(const std::string& node, const std::string& rumor, const std::string& origin);
    HB& counters(const std::string& node, double pkts, double bytes);
    HB& raw(const std::string& line) {
        raw_[lines_.size()] = line;
        lines_.push_back(nullptr);
        return *this;
    }

    size_t line() const { return lines_.size(); }  // the number of the last line written
    std::string text(const std::map<std::string, std::string>& relabel = {},
                     double shift = 0) const;
    History history(const std::map<std::string, std::string>& relabel = {},
                    double shift = 0) const {
        return parse_history(text(relabel, shift));
    }

  private:
    std::vector<json> lines_;
    std::map<size_t, std::string> raw_;
    double now_ = 0;
};

// Runs a check in a Context whose profile is lan_profile() without push-pull
// (push_pull_interval null): an implementation that promises its fast path only, so that each
// timing check's guarantee is its model (docs/checkers.md "Guarantee and model"). Histories
// with heals, and the guarantee-and-model tests, use check_lan().
CheckResult check(const std::string& name, const History& h, json options = json::object(),
                  std::vector<std::string> features = all_features());
// The same in lan_profile() itself: the guarantee is the model plus two push-pull periods (60 s).
CheckResult check_lan(const std::string& name, const History& h, json options = json::object(),
                  std::vector<std::string> features = all_features());

// Whether some evidence item has this node, ref and a `what` containing `text`.
bool has_evidence(const CheckResult& r, const std::string& node, uint32_t ref,
                  const std::string& text = "");

// Three nodes n1..n3 started at 0, 0.1, 0.2 that all see each other alive by 1.0.
HB cluster(int n = 3);
std::vector<std::string> names(int n);

}  // namespace gossiplab::checkers::test
