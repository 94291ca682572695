#!/usr/bin/env bash
# Mutation score of the suite over the reference node's core (issue 19). A benchmark, not a
# test: see bench/mutation/run.py --help and docs/conformance.md (Mutation score).
#   bench/mutation/run.sh [--sample K] [--seed S] [--files F ...] [--out DIR] [--jobs J] [--ids FILE]
# Needs a build of gossiplab (default ./build: scripts/build.sh or cmake --build build --target
# gossiplab). Every compile, link and suite runs under the idle scheduler.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec python3 bench/mutation/run.py "$@"
