# guest-lib.sh - helpers for VM guest scripts (POSIX sh; source "$VM_LIB").
#
#   vm_pci_find VENDOR DEVICE [INDEX]  print the BDF of the INDEXth (0) such device
#   vm_bar BDF N                     print "START END" of BAR N (hex, inclusive)
#   vm_expect_start FILE             start an mmiotrace text file of expected accesses
#   vm_expect R|W WIDTH ADDR VALUE   append one access to it (WIDTH in bytes)
#   vm_devmem ADDR BITS [VALUE]      busybox devmem (dynamic build) + vm_expect;
#                                    prints the value read (reads only); runs
#                                    on CPU $VM_CPU when set (taskset), and
#                                    vm_expect then writes "CTX 0 0 CPU" lines
#   vm_die MSG                       print "FAIL: MSG" and exit 1

vm_die() { echo "FAIL: $*" >&2; exit 1; }

vm_pci_find() {
	_n=${3:-0}
	for _d in /sys/bus/pci/devices/*; do
		[ "$(cat "$_d/vendor")" = "0x$1" ] && [ "$(cat "$_d/device")" = "0x$2" ] || continue
		if [ "$_n" -eq 0 ]; then basename "$_d"; return 0; fi
		_n=$((_n - 1))
	done
	echo "vm_pci_find: no PCI device $1:$2" >&2
	return 1
}

vm_bar() {
	sed -n "$(($2 + 1))p" "/sys/bus/pci/devices/$1/resource" | {
		read -r _s _e _f
		[ -n "$_s" ] && [ $((_s)) -ne 0 ] || { echo "vm_bar: $1 has no BAR $2" >&2; return 1; }
		printf '0x%x 0x%x\n' $((_s)) $((_e))
	}
}

vm_expect_start() {
	VM_EXPECT=$1
	echo "VERSION 20070824" >"$VM_EXPECT"
}

vm_expect() {
	if [ -n "${VM_CPU:-}" ] && [ "${VM_CPU}" != "${_vm_ctx:-}" ]; then
		echo "CTX 0 0 $VM_CPU" >>"$VM_EXPECT"
		_vm_ctx=$VM_CPU
	fi
	# the value as a string: 64-bit values overflow the shell's arithmetic
	_x=$(echo "$4" | tr 'A-F' 'a-f' | sed 's/^0x//; s/^0*//')
	printf '%s %d 0.000000 0 0x%x 0x%s 0x0 0\n' "$1" "$2" $(($3)) "${_x:-0}" >>"$VM_EXPECT"
}

VM_BUSYBOX=${VM_BUSYBOX_DYN:-busybox}
vm_devmem() {
	_pin=
	[ -n "${VM_CPU:-}" ] && _pin="taskset -c $VM_CPU"
	if [ $# -ge 3 ]; then
		$_pin "$VM_BUSYBOX" devmem "$1" "$2" "$3" || vm_die "devmem $*"
		vm_expect W $(($2 / 8)) "$1" "$(printf '0x%x' $(($3)))"
	else
		_v=$($_pin "$VM_BUSYBOX" devmem "$1" "$2") || vm_die "devmem $*"
		vm_expect R $(($2 / 8)) "$1" "$_v"
		echo "$_v"
	fi
}
