// The files `gossiplab init` writes.
#include "gossiplab/harness/init.hpp"

#include <fstream>

#include "gossiplab/harness/scenario.hpp"

namespace gossiplab::harness {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kNodeScript = R"SH(#!/bin/sh
# One node of @NAME@ under gossiplab (docs/node-contract.md in gossiplab's share/ or source).
# gossiplab runs, per node (impl.json "command"):
#   node.sh BIN --id ID --bind ADDR --port PORT --seeds ADDR:PORT,... --profile P --seed N
# BIN is gossiplab's own bin/ directory. The node must print JSON events on stdout (one per
# line: started, member, and per declared feature rumor, counters, view, refute, stopping),
# read JSON commands on stdin, write anything else on stderr, and exit on SIGTERM.
# Replace the exec line with your node. If your node prints its own log format, pipe it
# through a translator that prints contract events instead (gossiplab's adapters/serf/
# serf-node.py is a complete one). Then: gossiplab contract --impl THIS_FOLDER
bin="$1"; shift
if [ "${1:-}" = --version ]; then echo "@NAME@ 0.0.0 (the reference node until node.sh is edited)"; exit 0; fi
exec "$bin/gossip-node" "$@"   # <- your node here
)SH";

void write_new(const fs::path& file, const std::string& text) {
    if (fs::exists(file))
        throw ScenarioError(file.string(), "",
                            "exists already (gossiplab init overwrites nothing)");
    std::ofstream out(file);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

void write_starter(const fs::path& dir, const std::string& name, const json& profile) {
    fs::create_directories(dir);
    json m = {
        {"name", name},
        {"description", "TODO: what runs (your implementation, its version, how it is wrapped)"},
        {"contract", 2},
        {"version_command", {"{adapter}/node.sh", "{bin}", "--version"}},
        {"command",
         {"{adapter}/node.sh", "{bin}", "--id", "{id}", "--bind", "{addr}", "--port", "{port}",
          "--seeds", "{seeds}", "--profile", "{profile}", "--seed", "{rng_seed}"}},
        {"port", 7946},
        {"default_profile", "fast"},
        {"profiles", {{"fast", profile}}},
        {"features",
         {"suspicion_events", "incarnations", "refute_events", "rumors", "counters", "view",
          "leave", "state", "state_versions"}},
        {"notes",
         "Written by gossiplab init; edit every field. command: how one node starts, with the "
         "placeholders of docs/node-contract.md section 1 ({adapter} is this folder, {bin} "
         "gossiplab's bin/). profiles: your implementation's real timing knobs in seconds (null "
         "where it has none): every checker bound is computed from them; these are the "
         "reference node's. features: keep only what your node reports; gossiplab contract "
         "fails a declared feature that does not work and skips undeclared ones."}};
    write_new(dir / "impl.json", m.dump(2) + "\n");
    std::string script = kNodeScript;
    for (size_t p; (p = script.find("@NAME@")) != std::string::npos;) script.replace(p, 6, name);
    write_new(dir / "node.sh", script);
    fs::permissions(dir / "node.sh", fs::perms::owner_all | fs::perms::group_read |
                                         fs::perms::group_exec | fs::perms::others_read |
                                         fs::perms::others_exec);
}

}  // namespace gossiplab::harness
