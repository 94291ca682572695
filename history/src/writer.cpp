// The history writer: the envelope of each kind of line, rounding and serialisation.
#include <gossiplab/history/writer.hpp>

#include <cmath>
#include <stdexcept>

namespace gossiplab::history {

Writer::Writer(const std::filesystem::path& file) : out_(file) {
    if (!out_) throw std::runtime_error("cannot write " + file.string());
}

double Writer::round_t(double t) {
    return std::round(t * 1e6) / 1e6;
}

std::string Writer::dump(const json& line) {
    return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

void Writer::write(const json& line) {
    out_ << dump(line) << "\n";
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

void Writer::flush() {
    out_.flush();
}

}  // namespace gossiplab::history
