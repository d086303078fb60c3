#!/usr/bin/env bash
# 20 attach/detach cycles on one running multi-threaded STATIC program whose
# threads are created, fault on the traced page and exit all the time
# (pt-churn): most cycles through pt-run + SIGINT (Ctrl-C), every fourth
# through `mmiotap record --pid` + `mmiotap stop`. After every cycle the
# program must still run and be untraced, each trace must be consistent
# (every read returns the slot's last write), and at the end the program's
# output must equal an untraced run's. Then once with `record --ptrace` +
# `mmiotap stop` (seccomp mode: the tracer stays attached, untraced).
# Catches: a SIGSEGV of a traced page
# queued behind the detach's interrupt stop, a syscall injected into a
# thread stopped inside clone(), a thread created during the attach left
# untraced.
set -u
B=${BUILD:-build}
run=$B/tests/ptrace/pt-run prog=$B/tests/ptrace/pt-churn M=$B/mmiotap
CYCLES=${CYCLES:-20}
for f in "$run" "$prog" "$M"; do
	[ -x "$f" ] || { echo "missing $f (make BUILD=$B)"; exit 99; }
done
if ! "$run" -N -- /bin/true 2>/dev/null; then
	echo "SKIP: ptrace is not permitted here"; exit 77
fi
w=$(mktemp -d /tmp/mt-ptcyc.XXXXXX)
dev=/dev/shm/mt-ptcyc-$$
NT=3
fail() {
	echo "FAIL: $*"
	[ -n "${pid:-}" ] && { touch "$w/stop"; wait "$pid" 2>/dev/null; }
	echo "(work directory kept: $w)"
	exit 1
}

# the untraced result
"$prog" $dev.plain $NT "$w/ready.plain" "$w/ready.plain" >"$w/plain.out" ||
	fail "untraced run failed"

"$prog" $dev $NT "$w/ready" "$w/stop" >"$w/prog.out" 2>"$w/prog.err" &
pid=$!
for i in $(seq 200); do [ -e "$w/ready" ] && break; sleep 0.05; done
[ -e "$w/ready" ] || fail "program did not start"
traced=0 total=0 checked=0
for ((c = 1; c <= CYCLES; c++)); do
	t=$w/c$c
	ms=$((50 + RANDOM % 250))
	if ((c % 4 == 0)); then
		"$M" record -q --pid $pid -o "$t.trace" -t "$dev" 2>"$t.err" &
		tr=$!
		sleep "0.$(printf %03d $ms)"
		"$M" stop -q $pid 2>>"$t.err" || fail "cycle $c: mmiotap stop: $(cat "$t.err")"
		wait $tr; trc=$?
		"$M" dump "$t.trace" 2>>"$t.err" | awk '$1=="R"||$1=="W" {print $1, $2, $5, $6}' >"$t.txt"
	else
		"$run" -t "$dev" -o "$t.txt" -p $pid 2>"$t.err" &
		tr=$!
		sleep "0.$(printf %03d $ms)"
		kill -INT $tr
		wait $tr; trc=$?
	fi
	[ $trc -eq 0 ] || fail "cycle $c: tracer exit $trc: $(cat "$t.err")"
	if ! kill -0 $pid 2>/dev/null; then wait $pid; st=$?; pid=; fail "cycle $c: program died (status $st) after detach: $(cat "$w/prog.err")"; fi
	tp=$(awk '/^TracerPid:/{print $2}' /proc/$pid/status)
	[ "$tp" = 0 ] || fail "cycle $c: program still traced by $tp after detach"
	n=$(grep -cE '^[RW] 8 ' "$t.txt")
	total=$((total + n))
	[ "$n" -gt 0 ] && traced=$((traced + 1))
	# every read returns what the same slot's last write stored
	k=$(awk '$1=="W"{last[$3]=$4} $1=="R"{ if (!($3 in last)) next; n++; if (last[$3]!=$4) {print "bad read " $0 " after " last[$3] >"/dev/stderr"; bad++} }
	     END{print n+0; exit bad?1:0}' "$t.txt") || fail "cycle $c: inconsistent trace"
	checked=$((checked + k))
done
touch "$w/stop"
wait $pid; prc=$?
[ $prc -eq 0 ] || fail "program failed ($prc): $(cat "$w/prog.out" "$w/prog.err")"
cmp -s "$w/plain.out" "$w/prog.out" || { diff "$w/plain.out" "$w/prog.out"; fail "output differs from the untraced run"; }
[ -s "$w/prog.err" ] && fail "program complained: $(cat "$w/prog.err")"
# attaching must actually have traced: most cycles saw accesses
[ $traced -ge $((CYCLES * 3 / 4)) ] || fail "only $traced of $CYCLES cycles traced accesses"
[ $checked -ge $((total / 4)) ] || fail "only $checked of $total accesses were reads checked against a write"
echo "$CYCLES attach/detach cycles: $traced traced ($total accesses in all, $checked reads checked), program output unchanged"

# the same program started by `record --ptrace` (seccomp filter), then
# `mmiotap stop`: tracing stops, the tracer stays attached for the filter,
# the program goes on and ends with the untraced run's output
rm -f "$w/ready" "$w/stop"
"$M" record -q --ptrace -o "$w/sc.trace" -t "$dev" -- "$prog" $dev $NT "$w/ready" "$w/stop" \
	>"$w/sc.out" 2>"$w/sc.err" &
rp=$!
pid=
for i in $(seq 200); do [ -e "$w/ready" ] && break; sleep 0.05; done
sleep 0.2
pid=$(pgrep -P $rp)
[ -n "$pid" ] || fail "record --ptrace: no program"
"$M" stop -q $pid || fail "mmiotap stop of a --ptrace program"
sleep 0.3
kill -0 $pid 2>/dev/null || fail "program died after stop"
touch "$w/stop"
wait $rp; rrc=$?
pid=
[ $rrc -eq 0 ] || fail "record --ptrace + stop: exit $rrc: $(cat "$w/sc.err" "$w/sc.out")"
cmp -s "$w/plain.out" "$w/sc.out" || { diff "$w/plain.out" "$w/sc.out"; fail "--ptrace + stop: output differs"; }
n=$("$M" dump "$w/sc.trace" | grep -cE '^[RW] 8 ')
[ "$n" -gt 0 ] || fail "--ptrace + stop: nothing traced before the stop"
echo "record --ptrace + stop: $n accesses, program output unchanged"
rm -rf "$w" $dev.plain
