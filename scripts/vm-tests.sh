#!/usr/bin/env bash
# The tests that need a kernel with sch_netem. scripts/test.sh runs them inside the
# stock-kernel guest of scripts/vm.sh; they also run as they are on any machine whose kernel
# has sch_netem (as root):
#   - the netem lab (its netem cases), backend and unit tests, with no skips
#     (GOSSIPLAB_REQUIRE_NETEM);
#   - slow-links (200 ms one way on every link) through netem: time-to-all >= 0.2 s;
#   - the netem backend sabotaged (GOSSIPLAB_BREAK_IMPAIRMENT=filter): faults_landed must
#     fail the run and name the link;
#   - the quick suite with --impairment netem.
# Ends with "N passed, N failed"; exit 1 when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export GOSSIPLAB_REQUIRE_NETEM=1
out=${GOSSIPLAB_VM_OUT:-runs/vm-tests}
rm -rf "$out"; mkdir -p "$out"
passed=0; failed=0; last=$SECONDS
result() {  # NAME STATUS(0 = pass) DETAIL; also prints the step's wall time
  local took=$((SECONDS - last)); last=$SECONDS
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "vm-tests: PASS $1 $3 [${took} s]"
  else failed=$((failed + 1)); echo "vm-tests: FAIL $1 $3 [${took} s]"; fi
}
modprobe sch_netem 2>/dev/null
if ! grep -qw sch_netem /proc/modules && [ ! -d /sys/module/sch_netem ]; then
  echo "vm-tests: this kernel has no sch_netem ($(uname -r)); run through scripts/vm.sh" >&2
  exit 3
fi

# One process per binary (ctest would start one per case: four times slower in the guest).
# The lab test's cases run here for the netem backend only: its nfqueue twins run on the host's
# own kernel in every ctest run, and in the guest the userspace engine's timer tail is the
# emulator's (the nfqueue delay case's p99 was 130 and 153 ms against a 70 ms allowance in two
# CI runs; netem's, in the kernel, held).
for t in netem_unit_test netem_backend_test netem_lab_test; do
  sel=(); [ "$t" = netem_lab_test ] && sel=("netem: *")
  timeout 900 build/tests/$t "${sel[@]}" >"$out/$t.log" 2>&1
  rc=$?
  summary=$(grep -E '^(All tests passed|test cases:)' "$out/$t.log" | tr '\n' ' ')
  [ "$rc" -eq 0 ] || grep -v '^gossiplab netem: GOSSIPLAB_BREAK' "$out/$t.log" | tail -80
  result "$t" "$rc" "($summary)"
done

# Time-to-all on 200 ms links through netem: the slowest rumor can't be faster than one hop.
# (The same run on the nfqueue engine, beside it in this kernel, is bench/impairment/vm.sh's:
# the engine's own delay is measured on the host's kernel by netem_lab_test in every ctest.)
for b in netem; do
  dir=$out/slow-links-$b
  build/bin/gossiplab run slow-links --impairment "$b" --seed 1 --out "$dir" >"$dir.log" 2>&1
  rc=$?
  tta=$(python3 - "$dir/report.json" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    d = [c for c in r["checks"] if c["check"] == "dissemination"][0]
    ts = [x["p100"] for x in d["metrics"]["rumors"] if x.get("p100") is not None]
    print("%.3f %.3f %d" % (min(ts), sorted(ts)[len(ts) // 2], len(ts)))
except Exception as e:
    print("none none 0")
PY
)
  read -r tmin tmed n <<<"$tta"
  ok=1; [ "$rc" -eq 0 ] && python3 -c "import sys; sys.exit(0 if float('$tmin') >= 0.2 else 1)" 2>/dev/null && ok=0
  result "slow-links --impairment $b" $ok "(exit $rc; time-to-all min ${tmin} s, median ${tmed} s over $n rumors)"
  [ $ok -eq 0 ] || tail -12 "$dir.log"
done

# A sabotaged netem backend is caught by faults_landed, which names the link. faults_landed
# alone judges this run, so it is slow-links cut to 12 s (the whole scenario's dissemination
# guarantee, two push-pull periods of the LAN profile, would hold it for 85 s).
dir=$out/slow-links-netem-broken
python3 - scenarios/slow-links.json "$out/slow-links-short.json" <<'PY'
import json, sys
sc = json.load(open(sys.argv[1]))
sc.update(name="slow-links-short", duration=12,
          workload={"rate": {"per_s": 1, "from": 6, "until": 10}},
          checks={"history_wellformed": {}, "faults_landed": {}})
json.dump(sc, open(sys.argv[2], "w"), indent=1)
PY
GOSSIPLAB_BREAK_IMPAIRMENT=filter build/bin/gossiplab run "$out/slow-links-short.json" \
  --impairment netem --seed 1 --out "$dir" >"$dir.log" 2>&1
rc=$?
why=$(grep -E '^  faults_landed +fail' "$dir.log" | head -1)
ok=1; [ "$rc" -eq 1 ] && echo "$why" | grep -qE 'link n[0-9]+ -> n[0-9]+' && ok=0
result "netem sabotaged (filter) is caught" $ok "(exit $rc: ${why:-no faults_landed failure})"

# The quick suite on the netem backend. An emulated (TCG) guest cannot hold the fast
# profile's sub-second bounds (the same guest fails them on the nfqueue backend too: see
# docs/performance.md), so there every scenario must run to its end with its faults landed,
# and each other failure is listed with its numbers; on KVM or bare metal the suite must pass.
build/bin/gossiplab suite --quick --impairment netem --seed 1 --out "$out/quick-netem" \
  >"$out/quick-netem.log" 2>&1
rc=$?
tail -11 "$out/quick-netem.log"
python3 - "$out/quick-netem" "${GOSSIPLAB_VM_ACCEL:-none}" <<'PY'
import json, os, sys
base, accel = sys.argv[1], sys.argv[2]
bad = 0
for s in sorted(os.listdir(base)):
    p = os.path.join(base, s, "report.json")
    if not os.path.isdir(os.path.join(base, s)):
        continue
    if not os.path.exists(p):
        print("vm-tests:   %s: no report.json (the run did not end)" % s); bad += 1; continue
    r = json.load(open(p))
    for c in r["checks"]:
        if c["verdict"] == "pass":
            continue
        b = (c.get("bound") or {}).get("value")
        line = "vm-tests:   %s: %s %s (bound %s, measured %s): %s" % (
            s, c["check"], c["verdict"], b, c.get("measured"), c["reason"][:160])
        timing = c["check"] in ("membership_convergence", "dissemination", "partition_healing",
                                "suspicion_refutation", "accuracy")
        if accel == "tcg" and timing:
            print(line + "  [not held under TCG]")
        else:
            print(line); bad += 1
sys.exit(1 if bad else 0)
PY
ok=$?
result "suite --quick --impairment netem" $ok "(suite exit $rc; under ${GOSSIPLAB_VM_ACCEL:-no VM})"

echo "vm-tests: $passed passed, $failed failed in $SECONDS s"
[ "$failed" -eq 0 ]
