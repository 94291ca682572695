// Small OS helpers the lab shares: netlink sockets, namespaces, child commands, errors.
#pragma once

#include "gossiplab/netem/shape.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

struct nl_sock;

namespace gossiplab::netem::sys {

// errno as text, for LabError messages: "what: strerror (errno N)".
[[noreturn]] void throw_errno(const std::string& what, int err);
// libnl error code as text.
[[noreturn]] void throw_nl(const std::string& what, int nlerr);

// An owned file descriptor.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd();
    Fd(Fd&& o) noexcept : fd_(o.release()) {}
    Fd& operator=(Fd&& o) noexcept;
    int get() const { return fd_; }
    int release() {
        int f = fd_;
        fd_ = -1;
        return f;
    }

  private:
    int fd_ = -1;
};

// A connected NETLINK_ROUTE socket in the calling thread's network namespace.
class NlSock {
  public:
    NlSock();
    ~NlSock();
    NlSock(const NlSock&) = delete;
    NlSock& operator=(const NlSock&) = delete;
    nl_sock* get() const { return sk_; }

  private:
    nl_sock* sk_ = nullptr;
};

// A fresh network namespace, returned as an fd (the namespace lives while the fd is open).
// Made in a short-lived thread, so the caller's own namespace is untouched.
Fd new_netns();
// Runs fn in a thread that first enters the network namespace `fd`, and waits for it.
// Exceptions thrown by fn are rethrown in the caller.
void in_netns(int fd, const std::function<void()>& fn);

// Runs argv (PATH lookup) in the caller's namespaces with `input` on its stdin; returns the
// exit status and fills `output` with stdout+stderr. Status 127: it could not be started.
int run(const std::vector<std::string>& argv, std::string* output = nullptr,
        const std::string& input = "");
// run() that throws LabError with the output when the status is not 0.
void run_checked(const std::vector<std::string>& argv, const std::string& why,
                 const std::string& input = "");

// Writes a /proc/sys file (the calling thread's network namespace for net.*).
void write_file(const std::string& path, const std::string& value);

// Interface helpers in the calling thread's network namespace.
int ifindex(nl_sock* sk, const std::string& name);  // throws LabError when missing
void link_up(nl_sock* sk, const std::string& name);
// Point-to-point IPv4 address: `local` on the interface with `peer` as the other end.
void add_p2p_addr(nl_sock* sk, int ifindex, uint32_t local_be, uint32_t peer_be);
void add_default_route(nl_sock* sk, int ifindex, uint32_t gateway_be);
// The interface's MAC address (6 bytes).
std::vector<uint8_t> mac_of(nl_sock* sk, const std::string& name);
// A permanent neighbour entry: `ip_be` is at `mac` on `ifindex` (no ARP ever needed).
void add_permanent_neigh(nl_sock* sk, int ifindex, uint32_t ip_be, const std::vector<uint8_t>& mac);
// Turns GRO, GSO and TSO off, so the impairment acts per packet, not per aggregate.
void offloads_off(const std::string& ifname);

std::string ip_to_string(uint32_t be);
uint32_t ip_from_string(const std::string& s, const std::string& where);

}  // namespace gossiplab::netem::sys
