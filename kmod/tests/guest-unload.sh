# Guest side of tests/vm/test-kmod-unload.sh: rmmod mmiotap while the edu
# test driver hammers the traced BAR from both CPUs. mmiotap.ko traces edu's
# BAR0 from load (phys=); mtk_edutest (loaded in the background) checks
# every value it reads, before, during and after the unload; its insmod
# must succeed. Rounds with different delays before the rmmod; then one
# with a task asleep inside an ioremap wrapper.
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
bdf=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$bdf" 0)
range=$(printf '%x-%x' $(($1)) $(($2 + 1)))
: >"$VM_RESULTS/rounds.txt"
for delay in ${MTK_UNLOAD_DELAYS:-0.2 0.6 1.2}; do
	dmesg -c >/dev/null
	insmod "$MTK_KODIR/mmiotap.ko" phys="$range" buf_records=1024 || vm_die "insmod mmiotap.ko failed"
	insmod "$MTK_KODIR/mtk_edutest.ko" iters="${MTK_ITERS:-400000}" resched=1 &
	pid=$!
	# The delay counts from the driver's load (insmod itself can be slow
	# on a busy host).
	i=0
	while [ ! -e /sys/module/mtk_edutest ] && [ $i -lt 200 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep "$delay"
	[ -e /sys/module/mtk_edutest ] || vm_die "round $delay: the test driver is not loaded yet/anymore"
	t0=$(date +%s%N)
	rmmod mmiotap || vm_die "round $delay: rmmod mmiotap failed"
	t1=$(date +%s%N)
	running=no
	kill -0 "$pid" 2>/dev/null && running=yes
	wait "$pid" || vm_die "round $delay: the test driver saw a wrong value (or failed) across the unload"
	rmmod mtk_edutest
	emu=$(dmesg | sed -n 's/.*mmiotap: unloaded (\([0-9]*\) faults emulated.*/\1/p')
	echo "delay $delay: $emu faults emulated before the unload, rmmod took $(((t1 - t0) / 1000000)) ms, driver still running after rmmod: $running" |
		tee -a "$VM_RESULTS/rounds.txt"
	dmesg | grep -E 'mtk_edutest' || true
done
# A task asleep inside an ioremap wrapper (test_wrapper_delay_ms=: the
# wrapper sleeps 2 s after mapping) when rmmod comes: rmmod must wait for
# it, the task must come back from the wrapper and the driver load.
dmesg -c >/dev/null
insmod "$MTK_KODIR/mmiotap.ko" test_wrapper_delay_ms=2000 || vm_die "insmod mmiotap.ko failed"
insmod "$MTK_KODIR/mtk_edutest.ko" iters=1000 &
pid=$!
i=0
until dmesg | grep -q 'testing: a wrapper sleeps'; do
	i=$((i + 1))
	[ $i -lt 300 ] || vm_die "wrapper: no task entered an ioremap wrapper"
	sleep 0.1
done
t0=$(date +%s%N)
rmmod mmiotap || vm_die "wrapper: rmmod mmiotap failed"
t1=$(date +%s%N)
wait "$pid" || vm_die "wrapper: the test driver failed after the unload"
rmmod mtk_edutest
echo "wrapper: rmmod took $(((t1 - t0) / 1000000)) ms with a task asleep in an ioremap wrapper; the driver loaded" |
	tee -a "$VM_RESULTS/rounds.txt"
