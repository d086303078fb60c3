#!/bin/bash
# mmiotap replay on the host, no device: a program recorded against a file
# standing for a device (the real record path: preload, PROT_NONE, SIGSEGV
# emulation) is replayed with the file gone; its output equals the
# recorded run's; the replay's own trace diffs equal to the recording; a
# changed write value is reported at its access (stop / warn / model);
# polling longer than recorded repeats the last value; a device the
# recording did not use cannot be opened; static programs are refused.
. tests/e2e/lib.sh
gcc -O2 $CFLAGS_E2E -o "$W/drv" tests/e2e/e2e_replaydev.c || fail build
DEV=$W/fakedev

# the "device": id 0x12345678 at 0x0, status 1 at 0x8, 0xcafef00d at 0x10
printf '\x78\x56\x34\x12\0\0\0\0\x01\0\0\0\0\0\0\0\x0d\xf0\xfe\xca' >"$DEV"
truncate -s 4096 "$DEV"
"$M" record -q -o "$W/rec.trace" -t "$DEV" -- "$W/drv" "$DEV" 0 0x55 3 >"$W/rec.out" ||
	fail "record: exit $?"
grep -q 'result cafef00d' "$W/rec.out" || fail "recorded run did not read the file"
[ "$(rw "$W/rec.trace" | wc -l)" = 8 ] || fail "recording: want 8 accesses"
rm -f "$DEV"

# 1. same program, same arguments: same output, no divergence, diff equal
"$M" replay -o "$W/rep.trace" "$W/rec.trace" -- "$W/drv" "$DEV" 0 0x55 3 >"$W/rep.out" 2>"$W/rep.err" ||
	{ cat "$W/rep.err"; fail "replay: exit $?"; }
[ ! -e "$DEV" ] || fail "replay created the device file"
diff -u "$W/rec.out" "$W/rep.out" || fail "replayed output differs"
grep -q ' 0 divergences' "$W/rep.err" || fail "summary: $(cat "$W/rep.err")"
"$M" diff "$W/rec.trace" "$W/rep.trace" >"$W/d1" || { cat "$W/d1"; fail "diff of record and replay"; }
# the device file opened by a relative path is replayed too
(cd "$W" && "$M" replay -q -o "$W/rep1b.trace" "$W/rec.trace" -- "$W/drv" fakedev 0 0x55 3) >"$W/rep1b.out" ||
	fail "relative path: exit $?"
diff -u "$W/rec.out" "$W/rep1b.out" || fail "relative path: output"
echo "ok: replay = recording"

# 2. longer polling than recorded: the last value read is repeated
"$M" replay -o "$W/rep2.trace" "$W/rec.trace" -- "$W/drv" "$DEV" 0 0x55 20 >"$W/rep2.out" 2>"$W/rep2.err" ||
	{ cat "$W/rep2.err"; fail "longer poll: exit $?"; }
diff -u "$W/rec.out" "$W/rep2.out" || fail "longer poll: output"
grep -q ' 17 repeated polls' "$W/rep2.err" || fail "longer poll: $(cat "$W/rep2.err")"
"$M" diff "$W/rec.trace" "$W/rep2.trace" >"$W/d2" && fail "diff: the extra polls are no difference"
grep -q '17 only in B' "$W/d2" || { cat "$W/d2"; fail "diff: extra polls"; }
"$M" diff -p "$W/rec.trace" "$W/rep2.trace" >"$W/d2p" || { cat "$W/d2p"; fail "diff -p: extra polls"; }
echo "ok: polling"

# 3. a different written value: stop at that access
"$M" replay -o "$W/rep3.trace" "$W/rec.trace" -- "$W/drv" "$DEV" 0 0x56 >"$W/rep3.out" 2>"$W/rep3.err"
rc=$?
[ $rc = 3 ] || fail "stop: exit $rc, want 3"
grep -q 'divergence: .*fakedev offset 0x4: program wrote W 4 0x56, recording has W 4 0x55 (recorded seq' "$W/rep3.err" ||
	fail "stop: message: $(cat "$W/rep3.err")"
grep -q '^id 12345678$' "$W/rep3.out" || fail "stop: output before the write"
grep -q status "$W/rep3.out" && fail "stop: the program went on"
"$M" diff "$W/rec.trace" "$W/rep3.trace" >"$W/d3"
[ $? = 1 ] || fail "diff: want 1"
grep -A2 '^first divergence' "$W/d3" | grep -q 'A: W 4 .* 0x4 0x00000055' || { cat "$W/d3"; fail "diff: first divergence"; }
echo "ok: stop"

# 4. warn goes on (and reports ~value at 0xc too); model is silent
"$M" replay -d warn -o "$W/rep4.trace" "$W/rec.trace" -- "$W/drv" "$DEV" 0 0x56 3 >"$W/rep4.out" 2>"$W/rep4.err"
[ $? = 3 ] || fail "warn: exit status"
[ "$(grep -c 'divergence: ' "$W/rep4.err")" = 3 ] || fail "warn: want 2 reports + first: $(cat "$W/rep4.err")"
grep -q 'result cafef00d' "$W/rep4.out" || fail "warn: the program did not go on"
"$M" replay -d model -o "$W/rep5.trace" "$W/rec.trace" -- "$W/drv" "$DEV" 0 0x56 3 >"$W/rep5.out" 2>"$W/rep5.err" ||
	fail "model: exit $?"
grep -q '2 divergences' "$W/rep5.err" || fail "model: summary: $(cat "$W/rep5.err")"
echo "ok: warn, model"

# 5. a device file the recording did not use: not opened
"$M" replay -o "$W/rep6.trace" "$W/rec.trace" -- "$W/drv" /dev/mem 0xfea00000 1 >"$W/rep6.out" 2>"$W/rep6.err"
[ $? = 1 ] || fail "/dev/mem: want the program's exit 1"
grep -q '/dev/mem: No such device' "$W/rep6.out" "$W/rep6.err" || fail "/dev/mem: $(cat "$W/rep6.err")"
# ... also by a relative path
"$M" replay -o "$W/rep7.trace" "$W/rec.trace" -- /bin/sh -c 'cd /dev && exec cat mem' >/dev/null 2>"$W/rep7.err"
grep -q 'mem: No such device' "$W/rep7.err" || fail "relative /dev/mem: $(cat "$W/rep7.err")"
echo "ok: other devices refused"

# 6. programs the runtime cannot be preloaded into; bad input
if [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; then
	"$M" replay "$W/rec.trace" -- /bin/busybox true 2>"$W/st.err" && fail "static program accepted"
	grep -q 'statically linked' "$W/st.err" || fail "static: $(cat "$W/st.err")"
	# ... also when a replayed program executes it
	"$M" replay -o "$W/st.trace" "$W/rec.trace" -- /bin/sh -c '/bin/busybox true' 2>"$W/st2.err" &&
		fail "static program executed under replay"
	grep -q 'not running /bin/busybox: statically linked' "$W/st2.err" || fail "static exec: $(cat "$W/st2.err")"
fi
echo garbage >"$W/bad.trace"
"$M" replay "$W/bad.trace" -- "$W/drv" x 0 0 2>"$W/bad.err" && fail "bad trace accepted"
grep -q 'bad.trace' "$W/bad.err" || fail "bad trace: no message"
echo "ok: refusals"
pass "replay"
