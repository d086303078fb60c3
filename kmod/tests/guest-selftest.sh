# Guest side of tests/vm/test-kmod-selftest.sh: mmiotap.ko's load-time
# fault-hook self-test. Each attempt keeps insmod's stderr and exit status
# and the kernel log it produced in $VM_RESULTS/<case>.{err,rc,dmesg}; the
# host checks them.
#   hookoff-ftrace|-tracepoint|-auto: test_hook_off=1 (the hooks ignore
#     every fault) with each fault_hook=: every load must be refused;
#   busy-ftrace: mtk_ipmodify.ko holds kernelmode_fixup_or_oops with an
#     IPMODIFY ftrace_ops (as a live patch would): fault_hook=ftrace refused;
#   busy-auto: same, `mmiotap kernel record` loads the module (auto): it
#     must fall back to the tracepoint and trace the edu test driver;
#   after: with the conflict gone, a plain fault_hook=ftrace load works.
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
bdf=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$bdf" 0)
echo "$1-$2" >"$VM_RESULTS/edu-bar"
ko=$MTK_KODIR/mmiotap.ko

attempt() { # attempt CASE INSMOD-ARGS...
	c=$1
	shift
	dmesg -C
	rc=0
	insmod "$ko" "$@" 2>"$VM_RESULTS/$c.err" || rc=$?
	echo "$rc" >"$VM_RESULTS/$c.rc"
	dmesg >"$VM_RESULTS/$c.dmesg"
	if [ -e /sys/module/mmiotap ]; then
		echo "mmiotap.ko is loaded" >>"$VM_RESULTS/$c.err"
		rmmod mmiotap || vm_die "$c: rmmod mmiotap failed"
	fi
	return 0
}
attempt hookoff-ftrace fault_hook=ftrace test_hook_off=1
attempt hookoff-tracepoint fault_hook=tracepoint test_hook_off=1
attempt hookoff-auto test_hook_off=1
dmesg -C
insmod "$MTK_KODIR/mtk_ipmodify.ko" || vm_die "insmod mtk_ipmodify.ko failed"
attempt busy-ftrace fault_hook=ftrace
dmesg -C
rc=0
"$MMIOTAP" kernel record --pci "$bdf,bar=0" -o "$VM_RESULTS/edu.trace" -- \
	sh -c 'insmod "$1" iters="$2"; r=$?; rmmod mtk_edutest; exit $r' sh \
	"$MTK_KODIR/mtk_edutest.ko" "${MTK_ITERS:-100}" 2>"$VM_RESULTS/busy-auto.err" || rc=$?
echo "$rc" >"$VM_RESULTS/busy-auto.rc"
dmesg >"$VM_RESULTS/busy-auto.dmesg"
[ ! -e /sys/module/mmiotap ] || vm_die "busy-auto: mmiotap.ko still loaded after the recording"
cat /sys/module/mtk_ipmodify/parameters/hits >"$VM_RESULTS/ipmodify-hits"
rmmod mtk_ipmodify || vm_die "rmmod mtk_ipmodify failed"
attempt after fault_hook=ftrace
cat "$VM_RESULTS"/*.dmesg | grep -E 'mmiotap|mtk_' || true
