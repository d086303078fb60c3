#!/usr/bin/env bash
# `dpkg-buildpackage -us -uc -b` on a copy of this tree (tests/pkg/pkg-lib.sh)
# builds mmiotap, libmmiotap0, libmmiotap-dev and mmiotap-dkms with the
# files each should hold, and lintian finds no error or warning that is not
# overridden (each override says why, in debian/*.lintian-overrides).
# The .debs stay in $BUILD/pkg for test-pkg-install.sh and the VM test.
set -u
. "$(dirname "$0")/pkg-lib.sh"
command -v lintian >/dev/null || pkg_skip "lintian missing (bash scripts/setup.sh)"
pkg_build
deb() { ls "$pkgdir/$1"_*.deb 2>/dev/null | head -n1; }
has() { # PACKAGE PATH-REGEX...
	local d p
	d=$(deb "$1") && [ -n "$d" ] || pkg_fail "no $1 package"
	shift
	for p in "$@"; do
		dpkg-deb -c "$d" | awk '{ print $6 }' | grep -qE "^\./$p\$" || pkg_fail "$(basename "$d") lacks $p"
	done
}
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
has mmiotap usr/bin/mmiotap usr/share/man/man1/mmiotap.1.gz usr/share/man/man1/mmiotap-record.1.gz \
	usr/share/man/man1/mmiotap-watch.1.gz usr/share/mmiotap/mmiotap.gdb \
	usr/share/man/man1/mmiotap-diff.1.gz usr/share/man/man1/mmiotap-replay.1.gz \
	usr/share/bash-completion/completions/mmiotap usr/share/doc/mmiotap/examples/mmio_demo.c
has libmmiotap0 "usr/lib/$ma/libmmiotap.so.0" "usr/lib/$ma/libmmiotap.so.0.1.0"
has libmmiotap-dev usr/include/mmiotap/mmiotap.h "usr/lib/$ma/libmmiotap.so" "usr/lib/$ma/libmmiotap.a" \
	"usr/lib/$ma/pkgconfig/libmmiotap.pc" usr/share/man/man3/libmmiotap.3.gz
has mmiotap-dkms usr/src/mmiotap-0.1/dkms.conf usr/src/mmiotap-0.1/Makefile usr/src/mmiotap-0.1/kmod/Kbuild \
	usr/src/mmiotap-0.1/third_party/zydis-src/src/Decoder.c
t0=$(date +%s)
lintian --fail-on error,warning --suppress-tags-from-file /dev/null "$pkgdir"/mmiotap_*.changes >"$pkgdir/lintian.txt" 2>&1
rc=$?
cat "$pkgdir/lintian.txt"
[ $rc = 0 ] || pkg_fail "lintian reports errors or warnings (above)"
echo "PASS: 4 packages built ($(grep -c . "$pkgdir/lintian.txt") lintian lines, none an error or warning; lintian took $(($(date +%s) - t0)) s)"
