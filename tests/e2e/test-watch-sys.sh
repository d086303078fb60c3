#!/bin/bash
# test-watch-sys.sh - system calls on watched pages (runtime/preload/sud.c,
# sysptr.c): a counter watched on the page of a pthread mutex and condition
# variable that 4 threads hand a token round with (futex waits and wakes on
# the watched page; no abort, no deadlock, counts right); the mutex itself
# watched; read() into a watched buffer gives the data and is recorded as
# the kernel's writes, write() from it as its reads, readv/writev and
# sendmsg/recvmsg too; select
# with its fd set and timeout on the page; nanosleep and
# clock_gettime with their timespec on the page; system(), posix_spawn(),
# popen(), read() interrupted by a signal whose handler writes the page; a
# page armed while threads wait on its futexes (library API), and watched and
# unwatched over and over under them; mremap of a
# watched block; fork (and new call sites in both after it); exec of an untraced (static)
# program, by execv and by a raw execve. Every run's output is the untraced
# one. `timeout` guards against a hang only (no timing is asserted).
. tests/e2e/lib.sh
cc $CFLAGS_E2E -O2 -g -o "$W/prog" tests/e2e/e2e_watchsys.c -pthread -ldl || fail "build prog"
cc $CFLAGS_E2E -O2 -static -o "$W/static" tests/e2e/e2e_watchsys.c -pthread ||
	fail "build the static program (libc6-dev's libc.a)"
T=60

"$W/prog" >"$W/plain.out" || fail "untraced run"
grep -q '^main counter 800 total 2000$' "$W/plain.out" || fail "untraced run: wrong counts"
timeout $T "$M" watch -q -o "$W/t.trace" shared:8 rbuf -- "$W/prog" >"$W/w.out" 2>"$W/w.err" ||
	{ st=$?; cat "$W/w.err"; fail "watched run (status $st)"; }
cmp -s "$W/plain.out" "$W/w.out" || { diff "$W/plain.out" "$W/w.out"; fail "output differs from the untraced run"; }
echo "ok: mutex and condition variable of 4 threads on the watched page: output as untraced"

"$M" dump "$W/t.trace" >"$W/t.txt" || fail "dump"
# the counter: 800 stores, the last one 800
nw=$(grep -A1 '^W ' "$W/t.txt" | grep -c 'var=shared:8+0x0$')
last=$(grep -A1 '^W ' "$W/t.txt" | grep -B1 'var=shared:8+0x0$' | awk '$1 == "W" { v = $6 } END { print v }')
[ "$nw" = 800 ] && [ "$((last))" = 800 ] || fail "counter: $nw stores, last $last; want 800, 800"
echo "ok: the counter's 800 stores recorded, the last one 800"

# read(): the kernel's writes into rbuf, bytes in order = the pipe's message
awk '$1 == "W" { w = $2; a = $5; v = $6; getline; if ($0 ~ /var=rbuf\+/) print w, a, v }' "$W/t.txt" >"$W/rbuf.w"
msg=$(awk 'NR <= 3 { w = $1; v = substr($3, 3); while (length(v) < 2 * w) v = "0" v
	for (i = w; i >= 1; i--) printf "%s", substr(v, 2 * i - 1, 2) }' "$W/rbuf.w" | xxd -r -p | tr -d '\0')
[ "$msg" = kernel-wrote-this ] || fail "read() into rbuf recorded as '$msg'"
echo "ok: read() into the watched buffer recorded as the kernel's stores ($(head -3 "$W/rbuf.w" | awk '{ printf "%s%s", s, $1; s = "+" }') bytes)"
# write(rbuf, 6): a load of 4 bytes at +0 then one of 2 at +4 (by the same PC)
awk '$1 == "R" { w = $2; v = $6; pc = $7; getline; if (!match($0, /var=rbuf\+0x[0-9a-f]+$/)) next
	o = substr($0, RSTART + 9); if (pw == 4 && po == "0x0" && w == 2 && o == "0x4" && pc == ppc) { print 4, pv; print 2, v; exit }
	pw = w; po = o; pv = v; ppc = pc }' "$W/t.txt" >"$W/rbuf.r"
got=$(awk '{ w = $1; v = substr($2, 3); while (length(v) < 2 * w) v = "0" v
	for (i = w; i >= 1; i--) printf "%s", substr(v, 2 * i - 1, 2) }' "$W/rbuf.r" | xxd -r -p)
[ "$got" = Kernel ] || fail "write() from rbuf recorded as '$got'"
echo "ok: write() from the watched buffer recorded as the kernel's loads"

