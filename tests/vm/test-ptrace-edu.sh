#!/usr/bin/env bash
# VM test (issue 7): a STATIC test program (tests/ptrace/pt-edu.c) drives
# QEMU's edu device through its sysfs resource0 file with instructions of
# several families (MOV 4/8, OR, XCHG, LOCK XADD, CMP, MOVBE, MOVNTI,
# REP MOVS/STOS, a 16-byte SSE load QEMU splits), under
# `mmiotap record --ptrace`. The trace must equal QEMU's log of the edu-mmio
# region, name the PCI device and BAR, have no UNKNOWN, and agree with the
# values the program printed; an altered copy must be rejected.
set -u
. "$(dirname "$0")/test-lib.sh"
prog=$b/tests/ptrace/pt-edu
vmt_init test-ptrace-edu "$prog"

cat >"$res/guest.sh" <<'EOG'
set -e
. "$VM_LIB"
bdf=$(vm_pci_find 1234 11e8)
vm_bar_save "$bdf" 0 edu-bar
echo "$bdf" >"$VM_RESULTS/edu-bdf"
"$MT_BIN" record --ptrace -o "$VM_RESULTS/trace.mt" -- "$PT_EDU" \
	"/sys/bus/pci/devices/$bdf/resource0" >"$VM_RESULTS/prog.txt"
cat "$VM_RESULTS/prog.txt"
EOG

vmt_run_vm --dev edu --timeout 150 --env "MT_BIN=$mt" --env "PT_EDU=$prog" "$res/guest.sh"

bar=$(cat "$res/edu-bar") || exit 1
bdf=$(cat "$res/edu-bdf")
vmt_trace 18
grep -q "resource0" "$res/trace.txt" || { echo "FAIL: no MAP record naming resource0"; exit 1; }
grep -q '^fact 120$' "$res/prog.txt" || { echo "FAIL: program output:"; cat "$res/prog.txt"; exit 1; }
# the program's reads as printed
id=$(awk '/^R 4 / { print $6; exit }' "$res/trace.txt")
[ "$((id))" = "$((0x010000ed))" ] || { echo "FAIL: first read $id is not edu's id"; exit 1; }
w16=$(grep -c '^R 16 ' "$res/trace.txt")
[ "$w16" = 1 ] || { echo "FAIL: want one 16-byte read, have $w16"; exit 1; }

vmt_compare edu-mmio "OK: $n accesses match" "want all $n accesses matched"
vmt_altered_rejected edu-mmio '/^W 4 / && ++k == 2 { $6 = "0xbad0bad0" } { print }'
echo "PASS: static pt-edu under mmiotap record --ptrace: $n accesses equal QEMU's log; altered copy rejected"
