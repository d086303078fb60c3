#!/usr/bin/env bash
# The runtime's self-describing e2e program (tests/e2e/e2e_families.c), built
# STATIC with gcc -O0/-O2/-O3 -march=native and clang -O2, under
# `mmiotap record --ptrace`: the trace (dump fields 1, 2, 5, 6 of R/W lines)
# must equal what the program prints, and the program's own checks pass.
set -u
B=${BUILD:-build}
M=$B/mmiotap dir=$B/tests/ptrace/e2e
[ -x "$M" ] || { echo "missing $M (make BUILD=$B)"; exit 99; }
[ -f tests/e2e/e2e_families.c ] || { echo "SKIP: tests/e2e/e2e_families.c not in the tree"; exit 77; }
if ! $B/tests/ptrace/pt-run -N -- /bin/true 2>/dev/null; then
	echo "SKIP: ptrace is not permitted here"; exit 77
fi
w=$(mktemp -d /tmp/mt-pte2e.XXXXXX)
n=0
for v in gcc-O0 gcc-O2 gcc-O3-native clang-O2; do
	p=$dir/$v
	if [ ! -x "$p" ]; then
		[ $v = clang-O2 ] && ! command -v clang >/dev/null && { echo "$v: no clang, skipped"; continue; }
		echo "FAIL: $p not built"; exit 99
	fi
	if ! timeout 60 $M record -q --ptrace -o "$w/$v.mt" -t '/memfd:mt-e2e*' -- "$p" >"$w/$v.exp" 2>"$w/$v.err"; then
		echo "FAIL: $v: program or recording failed:"; cat "$w/$v.err"; exit 1
	fi
	$M dump "$w/$v.mt" | awk '$1=="R"||$1=="W"{print $1, $2, $5, $6}' >"$w/$v.got"
	if ! diff "$w/$v.exp" "$w/$v.got" >"$w/$v.diff"; then
		echo "FAIL: $v: trace differs from the program's expectations:"; head -20 "$w/$v.diff"; exit 1
	fi
	$M dump "$w/$v.mt" | grep -q '^UNKNOWN' && { echo "FAIL: $v: UNKNOWN records"; exit 1; }
	echo "$v: $(wc -l <"$w/$v.exp") accesses as expected"
	n=$((n + 1))
done
[ $n -ge 3 ] || { echo "FAIL: only $n variants ran"; exit 1; }
rm -rf "$w"
