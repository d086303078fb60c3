#!/bin/bash
# test-watch-gdb.sh - data/mmiotap.gdb in gdb batch mode: ten `mwatch-write`s
# set at a breakpoint; each store stops the program with SIGTRAP right after
# it, on the line after the store (marked AFTER n in the source), with the
# value already written; `minfo` lists the ten, `munwatch` removes one (its
# store then does not stop), and the program ends normally.
. tests/e2e/lib.sh
command -v gdb >/dev/null || skip "gdb not installed"
SRC=$PWD/tests/e2e/e2e_watchgdb.c
cc -O0 -g -o "$W/prog" "$SRC" || fail "build"
{
	echo "set environment LD_PRELOAD=$LIB"
	echo "source $PWD/data/mmiotap.gdb"
	echo "break ready"
	echo "run"
	for i in $(seq 0 9); do echo "mwatch-write w$i"; done
	echo "minfo"
	echo "munwatch w9"
	for i in $(seq 0 8); do echo "continue"; echo "printf \"VALUE w$i %d\\n\", w$i"; done
	echo "continue"
} >"$W/cmds.gdb"
timeout 120 gdb -nx -batch -x "$W/cmds.gdb" "$W/prog" >"$W/gdb.out" 2>&1 || true
grep -q '^10 mmiotap watchpoint(s)' "$W/gdb.out" || { tail -20 "$W/gdb.out"; fail "minfo does not list 10"; }
grep -q 'watchpoint on w9 deleted' "$W/gdb.out" || fail "munwatch w9"
# the source line of each stop: gdb prints "NN<tab>source" after each SIGTRAP
awk '/Program received signal SIGTRAP/ { s = 1; next } s && /^[0-9]+\t/ { print $1; s = 0 }' \
	"$W/gdb.out" >"$W/stops"
for i in $(seq 0 8); do grep -n "AFTER $i \*/" "$SRC" | cut -d: -f1; done >"$W/want"
diff "$W/want" "$W/stops" >/dev/null || { paste "$W/want" "$W/stops"; fail "stops not on the lines after the stores"; }
echo "ok: 9 stops, each on the line after its store"
for i in $(seq 0 8); do
	grep -q "^VALUE w$i 10$i\$" "$W/gdb.out" || fail "w$i: value not written at the stop"
done
echo "ok: the stored value is there at each stop"
grep -q 'exited normally' "$W/gdb.out" || { tail -5 "$W/gdb.out"; fail "program did not end normally"; }
[ "$(grep -c 'Program received signal SIGTRAP' "$W/gdb.out")" = 9 ] || fail "want exactly 9 stops (w9 unwatched)"
echo "ok: the unwatched w9 does not stop; the program exits normally"

# `next` over lines that touch the watched page (gdb puts its breakpoint on
# the faulting instruction before passing SIGSEGV): each step ends on the
# next line (with a SIGTRAP), the trap flag is not left set, and `continue`
# runs to the end (before: a spurious SIGTRAP after every instruction)
{
	echo "set environment LD_PRELOAD=$LIB"
	echo "source $PWD/data/mmiotap.gdb"
	echo "break ready"
	echo "run"
	echo "mwatch-read w5"
	echo "finish"
	for i in 1 2 3; do echo "next"; done
	echo 'printf "EFLAGS %#x\n", $eflags'
	echo "continue"
} >"$W/step.gdb"
timeout 120 gdb -nx -batch -x "$W/step.gdb" "$W/prog" >"$W/step.out" 2>&1 || true
awk '/^[0-9]+\t/ { print $1 }' "$W/step.out" | tail -3 >"$W/steps"
first=$(grep -n 'sink = 1;' "$SRC" | cut -d: -f1)
printf '%s\n' $((first + 1)) $((first + 2)) $((first + 3)) >"$W/want-steps"
diff "$W/want-steps" "$W/steps" >/dev/null || { paste "$W/want-steps" "$W/steps"; fail "next: not one line per step"; }
fl=$(sed -n 's/^EFLAGS //p' "$W/step.out")
[ -n "$fl" ] && [ $((fl & 0x100)) = 0 ] || fail "next: trap flag left set ($fl)"
grep -q 'exited normally' "$W/step.out" || { tail -5 "$W/step.out"; fail "continue after next did not run to the end"; }
echo "ok: next over watched-page lines: one line per step, trap flag clear, continue runs to the end"
pass "mmiotap.gdb"
