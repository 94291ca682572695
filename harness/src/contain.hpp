// Containment: each node process runs in a PID namespace of its own, so that nothing it starts
// (a daemon that double-forks and calls setsid, a helper that ignores signals or leaves the
// process group) outlives it, the run, or a SIGKILLed controller.
//
// The shape, from the controller down (all started by one Boost.Process spawn):
//
//   controller ── C (the spawned child; pid P, the pid the controller sees; leads group P)
//                  └─ I  (pid 1 of a new PID namespace: the reaper)
//                      └─ N  (the node: execs the command; pid 2 inside)
//
// - C dies with the controller (PR_SET_PDEATHSIG), I with C (the same), and when the kernel
//   kills a namespace's init it kills every process in the namespace: a SIGKILL of the
//   controller takes every node and everything they started with it.
// - When N exits, I SIGKILLs every process left in its namespace (kill(-1) from init), reaps
//   them, counts them, and hands N's wait status and that count to C, which writes them to
//   the supervisor's report pipe and ends the same way N did (the same exit code, or killed by
//   the same signal), so the controller's view of the node's exit is unchanged.
// - C, I and N share process group P: the controller's group signals (SIGSTOP/SIGCONT for
//   pause and starvation, SIGTERM for the end) reach N; C ignores the catchable ones and I,
//   as a namespace init, gets only SIGKILL and SIGSTOP from outside.
//
// Everything here runs between fork and exec in a child of a possibly multi-threaded process:
// only async-signal-safe calls.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace gossiplab::harness::contain {

// What C writes to the report pipe when the node exits: N's wait status, and how many
// processes were still in its namespace and were killed. A report with status kNotContained
// comes at the start instead when the namespace could not be created (the node then runs
// uncontained, as before).
struct Report {
    int32_t status = 0;
    int32_t left_behind = 0;
};
inline constexpr int32_t kNotContained = INT32_MIN;

namespace detail {

// Closes every descriptor but those in keep[0..n) (ascending, at most 4).
inline void close_except(const int* keep, int n) {
    unsigned lo = 0;
    for (int i = 0; i <= n; ++i) {
        unsigned hi = i < n ? unsigned(keep[i]) : ~0u;
        if (hi > lo) {
            if (::syscall(SYS_close_range, lo, hi - 1, 0) != 0)
                for (unsigned fd = lo; fd < hi && fd < 65536; ++fd) ::close(int(fd));
        }
        lo = hi + 1;
    }
}

inline void sort_fds(int* fds, int n) {
    for (int i = 1; i < n; ++i)
        for (int j = i; j > 0 && fds[j] < fds[j - 1]; --j) {
            int t = fds[j];
            fds[j] = fds[j - 1];
            fds[j - 1] = t;
        }
}

inline bool read_all(int fd, void* buf, size_t len) {
    char* p = static_cast<char*>(buf);
    size_t done = 0;
    while (done < len) {
        ssize_t n = ::read(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += size_t(n);
    }
    return true;
}

inline void write_all(int fd, const void* buf, size_t len) {
    const char* p = static_cast<const char*>(buf);
    size_t done = 0;
    while (done < len) {
        ssize_t n = ::write(fd, p + done, len - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += size_t(n);
    }
}

// Ends C the way N ended: the same exit code, or the same signal (without a core file).
[[noreturn]] inline void end_like(int status) {
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        struct rlimit no_core = {0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        struct sigaction dfl = {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(sig, &dfl, nullptr);
        sigset_t set;
        ::sigemptyset(&set);
        ::sigaddset(&set, sig);
        ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
        ::kill(::getpid(), sig);
        ::_exit(128 + sig);
    }
    ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

// C, after forking I: wait for I, pass its report on, end like N.
[[noreturn]] inline void run_outer(pid_t init, int report_fd, int status_in, int alive_out) {
    int keep[3] = {report_fd, status_in, alive_out};
    sort_fds(keep, 3);
    close_except(keep, 3);
    struct sigaction ign = {};
    ign.sa_handler = SIG_IGN;
    for (int sig = 1; sig < 32; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD && sig != SIGCONT)
            ::sigaction(sig, &ign, nullptr);
    int st = 0;
    while (::waitpid(init, &st, 0) < 0 && errno == EINTR) {
    }
    Report r;
    if (read_all(status_in, &r, sizeof r)) {
        write_all(report_fd, &r, sizeof r);
        end_like(r.status);
    }
    end_like(st);  // I was killed (a SIGKILL of the group): so was everything in it
}

// I, pid 1 of the namespace, after forking N: reap everything; once N has exited, kill what
// is left, count it, report.
[[noreturn]] inline void run_init(pid_t node, int status_out, int alive_in) {
    int keep[2] = {status_out, alive_in};
    sort_fds(keep, 2);
    close_except(keep, 2);
    Report r;
    bool node_done = false;
    for (;;) {
        int st = 0;
        pid_t w = ::waitpid(-1, &st, 0);
        if (w < 0) {
            if (errno == EINTR) continue;
            break;  // ECHILD: nothing left in the namespace
        }
        if (w == node) {
            r.status = st;
            node_done = true;
            ::kill(-1, SIGKILL);  // from init: every other process of the namespace
        } else if (node_done) {
            ++r.left_behind;
        }
    }
    write_all(status_out, &r, sizeof r);
    ::_exit(0);
}

}  // namespace detail

// In the spawned child C, between fork and exec, after it has entered the node's network
// namespace and set its PDEATHSIG: builds C -> I -> N and returns in N (whose exec follows).
// `report_fd` is the write end of the supervisor's report pipe. C and I close every other
// descriptor (Boost.Process's error pipe among them, so that the spawn's success is decided
// by N's exec, and the node's stdio, so that its pipes end with N and what N started). When no
// PID namespace can be made, writes a kNotContained report and returns in C itself.
inline void enter(int report_fd) {
    int status_pipe[2], alive_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) return;
    if (::pipe2(alive_pipe, O_CLOEXEC) != 0 || ::unshare(CLONE_NEWPID) != 0) {
        Report r{kNotContained, 0};
        detail::write_all(report_fd, &r, sizeof r);
        ::close(status_pipe[0]);
        ::close(status_pipe[1]);
        return;
    }
    pid_t init = ::fork();
    if (init < 0) {
        Report r{kNotContained, 0};
        detail::write_all(report_fd, &r, sizeof r);
        return;  // fork failed: after unshare, a later fork would fail too; exec in place
    }
    if (init > 0) detail::run_outer(init, report_fd, status_pipe[0], alive_pipe[1]);
    // I.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::close(alive_pipe[1]);
    ::close(status_pipe[0]);
    struct pollfd pf = {alive_pipe[0], POLLIN, 0};
    if (::poll(&pf, 1, 0) > 0) ::_exit(1);  // C died before PDEATHSIG took hold
    pid_t node = ::fork();
    if (node < 0) ::_exit(1);
    if (node > 0) detail::run_init(node, status_pipe[1], alive_pipe[0]);
    // N: the pipes are close-on-exec; the report pipe must not reach the node.
    ::close(report_fd);
}

}  // namespace gossiplab::harness::contain
