#!/usr/bin/env bash
# Setup + build + every test (unit and integration). Used by .ci/run.
#   scripts/test.sh [ctest args...]   e.g. scripts/test.sh -L unit (host tests only)
#   GOSSIPLAB_NO_VM=1 scripts/test.sh  the host's tests without the stock-kernel VM's
#   GOSSIPLAB_NO_FUZZ=1 scripts/test.sh  without the fuzzers (bench/fuzz)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser --serf --go --fuzz
scripts/build.sh
ctest_run() { (cd build && ctest --output-on-failure --timeout 600 "$@"); }
# The netem backend needs a kernel with sch_netem, which this machine's may lack: its tests
# run in a QEMU guest booting a stock Debian kernel (scripts/vm.sh, scripts/vm-tests.sh).
# Skipped when ctest was given a selection, or with GOSSIPLAB_NO_VM=1 (then say so).
if [ $# -gt 0 ]; then
  ctest_run "$@"
  exit 0
fi
if [ "${GOSSIPLAB_NO_VM:-}" = 1 ]; then
  ctest_run
  echo "test.sh: GOSSIPLAB_NO_VM=1: the netem backend's tests in the stock-kernel VM were NOT run" >&2
  exit 0
fi
# The VM's tests run alone: the TCG guest uses both cores and the timing tests inside it fail
# when anything else competes. Then the third-party adapters' tests (real Serf and memberlist
# clusters, 1 s probe periods, runs as long as their guarantees: minutes, little CPU; the two
# at once) run beside the libFuzzer targets (bench/fuzz, docs/fuzzing.md; built, then all five
# at once for 60 s, under the idle scheduler); a crash fails the run. Everything else runs
# first, alone. Each phase prints its wall time: CI is kept under 20 minutes.
phase() { echo "test.sh: $1 took $(($(date +%s) - t_phase)) s"; t_phase=$(date +%s); }
t_phase=$(date +%s)
ctest_run -E '^adapters_test:'
phase "the host's tests (ctest)"
vm_rc=0
scripts/vm.sh --timeout 1800 -- scripts/vm-tests.sh || vm_rc=$?
phase "the VM's tests"
fuzz=
if [ "${GOSSIPLAB_NO_FUZZ:-}" != 1 ]; then
  # In a process group of their own, so that they stop with this script.
  # Under the idle scheduler: the adapters' labs judge their own starvation (docs/checkers.md,
  # Starved runs), and a fuzzer or its build at nice 10 still delayed their nodes enough for
  # memberlist's restart-rejoin to be judged starved (exit 3) once.
  FUZZ_OPT=-O0 PARALLEL=5 setsid chrt -i 0 nice -n 19 bench/fuzz/run.sh 60 >build/fuzz.log 2>&1 &
  fuzz=$!
  trap '[ -z "$fuzz" ] || kill -- -"$fuzz" 2>/dev/null || true' EXIT
fi
adapters_rc=0
ctest_run -j2 -R '^adapters_test:' || adapters_rc=$?
fuzz_rc=0
if [ -n "$fuzz" ]; then
  wait "$fuzz" || fuzz_rc=$?
  fuzz=
  cat build/fuzz.log
fi
phase "the adapters' tests beside the fuzzers"
[ "$adapters_rc" -eq 0 ] || echo "test.sh: the adapters' tests failed (exit $adapters_rc)" >&2
[ "$vm_rc" -eq 0 ] || echo "test.sh: the VM's tests failed (exit $vm_rc)" >&2
[ "$fuzz_rc" -eq 0 ] ||
  echo "test.sh: a fuzzer failed (exit $fuzz_rc); reproducers in build-fuzz/artifacts/" >&2
[ "$adapters_rc" -eq 0 ] && [ "$vm_rc" -eq 0 ] && [ "$fuzz_rc" -eq 0 ]
