// Reading a run directory's history and node logs into what report.html draws.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gossiplab/history/history.hpp"
#include "gossiplab/history/truth.hpp"

namespace gossiplab::reports::detail {

// The timeline/dissemination data embedded in report.html (see assets/report.js for how
// each array is read). Loads history.jsonl through history::load_history and draws every
// interval (lives, kills, restarts, leaves, pauses, starvation, partition epochs, shapes and
// the run's end) from history::Truth, so the page and the checkers cannot disagree. Never
// throws: a missing file gives the empty timeline, and bad lines or contradicting actions
// become `notes`.
nlohmann::json timeline_data(const std::filesystem::path& history, std::vector<std::string>& notes);

// The same from a history already loaded and its truth (`truth` must be built from `h`).
// Intervals are clipped to [0, truth.end_t]; those that begin after the end are left out.
nlohmann::json timeline_data(const history::History& h, const history::Truth& truth,
                             std::vector<std::string>& notes);

// A node's log (nodes/ID.log): lines with their controller time, for the lines around a
// piece of evidence.
class NodeLogs {
  public:
    explicit NodeLogs(std::filesystem::path nodes_dir);

    struct Line {
        double t;
        std::string text;
    };
    // Up to `before` lines at or before t and `after` lines after t from node's log; empty
    // when the node has no log file. Node ids are matched against the files present, so an
    // id like "../x" can never name a path outside nodes/.
    std::vector<Line> around(const std::string& node, double t, size_t before, size_t after);

  private:
    std::filesystem::path dir_;
    std::map<std::string, std::filesystem::path> files_;  // id -> nodes/ID.log
    std::map<std::string, std::vector<Line>> loaded_;
};

}  // namespace gossiplab::reports::detail
