#!/usr/bin/env bash
# Every device access made exactly once, by QEMU's log (issue 11): e1000's
# ICR is cleared by a read. mtk_trusttest icr=1 reads it plainly, with a
# MOVSL whose store then faults on a guard page (exception-table fixup),
# with a REP MOVSL of ICR, ITR, ICS whose third store faults, into a user
# page not yet present (paged in and the element run again, as the CPU
# does) and the same with preemption off (the copy fails). The trace must
# equal QEMU's log of e1000-mmio access for access (no UNKNOWN: nothing run
# natively a second time), and what the driver saw must be what it sees
# untraced in the same VM. Before the fix the faulting copies were recorded
# UNKNOWN and single-stepped: their device reads were made twice.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
res=$top/$B/vm/test-kmod-exactonce
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev e1000 --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" "$top/kmod/tests/guest-exactonce.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; tail -20 "$res/console.log"; exit 1; }
bar=$(cat "$res/e1000-bar")
fail=0
strip() { sed 's/^\[[^]]*\] //' "$1"; }
if ! diff <(strip "$res/untraced.txt") <(strip "$res/traced.txt") >"$res/seen.diff"; then
	echo "FAIL: the driver saw other values traced than untraced:"; cat "$res/seen.diff"; fail=1
fi
want='plain read 0x11
movsl to a guard page: left 1, icr then 0x0
rep movsl x3 ending on a guard page: left 1, got 0x44 0x0
rep movsl x3 to a user page not yet present: left 0, got 0x0 0x0 0x0
the same with preemption off: left 3, icr then 0x0'
got=$(strip "$res/traced.txt" | sed 's/^mtk_trusttest: icr: //')
if [ "$want" != "$got" ]; then
	echo "FAIL: the driver saw:"; echo "$got"; echo "want:"; echo "$want"; fail=1
fi
awk -v o="$res/qemu-traced.log" '/edu-mmio/ && /memory_region_ops_write/ && / value 0x1111 / { on = 1; next }
	on { print > o }' "$res/qemu.log"
"$top/$B/mmiotap" dump "$res/icr.trace" >"$res/icr.txt" || { echo "FAIL: dump"; exit 1; }
grep -q '^UNKNOWN\|^LOST' "$res/icr.txt" && { echo "FAIL: UNKNOWN or LOST in the trace"; grep '^UNKNOWN\|^LOST' "$res/icr.txt"; fail=1; }
n=$(grep -c '^[RW] ' "$res/icr.txt")
icr=$(printf '0x%x' $((${bar%-*} + 0xc0)))
nicr=$(awk -v a="$icr" '/^R / && $5 == a { n++ } END { print n + 0 }' "$res/icr.txt")
MMIOTAP="$top/$B/mmiotap" "$top/$B/qemu-compare" --region e1000-mmio --phys "$bar" \
	"$res/qemu-traced.log" "$res/icr.trace" >"$res/compare.txt" 2>&1 ||
	{ echo "FAIL: trace differs from QEMU's log"; cat "$res/compare.txt"; fail=1; }
[ $fail = 0 ] || exit 1
echo "PASS: $n e1000 accesses ($nicr reads of ICR) equal QEMU's log, none made twice, no UNKNOWN; the driver saw what it sees untraced; $(tail -n1 "$res/compare.txt")"
