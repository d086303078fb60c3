# test-lib.sh - host side of the VM tests (bash; `. "$(dirname "$0")/test-lib.sh"`
# after `set -u`). Every failure prints one "FAIL: ..." line and exits 1
# (99 for a harness problem, 77 with "SKIP: ..." when the test cannot run).
#
#   vmt_init NAME [FILE...]       sets here, top, b ($BUILD), cmp (qemu-compare),
#                                 mt (mmiotap) and res ($b/vm/NAME, emptied);
#                                 exits 99 unless cmp, mt and every FILE are built
#   vmt_kmod_build                (kernel-module tests) cd to the top, make kmod
#                                 (module and test drivers), mmiotap and
#                                 qemu-compare; sets B (the build dir's name).
#                                 KDIR from the environment, else
#                                 $VM_KERNEL_DIR/build when that is set;
#                                 VMT_PREBUILT=DIR uses DIR's build instead
#   vmt_install WHAT PKG...       apt-get install PKG...; SKIP "cannot install WHAT"
#   vmt_run_vm [run-vm.sh options] GUEST [ARGS...]
#                                 run-vm.sh -q --results $res ...: exit 77 when
#                                 QEMU cannot run, FAIL (console tail) on error
#   vmt_trace MIN                 dump $res/trace.mt to trace.txt; sets n (its
#                                 R/W records, at least MIN); no UNKNOWN or LOST
#   vmt_compare REGION WANT WHY   qemu-compare of trace.txt with QEMU's log of
#                                 REGION at $bar must pass and print WANT (a grep
#                                 pattern), else "FAIL: WHY"
#   vmt_altered_rejected REGION AWK
#                                 trace.txt with one line changed by the AWK
#                                 program must be rejected by qemu-compare
#   vmt_edu_devmem_checks         all checks of a trace of guest-lib's
#                                 vm_edu_devmem_script on edu (devmem.txt printed)

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
b=$top/${BUILD:-build}

vmt_kmod_build() {
	B=${BUILD:-build}
	# VMT_PREBUILT=DIR: use the mmiotap, module and test drivers already
	# built in DIR (another checkout's build directory: how the closing
	# notes measured the code before a fix), build nothing.
	if [ -n "${VMT_PREBUILT:-}" ]; then
		B=$(realpath --relative-to="$top" "$VMT_PREBUILT") || exit 99
		b=$top/$B
		cd "$top" || exit 99
		return 0
	fi
	cd "$top" && mkdir -p "$B" || exit 99
	# A debug kernel (run-vm.sh VM_KERNEL_DIR) loads only modules built
	# against its own tree.
	if [ -z "${KDIR:-}" ] && [ -n "${VM_KERNEL_DIR:-}" ]; then export KDIR=$VM_KERNEL_DIR/build; fi
	make -s kmod BUILD="$B" ${KDIR:+KDIR="$KDIR"} >"$b/kmod-build.log" 2>&1 ||
		{ echo "FAIL: make kmod"; tail -20 "$b/kmod-build.log"; exit 1; }
	make -s BUILD="$B" "$B/mmiotap" "$B/qemu-compare" >/dev/null || { echo "FAIL: build helpers"; exit 1; }
}

vmt_init() {
	local x name=$1
	shift
	cmp=$b/qemu-compare mt=$b/mmiotap
	for x in "$cmp" "$mt" "$@"; do
		[ -e "$x" ] || { echo "FAIL: $x not built (make ${BUILD:+BUILD=$BUILD })"; exit 99; }
	done
	res=$b/vm/$name
	rm -rf "$res" && mkdir -p "$res" || exit 99
}

vmt_install() {
	local what=$1
	shift
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 ||
		{ echo "SKIP: cannot install $what"; exit 77; }
}

vmt_run_vm() {
	local rc
	bash "$here/run-vm.sh" -q --results "$res" "$@"
	rc=$?
	[ $rc = 77 ] && exit 77
	[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc); see $res/console.log"; tail -n 25 "$res/console.log"; exit 1; }
	echo "round trip: $(cat "$res/roundtrip-ms" 2>/dev/null) ms"
}

vmt_trace() {
	"$mt" dump "$res/trace.mt" >"$res/trace.txt" || { echo "FAIL: mmiotap dump failed"; exit 1; }
	n=$(grep -c '^[RW] ' "$res/trace.txt")
	[ "$n" -ge "$1" ] || { echo "FAIL: only $n accesses recorded (want >= $1)"; head -n 40 "$res/trace.txt"; exit 1; }
	grep -q '^UNKNOWN\|^LOST' "$res/trace.txt" && { echo "FAIL: UNKNOWN or LOST records in the trace"; exit 1; }
	return 0
}

vmt_compare() {
	local out rc
	out=$("$cmp" --region "$1" --phys "$bar" "$res/qemu.log" "$res/trace.txt")
	rc=$?
	echo "$out"
	[ $rc = 0 ] || { echo "FAIL: the mmiotap trace differs from QEMU's log"; exit 1; }
	echo "$out" | grep -q "$2" || { echo "FAIL: $3"; exit 1; }
}

vmt_altered_rejected() {
	awk "$2" "$res/trace.txt" >"$res/mut.txt"
	[ "$(diff "$res/trace.txt" "$res/mut.txt" | grep -c '^>')" = 1 ] || { echo "FAIL: the mutation did not apply"; exit 1; }
	"$cmp" --region "$1" --phys "$bar" "$res/qemu.log" "$res/mut.txt" >"$res/mut.out" 2>&1
	[ $? = 1 ] && grep -q MISMATCH "$res/mut.out" || { echo "FAIL: an altered trace was not rejected"; cat "$res/mut.out"; exit 1; }
}

# The busybox devmem drive of edu (guest-lib.sh's vm_edu_devmem_script),
# recorded through /dev/mem: the trace must equal QEMU's own log of the
# edu-mmio region (the 1- and 2-byte accesses edu rejects appear in QEMU's
# guest_errors), hold at least 25 accesses, agree with the values devmem
# printed, and an altered copy must be rejected. Sets bar and n.
vmt_edu_devmem_checks() {
	bar=$(cat "$res/edu-bar") || exit 1
	vmt_trace 25
	grep -q '^EXT src=file .*path=/dev/mem' "$res/trace.txt" || { echo "FAIL: no MAP record naming /dev/mem"; exit 1; }

	# The values devmem printed are the trace's reads, in order.
	hexnorm() { local v; while read -r v; do printf '0x%x\n' "$((v))"; done; }
	awk '/^R / { print $6 }' "$res/trace.txt" | hexnorm >"$res/reads.txt"
	hexnorm <"$res/devmem.txt" >"$res/printed.txt"
	[ -s "$res/printed.txt" ] || { echo "FAIL: devmem printed nothing"; exit 1; }
	if ! diff "$res/printed.txt" "$res/reads.txt" >"$res/reads.diff"; then
		echo "FAIL: values printed by devmem differ from the trace's reads:"; head "$res/reads.diff"; exit 1
	fi
	head -n1 "$res/devmem.txt" | grep -qi '^0x0*10000ed$' || { echo "FAIL: edu id read as $(head -n1 "$res/devmem.txt")"; exit 1; }

	vmt_compare edu-mmio "OK: $n accesses match ($((n - 2)) exact, 2 rejected by the device" \
		"unexpected counts (want $n accesses, 2 rejected by edu)"
	# The comparison can fail: one write value altered.
	vmt_altered_rejected edu-mmio '/^W 4 / && ++k == 3 { $6 = "0xbad0bad0" } { print }'
}
