#!/usr/bin/env bash
# SIGKILLs the controller N times at random moments of a run whose nodes each start a daemon
# (a double fork with setsid that ignores SIGTERM) and print a line every 10 ms, and checks
# after each kill:
#   - the host's links, addresses, routes, rules and /run/netns are byte-identical;
#   - no process of the run is alive (every descendant carries GOSSIPLAB_SIGKILL_TAG);
#   - every line of history.jsonl parses, and its last line is at most 100 ms before the kill
#     (the kill time on the run clock: wall time of the kill - run_start's started_at);
#   - the run's scratch area (each node writes a file into its {scratch}) holds no file.
# Then one normal run: no daemon survives it, node_exit counts what each node left behind, and
# the scratch area is gone. Prints the numbers; exits 1 on any violation, 77 (ctest's skip)
# when this machine cannot build a lab (`gossiplab doctor` fails).
#
#   bench/durability/sigkill.sh [N=20] [GOSSIPLAB=build/bin/gossiplab]
# DURATION=8 (the scenario's length, s) and MAX_DELAY=6.0 (kills fall in 0.8..MAX_DELAY s) make
# it shorter: ctest's durability_sigkill runs N=3 with DURATION=4 MAX_DELAY=2.5.
# Needs root (or unprivileged user namespaces) and python3.
set -euo pipefail
N=${1:-20}
GL=$(realpath "${2:-build/bin/gossiplab}")
BIN=$(dirname "$GL")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
DURATION=${DURATION:-8}
MAX_DELAY=${MAX_DELAY:-6.0}
if ! "$GL" doctor >/dev/null 2>&1; then
    echo "SKIP: gossiplab doctor says this machine cannot build a lab"
    exit 77
