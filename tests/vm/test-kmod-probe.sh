#!/usr/bin/env bash
# The probe API of mmiotap.ko (kmod/include/mmiotap_probe.h) on QEMU's edu,
# through the test module kmod/tests/mtk_probetest.c, which checks by itself
# (load fails otherwise): overlap over whole ranges, shared pages, handlers
# changing values seen by the driver and written to the device from 2 CPUs,
# 40 register/unregister cycles while another CPU hammers the register
# (no handler after unregister returns). Two boots:
#   plain:  mmiotap.ko alone (the probes arm their own pages);
#   record: inside `mmiotap kernel record` (probes share the armed BAR): the
#           trace must equal QEMU's log per CPU, with the handlers' changes
#           flagged (reads: orig= is the device's value; writes: the value
#           the device got).
# No BUG/Oops/WARNING on the console (run-vm).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
ITERS=${MTK_ITERS:-100}
for mode in plain record; do
	res=$top/$B/vm/test-kmod-probe-$mode
	rm -rf "$res" && mkdir -p "$res" || exit 99
	bash "$here/run-vm.sh" --dev edu --results "$res" --timeout 300 \
		--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" \
		--env MTK_ITERS="$ITERS" --env MTK_PROBE_MODE="$mode" "$top/kmod/tests/guest-probe.sh"
	rc=$?
	[ $rc = 77 ] && exit 77
	[ $rc = 0 ] || { echo "FAIL: $mode: the VM run failed (exit $rc; see $res/kmod-dmesg.txt or the console)"; exit 1; }
	grep -q 'mtk_probetest: .* errors 0' "$res/kmod-dmesg.txt" || { echo "FAIL: $mode: no success line from the test module"; exit 1; }
	msg=$(grep 'mtk_probetest:' "$res/kmod-dmesg.txt" | sed 's/.*mtk_probetest: //')
done
res=$top/$B/vm/test-kmod-probe-record
bar=$(cat "$res/edu-bar")
"$top/$B/mmiotap" dump "$res/edu.trace" >"$res/edu.txt" || { echo "FAIL: mmiotap dump"; exit 1; }
awk '/^[RW] / { if (l != "") print l " |"; l = $0; next }
     /^EXT / && l != "" { print l " | " $0; l = ""; next }
     { if (l != "") print l " |"; l = "" }
     END { if (l != "") print l " |" }' "$res/edu.txt" >"$res/pairs.txt"
idr=$(grep -c '^R 4 .* 0xabcd00ed .*| EXT flags=injected orig=0x10000ed' "$res/pairs.txt")
[ "$idr" -ge "$ITERS" ] || { echo "FAIL: record: $idr id reads changed by the probe (0xabcd00ed, orig 0x10000ed), want >= $ITERS"; exit 1; }
lw=$(grep -c '^W 4 .*| EXT flags=injected orig=' "$res/pairs.txt")
[ "$lw" -eq "$ITERS" ] || { echo "FAIL: record: $lw liveness writes changed by the probe, want $ITERS"; exit 1; }
MMIOTAP="$top/$B/mmiotap" "$top/$B/qemu-compare" --per-cpu --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/edu.trace" ||
	{ echo "FAIL: record: trace differs from QEMU's log (per CPU)"; exit 1; }
echo "PASS: probe API checks passed alone and inside a recording ($msg); recorded trace equals QEMU's log per CPU with $idr+$lw changed accesses flagged"
