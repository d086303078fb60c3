#!/bin/bash
# bench_diff.sh - `mmiotap diff` throughput on two driver-like traces of N
# accesses each (default 10M; B has 100 changes), beside `mmiotap dump` of
# both files in the same run; peak memory of each. Prints numbers, asserts
# nothing.
set -eu
BUILD=${BUILD:-build}
N=${1:-10000000}
M=$BUILD/mmiotap
G=$BUILD/bench/bench_diff_gen
T=$(mktemp -d "${TMPDIR:-/tmp}/mt-bdiff.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$G" "$T/a.trace" "$N"
"$G" "$T/b.trace" "$N" 100
# wall seconds and max RSS (KiB) of a command, output discarded
run() { /usr/bin/time -f '%e %M' -o "$T/time" "$@" >/dev/null 2>&1 || [ $? = 1 ]; tail -n 1 "$T/time"; }
read -r td md < <(run "$M" dump "$T/a.trace")
read -r td2 md2 < <(run "$M" dump "$T/b.trace")
read -r tf mf < <(run "$M" diff -q "$T/a.trace" "$T/b.trace")
read -r tu mu < <(run "$M" diff "$T/a.trace" "$T/b.trace")
"$M" diff -q "$T/a.trace" "$T/b.trace" | tail -1
awk -v n="$N" -v td="$td" -v td2="$td2" -v tf="$tf" -v tu="$tu" -v md="$md" -v mf="$mf" -v mu="$mu" 'BEGIN {
	d = td + td2
	printf "dump of both:        %6.2f s  %6.2f M accesses/s  max RSS %d MiB\n", d, 2 * n / d / 1e6, md / 1024
	printf "diff -q:             %6.2f s  %6.2f M accesses/s  max RSS %d MiB  (%.2fx dump)\n", tf, 2 * n / tf / 1e6, mf / 1024, tf / d
	printf "diff (hunks):        %6.2f s  %6.2f M accesses/s  max RSS %d MiB  (%.2fx dump)\n", tu, 2 * n / tu / 1e6, mu / 1024, tu / d
}'
