// libFuzzer: the implementation manifest loader (harness/src/manifest.cpp), impl.json as a
// third party writes it. load_manifest reads HOME/adapters/fz/impl.json, so each input is
// written there first (HOME: a directory of this process under $TMPDIR, which run.sh gives each
// target and removes: libFuzzer ends with _Exit, so no exit handler runs). Bad input must
// be a ScenarioError naming the file; a loaded manifest must give its default profile and
// expand its command with every documented placeholder.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "gossiplab/harness/manifest.hpp"
#include "gossiplab/harness/scenario.hpp"

using namespace gossiplab::harness;
namespace fs = std::filesystem;

namespace {

const fs::path& home() {
    static const fs::path h = [] {
        fs::path p =
            fs::temp_directory_path() / ("gossiplab-fuzz-manifest-" + std::to_string(::getpid()));
        fs::create_directories(p / "adapters" / "fz");
        return p;
    }();
    return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    {
        std::ofstream f(home() / "adapters" / "fz" / "impl.json",
                        std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(data), std::streamsize(size));
    }
    try {
        const Manifest m = load_manifest(home(), "fz");
        (void)m.profile("");
        std::map<std::string, std::string> vars;
        for (const char* k : {"id", "addr", "port", "seeds", "seed_ids", "profile", "rng_seed",
                              "bin", "adapter", "scratch"})
            vars[k] = "v";
        (void)expand_command(m.command, vars, "impl.json");
    } catch (const ScenarioError&) {
    }
    return 0;
}
