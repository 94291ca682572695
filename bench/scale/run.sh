#!/usr/bin/env bash
# bench/scale: N reference nodes in the lab (N = 10 50 100 250 by default).
# For each N prints: time to start all nodes, time until every node reports
# full membership, controller CPU seconds and peak RSS, and the nodes' total
# RSS near the end of the run. Not a test: it prints numbers.
#   bench/scale/run.sh [N ...]        (env PROFILE=lan|fast, DURATION=seconds)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=build/bin
[ -x "$bin/gossiplab" ] || { echo "build first: scripts/build.sh" >&2; exit 3; }
profile=${PROFILE:-lan}
duration=${DURATION:-40}
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10 50 100 250)
work=$(mktemp -d /tmp/gossiplab-bench-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT

printf '%-5s %-8s %-12s %-14s %-12s %-14s %-14s\n' N profile start_s converged_s ctl_cpu_s ctl_peak_MiB nodes_MiB
for n in "${sizes[@]}"; do
  cat >"$work/scale-$n.json" <<JSON
{"name": "scale-$n", "description": "bench: $n nodes join through one seed",
 "duration": $duration, "cluster": {"nodes": $n, "seeds": ["n1"], "profile": "$profile"},
 "checks": {"membership_convergence": {"bound": 30}}}
JSON
  out="$work/run-$n"
  # Sample the nodes' memory a few seconds before the end of the run.
  ( sleep $((duration - 3)); ps -C gossip-node -o rss= | awk '{s+=$1} END {printf "%.1f\n", s/1024}' >"$work/rss-$n" ) &
  sampler=$!
  /usr/bin/time -f '%U %S %M' -o "$work/time-$n" "$bin/gossiplab" run "$work/scale-$n.json" \
      --out "$out" </dev/null >"$work/log-$n" 2>&1 || true
  wait $sampler 2>/dev/null || true
  read -r u s m <"$work/time-$n"
  # Start time: the last node_start; convergence: the first moment every node has
  # seen n-1 members alive (from the member events in the history).
  read -r start conv < <(awk -v n="$n" '
    /"action":"node_start"/ { match($0, /"t":[0-9.]+/); t = substr($0, RSTART+4, RLENGTH-4); if (t > last) last = t }
    /"type":"member"/ && /"state":"alive"/ {
      match($0, /"node":"[^"]+"/); node = substr($0, RSTART+8, RLENGTH-9)
      match($0, /"member":"[^"]+"/); mem = substr($0, RSTART+10, RLENGTH-11)
      if (!((node, mem) in seen)) { seen[node, mem] = 1; cnt[node]++
        if (cnt[node] == n - 1) { full++; match($0, /"t":[0-9.]+/); t = substr($0, RSTART+4, RLENGTH-4); if (full == n) conv = t } }
    }
    END { printf "%s %s\n", last, (conv == "" ? "never" : conv) }' "$out/history.jsonl")
  printf '%-5s %-8s %-12s %-14s %-12s %-14s %-14s\n' "$n" "$profile" "$start" "$conv" \
      "$(echo "$u + $s" | bc)" "$(echo "scale=1; $m / 1024" | bc)" "$(cat "$work/rss-$n" 2>/dev/null || echo ?)"
done
