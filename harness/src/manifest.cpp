// Implementation manifests: strict loading and command-template expansion.
#include "gossiplab/harness/manifest.hpp"

#include <algorithm>
#include <boost/process.hpp>
#include <fstream>
#include <iterator>
#include <set>

#include "gossiplab/harness/scenario.hpp"

namespace gossiplab::harness {

using nlohmann::json;

const std::vector<std::string>& profile_knobs() {
    static const std::vector<std::string> k = {"probe_interval",
                                               "probe_timeout",
                                               "gossip_interval",
                                               "fanout",
                                               "indirect_checks",
                                               "suspicion_mult",
                                               "suspicion_max_timeout_mult",
                                               "retransmit_mult",
                                               "push_pull_interval",
                                               "dead_retention",
                                               "reconnect_interval"};
    return k;
}

const std::vector<std::string>& optional_profile_knobs() {
    static const std::vector<std::string> k = {"fail_after", "cleanup_after"};
    return k;
}

bool Manifest::has(const std::string& f) const {
    return std::find(features.begin(), features.end(), f) != features.end();
}

const json& Manifest::profile(const std::string& want) const {
    std::string n = want.empty() ? default_profile : want;
    auto it = profiles.find(n);
    if (it == profiles.end()) {
        std::string known;
        for (const auto& [k, v] : profiles) known += (known.empty() ? "" : ", ") + k;
        throw ScenarioError(file.string(), "/profiles",
                            "no profile \"" + n + "\" (known: " + known + ")");
    }
    return it->second;
}

namespace {

std::vector<std::string> string_list(const json& j, const std::string& file,
                                     const std::string& path) {
    if (!j.is_array()) throw ScenarioError(file, path, "expected an array of strings");
    std::vector<std::string> out;
    for (size_t i = 0; i < j.size(); ++i) {
        if (!j[i].is_string())
            throw ScenarioError(file, path + "/" + std::to_string(i), "expected a string");
        out.push_back(j[i].get<std::string>());
    }
    return out;
}

// j[key] as a string, `dflt` when absent. Throws ScenarioError (file, /key) for another type.
std::string opt_string(const json& j, const char* key, const std::string& dflt,
                       const std::string& file) {
    auto it = j.find(key);
    if (it == j.end()) return dflt;
    if (!it->is_string()) throw ScenarioError(file, std::string("/") + key, "expected a string");
    return it->get<std::string>();
}

}  // namespace

bool is_manifest_path(const std::string& name) {
    return name.find('/') != std::string::npos ||
           (name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0);
}

namespace {

// The manifest file NAME means: HOME/adapters/NAME/impl.json for a name, the file itself
// (or DIR/impl.json for a folder) for a path. Throws ScenarioError when there is none.
std::filesystem::path manifest_file(const std::filesystem::path& home, const std::string& name) {
    namespace fs = std::filesystem;
    if (is_manifest_path(name)) {
        fs::path p = name;
        if (fs::is_directory(p)) p /= "impl.json";
        if (!fs::is_regular_file(p))
            throw ScenarioError(p.string(), "",
                                "no implementation manifest here (--impl takes a name from "
                                "adapters/ or the path of an impl.json)");
        return fs::absolute(p).lexically_normal();
    }
    fs::path adapters = home / "adapters";
    fs::path file = adapters / name / "impl.json";
    if (name.empty() || name == "." || name == ".." || !fs::exists(file)) {
        std::string known;
        std::error_code ec;
        for (const auto& d : fs::directory_iterator(adapters, ec))
            if (fs::exists(d.path() / "impl.json"))
                known += (known.empty() ? "" : ", ") + d.path().filename().string();
        throw ScenarioError(file.string(), "",
                            "no implementation named \"" + name +
                                "\" (known: " + (known.empty() ? "none" : known) +
                                "; or give the path of an impl.json)");
    }
    return file;
}

}  // namespace

Manifest load_manifest(const std::filesystem::path& home, const std::string& name) {
    namespace fs = std::filesystem;
    const fs::path file = manifest_file(home, name);
    const std::string f = file.string();
    std::ifstream in(file);
    json j;
    try {
        j = json::parse(in);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for a number too big
        throw ScenarioError(f, "", std::string("not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw ScenarioError(f, "", "expected an object");
    static const std::set<std::string> keys = {
        "name",  "description",       "contract",        "version_command", "command",
        "port",  "profiles",          "default_profile", "features",        "setup",
        "notes", "reset_incarnation", "malformed_corpus"};
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!keys.count(it.key())) throw ScenarioError(f, "/" + it.key(), "unknown key");
    Manifest m;
    m.file = file;
    m.dir = file.parent_path();
    m.ref = is_manifest_path(name) ? f : name;
    m.name = opt_string(j, "name", is_manifest_path(name) ? m.dir.filename().string() : name, f);
    m.description = opt_string(j, "description", "", f);
    if (!j.contains("contract") || !(j["contract"] == 1 || j["contract"] == 2))
        throw ScenarioError(f, "/contract",
                            "expected 1 or 2 (this harness speaks node contract v1 and v2)");
    m.contract = j["contract"].get<int>();
    if (!j.contains("command")) throw ScenarioError(f, "/command", "missing the command template");
    m.command = string_list(j["command"], f, "/command");
    if (m.command.empty()) throw ScenarioError(f, "/command", "expected a non-empty array");
    std::map<std::string, std::string> dummy;
    for (const char* k : {"id", "addr", "port", "seeds", "seed_ids", "profile", "rng_seed", "bin",
                          "adapter", "scratch"})
        dummy[k] = "x";
    expand_command(m.command, dummy, f);  // typos in placeholders fail now, not per node
    if (j.contains("version_command"))
        m.version_command = string_list(j["version_command"], f, "/version_command");
    if (j.contains("port")) {
        if (!j["port"].is_number_integer() || j["port"] < 1 || j["port"] > 65535)
            throw ScenarioError(f, "/port", "expected a port number 1..65535");
        m.port = j["port"];
    }
    m.features = j.contains("features") ? string_list(j["features"], f, "/features")
                                        : std::vector<std::string>{};
    if (m.contract < 2 && m.has("state"))
        throw ScenarioError(f, "/features",
                            "feature \"state\" needs \"contract\": 2 (application state is v2)");
    if (m.has("state_versions") && !m.has("state"))
        throw ScenarioError(f, "/features",
                            "feature \"state_versions\" needs the feature \"state\" (it says "
                            "how the state events' versions order them)");
    if (j.contains("setup")) m.setup = string_list(j["setup"], f, "/setup");
    if (j.contains("reset_incarnation")) {
        m.reset_incarnation = string_list(j["reset_incarnation"], f, "/reset_incarnation");
        expand_command(*m.reset_incarnation, dummy, f);
    }
    if (j.contains("malformed_corpus")) {
        m.malformed_corpus = string_list(j["malformed_corpus"], f, "/malformed_corpus");
        if (m.malformed_corpus.empty())
            throw ScenarioError(f, "/malformed_corpus", "expected a non-empty command array");
        expand_command(m.malformed_corpus, dummy, f);
    }
    if (!j.contains("profiles") || !j["profiles"].is_object() || j["profiles"].empty())
        throw ScenarioError(f, "/profiles", "expected an object of named timing profiles");
    for (auto it = j["profiles"].begin(); it != j["profiles"].end(); ++it) {
        std::string p = "/profiles/" + it.key();
        const json& prof = it.value();
        if (!prof.is_object()) throw ScenarioError(f, p, "expected an object of knobs");
        for (const auto& k : profile_knobs()) {
            if (!prof.contains(k))
                throw ScenarioError(f, p + "/" + k, "missing knob (a number, or null)");
            if (!prof[k].is_null() && !(prof[k].is_number() && prof[k].get<double>() >= 0))
                throw ScenarioError(f, p + "/" + k, "expected a number >= 0 or null");
        }
        for (auto kt = prof.begin(); kt != prof.end(); ++kt) {
            const auto& opt = optional_profile_knobs();
            if (std::find(opt.begin(), opt.end(), kt.key()) != opt.end()) {
                if (!kt->is_null() && !(kt->is_number() && kt->get<double>() >= 0))
                    throw ScenarioError(f, p + "/" + kt.key(), "expected a number >= 0 or null");
                continue;
            }
            if (std::find(profile_knobs().begin(), profile_knobs().end(), kt.key()) ==
                profile_knobs().end())
                throw ScenarioError(f, p + "/" + kt.key(), "unknown timing knob");
        }
        m.profiles[it.key()] = prof;
    }
    m.default_profile = opt_string(j, "default_profile", m.profiles.begin()->first, f);
    if (!m.profiles.count(m.default_profile))
        throw ScenarioError(f, "/default_profile", "names no profile in /profiles");
    return m;
}

std::vector<HostileDatagram> load_corpus(const Manifest& m, const std::filesystem::path& bin) {
    const std::string f = m.file.string();
    const std::string where = "/malformed_corpus";
    if (m.malformed_corpus.empty())
        throw ScenarioError(f, where,
                            "the scenario injects hostile input, and " + m.name +
                                " names no malformed_corpus command to print its corpus");
    auto argv =
        expand_command(m.malformed_corpus, {{"bin", bin.string()}, {"adapter", m.dir.string()}}, f);
    std::string text;
    int rc = -1;
    try {
        namespace bp = boost::process;
        bp::ipstream out;
        std::vector<std::string> rest(argv.begin() + 1, argv.end());
        bp::child c(bp::exe = argv[0], bp::args = rest, bp::std_out > out, bp::std_err > bp::null,
                    bp::std_in < bp::null);
        text.assign(std::istreambuf_iterator<char>(out), std::istreambuf_iterator<char>());
        c.wait();
        rc = c.exit_code();
    } catch (const std::exception& e) {
        throw ScenarioError(f, where, "cannot run " + argv[0] + ": " + e.what());
    }
    if (rc != 0) throw ScenarioError(f, where, argv[0] + " exited " + std::to_string(rc));
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_array() || j.empty())
        throw ScenarioError(f, where,
                            "expected the command to print a non-empty JSON array of "
                            "{\"name\", \"expect\", \"hex\"}");
    std::vector<HostileDatagram> out;
    for (size_t i = 0; i < j.size(); ++i) {
        const json& d = j[i];
        const std::string at = where + " output [" + std::to_string(i) + "]";
        if (!d.is_object() || !d.contains("name") || !d["name"].is_string() ||
            !d.contains("expect") || !(d["expect"] == "refuse" || d["expect"] == "accept") ||
            !d.contains("hex") || !d["hex"].is_string())
            throw ScenarioError(f, at,
                                "expected {\"name\": string, \"expect\": \"refuse\" or "
                                "\"accept\", \"hex\": string}");
        const std::string hex = d["hex"].get<std::string>();
        if (hex.empty() || hex.size() % 2 != 0 || hex.size() > 2 * 65507 ||
            hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
            throw ScenarioError(f, at + "/hex",
                                "expected 1 to 65507 bytes as an even number of hex digits");
        HostileDatagram h{d["name"].get<std::string>(), d["expect"] == "refuse", {}};
        for (size_t k = 0; k < hex.size(); k += 2)
            h.bytes.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(k, 2), nullptr, 16)));
        out.push_back(std::move(h));
    }
    return out;
}

