#!/usr/bin/env bash
# run-vm.sh - boot Debian's kernel (or a kernel directory of
# scripts/debug-kernel.sh) in QEMU (TCG, never KVM) with emulated devices,
# run one guest script chrooted into the host root, power off.
#
#   tests/vm/run-vm.sh [options] GUEST_SCRIPT [ARGS...]
#
# Options:
#   --dev NAME          add a device: edu, e1000, ivshmem[=SIZE] (RAM backend),
#                       ivshmem-file=PATH[,SIZE] (file backend, share=on),
#                       virtio-NAME (e.g. virtio-rng: -device virtio-rng-pci)
#   --qemu-arg ARG      pass ARG to qemu verbatim (repeatable)
#   --append ARGS       add ARGS to the kernel command line
#   --modules M1,M2     load these modules of the image package (dependencies
#                       are resolved from each .ko's depends= field)
#   --kernel-dir DIR    boot DIR/bzImage with the modules of DIR/lib/modules/KVER
#                       (KVER from DIR/kernelrelease), not Debian's kernel; its
#                       base initramfs is cached apart. Default: $VM_KERNEL_DIR
#   --insmod PATH[:ARGS] insmod a host-built .ko before the script runs
#                       (ARGS separated by spaces; quote the whole option)
#   --file PATH         copy PATH into the guest's /run/vm/files/
#   --env K=V           export K=V to the guest script (repeatable)
#   --results DIR       host directory shared writable as /run/vm/results
#                       (default: a new directory under $VM_WORKDIR)
#   --log FILE          QEMU's -trace memory_region_ops_* -d guest_errors log
#                       (default: RESULTS/qemu.log)
#   --timeout SECS      kill QEMU after SECS (default 120) times
#                       $VM_TIMEOUT_SCALE (default 1: a debug kernel is slower)
#                       exit 124
#   --mem SIZE          guest memory (default $VM_MEM, else 512M; the debug
#                       kernel of scripts/debug-kernel.sh needs 1G to boot)
#   --smp N             guest CPUs (default 2)
#   --no-trace          do not enable the memory_region_ops trace (faster)
#   --link-control      QEMU monitor on a socket; the guest script writes
#                       "on" or "off" to $VM_RESULTS/set-link and the host
#                       runs `set_link` on the first e1000's netdev, then
#                       writes $VM_RESULTS/set-link.done
#   --prepare           only install packages and build the cached initramfs
#   -q                  do not copy the guest console to stdout
#
# $VM_ACCEL replaces QEMU's -accel argument (default tcg; never kvm here:
# it hangs). tcg,thread=single runs the vCPUs on one host thread, without
# multi-threaded TCG's cross-modifying-code race (docs/HOWTO_TEST.md).
#
# Exit status: the guest script's status; 124 on timeout; 125 when the
# console or the guest's dmesg shows a kernel report (BUG:/Oops/WARNING:/Call
# Trace, KASAN, lockdep, RCU, lockups...: tests/vm/kernel-reports.sh; they are
# also listed in RESULTS/kernel-reports.txt) or the guest never ran the
# script; 77 (with a one-line reason as last line) when QEMU cannot run here.
#
# In the guest: the host's / is mounted read-only (virtio-9p,
# multidevs=remap) and the script runs chrooted there as root with tmpfs on
# /tmp and /run. Host files outside /tmp and /run are visible at their own
# paths. Environment: VM_RESULTS, VM_FILES, VM_TOPDIR (this source tree),
# VM_LIB (tests/vm/guest-lib.sh: PCI/BAR helpers), VM_MODDIR (the host path of
# the booted kernel's /lib/modules/KVER), VM_TIMEOUT_SCALE and every --env.
set -u
set -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
topdir=$(cd "$here/../.." && pwd)
cache=${VM_CACHE:-$here/cache}
workdir=${VM_WORKDIR:-$topdir/build/vm}

linkctl=0
linkdev=
die() { echo "run-vm: $*" >&2; exit 125; }
skip() { echo "SKIP: run-vm: $*"; exit 77; }
say() { [ "$quiet" = 1 ] || echo "run-vm: $*"; }

