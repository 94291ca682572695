#!/usr/bin/env bash
# Launches memberlist-node, building it from main.go first when the binary is missing or stale.
#   run.sh BIN_DIR [memberlist-node flags...]   run a node (BIN_DIR is the build's bin/)
#   run.sh BIN_DIR --build                      only build (the bench script and the test do
#                                               this before a run, so no node waits on a build)
# The binary is a build output, so it lives in BIN_DIR, never in the source tree. Nodes
# start in parallel: a lock makes one of them build while the others wait.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin_dir="${1:?usage: run.sh BIN_DIR [--build | memberlist-node flags]}"
mkdir -p "$bin_dir" && bin_dir="$(cd "$bin_dir" && pwd)"
shift
exe="$bin_dir/memberlist-node"

build() {
  if ! command -v go >/dev/null; then
    echo "memberlist adapter: 'go' is not installed (scripts/setup.sh --go installs" \
         "golang-go and golang-github-hashicorp-memberlist-dev)" >&2
    return 3
  fi
  if [ ! -d /usr/share/gocode/src/github.com/hashicorp/memberlist ]; then
    echo "memberlist adapter: /usr/share/gocode has no hashicorp/memberlist" \
         "(apt-get install golang-github-hashicorp-memberlist-dev)" >&2
    return 3
  fi
  mkdir -p "$bin_dir"
  (
    flock 9
    if [ ! -x "$exe" ] || [ "$here/main.go" -nt "$exe" ]; then
      echo "memberlist adapter: building $exe" >&2
      # Offline on purpose: Debian's source packages in GOPATH mode, no module downloads.
      (cd "$here" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= \
        GOCACHE="$bin_dir/.gocache" go build -o "$exe.tmp" main.go) && mv "$exe.tmp" "$exe"
    fi
  ) 9>"$bin_dir/.memberlist-node.lock"
}

if [ ! -x "$exe" ] || [ "$here/main.go" -nt "$exe" ]; then
  build || exit $?
fi
if [ "${1:-}" = "--build" ]; then exit 0; fi
exec "$exe" "$@"
