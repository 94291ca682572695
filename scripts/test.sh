#!/usr/bin/env bash
# Setup + build + every test (unit and integration). Used by .ci/run.
#   scripts/test.sh [ctest args...]   e.g. scripts/test.sh -L unit (host tests only)
#   GOSSIPLAB_NO_VM=1 scripts/test.sh  the host's tests without the stock-kernel VM's
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser --serf --go
scripts/build.sh
(cd build && ctest --output-on-failure --timeout 600 "$@")
# The netem backend needs a kernel with sch_netem, which this machine's may lack: its tests
# run in a QEMU guest booting a stock Debian kernel (scripts/vm.sh, scripts/vm-tests.sh).
# Skipped when ctest was given a selection, or with GOSSIPLAB_NO_VM=1 (then say so).
if [ $# -eq 0 ]; then
  if [ "${GOSSIPLAB_NO_VM:-}" = 1 ]; then
    echo "test.sh: GOSSIPLAB_NO_VM=1: the netem backend's tests in the stock-kernel VM were NOT run" >&2
  else
    scripts/vm.sh --timeout 1800 -- scripts/vm-tests.sh
  fi
fi
