# Guest side of bench/bench_kmod.sh: per-access cost of the edu test driver
# (kmod/tests/mtk_edutest.c) untraced, traced by mmiotap.ko (1 and 2 CPUs
# making accesses at once; the default ftrace fault hook and the tracepoint
# one), and
# traced by the kernel's own mmiotrace (which offlines every CPU but one), in
# this one VM; and the floor under any fault-based tracer: a kernel page fault
# fixed up through the exception table. Each figure is the best of
# BENCH_ROUNDS runs of BENCH_ITERS iterations. Prints "RESULT mode ns ns".
set -e
. "$VM_LIB"
ITERS=${BENCH_ITERS:-5000}
ROUNDS=${BENCH_ROUNDS:-3}
KO=$MTK_KODIR/mtk_edutest.ko
bdf=$(vm_pci_find 1234 11e8)
# The driver, ROUNDS times: runs CPUS [PARAM...]
cat >/tmp/runs.sh <<EOS
c=\$1; shift; i=0
while [ \$i -lt $ROUNDS ]; do
	insmod "$KO" iters=$ITERS cpus=\$c "\$@" && rmmod mtk_edutest || exit 1
	i=\$((i + 1))
done
EOS
# Best of the driver's last ROUNDS lines of a kind: "cpu0 cpu1" ns.
best() {
	case $1 in
	access) dmesg | grep 'mtk_edutest: .*ns/access' | sed 's|.*ns/access cpu0 \([0-9]*\) cpu1 \([0-9]*\).*|\1 \2|' ;;
	floor) dmesg | grep 'mtk_edutest: .*ns per kernel page fault' | sed 's|.*: \([0-9]*\) ns per kernel.*|\1 0|' ;;
	esac | tail -n "$ROUNDS" | sort -n | head -n1
}
record() { "$MMIOTAP" kernel record -q --pci "$bdf,bar=0" -o /tmp/k.trace -- sh /tmp/runs.sh "$@"; }
probe() { echo "PROBE $1 $(dmesg | grep "mmiotap: unloaded" | tail -n1 | sed "s/.*single-stepped), //")"; }

sh /tmp/runs.sh 1 iters=1 floor_iters="$ITERS"
echo "RESULT fault-floor $(best floor)"
for c in 1 2; do
	sh /tmp/runs.sh $c; echo "RESULT untraced-${c}cpu $(best access)"
	record $c; echo "RESULT mmiotap-${c}cpu $(best access)"
	probe mmiotap-${c}cpu
	echo "RECORDS mmiotap-${c}cpu $("$MMIOTAP" dump /tmp/k.trace | grep -c '^[RW] ') (of $((ROUNDS * ITERS * 2 * c)))"
done
# Instructions core/ cannot emulate (CRC32 m32: single-stepped) against an
# emulated vector load (MOVDQU m128), 1 CPU, untraced and traced.
step() { dmesg | grep 'mtk_edutest: .*single-stepped' | tail -n1 | sed 's/.*iterations: //'; }
insmod "$KO" iters=10 cpus=1 extra=1 step_iters="$ITERS" && rmmod mtk_edutest
echo "STEP untraced: $(step)"
"$MMIOTAP" kernel record -q --pci "$bdf,bar=0" -o /tmp/k.trace -- \
	sh -c 'insmod "$1" iters=10 cpus=1 extra=1 step_iters="$2" && rmmod mtk_edutest' sh "$KO" "$ITERS"
echo "STEP mmiotap: $(step)"
# The other fault hook (the page_fault_kernel tracepoint + resume stubs), 1 CPU.
insmod "$MTK_KODIR/mmiotap.ko" fault_hook=tracepoint
record 1; echo "RESULT mmiotap-tracepoint-1cpu $(best access)"
rmmod mmiotap
probe mmiotap-tracepoint-1cpu
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs nodev $T
echo 16384 >$T/buffer_size_kb
echo mmiotrace >$T/current_tracer
echo "mmiotrace: $(cat /sys/devices/system/cpu/online) online"
sh /tmp/runs.sh 1; echo "RESULT mmiotrace-1cpu $(best access)"
echo "RECORDS mmiotrace-1cpu $(grep -c '^[RW] ' $T/trace) (of $((ROUNDS * ITERS * 2)))"
echo nop >$T/current_tracer
echo "after mmiotrace: $(cat /sys/devices/system/cpu/online) online"
