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
# PCIDEV (issue 13): the header of `mmiotap kernel record` byte for byte as
# the kernel's mmiotrace wrote it (VERSION and the PCIDEV lines)
head_lines() { awk '$1 == "VERSION" || $1 == "PCIDEV" { print; next } { exit }'; }
head_lines <"$res/mmiotrace.txt" >"$res/pcidev-kernel.txt"
"$top/$B/mmiotap" dump "$res/pcidev.trace" | head_lines >"$res/pcidev-mmiotap.txt"
[ "$(grep -c '^PCIDEV ' "$res/pcidev-kernel.txt")" -ge 3 ] ||
	{ echo "FAIL: mmiotrace wrote no PCIDEV lines"; fail=1; }
cmp -s "$res/pcidev-kernel.txt" "$res/pcidev-mmiotap.txt" ||
	{ echo "FAIL: PCIDEV lines differ from mmiotrace's"; diff "$res/pcidev-kernel.txt" "$res/pcidev-mmiotap.txt"; fail=1; }
grep -q "^PCIDEV $(echo "$bdf" | awk -F'[:.]' '{ printf "%s%02x", $2, $3 * 8 + $4 }') 8086100e " \
	"$res/pcidev-mmiotap.txt" || { echo "FAIL: no PCIDEV line of e1000"; fail=1; }
echo "pcidev: $(grep -c '^PCIDEV ' "$res/pcidev-mmiotap.txt") lines equal mmiotrace's"
# Symbols: every access of the load trace resolves, from the trace alone, to
# a function of e1000.ko (checked against the module's own symbol table),
# and the MAP carries e1000's PCI ids
ko=$(find "$top/tests/vm/cache/linux-image-"*/root/lib/modules -name e1000.ko | head -1)
declare -A fsize
while read -r _ sz ty name; do
	case $ty in t | T | w | W) fsize[$name]=$((16#$sz)) ;; esac
done < <(nm -S --defined-only "$ko")
"$top/$B/mmiotap" dump --symbols "$res/load.trace" >"$res/load-sym.txt" ||
	{ echo "FAIL: dump --symbols"; exit 1; }
n=0 ok=0 bad=0
declare -A seen
while read -r f off; do
	n=$((n + 1))
	if [ "$f" != BAD ] && [ -n "${fsize[$f]:-}" ] && [ $((16#$off)) -lt "${fsize[$f]}" ]; then
		ok=$((ok + 1)) seen[$f]=1
	elif [ $((bad++)) -lt 5 ]; then
		echo "bad symbol: $f $off"
	fi
done < <(awk '$1 == "R" || $1 == "W" { while ((getline e) > 0 && e !~ /^EXT sym=/); print e }' "$res/load-sym.txt" |
	sed -E 's/^EXT sym=([A-Za-z0-9_.]+)\+0x([0-9a-f]+) obj=\[e1000\]$/\1 \2/; t; s/.*/BAD x/')
echo "symbols: $n accesses, $ok resolved into ${#seen[@]} functions of e1000.ko"
[ $n -gt 100 ] && [ $ok = $n ] && [ -n "${seen[e1000_reset_hw]:-}${seen[e1000_probe]:-}" ] ||
	{ echo "FAIL: e1000 accesses not all resolved to e1000.ko functions"; fail=1; }
"$top/$B/mmiotap" dump "$res/load.trace" | grep -q "pci=$bdf bar=0 pciid=8086:100e:[0-9a-f]*:[0-9a-f]*:[0-9a-f]*:020000" ||
	{ echo "FAIL: MAP without e1000's PCI ids"; fail=1; }
[ $fail = 0 ] || exit 1
echo "PASS: e1000 traced from load and after attach; both equal QEMU's log per CPU and globally; PCIDEV lines equal mmiotrace's; symbols from e1000.ko; decode names every register access"
