# Guest side of tests/vm/test-kmod-probe.sh: the probe API test module
# (kmod/tests/mtk_probetest.c) on edu, either with mmiotap.ko alone
# (MTK_PROBE_MODE=plain: probes arm their own pages) or inside
# `mmiotap kernel record` of edu's BAR0 (MTK_PROBE_MODE=record: probes share
# the recording's armed mapping and their changes are in the trace).
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
bdf=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$bdf" 0)
echo "$1-$2" >"$VM_RESULTS/edu-bar"
echo "$bdf" >"$VM_RESULTS/edu-bdf"
if [ "${MTK_PROBE_MODE:-plain}" = plain ]; then
	insmod "$MTK_KODIR/mmiotap.ko" || vm_die "insmod mmiotap.ko failed"
	insmod "$MTK_KODIR/mtk_probetest.ko" iters="${MTK_ITERS:-100}" || vm_die "the probe test module failed"
	rmmod mtk_probetest || vm_die "rmmod mtk_probetest failed"
	rmmod mmiotap || vm_die "rmmod mmiotap failed"
else
	"$MMIOTAP" kernel record --pci "$bdf,bar=0" -o "$VM_RESULTS/edu.trace" -- \
		sh -c 'insmod "$1" iters="$2" && rmmod mtk_probetest' sh \
		"$MTK_KODIR/mtk_probetest.ko" "${MTK_ITERS:-100}" ||
		vm_die "mmiotap kernel record or the probe test module failed"
fi
[ ! -e /sys/module/mmiotap ] || vm_die "mmiotap.ko still loaded"
dmesg | grep -E 'mmiotap|mtk_probetest' >"$VM_RESULTS/kmod-dmesg.txt" || true
cat "$VM_RESULTS/kmod-dmesg.txt"
