#!/bin/bash
# `mmiotap record` must never hang, crash or leak (issue 11):
#  1. an instruction that faults part-way on ordinary memory reaches the
#     program's own SIGSEGV handler with the CPU's si_addr, si_code and
#     registers (REP MOVSB: RCX/RSI/RDI at the faulting element), and the
#     device sees the faulting element's read again when the handler
#     resumes the copy, as on the CPU; without a handler it dies of SIGSEGV;
#     a REP MOVSB refused part-way by the program's own protection of a
#     traced mapping (read-only) reaches the handler with the elements done
#     (RCX/RSI/RDI past them, si_addr at the refused byte), and once the
#     handler makes it writable each store reaches the device once;
#  1b. the device file truncated under the program: a load, a store and a
#     REP MOVSB on the lost page reach the program's SIGBUS handler at its
#     own address (REP: the elements done), the earlier accesses are in the
#     trace; without a handler it dies of SIGBUS, nothing lost (preload and
#     --ptrace: neither the program's handler nor the tracer dies of it);
#  1c. a SIGSEGV sent with tgkill while the thread is inside the runtime's
#     handler (a delay rule keeps it there) reaches the program's handler
#     after the runtime's returned, interrupting the program's own code;
#  1d. 66000 mmap/munmap pairs while one mapping stays: the 16-bit map ids
#     wrap and skip the live one's (before: its later accesses were given
#     to the newest MAP with its number);
#  1e. a thread reads an address while another replaces the mapping there
#     (mmap MAP_FIXED: the device, anonymous memory, in turn): a read that
#     faulted on the traced page just before it was replaced runs again
#     instead of becoming the program's SIGSEGV (before: killed); the
#     program's own PROT_NONE page there still gives it its SIGSEGV once;
#  2. fork() with pthread_atfork handlers that mmap, while another thread
#     touches the device, does not deadlock; nor with handlers registered
#     before the runtime's (a library's) that munmap and touch the device
#     (its prepare handler runs while the runtime holds the order lock);
#  3. the recorder SIGKILLed: the program goes on to its end (the ring
#     fills: it must notice nobody reads);
#  4. record ends when the program exits, though a descendant keeps
#     touching the device;
#  5. SIGTERM ends record, trace flushed, even if the program ignores it;
#  5a. SIGHUP ignored when record started stays ignored (nohup); SIGINT
#     ignored (a script's background job) still ends record;
#  5b. a signal while record sets up (after the ring is made, while the
#     trace file is opened) ends it without a stale ring or a headerless
#     trace file (before: both left behind);
#  6. trace files are 0600 and never written through a symbolic link;
#  7. mmiotap mark never uses a ring file that others may write.
. tests/e2e/lib.sh
P=$W/trust
gcc -O2 $CFLAGS_E2E -pthread -o "$P" tests/e2e/e2e_trust.c || fail build
# every check runs; the failures are listed at the end
nbad=0 sect=0
bad() { echo "FAIL: $*"; nbad=$((nbad + 1)); }
ok() { [ $nbad = $sect ] && echo "ok: $*"; sect=$nbad; }
T=(-q -t '/memfd:mt-e2e*')

# 1. (both user-space backends)
for be in preload ptrace; do
	X=(); [ $be = ptrace ] && X=(--ptrace)
	timeout -k 5 60 "$M" record "${T[@]}" "${X[@]}" -o "$W/faults-$be.trace" -- "$P" faults \
		>"$W/faults-$be.exp" 2>"$W/faults-$be.err"
	rc=$?
	[ $rc = 0 ] || { cat "$W/faults-$be.err"; bad "$be: faults: exit $rc (want 0: the program's handler saw the CPU's state)"; }
	rw "$W/faults-$be.trace" >"$W/faults-$be.act"
	diff -u "$W/faults-$be.exp" "$W/faults-$be.act" >"$W/faults-$be.diff" ||
		{ head -30 "$W/faults-$be.diff"; bad "$be: faults: device accesses differ from the CPU's"; }
	timeout -k 5 60 "$M" record "${T[@]}" "${X[@]}" -o "$W/denied-$be.trace" -- "$P" denied \
		>"$W/denied-$be.exp" 2>"$W/denied-$be.err"
	rc=$?
	[ $rc = 0 ] || { cat "$W/denied-$be.err"; bad "$be: denied: exit $rc (want 0: the handler saw the state after the stores done)"; }
	rw "$W/denied-$be.trace" >"$W/denied-$be.act"
	diff -u "$W/denied-$be.exp" "$W/denied-$be.act" >"$W/denied-$be.diff" ||
		{ head -30 "$W/denied-$be.diff"; bad "$be: denied: device stores differ from the CPU's (each once)"; }
	(timeout -k 5 20 "$M" record "${T[@]}" "${X[@]}" -o "$W/nh-$be.trace" -- "$P" nohandler) 2>/dev/null
	rc=$?
	[ $rc = 139 ] || bad "$be: nohandler: exit $rc, want 139 (SIGSEGV)"
	ok "$be: faults part-way ($(wc -l <"$W/faults-$be.exp") accesses), refused part-way, no handler: SIGSEGV"
