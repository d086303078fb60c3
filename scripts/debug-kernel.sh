#!/usr/bin/env bash
# debug-kernel.sh - build (once, cached outside the tree) Debian's own kernel
# source, the version the VM tests boot, with Debian's config trimmed to the
# modules the tests use plus the debug options of scripts/debug-kernel.config
# (KASAN, lockdep, RCU lockdep, atomic-sleep, debugobjects, list debugging,
# lockup detectors). `make vm-check-debug` boots it (run-vm.sh VM_KERNEL_DIR).
#
#   scripts/debug-kernel.sh [--force] [--config-only] [--dir]
#
#   --force        rebuild even if the cache holds this build
#   --config-only  stop after writing and checking the .config (no build)
#   --dir          print the cache directory of the current key and exit
#                  (0 if it is built, 1 if not); builds nothing
#
# Prints progress on stderr and, last, the kernel directory on stdout:
#   DIR/bzImage               the kernel
#   DIR/kernelrelease         its `uname -r` (KVER)
#   DIR/lib/modules/KVER/     modules_install INSTALL_MOD_PATH=DIR
#   DIR/build                 the build tree: KDIR for out-of-tree modules
#   DIR/config                the final .config; DIR/config-check.txt the check
#   DIR/build-seconds         how long `make` took; DIR/build.log its output
#
# Cache: ${MMIOTAP_DEBUG_KERNEL_CACHE:-/var/cache/mmiotap/debug-kernel}/KEY,
# KEY = Debian source version + a hash of this script, the config fragment and
# the module list: changing any of them builds anew; the same key never
# rebuilds. The kernel must be the one linux-image-amd64 depends on (as in
# tests/vm/run-vm.sh); the source package's version must equal the image's.
set -u
set -o pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
topdir=$(cd "$here/.." && pwd)
fragment=$here/debug-kernel.config
modlist=$here/debug-kernel.modules
cache=${MMIOTAP_DEBUG_KERNEL_CACHE:-/var/cache/mmiotap/debug-kernel}

die() { echo "debug-kernel: ERROR: $*" >&2; exit 1; }
say() { echo "debug-kernel: $*" >&2; }

force=0 config_only=0 dir_only=0
while [ $# -gt 0 ]; do
	case "$1" in
	--force) force=1 ;;
	--config-only) config_only=1 ;;
	--dir) dir_only=1 ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
	shift
done
[ -r "$fragment" ] && [ -r "$modlist" ] || die "missing $fragment or $modlist"

# ---- which kernel: the one the VM tests boot ----------------------------------

