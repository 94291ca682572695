// Test helper: builds a 3-node lab with node processes and traffic rules in place, says
// "ready PID..." and waits to be killed (the SIGKILL teardown test's controller stand-in).
#include "gossiplab/netem/in_netns.hpp"
#include "gossiplab/netem/lab.hpp"

#include <boost/process.hpp>

#include <unistd.h>
#include <iostream>

int main() {
    using namespace gossiplab::netem;
    namespace bp = boost::process;
    try {
        enter_private_world();
        Lab lab(LabConfig{{"a", "b", "c"}});
        lab.set_shape("*", "*", LinkShape{.delay_ms = 5});
        lab.set_grudge(one_way("c", "a"));
        std::vector<bp::child> nodes;
        for (const auto& n : lab.nodes()) {
            nodes.emplace_back(bp::search_path("sleep"), "600", in_netns(lab.netns_fd(n)));
            nodes.back().detach();
        }
        std::cout << "ready " << lab.backend_name();
        for (const auto& c : nodes) std::cout << ' ' << c.id();
        std::cout << std::endl;
        for (;;) ::pause();
    } catch (const std::exception& e) {
        std::cout << "error " << e.what() << std::endl;
        return 3;
    }
}
