#!/usr/bin/env bash
# netem against nfqueue on the same links: bench-impairment on both backends inside the
# stock-kernel guest of scripts/vm.sh (TCG on machines where KVM does not work), plus the
# slow-links scenario's time-to-all on both. Prints what docs/performance.md quotes.
#   bench/impairment/vm.sh [nodes=20] [seconds per phase=3] [rate=2000]
set -euo pipefail
cd "$(dirname "$0")/../.."
nodes=${1:-20} secs=${2:-3} rate=${3:-2000}
cmake --build build --target bench-impairment gossiplab gossip-node -j"$(nproc)" >/dev/null
exec scripts/vm.sh -- bash -c "
  modprobe sch_netem
  echo \"guest: \$(uname -r), accel \$GOSSIPLAB_VM_ACCEL, \$(nproc) CPUs; host: \$(date -u +%F)\"
  for b in netem nfqueue; do
    echo \"== \$b\"
    build/bin/bench-impairment $nodes $secs $rate \$b 2>&1 | grep -v '^gossiplab netem'
  done
  for b in netem nfqueue; do
    rm -rf runs/bench-slow-links-\$b
    build/bin/gossiplab run slow-links --impairment \$b --seed 1 --out runs/bench-slow-links-\$b \
      >runs/bench-slow-links-\$b.log 2>&1 || tail -5 runs/bench-slow-links-\$b.log
    python3 - runs/bench-slow-links-\$b/report.json \$b <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = [c for c in r['checks'] if c['check'] == 'dissemination'][0]
t = sorted(x['p100'] for x in d['metrics']['rumors'] if x.get('p100') is not None)
print('slow-links (200 ms one way) on %s: time-to-all min %.3f s, median %.3f s, max %.3f s over %d rumors; verdict %s'
      % (sys.argv[2], t[0], t[len(t) // 2], t[-1], len(t), r['verdict']))
PY
  done
  rm -rf runs/bench-quick-netem runs/bench-quick-nfqueue
  for b in netem nfqueue; do
    build/bin/gossiplab suite --quick --impairment \$b --seed 1 --out runs/bench-quick-\$b >/dev/null 2>&1
  done
  echo 'quick suite in the same guest, seed 1 (checks that did not pass):'
  bench/impairment/suite-compare.py netem runs/bench-quick-netem nfqueue runs/bench-quick-nfqueue
"
