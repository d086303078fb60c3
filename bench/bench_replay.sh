#!/bin/bash
# bench_replay.sh - cost per access of `mmiotap replay` against `mmiotap
# record` of the same program (N write+read pairs on a file standing for a
# device), measured in the same run. Prints numbers, asserts nothing.
set -eu
BUILD=${BUILD:-build}
N=${1:-200000}
M=$BUILD/mmiotap
P=$BUILD/bench/bench_replay_prog
T=$(mktemp -d "${TMPDIR:-/tmp}/mt-brep.XXXXXX")
trap 'rm -rf "$T"' EXIT
truncate -s 4096 "$T/dev"
t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000)); }
base=$(t "$P" "$T/dev" "$N")
rec=$(t "$M" record -q -o "$T/rec.trace" -t "$T/dev" -- "$P" "$T/dev" "$N")
rep=$(t "$M" replay -q -o "$T/rep.trace" "$T/rec.trace" -- "$P" "$T/dev" "$N")
"$M" diff -q "$T/rec.trace" "$T/rep.trace" | tail -n 1
awk -v n=$((2 * N)) -v b="$base" -v r="$rec" -v p="$rep" 'BEGIN {
	printf "untraced:  %8.3f us/access\n", b / n
	printf "record:    %8.3f us/access\n", r / n
	printf "replay:    %8.3f us/access  (%.2fx record)\n", p / n, p / r
}'