done

# 1b.
for be in preload ptrace; do
	X=(); [ $be = ptrace ] && X=(--ptrace)
	timeout -k 5 60 "$M" record "${T[@]}" "${X[@]}" -o "$W/bus-$be.trace" -- "$P" sigbus \
		>"$W/bus-$be.exp" 2>"$W/bus-$be.err"
	rc=$?
	[ $rc = 0 ] || { cat "$W/bus-$be.err"; bad "$be: sigbus: exit $rc (want 0: the program's SIGBUS handler saw its own address)"; }
	rw "$W/bus-$be.trace" >"$W/bus-$be.act"
	diff -u "$W/bus-$be.exp" "$W/bus-$be.act" >"$W/bus-$be.diff" ||
		{ head -30 "$W/bus-$be.diff"; bad "$be: sigbus: device accesses differ from the CPU's"; }
	(timeout -k 5 20 "$M" record "${T[@]}" "${X[@]}" -o "$W/busnh-$be.trace" -- "$P" sigbus-nohandler) \
		>/dev/null 2>&1
	rc=$?
	[ $rc = 135 ] || bad "$be: sigbus-nohandler: exit $rc, want 135 (SIGBUS)"
	n=$(rw "$W/busnh-$be.trace" | wc -l)
	[ "$n" = 8 ] || bad "$be: sigbus-nohandler: $n accesses in the trace, want the 8 before"
	"$M" dump "$W/busnh-$be.trace" | grep -q '^LOST' && bad "$be: sigbus-nohandler: records lost (died holding the lock)"
	ok "$be: device file truncated: SIGBUS at the program's address, handler or not"
done

# 1c.
timeout -k 5 60 "$M" record "${T[@]}" --inject 'off=8,dir=w,delay=20ms' -o "$W/resend.trace" -- \
	"$P" resend 10 >"$W/resend.out" 2>&1
rc=$?
[ $rc = 0 ] || bad "a signal sent during an emulation was delivered inside the runtime: $(cat "$W/resend.out")"
ok "signals sent during an emulation reach the program's code: $(cat "$W/resend.out")"

# 1d. (both backends) 16-bit map ids wrap: a live mapping's is never reused
for be in preload ptrace; do
	X=(); [ $be = ptrace ] && X=(--ptrace)
	timeout -k 5 120 "$M" record "${T[@]}" "${X[@]}" -o "$W/mapids-$be.trace" -- "$P" mapids 66000 \
		>"$W/mapids-$be.exp" 2>"$W/mapids-$be.err"
	rc=$?
	[ $rc = 0 ] || bad "$be: mapids: exit $rc: $(cat "$W/mapids-$be.err")"
	rw "$W/mapids-$be.trace" >"$W/mapids-$be.act"
	diff -u "$W/mapids-$be.exp" "$W/mapids-$be.act" ||
		bad "$be: mapids: an access of the live mapping went to another MAP (its id reused)"
	ok "$be: 66000 maps and unmaps, the live mapping's id never reused"
done

# 1e. (both backends) a mapping replaced while a fault on it waits
for be in preload ptrace; do
	X=(); [ $be = ptrace ] && X=(--ptrace)
	n=20000; [ $be = ptrace ] && n=5000
	timeout -k 5 120 "$M" record "${T[@]}" "${X[@]}" -o "$W/vanish-$be.trace" -- "$P" vanish $n \
		>"$W/vanish-$be.out" 2>&1
	rc=$?
	[ $rc = 0 ] || bad "$be: vanish: exit $rc (139: a fault on a mapping replaced meanwhile became the program's SIGSEGV): $(cat "$W/vanish-$be.out")"
	ok "$be: $n mappings replaced under a reading thread, no spurious SIGSEGV; the program's own fault there still reaches it"
done

