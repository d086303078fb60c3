# Guest side of tests/vm/test-kmod-unload.sh: rmmod mmiotap while the edu
# test driver hammers the traced BAR from both CPUs. mmiotap.ko traces edu's
# BAR0 from load (phys=); mtk_edutest (loaded in the background) checks
# every value it reads, before, during and after the unload; its insmod
# must succeed. Rounds with different delays before the rmmod.
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
