#!/usr/bin/env bash
# mmiotap.ko's load-time fault-hook self-test (guest side:
# kmod/tests/guest-selftest.sh), one boot:
#   - with the test-only parameter test_hook_off=1 (both fault hooks ignore
#     every fault, as on a kernel whose fault path they do not reach),
#     fault_hook=ftrace, =tracepoint and =auto must each be refused: insmod
#     fails with one line, the module is not loaded, the kernel log has one
#     "self-test failed" line per hook tried (auto: both) and the
#     "refusing to load" line, and nothing else went wrong;
#   - a real conflict: kmod/tests/mtk_ipmodify.ko holds
#     kernelmode_fixup_or_oops with an IPMODIFY ftrace_ops (as a live patch
#     would). fault_hook=ftrace must be refused, the log naming the
#     conflict (-16, EBUSY); `mmiotap kernel record` (which loads the
#     module with fault_hook=auto) must fall back to the tracepoint, say so,
#     and trace the edu test driver (kmod/tests/mtk_edutest.c, 2 CPUs)
#     equal to QEMU's log per CPU and globally; the IPMODIFY ops saw the
#     fault path's calls meanwhile;
#   - after mtk_ipmodify.ko is gone, fault_hook=ftrace loads again;
#   - no BUG/Oops/WARNING on the console (run-vm).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
ITERS=${MTK_ITERS:-50}
res=$top/$B/vm/test-kmod-selftest
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" -q --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" --env MTK_ITERS="$ITERS" \
	"$top/kmod/tests/guest-selftest.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { tail -n 30 "$res/console.log"; echo "FAIL: the VM run failed (exit $rc; see $res)"; exit 1; }

ft='ftrace on kernelmode_fixup_or_oops'
tp='tracepoint page_fault_kernel'
refuse_line() { echo "mmiotap: no fault hook works on this kernel (fault_hook=$1): refusing to load"; }
# refused CASE FAULT_HOOK WANT...: insmod failed with one line, the module
# is gone, and the kernel log has each WANT line (fixed strings) and no
# "loaded" line.
refused() {
	local c=$1 h=$2 w
	shift 2
	[ "$(cat "$res/$c.rc")" != 0 ] || { echo "FAIL: $c: insmod succeeded"; cat "$res/$c.err"; exit 1; }
	[ "$(wc -l <"$res/$c.err")" -eq 1 ] || { echo "FAIL: $c: want one line from insmod, got:"; cat "$res/$c.err"; exit 1; }
	for w in "$@" "$(refuse_line "$h")"; do
		grep -qF -- "$w" "$res/$c.dmesg" || { echo "FAIL: $c: the kernel log lacks \"$w\":"; cat "$res/$c.dmesg"; exit 1; }
	done
	! grep -q 'mmiotap: loaded' "$res/$c.dmesg" || { echo "FAIL: $c: the module says it loaded"; exit 1; }
	# One load attempt (insmod retries with init_module() when the module
	# returns -ENOSYS).
	[ "$(grep -c 'refusing to load' "$res/$c.dmesg")" -eq 1 ] || { echo "FAIL: $c: the module was initialised more than once:"; cat "$res/$c.dmesg"; exit 1; }
}
nofault="self-test failed: a read of the traced page was not emulated"
refused hookoff-ftrace ftrace "mmiotap: fault hook $ft: $nofault"
refused hookoff-tracepoint tracepoint "mmiotap: fault hook $tp: $nofault"
refused hookoff-auto auto "mmiotap: fault hook $ft: $nofault" "mmiotap: fault hook $tp: $nofault"
refused busy-ftrace ftrace "mmiotap: cannot hook kernelmode_fixup_or_oops: -16 (another ftrace user already modifies its IP"
! grep -q 'self-test' "$res/busy-ftrace.dmesg" || { echo "FAIL: busy-ftrace: a self-test ran although no hook attached"; exit 1; }

# auto with the conflict: the tracepoint, and a correct trace.
[ "$(cat "$res/busy-auto.rc")" = 0 ] || { cat "$res/busy-auto.err" "$res/busy-auto.dmesg"; echo "FAIL: busy-auto: mmiotap kernel record or the edu test driver failed"; exit 1; }
grep -qF 'mmiotap: cannot hook kernelmode_fixup_or_oops: -16' "$res/busy-auto.dmesg" &&
	grep -qF "mmiotap: loaded (fault hook: $tp; self-test passed)" "$res/busy-auto.dmesg" ||
	{ cat "$res/busy-auto.dmesg"; echo "FAIL: busy-auto: the module did not fall back to the tracepoint (or did not say so)"; exit 1; }
hits=$(cat "$res/ipmodify-hits")
[ "$hits" -gt 0 ] || { echo "FAIL: the IPMODIFY ops never saw kernelmode_fixup_or_oops called"; exit 1; }
bar=$(cat "$res/edu-bar")
"$top/$B/mmiotap" dump "$res/edu.trace" >"$res/edu.txt" || { echo "FAIL: mmiotap dump"; exit 1; }
n=$(grep -c '^[RW] ' "$res/edu.txt")
[ "$n" -eq $((4 * ITERS)) ] || { echo "FAIL: busy-auto: $n traced accesses, want $((4 * ITERS))"; exit 1; }
"$top/$B/qemu-compare" -q --per-cpu --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/edu.txt" ||
	{ echo "FAIL: busy-auto: trace differs from QEMU's log (per CPU)"; exit 1; }
"$top/$B/qemu-compare" -q --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/edu.txt" ||
	{ echo "FAIL: busy-auto: trace differs from QEMU's log (global order)"; exit 1; }

# The conflict gone, the ftrace hook attaches again.
[ "$(cat "$res/after.rc")" = 0 ] && grep -qF "mmiotap: loaded (fault hook: $ft; self-test passed)" "$res/after.dmesg" ||
	{ cat "$res/after.err" "$res/after.dmesg"; echo "FAIL: after: fault_hook=ftrace does not load once mtk_ipmodify.ko is gone"; exit 1; }
echo "PASS: test_hook_off=1: fault_hook=ftrace, tracepoint and auto refused with the self-test's reason (insmod: $(cat "$res/hookoff-auto.err")); IPMODIFY conflict: fault_hook=ftrace refused (EBUSY named), auto fell back to the tracepoint and traced $n accesses from 2 CPUs equal to QEMU's log per CPU and globally (the IPMODIFY ops saw $hits fault-path calls); ftrace hook attaches again afterwards"
