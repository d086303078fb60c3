# Guest side of tests/vm/test-kmod-edu.sh: `mmiotap kernel record` (which
# loads mmiotap.ko) traces edu's BAR0 while the edu test driver runs its
# two CPUs at once; a marker goes in between load and unload.
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
bdf=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$bdf" 0)
echo "$1-$2" >"$VM_RESULTS/edu-bar"
echo "$bdf" >"$VM_RESULTS/edu-bdf"
# MTK_INJECT: --inject rules separated by ';' ("@BDF@" stands for edu's
# address); MTK_EDU_ARGS: extra test-driver parameters (expected values);
# MTK_BUF_RECORDS: --buf-records.
set -- ${MTK_BUF_RECORDS:+--buf-records "$MTK_BUF_RECORDS"}
oldifs=$IFS
IFS=';'
for rule in ${MTK_INJECT:-}; do
	[ -n "$rule" ] && set -- "$@" --inject "$(echo "$rule" | sed "s/@BDF@/$bdf/g")"
done
IFS=$oldifs
# MTK_FAULT_HOOK: load mmiotap.ko ourselves with fault_hook= (the recording
# then uses it, and we unload it at the end).
if [ -n "${MTK_FAULT_HOOK:-}" ]; then
	insmod "$MTK_KODIR/mmiotap.ko" fault_hook="$MTK_FAULT_HOOK" || vm_die "insmod mmiotap.ko fault_hook=$MTK_FAULT_HOOK failed"
	dmesg | grep -q "fault hook: ${MTK_FAULT_HOOK}" || vm_die "mmiotap.ko does not say it uses the $MTK_FAULT_HOOK hook"
fi
"$MMIOTAP" kernel record --pci "$bdf,bar=0" "$@" -o "$VM_RESULTS/edu.trace" -- \
	sh -c 'insmod "$1" iters="$2" $4 && "$3" mark edu test loaded && rmmod mtk_edutest' sh \
	"$MTK_KODIR/mtk_edutest.ko" "${MTK_ITERS:-100}" "$MMIOTAP" "${MTK_EDU_ARGS:-}" ||
	vm_die "mmiotap kernel record or the edu test driver failed"
[ -z "${MTK_FAULT_HOOK:-}" ] || rmmod mmiotap || vm_die "rmmod mmiotap failed"
[ ! -e /sys/module/mmiotap ] || vm_die "mmiotap.ko still loaded after the recording"
dmesg | grep -E 'mmiotap|mtk_edutest' >"$VM_RESULTS/dmesg.txt" || true
cat "$VM_RESULTS/dmesg.txt"
