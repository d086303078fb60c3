#!/usr/bin/env bash
# VM test: `mmiotap record` on Debian's dynamic busybox devmem driving edu
# through /dev/mem (issue 5 item 9). The trace must equal QEMU's own log of
# the edu-mmio region (every access, order, width, value; the 1- and 2-byte
# accesses edu rejects appear in QEMU's guest_errors), hold at least 25
# accesses, agree with the values devmem printed, and an altered copy of it
# must be rejected by qemu-compare.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
b=$top/${BUILD:-build}
cmp=$b/qemu-compare mt=$b/mmiotap
for x in "$cmp" "$mt" "$b/libmmiotap-preload.so"; do
	[ -e "$x" ] || { echo "FAIL: $x not built (make ${BUILD:+BUILD=$BUILD })"; exit 99; }
done
res=$b/vm/test-userspace-devmem
rm -rf "$res" && mkdir -p "$res" || exit 99

bash "$here/run-vm.sh" -q --dev edu --results "$res" --timeout 150 \
	--env "MT_BIN=$mt" "$here/guest/userspace-devmem.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc); see $res/console.log"; tail -n 20 "$res/console.log"; exit 1; }
echo "round trip: $(cat "$res/roundtrip-ms") ms"

bar=$(cat "$res/edu-bar") || exit 1
"$mt" dump "$res/trace.mt" >"$res/trace.txt" || { echo "FAIL: mmiotap dump failed"; exit 1; }
n=$(grep -c '^[RW] ' "$res/trace.txt")
[ "$n" -ge 25 ] || { echo "FAIL: only $n accesses recorded (want >= 25)"; exit 1; }
grep -q '^EXT src=file .*path=/dev/mem' "$res/trace.txt" || { echo "FAIL: no MAP record naming /dev/mem"; exit 1; }
grep -q '^UNKNOWN\|^LOST' "$res/trace.txt" && { echo "FAIL: UNKNOWN or LOST records in the trace"; exit 1; }

# The values devmem printed are the trace's reads, in order.
hexnorm() { local v; while read -r v; do printf '0x%x\n' "$((v))"; done; }
awk '/^R / { print $6 }' "$res/trace.txt" | hexnorm >"$res/reads.txt"
hexnorm <"$res/devmem.txt" >"$res/printed.txt"
[ -s "$res/printed.txt" ] || { echo "FAIL: devmem printed nothing"; exit 1; }
if ! diff "$res/printed.txt" "$res/reads.txt" >"$res/reads.diff"; then
	echo "FAIL: values printed by devmem differ from the trace's reads:"; head "$res/reads.diff"; exit 1
fi
head -n1 "$res/devmem.txt" | grep -qi '^0x0*10000ed$' || { echo "FAIL: edu id read as $(head -n1 "$res/devmem.txt")"; exit 1; }

out=$("$cmp" --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/trace.txt")
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: the mmiotap trace differs from QEMU's log"; exit 1; }
echo "$out" | grep -q "OK: $n accesses match ($((n - 2)) exact, 2 rejected by the device" ||
	{ echo "FAIL: unexpected counts (want $n accesses, 2 rejected by edu)"; exit 1; }

# The comparison can fail: one write value altered.
awk '/^W 4 / && ++k == 3 { $6 = "0xbad0bad0" } { print }' "$res/trace.txt" >"$res/mut.txt"
[ "$(diff "$res/trace.txt" "$res/mut.txt" | grep -c '^>')" = 1 ] || { echo "FAIL: the mutation did not apply"; exit 1; }
"$cmp" --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/mut.txt" >"$res/mut.out" 2>&1
[ $? = 1 ] && grep -q MISMATCH "$res/mut.out" || { echo "FAIL: an altered trace was not rejected"; cat "$res/mut.out"; exit 1; }
echo "PASS: busybox devmem (dynamic) under mmiotap record: $n accesses equal QEMU's log; altered copy rejected"
