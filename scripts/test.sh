#!/usr/bin/env bash
# Setup + build + every test (unit and integration). Used by .ci/run.
#   scripts/test.sh [ctest args...]   e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser --serf --go
scripts/build.sh
cd build
ctest --output-on-failure --timeout 600 "$@"
