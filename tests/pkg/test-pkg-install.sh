#!/usr/bin/env bash
# The packages of test-pkg-build.sh installed the way users install them: apt
# in a fresh Debian root (debootstrap --variant=minbase from Debian's archive,
# cached with gcc, pkg-config, dkms and the headers of the kernel the QEMU
# tests boot; tests/pkg/pkg-lib.sh). There:
#   - `mmiotap --version`
#   - the README's demo: mmio_demo (the installed example, compiled) recorded
#     by the installed CLI through the installed preload library, dumped
#   - probe_demo compiled with `pkg-config --cflags --libs libmmiotap`
#     (-Wall -Wextra -Werror), run; again linked with libmmiotap.a; and run
#     under `mmiotap record` (one copy of the library: the soname matches)
#   - mmiotap-dkms built mmiotap.ko for that kernel at install (dkms
#     status "installed", vermagic); the .ko is kept in $BUILD/pkg/dkms/KVER/
#     for tests/vm/test-pkg-dkms-edu.sh, which loads it in QEMU
#   - apt purge removes it all
# Needs root; the first run downloads the root (about 2-3 minutes), later
# runs unpack it from /var/cache/mmiotap/pkg.
set -u
. "$(dirname "$0")/pkg-lib.sh"
[ "$(id -u)" = 0 ] || pkg_skip "needs root (chroot, mounts)"
pkg_build
debs=()
for p in mmiotap libmmiotap0 libmmiotap-dev mmiotap-dkms; do
	d=$(ls "$pkgdir/${p}"_*.deb 2>/dev/null | head -n1)
	[ -n "$d" ] || pkg_fail "no $p package in $pkgdir"
	debs+=("$d")
done
kver=$(pkg_kver)
# Outside the tree: the Makefile looks for *.d files in $BUILD, a root has many.
root=$PKG_CACHE/root.$$
t0=$(date +%s)
pkg_root "$root"
trap 'pkg_root_done "$root"' EXIT
t1=$(date +%s)
mkdir -p "$root/tmp/debs" && cp "${debs[@]}" "$root/tmp/debs/" || exit 99
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
	DEBIAN_FRONTEND=noninteractive bash -xeuo pipefail -c "$1"; }
log=$pkgdir/install.log
in_root 'cd /tmp/debs && apt-get install -y -q --no-install-recommends ./*.deb' >"$log" 2>&1 ||
	{ tail -n 40 "$log"; pkg_fail "apt-get install of the packages (log $log)"; }
t2=$(date +%s)
grep -q "Building for.*$kver" "$log" || { tail -n 30 "$log"; pkg_fail "mmiotap-dkms's postinst did not build for $kver"; }

out=$(in_root 'mmiotap --version' 2>>"$log") || pkg_fail "mmiotap --version"
[ "$out" = "mmiotap $(sed -n 's/^VERSION := //p' "$pkg_top/Makefile")" ] || pkg_fail "mmiotap --version says '$out'"

# The README's demo, with the installed example.
in_root 'cd /tmp && cc -O2 -Wall -Wextra -Werror -o mmio_demo /usr/share/doc/mmiotap/examples/mmio_demo.c &&
	mmiotap record --trace-file "/memfd:mmiotap-demo*" -o demo.trace -- ./mmio_demo &&
	mmiotap dump demo.trace >demo.txt' >>"$log" 2>&1 || { tail -n 20 "$log"; pkg_fail "the README's demo in the root"; }
grep -q '^R 4 .* 0x1234abcd ' "$root/tmp/demo.txt" && grep -q '^W ' "$root/tmp/demo.txt" ||
	{ cat "$root/tmp/demo.txt"; pkg_fail "the demo's trace lacks the ID read or the writes"; }
nacc=$(grep -c '^[RW] ' "$root/tmp/demo.txt")

# A program built with pkg-config registers a probe; static too; and under
# `mmiotap record`.
in_root 'cd /tmp && cp /usr/share/doc/mmiotap/examples/probe_demo.c . &&
	cc -Wall -Wextra -Werror -o probe_demo probe_demo.c $(pkg-config --cflags --libs libmmiotap) &&
	./probe_demo && ldd ./probe_demo | grep "libmmiotap.so.0 => /.*/libmmiotap.so.0 " >/dev/null &&
	cc -Wall -Wextra -Werror -o probe_static probe_demo.c $(pkg-config --cflags libmmiotap) \
		/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)/libmmiotap.a \
		$(pkg-config --libs-only-other --static libmmiotap) -lZydis -ldl -lpthread &&
	./probe_static && ! ldd ./probe_static | grep libmmiotap >/dev/null &&
	pkg-config --modversion mmiotap &&
	mmiotap record -q -t "/memfd:probe-demo*" -o probe.trace -- ./probe_demo && mmiotap dump probe.trace | grep "^R " >/dev/null' \
	>>"$log" 2>&1 || { tail -n 20 "$log"; pkg_fail "the pkg-config probe program in the root"; }

# mmiotap-dkms: built and installed for the headers' kernel.
st=$(in_root "dkms status mmiotap/0.1 -k $kver" 2>>"$log") || pkg_fail "dkms status"
echo "dkms status: $st"
echo "$st" | grep -q "installed" || pkg_fail "mmiotap/0.1 not installed by dkms for $kver"
ko=$(ls "$root/lib/modules/$kver/updates/dkms/mmiotap.ko"* 2>/dev/null | head -n1)
[ -n "$ko" ] || pkg_fail "no mmiotap.ko under /lib/modules/$kver/updates/dkms"
vm=$(modinfo -F vermagic "$ko" | awk '{ print $1 }')
[ "$vm" = "$kver" ] || pkg_fail "vermagic of the dkms module is '$vm', want $kver"
mkdir -p "$pkgdir/dkms/$kver" && cp "$ko" "$pkgdir/dkms/$kver/" || exit 99

in_root 'apt-get purge -y -q mmiotap mmiotap-dkms libmmiotap-dev libmmiotap0' >>"$log" 2>&1 ||
	pkg_fail "apt-get purge"
left=$(cd "$root" && ls -d usr/bin/mmiotap usr/lib/*/libmmiotap* usr/include/mmiotap usr/src/mmiotap-* \
	var/lib/dkms/mmiotap "lib/modules/$kver/updates/dkms/mmiotap.ko"* 2>/dev/null)
[ -z "$left" ] || pkg_fail "left after purge: $left"
echo "PASS: apt installed the 4 packages in a fresh $(. /etc/os-release && echo "$VERSION_CODENAME") root (root $((t1 - t0)) s, install with the dkms build for $kver $((t2 - t1)) s, rest $(($(date +%s) - t2)) s): --version, the demo ($nacc accesses), pkg-config/static/recorded probe program, dkms module (vermagic $vm), purge clean"
