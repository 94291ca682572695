// The reference node's hostile-input corpus: datagrams in its own wire format that a node must
// refuse whole (each breaks one rule of the decoder: a truncation, a length or count that lies,
// a value out of range, bytes left over) and a few unusual ones it must accept (a padded
// varint, a message type from a newer peer). gossip-node --malformed-corpus prints it; the
// scenario action "inject" sends it to a node, and input_validation checks the node's bad_pkts
// counter rose by exactly the refused ones (docs/scenarios.md, docs/checkers.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gossip {

struct CorpusDatagram {
    std::string name;    // what is wrong with it (or unusual about it)
    bool refuse = true;  // false: well-formed, the node must accept it
    std::vector<std::uint8_t> bytes;
};

// The corpus, as sent by SENDER (an id that is no member: nothing it says may stick).
std::vector<CorpusDatagram> malformed_corpus(const std::string& sender = "hostile");

// One JSON object per datagram: {"name", "expect": "refuse"|"accept", "hex"}.
nlohmann::json corpus_to_json(const std::vector<CorpusDatagram>& corpus);

}  // namespace gossip
