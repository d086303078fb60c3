# Guest side of tests/vm/test-kmod-e1000.sh: the in-tree e1000 driver on
# QEMU's e1000, traced by `mmiotap kernel record`
#   phase 1 (load):   recording starts first, then e1000 is loaded, its link
#                     brought up, then it is unloaded (the log ends there);
#   phase 2 (attach): e1000 loaded and up untraced, link down (the driver is
#                     then quiet), recording starts (attaches to the existing
#                     mapping), link up, unload.
# Each phase is delimited in QEMU's log by a write to edu's liveness
# register (0x1111 after phase 1, 0x2222 before phase 2's recording).
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
KVER=$(uname -r)
# VM_MODDIR (run-vm.sh): the booted kernel's modules, Debian's or a debug build's.
E1000=${VM_MODDIR:-$VM_TOPDIR/tests/vm/cache/linux-image-$KVER/root/lib/modules/$KVER}/kernel/drivers/net/ethernet/intel/e1000/e1000.ko
[ -r "$E1000" ] || vm_die "no $E1000"
bdf=$(vm_pci_find 8086 100e)
set -- $(vm_bar "$bdf" 0)
echo "$1-$2" >"$VM_RESULTS/e1000-bar"
echo "$bdf" >"$VM_RESULTS/e1000-bdf"
edu=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$edu" 0)
edu_live=$(printf '0x%x' $(($1 + 4)))
bb=${VM_BUSYBOX_DYN:-busybox}
iface_up() {
	for n in /sys/bus/pci/devices/$bdf/net/*; do ip link set "${n##*/}" "$1"; done
}
export bdf E1000

# phase 1: from load
"$MMIOTAP" kernel record --pci "$bdf,bar=0" -o "$VM_RESULTS/load.trace" -- sh -c '
	insmod "$E1000" || exit 1
	for n in /sys/bus/pci/devices/$bdf/net/*; do ip link set "${n##*/}" up; done
	sleep 3
	"$MMIOTAP" mark e1000 link up
	rmmod e1000' || vm_die "phase 1 (trace from load) failed"
"$bb" devmem "$edu_live" 32 0x1111

# phase 2: attach to the loaded driver
insmod "$E1000"
iface_up up
sleep 2
iface_up down
sleep 1
"$bb" devmem "$edu_live" 32 0x2222
"$MMIOTAP" kernel record --pci "$bdf,bar=0" -o "$VM_RESULTS/attach.trace" -- sh -c '
	for n in /sys/bus/pci/devices/$bdf/net/*; do ip link set "${n##*/}" up; done
	sleep 3
	rmmod e1000' || vm_die "phase 2 (attach) failed"
[ ! -e /sys/module/mmiotap ] || vm_die "mmiotap.ko still loaded"

# phase 3: the PCIDEV header, from the kernel's own mmiotrace and from
# `mmiotap kernel record` in the same state (e1000 unloaded)
T=/sys/kernel/tracing
[ -w $T/current_tracer ] || vm_die "no tracefs at $T"
echo mmiotrace >$T/current_tracer || vm_die "cannot enable mmiotrace"
timeout 2 cat $T/trace_pipe >"$VM_RESULTS/mmiotrace.txt" || true
echo nop >$T/current_tracer
"$MMIOTAP" kernel record -q --pci "$bdf,bar=0" -o "$VM_RESULTS/pcidev.trace" -- true ||
	vm_die "phase 3 (PCIDEV) failed"
dmesg | grep -E 'mmiotap|e1000' >"$VM_RESULTS/dmesg.txt" || true
cat "$VM_RESULTS/dmesg.txt"