devs=() qargs=() mods=() insmods=() files=() envs=()
append= results= log= timeout=120 mem=${VM_MEM:-512M} smp=2 trace=1 prepare=0 quiet=0
kerneldir=${VM_KERNEL_DIR:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--dev) devs+=("$2"); shift 2 ;;
	--qemu-arg) qargs+=("$2"); shift 2 ;;
	--append) append+=" $2"; shift 2 ;;
	--modules) IFS=, read -r -a m <<<"$2"; mods+=("${m[@]}"); shift 2 ;;
	--kernel-dir) kerneldir=$2; shift 2 ;;
	--insmod) insmods+=("$2"); shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--results) results=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--no-trace) trace=0; shift ;;
	--link-control) linkctl=1; shift ;;
	--prepare) prepare=1; shift ;;
	-q) quiet=1; shift ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	--) shift; break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) break ;;
	esac
done
scale=${VM_TIMEOUT_SCALE:-1}
[[ "$scale" =~ ^[0-9]+([.][0-9]+)?$ ]] && [[ "$timeout" =~ ^[0-9]+$ ]] ||
	die "bad --timeout $timeout or VM_TIMEOUT_SCALE $scale (numbers)"
timeout=$(awk -v t="$timeout" -v s="$scale" 'BEGIN { x = int(t * s + 0.5); print (x < 1 ? 1 : x) }')
. "$here/kernel-reports.sh" || die "cannot read $here/kernel-reports.sh"
if [ "$prepare" = 0 ]; then
	[ $# -ge 1 ] || die "usage: run-vm.sh [options] GUEST_SCRIPT [ARGS...]"
	script=$1; shift
	[ -r "$script" ] || die "guest script $script not readable"
fi

# ---- installation --------------------------------------------------------

apt_updated=0
apt_install() {
	# apt_install PKG...: install what is missing; 'apt-get update' once on need.
	local need=() p
	for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
	[ ${#need[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || return 1
	say "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "${need[@]}" >"$workdir/apt.log" 2>&1 && return 0
	[ $apt_updated = 1 ] && return 1
	apt_updated=1
	apt-get update -q >>"$workdir/apt.log" 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "${need[@]}" >>"$workdir/apt.log" 2>&1
}

kernel_version() {
	# The ABI name linux-image-amd64 depends on now, e.g. 6.1.0-56-amd64.
	local v
	v=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n1)
	if [ -z "$v" ] && [ $apt_updated = 0 ] && [ "$(id -u)" = 0 ]; then
		apt_updated=1
		apt-get update -q >>"$workdir/apt.log" 2>&1
		v=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n1)
	fi
	echo "$v"
}

# fetch_unpack PKG DIR: apt-get download + dpkg-deb -x into DIR (cached).
fetch_unpack() {
	local pkg=$1 dir=$2 deb
	[ -e "$dir/.done" ] && return 0
	rm -rf "$dir" && mkdir -p "$dir/deb" || return 1
	(cd "$dir/deb" && apt-get download "$pkg" >>"$workdir/apt.log" 2>&1) || {
		[ $apt_updated = 1 ] && return 1
		apt_updated=1; apt-get update -q >>"$workdir/apt.log" 2>&1
		(cd "$dir/deb" && apt-get download "$pkg" >>"$workdir/apt.log" 2>&1) || return 1
	}
	deb=$(ls "$dir"/deb/*.deb | head -n1)
	dpkg-deb -x "$deb" "$dir/root" || return 1
	rm -f "$deb"
	touch "$dir/.done"
}

mkdir -p "$workdir" "$cache" || die "cannot create $workdir or $cache"
# One preparation at a time: several tests may start at once on a fresh cache.
exec 9>"$cache/.lock" && flock 9 || die "cannot lock $cache/.lock"
command -v apt-get >/dev/null || skip "not a Debian system (no apt-get)"
if [ -n "$kerneldir" ]; then
	# A kernel of scripts/debug-kernel.sh: bzImage, kernelrelease, lib/modules.
	kerneldir=$(cd "$kerneldir" 2>/dev/null && pwd) || die "--kernel-dir/VM_KERNEL_DIR: no directory ${VM_KERNEL_DIR:-}"
	[ -r "$kerneldir/bzImage" ] && [ -r "$kerneldir/kernelrelease" ] ||
		die "$kerneldir has no bzImage or kernelrelease (see scripts/debug-kernel.sh)"
	kver=$(cat "$kerneldir/kernelrelease")
	apt_install qemu-system-x86 busybox-static kmod ||
		echo "run-vm: warning: apt-get install failed, see $workdir/apt.log" >&2
else
	kver=$(kernel_version)
	[ -n "$kver" ] || skip "cannot resolve the kernel of linux-image-amd64 (apt-cache depends failed)"
	apt_install qemu-system-x86 busybox-static kmod "linux-headers-$kver" ||
		echo "run-vm: warning: apt-get install failed, see $workdir/apt.log" >&2
fi
qemu=${VM_QEMU:-$(command -v qemu-system-x86_64)}
[ -n "$qemu" ] && [ -x "$qemu" ] || skip "no QEMU: qemu-system-x86_64 missing after trying to install qemu-system-x86"
bbstatic=/bin/busybox
dpkg -s busybox-static >/dev/null 2>&1 || skip "busybox-static missing after trying to install it"
if [ -z "$kerneldir" ]; then
	fetch_unpack "linux-image-$kver" "$cache/linux-image-$kver" ||
		skip "cannot download or unpack linux-image-$kver (see $workdir/apt.log)"
fi
# The dynamic busybox (Debian package busybox), unpacked, never installed.
fetch_unpack busybox "$cache/busybox-dyn" ||
	echo "run-vm: warning: cannot unpack package busybox (dynamic busybox unavailable)" >&2

if [ -n "$kerneldir" ]; then
	# Cached apart from Debian's, per kernel directory (and per build of it).
	kcache=$cache/kernel-dir-$(echo "$kerneldir" | md5sum | cut -c1-12)
	mkdir -p "$kcache" || die "cannot create $kcache"
	kstamp=$(stat -c %Y "$kerneldir/bzImage")
	[ "$(cat "$kcache/bzImage-mtime" 2>/dev/null)" = "$kstamp" ] ||
		{ rm -f "$kcache"/*; echo "$kerneldir" >"$kcache/kernel-dir"; echo "$kstamp" >"$kcache/bzImage-mtime"; }
	vmlinuz=$kerneldir/bzImage
	moddir=$kerneldir/lib/modules/$kver
	[ -d "$moddir/kernel" ] || die "no $moddir/kernel (modules_install INSTALL_MOD_PATH=$kerneldir)"
	modindex=$kcache/modindex
	initrd=$kcache/initramfs-$kver.cpio
else
	kroot=$cache/linux-image-$kver/root
	vmlinuz=$kroot/boot/vmlinuz-$kver
	moddir=$kroot/lib/modules/$kver
	modindex=$cache/linux-image-$kver/modindex
	initrd=$cache/initramfs-$kver.cpio
fi
[ -r "$vmlinuz" ] || die "no $vmlinuz"

# ---- modules: dependency order from each .ko's depends= field ---------------

if [ ! -s "$modindex" ]; then
	(cd "$moddir" && find kernel -name '*.ko*' | while read -r f; do
		b=${f##*/}; b=${b%%.ko*}; echo "${b//-/_} $f"
	done) >"$modindex.tmp.$$" && mv "$modindex.tmp.$$" "$modindex"
fi
declare -A modseen=()
modorder=()
mod_resolve() {
	# Depth-first: dependencies before the module itself.
	local name=${1//-/_} path dep deps
	[ -n "${modseen[$name]:-}" ] && return 0
	modseen[$name]=1
	path=$(awk -v n="$name" '$1 == n { print $2; exit }' "$modindex")
	[ -n "$path" ] || die "module $name not in $moddir (built in, or misspelt?)"
	deps=$(modinfo -F depends "$moddir/$path" 2>/dev/null) || die "modinfo failed on $path"
	IFS=, read -r -a deps <<<"$deps"
	for dep in "${deps[@]}"; do [ -n "$dep" ] && mod_resolve "$dep"; done
	modorder+=("$path")
}

# ---- cached base initramfs: static busybox, 9p + virtio-pci, /init ----------

base_mods=(virtio_pci 9pnet_virtio 9p)
stamp=$(cat "$here/guest-init.sh" "$bbstatic" | md5sum | cut -c1-12)
if [ ! -s "$initrd" ] || [ "$(cat "$initrd.stamp" 2>/dev/null)" != "$stamp" ]; then
	say "building initramfs for $kver"
	modorder=()
	for m in "${base_mods[@]}"; do mod_resolve "$m"; done
	d=$(mktemp -d "$workdir/initrd.XXXXXX") || die "mktemp failed"
	mkdir -p "$d"/{bin,dev,proc,sys,newroot,lib/modules,vm}
	cp "$bbstatic" "$d/bin/busybox"
	cp "$here/guest-init.sh" "$d/init" && chmod 755 "$d/init"
	: >"$d/lib/modules/order"
	for p in "${modorder[@]}"; do
		cp "$moddir/$p" "$d/lib/modules/"; echo "${p##*/}" >>"$d/lib/modules/order"
	done
	(cd "$d" && find . | busybox cpio -o -H newc 2>/dev/null) >"$initrd.tmp.$$" || die "cpio failed"
	cp "$d/lib/modules/order" "$initrd.mods"
	mv "$initrd.tmp.$$" "$initrd" && echo "$stamp" >"$initrd.stamp"
	rm -rf "$d"
fi
[ "$prepare" = 1 ] && { echo "run-vm: prepared: kernel $kver, $initrd"; exit 0; }
exec 9>&-

# ---- per-run initramfs: script, config, extra modules and files ---------------

run=$(mktemp -d "$workdir/run.XXXXXX") || die "mktemp failed"
keep_run=${VM_KEEP:-0}
cleanup() { [ "$keep_run" = 1 ] || rm -rf "$run"; }
trap cleanup EXIT
if [ -z "$results" ]; then results=$run/results; keep_run=1; fi
mkdir -p "$results" || die "cannot create $results"
results=$(cd "$results" && pwd)
[ -n "$log" ] || log=$results/qemu.log
console=$results/console.log
rm -f "$console" "$log" "$results/dmesg.txt" "$results/roundtrip-ms"

x=$run/extra
mkdir -p "$x/vm/mod" "$x/vm/files" "$x/vm/hostmod"
cp "$script" "$x/vm/script" || die "cannot copy $script"
modorder=()
for m in "${mods[@]}"; do [ -n "$m" ] && mod_resolve "$m"; done
for p in "${modorder[@]}"; do
	# skip what the base initramfs already loaded
	grep -qx "${p##*/}" "$initrd.mods" && continue
	cp "$moddir/$p" "$x/vm/mod/" && echo "${p##*/}" >>"$x/vm/mod/order"
done
i=0
for spec in "${insmods[@]}"; do
	path=${spec%%:*}; margs=; [ "$path" != "$spec" ] && margs=${spec#*:}
	[ -r "$path" ] || die "--insmod: $path not readable"
	i=$((i + 1)); cp "$path" "$x/vm/hostmod/$i.ko"
	printf '%s.ko %s\n' "$i" "$margs" >>"$x/vm/hostmod/order"
done
for f in "${files[@]}"; do cp -r "$f" "$x/vm/files/" || die "--file: cannot copy $f"; done
{
	sq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
	echo "VM_TOPDIR=$(sq "$topdir")"
	echo "export VM_BUSYBOX_DYN=$(sq "$cache/busybox-dyn/root/bin/busybox")"
	echo "export VM_MODDIR=$(sq "$moddir") VM_TIMEOUT_SCALE=$(sq "$scale")"
	printf "set --"; for a in "$@"; do printf " %s" "$(sq "$a")"; done; echo
	for e in "${envs[@]}"; do echo "export $(sq "$e")"; done
} >"$x/vm/config"
(cd "$x" && find . | busybox cpio -o -H newc 2>/dev/null) >"$run/extra.cpio" || die "cpio failed"
cat "$initrd" "$run/extra.cpio" >"$run/initrd.cpio"
rm -rf "$x" "$run/extra.cpio"

# ---- devices ---------------------------------------------------------------

dargs=()
n=0
for dv in "${devs[@]}"; do
	n=$((n + 1))
	case "$dv" in
	edu) dargs+=(-device edu) ;;
	e1000) dargs+=(-netdev "user,id=net$n,restrict=on" -device "e1000,netdev=net$n")
		linkdev=${linkdev:-net$n} ;;
	ivshmem|ivshmem=*)
		sz=${dv#ivshmem}; sz=${sz#=}; sz=${sz:-1M}
		dargs+=(-object "memory-backend-ram,id=ivmem$n,size=$sz" -device "ivshmem-plain,memdev=ivmem$n") ;;
	ivshmem-file=*)
		spec=${dv#ivshmem-file=}; path=${spec%%,*}; sz=1M; [ "$path" != "$spec" ] && sz=${spec#*,}
		dargs+=(-object "memory-backend-file,id=ivmem$n,size=$sz,mem-path=$path,share=on" -device "ivshmem-plain,memdev=ivmem$n") ;;
	virtio-*) dargs+=(-device "$dv-pci") ;;
	*) die "unknown --dev $dv (edu, e1000, ivshmem[=SIZE], ivshmem-file=PATH[,SIZE], virtio-NAME)" ;;
	esac
