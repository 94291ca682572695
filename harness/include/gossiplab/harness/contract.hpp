// `gossiplab contract`: the node contract's self-test (docs/node-contract.md) for a new
// implementation. It starts three nodes of one manifest, checks one requirement at a time
// (started with the contract version, member events for each peer, each declared feature
// answering its command, exit on SIGTERM, nothing but JSON on stdout) and returns a checklist
// whose failures each carry the first offending line.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "gossiplab/harness/controller.hpp"
#include "gossiplab/harness/manifest.hpp"

namespace gossiplab::harness {

struct ContractOptions {
    std::filesystem::path out;      // created: out/nodes/ID.log (stderr) and ID.out (stdout)
    std::filesystem::path bin_dir;  // {bin}
    std::string profile;            // the manifest's profile; "" = its default
    double timeout_s = 10;          // the longest wait for any one expected event
    double term_grace_s = 5;        // SIGTERM -> SIGKILL
};

enum class ContractStatus { Pass, Fail, Skip };

// One requirement of the checklist.
struct ContractItem {
    std::string id;           // "started", "view", ...: stable, for tests and scripts
    std::string requirement;  // what the contract demands, in a few words
    ContractStatus status = ContractStatus::Skip;
    std::string detail;  // what was seen; for a skip, why (undeclared, or not reached)
    std::string line;    // Fail: the first offending line ("n2 stdout line 3: ..."), or ""
};

struct ContractResult {
    std::string network;  // "loopback", "nfqueue", ...
    std::vector<ContractItem> items;
    std::vector<std::string> unknown_features;  // in the manifest, but not in the contract
    bool failed() const;
};

// Runs the self-test of manifest M's implementation with three nodes (n1 the seed of n2 and
// n3) on NET, which must know n1, n2 and n3. Takes at most about 6 * timeout_s plus the
// implementation's own times; every node it started has exited when it returns. Never
// throws because of a node; throws std::runtime_error when opt.out cannot be written.
ContractResult run_contract(const Manifest& m, Network& net, const ContractOptions& opt);

// The checklist as printed: one "  [ok]   ID  detail" line per item, the offending line
// under each failure, then a summary line naming the skipped items.
std::string format_checklist(const Manifest& m, const ContractResult& r);

}  // namespace gossiplab::harness
