#!/bin/bash
# Every instruction family of the core, through `mmiotap record` and `dump`,
# with e2e_families.c built by gcc and clang at -O0/-O2/-O3, with and
# without -march=native: the trace must equal what the program expects, and
# every value the program saw must be right (its exit status).
. tests/e2e/lib.sh
variants=(
	"gcc -O0" "gcc -O2" "gcc -O3" "gcc -O2 -march=native" "gcc -O3 -march=native"
	"clang -O0" "clang -O2" "clang -O3" "clang -O3 -march=native"
)
n=0
for v in "${variants[@]}"; do
	cc=${v%% *}
	command -v "$cc" >/dev/null || { echo "note: $cc not installed, variant '$v' not run"; continue; }
	exe=$W/fam-$n
	$v $CFLAGS_E2E -o "$exe" tests/e2e/e2e_families.c || fail "build with $v"
	"$M" record -q -t '/memfd:mt-e2e*' -o "$W/t-$n.trace" -- "$exe" >"$W/exp-$n.txt" ||
		fail "$v: program reported wrong values (exit $?)"
	rw "$W/t-$n.trace" >"$W/act-$n.txt"
	[ -s "$W/exp-$n.txt" ] || fail "$v: program printed no expectations"
	diff -u "$W/exp-$n.txt" "$W/act-$n.txt" || fail "$v: trace differs from expectation"
	echo "ok: $v ($(wc -l <"$W/exp-$n.txt") accesses)"
	n=$((n + 1))
done
[ $n -ge 1 ] || skip "no compiler"
pass "$n variants"