# 1f. (both backends) the same, one call cutting more regions (24) than the
# runtime once remembered cuts of (16)
for be in preload ptrace; do
	X=(); [ $be = ptrace ] && X=(--ptrace)
	n=2000; [ $be = ptrace ] && n=300
	timeout -k 5 120 "$M" record "${T[@]}" "${X[@]}" -o "$W/vmany-$be.trace" -- "$P" vanish-many $n \
		>"$W/vmany-$be.out" 2>&1
	rc=$?
	[ $rc = 0 ] || bad "$be: vanish-many: exit $rc (139: a fault on one of many regions cut at once became the program's SIGSEGV): $(cat "$W/vmany-$be.out")"
	ok "$be: $n times 24 regions replaced at once under a reading thread, no spurious SIGSEGV"
done

# 2.
timeout -k 5 60 "$M" record "${T[@]}" -o "$W/fork.trace" -- "$P" fork 50 >"$W/fork.out" 2>&1
rc=$?
[ $rc = 0 ] || bad "fork with atfork handlers that mmap: exit $rc (124: deadlock)"
ok "50 forks with atfork mmap handlers and a thread on the device"
timeout -k 5 60 "$M" record "${T[@]}" -o "$W/atfork.trace" -- "$P" atfork 20 >"$W/atfork.out" 2>&1
rc=$?
[ $rc = 0 ] || bad "fork with early atfork handlers that touch the device: exit $rc (124: deadlock, 139: SIGSEGV)"
rw "$W/atfork.trace" | sort | uniq -c >"$W/atfork.count"
for a in "W 1 0x10 0x11" "W 1 0x11 0x22" "R 1 0x10 0x11" "W 1 0x12 0x33"; do
	grep -q "^ *20 $a\$" "$W/atfork.count" || bad "atfork: want 20 x '$a': $(grep "$a" "$W/atfork.count")"
done
ok "20 forks with atfork handlers (registered before the runtime's) on the device"

# 3.
"$M" record "${T[@]}" -o "$W/kill.trace" -- "$P" churn 3000000 >"$W/kill.out" 2>"$W/kill.err" &
rec=$!
for _ in $(seq 100); do [ -s "$W/kill.trace" ] && break; sleep 0.05; done
sleep 0.3
kill -9 $rec
wait $rec 2>/dev/null
for _ in $(seq 600); do grep -q done "$W/kill.out" && break; sleep 0.1; done
grep -q done "$W/kill.out" || { pkill -9 -f "$P churn"; bad "the program hung after its recorder was SIGKILLed"; }
ok "recorder SIGKILLed, the program finished"

# 4.
start=$(date +%s%N)
timeout -k 5 30 "$M" record "${T[@]}" -o "$W/daemon.trace" -- "$P" daemon >"$W/daemon.pid" 2>"$W/daemon.err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
kill -9 "$(cat "$W/daemon.pid")" 2>/dev/null
[ $rc = 0 ] || bad "record with a descendant still running: exit $rc after $ms ms (124: it never ended)"
"$M" dump "$W/daemon.trace" >/dev/null || bad "daemon: trace unreadable"
ok "record ended $ms ms after the program, a descendant still on the device"

# 5.
"$M" record "${T[@]}" -o "$W/term.trace" -- "$P" ignore >"$W/term.pid" 2>"$W/term.err" &
rec=$!
for _ in $(seq 100); do [ -s "$W/term.pid" ] && break; sleep 0.05; done
sleep 0.2
kill -TERM $rec
for _ in $(seq 100); do kill -0 $rec 2>/dev/null || break; sleep 0.05; done
alive=0; kill -0 $rec 2>/dev/null && alive=1
kill -9 "$(cat "$W/term.pid")" 2>/dev/null
[ $alive = 0 ] || { kill -9 $rec; bad "SIGTERM did not end record (the program ignores it)"; }
n=$(rw "$W/term.trace" | wc -l)
[ "$n" -gt 0 ] || bad "SIGTERM: the trace is empty or unreadable"
ok "SIGTERM ended record with $n accesses written"

# 5a. started with SIGHUP ignored (nohup): record leaves it ignored, for
# itself and for the program (before: caught, and the program got SIG_DFL)
for be in preload ptrace; do
	X=(); [ $be = ptrace ] && X=(--ptrace)
	(trap '' HUP; exec "$M" record "${T[@]}" "${X[@]}" -o "$W/nohup-$be.trace" -- \
		sh -c 'kill -HUP $$; kill -HUP $PPID; sleep 0.2; echo alive') >"$W/nohup-$be.out" 2>&1
	rc=$?
	[ $rc = 0 ] && grep -q alive "$W/nohup-$be.out" ||
		bad "$be: SIGHUP ignored by record's caller killed the program or record: exit $rc: $(cat "$W/nohup-$be.out")"
	"$M" dump "$W/nohup-$be.trace" >/dev/null || bad "$be: nohup: trace unreadable"
	ok "$be: SIGHUP ignored when record started stays ignored, for it and the program"
