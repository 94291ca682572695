// The nodes' scratch directories ({scratch} in a manifest's command): one directory per node
// under RUN_DIR/scratch, made before the node first starts, kept across its restarts in the
// run (like a disk), and removed with everything in it when the run ends, whatever the node
// did (a node killed by a crash fault cannot clean up after itself).
//
// Inside the lab's private mount namespace RUN_DIR/scratch is a tmpfs mounted there: the
// host's file system only ever holds the empty mount point, and the files go with the
// namespace when its last process dies, so a SIGKILLed controller leaves none either.
// Elsewhere (loopback runs outside the lab) it is a plain directory.
#pragma once

#include <filesystem>
#include <string>

namespace gossiplab::harness {

class ScratchArea {
  public:
    ScratchArea() = default;
    ScratchArea(const ScratchArea&) = delete;
    ScratchArea& operator=(const ScratchArea&) = delete;
    // Removes the area (remove()).
    ~ScratchArea();

    // Makes `root` (absolute or not; kept absolute) the area, mounting a tmpfs on it when
    // `private_mounts` (the process is in a mount namespace of its own). Nothing is created
    // until the first dir(). Throws std::runtime_error when called twice.
    void open(const std::filesystem::path& root, bool private_mounts);
    // The absolute directory of node `id`, created (with the area) on first use. Throws
    // std::runtime_error naming the path when it cannot be created, or before open().
    std::filesystem::path dir(const std::string& id);
    // Unmounts and deletes the area and everything in it; idempotent; never throws (a
    // failure is reported on stderr, naming the path).
    void remove();

    bool is_tmpfs() const { return mounted_; }
    const std::filesystem::path& root() const { return root_; }

  private:
    std::filesystem::path root_;
    bool private_mounts_ = false;
    bool created_ = false;
    bool mounted_ = false;
};

}  // namespace gossiplab::harness