json inject_fields(const std::string& node, const std::vector<HostileDatagram>& corpus) {
    if (corpus.empty()) throw std::runtime_error("no hostile-input corpus was loaded");
    size_t refuse = 0, accept = 0;
    json names = json::array();
    for (const auto& d : corpus) {
        (d.refuse ? refuse : accept) += 1;
        names.push_back(d.name);
    }
    return {{"node", node}, {"refuse", refuse}, {"accept", accept}, {"datagrams", names}};
}

std::vector<std::string> expand_command(const std::vector<std::string>& tmpl,
                                        const std::map<std::string, std::string>& vars,
                                        const std::string& manifest_file) {
    std::vector<std::string> out;
    for (size_t i = 0; i < tmpl.size(); ++i) {
        const std::string& arg = tmpl[i];
        std::string r;
        // {name} with a lower-case identifier is a placeholder (unknown ones
        // are typos, reported); any other brace is literal text, so shell
        // snippets in a template keep their own braces.
        for (size_t p = 0; p < arg.size();) {
            size_t e = arg[p] == '{' ? arg.find('}', p) : std::string::npos;
            std::string key = e == std::string::npos ? "" : arg.substr(p + 1, e - p - 1);
            bool ident = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || c == '_';
            });
            if (!ident) {
                r += arg[p++];
                continue;
            }
            auto it = vars.find(key);
            if (it == vars.end())
                throw ScenarioError(manifest_file, "/command/" + std::to_string(i),
                                    "unknown placeholder {" + key + "}");
            r += it->second;
            p = e + 1;
        }
        out.push_back(r);
    }
    return out;
}

std::function<json(const std::string&, const std::string&)> profile_lookup(
    const std::filesystem::path& home) {
    return [home](const std::string& impl, const std::string& profile) -> json {
        return load_manifest(home, impl).profile(profile);
    };
}

std::vector<std::string> reset_arguments(const Manifest& m,
                                         const std::map<std::string, std::string>& vars) {
    if (!m.reset_incarnation)
        throw std::runtime_error(
            m.file.string() +
            ": the scenario restarts a node with its incarnation reset, but the manifest has no "
            "\"reset_incarnation\" (the arguments that start a node at its initial incarnation; "
            "docs/node-contract.md)");
    return expand_command(*m.reset_incarnation, vars, m.file.string());
}

}  // namespace gossiplab::harness
