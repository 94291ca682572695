// Writing history.jsonl: one JSON object a line, with the envelope of the record
// (docs/history-format.md). Everything that records a run (the controller, a simulator, tests)
// writes through it, so the names and the layout are defined once, beside the loader.
//
// Durability: a run's files must tell the truth even when the controller is SIGKILLed. Lines
// reach the file only whole (LineFile), each flush in one write(2), so the file never ends in
// a partial line; a line waits at most LineFile::kMaxAge in memory before the next append
// flushes it, and an owner with an event loop calls flush() at least that often (the
// controller does, every 50 ms), so a SIGKILL loses at most the last ~100 ms of lines.
#pragma once

#include <gossiplab/history/history.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace gossiplab::history {

// A file of lines written only whole. Lines are kept in memory and written by flush(): every
// buffered line in one write(2) (a regular file takes it whole unless the disk is full), so
// after a SIGKILL of the writer the file holds whole lines only. append() flushes on its own
// when the oldest buffered line is kMaxAge old or kMaxBuffer bytes wait. Not thread-safe; one
// thread writes. Move-only; the destructor flushes.
class LineFile {
  public:
    using Clock = std::chrono::steady_clock;
    using Now = std::function<Clock::time_point()>;
    static constexpr std::chrono::milliseconds kMaxAge{50};
    static constexpr size_t kMaxBuffer = 64 * 1024;

    LineFile() = default;  // closed: append() and flush() do nothing
    // Creates `file` (truncated, or appended to when `append`). `now` replaces the steady
    // clock (tests). Throws std::runtime_error("cannot write FILE: WHY") when it cannot.
    LineFile(const std::filesystem::path& file, bool append, Now now = {});
    ~LineFile();
    LineFile(LineFile&& o) noexcept;
    LineFile& operator=(LineFile&& o) noexcept;
    LineFile(const LineFile&) = delete;
    LineFile& operator=(const LineFile&) = delete;

    bool is_open() const { return fd_ >= 0; }
    // Buffers `line` plus a newline (`line` must not contain one); flushes when due.
    void append(std::string_view line);
    // Writes every buffered line now. On failure (disk full, I/O error) the lines are dropped,
    // error() says why and false is returned; later lines are still tried.
    bool flush();
    // Bytes waiting in memory.
    size_t pending() const { return buf_.size(); }
    const std::string& error() const { return error_; }

  private:
    Clock::time_point now() const { return now_ ? now_() : Clock::now(); }
    void close();

    int fd_ = -1;
    std::string name_;
    std::string buf_;
    Clock::time_point oldest_{};  // when the first buffered line was appended
    Now now_;
    std::string error_;
};

// Appends lines to one history file. Not thread-safe: one thread writes. An action line is
// flushed at once (with every line before it); event and malformed lines follow LineFile's
// rule (at most kMaxAge in memory when lines keep coming; flush() for the rest).
class Writer {
  public:
    // Creates (truncates) `file`. Throws std::runtime_error("cannot write FILE: WHY") when it
    // cannot. `now` as in LineFile.
    explicit Writer(const std::filesystem::path& file, LineFile::Now now = {});

    // {"t", "kind": "action", "action": NAME, ["planned"]} plus `fields` (an object; anything
    // else is taken as {}). The envelope is set last, so a field named t, kind, action or (when
    // planned >= 0) planned cannot overwrite it. Throws std::invalid_argument for
    // ActionType::other (a name the record does not define). Flushed before it returns.
    void action(double t, ActionType type, json fields = json::object(), double planned = -1);
    // {"t", "kind": "event", "node", "event"}: one line the node printed, as parsed.
    void event(double t, const std::string& node, json event);
    // {"t", "kind": "malformed", "node", "raw", "why"}: output of a node that was not an event;
    // `raw` is cut to its first kMaxRaw bytes.
    void malformed(double t, const std::string& node, const std::string& raw,
                   const std::string& why);
    // Writes every buffered line; false (see error()) when the file could not be written.
    bool flush() { return out_.flush(); }
    const std::string& error() const { return out_.error(); }

    static constexpr size_t kMaxRaw = 4096;
    // Times are written rounded to the microsecond.
    static double round_t(double t);
    // The line as written (without its newline): compact, invalid UTF-8 replaced by U+FFFD.
    static std::string dump(const json& line);

  private:
    void write(const json& line);

    LineFile out_;
};

}  // namespace gossiplab::history
