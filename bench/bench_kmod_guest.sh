# Guest side of bench/bench_kmod.sh: per-access cost of the edu test driver
# (kmod/tests/mtk_edutest.c) untraced, traced by mmiotap.ko (1 and 2 CPUs
# making accesses at once), and traced by the kernel's own mmiotrace (which
# offlines every CPU but one), in this one VM. Prints "RESULT mode ns".
set -e
. "$VM_LIB"
ITERS=${BENCH_ITERS:-5000}
KO=$MTK_KODIR/mtk_edutest.ko
bdf=$(vm_pci_find 1234 11e8)
ns() { # cpus -> "cpu0 cpu1" ns per access from the driver's line
	dmesg | grep 'mtk_edutest:' | tail -n1 | sed 's/.*ns\/access cpu0 \([0-9]*\) cpu1 \([0-9]*\).*/\1 \2/'
}
run() { insmod "$KO" iters="$ITERS" cpus="$1" && rmmod mtk_edutest; }
for c in 1 2; do
	run $c; set -- $(ns); echo "RESULT untraced-${c}cpu $1 $2"
	"$MMIOTAP" kernel record -q --pci "$bdf,bar=0" -o /tmp/k.trace -- \
		sh -c 'insmod "$1" iters="$2" cpus="$3" && rmmod mtk_edutest' sh "$KO" "$ITERS" "$c"
	set -- $(ns); echo "RESULT mmiotap-${c}cpu $1 $2"
	echo "PROBE mmiotap-${c}cpu $(dmesg | grep "mmiotap: unloaded" | tail -n1 | sed "s/.*single-stepped), //")"
	echo "RECORDS mmiotap-${c}cpu $("$MMIOTAP" dump /tmp/k.trace | grep -c '^[RW] ')"
done
# Instructions core/ cannot emulate (CRC32 m32: single-stepped) against an
# emulated vector load (MOVDQU m128), 1 CPU, untraced and traced.
step() { dmesg | grep 'mtk_edutest: .*single-stepped' | tail -n1 | sed 's/.*iterations: //'; }
insmod "$KO" iters=10 cpus=1 extra=1 step_iters="$ITERS" && rmmod mtk_edutest
echo "STEP untraced: $(step)"
"$MMIOTAP" kernel record -q --pci "$bdf,bar=0" -o /tmp/k.trace -- \
	sh -c 'insmod "$1" iters=10 cpus=1 extra=1 step_iters="$2" && rmmod mtk_edutest' sh "$KO" "$ITERS"
echo "STEP mmiotap: $(step)"
# The fallback fault hook (ftrace on kernelmode_fixup_or_oops), 1 CPU.
insmod "$MTK_KODIR/mmiotap.ko" fault_hook=ftrace
"$MMIOTAP" kernel record -q --pci "$bdf,bar=0" -o /tmp/k.trace -- \
	sh -c 'insmod "$1" iters="$2" cpus=1 && rmmod mtk_edutest' sh "$KO" "$ITERS"
set -- $(ns); echo "RESULT mmiotap-ftrace-1cpu $1 $2"
rmmod mmiotap
echo "PROBE mmiotap-ftrace-1cpu $(dmesg | grep "mmiotap: unloaded" | tail -n1 | sed "s/.*single-stepped), //")"
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs nodev $T
echo 16384 >$T/buffer_size_kb
echo mmiotrace >$T/current_tracer
echo "mmiotrace: $(cat /sys/devices/system/cpu/online) online"
run 1; set -- $(ns); echo "RESULT mmiotrace-1cpu $1 $2"
echo "RECORDS mmiotrace-1cpu $(grep -c '^[RW] ' $T/trace)"
echo nop >$T/current_tracer
echo "after mmiotrace: $(cat /sys/devices/system/cpu/online) online"