# readv(): its second iovec ("cde" at rbuf+32) recorded as the kernel's stores
grep -A1 '^W ' "$W/t.txt" | grep -B1 'var=rbuf+0x20$' | grep -q '^W 2 .* 0x6463 ' ||
	fail "readv() into rbuf+32 not recorded"
echo "ok: readv() into the watched buffer recorded"
grep -A1 '^W ' "$W/t.txt" | grep -B1 'var=rbuf+0x30$' | grep -q '^W 8 .* 0x67736d2d646e6573 ' ||
	fail "recvmsg() into rbuf+48 not recorded"
echo "ok: recvmsg() into the watched buffer recorded (\"send-msg\", sent by sendmsg() from it)"

# the mutex and condition variable themselves watched
timeout $T "$M" watch -q -o "$W/m.trace" shared rbuf -- "$W/prog" >"$W/m.out" 2>"$W/m.err" ||
	{ st=$?; cat "$W/m.err"; fail "run with the mutex watched (status $st)"; }
cmp -s "$W/plain.out" "$W/m.out" || fail "mutex watched: output differs from the untraced run"
nmu=$("$M" dump "$W/m.trace" | grep -c 'var=shared+0x8$')
[ "$nmu" -ge 800 ] || fail "mutex watched: $nmu accesses of its lock word, want >= 800"
echo "ok: the mutex itself watched: $nmu accesses of its lock word recorded, output as untraced"

# fork: the child (unwatched, its own copy of the page) does it all again
"$W/prog" fork >"$W/fplain.out" || fail "untraced fork run"
timeout $T "$M" watch -q -o "$W/f.trace" shared:8 rbuf -- "$W/prog" fork >"$W/f.out" 2>"$W/f.err" ||
	{ st=$?; cat "$W/f.err"; fail "fork run (status $st)"; }
cmp -s "$W/fplain.out" "$W/f.out" || { diff "$W/fplain.out" "$W/f.out"; fail "fork: output differs"; }
grep -q '^child status 0$' "$W/f.out" || fail "fork: child failed"
echo "ok: fork: the child and the parent after it run as untraced"

# fork: a child that watches again and makes new system call sites, the
# parent new ones after it: each runs its own (trampolines not shared)
timeout $T "$M" watch -q -o "$W/fs.trace" shared:8 -- "$W/prog" forksites >"$W/fs.out" 2>"$W/fs.err" ||
	{ st=$?; cat "$W/fs.err"; fail "forksites run (status $st)"; }
grep -q '^forksites child watch 0 wrong 0$' "$W/fs.out" &&
	grep -q '^forksites parent wrong 0 child status 0$' "$W/fs.out" ||
	{ cat "$W/fs.out"; fail "forksites: a call site ran another process's call"; }
echo "ok: fork: child and parent make new system call sites, each runs its own"

# unwatched under a futex waiter of a process-shared page: its word unchanged
timeout $T "$M" record -q -o "$W/uw.trace" -- "$W/prog" unwatchword >"$W/uw.out" 2>"$W/uw.err" ||
	{ st=$?; cat "$W/uw.err"; fail "unwatchword run (status $st)"; }
grep -q '^unwatchword watch 0 unwatch 1 word 0$' "$W/uw.out" ||
	{ cat "$W/uw.out"; fail "unwatchword: the futex word changed (or the watch failed)"; }
echo "ok: a shared page unwatched under a futex waiter: the word keeps its value"

# a writev() from the watched buffer by a handler on a small sigaltstack
timeout $T "$M" watch -q -o "$W/as.trace" shared:8 rbuf -- "$W/prog" altstack >"$W/as.out" 2>"$W/as.err" ||
	{ st=$?; cat "$W/as.err"; fail "altstack run (status $st)"; }
grep -q '^altstack writev 8 alt-ok!$' "$W/as.out" || { cat "$W/as.out"; fail "altstack: writev from a handler"; }
echo "ok: writev() from the watched buffer by a handler on a small sigaltstack"

# armed while a thread waits in sigtimedwait() for every signal: it is not
# asked (so does not get mmiotap's SIGSYS), and mmiotap says so
timeout $T "$M" record -q -o "$W/sw.trace" -- "$W/prog" sigwait >"$W/sw.out" 2>"$W/sw.err" ||
	{ st=$?; cat "$W/sw.err"; fail "sigwait run (status $st)"; }
grep -q '^sigwait -1 Resource temporarily unavailable$' "$W/sw.out" &&
	grep -q '^sigwait watch 0$' "$W/sw.out" || { cat "$W/sw.out"; fail "sigwait: the waiting thread got a signal"; }
