#!/usr/bin/env bash
# Runs one scenario for one implementation at several seeds: the rate of a verdict that
# differs between suite runs (bench/conformance/run.sh --rates DIR counts these runs).
#   bench/conformance/rates.sh --impl IMPL --scenario NAME [--seeds "3 4 5 6 7"]
#                              [--out DIR] [--build DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build"
impl="" scenario="" seeds="3 4 5 6 7" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --impl) impl="$2"; shift 2 ;;
    --scenario) scenario="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build) build="$(cd "$2" && pwd)"; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "rates.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$impl" ] && [ -n "$scenario" ] || { echo "rates.sh: --impl and --scenario are required" >&2; exit 2; }
[ -n "$out" ] || out="$build/conformance/rates"
gl="$build/bin/gossiplab"
[ -x "$gl" ] || { echo "rates.sh: $gl not found: build it first" >&2; exit 2; }
mkdir -p "$out"
fails=0 runs=0
for s in $seeds; do
  dir="$out/$impl-$scenario-s$s"
  rm -rf "$dir"
  rc=0; GOSSIPLAB_HOME="$root" "$gl" run "$scenario" --impl "$impl" --seed "$s" --out "$dir" \
    >"$dir.log" 2>&1 || rc=$?
  [ "$rc" -gt 1 ] && echo "rates.sh: seed $s exited $rc; see $dir.log" >&2
  runs=$((runs + 1)); [ "$rc" -ne 0 ] && fails=$((fails + 1))
  v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("verdict", "?"))' \
    "$dir/report.json" 2>/dev/null || echo "no report")
  echo "rates.sh: $impl $scenario seed $s: $v" >&2
done
echo "rates.sh: $impl $scenario: $fails of $runs runs not passing" >&2
