#!/usr/bin/env bash
# Unloading mmiotap.ko under load: edu's BAR0 is traced from module load
# while the edu test driver (kmod/tests/mtk_edutest.c) accesses it from both
# CPUs and checks every value; rmmod mmiotap happens in the middle (3
# rounds, different delays). Passes if every rmmod succeeds, the driver saw
# only right values, accesses were emulated before each unload, and the
# console has no BUG/Oops/WARNING (run-vm). Then rmmod while a task sleeps
# inside an ioremap wrapper (test_wrapper_delay_ms=): rmmod must wait for
# it (before the fix it returned at once and the task came back into freed
# module text).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
res=$top/$B/vm/test-kmod-unload
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MTK_ITERS="${MTK_ITERS:-400000}" "$top/kmod/tests/guest-unload.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; exit 1; }
n=$(grep -c '^delay' "$res/rounds.txt")
[ "$n" -eq 3 ] || { echo "FAIL: $n rounds done, want 3"; exit 1; }
if grep -q 'delay .*: 0 faults emulated\|delay .*:  faults' "$res/rounds.txt"; then
	echo "FAIL: a round emulated nothing before the unload"; cat "$res/rounds.txt"; exit 1
fi
ms=$(sed -n 's/^wrapper: rmmod took \([0-9]*\) ms.*/\1/p' "$res/rounds.txt")
[ -n "$ms" ] && [ "$ms" -ge 1000 ] ||
	{ echo "FAIL: rmmod did not wait for the task inside an ioremap wrapper (${ms:-no} ms)"; cat "$res/rounds.txt"; exit 1; }
mid=$(grep -c 'still running after rmmod: yes' "$res/rounds.txt")
[ "$mid" -ge 1 ] || { echo "FAIL: no round unloaded while the driver was still running"; cat "$res/rounds.txt"; exit 1; }
echo "PASS: 3 unloads under load, $mid with the driver still hammering after rmmod returned; $(tr '\n' ';' <"$res/rounds.txt")"
