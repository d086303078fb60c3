# Guest side of tests/vm/test-kmod-ivshmem.sh: mmiotap.ko and the ivshmem
# test driver (kmod/tests/mtk_ivtest.c) on QEMU's ivshmem-plain.
#
# MTK_IV_MODE=main (BAR2 of 4M, mapped by the driver with 2M pages):
#   phase 1 (load):   `mmiotap kernel record` of BAR0 and BAR2 first, then the
#                     driver is loaded (new mappings: BAR0 4K, BAR2 2M, BAR2
#                     page 0 again 4K) and makes a round at load (2 CPUs,
#                     hrtimers, every family, CRC32 step), then a marker;
#   phase 2 (attach): the driver stays loaded; a recording of BAR0 and BAR2
#                     with two --inject rules attaches to its existing
#                     mappings (the 2M one included), then a round is made
#                     through the driver's run parameter (BAR2 set 1);
#   phase 3 (unload): rmmod mmiotap while the driver hammers BAR2 from both
#                     CPUs and hardirq (BAR2 sets 2 and 3): twice with
#                     mmiotap.ko loaded with phys= after the driver (its 2M
#                     mapping attached), once before it (mapped new); the
#                     driver checks every value before, during and after.
#   Phases are separated in QEMU's log by writes to BAR0+0x80 (0x1111 after
#   phase 1, 0x2222 after phase 2), made with devmem when nothing records.
# MTK_IV_MODE=1g (BAR2 of 1G: ioremap maps it with a 1G page): a recording
#   that selects BAR2 must refuse the existing mapping, and a new one.
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
bdf=$(vm_pci_find 1af4 1110)
vm_bar_save "$bdf" 0 bar0
b0=$VM_BAR_START b0end=$VM_BAR_END
vm_bar_save "$bdf" 2 bar2
b2=$VM_BAR_START b2end=$VM_BAR_END
echo "$bdf" >"$VM_RESULTS/bdf"
K=$MTK_KODIR
P=/sys/module/mtk_ivtest/parameters
bb=${VM_BUSYBOX_DYN:-busybox}
it=${MTK_ITERS:-100}
# (guest-init.sh writes the whole dmesg to dmesg.txt at the end)
save_dmesg() { dmesg | grep -E 'mmiotap|mtk_ivtest' >"$VM_RESULTS/ivtest-dmesg.txt" || true; }

if [ "${MTK_IV_MODE:-main}" = 1g ]; then
	insmod "$K/mtk_ivtest.ko" iters=0 || vm_die "insmod mtk_ivtest failed"
	"$MMIOTAP" kernel record --pci "$bdf,bar=2" -o "$VM_RESULTS/1g-attach.trace" -- true ||
		vm_die "recording (attach) failed"
	"$MMIOTAP" kernel record --pci "$bdf,bar=2" -o "$VM_RESULTS/1g-load.trace" -- \
		sh -c 'rmmod mtk_ivtest && insmod "$1/mtk_ivtest.ko" iters=0' sh "$K" ||
		vm_die "recording (new mapping) failed"
	rmmod mtk_ivtest
	save_dmesg
	exit 0
fi

# phase 1: from load
"$MMIOTAP" kernel record --pci "$bdf,bar=0" --pci "$bdf,bar=2" -o "$VM_RESULTS/load.trace" -- \
	sh -c 'insmod "$1/mtk_ivtest.ko" iters="$2" step=1 && "$3" mark ivtest loaded' sh "$K" "$it" "$MMIOTAP" ||
	vm_die "phase 1: recording, or the driver's round at load, failed"
"$bb" devmem $(printf '0x%x' $((b0 + 0x80))) 32 0x1111
cat $P/pages >"$VM_RESULTS/pages-before-attach"

# phase 2: attach to the loaded driver's mappings, with injection:
# 4-byte IVPosition reads return 0x12345678, writes to the injection word
# (BAR2 set 1: mtk_ivtest.c IVT_INJ(1)) reach the device XORed with 0xff.
inj=$(printf '0x%x' $((0x100000 + 0x10000 + 0x800)))
"$MMIOTAP" kernel record --pci "$bdf,bar=0" --pci "$bdf,bar=2" -o "$VM_RESULTS/attach.trace" \
	--inject "pci=$bdf,bar=0,off=8,width=4,dir=r,value=0x12345678" \
	--inject "pci=$bdf,bar=2,off=$inj,width=4,dir=w,xor=0xff" -- \
	sh -c 'P=$1; cat $P/pages >"$3/pages-attached" && echo 1 >$P/set && echo 0x12345678 >$P/ivpos_inject &&
		echo 0xff >$P/inj_xor && echo 1 >$P/step && echo "$2" >$P/run' sh "$P" "$it" "$VM_RESULTS" ||
	vm_die "phase 2: recording, or the driver's round after the attach, failed"
echo 0 >$P/ivpos_inject
echo 0 >$P/inj_xor
echo 0 >$P/step
"$bb" devmem $(printf '0x%x' $((b0 + 0x80))) 32 0x2222

# phase 3: unload under load
range=$(printf '%x-%x,%x-%x' $((b0)) $((b0end + 1)) $((b2)) $((b2end + 1)))
echo 0 >$P/bar0
: >"$VM_RESULTS/rounds.txt"
unload_round() { # $1 how (attached | new), $2 delay before the rmmod
	if [ "$1" = new ]; then
		rmmod mtk_ivtest
		insmod "$K/mmiotap.ko" phys="$range" buf_records=1024 || vm_die "insmod mmiotap.ko failed"
		insmod "$K/mtk_ivtest.ko" iters=0 bar0=0 set=3 hammer_ms=60000 || vm_die "insmod mtk_ivtest failed"
	else
		echo 2 >$P/set
		insmod "$K/mmiotap.ko" phys="$range" buf_records=1024 || vm_die "insmod mmiotap.ko failed"
	fi
	sh -c 'echo 1000 >"$1/run"' sh "$P" &
	pid=$!
	sleep "$2"
	kill -0 "$pid" 2>/dev/null || vm_die "round $1 $2: the driver's round ended before the rmmod"
	t0=$(date +%s%N)
	rmmod mmiotap || vm_die "round $1 $2: rmmod mmiotap failed"
	t1=$(date +%s%N)
	running=no
	kill -0 "$pid" 2>/dev/null && running=yes
	sleep 0.3 # on, untraced
	echo Y >/sys/kernel/debug/mtk_ivtest/stop
	wait "$pid" || vm_die "round $1 $2: the driver saw a wrong value (or failed) across the unload"
	emu=$(dmesg | sed -n 's/.*mmiotap: unloaded (\([0-9]*\) faults emulated.*/\1/p' | tail -n1)
	echo "$1 delay $2: $emu faults emulated before the unload, rmmod took $(((t1 - t0) / 1000000)) ms, driver still running after rmmod: $running" |
		tee -a "$VM_RESULTS/rounds.txt"
}
# A round goes on (1000 iterations at least, 60 s at most) until told to
# stop after the rmmod: under this load rmmod takes seconds (it waits for RCU
# Tasks grace periods, for its ftrace hooks).
echo 60000 >$P/hammer_ms
unload_round attached 0.5
unload_round new 0.5
rmmod mtk_ivtest
[ ! -e /sys/module/mmiotap ] || vm_die "mmiotap.ko still loaded"
save_dmesg