grep -q 'a thread blocks SIGSYS' "$W/sw.err" || fail "sigwait: no warning"
echo "ok: a thread in sigtimedwait() when the page is armed: not asked, a warning"

# a C11 thread (thrd_create: glibc does not go through pthread_create)
timeout $T "$M" watch -q -o "$W/c11.trace" shared:8 rbuf -- "$W/prog" c11 >"$W/c11.out" 2>"$W/c11.err" ||
	{ st=$?; cat "$W/c11.err"; fail "c11 run (status $st)"; }
grep -q '^c11 read 6  "c11-ok"$' "$W/c11.out" || { cat "$W/c11.out"; fail "c11: read() into rbuf by a thrd_create thread"; }
echo "ok: a thrd_create thread's read() into the watched buffer"

# exec of a program mmiotap is not in (static): dispatch is gone with exec
"$W/prog" exec "$W/static" >"$W/eplain.out" || fail "untraced exec run"
for how in exec rawexec; do
	timeout $T "$M" watch -q -o "$W/e.trace" shared:8 rbuf -- "$W/prog" $how "$W/static" \
		>"$W/e.out" 2>"$W/e.err" || { st=$?; cat "$W/e.err"; fail "$how run (status $st)"; }
	cmp -s "$W/eplain.out" "$W/e.out" || { diff "$W/eplain.out" "$W/e.out"; fail "$how: output differs"; }
done
echo "ok: exec (execv and a raw execve) into an untraced static program: runs as untraced"

# signals: system(), posix_spawn(), popen(), read() into rbuf restarted
# (SA_RESTART) and interrupted (EINTR) by a handler that writes the page
"$W/prog" signals >"$W/splain.out" || fail "untraced signals run"
grep -q '^restarted read 9 "late-data" signals 1$' "$W/splain.out" || fail "signals: untraced run unexpected"
timeout $T "$M" watch -q -o "$W/s.trace" shared:8 rbuf -- "$W/prog" signals >"$W/s.out" 2>"$W/s.err" ||
	{ st=$?; cat "$W/s.err"; fail "signals run (status $st)"; }
cmp -s "$W/splain.out" "$W/s.out" || { diff "$W/splain.out" "$W/s.out"; fail "signals: output differs"; }
echo "ok: system(), posix_spawn(), popen(), a read() restarted and one interrupted by a signal: as untraced"

# armed while the threads run, some waiting on the page's futexes
grep -v '^main late' "$W/plain.out" >"$W/lplain.out"
for i in 1 2 3; do
	timeout $T "$M" record -q -o "$W/l.trace" -- "$W/prog" late >"$W/l.out" 2>"$W/l.err" ||
		{ st=$?; cat "$W/l.err"; fail "late run $i (status $st)"; }
	grep -q '^main late watch 0 0$' "$W/l.out" || fail "late run $i: the watches failed"
	grep -v '^main late' "$W/l.out" | cmp -s "$W/lplain.out" - || fail "late run $i: output differs"
done
nl=$("$M" dump "$W/l.trace" | grep -c 'var=counter+0x0$')
[ "$nl" -ge 2 ] || fail "late: $nl accesses of the counter recorded"
echo "ok: a page armed under 4 running threads (library API), 3 runs: output as untraced, $nl accesses recorded"
# watched and unwatched over and over while 4 threads wait and wake on the page
for i in 1 2; do
	timeout $T "$M" record -q -o "$W/c.trace" -- "$W/prog" cycles >"$W/c.out" 2>"$W/c.err" ||
		{ st=$?; cat "$W/c.err"; fail "cycles run $i (status $st)"; }
	grep -q '^cycles counter 8000 total 20000 watched 1$' "$W/c.out" ||
		{ cat "$W/c.out"; fail "cycles run $i: wrong counts"; }
done
echo "ok: the counter watched and unwatched over and over under 4 threads (2 runs): counts right"

# mremap of a watched block: the contents move, the object is watched no more
timeout $T "$M" record -q -o "$W/r.trace" -- "$W/prog" mremap >"$W/r.out" 2>"$W/r.err" ||
	{ st=$?; cat "$W/r.err"; fail "mremap run (status $st)"; }
grep -q '^mremap watch 0 contents BEfore-mremap watched after 0$' "$W/r.out" ||
	{ tail -1 "$W/r.out"; fail "mremap of a watched block"; }
"$M" dump "$W/r.trace" | awk '$1 == "W" && $6 == "0x42" { w = 1 } $1 == "UNMAP" && w { u = 1 } END { exit !u }' ||
	fail "mremap: want the store before it recorded, then the object's UNMAP"
echo "ok: mremap of a watched block: contents kept, the object unwatched (UNMAP)"
pass "system calls on watched pages"
