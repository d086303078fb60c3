#!/usr/bin/env bash
# VM test (issue 7): a STATIC test program (tests/ptrace/pt-edu.c) drives
# QEMU's edu device through its sysfs resource0 file with instructions of
# several families (MOV 4/8, OR, XCHG, LOCK XADD, CMP, MOVBE, MOVNTI,
# REP MOVS/STOS, a 16-byte SSE load QEMU splits), under
# `mmiotap record --ptrace`. The trace must equal QEMU's log of the edu-mmio
# region, name the PCI device and BAR, have no UNKNOWN, and agree with the
# values the program printed; an altered copy must be rejected.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
b=$top/${BUILD:-build}
cmp=$b/qemu-compare mt=$b/mmiotap prog=$b/tests/ptrace/pt-edu
for x in "$cmp" "$mt" "$prog"; do
	[ -e "$x" ] || { echo "FAIL: $x not built (make ${BUILD:+BUILD=$BUILD })"; exit 99; }
done
res=$b/vm/test-ptrace-edu
rm -rf "$res" && mkdir -p "$res" || exit 99

cat >"$res/guest.sh" <<'EOG'
set -e
. "$VM_LIB"
bdf=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$bdf" 0)
echo "$1-$2" >"$VM_RESULTS/edu-bar"
echo "$bdf" >"$VM_RESULTS/edu-bdf"
"$MT_BIN" record --ptrace -o "$VM_RESULTS/trace.mt" -- "$PT_EDU" \
	"/sys/bus/pci/devices/$bdf/resource0" >"$VM_RESULTS/prog.txt"
cat "$VM_RESULTS/prog.txt"
EOG

bash "$here/run-vm.sh" -q --dev edu --results "$res" --timeout 150 \
	--env "MT_BIN=$mt" --env "PT_EDU=$prog" "$res/guest.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc); see $res/console.log"; tail -n 20 "$res/console.log"; exit 1; }

bar=$(cat "$res/edu-bar") || exit 1
bdf=$(cat "$res/edu-bdf")
"$mt" dump "$res/trace.mt" >"$res/trace.txt" || { echo "FAIL: mmiotap dump failed"; exit 1; }
n=$(grep -c '^[RW] ' "$res/trace.txt")
[ "$n" -ge 18 ] || { echo "FAIL: only $n accesses recorded (want >= 18)"; cat "$res/trace.txt"; exit 1; }
grep -q '^UNKNOWN\|^LOST' "$res/trace.txt" && { echo "FAIL: UNKNOWN or LOST records in the trace"; exit 1; }
grep -q "resource0" "$res/trace.txt" || { echo "FAIL: no MAP record naming resource0"; exit 1; }
grep -q '^fact 120$' "$res/prog.txt" || { echo "FAIL: program output:"; cat "$res/prog.txt"; exit 1; }
# the program's reads as printed
id=$(awk '/^R 4 / { print $6; exit }' "$res/trace.txt")
[ "$((id))" = "$((0x010000ed))" ] || { echo "FAIL: first read $id is not edu's id"; exit 1; }
w16=$(grep -c '^R 16 ' "$res/trace.txt")
[ "$w16" = 1 ] || { echo "FAIL: want one 16-byte read, have $w16"; exit 1; }

out=$("$cmp" --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/trace.txt")
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: the mmiotap trace differs from QEMU's log"; exit 1; }
echo "$out" | grep -q "OK: $n accesses match" || { echo "FAIL: want all $n accesses matched"; exit 1; }

awk '/^W 4 / && ++k == 2 { $6 = "0xbad0bad0" } { print }' "$res/trace.txt" >"$res/mut.txt"
[ "$(diff "$res/trace.txt" "$res/mut.txt" | grep -c '^>')" = 1 ] || { echo "FAIL: the mutation did not apply"; exit 1; }
"$cmp" --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/mut.txt" >"$res/mut.out" 2>&1
[ $? = 1 ] && grep -q MISMATCH "$res/mut.out" || { echo "FAIL: an altered trace was not rejected"; cat "$res/mut.out"; exit 1; }
echo "PASS: static pt-edu under mmiotap record --ptrace: $n accesses equal QEMU's log; altered copy rejected"
