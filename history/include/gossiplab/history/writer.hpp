// Writing history.jsonl: one JSON object a line, with the envelope of the record
// (docs/history-format.md). Everything that records a run (the controller, a simulator, tests)
// writes through it, so the names and the layout are defined once, beside the loader.
#pragma once

#include <gossiplab/history/history.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>

namespace gossiplab::history {

// Appends lines to one history file. Not thread-safe: one thread writes. Lines are buffered;
// flush() (or the destructor) pushes them to the file.
class Writer {
  public:
    // Creates (truncates) `file`. Throws std::runtime_error("cannot write FILE") when it cannot.
    explicit Writer(const std::filesystem::path& file);

    // {"t", "kind": "action", "action": NAME, ["planned"]} plus `fields` (an object; anything
    // else is taken as {}). The envelope is set last, so a field named t, kind, action or (when
    // planned >= 0) planned cannot overwrite it. Throws std::invalid_argument for
    // ActionType::other (a name the record does not define).
    void action(double t, ActionType type, json fields = json::object(), double planned = -1);
    // {"t", "kind": "event", "node", "event"}: one line the node printed, as parsed.
    void event(double t, const std::string& node, json event);
    // {"t", "kind": "malformed", "node", "raw", "why"}: output of a node that was not an event;
    // `raw` is cut to its first kMaxRaw bytes.
    void malformed(double t, const std::string& node, const std::string& raw,
                   const std::string& why);
    void flush();

    static constexpr size_t kMaxRaw = 4096;
    // Times are written rounded to the microsecond.
    static double round_t(double t);
    // The line as written (without its newline): compact, invalid UTF-8 replaced by U+FFFD.
    static std::string dump(const json& line);

  private:
    void write(const json& line);

    std::ofstream out_;
};

}  // namespace gossiplab::history
