#!/usr/bin/env bash
# The seeds' and the papers' figures at their own sizes, in simulation (--impairment sim):
# rumor-dissemination and crash-detect at each N with the reference node's fast profile, and
# rumor-dissemination at N = 250 and 1,000 with the seed's setting (1 s period, fanout 3: the
# manifest bench/figures/seed-impl/impl.json). render.py reads the runs into
# bench/figures/results.json (the committed copy) and writes docs/conformance.md's figures
# section.
#   bench/figures/run.sh [--build DIR] [--out DIR] [--seed S] [--nodes "10 100 250 1000 10000"]
#                        [--seed-nodes "250 1000"] [--detect-seeds "2 ... 10"]
#                        [--detect-seed-nodes "10 100 250"] [--only NAME,...] [--render-only]
#                        [--no-doc]
# crash-detect also runs at each --detect-seeds for N in --detect-seed-nodes (NAME-sS), so the
# detection figure there is the mean over more kills.
# Environment: TIMEOUT (wall seconds per run, default 600), MEM_GIB (address-space limit per
# run, default 8). A run past either is stopped and recorded with the reason measured (how far
# virtual time got, wall and CPU seconds, peak RSS), never with a number it did not reach.
# The runs do not set their own priority: on a shared machine start this script under
# `chrt -i 0 nice -n 19` (then a run's wall time is the machine's, its CPU time its own).
# --only re-runs the named runs and keeps the others' recorded results.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build"
out=""
seed=1
nodes="10 100 250 1000 10000"
seed_nodes="250 1000"
detect_seeds="2 3 4 5 6 7 8 9 10"
detect_seed_nodes="10 100 250"
only=""
render_only=0
doc=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$(cd "$2" && pwd)"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    --seed-nodes) seed_nodes="$2"; shift 2 ;;
    --detect-seeds) detect_seeds="$2"; shift 2 ;;
    --detect-seed-nodes) detect_seed_nodes="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --render-only) render_only=1; shift ;;
    --no-doc) doc=0; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$build/figures"
timeout_s=${TIMEOUT:-600}
mem_gib=${MEM_GIB:-8}
gl="$build/bin/gossiplab"
if [ ! -x "$gl" ]; then
  echo "run.sh: $gl not found: build it first (cmake --build $build --target gossiplab gossip-node)" >&2
  exit 2
fi
[ -x /usr/bin/time ] || { echo "run.sh: /usr/bin/time (GNU time) not found" >&2; exit 2; }
mkdir -p "$out"

# NAME SCENARIO N SEED [gossiplab run options...]
runs=()
for n in $nodes; do
  runs+=("rumor-dissemination-n$n rumor-dissemination $n $seed")
  runs+=("crash-detect-n$n crash-detect $n $seed")
done
for n in $seed_nodes; do
  runs+=("seed-rumor-dissemination-n$n rumor-dissemination $n $seed --impl $root/bench/figures/seed-impl/impl.json")
done
# More kills for the detection figure where a run is cheap: crash-detect at other seeds.
for n in $detect_seed_nodes; do
  for s in $detect_seeds; do
    [ "$s" = "$seed" ] || runs+=("crash-detect-n$n-s$s crash-detect $n $s")
  done
done

