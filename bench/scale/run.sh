#!/usr/bin/env bash
# bench/scale: N reference nodes in the lab (N = 10 50 100 250 by default).
# For each N prints: time to start all nodes, time until every node reports
# full membership, controller CPU seconds and peak RSS, and the nodes' total
# RSS near the end of the run. Not a test: it prints numbers.
#   bench/scale/run.sh [N ...]        (env PROFILE=lan|fast, DURATION=seconds, BOUND=seconds)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${GOSSIPLAB_BUILD:-build}/bin
[ -x "$bin/gossiplab" ] || { echo "build first: scripts/build.sh" >&2; exit 3; }
profile=${PROFILE:-lan}
duration=${DURATION:-40}
bound=${BOUND:-30}  # the convergence bound and guarantee (the run lasts until it elapsed)
sizes=("$@")
results=()
[ ${#sizes[@]} -gt 0 ] || sizes=(10 50 100 250)
work=$(mktemp -d /tmp/gossiplab-bench-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT

printf '%-5s %-8s %-12s %-14s %-12s %-14s %-14s\n' N profile start_s converged_s ctl_cpu_s ctl_peak_MiB nodes_MiB
for n in "${sizes[@]}"; do
  cat >"$work/scale-$n.json" <<JSON
{"name": "scale-$n", "description": "bench: $n nodes join through one seed",
 "duration": $duration, "cluster": {"nodes": $n, "seeds": ["n1"], "profile": "$profile"},
 "checks": {"membership_convergence": {"bound": $bound, "guarantee": $bound}}}
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
  cpu=$(echo "$u + $s" | bc) peak=$(echo "scale=1; $m / 1024" | bc) rss=$(cat "$work/rss-$n" 2>/dev/null || echo ?)
  printf '%-5s %-8s %-12s %-14s %-12s %-14s %-14s\n' "$n" "$profile" "$start" "$conv" "$cpu" "$peak" "$rss"
  results+=("$n $profile $start $conv $cpu $peak $rss")
done
# One machine-readable line per size for bench/run.py. The ratio's reference is the join bound
# of the profile for N (docs/checkers.md: 3 * probe_interval + 2 * retransmits *
# gossip_interval), computed here from adapters/reference/impl.json.
for r in "${results[@]}"; do
  python3 - adapters/reference/impl.json $r <<'PY'
import json, math, sys
impl, n, prof, start, conv, cpu, peak, rss = sys.argv[1:]
p = json.load(open(impl))["profiles"][prof]
n = int(n)
bound = 3 * p["probe_interval"] + 2 * p["retransmit_mult"] * math.ceil(math.log10(n + 1)) * p["gossip_interval"]
num = lambda x: None if x in ("never", "?", "") else float(x)
c, s = num(conv), num(start)
ratio = (c - s) / bound if c is not None and s is not None else None
print("bench-result " + json.dumps({
    "name": "scale-%d-%s" % (n, prof),
    "values": {"nodes": n, "profile": prof, "start_s": s, "converged_s": c, "ctl_cpu_s": num(cpu),
               "ctl_peak_mib": num(peak), "nodes_mib": num(rss), "join_bound_s": bound},
    "ratios": {"converged_vs_join_bound": {
        "value": ratio, "what": "time from the last start to full membership / the join bound"}}}))
PY
done
