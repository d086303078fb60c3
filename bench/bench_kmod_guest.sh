# Guest side of bench/bench_kmod.sh: per-access cost of the edu test driver
# (kmod/tests/mtk_edutest.c) untraced, traced by mmiotap.ko (the default
# ftrace fault hook and the tracepoint one, records left in the module's
# buffers as mmiotrace's are left in its ring; and through `mmiotap kernel
# record`, which drains them to a file on the other CPU meanwhile; 1 CPU,
# and 2 CPUs making accesses at once), and traced by the kernel's own
# mmiotrace (which offlines every CPU but one), in this one VM; and the floor under any
# fault-based tracer: a kernel page fault fixed up through the exception
# table. The modes take turns, BENCH_ROUNDS rounds of BENCH_ITERS
# iterations each, so that a slow spell of the host falls on all of them.
# Prints "RESULT mode round cpu0-ns cpu1-ns" per run.
set -e
. "$VM_LIB"
ITERS=${BENCH_ITERS:-5000}
ROUNDS=${BENCH_ROUNDS:-3}
KO=$MTK_KODIR/mtk_edutest.ko
bdf=$(vm_pci_find 1234 11e8)
T=/sys/kernel/tracing
mountpoint -q $T || mount -t tracefs nodev $T
echo 16384 >$T/buffer_size_kb
# The driver's last line of a kind: "cpu0 cpu1" ns.
last() {
	case $1 in
	access) dmesg | grep 'mtk_edutest: .*ns/access' | sed 's|.*ns/access cpu0 \([0-9]*\) cpu1 \([0-9]*\).*|\1 \2|' ;;
	floor) dmesg | grep 'mtk_edutest: .*ns per kernel page fault' | sed 's|.*: \([0-9]*\) ns per kernel.*|\1 0|' ;;
	esac | tail -n1
}
drv() { insmod "$KO" iters="$ITERS" "$@" && rmmod mtk_edutest; }
traced() { # hook cpus
	insmod "$MTK_KODIR/mmiotap.ko" fault_hook="$1"
	"$MMIOTAP" kernel record -q --pci "$bdf,bar=0" -o /tmp/k.trace -- \
		sh -c 'insmod "$1" iters="$2" cpus="$3" && rmmod mtk_edutest' sh "$KO" "$ITERS" "$2"
	rmmod mmiotap
	echo "PROBE $1-$2cpu $(dmesg | grep "mmiotap: unloaded" | tail -n1 | sed "s/.*single-stepped), //")"
	echo "RECORDS $1-$2cpu $("$MMIOTAP" dump /tmp/k.trace | grep -c '^[RW] ') (of $((ITERS * 2 * $2)))"
}
# The producer alone, as mmiotrace is measured (its trace stays in the
# kernel's buffer while the driver runs): mmiotap.ko traces edu's BAR0 from
# load (phys=) into per-CPU buffers big enough for the run, no reader.
set -- $(vm_bar "$bdf" 0)
range=$(printf '%x-%x' $(($1)) $(($2 + 1)))
nrec=1024
while [ $nrec -lt $((ITERS * 4)) ]; do nrec=$((nrec * 2)); done
producer() { # hook
	insmod "$MTK_KODIR/mmiotap.ko" fault_hook="$1" phys="$range" buf_records=$nrec
	drv cpus=1
	rmmod mmiotap
	echo "PROBE $1-1cpu-producer $(dmesg | grep "mmiotap: unloaded" | tail -n1 | sed "s/.*single-stepped), //")"
}
r=1
while [ $r -le "$ROUNDS" ]; do
	drv cpus=1 iters=1 floor_iters="$ITERS"; echo "RESULT fault-floor $r $(last floor)"
	drv cpus=1; echo "RESULT untraced-1cpu $r $(last access)"
	producer auto; echo "RESULT mmiotap-1cpu $r $(last access)"
	producer tracepoint; echo "RESULT mmiotap-tracepoint-1cpu $r $(last access)"
	traced auto 1; echo "RESULT mmiotap-record-1cpu $r $(last access)"
	echo mmiotrace >$T/current_tracer
	drv cpus=1; echo "RESULT mmiotrace-1cpu $r $(last access)"
	echo "RECORDS mmiotrace-1cpu $(grep -c '^[RW] ' $T/trace) (of $((ITERS * 2)))"
	echo nop >$T/current_tracer
	[ "$(cat /sys/devices/system/cpu/online)" = 0-1 ] || vm_die "CPU 1 did not come back after mmiotrace"
	drv cpus=2; echo "RESULT untraced-2cpu $r $(last access)"
	traced auto 2; echo "RESULT mmiotap-2cpu $r $(last access)"
	r=$((r + 1))
done
# Instructions core/ cannot emulate (CRC32 m32: single-stepped) against an
# emulated vector load (MOVDQU m128), 1 CPU, untraced and traced.
step() { dmesg | grep 'mtk_edutest: .*single-stepped' | tail -n1 | sed 's/.*iterations: //'; }
insmod "$KO" iters=10 cpus=1 extra=1 step_iters="$ITERS" && rmmod mtk_edutest
echo "STEP untraced: $(step)"
"$MMIOTAP" kernel record -q --pci "$bdf,bar=0" -o /tmp/k.trace -- \
	sh -c 'insmod "$1" iters=10 cpus=1 extra=1 step_iters="$2" && rmmod mtk_edutest' sh "$KO" "$ITERS"
echo "STEP mmiotap: $(step)"
