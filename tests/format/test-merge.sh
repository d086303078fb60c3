#!/usr/bin/env bash
# mmiotap merge: two synthetic traces whose time stamps interleave and a
# third equal in time to the first (ties) merged exactly by the documented
# rule (check_merge.py: each source in its own order, smallest time first,
# first given on a tie, new seq, map ids one-to-one); two real recordings
# one after the other; header source MERGED; traces on different clocks
# (an old kernel-clock trace, mmiotrace text) refused with one line; an old
# kernel-clock trace still dumps.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/${BUILD:-build}
mt=$b/mmiotap gen=$b/tests/export/gen_trace
[ -x "$mt" ] && [ -x "$gen" ] || { echo "FAIL: $mt or $gen not built"; exit 99; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
j() { "$mt" dump --format jsonl "$1" >"$2" || fail "dump $1"; }

"$gen" 3000 "$tmp/a.trace" 1000000000 50 && "$gen" 2000 "$tmp/b.trace" 1000000025 75 &&
	"$gen" 1000 "$tmp/c.trace" 1000000000 50 || fail "gen_trace"
"$mt" merge -q "$tmp/a.trace" "$tmp/b.trace" "$tmp/c.trace" -o "$tmp/m.trace" || fail "merge exit $?"
for t in a b c m; do j "$tmp/$t.trace" "$tmp/$t.jsonl"; done
python3 "$top/tests/format/check_merge.py" "$tmp/m.jsonl" "$tmp/a.jsonl" "$tmp/b.jsonl" "$tmp/c.jsonl" ||
	fail "merge of synthetic traces"
[ "$(od -An -tu2 -j22 -N2 "$tmp/m.trace" | tr -d ' ')" = 5 ] || fail "header source is not MERGED (5)"
[ "$(od -An -tu2 -j20 -N2 "$tmp/m.trace" | tr -d ' ')" = 1 ] || fail "header clock is not MONOTONIC"
# the merged trace exports like any other
"$mt" export -f perfetto "$tmp/m.trace" -o "$tmp/m.pf" && protoc --decode_raw <"$tmp/m.pf" >/dev/null ||
	fail "export of the merged trace"
echo "ok: header source MERGED, clock MONOTONIC; exports"

if [ -x "$b/examples/mmio_demo" ] && [ -f "$b/libmmiotap-preload.so" ]; then
	for r in 1 2; do
		"$mt" record -q -o "$tmp/r$r.trace" -t '/memfd:mmiotap-demo*' -- "$b/examples/mmio_demo" \
			>/dev/null || fail "record $r"
	done
	"$mt" merge -q "$tmp/r2.trace" "$tmp/r1.trace" -o "$tmp/r.trace" || fail "merge recordings"
	for t in r1 r2 r; do j "$tmp/$t.trace" "$tmp/$t.jsonl"; done
	python3 "$top/tests/format/check_merge.py" "$tmp/r.jsonl" "$tmp/r2.jsonl" "$tmp/r1.jsonl" ||
		fail "merge of two recordings"
	# the symbol records (OBJECT) come along: PCs still name their functions
	"$mt" dump --symbols "$tmp/r.trace" | grep -q '^EXT sym=main+' ||
		fail "the merged trace lost the recordings' symbols"
	# recorded one after the other: the whole first run comes first
	n1=$(wc -l <"$tmp/r1.jsonl")
	head -n "$n1" "$tmp/r.jsonl" | grep -q "\"pid\":$(head -1 "$tmp/r1.jsonl" | sed 's/.*"pid":\([0-9]*\).*/\1/')[,}]" ||
		fail "the earlier recording does not come first"
fi

# different clocks: refused, one line, no output left
cp "$tmp/a.trace" "$tmp/old.trace"
printf '\002' | dd of="$tmp/old.trace" bs=1 seek=20 conv=notrunc status=none
"$mt" dump "$tmp/old.trace" >/dev/null || fail "an old kernel-clock trace no longer dumps"
for other in "$tmp/old.trace" "$top/tests/format/kernel.txt"; do
	"$mt" merge "$tmp/a.trace" "$other" -o "$tmp/x.trace" 2>"$tmp/err" && fail "merged across clocks"
	[ "$(wc -l <"$tmp/err")" = 1 ] && grep -q 'different clocks' "$tmp/err" || fail "message: $(cat "$tmp/err")"
	[ -e "$tmp/x.trace" ] && fail "output left behind"
done
"$mt" merge "$tmp/a.trace" -o "$tmp/x.trace" 2>/dev/null; [ $? = 2 ] || fail "one trace: want exit 2"
head -c 3000 "$tmp/a.trace" >"$tmp/t.trace"
"$mt" merge "$tmp/a.trace" "$tmp/t.trace" -o "$tmp/x.trace" 2>"$tmp/err" && fail "truncated input merged"
[ "$(wc -l <"$tmp/err")" = 1 ] || fail "truncated: $(cat "$tmp/err")"
echo "ok: different clocks refused, old clock still dumps, bad input"

# record --kernel's own checks (the recording itself: tests/vm/test-record-kernel.sh)
"$mt" record --kernel -o "$tmp/k.trace" -- true 2>"$tmp/err"; [ $? = 2 ] || fail "--kernel without selection: want exit 2"
grep -q 'nothing selected' "$tmp/err" || fail "--kernel without selection: $(cat "$tmp/err")"
"$mt" record --kernel --pci 00:03.0 --pid 1 -o "$tmp/k.trace" 2>/dev/null; [ $? = 2 ] || fail "--kernel --pid: want exit 2"
"$mt" record --kernel --pci 00:03.0 -o "$tmp/k.trace" 2>/dev/null; [ $? = 2 ] || fail "--kernel without PROG: want exit 2"
: >"$tmp/k.trace.kernel"
"$mt" record --kernel --pci 00:03.0 -o "$tmp/k.trace" -- true 2>"$tmp/err" && fail "stale part accepted"
grep -q 'k.trace.kernel exists' "$tmp/err" || fail "stale part: $(cat "$tmp/err")"
ln -s "$tmp/elsewhere" "$tmp/link.trace"
"$mt" merge -q "$tmp/a.trace" "$tmp/b.trace" -o "$tmp/link.trace" 2>/dev/null && fail "merge wrote through a symlink"
[ -e "$tmp/elsewhere" ] && fail "merge created the symlink's target"
cp "$tmp/a.trace" "$tmp/a2.trace"
"$mt" merge -q "$tmp/a2.trace" "$tmp/b.trace" -o "$tmp/a2.trace" 2>/dev/null && fail "merged into an input"
cmp -s "$tmp/a.trace" "$tmp/a2.trace" || fail "merging into an input damaged it"
echo "ok: record --kernel usage errors, stale parts, no writing through symlinks"
echo "PASS: merge"
