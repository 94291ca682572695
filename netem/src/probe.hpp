// A capability probe shared by doctor() and the lab's backend choice.
#pragma once

#include <string>

struct nl_sock;

namespace gossiplab::netem {

// Adds and deletes a root qdisc of `kind` on `ifindex`; false with the reason when refused.
// True once enter_private_world() succeeded in this process: the lab refuses to build
// anything in the host's own namespace.
bool in_private_world();
// True inside doctor()'s probe child: its test labs are never sabotaged
// (GOSSIPLAB_BREAK_IMPAIRMENT is for the run's own check to catch, not the backend choice).
bool in_doctor_probe();

bool probe_qdisc(nl_sock* sk, int ifindex, const std::string& kind, std::string* why);

}  // namespace gossiplab::netem
