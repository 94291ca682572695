#!/usr/bin/env bash
# The .deb as a user gets it: builds the package from BUILD_DIR (CPack), checks its Depends:,
# unpacks it into a temporary prefix (dpkg-deb -x) and runs the CI recipe
# (scripts/ci-recipe.sh test: contract, suite, compare) with the unpacked gossiplab, from a
# temporary directory, with GOSSIPLAB_HOME unset: nothing may come from the source tree.
#   scripts/package-test.sh BUILD_DIR           one short scenario (join-all): ctest's package_test
#   scripts/package-test.sh BUILD_DIR --full    the whole quick suite (prints its table)
# Exit 0 when all of it passed; 77 (skipped) without dpkg-deb.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: package-test.sh BUILD_DIR [--full]}" && pwd)"
full="${2:-}"
command -v dpkg-deb >/dev/null || { echo "SKIP: no dpkg-deb"; exit 77; }
tmp="$(mktemp -d /tmp/gossiplab-package-test.XXXXXX)"
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1) ||
  { tail -30 "$tmp/cpack.log" >&2; fail "cpack failed"; }
deb="$(ls "$tmp"/pkg/gossiplab_*.deb)"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "package-test: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB); Depends: $depends"
for d in libnl-3-200 libnl-route-3-200 libnetfilter-queue1 iptables iproute2; do
  grep -q "$d" <<<"$depends" || fail "Depends: lacks $d"
done

"$src/scripts/ci-recipe.sh" install "$deb" "$tmp/root"
gl="$tmp/root/usr/bin/gossiplab"
share="$tmp/root/usr/share/gossiplab"
cd "$tmp"
unset GOSSIPLAB_HOME
"$gl" list | grep -q '^join-all ' || fail "gossiplab list from the package does not list join-all"
suite=(--only join-all)
[ "$full" = --full ] && suite=()
# --base is the run's own suite: compare runs (on a run against itself) and must find nothing.
rc=0
"$src/scripts/ci-recipe.sh" test --gossiplab "$gl" --impl reference --out results \
  --base results/suite -- "${suite[@]}" || rc=$?
[ "$rc" -eq 0 ] || fail "the CI recipe exited $rc (results in $tmp/results; KEEP=1 keeps them)"

# Everything came from the unpacked tree: the scenario file, the manifest, the node binary.
report="$(ls results/suite/*/report.json | head -1)"
grep -q "\"command\": \"gossiplab run $share/scenarios/" "$report" ||
  fail "$report: the scenario did not come from $share/scenarios"
grep -q "\"argv\":\[\"$tmp/root/usr/bin/gossip-node\"" "$(dirname "$report")/history.jsonl" ||
  fail "the nodes did not run $tmp/root/usr/bin/gossip-node"
if grep -rqF "$src/" results/; then
  fail "a path of the source tree ($src) appears in the results: $(grep -rlF "$src/" results/ | head -3)"
fi
[ -f results/suite/compare.html ] && [ -f results/suite/compare-junit.xml ] ||
  fail "compare wrote no compare.html / compare-junit.xml"
echo "package-test: PASS (contract, suite ${suite[*]:-(quick)}, compare from $tmp/root)"
