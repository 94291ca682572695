// The controller's history lines, stamped with the run clock and written by history::Writer.
#include "recorder.hpp"

#include <stdexcept>

namespace gossiplab::harness {

using nlohmann::json;

void Recorder::open(const std::filesystem::path& file) {
    out_ = std::make_unique<history::Writer>(file);
}

history::Writer& Recorder::out() {
    if (!out_) throw std::logic_error("Recorder: history written before open()");
    return *out_;
}

void Recorder::action(ActionType type, double planned, json fields) {
    out().action(clock_.now(), type, std::move(fields), planned);
}

void Recorder::event(const std::string& node, json ev) {
    out().event(clock_.now(), node, std::move(ev));
}

void Recorder::malformed(const std::string& node, const std::string& raw, const std::string& why) {
    out().malformed(clock_.now(), node, raw, why);
    ++malformed_;
}

void Recorder::flush() {
    if (out_) out_->flush();
}

}  // namespace gossiplab::harness
