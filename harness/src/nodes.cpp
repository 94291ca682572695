// Launching nodes: the command template, the seeds each is given, and node_start.
#include "nodes.hpp"

namespace gossiplab::harness {

using nlohmann::json;

Nodes::Nodes(const Scenario& sc, const Manifest& m, const Network& net,
             const std::filesystem::path& bin_dir, NodeSupervisor& sup, Recorder& rec,
             ScratchArea& scratch)
    : sc_(sc), m_(m), net_(net), bin_dir_(bin_dir), sup_(sup), rec_(rec), scratch_(scratch) {
    for (const auto& arg : m_.command) uses_scratch_ |= arg.find("{scratch}") != std::string::npos;
    for (const auto& id : sc_.nodes) state_[id];
    for (const auto& [id, st] : state_) ids_.push_back(id);
}

int Nodes::up() const {
    int n = 0;
    for (const auto& id : ids_) n += sup_.running(id);
    return n;
}

std::vector<std::string> Nodes::seed_ids(const std::string& id) const {
    std::vector<std::string> out;
    auto it = sc_.node_seeds.find(id);
    if (it == sc_.node_seeds.end()) return out;
    for (const auto& s : it->second)
        if (s != id) out.push_back(s);
    return out;
}

// The manifest's command for node `id`. Throws ScenarioError on an unknown placeholder, and
// std::runtime_error when the node's scratch directory cannot be made.
std::vector<std::string> Nodes::command(const std::string& id, const State& st, bool reset) {
    std::string seeds, seed_list;
    for (const auto& s : seed_ids(id)) {
        seeds += (seeds.empty() ? "" : ",") + net_.address(s) + ":" + std::to_string(m_.port);
        seed_list += (seed_list.empty() ? "" : ",") + s;
    }
    std::map<std::string, std::string> vars = {
        {"id", id},
        {"addr", net_.address(id)},
        {"port", std::to_string(m_.port)},
        {"seeds", seeds},
        {"seed_ids", seed_list},
        {"profile", sc_.profile.empty() ? m_.default_profile : sc_.profile},
        {"rng_seed", std::to_string(derive_seed(sc_.seed, id + "#" + std::to_string(st.starts)))},
        {"bin", bin_dir_.string()},
        {"adapter", m_.dir.string()},
        {"scratch", uses_scratch_ ? scratch_.dir(id).string() : ""}};
    std::vector<std::string> argv =
        expand_command(m_.command, vars, (m_.dir / "impl.json").string());
    if (reset) {
        const std::vector<std::string> extra = reset_arguments(m_, vars);
        argv.insert(argv.end(), extra.begin(), extra.end());
    }
    return argv;
}

std::map<std::string, pid_t> Nodes::groups() const {
    std::map<std::string, pid_t> out;
    for (const auto& [id, st] : state_)
        if (st.pid > 0 && sup_.running(id)) out[id] = st.pid;
    return out;
}

void Nodes::start(const std::string& id, double planned, bool restart, bool reset) {
    State& st = state_.at(id);
    if (sup_.running(id)) {
        rec_.action(ActionType::node_error, planned,
                    {{"node", id}, {"message", "start requested but the node is running"}});
        return;
    }
    std::vector<std::string> argv;
    pid_t pid = -1;
    try {
        argv = command(id, st, reset);
        pid = sup_.start(id, argv, net_.netns_fd(id));
    } catch (const std::exception& e) {
        rec_.action(ActionType::node_error, planned, {{"node", id}, {"message", e.what()}});
        return;
    }
    st.expect_exit = false;
    st.pid = pid;
    ++st.starts;
    rec_.action(ActionType::node_start, planned,
                {{"node", id},
                 {"pid", pid},
                 {"addr", net_.address(id) + ":" + std::to_string(m_.port)},
                 {"seeds", seed_ids(id)},
                 {"restart", restart},
                 {"argv", argv}});
}

void Nodes::kill_now(const std::string& id) {
    if (!sup_.running(id)) return;
    expect_exit(id);
    sup_.kill_now(id);
}

}  // namespace gossiplab::harness