one() {
  local name=$1 sc=$2 n=$3 run_seed=$4
  shift 4
  local dir="$out/$name"
  rm -rf "$dir" "$dir.log" "$dir.time" "$dir.json"
  echo "run.sh: $name: gossiplab run $sc --nodes $n --impairment sim $* (limits ${timeout_s} s, ${mem_gib} GiB)" >&2
  local t0 rc=0
  t0=$(date +%s.%N)
  (
    ulimit -v $((mem_gib * 1024 * 1024))
    exec /usr/bin/time -v -o "$dir.time" timeout -k 30 "$timeout_s" \
      env GOSSIPLAB_HOME="$root" "$gl" run "$sc" --nodes "$n" --seed "$run_seed" --impairment sim \
      --out "$dir" "$@"
  ) </dev/null >"$dir.log" 2>&1 || rc=$?
  # What the run reached, measured: the last history line's t, its size, the limits it met.
  python3 - "$dir" "$rc" "$t0" "$(date +%s.%N)" "$timeout_s" "$mem_gib" "$sc" "$n" "$run_seed" "$*" <<'PY'
import json, os, re, sys
d, rc, t0, t1, timeout_s, mem_gib, sc, n, run_seed, extra = sys.argv[1:]
meta = {"scenario": sc, "N": int(n), "seed": int(run_seed), "options": extra, "exit": int(rc),
        "wall_s": round(float(t1) - float(t0), 1), "timeout_s": int(timeout_s),
        "mem_gib": int(mem_gib)}
try:
    tv = open(d + ".time").read()
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tv)
    meta["peak_rss_mib"] = round(int(m.group(1)) / 1024) if m else None
    cpu = [float(x) for x in re.findall(r"(?:User|System) time \(seconds\): ([0-9.]+)", tv)]
    meta["cpu_s"] = round(sum(cpu), 1) if cpu else None
except OSError:
    meta["peak_rss_mib"] = meta["cpu_s"] = None
log = open(d + ".log", errors="replace").read()
m = re.findall(r"^gossiplab: sim: ([0-9.]+) simulated s in ([0-9.]+) s wall$", log, re.M)
meta["sim_s"], meta["loop_wall_s"] = (float(m[-1][0]), float(m[-1][1])) if m else (None, None)
meta["out_of_memory"] = bool(re.search(r"std::bad_alloc|cannot allocate", log))
meta["timed_out"] = meta["exit"] in (124, 137)
meta["log_tail"] = log.strip().splitlines()[-3:]
hist = os.path.join(d, "history.jsonl")
meta["history_bytes"] = os.path.getsize(hist) if os.path.exists(hist) else None
meta["last_t"] = None
if meta["history_bytes"]:
    with open(hist, "rb") as f:
        f.seek(max(0, meta["history_bytes"] - 65536))
        for line in reversed(f.read().decode(errors="replace").splitlines()):
            t = re.search(r'"t":([0-9.eE+-]+)', line)
            if t:
                meta["last_t"] = float(t.group(1))
                break
meta["report"] = os.path.exists(os.path.join(d, "report.json"))
json.dump(meta, open(d + ".json", "w"), indent=1)
PY
  # A history of gigabytes (a run that did not finish at N = 10,000) is measured, not kept.
  if [ -f "$dir/history.jsonl" ] && [ "$(stat -c %s "$dir/history.jsonl")" -gt $((500 * 1024 * 1024)) ]; then
    rm -f "$dir/history.jsonl"
  fi
  echo "run.sh: $name: exit $rc; $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print("wall %s s, cpu %s s, peak %s MiB, virtual t %s" % (m["wall_s"], m["cpu_s"], m["peak_rss_mib"], m["last_t"]))' "$dir.json")" >&2
}

if [ "$render_only" -eq 0 ]; then
  # A partial re-run (--only) records itself apart and leaves the set's provenance alone.
  info=run-info.json
  [ -z "$only" ] || info=rerun-info.json
  printf '{"commit": "%s", "seed": %s, "started": "%s", "load_before": "%s", "timeout_s": %s, "mem_gib": %s, "machine": "%s"}\n' \
    "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$seed" \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$timeout_s" "$mem_gib" \
    "$(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB" >"$out/$info"
  ran=()
  for r in "${runs[@]}"; do
    read -r -a w <<<"$r"
    if [ -n "$only" ] && [[ ",$only," != *",${w[0]},"* ]]; then continue; fi
    one "${w[@]}"
    ran+=("${w[0]}")
  done
  # What a partial re-run ran, for the document's provenance line.
  if [ -n "$only" ]; then
    python3 - "$out/$info" "${ran[@]}" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
info["runs"] = sys.argv[2:]
json.dump(info, open(sys.argv[1], "w"))
PY
  fi
fi
args=(--runs "$out")
[ -z "$only" ] || args+=(--only "$only")
if [ "$doc" -eq 1 ]; then args+=(--write); fi
python3 "$root/bench/figures/render.py" "${args[@]}"
