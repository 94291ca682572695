#!/usr/bin/env bash
# bench/sim: the simulation backend (--impairment sim) at scale. For each N and scenario it
# prints the simulated seconds, the wall seconds of the simulation loop and of the whole run
# (with the checks and reports), simulated seconds per wall second, the peak RSS (GNU time),
# the history's size and the verdict. Not a test: it prints numbers.
#   bench/sim/run.sh [N ...]          (default N: 1000 10000)
# Environment: SCENARIOS (default "crash-detect rumor-dissemination"), PROFILE (default: each
# scenario's), TIMEOUT (seconds per run, default 600: a run past it is stopped with SIGTERM,
# recorded as interrupted; TIMEOUT_N for the runs at N, e.g. TIMEOUT_10000=90), MEM_GIB (address-space limit per run, default 8: the goal of issue 14), DOC (a markdown
# file whose block between "<!-- bench/sim:begin -->" and "<!-- bench/sim:end -->" is replaced
# by the table and output, e.g. docs/simulation.md), SAVE (a file to keep the output in, e.g.
# bench/sim/last-run.txt), FROM (render DOC from such a saved output and run nothing).
# Runs under nice -n 10. Never edit this script while it runs: bash reads it as it goes.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${GOSSIPLAB_BUILD:-build}/bin
[ -x "$bin/gossiplab" ] || { echo "build first: scripts/build.sh" >&2; exit 3; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
read -r -a scenarios <<<"${SCENARIOS:-crash-detect rumor-dissemination}"
timeout_s=${TIMEOUT:-600}
mem_gib=${MEM_GIB:-8}
work=$(mktemp -d /tmp/gossiplab-bench-sim.XXXXXX)
trap 'rm -rf "$work"' EXIT

limits="TIMEOUT=$timeout_s"
for n in "${sizes[@]}"; do v="TIMEOUT_$n"; [ -z "${!v:-}" ] || limits="$limits TIMEOUT_$n=${!v}"; done
out_file="$work/out"
if [ -n "${FROM:-}" ]; then
  out_file=$FROM  # render DOC from a saved output (SAVE=FILE of an earlier run), run nothing
  sizes=()
else
  machine="$(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?), $machine, load average $(cut -d' ' -f1-3 /proc/loadavg) before; \$ $limits MEM_GIB=$mem_gib bench/sim/run.sh ${sizes[*]}" | tee "$out_file"
  fmt='%-22s %-6s %-8s %-10s %-10s %-10s %-11s %-10s %-12s %-10s %s\n'
  printf "$fmt" scenario N profile sim_s loop_wall run_wall sim_per_wall peak_MiB history_MB lines verdict | tee -a "$out_file"
fi
for n in "${sizes[@]}"; do
  for sc in "${scenarios[@]}"; do
    out="$work/$sc-$n"
    limit="TIMEOUT_$n"
    limit=${!limit:-$timeout_s}
    args=(run "$sc" --impairment sim --nodes "$n" --out "$out")
    [ -z "${PROFILE:-}" ] || args+=(--profile "$PROFILE")
    set +e
    (
      ulimit -v $((mem_gib * 1024 * 1024))
      exec /usr/bin/time -v -o "$work/time" timeout -k 60 "$limit" nice -n 10 "$bin/gossiplab" "${args[@]}"
    ) </dev/null >"$work/log" 2>&1
    rc=$?
    set -e
    peak=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time" 2>/dev/null || true)
    run_wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s}' "$work/time" 2>/dev/null || true)
    read -r sim_s loop_wall < <(sed -n 's/^gossiplab: sim: \([0-9.]*\) simulated s in \([0-9.]*\) s wall$/\1 \2/p' "$work/log" | tail -1; echo) || true
    profile=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("profile_name","?"))' "$out/impl.json" 2>/dev/null || echo "${PROFILE:-?}")
    hist_mb=? lines=?
    if [ -f "$out/history.jsonl" ]; then
      hist_mb=$(awk -v b="$(stat -c %s "$out/history.jsonl")" 'BEGIN {printf "%.1f", b / 1e6}')
      lines=$(wc -l <"$out/history.jsonl")
    fi
    verdict=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$out/report.json" 2>/dev/null || echo "none (exit $rc)")
    [ "$rc" != 124 ] && [ "$rc" != 137 ] || verdict="$verdict, timed out at ${limit} s"
    if grep -q 'std::bad_alloc\|cannot allocate' "$work/log"; then
      verdict="out of memory (${mem_gib} GiB limit)"
      [ "$rc" != 124 ] && [ "$rc" != 137 ] || verdict="timed out at ${limit} s, then out of memory (${mem_gib} GiB limit) in the checks"
      grep -q '^gossiplab: sim:' "$work/log" || verdict="out of memory (${mem_gib} GiB limit) in the simulation"
    fi
    if [ -z "${sim_s:-}" ] && [ -f "$out/history.jsonl" ]; then
      # It did not finish: how far virtual time got (the last line recorded).
      sim_s="$(tail -c 4096 "$out/history.jsonl" | tail -1 | sed -n 's/.*"t":\([0-9.]*\).*/\1/p')"
      [ -z "$sim_s" ] || sim_s="reached $sim_s"
    fi
    speed=?
    [ -z "${sim_s:-}" ] || [ -z "${loop_wall:-}" ] || [ "${sim_s#reached}" != "$sim_s" ] || speed=$(awk -v a="$sim_s" -v b="$loop_wall" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
    printf "$fmt" "$sc" "$n" "$profile" "${sim_s:-?}" "${loop_wall:-?}" "${run_wall:-?}" "$speed" "${peak:-?}" "$hist_mb" "$lines" "$verdict" | tee -a "$out_file"
    if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then tail -5 "$work/log" | sed 's/^/    /' | tee -a "$out_file"; fi
    rm -rf "$out"
  done
done

[ -z "${SAVE:-}" ] || [ -n "${FROM:-}" ] || cp "$out_file" "$SAVE"
if [ -n "${DOC:-}" ]; then
  python3 - "$DOC" "$out_file" <<'PY'
import sys
doc, out = sys.argv[1:]
lines = open(out).read().rstrip("\n").splitlines()
head = [l[2:] for l in lines if l.startswith("# ")]
table = ["| scenario | N | profile | simulated s | loop wall s | run wall s | simulated s / wall s | peak RSS MiB | history MB | lines | verdict |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
for l in lines:
    if l.startswith(("# ", " ", "scenario ")) or not l.strip():
        continue
    f = l.split()
    if f[3] == "reached":  # a run that did not finish: how far virtual time got
        f[3:5] = [f[3] + " " + f[4]]
    table.append("| " + " | ".join(f[:10] + [" ".join(f[10:])]) + " |")
block = ["Measured " + (head[0] if head else "(no header recorded)") + ".", "", *table, "",
         "Its output:", "", "```", *[l for l in lines], "```"]
text = open(doc).read()
b, e = "<!-- bench/sim:begin -->", "<!-- bench/sim:end -->"
i, j = text.index(b) + len(b), text.index(e)
open(doc, "w").write(text[:i] + "\n" + "\n".join(block) + "\n" + text[j:])
PY
  echo "bench/sim: wrote the table into $DOC"
fi
