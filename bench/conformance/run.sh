#!/usr/bin/env bash
# Runs the conformance suite for several implementations and writes docs/conformance-results.md.
#   bench/conformance/run.sh [--build DIR] [--out DIR] [--impls "reference serf memberlist"]
#                            [--only a,b] [--seed S] [--render-only]
#                            [--also LABEL=DIR]... [--rates DIR]
# Each implementation runs the project's scenarios/ plus bench/conformance/scenarios/ (the long
# partition that separates "heals through a reconnect loop" from "never heals"). Suites run one
# after another: timings measured while another suite runs would not be comparable.
# --render-only rebuilds the document from the runs already in --out. --also adds another
# --out of the same suites (another seed, or the same seed again) to the stability table;
# --rates a directory of single runs (bench/conformance/rates.sh) for the rates of verdicts
# that differ between them.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build"
out=""
impls="reference serf memberlist"
only=""
seed=1
render_only=0
extra_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$(cd "$2" && pwd)"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --impls) impls="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --render-only) render_only=1; shift ;;
    --also) extra_args+=(--also "$2"); shift 2 ;;
    --rates) extra_args+=(--rates "$2"); shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$build/conformance"
gl="$build/bin/gossiplab"
if [ ! -x "$gl" ]; then
  echo "run.sh: $gl not found: build it first (cmake --build $build --target gossiplab gossip-node)" >&2
  exit 2
fi
mkdir -p "$out"

if [ "$render_only" -eq 0 ]; then
  # What the document says about the set: the commit, the seed and when it ran.
  printf '{"commit": "%s", "seed": %s, "started": "%s"}\n' \
    "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$seed" \
    "$(date -u +%Y-%m-%dT%H:%MZ)" >"$out/run-info.json"
  for impl in $impls; do
    case "$impl" in
      serf) command -v serf >/dev/null || { echo "run.sh: serf missing (scripts/setup.sh --serf)" >&2; exit 3; } ;;
      memberlist) "$root/adapters/memberlist/run.sh" "$build/bin" --build || exit 3 ;;
    esac
    for set in main extra; do
      dir="$root/scenarios"; [ "$set" = extra ] && dir="$root/bench/conformance/scenarios"
      args=(suite "$dir" --impl "$impl" --seed "$seed" --out "$out/$impl-$set")
      [ -n "$only" ] && args+=(--only "$only")
      rm -rf "$out/$impl-$set"
      echo "run.sh: $impl: $dir" >&2
      # A failing check is a result here, not an error: exit 1 is expected.
      rc=0; GOSSIPLAB_HOME="$root" "$gl" "${args[@]}" >"$out/$impl-$set.log" 2>&1 || rc=$?
      if [ "$rc" -gt 1 ] && ! { [ -n "$only" ] && grep -q "no scenarios selected" "$out/$impl-$set.log"; }; then
        echo "run.sh: $impl ($set) exited $rc; see $out/$impl-$set.log" >&2
      fi
    done
  done
fi
# The document covers every implementation with runs in $out, not only the ones run now.
all="reference serf memberlist"
for impl in $impls; do case " $all " in *" $impl "*) ;; *) all="$all $impl" ;; esac; done
python3 "$root/bench/conformance/results.py" --runs "$out" --impls "$all" \
  --notes "$root/bench/conformance/findings.md" --out "$root/docs/conformance-results.md" \
  "${extra_args[@]}"
echo "run.sh: wrote $root/docs/conformance-results.md" >&2
