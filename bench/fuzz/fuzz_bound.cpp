// libFuzzer: bound expressions (checkers/src/bound.cpp), which scenarios and check options
// write over the timing profile ("3 * suspicion_max + probe_interval"). eval_bound must return
// a finite number or throw BoundError; nothing else (a crash, another exception, NaN or inf).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "gossiplab/checkers/bound.hpp"

using namespace gossiplab::checkers;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // The reference node's fast profile with one knob missing (push-pull null), for N = 10.
    static const Vars vars = profile_vars({{"probe_interval", 0.1},
                                           {"probe_timeout", 0.05},
                                           {"gossip_interval", 0.02},
                                           {"fanout", 3},
                                           {"indirect_checks", 3},
                                           {"suspicion_mult", 4},
                                           {"suspicion_max_timeout_mult", 6},
                                           {"retransmit_mult", 6},
                                           {"push_pull_interval", nullptr},
                                           {"dead_retention", 3.0},
                                           {"reconnect_interval", 0.2}},
                                          10);
    const std::string expr(reinterpret_cast<const char*>(data), size);
    try {
        const double v = eval_bound(expr, vars);
        if (!std::isfinite(v)) {
            std::fprintf(stderr, "eval_bound returned a non-finite %g\n", v);
            std::abort();
        }
    } catch (const BoundError&) {
    }
    return 0;
}
