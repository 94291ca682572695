#!/usr/bin/env bash
# Runs the conformance suite for several implementations and writes docs/conformance-results.md.
#   bench/conformance/run.sh [--build DIR] [--out DIR] [--impls "reference serf memberlist"]
#                            [--only a,b] [--seed S] [--render-only]
# Each implementation runs the project's scenarios/ plus bench/conformance/scenarios/ (the long
# partition that separates "heals through a reconnect loop" from "never heals"). Suites run one
# after another: timings measured while another suite runs would not be comparable.
# --render-only rebuilds the document from the runs already in --out.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build"
out=""
impls="reference serf memberlist"
only=""
seed=1
render_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$(cd "$2" && pwd)"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --impls) impls="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --render-only) render_only=1; shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
  --notes "$root/bench/conformance/findings.md" --out "$root/docs/conformance-results.md"
echo "run.sh: wrote $root/docs/conformance-results.md" >&2
