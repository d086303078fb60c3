#!/usr/bin/env bash
# The module mmiotap-dkms built, in QEMU, tracing edu: tests/pkg/test-pkg-install.sh
# installs the packages into a fresh Debian root with the headers of the
# kernel these tests boot, and dkms builds mmiotap.ko there at install
# ($BUILD/pkg/dkms/KVER/mmiotap.ko, made here when missing). The guest
# script of test-kmod-edu.sh then runs with the packaged CLI (the mmiotap
# and libmmiotap0 .debs unpacked) loading that module (MMIOTAP_KO: no
# fallback to the build tree's), the edu test driver on 2 CPUs; the trace
# must hold every access and equal QEMU's log.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
. "$top/tests/pkg/pkg-lib.sh"
kver=$(pkg_kver)
[ -n "$kver" ] || { echo "FAIL: cannot resolve the kernel of linux-image-amd64"; exit 1; }
ko=$pkgdir/dkms/$kver/mmiotap.ko
if [ ! -f "$ko" ] || [ "$(cat "$pkgdir/stamp" 2>/dev/null)" != "$(cd "$top" && { git rev-parse HEAD; git diff HEAD; git status --porcelain; } | sha256sum | cut -c1-16)" ]; then
	bash "$top/tests/pkg/test-pkg-install.sh"
	rc=$?
	[ $rc = 0 ] || exit $rc
fi
[ -f "$ko" ] || { echo "FAIL: no $ko after test-pkg-install.sh"; exit 1; }
x=$pkgdir/extract
rm -rf "$x" && mkdir -p "$x" || exit 99
for p in mmiotap libmmiotap0; do
	dpkg-deb -x "$(ls "$pkgdir/${p}"_*.deb | head -n1)" "$x" || { echo "FAIL: dpkg-deb -x $p"; exit 1; }
done
mt=$x/usr/bin/mmiotap
ITERS=${MTK_ITERS:-100}
res=$top/$B/vm/test-pkg-dkms-edu
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$mt" --env MMIOTAP_KO="$ko" \
	--env MTK_ITERS="$ITERS" "$top/kmod/tests/guest-edu.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; exit 1; }
bar=$(cat "$res/edu-bar")
"$top/$B/mmiotap" dump "$res/edu.trace" >"$res/edu.txt" || { echo "FAIL: mmiotap dump"; exit 1; }
n=$(grep -c '^[RW] ' "$res/edu.txt")
[ "$n" -eq $((4 * ITERS)) ] || { echo "FAIL: $n traced accesses, want $((4 * ITERS))"; exit 1; }
grep -q '^MARK .*edu test loaded' "$res/edu.txt" || { echo "FAIL: the marker is not in the trace"; exit 1; }
MMIOTAP="$top/$B/mmiotap" "$top/$B/qemu-compare" --per-cpu --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/edu.trace" ||
	{ echo "FAIL: trace differs from QEMU's log (per CPU)"; exit 1; }
echo "PASS: the dkms-built mmiotap.ko ($kver), loaded by the packaged CLI in QEMU, traced $n edu accesses from 2 CPUs equal to QEMU's log"