done

# 5a'. started with SIGINT ignored (a background job of a script): kill -INT
# still ends record, the trace complete (the program keeps its ignored
# SIGINT and runs on, untraced). Preload only: under --ptrace SIGINT
# detaches and record waits for the program to end (mmiotap-record(1)).
for be in preload; do
	X=()
	(trap '' INT; exec "$M" record "${T[@]}" "${X[@]}" -o "$W/bgint-$be.trace" -- sleep 30) \
		>"$W/bgint-$be.out" 2>&1 &
	rp=$!
	sleep 0.5
	kill -INT $rp
	for _ in $(seq 100); do kill -0 $rp 2>/dev/null || break; sleep 0.1; done
	if kill -0 $rp 2>/dev/null; then
		bad "$be: record started with SIGINT ignored did not end on kill -INT"; kill -KILL $rp
	fi
	wait $rp
	"$M" dump "$W/bgint-$be.trace" >/dev/null || bad "$be: bgint: trace unreadable"
	pkill -f "^sleep 30$" 2>/dev/null
	ok "$be: record started with SIGINT ignored still ends on kill -INT"
done

# 5b. (both backends) a signal while record sets up (slow_open.so holds
# the trace file's open 500 ms, after the ring was made)
gcc -shared -fPIC -O2 $CFLAGS_E2E -o "$W/slow_open.so" tests/e2e/slow_open.c -ldl || fail build
for be in preload ptrace; do
	X=(); [ $be = ptrace ] && X=(--ptrace)
	# (an ASan build of mmiotap would refuse a library preloaded before ASan's)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	LD_PRELOAD=$W/slow_open.so "$M" record "${T[@]}" "${X[@]}" -o "$W/setup-$be.trace" -- \
		"$P" churn 10 >/dev/null 2>"$W/setup-$be.err" &
	rec=$!
	for _ in $(seq 200); do grep -q waiting "$W/setup-$be.err" && break; sleep 0.02; done
	kill -TERM $rec
	wait $rec
	rc=$?
	[ $rc = 143 ] || bad "$be: SIGTERM during setup: exit $rc, want 143 (SIGTERM)"
	[ -e /dev/shm/mmiotap-$rec.ring ] && { rm -f /dev/shm/mmiotap-$rec.ring; bad "$be: SIGTERM during setup left its ring behind"; }
	[ -s "$W/setup-$be.trace" ] && "$M" dump "$W/setup-$be.trace" >/dev/null ||
		bad "$be: SIGTERM during setup left a trace file without its header"
	grep -q 'nothing recorded' "$W/setup-$be.err" || bad "$be: SIGTERM during setup: $(cat "$W/setup-$be.err")"
	ok "$be: SIGTERM during setup: no ring left, trace file whole"
done

# 6.
echo keep >"$W/victim"
ln -s "$W/victim" "$W/link.trace"
"$M" record "${T[@]}" -o "$W/link.trace" -- "$P" churn 10 >/dev/null 2>"$W/link.err"
[ "$(cat "$W/victim")" = keep ] || bad "the trace was written through a symbolic link"
grep -q 'symbolic link' "$W/link.err" || bad "no message about the symbolic link: $(cat "$W/link.err")"
"$M" record "${T[@]}" -o "$W/mode.trace" -- "$P" churn 10 >/dev/null
[ "$(stat -c %a "$W/mode.trace")" = 600 ] || bad "trace file mode $(stat -c %a "$W/mode.trace"), want 600"
ok "trace files 0600, symlink refused"
# 7. mmiotap mark uses only a ring of our own, writable by nobody else
ring=/dev/shm/mmiotap-trust-$$.ring
head -c $((4096 + 65536)) /dev/zero >"$ring"
printf 'NRTM\003\000\000\000\000\000\001\000\000\000\000\000' | dd of="$ring" conv=notrunc 2>/dev/null
chmod 666 "$ring"
"$M" mark --ring "$ring" hello >/dev/null 2>"$W/mark.err"
rc=$?
rm -f "$ring"
[ $rc != 0 ] && grep -q 'owner or mode wrong' "$W/mark.err" ||
	bad "mark used a ring file others may write (exit $rc: $(cat "$W/mark.err"))"
ok "mark refuses a ring file others may write"

pkill -9 -f "$W/trust" 2>/dev/null
[ $nbad = 0 ] || fail "$nbad of the checks above"
pass "trust"
