// Lab construction and teardown (stub until the implementation lands).
#include "gossiplab/netem/lab.hpp"

namespace gossiplab::netem {

std::string to_string(Backend b) {
    switch (b) {
        case Backend::Auto:
            return "auto";
        case Backend::Netem:
            return "netem";
        case Backend::Nfqueue:
            return "nfqueue";
    }
    return "?";
}
Backend backend_from_string(const std::string& s) {
    if (s == "auto") return Backend::Auto;
    if (s == "netem") return Backend::Netem;
    if (s == "nfqueue") return Backend::Nfqueue;
    throw LabError("impairment backend: expected \"auto\", \"netem\" or \"nfqueue\", got \"" + s +
                   "\"");
}
std::vector<Capability> doctor() {
    return {};
}
Backend choose_backend(Backend r, const std::vector<Capability>&) {
    return r;
}
Backend choose_backend(Backend r) {
    return choose_backend(r, doctor());
}
void enter_private_world() {
    throw LabError("enter_private_world: not implemented yet");
}

struct Lab::Impl {
    LabConfig cfg;
};
Lab::Lab(LabConfig cfg) : impl_(std::make_unique<Impl>()) {
    impl_->cfg = std::move(cfg);
    throw LabError("Lab: not implemented yet");
}
Lab::~Lab() = default;
const std::vector<std::string>& Lab::nodes() const {
    return impl_->cfg.nodes;
}
std::string Lab::address(const std::string&) const {
    return {};
}
int Lab::netns_fd(const std::string&) const {
    return -1;
}
std::string Lab::backend_name() const {
    return {};
}
void Lab::set_shape(const std::string&, const std::string&, const LinkShape&) {}
void Lab::clear_shape(const std::string&, const std::string&) {}
void Lab::clear_shapes() {}
void Lab::set_grudge(const Grudge&) {}
void Lab::heal() {}
Lab::Stats Lab::stats() const {
    return {};
}

}  // namespace gossiplab::netem
