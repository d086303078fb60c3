# Guest side of tests/vm/test-kmod-exactonce.sh: mtk_trusttest icr=1 on
# e1000 (no driver bound), first untraced, then under `mmiotap kernel
# record`; a write of 0x1111 to edu's liveness register between the two
# splits QEMU's log.
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
bdf=$(vm_pci_find 8086 100e)
set -- $(vm_bar "$bdf" 0)
echo "$1-$2" >"$VM_RESULTS/e1000-bar"
edu=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$edu" 0)
edu_live=$(printf '0x%x' $(($1 + 4)))
K=$MTK_KODIR
insmod "$K/mtk_trusttest.ko" icr=1 || vm_die "untraced run failed"
rmmod mtk_trusttest
dmesg | grep 'mtk_trusttest: icr:' >"$VM_RESULTS/untraced.txt" || true
"${VM_BUSYBOX_DYN:-busybox}" devmem "$edu_live" 32 0x1111
dmesg -C
"$MMIOTAP" kernel record --pci "$bdf,bar=0" -o "$VM_RESULTS/icr.trace" -- \
	insmod "$K/mtk_trusttest.ko" icr=1 || vm_die "traced run failed"
rmmod mtk_trusttest
dmesg | grep 'mtk_trusttest: icr:' >"$VM_RESULTS/traced.txt" || true
dmesg | grep -E 'mmiotap|mtk_trusttest' >"$VM_RESULTS/dmesg.txt" || true
cat "$VM_RESULTS/untraced.txt" "$VM_RESULTS/traced.txt"
