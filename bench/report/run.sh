#!/usr/bin/env bash
# Writes a 250-node, 100,000-event run through the reports API, then loads its report.html
# in headless Chromium several times and prints the load times (median and max).
#   bench/report/run.sh FIXTURE_BIN OUT_DIR [NODE] [NODES] [EVENTS] [LOADS]
set -euo pipefail
fixture=${1:?usage: run.sh FIXTURE_BIN OUT_DIR [NODE] [NODES] [EVENTS] [LOADS]}
out=${2:?usage: run.sh FIXTURE_BIN OUT_DIR [NODE] [NODES] [EVENTS] [LOADS]}
node=${3:-node}
nodes=${4:-250}
events=${5:-100000}
loads=${6:-7}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(chromium --version 2>/dev/null || echo 'chromium ?')"
"$fixture" big "$out/run" "$nodes" "$events"
"$node" "$here/../../reports/tests/browser/check_report.js" bench "$out/run/report.html" "$loads"
