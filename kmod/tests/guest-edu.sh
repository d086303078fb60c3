# Guest side of tests/vm/test-kmod-edu.sh: load mmiotap.ko tracing edu's
# BAR0, run the edu test driver (2 CPUs), drain the records.
set -e
. "$VM_LIB"
KO=$MTK_KODIR
echo 8 >/proc/sys/kernel/printk
bdf=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$bdf" 0)
echo "$1-$2" >"$VM_RESULTS/edu-bar"
end=$(printf '%x' $(($2 + 1)))
insmod "$KO/mmiotap.ko" phys="${1#0x}-$end" || vm_die "insmod mmiotap.ko failed"
insmod "$KO/mtk_edutest.ko" iters="${MTK_ITERS:-100}" || vm_die "edu test driver saw wrong values"
rmmod mtk_edutest
"$MTK_READ" >"$VM_RESULTS/trace.txt"
rmmod mmiotap
dmesg | grep -E 'mmiotap|mtk_edutest' >"$VM_RESULTS/dmesg.txt" || true
# untraced baseline, same VM
insmod "$KO/mtk_edutest.ko" iters="${MTK_ITERS:-100}" && rmmod mtk_edutest
dmesg | grep 'mtk_edutest' | tail -n1 >>"$VM_RESULTS/dmesg.txt"
cat "$VM_RESULTS/dmesg.txt"
