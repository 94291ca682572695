// The history writer: the envelope of each kind of line, rounding and serialisation; and the
// whole-line file under it.
#include <gossiplab/history/writer.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace gossiplab::history {

// -- LineFile ---------------------------------------------------------------------------------

LineFile::LineFile(const std::filesystem::path& file, bool append, Now now)
    : name_(file.string()), now_(std::move(now)) {
    const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
    fd_ = ::open(file.c_str(), flags, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot write " + name_ + ": " + std::strerror(errno));
}

LineFile::~LineFile() {
    close();
}

LineFile::LineFile(LineFile&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      name_(std::move(o.name_)),
      buf_(std::move(o.buf_)),
      oldest_(o.oldest_),
      now_(std::move(o.now_)),
      error_(std::move(o.error_)) {}

LineFile& LineFile::operator=(LineFile&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
        name_ = std::move(o.name_);
        buf_ = std::move(o.buf_);
        oldest_ = o.oldest_;
        now_ = std::move(o.now_);
        error_ = std::move(o.error_);
    }
    return *this;
}

void LineFile::close() {
    if (fd_ < 0) return;
    flush();
    ::close(fd_);
    fd_ = -1;
}

void LineFile::append(std::string_view line) {
    if (fd_ < 0) return;
    const Clock::time_point t = now();
    if (buf_.empty()) oldest_ = t;
    buf_.append(line);
    buf_.push_back('\n');
    if (buf_.size() >= kMaxBuffer || t - oldest_ >= kMaxAge) flush();
}

bool LineFile::flush() {
    if (fd_ < 0 || buf_.empty()) return true;
    // One write(2) for all the buffered lines: a regular file takes it whole; the loop only
    // matters for a signal or a full disk, when nothing better can be done.
    size_t done = 0;
    while (done < buf_.size()) {
        ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            error_ = "cannot write " + name_ + ": " + std::strerror(n < 0 ? errno : ENOSPC);
            buf_.clear();
            return false;
        }
        done += size_t(n);
    }
    buf_.clear();
    return true;
}

// -- Writer -----------------------------------------------------------------------------------

Writer::Writer(const std::filesystem::path& file, LineFile::Now now)
    : out_(file, false, std::move(now)) {}

double Writer::round_t(double t) {
    return std::round(t * 1e6) / 1e6;
}

std::string Writer::dump(const json& line) {
    return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

void Writer::write(const json& line) {
    out_.append(dump(line));
}

void Writer::action(double t, ActionType type, json fields, double planned) {
    if (type == ActionType::other)
        throw std::invalid_argument("history::Writer: an action of type other has no name");
    // The envelope is set last so that no field can overwrite it.
    json line = fields.is_object() ? std::move(fields) : json::object();
    line["t"] = round_t(t);
    line["kind"] = to_string(LineKind::action);
    line["action"] = to_string(type);
    if (planned >= 0) line["planned"] = planned;
    write(line);
    // Every controller action reaches the file before the controller goes on.
    out_.flush();
}

void Writer::event(double t, const std::string& node, json event) {
    write({{"t", round_t(t)},
           {"kind", to_string(LineKind::event)},
           {"node", node},
           {"event", std::move(event)}});
}

void Writer::malformed(double t, const std::string& node, const std::string& raw,
                       const std::string& why) {
    write({{"t", round_t(t)},
           {"kind", to_string(LineKind::malformed)},
           {"node", node},
           {"raw", raw.substr(0, kMaxRaw)},
           {"why", why}});
}

}  // namespace gossiplab::history
