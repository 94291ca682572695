// Scratch directories for nodes: RUN_DIR/scratch/ID, a tmpfs inside the lab's mount namespace.
#include "scratch.hpp"

#include <sys/mount.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace gossiplab::harness {

namespace fs = std::filesystem;

ScratchArea::~ScratchArea() {
    remove();
}

void ScratchArea::open(const fs::path& root, bool private_mounts) {
    if (!root_.empty()) throw std::runtime_error("scratch area opened twice");
    root_ = fs::absolute(root);
    private_mounts_ = private_mounts;
}

fs::path ScratchArea::dir(const std::string& id) {
    if (root_.empty()) throw std::runtime_error("scratch area used before it was opened");
    if (!created_) {
        std::error_code ec;
        fs::create_directories(root_, ec);
        if (ec) throw std::runtime_error("cannot create " + root_.string() + ": " + ec.message());
        created_ = true;
        // A tmpfs in our own mount namespace: nothing of it reaches the host's disk, and it
        // vanishes with the namespace. Refused (an unusual kernel or policy): a plain directory.
        if (private_mounts_ && ::mount("gossiplab-scratch", root_.c_str(), "tmpfs",
                                       MS_NOSUID | MS_NODEV, "mode=0755") == 0)
            mounted_ = true;
    }
    // The id is untrusted text (docs/node-contract.md): it must name one directory below root.
    if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos)
        throw std::runtime_error("node id " + id + " cannot name a scratch directory");
    fs::path d = root_ / id;
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec) throw std::runtime_error("cannot create " + d.string() + ": " + ec.message());
    return d;
}

void ScratchArea::remove() {
    if (!created_) return;
    if (mounted_ && ::umount2(root_.c_str(), MNT_DETACH) != 0)
        std::fprintf(stderr, "gossiplab: cannot unmount the scratch area %s: %s\n", root_.c_str(),
                     std::strerror(errno));
    mounted_ = false;
    std::error_code ec;
    fs::remove_all(root_, ec);
    if (ec)
        std::fprintf(stderr, "gossiplab: cannot remove the scratch area %s: %s\n", root_.c_str(),
                     ec.message().c_str());
    created_ = false;
}

}  // namespace gossiplab::harness
