# Guest side of tests/vm/repro/tcg-cmc.sh: a kthread calls ioremap,
# iounmap, vunmap and vfree (so remove_vm_area) all the time (mtk_trusttest
# churn=1) while ftrace patches their first bytes, REPRO_MODE=ftrace: the
# kernel's own function tracer switched on and off (mmiotap.ko not loaded
# at all), REPRO_MODE=mmiotap: insmod/rmmod mmiotap.ko, REPRO_MODE=paused:
# the same with the kthread paused around each insmod/rmmod (what
# kmod/tests/guest-stress.sh does).
set -u
. "$VM_LIB"
echo 5 >/proc/sys/kernel/printk
K=$MTK_KODIR
T=/sys/kernel/tracing
P=/sys/module/mtk_trusttest/parameters
insmod "$K/mtk_trusttest.ko" churn=1 || vm_die "insmod mtk_trusttest churn=1"
end=$(($(date +%s) + ${REPRO_SECS:-120}))
pause() {
	[ "$REPRO_MODE" = paused ] || return 0
	echo "$1" >$P/churn_pause
	[ "$1" = Y ] || return 0
	while [ "$(cat $P/churn_idle)" != Y ]; do sleep 0.01; done
}
[ "$REPRO_MODE" = ftrace ] && { echo 'ioremap iounmap remove_vm_area' >$T/set_ftrace_filter || vm_die "set_ftrace_filter"; }
n=0
while [ "$(date +%s)" -lt "$end" ]; do
	case $REPRO_MODE in
	ftrace)
		echo function >$T/current_tracer || vm_die "tracer on ($n)"
		echo nop >$T/current_tracer || vm_die "tracer off ($n)" ;;
	*)
		pause Y; insmod "$K/mmiotap.ko" || vm_die "insmod mmiotap ($n)"; pause N
		sleep 0.3
		pause Y; rmmod mmiotap || vm_die "rmmod mmiotap ($n)"; pause N
		sleep 0.3 ;;
	esac
	n=$((n + 1))
done
echo "$REPRO_MODE: $n cycles" >"$VM_RESULTS/cycles.txt"
rmmod mtk_trusttest || vm_die "rmmod mtk_trusttest"
