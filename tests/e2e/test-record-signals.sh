#!/bin/bash
# The program's own SIGSEGV (sigaction and signal(), sigaltstack), SIGTRAP
# and SIGALRM handlers under `mmiotap record`, signals arriving during
# emulation, and a fully blocked signal mask.
. tests/e2e/lib.sh
gcc -O2 $CFLAGS_E2E -o "$W/sig" tests/e2e/e2e_signals.c || fail build
for mode in sigaction signal; do
	"$M" record -q -t '/memfd:mt-e2e*' -o "$W/$mode.trace" -- "$W/sig" $mode >"$W/$mode.exp" ||
		fail "$mode: program failed (exit $?)"
	sort "$W/$mode.exp" >"$W/$mode.exp.s"
	rw "$W/$mode.trace" | sort >"$W/$mode.act.s"
	diff -u "$W/$mode.exp.s" "$W/$mode.act.s" >"$W/$mode.diff" ||
		{ head -20 "$W/$mode.diff"; fail "$mode: trace differs"; }
	echo "ok: $mode ($(wc -l <"$W/$mode.exp") accesses)"
done
pass "signals"
