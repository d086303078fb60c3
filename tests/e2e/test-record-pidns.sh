#!/bin/bash
# A traced process in another PID namespace than `mmiotap record` refuses
# to trace (its pids would mean nothing to the recording and to the order
# lock), with one line on stderr, and runs untraced:
#  1. the child of `unshare --pid --fork` (a fork after unshare(CLONE_NEWPID)),
#     and the program it execs: one message, the program's accesses not in
#     the trace, its work done; the same without --pid is traced (control);
#  2. a program started in another namespace with the recording's ring in
#     its environment (the constructor's check);
#  3. mmiotap mark from another namespace.
# Needs unshare(1) and the right to make a PID namespace (root).
. tests/e2e/lib.sh
command -v unshare >/dev/null || skip "unshare(1) not installed"
unshare --pid --fork true 2>/dev/null || skip "unshare --pid not permitted here (needs root or user namespaces)"
P=$W/trust
gcc -O2 $CFLAGS_E2E -pthread -o "$P" tests/e2e/e2e_trust.c || fail build
T=(-q -t '/memfd:mt-e2e*')
msg='another PID namespace'

# 1.
timeout -k 5 30 "$M" record "${T[@]}" -o "$W/same.trace" -- unshare --fork "$P" churn 100 \
	>"$W/same.out" 2>"$W/same.err" || fail "control (no --pid): exit $?: $(cat "$W/same.err")"
n=$(rw "$W/same.trace" | wc -l)
[ "$n" = 100 ] || fail "control (no --pid): $n accesses traced, want 100"
grep -q "$msg" "$W/same.err" && fail "control (no --pid): refused: $(cat "$W/same.err")"
timeout -k 5 30 "$M" record "${T[@]}" -o "$W/ns.trace" -- unshare --pid --fork "$P" churn 100 \
	>"$W/ns.out" 2>"$W/ns.err"
rc=$?
[ $rc = 0 ] || fail "unshare --pid --fork: exit $rc: $(cat "$W/ns.err")"
grep -q done "$W/ns.out" || fail "unshare --pid --fork: the program did not finish"
[ "$(grep -c "$msg" "$W/ns.err")" = 1 ] || fail "unshare --pid --fork: want one refusal line: $(cat "$W/ns.err")"
n=$(rw "$W/ns.trace" | wc -l)
[ "$n" = 0 ] || fail "unshare --pid --fork: $n accesses with another namespace's pids in the trace"
echo "ok: a fork in a new PID namespace refused, untraced (control: 100 accesses traced)"

# 2. and 3. while a recording runs
"$M" record "${T[@]}" -o "$W/bg.trace" -- sleep 3 2>/dev/null &
rec=$!
ring=/dev/shm/mmiotap-$rec.ring
for _ in $(seq 100); do [ -e "$ring" ] && break; sleep 0.02; done
[ -e "$ring" ] || fail "no ring $ring"
unshare --pid --fork env LD_PRELOAD="$LIB" MMIOTAP_RING="$ring" "$P" churn 10 >"$W/ctor.out" 2>"$W/ctor.err"
rc=$?
[ $rc = 0 ] && grep -q done "$W/ctor.out" || fail "started in another namespace: exit $rc: $(cat "$W/ctor.err")"
[ "$(grep -c "$msg" "$W/ctor.err")" = 1 ] || fail "started in another namespace: want one refusal line: $(cat "$W/ctor.err")"
unshare --pid --fork "$M" mark --ring "$ring" hello >/dev/null 2>"$W/mark.err"
rc=$?
[ $rc != 0 ] && grep -q "$msg" "$W/mark.err" || fail "mark from another namespace: exit $rc: $(cat "$W/mark.err")"
"$M" mark --ring "$ring" here || fail "mark from the recorder's namespace failed"
wait $rec
n=$("$M" dump "$W/bg.trace" | grep -c '^MARK')
[ "$n" = 1 ] || fail "want the one MARK from our namespace in the trace, got $n"
echo "ok: a program started in another namespace refused; mark too"
pass "pid namespaces"
