#!/usr/bin/env bash
# The quick suite against the reference node, RUNS times, with HOGS CPU-bound processes beside
# it (a shared CI runner). Prints, per run, each scenario's verdict and how late the lab ran
# (run_health's metrics.load: the controller's timer lag, the engine's release lag, the nodes'
# wait for a CPU; docs/checkers.md "Starved runs"), and a `bench-result` line for bench/run.py.
#
#   bench/load/run.sh [RUNS=3] [HOGS=2]      (root; environment: GOSSIPLAB_BUILD, OUT)
#
# Exit 0 when every run ended 0 (passed) or 3 (a failure judged the environment's, with its
# measured lag), 1 when a run failed on a check, 2 on bad arguments.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs="${1:-3}"
hogs="${2:-2}"
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then sed -n 2,10p "$0" | cut -c3-; exit 0; fi
[[ "$runs" =~ ^[1-9][0-9]*$ && "$hogs" =~ ^[0-9]+$ ]] ||
  { echo "bench/load/run.sh: expected RUNS (>= 1) and HOGS (>= 0), got '$runs' '$hogs'" >&2; exit 2; }
build="${GOSSIPLAB_BUILD:-$root/build}"
gl="$build/bin/gossiplab"
[[ -x "$gl" ]] || { echo "bench/load/run.sh: no $gl (build first: scripts/build.sh)" >&2; exit 2; }
out="${OUT:-$(mktemp -d /tmp/gossiplab-load-XXXXXX)}"
mkdir -p "$out"

pids=()
stop_hogs() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }
trap stop_hogs EXIT INT TERM
for ((h = 0; h < hogs; h++)); do
  ( trap - TERM; while :; do :; done ) &
  pids+=("$!")
done
echo "load: $hogs CPU hog(s) beside the quick suite, $runs run(s), on $(nproc) CPU(s) -> $out"
worst=0
for ((i = 1; i <= runs; i++)); do
  rc=0
  "$gl" suite --quick --out "$out/run$i" >"$out/run$i.log" 2>&1 || rc=$?
  python3 "$here/summarize.py" "$out/run$i" "$rc" "$hogs" "$i"
  if [[ $rc -ne 0 && $rc -ne 3 ]]; then worst=1; fi
done
stop_hogs
exit "$worst"
