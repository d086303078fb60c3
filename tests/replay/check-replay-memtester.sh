#!/bin/bash
# check-replay-memtester.sh MMIOTAP DIR SIZE MASK - replay DIR/trace.mt
# (memtester -p on an ivshmem BAR through /dev/mem, recorded in QEMU by
# test-userspace-memtester.sh) on this machine with no device: memtester's
# own result lines equal DIR/memtester.txt, no divergence (its Random Value
# test draws from rand() unseeded: the same values), and `mmiotap diff`
# finds the replay equal to the recording.
set -u
mt=$1 d=$2 size=$3 mask=$4
t=$(mktemp -d "${TMPDIR:-/tmp}/mt-replay.XXXXXX")
trap 'rm -rf "$t"' EXIT
ms=/usr/sbin/memtester
[ -x $ms ] || { echo "FAIL: no $ms"; exit 1; }
bar=$(cat "$d/bar2")
MEMTESTER_TEST_MASK=$mask "$mt" replay -o "$t/replay.mt" "$d/trace.mt" -- \
	$ms -p "${bar%-*}" "${size}B" 1 >"$t/raw.txt" 2>"$t/err" ||
	{ tail -n 5 "$t/err"; echo "FAIL: replay of memtester: exit $?"; exit 1; }
tr '\b' '\n' <"$t/raw.txt" | grep -a -E ':|ok|FAIL|Loop|Done' >"$t/out.txt"
diff -u "$d/memtester.txt" "$t/out.txt" || { echo "FAIL: replayed memtester output differs"; exit 1; }
grep -q ' 0 divergences' "$t/err" || { cat "$t/err"; echo "FAIL: divergences"; exit 1; }
"$mt" diff -q "$d/trace.mt" "$t/replay.mt" >"$t/diff" || { cat "$t/diff"; echo "FAIL: diff of recording and replay"; exit 1; }
echo "ok: replay of memtester: same output ($(grep -c 'ok$' "$t/out.txt") ok lines), $(tail -n 1 "$t/diff")"
