#!/usr/bin/env bash
# Installs what gossiplab needs from Debian 12's archive, only what is missing.
# Idempotent; silent when everything is there.
#   scripts/setup.sh            build + run dependencies
#   scripts/setup.sh --browser  also Chromium (report tests)
#   scripts/setup.sh --serf     also serf (adapters/serf)
#   scripts/setup.sh --go       also Go + memberlist (adapters/memberlist)
#   scripts/setup.sh --vm       also QEMU, busybox-static and kmod (scripts/vm.sh)
#   scripts/setup.sh --fuzz     also clang-14 and libFuzzer (bench/fuzz, run by scripts/test.sh)
set -euo pipefail

pkgs=(g++ cmake make pkg-config libboost1.81-dev libboost-filesystem1.81-dev
      nlohmann-json3-dev catch2 libnl-3-dev libnl-route-3-dev libnetfilter-queue-dev
      iptables iproute2 procps python3)
for arg in "$@"; do
  case "$arg" in
    --browser) pkgs+=(chromium nodejs python3-jsonschema) ;;
    --serf) pkgs+=(serf) ;;
    --go) pkgs+=(golang-go golang-github-hashicorp-memberlist-dev) ;;
    --vm) pkgs+=(qemu-system-x86 busybox-static kmod file) ;;
    --fuzz) pkgs+=(clang-14 libfuzzer-14-dev) ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: missing Debian packages: ${missing[*]}" >&2
  echo "setup.sh: run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 3
fi
echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Update the lists once if they are empty or a package is unknown.
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/gossiplab-apt.log 2>&1; then
  apt-get update -qq >/dev/null 2>&1 || true
  if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/gossiplab-apt.log 2>&1; then
    echo "setup.sh: apt-get install failed; see /tmp/gossiplab-apt.log" >&2
    tail -5 /tmp/gossiplab-apt.log >&2
    exit 3
  fi
fi
