// The controller's side of history.jsonl: every line the controller writes goes through one
// Recorder, which stamps it with the run clock and hands it to the history module's Writer
// (the one definition of the record's names and envelope).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <gossiplab/history/writer.hpp>
#include <nlohmann/json.hpp>

#include "run_clock.hpp"

namespace gossiplab::harness {

using history::ActionType;

// Single-threaded: the controller's event loop writes.
class Recorder {
  public:
    explicit Recorder(const RunClock& clock) : clock_(clock) {}

    // Creates (truncates) `file`. Throws std::runtime_error("cannot write FILE").
    void open(const std::filesystem::path& file);

    // An action line (history::Writer::action) at the run clock's now. `planned` < 0: the
    // action was not scheduled.
    void action(ActionType type, double planned, nlohmann::json fields = nlohmann::json::object());
    // An event line: a line node `node` printed, parsed.
    void event(const std::string& node, nlohmann::json ev);
    // A line that was not an event. Counted in malformed_count().
    void malformed(const std::string& node, const std::string& raw, const std::string& why);

    uint64_t malformed_count() const { return malformed_; }
    void flush();

  private:
    history::Writer& out();

    const RunClock& clock_;
    std::unique_ptr<history::Writer> out_;
    uint64_t malformed_ = 0;
};

}  // namespace gossiplab::harness
