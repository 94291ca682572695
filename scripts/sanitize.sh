#!/usr/bin/env bash
# The unit tests once under AddressSanitizer + UndefinedBehaviorSanitizer: configures and builds
# build-asan/ (-DGOSSIPLAB_SANITIZE=ON, -O1) and runs `ctest -L unit` there. Any sanitizer
# report fails the test that produced it (-fno-sanitize-recover; ASan aborts on the first
# error). Prints the build's and the tests' wall time.
#   scripts/sanitize.sh [ctest args...]      e.g. scripts/sanitize.sh -R checkers_test
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build-asan}
t0=$(date +%s)
mkdir -p "$B"
if [ ! -f "$B/CMakeCache.txt" ]; then
  cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DGOSSIPLAB_SANITIZE=ON ${GOSSIPLAB_CMAKE_ARGS:-} >"$B/configure.log" 2>&1 ||
    { cat "$B/configure.log" >&2; rm -f "$B/CMakeCache.txt"; exit 1; }
fi
if ! cmake --build "$B" -j"${JOBS:-$(nproc)}" >"$B/build.log" 2>&1; then
  grep -E 'error' "$B/build.log" | head -20 >&2
  echo "sanitize.sh: build failed; see $B/build.log" >&2
  exit 1
fi
t1=$(date +%s)
echo "sanitize.sh: built in $((t1 - t0)) s"
# detect_leaks: the tests' processes end with objects still owned by statics; a leak is not a
# memory error, and LeakSanitizer needs ptrace, which some CI sandboxes refuse.
rc=0
(cd "$B" && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -L unit "$@") || rc=$?
echo "sanitize.sh: unit tests under ASan+UBSan took $(($(date +%s) - t1)) s (exit $rc)"
exit $rc
