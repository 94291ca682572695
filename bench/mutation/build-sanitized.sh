#!/usr/bin/env bash
# The build the mutation run judges mutants with (bench/mutation/run.sh --build build-san):
# gossiplab and gossip-node under AddressSanitizer, UndefinedBehaviorSanitizer (with
# float-cast-overflow) and libstdc++'s debug containers (_GLIBCXX_DEBUG: a dereferenced end()
# iterator aborts), at -O1, with clang++-14 when it is there (scripts/setup.sh --fuzz): gcc 12's
# float-cast-overflow lets a NaN converted to an integer pass, clang's does not. A mutant whose only effect is a memory error or undefined behaviour
# (a read past a packet's end, a NaN converted to an integer) then aborts the suite: killed
# (crash), where a release build may run on by luck. The suite itself passes there unchanged
# (the baseline run checks that first). Incremental; prints the build's wall time.
#   bench/mutation/build-sanitized.sh [DIR=build-san]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build-san}
cxx=()
if command -v clang++-14 >/dev/null; then cxx=(-DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14); fi
t0=$(date +%s)
mkdir -p "$B"
if [ ! -f "$B/CMakeCache.txt" ]; then
  cmake -S . -B "$B" "${cxx[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -D_GLIBCXX_DEBUG" -DGOSSIPLAB_SANITIZE=ON \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$B/configure.log" 2>&1 ||
    { cat "$B/configure.log" >&2; rm -f "$B/CMakeCache.txt"; exit 1; }
fi
if ! cmake --build "$B" -j"${JOBS:-$(nproc)}" --target gossiplab gossip-node >"$B/build.log" 2>&1; then
  grep -E 'error' "$B/build.log" | head -20 >&2
  echo "build-sanitized.sh: build failed; see $B/build.log" >&2
  exit 1
fi
echo "build-sanitized.sh: $B built in $(($(date +%s) - t0)) s"
