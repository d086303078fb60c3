#!/usr/bin/env bash
# mmiotap.ko on the real in-tree e1000 driver probing QEMU's e1000 and
# bringing its link up: traced from module load, and attached after it was
# loaded (the vmalloc walk). Each trace must equal QEMU's log for e1000-mmio
# in its window, per CPU and globally, with values; no BUG/Oops/WARNING;
# `mmiotap decode --db regdb/db/e1000.xml` names every access to a register.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
res=$top/$B/vm/test-kmod-e1000
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev e1000 --dev edu --results "$res" --timeout 300 \
	--env MMIOTAP="$top/$B/mmiotap" "$top/kmod/tests/guest-e1000.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; exit 1; }
bar=$(cat "$res/e1000-bar")
bdf=$(cat "$res/e1000-bdf")
# Split QEMU's log at the edu liveness writes (0x1111, 0x2222).
awk -v o1="$res/qemu-load.log" -v o2="$res/qemu-gap.log" -v o3="$res/qemu-attach.log" '
	BEGIN { out = o1 }
	/edu-mmio/ && /memory_region_ops_write/ && / value 0x1111 / { out = o2; next }
	/edu-mmio/ && /memory_region_ops_write/ && / value 0x2222 / { out = o3; next }
	{ print > out }' "$res/qemu.log"
fail=0
for ph in load attach; do
	"$top/$B/mmiotap" dump "$res/$ph.trace" >"$res/$ph.txt" || { echo "FAIL: mmiotap dump $ph"; exit 1; }
	n=$(grep -c '^[RW] ' "$res/$ph.txt")
	[ "$n" -gt 100 ] || { echo "FAIL: $ph: only $n accesses traced"; fail=1; continue; }
	grep -q "pci=$bdf bar=0" "$res/$ph.txt" || { echo "FAIL: $ph: no MAP with pci=$bdf bar=0"; fail=1; }
	grep -q '^UNMAP ' "$res/$ph.txt" || { echo "FAIL: $ph: no UNMAP (rmmod e1000)"; fail=1; }
	for mode in --per-cpu ""; do
		MMIOTAP="$top/$B/mmiotap" "$top/$B/qemu-compare" $mode --region e1000-mmio --phys "$bar" \
			"$res/qemu-$ph.log" "$res/$ph.trace" >"$res/compare-$ph$mode.txt" 2>&1 ||
			{ echo "FAIL: $ph: trace differs from QEMU's log ($mode)"; cat "$res/compare-$ph$mode.txt"; fail=1; }
	done
	echo "$ph: $(tail -n1 "$res/compare-$ph--per-cpu.txt")"
	# register names: every access to a register of the shipped e1000.xml
	bash "$top/tests/regdb/decode-check" "$top/$B/mmiotap" "$top/regdb/db/e1000.xml" ",pci=$bdf,bar=0" \
		"$res/$ph.trace" "$res/decode-$ph.jsonl" || fail=1
done
[ $fail = 0 ] || exit 1
echo "PASS: e1000 traced from load and after attach; both equal QEMU's log per CPU and globally; decode names every register access"
