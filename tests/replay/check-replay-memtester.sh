#!/bin/bash
# check-replay-memtester.sh MMIOTAP DIR SIZE MASK - replay DIR/trace.mt
# (memtester -p on an ivshmem BAR through /dev/mem, recorded in QEMU by
# test-userspace-memtester.sh) on this machine with no device: memtester's
# own result lines equal DIR/memtester.txt. Its Stuck Address test writes
# the addresses of its own mapping (another place in each run): with
# --on-diverge model those writes diverge and read back as written; so the
# only differences `mmiotap diff` may find are 8-byte accesses of those
# pointers (0x00007f...) and their complements (0xffff80...), and the
# divergences are exactly those writes.
set -u
mt=$1 d=$2 size=$3 mask=$4
t=$(mktemp -d "${TMPDIR:-/tmp}/mt-replay.XXXXXX")
trap 'rm -rf "$t"' EXIT
ms=/usr/sbin/memtester
[ -x $ms ] || { echo "FAIL: no $ms"; exit 1; }
bar=$(cat "$d/bar2")
MEMTESTER_TEST_MASK=$mask "$mt" replay -d model -o "$t/replay.mt" "$d/trace.mt" -- \
	$ms -p "${bar%-*}" "${size}B" 1 >"$t/raw.txt" 2>"$t/err"
rc=$?
[ $rc = 0 ] || { tail -n 5 "$t/err"; echo "FAIL: replay of memtester: exit $rc"; exit 1; }
tr '\b' '\n' <"$t/raw.txt" | grep -a -E ':|ok|FAIL|Loop|Done' >"$t/out.txt"
grep -v '^mmiotap' "$d/memtester.txt" >"$t/want.txt" # the recorder's summary line
diff -u "$t/want.txt" "$t/out.txt" || { echo "FAIL: replayed memtester output differs"; exit 1; }
"$mt" diff -U 0 "$d/trace.mt" "$t/replay.mt" >"$t/diff"
[ $? = 1 ] || { echo "FAIL: diff: the pointer writes should differ"; exit 1; }
if grep '^[-+][RW] ' "$t/diff" | grep -v -q -E '^[-+][RW] 8 mem 0x[0-9a-f]* 0x(00007f|ffff80)'; then
	grep '^[-+][RW] ' "$t/diff" | grep -v -E '^[-+][RW] 8 mem 0x[0-9a-f]* 0x(00007f|ffff80)' | head -5
	echo "FAIL: differences other than pointer writes"; exit 1
fi
nd=$(grep -c '^-W 8 ' "$t/diff")
grep -q " $nd divergences" "$t/err" || { cat "$t/err"; echo "FAIL: want $nd divergences (the pointer writes)"; exit 1; }
echo "ok: replay of memtester: same output ($(grep -c 'ok$' "$t/out.txt") ok lines); $nd pointer writes differ, nothing else"
