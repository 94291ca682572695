#!/usr/bin/env bash
# bench/suite: the wall time of the suite against the reference node in the lab, at a number
# of runs at a time (gossiplab suite --jobs J), with its verdicts and the runs judged starved.
# Not a test: it prints numbers (issue 19: the quick suite within 2.5 minutes, the full suite
# within 10).
#   bench/suite/run.sh [J ...]        (default J: 1 2)
# Environment: QUICK=1 (the quick suite only), SUITE_ARGS (more suite options, e.g.
# "--impairment netem"), SAVE (a file to keep the output in, e.g. bench/suite/last-run.txt),
# DOC (a markdown file whose block between "<!-- bench/suite:begin -->" and
# "<!-- bench/suite:end -->" is replaced by the output, e.g. docs/performance.md), FROM (render
# DOC from such a saved output and run nothing), KEEP (a directory to move the last suite's
# run directories to, e.g. for scripts/conformance-catalogue.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${GOSSIPLAB_BUILD:-build}/bin
[ -x "$bin/gossiplab" ] || { echo "build first: scripts/build.sh" >&2; exit 3; }
jobs_list=("$@")
[ ${#jobs_list[@]} -gt 0 ] || jobs_list=(1 2)
work=$(mktemp -d /tmp/gossiplab-bench-suite.XXXXXX)
trap 'rm -rf "$work"' EXIT
which=full
[ "${QUICK:-}" != 1 ] || which=quick
out_file="$work/out"
if [ -n "${FROM:-}" ]; then
  out_file=$FROM
  jobs_list=()
else
  machine="$(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?), $machine, load average $(cut -d' ' -f1-3 /proc/loadavg) before; \$ ${QUICK:+QUICK=1 }${SUITE_ARGS:+SUITE_ARGS=\"$SUITE_ARGS\" }bench/suite/run.sh ${jobs_list[*]}" | tee "$out_file"
  fmt='%-7s %-5s %-8s %-6s %-6s %-6s %-8s %-9s %s\n'
  printf "$fmt" suite jobs runs pass fail unknown starved wall_s exit | tee -a "$out_file"
fi
for j in "${jobs_list[@]}"; do
  dir="$work/suite-$j"
  args=(suite --jobs "$j" --out "$dir")
  [ "$which" = full ] || args+=(--quick)
  # shellcheck disable=SC2206
  [ -z "${SUITE_ARGS:-}" ] || args+=($SUITE_ARGS)
  t0=$(date +%s.%N)
  set +e
  "$bin/gossiplab" "${args[@]}" </dev/null >"$work/log" 2>&1
  rc=$?
  set -e
  wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
  # The suite's closing table: one line per run ("  NAME  VERDICT"), then "environment:" lines.
  read -r runs pass fail unknown starved < <(awk '
    /^suite: [0-9]+ scenarios in/ {t = 1; next}
    t && /^index:/ {t = 0}
    t && /environment:/ {s++; next}
    t && /not applicable:/ {next}
    t && NF >= 2 {n++; v = $NF; if (v == "pass") p++; else if (v == "fail") f++; else u++}
    END {printf "%d %d %d %d %d\n", n, p, f, u, s}' "$work/log")
  printf "$fmt" "$which" "$j" "$runs" "$pass" "$fail" "$unknown" "$starved" "$wall" "$rc" | tee -a "$out_file"
  # What did not pass, and what the machine's load did to it.
  awk '/^suite: [0-9]+ scenarios in/ {t = 1; next} t && /^index:/ {t = 0}
       t && NF >= 2 && $NF != "pass" {print "    " $0}' "$work/log" | tee -a "$out_file"
  if [ -n "${KEEP:-}" ]; then rm -rf "$KEEP"; mv "$dir" "$KEEP"; else rm -rf "$dir"; fi
done
[ -z "${SAVE:-}" ] || [ -n "${FROM:-}" ] || cp "$out_file" "$SAVE"
if [ -n "${DOC:-}" ]; then
  PYTHONPATH=bench python3 - "$DOC" "$out_file" <<'PY'
import sys
doc, out = sys.argv[1:]
lines = open(out).read().rstrip("\n").splitlines()
head = [l[2:] for l in lines if l.startswith("# ")]
table = ["| suite | runs at a time | runs | pass | fail | unknown | starved | wall s | exit |",
         "|---|---|---|---|---|---|---|---|---|"]
for l in lines:
    if l.startswith(("# ", " ", "suite ")) or not l.strip():
        continue
    table.append("| " + " | ".join(l.split()) + " |")
# A saved output may hold several runs of the script (e.g. the full suite, then QUICK=1).
block = ["Measured " + ("; then ".join(head) if head else "(no header recorded)") + ".", "", *table, "",
         "Its output:", "", "```", *lines, "```"]
import docsection
b, e = "<!-- bench/suite:begin -->", "<!-- bench/suite:end -->"
text = open(doc).read()
open(doc, "w").write(docsection.splice(text, b, e, b + "\n" + "\n".join(block) + "\n" + e,
                                       doc_path=doc))
PY
  echo "bench/suite: wrote the table into $DOC"
fi
