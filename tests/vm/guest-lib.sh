# guest-lib.sh - helpers for VM guest scripts (POSIX sh; source "$VM_LIB").
#
#   vm_pci_find VENDOR DEVICE [INDEX]  print the BDF of the INDEXth (0) such device
#   vm_bar BDF N                     print "START END" of BAR N (hex, inclusive)
#   vm_bar_save BDF N NAME           vm_bar into VM_BAR_START VM_BAR_END, and
#                                    "START-END" into $VM_RESULTS/NAME
#   vm_expect_start FILE             start an mmiotrace text file of expected accesses
#   vm_expect R|W WIDTH ADDR VALUE   append one access to it (WIDTH in bytes)
#   vm_devmem ADDR BITS [VALUE]      busybox devmem (dynamic build) + vm_expect;
#                                    prints the value read (reads only); runs
#                                    on CPU $VM_CPU when set (taskset), and
#                                    vm_expect then writes "CTX 0 0 CPU" lines
#   vm_die MSG                       print "FAIL: MSG" and exit 1
#   vm_edu_devmem_script BUSYBOX BAR print a sh script of BUSYBOX devmem calls
#                                    on edu at BAR, printing every value read

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

vm_bar_save() {
	_b=$(vm_bar "$1" "$2") || vm_die "no BAR $2 on $1"
	set -- $_b "$3"
	VM_BAR_START=$1 VM_BAR_END=$2
	echo "$1-$2" >"$VM_RESULTS/$3"
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

# 30-odd accesses of every kind edu has: id, liveness, 8-byte id, the
# factorial and its status polling, a 1- and a 2-byte access it rejects.
vm_edu_devmem_script() {
	cat <<EOS
set -e
bb=$1
r() { printf '0x%x' \$(($2 + \$1)); }
\$bb devmem \$(r 0x00) 32
\$bb devmem \$(r 0x04) 32 0x12345678
\$bb devmem \$(r 0x04) 32
\$bb devmem \$(r 0x00) 64
i=0
while [ \$i -lt 8 ]; do
	\$bb devmem \$(r 0x04) 32 \$((0x11111111 * (i + 1)))
	\$bb devmem \$(r 0x04) 32
	i=\$((i + 1))
done
\$bb devmem \$(r 0x08) 32 5
n=0
while :; do
	v=\$(\$bb devmem \$(r 0x20) 32); echo \$v
	[ \$((v & 1)) -ne 0 ] || break
	n=\$((n + 1)); [ \$n -lt 200 ]
done
\$bb devmem \$(r 0x08) 32
\$bb devmem \$(r 0x00) 8
\$bb devmem \$(r 0x04) 16 0xbeef
\$bb devmem \$(r 0x04) 32
EOS
}
