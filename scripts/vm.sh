#!/usr/bin/env bash
# Runs a command as root inside a QEMU guest that boots a stock Debian kernel (one that has
# sch_netem), with this machine's root file system as the guest's root (read-only, under a
# tmpfs overlay) and the checkout writable at the same path. Prints the command's output and
# exits with its exit code.
#
#   scripts/vm.sh [options] [--] CMD [ARG...]
#
#   --accel auto|kvm|tcg  KVM where a KVM guest boots, TCG otherwise (default auto; the
#                         probe's answer is cached for this host boot)
#   --smp N               guest CPUs (default: this machine's CPUs, at most 4)
#   --mem MiB             guest memory (default 4096)
#   --timeout S           kill the guest after S seconds (default 3000); exit 124
#   --kernel PKG          kernel package (default: what linux-image-amd64 depends on)
#   -h, --help            this text
#
# Environment: GOSSIPLAB_VM_CACHE (default build/vm: the unpacked kernel and initramfs),
# and CI plus every GOSSIPLAB_* variable are passed into the guest.
# Exit codes: CMD's own; 124 the guest timed out; 3 the VM could not be built or booted.
# The host is left as it was: nothing is installed but the packages scripts/setup.sh --vm
# names, and everything built lives under the cache folder.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd -P)
accel=auto
smp=$(nproc 2>/dev/null || echo 2)
[ "$smp" -gt 4 ] && smp=4
mem=4096
timeout_s=3000
kpkg=""
die() { echo "vm.sh: $*" >&2; exit 3; }
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --accel) accel=${2:?--accel needs auto, kvm or tcg}; shift 2 ;;
    --smp) smp=${2:?--smp needs a number}; shift 2 ;;
    --mem) mem=${2:?--mem needs MiB}; shift 2 ;;
    --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
    --kernel) kpkg=${2:?--kernel needs a package name}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; break ;;
    -*) echo "vm.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "vm.sh: no command given (see --help)" >&2; exit 2; }
case "$accel" in auto|kvm|tcg) ;; *) echo "vm.sh: --accel must be auto, kvm or tcg (got '$accel')" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || die "run as root (the guest runs CMD as root; QEMU's 9p shares need it)"

"$top/scripts/setup.sh" --vm

cache=${GOSSIPLAB_VM_CACHE:-$top/build/vm}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)

