// The controller's side of history.jsonl: every line the controller writes goes through one
// Recorder, and every action name it writes is an ActionType named in recorder.cpp only.
// (The enumerators follow the history module's ActionType, which is to replace this one.)
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "run_clock.hpp"

namespace gossiplab::harness {

enum class ActionType {
    run_start,
    node_start,
    node_exit,
    node_error,
    kill,
    pause,
    resume,
    starve_start,
    starve_stop,
    leave,
    restart,
    partition,
    heal,
    shape,
    clear,
    broadcast,
    observe,
    run_end,
    error,
    interrupted,
};

// The action's name in history.jsonl ("run_start", ...).
const char* to_string(ActionType a);

// Writes one run's history lines (docs/history-format.md), stamped with the run clock.
// Single-threaded: the controller's event loop writes.
class Recorder {
  public:
    explicit Recorder(const RunClock& clock) : clock_(clock) {}

    // Creates (truncates) `file`. Throws std::runtime_error("cannot write FILE").
    void open(const std::filesystem::path& file);

    // {"t", "kind": "action", "action", ["planned"]} plus `fields` (an object; anything else
    // is taken as {}). `planned` < 0: the action was not scheduled. The envelope is set last,
    // so that no field can overwrite it.
    void action(ActionType type, double planned, nlohmann::json fields = nlohmann::json::object());
    // {"t", "kind": "event", "node", "event"}: a line node `node` printed, parsed.
    void event(const std::string& node, nlohmann::json ev);
    // {"t", "kind": "malformed", "node", "raw", "why"}: a line that was not an event; `raw` is
    // cut to 4096 bytes. Counted in malformed().
    void malformed(const std::string& node, const std::string& raw, const std::string& why);

    uint64_t malformed_count() const { return malformed_; }
    void flush() { out_.flush(); }

  private:
    void write(const nlohmann::json& line);

    const RunClock& clock_;
    std::ofstream out_;
    uint64_t malformed_ = 0;
};

}  // namespace gossiplab::harness
