#!/usr/bin/env bash
# The main job: setup + build, then the quick conformance suite against the
# reference node. Ends with the verdict table and the path of index.html.
#   scripts/main.sh [gossiplab suite options...]   e.g. scripts/main.sh --impl reference
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/bin/gossiplab suite --quick "$@"
