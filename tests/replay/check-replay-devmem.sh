#!/bin/bash
# check-replay-devmem.sh MMIOTAP DIR - replay DIR/trace.mt (a shell script
# of dynamic busybox devmem calls on edu through /dev/mem, recorded in QEMU
# by test-userspace-devmem.sh) on this machine with no device: the values
# printed equal DIR/devmem.txt, `mmiotap diff` finds the replay equal to
# the recording, and the script changed to write 0x12345679 instead of
# 0x12345678 stops at that write (several processes share the replay).
set -u
mt=$1 d=$2
t=$(mktemp -d "${TMPDIR:-/tmp}/mt-replay.XXXXXX")
trap 'rm -rf "$t"' EXIT
bb=$(sed -n 's/^bb=//p' "$d/drive.sh")
[ -x "$bb" ] || { echo "FAIL: no busybox at $bb"; exit 1; }
"$mt" replay -o "$t/replay.mt" "$d/trace.mt" -- /bin/sh "$d/drive.sh" >"$t/out.txt" 2>"$t/err" ||
	{ cat "$t/err"; echo "FAIL: replay of busybox devmem: exit $?"; exit 1; }
diff -u "$d/devmem.txt" "$t/out.txt" || { echo "FAIL: replayed values differ from the recorded run's"; exit 1; }
grep -q ' 0 divergences' "$t/err" || { cat "$t/err"; echo "FAIL: divergences"; exit 1; }
"$mt" diff "$d/trace.mt" "$t/replay.mt" >"$t/diff" || { cat "$t/diff"; echo "FAIL: diff of recording and replay"; exit 1; }
echo "ok: replay of busybox devmem: same values ($(wc -l <"$t/out.txt") lines), $(tail -n 1 "$t/diff")"
sed 's/ 32 0x12345678$/ 32 0x12345679/' "$d/drive.sh" >"$t/drive2.sh"
cmp -s "$d/drive.sh" "$t/drive2.sh" && { echo "FAIL: the change did not apply"; exit 1; }
"$mt" replay -o "$t/replay2.mt" "$d/trace.mt" -- /bin/sh "$t/drive2.sh" >"$t/out2.txt" 2>"$t/err2"
rc=$?
[ $rc = 3 ] || { cat "$t/err2"; echo "FAIL: changed script: exit $rc, want 3"; exit 1; }
grep -q '/dev/mem offset 0x[0-9a-f]*04: program wrote W 4 0x12345679, recording has W 4 0x12345678 ' "$t/err2" ||
	{ cat "$t/err2"; echo "FAIL: divergence not reported at the changed write"; exit 1; }
echo "ok: changed devmem write reported at its access"
