#!/usr/bin/env bash
# Builds the libFuzzer targets (ASan+UBSan, clang-14) into build-fuzz/, seeds each corpus from
# the repository's own files, runs each target for SECONDS and prints, per target: executions,
# executions per second, coverage (libFuzzer's cov and ft), corpus size and crashes. Exits 1 when
# a target crashed, leaked, hit undefined behaviour or spent over 60 s on one input (its
# reproducer is kept in build-fuzz/artifacts/TARGET/), 3 when it cannot build (no clang-14:
# scripts/setup.sh --fuzz).
#
#   bench/fuzz/run.sh [SECONDS=60] [TARGET...]     targets: codec scenario history bound manifest
#   PARALLEL=2 bench/fuzz/run.sh 600               two targets at a time
#   BUILD_ONLY=1 bench/fuzz/run.sh                 just build (prints the build's wall time)
#   FUZZ_OPT=-O0 bench/fuzz/run.sh 60              quicker to build, slower to run (CI)
#
# The corpora grow across runs in build-fuzz/corpus/TARGET/; the seeds are made anew each time
# in build-fuzz/seeds/TARGET/ from scenarios/*.json, adapters/*/impl.json, the recorded runs of
# reports/tests/data/*/history.jsonl, the encoder's packets and the scenarios' bound expressions.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(codec scenario history bound manifest)
B=${BUILD:-$SRC/build-fuzz}
PARALLEL=${PARALLEL:-1}
CXX_FUZZ=${CXX_FUZZ:-clang++-14}

if ! command -v "$CXX_FUZZ" >/dev/null; then
    echo "fuzz: $CXX_FUZZ with libFuzzer is missing (scripts/setup.sh --fuzz)" >&2
    exit 3
fi
t0=$(date +%s)
# FUZZ_OPT=-O1 (the default): twice the executions of -O0 for twice the compile time
# (harness/src/scenario.cpp: 21 s against 10 s); scripts/test.sh builds with -O0 to keep CI's
# build near a minute. No -g: the sanitizers symbolize from the symbol table (function names;
# for lines, add -g to FUZZ_OPT to debug a reproducer).
mkdir -p "$B"
CXX=$CXX_FUZZ cmake -S "$SRC" -B "$B" -DGOSSIPLAB_FUZZ=ON -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="${FUZZ_OPT:--O1}" -DGOSSIPLAB_WERROR=OFF \
    ${GOSSIPLAB_FUZZ_CMAKE_ARGS:-} >"$B/configure.log" 2>&1 ||
    { cat "$B/configure.log" >&2; rm -f "$B/CMakeCache.txt"; exit 3; }
if ! cmake --build "$B" -j"${JOBS:-1}" >"$B/build.log" 2>&1; then
    grep -E 'error' "$B/build.log" | head -20 >&2
    echo "fuzz: build failed; see $B/build.log" >&2
    exit 3
fi
echo "fuzz: built in $(($(date +%s) - t0)) s"
[ -z "${BUILD_ONLY:-}" ] || exit 0

# -- seeds ------------------------------------------------------------------------------------
S=$B/seeds
rm -rf "$S"
mkdir -p "$S"/{codec,scenario,history,bound,manifest}
GOSSIPLAB_FUZZ_WRITE_SEEDS="$S/codec" "$B/bin/fuzz_codec" >/dev/null 2>&1 || true
cp "$SRC"/scenarios/*.json "$S/scenario/"
for f in "$SRC"/adapters/*/impl.json; do cp "$f" "$S/manifest/$(basename "$(dirname "$f")").json"; done
python3 - "$SRC" "$S" <<'PY'
import glob, json, os, sys
src, out = sys.argv[1], sys.argv[2]
# History: windows of 25 lines, up to 40 spread over each recorded run (whole runs are MBs).
n = 0
for f in sorted(glob.glob(src + "/reports/tests/data/*/history.jsonl")):
    lines = open(f).read().splitlines(True)
    starts = sorted(set([0] + [i * max(1, len(lines) // 40) for i in range(40)]))
    for s in starts:
        if s < len(lines):
            open("%s/history/%s-%d" % (out, os.path.basename(os.path.dirname(f)), s), "w").write(
                "".join(lines[s:s + 25]))
            n += 1
# Bounds: every string in the scenarios that names a profile knob or N, and a few by hand.
knobs = ("probe_interval", "probe_timeout", "gossip_interval", "fanout", "indirect_checks",
         "suspicion", "retransmit", "push_pull", "dead_retention", "reconnect", "N", "gossip_rounds")
found = {"3 * suspicion_max + probe_interval", "max(1, log(N + 1)) * probe_interval ^ 2",
         "ceil(log10(N)) - -2 / (1 + sqrt(abs(fanout)))", "min(gossip_rounds, 4, 2.5e1)",
         "push_pull_interval + 1"}
def walk(v):
    if isinstance(v, dict):
        for x in v.values(): walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
    elif isinstance(v, str) and any(k in v for k in knobs):
        found.add(v)
for f in glob.glob(src + "/scenarios/*.json"):
    walk(json.load(open(f)))
for i, e in enumerate(sorted(found)):
    open("%s/bound/b%d" % (out, i), "w").write(e)
PY

max_len() {
    case $1 in codec) echo 2048 ;; bound) echo 256 ;; history) echo 8192 ;; *) echo 16384 ;; esac
}

# -- runs -------------------------------------------------------------------------------------
run_one() {
    local t=$1 corpus=$B/corpus/$1 art=$B/artifacts/$1/ tmp=$B/tmp/$1
    mkdir -p "$corpus" "$art" "$tmp"
    local rc=0
    # libFuzzer ends with _Exit: what a target keeps in its TMPDIR (fuzz_manifest's impl.json)
    # is removed here.
    TMPDIR=$tmp "$B/bin/fuzz_$t" -max_total_time="$SECONDS_EACH" -max_len="$(max_len "$t")" -timeout=60 \
        -print_final_stats=1 -artifact_prefix="$art" "$corpus" "$S/$t" >"$B/$t.log" 2>&1 || rc=$?
    rm -rf "$tmp"
    local execs cov ft corp
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/$t.log" | tail -1)
    read -r cov ft < <(grep -E '^#[0-9]+' "$B/$t.log" | tail -1 |
        sed -E 's/.* cov: ([0-9]+) ft: ([0-9]+).*/\1 \2/') || true
    corp=$(find "$corpus" -type f | wc -l)
    local crashes
    crashes=$(find "$art" -type f | wc -l)
    printf 'fuzz_%-9s %4d s  %10s execs  %7s/s  cov %5s  ft %6s  corpus %5d  crashes %d%s\n' \
        "$t" "$SECONDS_EACH" "${execs:-?}" "$(( ${execs:-0} / (SECONDS_EACH > 0 ? SECONDS_EACH : 1) ))" \
        "${cov:-?}" "${ft:-?}" "$corp" "$crashes" \
        "$([ "$rc" = 0 ] || echo "  (exit $rc; see $B/$t.log)")"
    return "$rc"
}

fail=0
pids=()
for t in "${TARGETS[@]}"; do
    if [ "$PARALLEL" -gt 1 ]; then
        run_one "$t" & pids+=($!)
        if [ ${#pids[@]} -ge "$PARALLEL" ]; then wait "${pids[0]}" || fail=1; pids=("${pids[@]:1}"); fi
    else
        run_one "$t" || fail=1
    fi
done
for p in "${pids[@]}"; do wait "$p" || fail=1; done
exit $fail
