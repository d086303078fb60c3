#!/bin/bash
# test-watch-pid-sys.sh - `mmiotap watch --pid` on a global whose page also
# holds a mutex and a condition variable that 4 threads use (futex calls
# on a watched page), and a buffer that read(2) fills: attach while the
# threads wait, detach while they wait, the program finishes with the
# output of an untraced run; the watched global's recorded stores are in
# step; the kernel's stores of read(2) into the watched buffer are
# recorded with the bytes read; no memfd view is left after the detach;
# a timed condvar wait in progress at attach and detach still wakes.
. tests/e2e/lib.sh
cc $CFLAGS_E2E -O2 -o "$W/prog" tests/e2e/e2e_watchpidsys.c -pthread || fail "build"
"$W/prog" "$W/r0" >"$W/plain.out" || fail "untraced run"
if ! "$M" record -q --ptrace -o "$W/probe.trace" -- /bin/true 2>/dev/null; then
	skip "ptrace is not permitted here"
fi
"$W/prog" "$W/ready" >"$W/prog.out" &
pid=$!
for i in $(seq 100); do [ -e "$W/ready" ] && break; sleep 0.05; done
"$M" watch --pid $pid -o "$W/t.trace" shared:8 shared+8:8 >"$W/watch.out" 2>"$W/watch.err" &
watcher=$!
sleep 1.2
"$M" stop $pid >/dev/null 2>&1 || fail "mmiotap stop"
wait $watcher || { cat "$W/watch.err"; fail "watch --pid failed"; }
# detached while it still runs: none of the memfd views left behind
maps=$(cat /proc/$pid/maps 2>/dev/null) || fail "the program ended before the detach was checked"
! grep -q mmiotap-watch <<<"$maps" || fail "a memfd view of a watch page left after detach"
wait $pid || { cat "$W/prog.out"; fail "the program failed after attach and detach"; }
cmp -s "$W/plain.out" "$W/prog.out" || fail "output differs from the untraced run"
grep -q '^total 10000 turn 10000 bytes 800 t0 2500 t1 2500 t2 2500 t3 2500$' "$W/prog.out" ||
	fail "wrong counts: $(cat "$W/prog.out")"
echo "ok: 4 threads on a mutex and condvar of a watched page: attached, detached, output identical to an untraced run"
"$M" dump "$W/t.trace" >"$W/t.txt" || fail "dump"
awk '
function hex(s,   i, n) { n = 0; s = tolower(substr(s, 3)); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
$1 == "MAP" { id[++nmap] = $3 }
$1 == "R" && $4 == id[1] { r = hex($6); nr++ }
$1 == "W" && $4 == id[1] { w = hex($6); if (w != r + 1 || (nw && w != lastw + 1)) bad++; lastw = w; nw++ }
$1 == "W" && $4 == id[2] { if ($6 == "0x6867666564636261" && $2 == "8") nb++; else badb++ }
END { print nr + 0, nw + 0, bad + 0, nb + 0, badb + 0 }' "$W/t.txt" >"$W/counts"
read -r nr nw bad nb badb <"$W/counts"
[ "$nw" -ge 20 ] && [ "$nr" -ge "$nw" ] && [ "$bad" = 0 ] ||
	fail "recorded $nr loads, $nw stores, $bad out of step (want >= 20, each the load + 1)"
echo "ok: $nw stores to the watched global recorded, in step"
[ "$nb" -ge 1 ] && [ "$badb" = 0 ] || fail "read(2) into the watched buffer: $nb right, $badb wrong records"
echo "ok: $nb read(2) calls into the watched buffer recorded as the kernel's 8-byte stores"
# a timed condvar wait in progress at the attach and at the detach
cc $CFLAGS_E2E -O2 -o "$W/tw" tests/e2e/e2e_watchpidtw.c -pthread || fail "build tw"
# ... and once stopped and continued first (Ctrl-Z, fg): the wait then sits
# in restart_syscall, its restart block holding the page's old address
for how in plain stopcont; do
rm -f "$W/tw.ready"
"$W/tw" "$W/tw.ready" >"$W/tw.out" &
pid=$!
for i in $(seq 100); do [ -e "$W/tw.ready" ] && break; sleep 0.05; done
sleep 0.3
if [ $how = stopcont ]; then kill -STOP $pid; sleep 0.2; kill -CONT $pid; sleep 0.2; fi
"$M" watch --pid $pid -o "$W/tw.trace" tw:8 >/dev/null 2>"$W/tw.err" &
watcher=$!
sleep 1
"$M" stop $pid >/dev/null 2>&1 || fail "mmiotap stop (timed wait, $how)"
wait $watcher || { cat "$W/tw.err"; fail "watch --pid failed (timed wait, $how)"; }
wait $pid || fail "the timed-wait program failed after attach and detach ($how)"
grep -qx 'woke go=1 fast' "$W/tw.out" || fail "timed wait ($how): $(cat "$W/tw.out")"
done
echo "ok: a timed condvar wait interrupted by the attach and the detach woke at its signal"
pass "mmiotap watch --pid: futexes and read(2) on a watched page"
