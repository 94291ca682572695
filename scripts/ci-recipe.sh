#!/usr/bin/env bash
# The CI recipe of docs/ci.md: every shell step a CI job runs to test an implementation with
# gossiplab. The GitHub Actions and GitLab CI examples (docs/examples/) call only this script,
# and this project's own CI runs it on the package it builds (ctest -R package_test), so the
# recipe cannot rot.
#
#   ci-recipe.sh install DEB [PREFIX]
#       Installs the gossiplab package DEB: with apt-get (as root; pulls its Depends:), or,
#       given PREFIX, unpacked there with dpkg-deb -x (no root; PREFIX/usr/bin/gossiplab).
#   ci-recipe.sh test [--impl NAME|PATH] [--out DIR] [--base DIR] [--gossiplab EXE]
#                     [-- more `gossiplab suite` options]
#       1. gossiplab contract --impl IMPL          -> DIR/contract/ (the one-minute self-test)
#       2. gossiplab suite --quick --impl IMPL     -> DIR/suite/ (index.html, junit.xml)
#       3. with --base (a previous run's DIR/suite, e.g. the last green run's artifact):
#          gossiplab compare BASE DIR/suite        -> DIR/suite/compare.html, compare-junit.xml
#       Defaults: --impl ./impl.json, --out gossiplab-results, --gossiplab: gossiplab on PATH.
#       Every step runs; the exit code is the worst: 0 all passed, 1 a requirement or check
#       failed or a regression, 2 bad input, 3 environment problem.
set -euo pipefail

die() {
  echo "ci-recipe.sh: $*" >&2
  exit 2
}

install_deb() {
  local deb="${1:-}" prefix="${2:-}"
  [ -f "$deb" ] || die "install: no package file '$deb'"
  if [ -n "$prefix" ]; then
    mkdir -p "$prefix"
    dpkg-deb -x "$deb" "$prefix"
    echo "ci-recipe.sh: unpacked $deb into $prefix ($prefix/usr/bin/gossiplab)"
  else
    [ "$(id -u)" -eq 0 ] || die "install: apt-get needs root (or give a PREFIX to unpack into)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")"
  fi
}

run_tests() {
  local impl=./impl.json out=gossiplab-results base="" gl=gossiplab
  while [ $# -gt 0 ]; do
    case "$1" in
      --impl) impl="${2:?--impl needs a value}"; shift 2 ;;
      --out) out="${2:?--out needs a value}"; shift 2 ;;
      --base) base="${2:?--base needs a value}"; shift 2 ;;
      --gossiplab) gl="${2:?--gossiplab needs a value}"; shift 2 ;;
      --) shift; break ;;
      *) die "test: unknown option '$1' (see the top of $0)" ;;
    esac
  done
  command -v "$gl" >/dev/null || die "test: no gossiplab at '$gl' (install it first)"
  mkdir -p "$out"
  local worst=0 rc
  note() { # STEP RC: keeps the worst exit code
    echo "ci-recipe.sh: $1: exit $2" >&2
    if [ "$2" -gt "$worst" ]; then worst=$2; fi
  }
  "$gl" --version
  "$gl" doctor || true  # what the machine offers, for the log; the suite decides
  rc=0; "$gl" contract --impl "$impl" --out "$out/contract" || rc=$?; note contract $rc
  rc=0; "$gl" suite --quick --impl "$impl" --out "$out/suite" "$@" || rc=$?; note suite $rc
  if [ -n "$base" ]; then
    if [ -d "$base" ]; then
      rc=0; "$gl" compare "$base" "$out/suite" || rc=$?; note compare $rc
    else
      echo "ci-recipe.sh: no base run at '$base': nothing to compare against" >&2
    fi
  fi
  echo "ci-recipe.sh: results in $out (suite/index.html, suite/junit.xml)" >&2
  return "$worst"
}

case "${1:-}" in
  install) shift; install_deb "$@" ;;
  test) shift; run_tests "$@" ;;
  -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "usage: ci-recipe.sh install DEB [PREFIX] | test [options] (see --help)" ;;
esac
