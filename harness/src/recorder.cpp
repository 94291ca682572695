// The history writer of the controller: the envelope of each line and the action names.
#include "recorder.hpp"

#include <cmath>
#include <stdexcept>

namespace gossiplab::harness {

using nlohmann::json;

namespace {

double round_us(double t) {
    return std::round(t * 1e6) / 1e6;
}

}  // namespace

const char* to_string(ActionType a) {
    switch (a) {
        case ActionType::run_start:
            return "run_start";
        case ActionType::node_start:
            return "node_start";
        case ActionType::node_exit:
            return "node_exit";
        case ActionType::node_error:
            return "node_error";
        case ActionType::kill:
            return "kill";
        case ActionType::pause:
            return "pause";
        case ActionType::resume:
            return "resume";
        case ActionType::starve_start:
            return "starve_start";
        case ActionType::starve_stop:
            return "starve_stop";
        case ActionType::leave:
            return "leave";
        case ActionType::restart:
            return "restart";
        case ActionType::partition:
            return "partition";
        case ActionType::heal:
            return "heal";
        case ActionType::shape:
            return "shape";
        case ActionType::clear:
            return "clear";
        case ActionType::broadcast:
            return "broadcast";
        case ActionType::observe:
            return "observe";
        case ActionType::run_end:
            return "run_end";
        case ActionType::error:
            return "error";
        case ActionType::interrupted:
            return "interrupted";
    }
    return "error";
}

void Recorder::open(const std::filesystem::path& file) {
    out_.open(file);
    if (!out_) throw std::runtime_error("cannot write " + file.string());
}

void Recorder::action(ActionType type, double planned, json fields) {
    json line = fields.is_object() ? std::move(fields) : json::object();
    line["t"] = round_us(clock_.now());
    line["kind"] = "action";
    line["action"] = to_string(type);
    if (planned >= 0) line["planned"] = planned;
    write(line);
}

void Recorder::event(const std::string& node, json ev) {
    write({{"t", round_us(clock_.now())},
           {"kind", "event"},
           {"node", node},
           {"event", std::move(ev)}});
}

void Recorder::malformed(const std::string& node, const std::string& raw, const std::string& why) {
    write({{"t", round_us(clock_.now())},
           {"kind", "malformed"},
           {"node", node},
           {"raw", raw.substr(0, 4096)},
           {"why", why}});
    ++malformed_;
}

void Recorder::write(const json& line) {
    out_ << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
}

}  // namespace gossiplab::harness