# --- the kernel: a stock Debian package, unpacked (never installed) ---------------------------
if [ -z "$kpkg" ]; then
  kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [ -z "$kpkg" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  fi
  [ -n "$kpkg" ] || die "cannot tell which kernel linux-image-amd64 depends on (apt-cache depends linux-image-amd64)"
fi
kdir=$cache/$kpkg
if [ ! -f "$kdir/.unpacked" ]; then
  echo "vm.sh: fetching $kpkg (apt-get download, unpacked under $kdir)" >&2
  rm -rf "$kdir"; mkdir -p "$kdir/deb"
  ( cd "$kdir/deb" && apt-get download -qq "$kpkg" >"$kdir/download.log" 2>&1 ) \
    || { apt-get update -qq >/dev/null 2>&1 || true;
         ( cd "$kdir/deb" && apt-get download -qq "$kpkg" >"$kdir/download.log" 2>&1 ) ; } \
    || die "apt-get download $kpkg failed: $(tail -2 "$kdir/download.log")"
  dpkg-deb -x "$kdir"/deb/*.deb "$kdir/root" || die "dpkg-deb -x failed for $kpkg"
  rm -rf "$kdir/deb"
  touch "$kdir/.unpacked"
fi
kver=$(ls "$kdir/root/lib/modules" | head -1)
[ -n "$kver" ] || die "$kpkg has no lib/modules"
vmlinuz=$kdir/root/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "$kpkg has no /boot/vmlinuz-$kver"
moddir=$kdir/root/lib/modules/$kver
[ -f "$moddir/modules.dep" ] && [ "$moddir/modules.dep" -nt "$kdir/.unpacked" ] || depmod -b "$kdir/root" "$kver"

# --- the initramfs: busybox, the modules for virtio + 9p + overlay, and our init --------------
initrd=$kdir/initrd.gz
init_src=$top/scripts/vm/init
if [ ! -f "$initrd" ] || [ "$init_src" -nt "$initrd" ] || [ "$0" -nt "$initrd" ]; then
  stage=$kdir/initramfs
  rm -rf "$stage"; mkdir -p "$stage"/{bin,dev,proc,sys,mnt,newroot,mods}
  cp /bin/busybox "$stage/bin/busybox"
  file -b /bin/busybox 2>/dev/null | grep -q static || ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' \
    || die "/bin/busybox is not static (install busybox-static)"
  cp "$init_src" "$stage/init"; chmod 755 "$stage/init"
  # Every module the wanted ones need, in load order (dependencies first), from modules.dep.
  declare -A seen=()
  order=()
  add_mod() {
    local rel=$1 line dep
    [ -n "${seen[$rel]:-}" ] && return 0
    seen[$rel]=1
    line=$(grep -m1 "^$rel:" "$moddir/modules.dep") || die "module $rel not in modules.dep"
    for dep in ${line#*:}; do add_mod "$dep"; done
    order+=("$rel")
  }
  for name in virtio_pci 9pnet_virtio 9p overlay; do
    rel=$(grep -m1 -E "(^|/)$name\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | cut -d: -f1) \
      || die "kernel $kver has no module $name"
    add_mod "$rel"
  done
  : >"$stage/mods/order"
  for rel in "${order[@]}"; do
    case "$rel" in *.ko) ;; *) die "compressed module $rel: busybox insmod needs plain .ko" ;; esac
    cp "$moddir/$rel" "$stage/mods/"
    basename "$rel" >>"$stage/mods/order"
  done
  mknod -m 600 "$stage/dev/console" c 5 1
  ( cd "$stage" && find . | /bin/busybox cpio -o -H newc 2>/dev/null ) | gzip -1 >"$initrd.tmp"
  mv "$initrd.tmp" "$initrd"
fi

# --- one boot ---------------------------------------------------------------------------------
run_dir=$(mktemp -d /tmp/gossiplab-vm.XXXXXX)
qpid=""
cleanup() {
  [ -n "$qpid" ] && kill "$qpid" 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

boot() {  # boot ACCEL TIMEOUT MODE -> qemu's exit status; guest output on stdout
  local acc=$1 tmo=$2 mode=$3 cpu=max
  local -a accel_args=(-accel tcg,thread=multi -cpu max)
  [ "$acc" = kvm ] && accel_args=(-accel kvm -cpu host,-arch-capabilities)
  [ "$mode" = probe ] && cpu=probe
  timeout --foreground -k 5 "$tmo" qemu-system-x86_64 "${accel_args[@]}" -smp "$smp" -m "$mem" \
    -nodefaults -no-user-config -display none -serial stdio -monitor none -nic none \
    -kernel "$vmlinuz" -initrd "$initrd" \
    -append "console=ttyS0 quiet loglevel=1 panic=-1 gl.mode=$mode gl.top=$top gl.mods=$moddir" \
    -virtfs "local,path=/,mount_tag=glroot,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$top,mount_tag=gltop,security_model=none,multidevs=remap" \
    -virtfs "local,path=$run_dir,mount_tag=glout,security_model=none" \
    -no-reboot </dev/null
}

kvm_works() {  # a short boot under KVM that must reach our init; cached per host boot
  [ -e /dev/kvm ] || return 1
  local key; key=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
  local memo=$cache/kvm-probe
  if [ -f "$memo" ] && [ "$(head -1 "$memo")" = "$key" ]; then
    [ "$(sed -n 2p "$memo")" = yes ]; return
  fi
  local ans=no
  if boot kvm 25 probe 2>/dev/null | tr -d '\r' | grep -q '^gossiplab-vm: alive'; then ans=yes; fi
  printf '%s\n%s\n' "$key" "$ans" >"$memo"
  [ "$ans" = yes ]
}

if [ "$accel" = auto ]; then
  if kvm_works; then accel=kvm; why="a KVM guest boots here"
  else accel=tcg; why=$([ -e /dev/kvm ] && echo "a KVM guest does not boot here (nested virtualization?)" || echo "no /dev/kvm"); fi
else
  why="asked for"
fi
echo "vm.sh: $kpkg under QEMU ${accel^^} ($why), $smp CPUs, $mem MiB" >&2

# The command, run by the guest's second stage in the checkout's directory.
{
  echo "cd $(printf '%q' "$(pwd -P)")"
  echo "export GOSSIPLAB_VM_ACCEL=$accel"
  while IFS='=' read -r k _; do
    case "$k" in CI|GOSSIPLAB_*) [ "$k" = GOSSIPLAB_VM_CACHE ] || printf 'export %s=%q\n' "$k" "${!k}" ;; esac
  done < <(env)
  printf '%q ' "$@"; echo
} >"$run_dir/cmd"
cp "$top/scripts/vm/stage2" "$run_dir/stage2"

set +e
# Line by line (progress shows live), without the serial line's CRs and the power-off notes.
boot "$accel" "$timeout_s" run |
  sed -u -E -e 's/\r$//' -e '/^\[ *[0-9.]+\] (sysrq: Power Off|reboot: Power down)$/d'
qrc=${PIPESTATUS[0]}
set -e
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
  echo "vm.sh: the guest ran past --timeout ${timeout_s}s and was stopped" >&2
  exit 124
fi
if [ ! -f "$run_dir/rc" ]; then
  echo "vm.sh: the guest stopped without reporting the command's exit code (qemu exit $qrc)" >&2
  [ -f "$run_dir/stage1.log" ] && sed 's/^/vm.sh: guest: /' "$run_dir/stage1.log" >&2
  exit 3
fi
exit "$(cat "$run_dir/rc")"
