// A capability probe shared by doctor() and the lab's backend choice.
#pragma once

#include <string>

struct nl_sock;

namespace gossiplab::netem {

// Adds and deletes a root qdisc of `kind` on `ifindex`; false with the reason when refused.
bool probe_qdisc(nl_sock* sk, int ifindex, const std::string& kind, std::string* why);

}  // namespace gossiplab::netem
