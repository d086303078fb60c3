# Guest side of tests/vm/test-record-kernel.sh: one `mmiotap record
# --kernel` of a shell that, HS_ROUNDS times, writes a command K to edu's
# 0x80 through /dev/mem (busybox devmem, user space, traced by the preload),
# pokes the test driver mtk_hstest (which reads 0x80 and writes the answer
# K ^ 0x5a5a0000 to 0x88 through its ioremap, traced by mmiotap.ko), then
# reads the answer back through /dev/mem. Pinned to CPU 1.
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
bdf=$(vm_pci_find 1234 11e8)
vm_bar_save "$bdf" 0 edu-bar
bb=$VM_BUSYBOX_DYN
n=${HS_ROUNDS:-20}
cmd=$(printf '0x%x' $((VM_BAR_START + 0x80)))
ans=$(printf '0x%x' $((VM_BAR_START + 0x88)))
cat >/tmp/hs.sh <<X
insmod "$MTK_KODIR/mtk_hstest.ko" || exit 1
k=1
while [ \$k -le $n ]; do
	$bb devmem $cmd 32 \$k
	echo \$k >/sys/module/mtk_hstest/parameters/poke || exit 1
	$bb devmem $ans 32
	k=\$((k + 1))
done
rmmod mtk_hstest
X
"$MMIOTAP" record --kernel --pci "$bdf,bar=0" -o "$VM_RESULTS/one.trace" -- \
	$bb taskset -c 1 /bin/sh /tmp/hs.sh >"$VM_RESULTS/answers.txt" 2>"$VM_RESULTS/record.err" ||
	{ cat "$VM_RESULTS/record.err"; vm_die "mmiotap record --kernel failed"; }
cat "$VM_RESULTS/record.err"
[ ! -e /sys/module/mmiotap ] || vm_die "mmiotap.ko still loaded after the recording"
ls "$VM_RESULTS"/one.trace.* 2>/dev/null && vm_die "the parts were not removed"
dmesg | grep -E 'mmiotap|mtk_hstest' >"$VM_RESULTS/dmesg.txt" || true
