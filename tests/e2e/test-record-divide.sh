#!/bin/bash
# Division by a value read from the device (#DE): the program's own SIGFPE
# handler gets FPE_INTDIV at the DIV instruction, returning from it
# re-executes the DIV, a blocked SIGFPE kills; the device is read once per
# execution (no single-step, no UNKNOWN). Both backends: LD_PRELOAD and
# --ptrace.
. tests/e2e/lib.sh
gcc -O2 $CFLAGS_E2E -o "$W/div" tests/e2e/e2e_divide.c || fail build
"$W/div" >"$W/plain.exp" || fail "untraced run failed (exit $?)"
modes=preload
if "$BUILD/tests/ptrace/pt-run" -N -- /bin/true 2>/dev/null; then
	modes="preload ptrace"
else
	echo "ptrace not permitted here: --ptrace case skipped"
fi
for mode in $modes; do
	opt=; [ $mode = ptrace ] && opt=--ptrace
	timeout -k 5 60 "$M" record -q $opt -t '/memfd:mt-e2e*' -o "$W/$mode.trace" -- "$W/div" \
		>"$W/$mode.exp" 2>"$W/$mode.err" || { cat "$W/$mode.err"; fail "$mode: program failed (exit $?)"; }
	cmp -s "$W/plain.exp" "$W/$mode.exp" || fail "$mode: program output differs from the untraced run"
	rw "$W/$mode.trace" >"$W/$mode.act"
	diff -u "$W/$mode.exp" "$W/$mode.act" >"$W/$mode.diff" ||
		{ head -20 "$W/$mode.diff"; fail "$mode: trace differs"; }
	"$M" dump "$W/$mode.trace" | grep -q '^UNKNOWN' && fail "$mode: UNKNOWN records"
	echo "ok: $mode ($(wc -l <"$W/$mode.exp") accesses)"
done
pass "divide"