done
targs=()
[ "$trace" = 1 ] && targs=(-trace 'memory_region_ops_*' -d guest_errors -D "$log")
[ "$trace" = 0 ] && targs=(-d guest_errors -D "$log")

# ---- boot ------------------------------------------------------------------

monitor=(-monitor none)
watcher=
if [ "$linkctl" = 1 ]; then
	[ -n "$linkdev" ] || die "--link-control wants an e1000 (--dev e1000)"
	monitor=(-monitor "unix:$run/mon.sock,server=on,wait=off")
	# the guest asks through the shared results directory
	(while :; do
		if [ -f "$results/set-link" ]; then
			st=$(cat "$results/set-link")
			rm -f "$results/set-link"
			python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.2)
s.sendall(("set_link %s %s\n" % (sys.argv[2], sys.argv[3])).encode()); time.sleep(0.5); s.close()' \
				"$run/mon.sock" "$linkdev" "$st" && echo "$st" >"$results/set-link.done"
		fi
		sleep 0.2
	done) &
	watcher=$!
fi
say "booting $kver: ${devs[*]:-no devices}, script $script"
start=$(date +%s%N)
timeout -k 5 "$timeout" "$qemu" -accel "${VM_ACCEL:-tcg}" -cpu max -smp "$smp" -m "$mem" \
	-nodefaults -no-user-config -no-reboot -display none "${monitor[@]}" \
	-serial "file:$console" \
	-kernel "$vmlinuz" -initrd "$run/initrd.cpio" \
	-append "console=ttyS0 loglevel=5 panic=-1 oops=panic rdinit=/init tsc=reliable no_timer_check$append" \
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
	-virtfs "local,path=$results,mount_tag=results,security_model=none,multidevs=remap" \
	"${targs[@]}" "${dargs[@]}" "${qargs[@]}" </dev/null >"$run/qemu.out" 2>&1
