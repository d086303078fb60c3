#!/usr/bin/env bash
# mmiotap diff on kernel traces of the real e1000 driver (QEMU's e1000),
# from load to unload, three runs in one boot: two alike, and one where the
# host pulls the cable (QEMU monitor set_link off, run-vm.sh
# --link-control) after the marker "window". diff aligns the traces at the
# marker (anchor), collapses polls and ignores the statistics counters'
# values: the runs alike must not differ after the marker; the link run's
# differences after it must hold the driver seeing the change (ICR with
# Link Status Change, STATUS with Link Up clear). E1000_DIFF_REUSE=1 checks
# the traces of the previous run again without booting.
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
# element number of the marker "window" in a trace (diff's numbering)
mark_at() {
	"$mt" dump "$1" | awk '$1 == "R" || $1 == "W" || $1 == "UNKNOWN" || $1 == "MARK" { n++ }
		$1 == "MARK" && $3 == "window" { print n; exit }'
}
for r in same1 same2 link; do
	[ -n "$(mark_at "$res/$r.trace")" ] || { echo "FAIL: no marker in $r"; exit 1; }
done
# -p: polling loops of other lengths; the statistics counters' values
opts=(-p --ignore-value 0:0x4000-0x40ff)
# hunks of `diff -U 0 A B` that start after B's marker: their first 8 lines
after_mark() {
	"$mt" diff "${opts[@]}" -U 0 "$1" "$2" |
		awk -v mk="$(mark_at "$2")" '/^@@/ { split($3, b, ","); after = substr(b[1], 2) + 0 > mk; if (after) n++ }
			after && /^[-+]/ && shown < 8 { print; shown++ }
			after && /^[+]/ && !plus { first = $0; plus = 1 }
			END { print "hunks:", n + 0; if (plus) print "first+ " first }'
}
# 1. two runs alike: whatever the autonegotiation timing before (the device
# keeps state across runs), nothing differs after the marker
after_mark "$res/same1.trace" "$res/same2.trace" >"$res/same-after.txt"
"$mt" diff "${opts[@]}" -q "$res/same1.trace" "$res/same2.trace" | tail -n 1
grep -q '^hunks: 0$' "$res/same-after.txt" ||
	{ cat "$res/same-after.txt"; echo "FAIL: two runs alike differ after the marker"; exit 1; }
# 2. the cable pulled after the marker: the link run's accesses that differ
# after the marker include the driver seeing it (ICR 0xc0 with Link Status
# Change, then STATUS 0x8 with Link Up clear). (Before the marker the runs
# differ in how long autonegotiation took at start-up: QEMU's timer under
# TCG; such STATUS reads are counted, not refused.)
"$mt" diff "${opts[@]}" -q "$res/same2.trace" "$res/link.trace" >"$res/diff-link.txt"
[ $? = 1 ] || { echo "FAIL: the link change is not a difference"; exit 1; }
tail -n 1 "$res/diff-link.txt"
"$mt" diff "${opts[@]}" -U 0 "$res/same2.trace" "$res/link.trace" |
	awk -v mk="$(mark_at "$res/link.trace")" '
	/^@@/ { split($3, b, ","); after = substr(b[1], 2) + 0 > mk; next }
	/^[+]R 4 / { d = index("0123456789abcdef", substr($6, length($6), 1)) - 1 } # low nibble
	/^[+]R 4 / && (($5 == "0xc0" && int(d / 4) % 2) || ($5 == "0x8" && !(int(d / 2) % 2))) {
		if (after) { if (!seen++) print "link change seen at:", substr($0, 2) } else bad++ }
	/^[+]R 4 / && $5 == "0x8" && !(int(d / 2) % 2) && after { down++ }
	END { print "before the marker (start-up):", bad + 0; exit !(seen && down) }' >"$res/link-found.txt"
rc=$?
cat "$res/link-found.txt"
[ $rc = 0 ] || { echo "FAIL: the link change is not where it happened"; exit 1; }
echo "PASS: e1000 (kernel) diff: two runs alike equal after the marker; the link change found after it, at the driver's sight of it"
