#!/usr/bin/env bash
# A genuine-format kernel mmiotrace log (VERSION, PCIDEV, LSPCI, MAP, R, W,
# UNKNOWN, UNMAP, MARK, the kernel's "Lost N events" marker) must go through
# `mmiotap dump` byte for byte, directly and via the binary format.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
mt=$top/${BUILD:-build}/mmiotap
[ -x "$mt" ] || { echo "FAIL: $mt not built"; exit 99; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
in=$top/tests/format/kernel.txt
fail=0
"$mt" dump "$in" >"$tmp/a.txt" || { echo "FAIL: dump text exited $?"; exit 1; }
cmp "$in" "$tmp/a.txt" || { echo "FAIL: text -> text differs"; diff "$in" "$tmp/a.txt" | head; fail=1; }
"$mt" dump - <"$in" >"$tmp/s.txt" || { echo "FAIL: dump - exited $?"; exit 1; }
cmp "$in" "$tmp/s.txt" || { echo "FAIL: stdin text -> text differs"; fail=1; }
"$mt" dump --format binary -o "$tmp/k.bin" "$in" || { echo "FAIL: dump --format binary exited $?"; exit 1; }
head -c 8 "$tmp/k.bin" | od -An -tx1 | grep -q '89 4d 4d 49 4f 54 41 50' || { echo "FAIL: no binary magic"; fail=1; }
"$mt" dump "$tmp/k.bin" >"$tmp/b.txt" || { echo "FAIL: dump binary exited $?"; exit 1; }
cmp "$in" "$tmp/b.txt" || { echo "FAIL: text -> binary -> text differs"; diff "$in" "$tmp/b.txt" | head; fail=1; }
"$mt" dump --format jsonl "$tmp/k.bin" >"$tmp/j.txt" || { echo "FAIL: jsonl exited $?"; exit 1; }
[ "$(wc -l <"$tmp/j.txt")" -eq "$(wc -l <"$in")" ] || { echo "FAIL: jsonl line count"; fail=1; }
grep -q '"kind":"W","width":4,"map":1,"phys":"0xfea000d8","offset":"0xd8","value":"0xffffffff"' "$tmp/j.txt" \
	|| { echo "FAIL: jsonl W record"; fail=1; }
[ $fail = 0 ] && echo "PASS: kernel log ($(wc -l <"$in") lines) unchanged through text, stdin and binary"
exit $fail
