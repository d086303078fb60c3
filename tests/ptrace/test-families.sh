#!/usr/bin/env bash
# ptrace tracer on a STATIC program doing accesses of every instruction
# family: the trace must equal what the program says it expects, and the
# program's own output must be the same traced and untraced. Run with the
# seccomp filter (default) and with plain syscall stops (-S).
set -u
B=${BUILD:-build}
run=$B/tests/ptrace/pt-run prog=$B/tests/ptrace/pt-families
for f in "$run" "$prog"; do
	[ -x "$f" ] || { echo "missing $f (make BUILD=$B)"; exit 99; }
done
if ! "$run" -N -- /bin/true 2>/dev/null; then
	echo "SKIP: ptrace is not permitted here"; exit 77
fi
w=$(mktemp -d /tmp/mt-ptfam.XXXXXX)
dev=/dev/shm/mt-ptfam-$$
"$prog" $dev >"$w/plain.out" || { echo "untraced run failed"; cat "$w/plain.out"; exit 1; }
grep '^EXPECT ' "$w/plain.out" | sed 's/^EXPECT //' >"$w/expect"
[ "$(wc -l <"$w/expect")" -ge 40 ] || { echo "too few expectations"; exit 1; }
for mode in seccomp syscall; do
	opt=; [ $mode = syscall ] && opt=-S
	if ! timeout 60 "$run" $opt -s -t '/dev/shm/mt-ptfam-*' -o "$w/trace.$mode" -- \
		"$prog" $dev >"$w/traced.$mode" 2>"$w/err.$mode"; then
		echo "traced run ($mode) failed:"; cat "$w/traced.$mode" "$w/err.$mode"; exit 1
	fi
	if ! cmp -s "$w/plain.out" "$w/traced.$mode"; then
		echo "program output differs under the tracer ($mode):"
		diff "$w/plain.out" "$w/traced.$mode" | head -20; exit 1
	fi
	grep -E '^[RW] ' "$w/trace.$mode" >"$w/got.$mode"
	# x87/MMX forms are emulated (displaced with the tracee's x87 state),
	# never single-stepped
	if grep -q '^UNKNOWN' "$w/trace.$mode"; then
		echo "UNKNOWN records ($mode):"; grep '^UNKNOWN' "$w/trace.$mode"; exit 1
	fi
	if ! diff "$w/expect" "$w/got.$mode" >"$w/diff.$mode"; then
		echo "trace ($mode) differs from the expected accesses:"; head -30 "$w/diff.$mode"; exit 1
	fi
	grep -q "^MAP $dev 0x2000" "$w/trace.$mode" || { echo "no MAP record ($mode)"; exit 1; }
	grep -q '^UNMAP' "$w/trace.$mode" || { echo "no UNMAP record ($mode)"; exit 1; }
	echo "$mode: $(wc -l <"$w/got.$mode") accesses as expected; $(cat "$w/err.$mode")"
done
rm -rf "$w"