mkdir -p "$cache" || die "cannot create $cache"
apt_updated=0
apt_update() { [ $apt_updated = 1 ] && return 0; apt_updated=1; say "apt-get update"; apt-get update -q >>"$cache/apt.log" 2>&1; }
kver_debian() {
	apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n1
}
dkver=$(kver_debian)
[ -n "$dkver" ] || { apt_update; dkver=$(kver_debian); }
[ -n "$dkver" ] || die "cannot resolve the kernel linux-image-amd64 depends on"
imgver=$(apt-cache show --no-all-versions "linux-image-$dkver" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
[ -n "$imgver" ] || die "no version for linux-image-$dkver"
srcpkg=linux-source-$(echo "$dkver" | cut -d. -f1-2)   # 6.1.0-57-amd64 -> linux-source-6.1

key=$imgver-$(cat "$0" "$fragment" "$modlist" | sha256sum | cut -c1-12)
out=$cache/$key
if [ $dir_only = 1 ]; then
	echo "$out"
	[ -e "$out/.done" ]
	exit
fi
exec 9>"$cache/.lock" && flock 9 || die "cannot lock $cache/.lock"
if [ -e "$out/.done" ] && [ $force = 0 ] && [ $config_only = 0 ]; then
	say "cached: $(cat "$out/kernelrelease") from $srcpkg $imgver (built in $(cat "$out/build-seconds") s)"
	say "kernel directory: $out"
	echo "$out"
	exit 0
fi

# ---- build dependencies -----------------------------------------------------------

need=()
for p in bc bison flex libssl-dev libelf-dev dwarves rsync cpio xz-utils openssl make gcc perl kmod; do
	dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
[ "$(dpkg-query -W -f '${Version}' "$srcpkg" 2>/dev/null)" = "$imgver" ] || need+=("$srcpkg=$imgver")
if [ ${#need[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "need root to install ${need[*]}"
	say "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "${need[@]}" >>"$cache/apt.log" 2>&1 || {
		apt_update
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "${need[@]}" >>"$cache/apt.log" 2>&1 ||
			die "apt-get install ${need[*]} failed (see $cache/apt.log)"
	}
fi
srcver=$(dpkg-query -W -f '${Version}' "$srcpkg")
[ "$srcver" = "$imgver" ] || die "$srcpkg is $srcver but linux-image-$dkver is $imgver: not the kernel the VM tests boot"
tarball=/usr/src/$srcpkg.tar.xz
dconfig=/usr/src/linux-config-${srcpkg#linux-source-}/config.amd64_none_amd64.xz
[ -r "$tarball" ] && [ -r "$dconfig" ] || die "$srcpkg has no $tarball or $dconfig"

# The image package's own config (run-vm.sh unpacks it) must be the same.
vmcache=${VM_CACHE:-$topdir/tests/vm/cache}
iconfig=$vmcache/linux-image-$dkver/root/boot/config-$dkver
if [ -r "$iconfig" ]; then
	xz -dc "$dconfig" | cmp -s - "$iconfig" || die "$dconfig differs from $iconfig"
	say "Debian's config: $dconfig (equal to $iconfig)"
else
	say "Debian's config: $dconfig ($iconfig not unpacked yet: not compared)"
fi

# ---- the modules the VM tests load -----------------------------------------------

mods=$(sed 's/#.*//' "$modlist" | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
# Every --modules of the VM tests and benchmarks must be listed.
for m in $(ls "$topdir"/tests/vm/*.sh "$topdir"/bench/*.sh 2>/dev/null | grep -v '/run-vm\.sh$' |
		xargs grep -ho -- '--modules[ =][^ ]*' |
		sed 's/^--modules[ =]//; s/["'\'']//g' | tr , '\n' | grep -v '^\$' | sort -u); do
	echo "$mods" | grep -qx "${m//-/_}" || die "--modules $m (tests/vm or bench) is not in $modlist"
done

# ---- source and config ----------------------------------------------------------

rm -rf "$out" && mkdir -p "$out" || die "cannot create $out"
say "unpacking $tarball into $out/build"
tar -xJf "$tarball" -C "$out" && mv "$out/$srcpkg" "$out/build" || die "cannot unpack $tarball"
src=$out/build
xz -dc "$dconfig" >"$src/.config" || die "cannot write .config"
{ echo "Module Size Used"; for m in $mods; do echo "$m 0 0"; done; } >"$out/lsmod.txt"
(cd "$src" && make -s olddefconfig </dev/null && { yes '' || true; } | make -s LSMOD="$out/lsmod.txt" localmodconfig) \
	>"$out/config.log" 2>&1 || { tail -n 30 "$out/config.log" >&2; die "localmodconfig failed (see $out/config.log)"; }
(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$fragment" && make -s olddefconfig </dev/null) \
	>>"$out/config.log" 2>&1 || { tail -n 30 "$out/config.log" >&2; die "merging $fragment failed (see $out/config.log)"; }

# Every line of the fragment must hold in the final .config, and every module
# of the list must be a module.
check=$out/config-check.txt
bad=0
: >"$check"
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) opt=${line%%=*}; want=$line ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}; want=$line ;;
	*) continue ;;
	esac
	got=$(grep -E "^$opt=|^# $opt is not set" "$src/.config")
	if [ "$got" = "$want" ] || { [ -z "$got" ] && [ "${want#\# }" != "$want" ]; }; then
		printf 'ok    %-45s %s\n' "$opt" "${got:-(absent: not set)}" >>"$check"
	else
		printf 'FAIL  %-45s want %s, got %s\n' "$opt" "$want" "${got:-(absent)}" >>"$check"; bad=1
	fi
done <"$fragment"
# module name -> the option that builds it (obj-$(CONFIG_X) += name.o)
find "$src" -path "$src/Documentation" -prune -o -name Makefile -print0 |
	xargs -0 sed -n 's/^obj-\$(\(CONFIG_[A-Z0-9_]*\))[ \t]*[:+]\{0,1\}=[ \t]*\(.*\)$/\1 \2/p' >"$out/modopts.txt"
for m in $mods; do
	opt=$(awk -v m="$m" '{ for (i = 2; i <= NF; i++) { x = $i; gsub(/-/, "_", x); if (x == m ".o") { print $1; exit } } }' "$out/modopts.txt")
	got=$(grep -E "^$opt=" "$src/.config" 2>/dev/null)
	if [ -n "$opt" ] && [ "$got" = "$opt=m" ]; then
		printf 'ok    %-45s %s (module %s)\n' "$opt" "$got" "$m" >>"$check"
	else
		printf 'FAIL  module %-38s option %s: %s\n' "$m" "${opt:-?}" "${got:-not a module}" >>"$check"; bad=1
	fi
done
say "config check (fragment $fragment, modules $modlist):"
sed 's/^/debug-kernel:   /' "$check" >&2
[ $bad = 0 ] || die "the final .config lacks options asked for (FAIL lines above; $out/config.log)"
say "$(grep -c '=m$' "$src/.config") modules, $(grep -c '=y$' "$src/.config") built-in options"
cp "$src/.config" "$out/config"
[ $config_only = 1 ] && { say "config only: $out/config"; echo "$out"; exit 0; }

# ---- build ----------------------------------------------------------------------

say "building $(cd "$src" && make -s kernelrelease) with nice -n 10 make -j2 (log: $out/build.log); this takes long"
t0=$(date +%s)
(cd "$src" && nice -n 10 make -j2 bzImage modules) >"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log" >&2; die "kernel build failed (see $out/build.log)"; }
t1=$(date +%s)
(cd "$src" && nice -n 10 make -s INSTALL_MOD_PATH="$out" modules_install) >>"$out/build.log" 2>&1 ||
	{ tail -n 20 "$out/build.log" >&2; die "modules_install failed (see $out/build.log)"; }
kver=$(cd "$src" && make -s kernelrelease)
cp "$src/arch/x86/boot/bzImage" "$out/bzImage" && echo "$kver" >"$out/kernelrelease" || die "cannot copy bzImage"
echo $((t1 - t0)) >"$out/build-seconds"
# Dependencies of the listed modules must all have been built.
for m in $mods; do
	[ -n "$(find "$out/lib/modules/$kver/kernel" -name "$m.ko*" -o -name "${m//_/-}.ko*" | head -n1)" ] ||
		die "module $m was not built"
done
ln -sfn "$key" "$cache/latest"
touch "$out/.done"
say "built $kver in $((t1 - t0)) s ($(((t1 - t0) / 60)) min); kernel directory: $out"
echo "$out"
