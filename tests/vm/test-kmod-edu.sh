#!/usr/bin/env bash
# mmiotap.ko on QEMU's edu: the test driver (kmod/tests/mtk_edutest.c)
# ioremaps BAR0 and accesses it from 2 CPUs at once while mmiotap.ko traces
# it from load time; the trace must equal QEMU's memory_region_ops log,
# access by access, in order, with values; no BUG/Oops/WARNING (run-vm).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=${BUILD:-build}
cd "$top"
make -s kmod BUILD="$B" >/dev/null 2>"$top/$B/kmod-build.err" || { echo "FAIL: make kmod"; cat "$top/$B/kmod-build.err"; exit 1; }
make -s BUILD="$B" "$B/kmod-tools/mtk-read" "$B/qemu-compare" >/dev/null || { echo "FAIL: build helpers"; exit 1; }
res=$top/$B/vm/test-kmod-edu
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MTK_READ="$top/$B/kmod-tools/mtk-read" \
	--env MTK_ITERS="${MTK_ITERS:-100}" "$top/kmod/tests/guest-edu.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; exit 1; }
bar=$(cat "$res/edu-bar")
n=$(grep -c '^[RW] ' "$res/trace.txt")
want=$((4 * ${MTK_ITERS:-100}))
[ "$n" -eq "$want" ] || { echo "FAIL: $n traced accesses, want $want"; exit 1; }
"$top/$B/qemu-compare" --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/trace.txt" || { echo "FAIL: trace differs from QEMU's log"; exit 1; }
echo "PASS: $n accesses from 2 CPUs matched QEMU's log"
