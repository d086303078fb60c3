#!/usr/bin/env bash
# mmiotap diff on kernel traces of the real e1000 driver (QEMU's e1000),
# from load to unload, three runs in one boot: two alike, and one where the
# host pulls the cable (QEMU monitor set_link off, run-vm.sh
# --link-control) after the marker "window". diff aligns the traces at the
# marker (anchor), collapses polls, ignores the values of the statistics
# counters and of ITR, and compares the asynchronous accesses as sets (--async irq and the tasks
# that run e1000_watchdog: its kworker; the rule of mmiotap-diff(1)): the
# watchdog runs once or twice in the window and lands anywhere among the
# other accesses. Checks: the runs alike do not differ after the marker; the
# link run does, at the driver's sight of the change (ICR with LSC, STATUS
# without LU), with the e1000 register names (regdb.index by PCI id); a copy
# of a run with one value changed after the marker (an access of rmmod, one
# of the interrupt handler) differs there and only there.
# E1000_DIFF_REUSE=1 checks the traces of the previous run again without
# booting.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
res=$top/$B/vm/test-kmod-e1000-diff
[ "${E1000_DIFF_REUSE:-0}" = 1 ] || { rm -rf "$res" && mkdir -p "$res"; } || exit 99
[ "${E1000_DIFF_REUSE:-0}" = 1 ] || bash "$here/run-vm.sh" --dev e1000 --link-control --no-trace --results "$res" --timeout 300 \
	--env MMIOTAP="$top/$B/mmiotap" "$here/guest/e1000-link.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; tail -n 20 "$res/console.log"; exit 1; }
mt=$top/$B/mmiotap
export MMIOTAP_REGDB_PATH=$top/regdb/db # e1000.xml by PCI id
# seq of the marker "window" in a trace
mark_seq() {
	"$mt" dump -f jsonl "$1" | awk -F'"seq":' '/"kind":"MARK"/ && /"window"/ { split($2, a, ","); print a[1]; exit }'
}
for r in same1 same2 link; do
	[ -n "$(mark_seq "$res/$r.trace")" ] || { echo "FAIL: no marker in $r"; exit 1; }
done
# -p: polling loops of other lengths; the values of the statistics counters
# and of ITR (interrupt throttling the driver adapts to past interrupts);
# the interrupts and the watchdog's kworker as sets
opts=(-p --ignore-value 0:0x4000-0x40ff --ignore-value ITR --async irq --async 'e1000_watchdog*')
# the -/+ lines of `diff -U 0 A B` about accesses after each trace's marker
# (by their #seq), ordered or asynchronous
after_mark() {
	"$mt" diff "${opts[@]}" -U 0 "$1" "$2" | awk -v ma="$(mark_seq "$1")" -v mb="$(mark_seq "$2")" '
		/^first divergence:/ { exit }
		/^[-+][RWU]/ { n = split($0, f, "#seq "); s = f[n] + 0
			if ((/^-/ && s > ma) || (/^[+]/ && s > mb)) print }'
	# diff's own status: 0 same, 1 different; 2 (trouble) must not pass as "nothing after"
	local st=${PIPESTATUS[0]}
	[ "$st" -le 1 ] || { echo "FAIL: diff $1 $2: exit $st" >&2; exit 1; }
}
# 1. two runs alike: whatever the autonegotiation timing before (the device
# keeps state across runs), nothing differs after the marker
after_mark "$res/same1.trace" "$res/same2.trace" >"$res/same-after.txt"
"$mt" diff "${opts[@]}" -q "$res/same1.trace" "$res/same2.trace" | tail -n 2
[ ! -s "$res/same-after.txt" ] ||
	{ head -n 20 "$res/same-after.txt"; echo "FAIL: two runs alike differ after the marker"; exit 1; }
# 2. the cable pulled after the marker: what differs after it includes the
# driver seeing it (ICR 0xc0 with Link Status Change 0x4, then STATUS 0x8
# with Link Up 0x2 clear); before the marker there is no such read
"$mt" diff "${opts[@]}" -q "$res/same2.trace" "$res/link.trace" >"$res/diff-link.txt"
[ $? = 1 ] || { cat "$res/diff-link.txt"; echo "FAIL: the link change is not a difference"; exit 1; }
tail -n 2 "$res/diff-link.txt"
after_mark "$res/same2.trace" "$res/link.trace" >"$res/link-after.txt"
"$mt" diff "${opts[@]}" -U 0 "$res/same2.trace" "$res/link.trace" >"$res/link-all.txt"
awk 'function hex(s,  i, v) { v = 0; s = tolower(substr(s, 3))
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	/^[+]R 4 0000:[0-9a-f:.]* BAR0 0xc0 0x[0-9a-f]* ICR / && int(hex($6) / 4) % 2 { icr++; if (!seen++) print "link change seen at:", substr($0, 2) }
	/^[+]R 4 0000:[0-9a-f:.]* BAR0 0x8 0x[0-9a-f]* STATUS / && !(int(hex($6) / 2) % 2) { down++ }
	END { print "after the marker: ICR with LSC", icr + 0, "STATUS without LU", down + 0; exit !(icr && down) }' \
	"$res/link-after.txt" >"$res/link-found.txt"
rc=$?
cat "$res/link-found.txt"
[ $rc = 0 ] || { head -n 30 "$res/link-all.txt"; echo "FAIL: the link change is not where it happened"; exit 1; }
# 3. one value changed after the marker in a copy of same2: found there, alone
MMIOTAP=$mt python3 "$here/e1000_alter.py" "$res/same2.trace" "$res" || { echo "FAIL: altering same2"; exit 1; }
for k in sync irq; do
	read -r seq old new <"$res/altered-$k.txt"
	after_mark "$res/same2.trace" "$res/altered-$k.trace" >"$res/altered-$k-after.txt"
	# the new value at that seq, maybe the old one (an ordered diff: always;
	# a set: when no other access of the segment had it), nothing else
	grep -q "^[+].* $(printf '0x%08x' "$new") .*#seq $seq\b" "$res/altered-$k-after.txt" &&
		! grep -v "#seq $seq\b" "$res/altered-$k-after.txt" | grep -q . &&
		{ [ $k = irq ] || grep -q "^-.* $(printf '0x%08x' "$old") .*#seq $seq\b" "$res/altered-$k-after.txt"; } ||
		{ cat "$res/altered-$k-after.txt"; echo "FAIL: the $k read changed at seq $seq: not found alone"; exit 1; }
	echo "altered $k read (seq $seq, $old -> $new) found: $(grep '^[+]' "$res/altered-$k-after.txt")"
done
echo "PASS: e1000 (kernel) diff: two runs alike equal after the marker; the link change found after it, at the driver's sight of it; altered values found"
