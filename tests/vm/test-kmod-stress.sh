#!/usr/bin/env bash
# Races (issue 11): start/stop/read/poll/close from several processes,
# recorders SIGKILLed at random moments, drivers mapping and unmapping
# (ioremap/iounmap, vmap_pfn/vunmap/vfree), a driver loaded and unloaded,
# and rmmod of mmiotap, all at once for STRESS_SECS (default 60) seconds on
# 2 CPUs (kmod/tests/guest-stress.sh). No kernel report may appear (the
# harness fails the run on BUG/Oops/WARNING/lockdep/KASAN/RCU reports), the
# VM must not hang, and afterwards a clean recording of the edu driver must
# have all its 200 accesses and the module must unload.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
res=$top/$B/vm/test-kmod-stress
rm -rf "$res" && mkdir -p "$res" || exit 99
secs=${STRESS_SECS:-60}
bash "$here/run-vm.sh" --dev edu --dev ivshmem=4M --results "$res" --timeout $((secs + 240)) \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" --env STRESS_SECS="$secs" \
	--env MTK_CTL="$top/$B/kmod-tools/mtk-ctl" "$top/kmod/tests/guest-stress.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; grep -B2 -A30 'BUG\|WARNING\|Oops\|INFO:' "$res/console.log" | head -60; exit 1; }
cat "$res/stress.txt"
"$top/$B/mmiotap" dump "$res/final.trace" >"$res/final.txt" || { echo "FAIL: dump"; exit 1; }
n=$(grep -c '^[RW] ' "$res/final.txt")
[ "$n" -eq 200 ] || { echo "FAIL: the recording after the stress has $n accesses, want 200"; exit 1; }
echo "PASS: ${secs}s of concurrent recorders (some SIGKILLed), raw clients, driver load/unload, map/unmap/vunmap/vfree churn and rmmod: no kernel report, no hang; a recording afterwards has all 200 accesses"
