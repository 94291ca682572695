#!/usr/bin/env bash
# Runs scenarios/detector-compare.json at each N under SWIM and under the heartbeat detector,
# prints the side-by-side table and writes docs/conformance.md's detector-compare section.
#   bench/detector-compare/run.sh [--build DIR] [--out DIR] [--impairment B] [--seed S]
#                                 [--nodes "10 25 50 100"] [--profiles "fast heartbeat"]
#                                 [--render-only] [--no-doc]
# --impairment sim (the default here) runs the reference core in virtual time: deterministic,
# about a second; any other backend (auto: the lab) runs real processes, minutes. Each run goes
# to OUT/PROFILE-nN; render.py reads their report.json into bench/detector-compare/results.json
# (the committed copy the document is rendered from) and prints the table. --no-doc leaves
# results.json and the document alone (print only). --render-only re-reads the runs in OUT.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build"
out=""
impairment=sim
seed=1
nodes="10 25 50 100"
profiles="fast heartbeat"
render_only=0
doc=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$(cd "$2" && pwd)"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --impairment) impairment="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    --profiles) profiles="$2"; shift 2 ;;
    --render-only) render_only=1; shift ;;
    --no-doc) doc=0; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$build/detector-compare-$impairment"
gl="$build/bin/gossiplab"
if [ ! -x "$gl" ]; then
  echo "run.sh: $gl not found: build it first (cmake --build $build --target gossiplab gossip-node)" >&2
  exit 2
fi
mkdir -p "$out"
if [ "$render_only" -eq 0 ]; then
  printf '{"commit": "%s", "seed": %s, "impairment": "%s", "started": "%s"}\n' \
    "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$seed" "$impairment" \
    "$(date -u +%Y-%m-%dT%H:%MZ)" >"$out/run-info.json"
  for profile in $profiles; do
    for n in $nodes; do
      dir="$out/$profile-n$n"
      rm -rf "$dir"
      echo "run.sh: $profile N=$n ($impairment)" >&2
      # A failing check is a result here (exit 1), not an error.
      rc=0
      GOSSIPLAB_HOME="$root" "$gl" run "$root/scenarios/detector-compare.json" --nodes "$n" \
        --profile "$profile" --seed "$seed" --impairment "$impairment" --out "$dir" \
        >"$dir.log" 2>&1 || rc=$?
      if [ "$rc" -gt 1 ]; then echo "run.sh: $profile N=$n exited $rc; see $dir.log" >&2; fi
    done
  done
fi
args=(--runs "$out" --nodes "$nodes" --profiles "$profiles")
if [ "$doc" -eq 1 ]; then args+=(--write); fi
python3 "$root/bench/detector-compare/render.py" "${args[@]}"
