#!/usr/bin/env bash
# Configures and builds everything into ./build (incremental). Prints compiler
# output only when something is wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
log=build/build.log
mkdir -p build
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo ${GOSSIPLAB_CMAKE_ARGS:-} >"$log" 2>&1 \
    || { cat "$log" >&2; echo "build.sh: cmake configure failed" >&2; exit 1; }
fi
echo "build.sh: building (${jobs} jobs)..." >&2
if ! cmake --build build -j"$jobs" >"$log" 2>&1; then
  grep -E 'error|Error' "$log" | head -40 >&2
  echo "build.sh: build failed; full log in $log" >&2
  exit 1
fi
grep -E 'warning:' "$log" >&2 || true
