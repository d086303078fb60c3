# Guest side of selftest-edu.sh: drive QEMU's edu device with busybox devmem
# (no mmiotap involved) and write every access made, as mmiotrace text, to
# $VM_RESULTS/expected.txt. edu (hw/misc/edu.c): 0x00 id 0x010000ed (ro),
# 0x04 liveness (reads back ~written), 0x08 factorial (status 0x20 bit 0 set
# while computing), rejects 1- and 2-byte accesses.
mode=${1:-}
set -e
. "$VM_LIB"
bdf=$(vm_pci_find 1234 11e8)
vm_bar_save "$bdf" 0 edu-bar
bar=$VM_BAR_START
echo "edu at $bdf, BAR0 $VM_BAR_START-$VM_BAR_END"
vm_expect_start "$VM_RESULTS/expected.txt"
VM_CPU=0        # pinned: the expected trace carries CTX lines for --per-cpu
reg() { printf '0x%x' $((bar + $1)); }

id=$(vm_devmem "$(reg 0x00)" 32)
[ $((id)) -eq $((0x010000ed)) ] || vm_die "edu id is $id"
vm_devmem "$(reg 0x04)" 32 0x12345678
live=$(vm_devmem "$(reg 0x04)" 32)
[ $((live)) -eq $((0xedcba987)) ] || vm_die "liveness read $live after writing 0x12345678"
vm_devmem "$(reg 0x00)" 64 >/dev/null
vm_devmem "$(reg 0x08)" 32 5
n=0
while [ $(($(vm_devmem "$(reg 0x20)" 32) & 1)) -ne 0 ]; do
	n=$((n + 1)); [ $n -lt 200 ] || vm_die "factorial never finished"
done
fact=$(vm_devmem "$(reg 0x08)" 32)
[ $((fact)) -eq 120 ] || vm_die "factorial of 5 read as $fact"
# rejected by the device model: they reach QEMU only as guest_errors
vm_devmem "$(reg 0x00)" 8 >/dev/null
vm_devmem "$(reg 0x04)" 16 0xbeef
live=$(vm_devmem "$(reg 0x04)" 32)
[ $((live)) -eq $((0xedcba987)) ] || vm_die "a rejected 2-byte write changed liveness to $live"
# per CPU: edu's DMA source address register (0x80) holds 8 bytes; QEMU's
# cpu index must be the guest's CPU number
for c in 1 0 1; do
	VM_CPU=$c
	vm_devmem "$(reg 0x80)" 64 "0x1000$c"
	v=$(vm_devmem "$(reg 0x80)" 64)
	[ $((v)) -eq $((0x1000$c)) ] || vm_die "edu 0x80 read $v on CPU $c"
done
echo "edu: $(grep -c '^[RW] ' "$VM_EXPECT") accesses made"
[ "$mode" = adjust ] && . "$VM_TOPDIR/tests/vm/guest/adjust-devmem.sh"
exit 0