fi
WORK=$(mktemp -d /tmp/gossiplab-sigkill.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

mkdir -p "$WORK/home/adapters/daemonizing" "$WORK/home/scenarios"
cat > "$WORK/node.sh" <<'NODE'
#!/bin/bash
# A node that starts a daemon the way a careless implementation would, keeps a file in its
# scratch directory, then ticks.
echo "$1" > "$2/data"
( setsid bash -c 'trap "" TERM HUP INT; while :; do sleep 1; done' </dev/null >/dev/null 2>&1 & )
echo "{\"type\":\"started\",\"id\":\"$1\",\"incarnation\":0,\"scratch\":\"$(cat "$2/data")\"}"
trap 'exit 0' TERM
while :; do echo '{"type":"counters","pkts_sent":0,"pkts_recv":0,"bytes_sent":0,"bytes_recv":0}'; sleep 0.01; done
NODE
chmod +x "$WORK/node.sh"
python3 - "$SRC" "$WORK" "$DURATION" <<'PY'
import json, sys
src, work = sys.argv[1], sys.argv[2]
ref = json.load(open(src + "/adapters/reference/impl.json"))
m = {"name": "daemonizing", "contract": 1, "command": [work + "/node.sh", "{id}", "{scratch}"],
     "port": 7946, "default_profile": "fast", "profiles": ref["profiles"], "features": []}
json.dump(m, open(work + "/home/adapters/daemonizing/impl.json", "w"))
json.dump({"name": "tick", "description": "nodes that tick and leave a daemon",
           "duration": float(sys.argv[3]),
           "cluster": {"nodes": 4, "seeds": ["n1"]}, "checks": {"history_wellformed": {}}},
          open(work + "/home/scenarios/tick.json", "w"))
PY

host_state() {
    { ip -d link show; ip addr show; ip route show table all; ip -6 route show table all
      ip rule show; ip -6 rule show; ls -la /run/netns 2>/dev/null || true; } 2>&1
}
tagged() {  # processes carrying the tag in their environment (one grep: quick under load)
    { grep -lsz -- "GOSSIPLAB_SIGKILL_TAG=$1\$" /proc/[0-9]*/environ 2>/dev/null || true; } | wc -l
}

host_state > "$WORK/before"
fail=0 gaps=()
for i in $(seq 1 "$N"); do
    tag="$$-$i"
    out="$WORK/run-$i"
    delay=$(python3 -c "import random; print(round(random.uniform(0.8, $MAX_DELAY), 3))")
    GOSSIPLAB_HOME="$WORK/home" GOSSIPLAB_SIGKILL_TAG="$tag" \
        "$GL" run "$WORK/home/scenarios/tick.json" --impl daemonizing --seed "$i" --out "$out" \
        >"$WORK/log-$i" 2>&1 &
    pid=$!
    sleep "$delay"
    alive_before=$(tagged "$tag")
    if ! kill -9 "$pid" 2>/dev/null; then
        echo "kill $i at $delay s: the run had ended already (make DURATION longer than MAX_DELAY)"
        fail=1
        continue
    fi
    killed_at=$(date +%s.%N)
    wait "$pid" 2>/dev/null || true
    sleep 0.5
    left=$(tagged "$tag")
    host_state > "$WORK/after"
    same=yes; cmp -s "$WORK/before" "$WORK/after" || same=no
    files=$(find "$out/scratch" -type f 2>/dev/null | wc -l)
    read -r lines bad gap < <(python3 - "$out/history.jsonl" "$killed_at" <<'PY'
import json, sys
text = open(sys.argv[1]).read() if __import__("os").path.exists(sys.argv[1]) else ""
bad, last, start = 0, None, None
lines = text.split("\n")
if lines and lines[-1] == "": lines.pop()
elif lines: bad += 1  # a partial last line
for l in lines:
    try:
        j = json.loads(l); last = j["t"]
        if j.get("action") == "run_start": start = j.get("started_at")
    except Exception: bad += 1
gap = "nan" if start is None or last is None else "%.1f" % ((float(sys.argv[2]) - start - last) * 1000)
print(len(lines), bad, gap)
PY
)
    printf 'kill %2d at %5.2f s: %3d processes of the run before, %d after; host %s; %5d lines, %d bad; last line %s ms before the kill; %d scratch files\n' \
        "$i" "$delay" "$alive_before" "$left" "$same" "$lines" "$bad" "$gap" "$files"
    gaps+=("$gap")
    if [ "$left" != 0 ] || [ "$same" != yes ] || [ "$bad" != 0 ] || [ "$gap" = nan ] ||
        [ "$files" != 0 ] ||
        ! python3 -c "import sys; sys.exit(0 if float('$gap') <= 100 else 1)"; then
        fail=1
        diff "$WORK/before" "$WORK/after" | head -20 || true
    fi
done
python3 -c "
import sys; g=[float(x) for x in sys.argv[1:] if x!='nan']
if g: print('last-line-vs-kill gap over %d kills: min %.1f ms, median %.1f ms, max %.1f ms' % (len(g), min(g), sorted(g)[len(g)//2], max(g)))" "${gaps[@]}"

# A normal run: the daemons go with their nodes, and each node_exit counts them.
tag="$$-normal"
GOSSIPLAB_HOME="$WORK/home" GOSSIPLAB_SIGKILL_TAG="$tag" \
    "$GL" run "$WORK/home/scenarios/tick.json" --impl daemonizing --out "$WORK/normal" >"$WORK/log-normal" 2>&1 || true
left=$(tagged "$tag")
counts=$(python3 -c "
import json
for l in open('$WORK/normal/history.jsonl'):
    j = json.loads(l)
    if j.get('action') == 'node_exit': print(j['node'], j.get('left_behind'), end='; ')")
scratch=absent; [ -e "$WORK/normal/scratch" ] && scratch=present
echo "normal run: $left processes of the run alive after it; left_behind per node: $counts; scratch area $scratch"
grep -h "run_health" "$WORK/log-normal" || true
[ "$left" = 0 ] && [ "$scratch" = absent ] || fail=1
# Each node's daemon counted in its node_exit (1 left behind apiece): containment did its work.
python3 -c "
import json, sys
n = [j.get('left_behind') for j in map(json.loads, open('$WORK/normal/history.jsonl'))
     if j.get('action') == 'node_exit']
sys.exit(0 if n and all(x is not None and x >= 1 for x in n) else 1)" || { echo "FAIL: node_exit.left_behind"; fail=1; }
# Each node read back from its {scratch} what it wrote there: the directory was real.
python3 -c "
import json, sys
ok = [j['node'] for j in map(json.loads, open('$WORK/normal/history.jsonl'))
      if j.get('kind') == 'event' and j['event'].get('type') == 'started'
      and j['event'].get('scratch') == j['node']]
sys.exit(0 if len(ok) == 4 else 1)" || { echo "FAIL: a node could not use its {scratch}"; fail=1; }
python3 -c "
import json, sys
g = [float(x) for x in sys.argv[4:] if x != 'nan']
print('bench-result ' + json.dumps({'name': 'durability', 'values': {
    'kills': int(sys.argv[1]), 'violations': int(sys.argv[2]), 'normal_left': int(sys.argv[3]),
    'gap_min_ms': min(g) if g else None, 'gap_median_ms': sorted(g)[len(g) // 2] if g else None,
    'gap_max_ms': max(g) if g else None}}))" "$N" "$fail" "$left" "${gaps[@]}"
exit $fail
