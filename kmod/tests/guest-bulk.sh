# Guest side of tests/vm/test-kmod-bulk.sh: mtk_trusttest's bulk copies on
# ivshmem BAR2 (a file on the host) under `mmiotap kernel record`: first in
# process context (faults may wait for the reader), then with preemption
# off (they may not: what does not fit is counted, exactly).
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
bdf=$(vm_pci_find 1af4 1110)
K=$MTK_KODIR
for mode in bulk bulk_atomic; do
	"$MMIOTAP" kernel record --pci "$bdf,bar=2" --keep-module -o "$VM_RESULTS/$mode.trace" -- \
		insmod "$K/mtk_trusttest.ko" "$mode=1" 2>"$VM_RESULTS/$mode.err" ||
		{ cat "$VM_RESULTS/$mode.err"; vm_die "$mode: recording or driver failed"; }
	cat "$VM_RESULTS/$mode.err"
	rmmod mtk_trusttest
	"$MMIOTAP" kernel status | tee "$VM_RESULTS/$mode.status"
done
rmmod mmiotap
dmesg | grep -E 'mmiotap|mtk_trusttest' >"$VM_RESULTS/dmesg.txt" || true
cat "$VM_RESULTS/dmesg.txt"
