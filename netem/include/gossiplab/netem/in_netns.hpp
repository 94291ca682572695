// Starting a node process inside its namespace: a Boost.Process v1 initializer.
#pragma once

#include <boost/process/extend.hpp>

#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <system_error>

namespace gossiplab::netem {

// Pass to boost::process::child(...): in the child, before exec, enters the network namespace
// `fd` (from Lab::netns_fd) and asks the kernel to SIGKILL the child when its parent dies, so
// node processes never outlive the controller. PDEATHSIG fires when the *thread* that spawned
// the child exits: spawn nodes from a long-lived thread (e.g. the main thread). On failure the
// child reports the error through Boost.Process and the spawn throws (or sets the error_code).
struct in_netns : boost::process::extend::handler {
    int fd = -1;
    pid_t controller = ::getpid();  // the process that spawns (its death must kill the node)
    explicit in_netns(int netns_fd) : fd(netns_fd) {}

    template <class Exec>
    void on_exec_setup(Exec& exec) const {
        // Only async-signal-safe calls here: we are between fork and exec.
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
            exec.set_error(std::error_code(errno, std::system_category()), "prctl(PDEATHSIG)");
            return;
        }
        if (::getppid() != controller) ::_exit(127);  // it died before prctl took hold
        if (::setns(fd, CLONE_NEWNET) != 0) {
            exec.set_error(std::error_code(errno, std::system_category()),
                           "setns into the node's network namespace");
        }
    }
};

}  // namespace gossiplab::netem
