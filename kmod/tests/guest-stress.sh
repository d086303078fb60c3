# Guest side of tests/vm/test-kmod-stress.sh: for STRESS_SECS seconds at
# once: two recorders in a loop (`mmiotap kernel record`, some SIGKILLed at
# a random moment), two raw clients for the first half (mtk-ctl hammer:
# random SELECT, START, read, poll, STATUS, MARK, STOP, close, exit; and
# mtk-ctl fuzz: random ioctls, sizes, pointers, reads), a driver loaded and unloaded
# in a loop (mtk_edutest), a kthread mapping and unmapping edu and
# ioremap_prot()ing and vunmap()/vfree()ing ivshmem (mtk_trusttest churn=1),
# and rmmod of mmiotap now and then (reloaded when it went). Then a clean
# recording must still work and the module unload.
set -u
. "$VM_LIB"
# 5: warnings and the backtraces of kernel reports (printed at the default level)
echo 5 >/proc/sys/kernel/printk
edu=$(vm_pci_find 1234 11e8)
iv=$(vm_pci_find 1af4 1110)
set -- $(vm_bar "$edu" 0)
edurange="$(printf '%x' $1)-$(printf '%x' $2)"
M=$MMIOTAP
K=$MTK_KODIR
secs=${STRESS_SECS:-60}
end=$(($(date +%s) + secs))
log=$VM_RESULTS/stress.txt
: >"$log"
insmod "$K/mmiotap.ko" || vm_die "insmod mmiotap"
insmod "$K/mtk_trusttest.ko" churn=1 || vm_die "insmod mtk_trusttest churn=1"
rnd() { echo $(( $(od -An -N2 -tu2 /dev/urandom) % $1 )); }

recorder() {
	n=0 killed=0 ok=0 busy=0
	while [ "$(date +%s)" -lt "$end" ]; do
		"$M" kernel record -q --keep-module --pci "$edu,bar=0" --pci "$iv,bar=2" \
			-o "/tmp/r$1.trace" -- sleep "0.$(rnd 9)" 2>/tmp/r$1.err &
		p=$!
		if [ "$(rnd 3)" = 0 ]; then
			sleep "0.$(rnd 5)"; kill -9 $p 2>/dev/null && killed=$((killed + 1))
		fi
		wait $p && ok=$((ok + 1))
		grep -q 'already running' /tmp/r$1.err && busy=$((busy + 1))
		n=$((n + 1))
	done
	echo "recorder $1: $n runs, $ok ok, $busy busy, $killed SIGKILLed" >>"$log"
}
# The unloader pauses the map/unmap churn and the driver loop around
# rmmod and insmod of mmiotap: registering and unregistering its ftrace
# hooks rewrites the first bytes of ioremap and remove_vm_area, and QEMU's
# multi-threaded TCG does not make that safe for a CPU running them at the
# same moment (a stale int3: the CPU loops on it, or "int3: 0000"; shown
# without mmiotap by toggling the function tracer on them, docs/HOWTO_TEST.md).
P=/sys/module/mtk_trusttest/parameters
lock=/tmp/stress.lock
drivers() {
	n=0
	while [ "$(date +%s)" -lt "$end" ]; do
		flock -s "$lock" sh -c "insmod '$K/mtk_edutest.ko' iters=20 2>/dev/null && rmmod mtk_edutest" &&
			n=$((n + 1))
	done
	echo "edu driver: loaded and unloaded $n times" >>"$log"
}
unloader() {
	n=0 gone=0
	while [ "$(date +%s)" -lt "$end" ]; do
		sleep "$(rnd 4)"
		echo Y >$P/churn_pause
		while [ "$(cat $P/churn_idle)" != Y ]; do sleep 0.01; done
		if flock -x "$lock" rmmod mmiotap 2>/dev/null; then
			gone=$((gone + 1))
			flock -x "$lock" insmod "$K/mmiotap.ko" 2>/dev/null
		fi
		echo N >$P/churn_pause
		n=$((n + 1))
	done
	echo "unloader: $n tries, $gone unloads" >>"$log"
}

recorder 1 & recorder 2 &
"$MTK_CTL" hammer $((secs / 2)) "$edurange" >/tmp/h1.txt 2>&1 &
"$MTK_CTL" hammer $((secs / 2)) "$edurange" >/tmp/h2.txt 2>&1 &
"$MTK_CTL" fuzz $((secs / 2)) >/tmp/h3.txt 2>&1 &
drivers & unloader &
wait
cat /tmp/h1.txt /tmp/h2.txt /tmp/h3.txt >>"$log" 2>/dev/null
rmmod mtk_trusttest || vm_die "rmmod mtk_trusttest after the stress"
[ -e /sys/module/mmiotap ] || insmod "$K/mmiotap.ko" || vm_die "insmod mmiotap after the stress"
"$M" kernel status >>"$log" 2>&1
# still works: a clean recording of the edu driver
"$M" kernel record --pci "$edu,bar=0" -o "$VM_RESULTS/final.trace" -- \
	sh -c "insmod '$K/mtk_edutest.ko' iters=50 && rmmod mtk_edutest" 2>>"$log" ||
	vm_die "the recording after the stress failed"
rmmod mmiotap || vm_die "rmmod mmiotap after the stress"
cat "$log"
dmesg | grep -E 'mmiotap|mtk_' | tail -n 50 >"$VM_RESULTS/dmesg.txt" || true
