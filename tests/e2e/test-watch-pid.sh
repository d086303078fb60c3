#!/bin/bash
# test-watch-pid.sh - `mmiotap watch --pid` (the ptrace backend): attach to
# a running two-threaded program, watch a global (its page also holds one
# the other thread writes), detach with `mmiotap stop`: the program
# finishes with the output of an untraced run, every recorded store is the
# load before it plus one (the program's own arithmetic, as it ran), and
# the silent accesses of the other thread are counted; a child forked while
# attached has its own copy of the watched page.
. tests/e2e/lib.sh
cc $CFLAGS_E2E -O2 -o "$W/prog" tests/e2e/e2e_watchpid.c -pthread || fail "build"
"$W/prog" "$W/r0" >"$W/plain.out" || fail "untraced run"
if ! "$M" record -q --ptrace -o "$W/probe.trace" -- /bin/true 2>/dev/null; then
	skip "ptrace is not permitted here"
fi
"$W/prog" "$W/ready" >"$W/prog.out" &
pid=$!
for i in $(seq 100); do [ -e "$W/ready" ] && break; sleep 0.05; done
stack=$(awk '/\[stack\]/ { split($1, a, "-"); print "0x" a[1]; exit }' /proc/$pid/maps)
"$M" watch --pid $pid -o "$W/t.trace" counter "$stack:8" >"$W/watch.out" 2>"$W/watch.err" &
watcher=$!
sleep 0.7
kill -USR1 $pid # it forks while watched
sleep 0.5
"$M" stop $pid >/dev/null 2>&1 || fail "mmiotap stop"
wait $watcher || { cat "$W/watch.err"; fail "watch --pid failed"; }
wait $pid || fail "the program failed after attach and detach"
cmp -s "$W/plain.out" "$W/prog.out" || fail "output differs from the untraced run"
echo "ok: attached, detached (a fork between), output identical to an untraced run"
"$M" dump "$W/t.trace" >"$W/t.txt" || fail "dump"
grep -q '^EXT src=watch path=counter$' "$W/t.txt" || fail "no watch MAP for counter"
awk '
function hex(s,   i, n) { n = 0; s = tolower(substr(s, 3)); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
$1 == "R" { r = hex($6); nr++ }
$1 == "W" { w = hex($6); if (w != r + 1 || (nw && w != lastw + 1)) bad++; lastw = w; nw++ }
END { print nr, nw, bad + 0 }' "$W/t.txt" >"$W/counts"
read -r nr nw bad <"$W/counts"
[ "$nw" -ge 50 ] && [ "$nr" -ge "$nw" ] && [ "$bad" = 0 ] ||
	fail "recorded $nr loads, $nw stores, $bad stores out of step (want >= 50, each the load + 1)"
echo "ok: $nw stores recorded, each the value loaded + 1, in step"
grep -q 'accesses to other bytes of the watched pages' "$W/watch.err" || fail "silent accesses not reported"
grep -q "cannot watch $stack:8 .*stack" "$W/watch.err" || { cat "$W/watch.err"; fail "the main thread's stack not refused"; }
echo "ok: the main thread's stack refused"
echo "ok: silent accesses of the other thread counted"
"$M" watch --pid $$ no_such_symbol_here 2>"$W/e1" && fail "unknown symbol accepted"
grep -q 'no such symbol' "$W/e1" || fail "no message for an unknown symbol"
"$M" watch --pid $pid --stop counter 2>/dev/null && fail "--stop with --pid accepted"
echo "ok: unknown symbol and --stop refused"
pass "mmiotap watch --pid"
