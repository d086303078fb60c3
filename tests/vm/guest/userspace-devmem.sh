# Guest side of test-userspace-devmem.sh: Debian's DYNAMIC busybox (package
# busybox) drives QEMU's edu device through /dev/mem under `mmiotap record`.
# devmem opens /dev/mem O_RDONLY for reads and O_RDWR for writes, so the
# tracer's alias must use the program's own protection.
# Writes: edu-bar (START-END), trace.mt (a shell running many devmem
# processes: fork + exec under the preload), devmem.txt (every value read).
set -e
. "$VM_LIB"
mt=${MT_BIN:?MT_BIN not set}
bdf=$(vm_pci_find 1234 11e8)
vm_bar_save "$bdf" 0 edu-bar
echo "edu at $bdf, BAR0 $VM_BAR_START-$VM_BAR_END"
bb=$VM_BUSYBOX_DYN
[ -x "$bb" ] || vm_die "no dynamic busybox at $bb"
grep -q 'ld-linux-x86-64' "$bb" ||
	vm_die "$bb is not dynamically linked (LD_PRELOAD would not apply)"

# A shell script of devmem calls, recorded as one trace; every value read
# is printed, in order, to devmem.txt.
vm_edu_devmem_script "$bb" "$VM_BAR_START" >/tmp/drive.sh
cp /tmp/drive.sh "$VM_RESULTS/drive.sh" # for the host's replay of the trace
"$mt" record -o "$VM_RESULTS/trace.mt" -- /bin/sh /tmp/drive.sh >"$VM_RESULTS/devmem.txt"
cat "$VM_RESULTS/devmem.txt"