qrc=$?
[ -n "$watcher" ] && { kill "$watcher"; wait "$watcher"; } 2>/dev/null
ms=$((($(date +%s%N) - start) / 1000000))
[ "$quiet" = 1 ] || sed 's/\r$//' "$console" 2>/dev/null
cat "$run/qemu.out" >&2
say "qemu exited $qrc after $((ms / 1000)).$(printf %03d $((ms % 1000)))s"
echo "$ms" >"$results/roundtrip-ms"
rm -f "$run/initrd.cpio"
tail_console() { [ "$quiet" = 1 ] && tail -n 20 "$console" 2>/dev/null | sed 's/\r$//; s/^/run-vm: console: /' >&2; }

# Kernel reports on the console and in the guest's copy of dmesg (it holds
# every level, the console only those below loglevel=5).
rm -f "$results/kernel-reports.txt"
vm_kernel_reports "$console" "$results/dmesg.txt" >"$results/kernel-reports.txt" || rm -f "$results/kernel-reports.txt"
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	tail_console
	[ -s "$results/kernel-reports.txt" ] &&
		{ echo "run-vm: kernel reports before the timeout:" >&2; head -n 5 "$results/kernel-reports.txt" >&2; }
	echo "run-vm: TIMEOUT after ${timeout}s (console: $console)" >&2; exit 124
fi
if [ -s "$results/kernel-reports.txt" ]; then
	tail_console
	echo "run-vm: kernel trouble on the console or in dmesg ($(wc -l <"$results/kernel-reports.txt") lines, all in $results/kernel-reports.txt):" >&2
	head -n 5 "$results/kernel-reports.txt" >&2; exit 125
fi
rc=$(sed -n 's/^mmiotap-vm: exit status \([0-9]*\).*/\1/p' "$console" | tail -n1)
[ -n "$rc" ] || { tail_console; echo "run-vm: the guest never reported the script's exit status (console: $console)" >&2; exit 125; }
[ "$qrc" = 0 ] || echo "run-vm: warning: qemu exited $qrc" >&2
exit "$rc"
