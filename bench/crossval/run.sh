#!/usr/bin/env bash
# Cross-validation of the lab and the simulation: runs the quick suite at its own node counts
# once in the real lab and once under --impairment sim, then puts per scenario the two
# backends' metrics side by side and writes docs/simulation.md's crossval section.
#   bench/crossval/run.sh [--build DIR] [--out DIR] [--seed S] [--spread-seeds "1 2 ... 10"]
#                         [--sim-only] [--render-only] [--no-doc]
# The lab set (default impairment: real gossip-node processes, one network namespace each)
# takes about 2.5 minutes and is timing-sensitive: run it at normal priority (never under
# chrt -i: the lab judges CPU starvation and would call its own runs starved) and on a quiet
# machine. --sim-only re-runs only the simulation (deterministic, about a second) and keeps the
# lab set recorded in bench/crossval/results.json. Runs go to OUT/lab and OUT/sim; render.py
# reads their report.json files into bench/crossval/results.json (the committed copy the
# document is rendered from), joins bench/crossval/explanations.json and prints the table.
# The simulation also runs at each of --spread-seeds (OUT/sim-seedS): the table shows the range
# of a metric over those seeds beside the lab's value. --no-doc prints only; --render-only
# re-reads the runs already in OUT.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build"
out=""
seed=1
spread_seeds="1 2 3 4 5 6 7 8 9 10"
sets="lab sim"
render_only=0
doc=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$(cd "$2" && pwd)"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --spread-seeds) spread_seeds="$2"; shift 2 ;;
    --sim-only) sets="sim"; shift ;;
    --render-only) render_only=1; shift ;;
    --no-doc) doc=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$build/crossval"
gl="$build/bin/gossiplab"
if [ ! -x "$gl" ]; then
  echo "run.sh: $gl not found: build it first (cmake --build $build --target gossiplab gossip-node)" >&2
  exit 2
fi
mkdir -p "$out"
if [ "$render_only" -eq 0 ]; then
  for set in $sets; do
    dir="$out/$set"
    rm -rf "$dir"
    args=(suite --quick --seed "$seed" --out "$dir")
    [ "$set" = lab ] || args+=(--impairment sim)
    printf '{"commit": "%s", "seed": %s, "set": "%s", "started": "%s", "load_before": "%s", "command": "gossiplab %s"}\n' \
      "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$seed" "$set" \
      "$(date -u +%Y-%m-%dT%H:%MZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" "${args[*]/#$root\//}" \
      >"$out/$set-info.json"
    echo "run.sh: $set: gossiplab ${args[*]}" >&2
    # A failing check is a result here (exit 1), not an error; 3 is a starved lab run.
    rc=0
    GOSSIPLAB_HOME="$root" "$gl" "${args[@]}" >"$out/$set.log" 2>&1 || rc=$?
    if [ "$rc" -gt 1 ]; then echo "run.sh: $set suite exited $rc; see $out/$set.log" >&2; fi
    python3 - "$out/$set-info.json" "$rc" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
info["exit"] = int(sys.argv[2])
info["load_after"] = " ".join(open("/proc/loadavg").read().split()[:3])
json.dump(info, open(sys.argv[1], "w"))
PY
  done
fi
# The simulation's own spread: the same quick suite at other seeds (about a second each), so a
# difference can be set against how much one seed's value moves with the seed.
spread=""
if [[ " $sets " == *" sim "* ]]; then
  for s in $spread_seeds; do
    [ "$s" != "$seed" ] || continue
    spread="$spread $s"
    [ "$render_only" -eq 1 ] && continue
    rm -rf "$out/sim-seed$s"
    rc=0
    GOSSIPLAB_HOME="$root" "$gl" suite --quick --seed "$s" --impairment sim --out "$out/sim-seed$s" \
      >"$out/sim-seed$s.log" 2>&1 || rc=$?
    if [ "$rc" -gt 1 ]; then echo "run.sh: sim seed $s suite exited $rc; see $out/sim-seed$s.log" >&2; fi
  done
fi
args=(--runs "$out" --sets "$sets" --spread "${spread# }")
if [ "$doc" -eq 1 ]; then args+=(--write); fi
python3 "$root/bench/crossval/render.py" "${args[@]}"
