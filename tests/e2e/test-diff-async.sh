#!/bin/bash
# mmiotap diff --async: a real program recorded with a timer thread
# (e2e_timer.c: timer_tick() acknowledges a status register TICKS times at
# its own pace among the main thread's configuration writes). Runs with 2
# and 5 ticks differ in order; with --async timer_tick they are the same
# (the timer's accesses compared as a set); a changed configuration value is
# still found in order, a changed acknowledgement in the async section;
# --async irq on hardirq-flagged text records; no symbols: a warning.
. tests/e2e/lib.sh
gcc -O2 -g $CFLAGS_E2E -pthread -o "$W/timer" tests/e2e/e2e_timer.c || fail build
rec() { "$M" record -q -o "$W/$1.trace" -t '/memfd:mt-e2e*' -- "$W/timer" "$2" "$3" "$4" || fail "record $1"; }
rec a 2 0x10 0x55
rec b 5 0x10 0x55
rec c 3 0x20 0x55
rec d 3 0x10 0x66
"$M" diff -q "$W/a.trace" "$W/b.trace" >"$W/o"; [ $? = 1 ] || fail "2 and 5 ticks: want a difference in order"
"$M" diff --async timer_tick "$W/a.trace" "$W/b.trace" >"$W/o" 2>"$W/e" || { cat "$W/o" "$W/e"; fail "--async timer_tick: want same"; }
grep -q '^summary: A 32 accesses, B 32; same$' "$W/o" || fail "ordered part: $(cat "$W/o")"
grep -q '^async: A 4 accesses, B 10 (sets per segment); same$' "$W/o" || fail "async part: $(cat "$W/o")"
[ ! -s "$W/e" ] || fail "stderr: $(cat "$W/e")"
"$M" diff -q --async 'timer_*' "$W/a.trace" "$W/b.trace" >/dev/null || fail "--async glob"
echo "ok: the timer thread's accesses compared as a set"

"$M" diff -U 0 --async timer_tick "$W/a.trace" "$W/c.trace" >"$W/o"; [ $? = 1 ] || fail "value 0x20: want 1"
grep -q '^-W 4 /memfd:mt-e2e (deleted) 0x0 0x00000010  #seq [0-9]*$' "$W/o" &&
	grep -q '^+W 4 /memfd:mt-e2e (deleted) 0x0 0x00000020  #seq [0-9]*$' "$W/o" || fail "changed value: $(cat "$W/o")"
grep -q '^summary: A 32 accesses, B 32; 2 only in A, 2 only in B, 1 changes$' "$W/o" || fail "c summary: $(cat "$W/o")"
grep -q '^first divergence: access 1 of A, 1 of B$' "$W/o" || fail "first divergence: $(cat "$W/o")"
grep -q '^async: .*; same$' "$W/o" || fail "async part of c: $(cat "$W/o")"
echo "ok: a configuration value changed: found in order"

"$M" diff --async timer_tick "$W/a.trace" "$W/d.trace" >"$W/o"; [ $? = 1 ] || fail "ack 0x66: want 1"
grep -q '^@@ asynchronous accesses @@$' "$W/o" || fail "no async hunk: $(cat "$W/o")"
grep -q '^-W 4 /memfd:mt-e2e (deleted) 0x104 0x00000055  #seq [0-9]* (2 times)$' "$W/o" || fail "- line: $(cat "$W/o")"
grep -q '^+W 4 /memfd:mt-e2e (deleted) 0x104 0x00000066  #seq [0-9]* (3 times)$' "$W/o" || fail "+ line: $(cat "$W/o")"
grep -q '^first divergence: asynchronous accesses$' "$W/o" || fail "first: $(cat "$W/o")"
grep -q '^summary: A 32 accesses, B 32; same$' "$W/o" || fail "ordered part of d: $(cat "$W/o")"
grep -q '^async: A 4 accesses, B 6 (sets per segment); 1 distinct only in A, 1 only in B$' "$W/o" || fail "async summary: $(cat "$W/o")"
echo "ok: an acknowledgement value changed: found in the async section"

# --async irq: interrupt-context records anywhere
cat >"$W/ta" <<'X'
VERSION 20070824
MAP 0.000001 1 0xfea00000 0x0 0x1000 0x0 42
EXT src=pci pci=0000:00:03.0 bar=0 foff=0x0
W 4 0.000002 1 0xfea00000 0x1 0xffffffffc0001000 42
R 4 0.000003 1 0xfea000c0 0x4 0xffffffffc0002000 0
EXT flags=hardirq
W 4 0.000004 1 0xfea00004 0x2 0xffffffffc0001000 42
W 4 0.000005 1 0xfea00008 0x3 0xffffffffc0001000 42
X
awk 'NR == 5 || NR == 6 { held = held $0 "\n"; next } { print } NR == 8 { printf "%s", held }' "$W/ta" >"$W/tb"
"$M" diff -q "$W/ta" "$W/tb" >/dev/null; [ $? = 1 ] || fail "the hardirq read moved: want a difference"
"$M" diff -q --async irq "$W/ta" "$W/tb" >/dev/null || fail "--async irq: want same"
sed 's/0xfea000c0 0x4/0xfea000c0 0x5/' "$W/tb" >"$W/tc"
"$M" diff --async irq "$W/ta" "$W/tc" | grep -q '^+R 4 0000:00:03.0 BAR0 0xc0 0x00000005  #seq 4$' || fail "--async irq value"
"$M" diff -q --async f "$W/ta" "$W/tb" 2>"$W/e" >/dev/null
grep -q 'has no symbols' "$W/e" || fail "no symbols: no warning: $(cat "$W/e")"
echo "ok: --async irq; no symbols"
pass "diff --async"
