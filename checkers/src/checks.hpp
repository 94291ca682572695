// The individual checkers, registered by name in registry.cpp.
#pragma once

#include <gossiplab/checkers/checkers.hpp>

namespace gossiplab::checkers::detail {

CheckResult membership_convergence(const Context& ctx, const json& options);
CheckResult failure_detection(const Context& ctx, const json& options);
CheckResult accuracy(const Context& ctx, const json& options);
CheckResult suspicion_refutation(const Context& ctx, const json& options);
CheckResult partition_healing(const Context& ctx, const json& options);
CheckResult dissemination(const Context& ctx, const json& options);
CheckResult latency(const Context& ctx, const json& options);
CheckResult message_load(const Context& ctx, const json& options);
CheckResult history_wellformed(const Context& ctx, const json& options);
CheckResult run_health(const Context& ctx, const json& options);
CheckResult faults_landed(const Context& ctx, const json& options);
CheckResult state_convergence(const Context& ctx, const json& options);
CheckResult local_health(const Context& ctx, const json& options);
CheckResult input_validation(const Context& ctx, const json& options);
CheckResult exercised(const Context& ctx, const json& options);

}  // namespace gossiplab::checkers::detail
