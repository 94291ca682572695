#!/usr/bin/env bash
# Renders docs/conformance-results.md from recorded run sets, the way the committed document
# was made: three whole sets of the suite (RUNS/s1a seed 1, RUNS/s1b seed 1 again, RUNS/s2
# seed 2; each laid out as bench/conformance/run.sh lays out its --out), the rates of the
# verdicts that differ (RUNS/rates, bench/conformance/rates.sh), and the application-state
# runs of Serf and memberlist (RUNS/state/set1, set2: `gossiplab suite scenarios --only
# state-converge,state-partition-repair --impl IMPL --seed S --out DIR/IMPL-main`), rendered
# first into bench/conformance/state-results.md.
#
#   bench/conformance/render.sh RUNS
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:?usage: bench/conformance/render.sh RUNS (the directory holding s1a s1b s2 rates state)}"
for d in s1a s1b s2 rates state/set1 state/set2; do
  [[ -d "$runs/$d" ]] || { echo "render.sh: no $runs/$d" >&2; exit 2; }
done
python3 "$root/bench/conformance/state_results.py" --set "seed1=$runs/state/set1" \
  --set "seed2=$runs/state/set2" --notes "$root/bench/conformance/state-findings.md" \
  --out "$root/bench/conformance/state-results.md"
python3 "$root/bench/conformance/results.py" --runs "$runs/s1a" --label "seed 1" \
  --impls "reference serf memberlist" --also "seed 1 again=$runs/s1b" --also "seed 2=$runs/s2" \
  --rates "$runs/rates" --section "$root/bench/conformance/state-results.md" \
  --notes "$root/bench/conformance/findings.md" --out "$root/docs/conformance-results.md"
echo "render.sh: wrote docs/conformance-results.md"
