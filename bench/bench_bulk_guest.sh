# Guest side of bench/bench_bulk.sh: one memcpy_toio() of BULK_KIB KiB into
# ivshmem BAR2 by mtk_trusttest (toio_kib=), untraced, traced by mmiotap.ko
# through `mmiotap kernel record` (records written to /dev/null: counted,
# with the LOST ones), and traced by the kernel's mmiotrace, BENCH_ROUNDS
# rounds in turn. Prints "RESULT mode round ns records lost [without-value]"
# (mmiotrace logs REP MOVS as UNKNOWN, without value).
set -e
. "$VM_LIB"
KIB=${BULK_KIB:-4096}
ROUNDS=${BENCH_ROUNDS:-3}
KO=$MTK_KODIR/mtk_trusttest.ko
bdf=$(vm_pci_find 1af4 1110)
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs nodev $T
echo 65536 >$T/buffer_size_kb
ns() { dmesg | grep 'mtk_trusttest: toio:' | tail -n1 | sed 's/.* in \([0-9]*\) ns/\1/'; }
r=1
while [ $r -le "$ROUNDS" ]; do
	insmod "$KO" toio_kib="$KIB" && rmmod mtk_trusttest
	echo "RESULT untraced $r $(ns) 0 0"
	"$MMIOTAP" kernel record --keep-module --pci "$bdf,bar=2" -o /dev/null -- \
		sh -c 'insmod "$1" toio_kib="$2" && rmmod mtk_trusttest' sh "$KO" "$KIB" 2>/tmp/rec.err
	set -- $(sed -n 's/.*kernel: [0-9]* records (\([0-9]*\) accesses, [0-9]* unknown, \([0-9]*\) lost).*/\1 \2/p' /tmp/rec.err)
	echo "RESULT mmiotap $r $(ns) ${1:-0} ${2:-0}"
	echo "WAITS $("$MMIOTAP" kernel status 2>/dev/null | sed 's/.*lost, //; s/;.*//')"
	rmmod mmiotap
	# mmiotrace single-steps every iteration of the one REP MOVS: the
	# copy runs tens of seconds without scheduling (a soft lockup report)
	echo 0 >/proc/sys/kernel/watchdog
	echo mmiotrace >$T/current_tracer
	insmod "$KO" toio_kib="$KIB" && rmmod mtk_trusttest
	echo 1 >/proc/sys/kernel/watchdog
	n=$(grep -c '^W \|^UNKNOWN ' $T/trace || true)
	u=$(grep -c '^UNKNOWN ' $T/trace || true)
	[ "$r" = 1 ] && head -n 30 $T/trace >"$VM_RESULTS/mmiotrace-head.txt"
	echo nop >$T/current_tracer
	echo "RESULT mmiotrace $r $(ns) $n $(( KIB * 256 - n )) $u"
	[ "$(cat /sys/devices/system/cpu/online)" = 0-1 ] || vm_die "CPU 1 did not come back after mmiotrace"
	r=$((r + 1))
done
