#!/bin/bash
# check-replay.sh MMIOTAP DIR - replay DIR/trace.mt (python3 edu.py on edu's
# BAR0, recorded in QEMU by test-userspace-python.sh) on this machine, with
# no device: python's output must equal DIR/python.txt, `mmiotap diff` of
# the recording and the replay must find them equal, and the script changed
# to compute the factorial of 7 instead of 6 must stop at that write
# (offset 0x8, recorded value 6). Used by the VM test and by
# test-replay-recorded.sh (saved copy).
set -u
mt=$1 d=$2
py=/usr/bin/python3
[ -x $py ] || { echo "SKIP: no $py"; exit 77; }
t=$(mktemp -d "${TMPDIR:-/tmp}/mt-replay.XXXXXX")
trap 'rm -rf "$t"' EXIT
res=$(awk '$1 == "EXT" && /path=/ { sub(/.*path=/, ""); print; exit }' <("$mt" dump "$d/trace.mt"))
[ -n "$res" ] || { echo "FAIL: no mapped file in the trace"; exit 1; }
case $res in /sys/bus/pci/devices/*/resource0) ;; *) echo "FAIL: mapped $res"; exit 1 ;; esac
"$mt" replay -o "$t/replay.mt" "$d/trace.mt" -- $py "$d/edu.py" "$res" >"$t/out.txt" 2>"$t/err" ||
	{ cat "$t/err" "$t/out.txt"; echo "FAIL: replay of python3 edu.py: exit $?"; exit 1; }
diff -u "$d/python.txt" "$t/out.txt" || { echo "FAIL: replayed output differs from the recorded run's"; exit 1; }
grep -q ' 0 divergences' "$t/err" || { cat "$t/err"; echo "FAIL: divergences"; exit 1; }
"$mt" diff "$d/trace.mt" "$t/replay.mt" >"$t/diff" || { cat "$t/diff"; echo "FAIL: diff of recording and replay"; exit 1; }
echo "ok: replay of python3 edu.py: same output ($(wc -l <"$t/out.txt") lines), $(tail -n 1 "$t/diff")"
sed 's/struct.pack("<I", 6)/struct.pack("<I", 7)/' "$d/edu.py" >"$t/edu7.py"
cmp -s "$d/edu.py" "$t/edu7.py" && { echo "FAIL: the change did not apply"; exit 1; }
"$mt" replay -o "$t/replay7.mt" "$d/trace.mt" -- $py "$t/edu7.py" "$res" >"$t/out7.txt" 2>"$t/err7"
rc=$?
[ $rc = 3 ] || { cat "$t/err7"; echo "FAIL: changed script: exit $rc, want 3"; exit 1; }
grep -q 'resource0 offset 0x8: program wrote W 4 0x7, recording has W 4 0x6 ' "$t/err7" ||
	{ cat "$t/err7"; echo "FAIL: divergence not reported at the factorial write"; exit 1; }
"$mt" diff -q "$d/trace.mt" "$t/replay7.mt" >"$t/diff7"
[ $? = 1 ] && grep -A1 '^first divergence' "$t/diff7" | grep -q 'A: W 4 .* BAR0 0x8 0x00000006' ||
	{ cat "$t/diff7"; echo "FAIL: diff does not find the changed write first"; exit 1; }
echo "ok: changed factorial write reported at offset 0x8"
