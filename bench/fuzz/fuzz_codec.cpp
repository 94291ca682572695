// libFuzzer: the reference node's packet decoder (reference-node/src/codec.cpp), which reads
// whatever arrives on its UDP port. It must never crash, read out of bounds or throw, and a
// packet it accepts must survive a round trip: encode(decode(x)) decodes to the same bytes.
//
// GOSSIPLAB_FUZZ_WRITE_SEEDS=DIR: writes one valid packet per message type (the encoder's own
// output, as codec_test builds them) into DIR and exits: the corpus' seeds (bench/fuzz/run.sh).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "gossip/codec.hpp"

using namespace gossip;

namespace {

void write_seeds(const std::string& dir) {
    const std::vector<Message> all = {
        Ping{7, "n2"},
        PingReq{8, "n3", Addr{0x0a000003, 7946}, true},
        Ack{9},
        Nack{10},
        Alive{"n4", 1795360850475ull, Addr{0xc6120002, 7946}},
        Suspect{"n5", 3, "n1"},
        Dead{"n6", 4, "n6"},
        Rumor{"r1", "n1", "hello"},
        PullReq{},
        PushPull{true,
                 false,
                 {{"n1", 1, MemberState::alive, Addr{0xc6120002, 7946}},
                  {"n2", 2, MemberState::suspect, Addr{0xc6120003, 7946}}}},
        KvUpdate{"n2", "color", 1795360850476ull, false, "blue", false},
        KvUpdate{"n3", "size", 9, true, "", true},
        SyncRoot{0x1122334455667788ull, 42},
        SyncChildren{2, 0x3f, {{SyncSum{7, 1}, SyncSum{}, SyncSum{9, 40}}}},
        SyncLeaf{8, 0xfffffffeull, {{1, 2, 3}, {4, 5, 6}}},
        SyncWant{{1, 4}},
    };
    int i = 0;
    for (const auto& m : all) {
        const auto bytes = encode_packet(Packet{"n1", {m}});
        std::ofstream(dir + "/msg-" + std::to_string(i++), std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
    const auto compound = encode_packet(Packet{"n1", all});
    std::ofstream(dir + "/compound", std::ios::binary)
        .write(reinterpret_cast<const char*>(compound.data()), std::streamsize(compound.size()));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (const char* dir = std::getenv("GOSSIPLAB_FUZZ_WRITE_SEEDS")) {
        write_seeds(dir);
        std::exit(0);
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const Decoded d = decode_packet({data, size}, 1400);
    if (!d.ok) return 0;
    const std::vector<uint8_t> once = encode_packet(d.packet);
    const Decoded again = decode_packet(once, once.size());
    if (!again.ok) {
        std::fprintf(stderr, "re-encoded packet rejected: %s\n", again.error.c_str());
        std::abort();
    }
    if (encode_packet(again.packet) != once) {
        std::fprintf(stderr, "round trip changed the packet\n");
        std::abort();
    }
    return 0;
}
