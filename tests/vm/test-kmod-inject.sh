#!/usr/bin/env bash
# Fault injection in mmiotap.ko (`mmiotap kernel record --inject`) on QEMU's
# edu, 2 CPUs at once (kmod/tests/mtk_edutest.c):
#   - every 4-byte read of the id register (0x0) returns 0x12345678 to the
#     driver (the driver checks it sees that value, id_want=), while QEMU's
#     log shows the device's real 0x010000ed: the trace says R ... 0x12345678
#     with EXT flags=injected orig=0x10000ed, and qemu-compare (which compares
#     orig= for injected reads) must match QEMU;
#   - every 4-byte write of the liveness register (0x4) is XORed with 0xff on
#     its way to the device (the driver checks it reads back ~(v ^ 0xff));
#     the trace's W value is what QEMU logged, orig= the driver's value;
#   - the 8-byte id reads 1..10 are delayed by 200 us: flags=delayed (and
#     nothing else: the value is unchanged, no orig=) on exactly 10 records.
# No BUG/Oops/WARNING on the console (run-vm).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
ITERS=${MTK_ITERS:-100}
res=$top/$B/vm/test-kmod-inject
rm -rf "$res" && mkdir -p "$res" || exit 99
rules="pci=@BDF@,bar=0,off=0,width=4,dir=r,value=0x12345678"
rules="$rules;pci=@BDF@,bar=0,off=4,width=4,dir=w,xor=0xff"
rules="$rules;pci=@BDF@,bar=0,off=0,width=8,dir=r,delay=200us,when=1..10"
bash "$here/run-vm.sh" --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" \
	--env MTK_ITERS="$ITERS" --env MTK_INJECT="$rules" \
	--env MTK_EDU_ARGS="id_want=0x12345678 live_xor=0xff" "$top/kmod/tests/guest-edu.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc; the driver checks the injected values: see $res)"; exit 1; }
bar=$(cat "$res/edu-bar")
"$top/$B/mmiotap" dump "$res/edu.trace" >"$res/edu.txt" || { echo "FAIL: mmiotap dump"; exit 1; }
n=$(grep -c '^[RW] ' "$res/edu.txt")
[ "$n" -eq $((4 * ITERS)) ] || { echo "FAIL: $n traced accesses, want $((4 * ITERS))"; exit 1; }
# Pair each R/W line with the EXT line after it (if any).
awk '/^[RW] / { if (l != "") print l " |"; l = $0; next }
     /^EXT / && l != "" { print l " | " $0; l = ""; next }
     { if (l != "") print l " |"; l = "" }
     END { if (l != "") print l " |" }' "$res/edu.txt" >"$res/pairs.txt"
idr=$(grep -c '^R 4 .* 0x12345678 .*| EXT flags=injected orig=0x10000ed' "$res/pairs.txt")
[ "$idr" -eq "$ITERS" ] || { echo "FAIL: $idr injected id reads (value 0x12345678, orig 0x10000ed), want $ITERS"; exit 1; }
lw=$(grep -c '^W 4 .*| EXT flags=injected orig=' "$res/pairs.txt")
[ "$lw" -eq "$ITERS" ] || { echo "FAIL: $lw injected liveness writes, want $ITERS"; exit 1; }
bad=0
while read -r _ _ _ _ _ val rest; do
	o=${rest##*orig=}
	[ $(( (val ^ 0xff) == o )) = 1 ] || bad=$((bad + 1))
done < <(grep '^W 4 .*| EXT flags=injected orig=' "$res/pairs.txt")
[ "$bad" -eq 0 ] || { echo "FAIL: $bad liveness writes whose value is not orig ^ 0xff"; exit 1; }
dl=$(grep -c '^R 8 .*| EXT flags=delayed$' "$res/pairs.txt")
[ "$dl" -eq 10 ] || { echo "FAIL: $dl delayed 8-byte reads, want 10"; exit 1; }
other=$(grep -c '| EXT' "$res/pairs.txt")
[ "$other" -eq $((2 * ITERS + 10)) ] || { echo "FAIL: $other accesses flagged, want $((2 * ITERS + 10))"; exit 1; }
MMIOTAP="$top/$B/mmiotap" "$top/$B/qemu-compare" --per-cpu --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/edu.trace" ||
	{ echo "FAIL: trace differs from QEMU's log (per CPU; injected reads compared by orig=)"; exit 1; }
echo "PASS: $ITERS id reads injected (driver saw 0x12345678, QEMU logged 0x010000ed), $ITERS liveness writes XORed, 10 reads delayed; trace equals QEMU's log per CPU"
