#!/usr/bin/env bash
# bench_decode - `mmiotap decode` throughput with a register database (the
# shipped e1000.xml) on a BENCH_DECODE_N-record trace (10M; written by
# bench_decode_gen: e1000 BAR0, the driver's register offsets), beside
# `mmiotap dump` of the same trace in the same run (text and JSON lines).
# Best of BENCH_ROUNDS (3). Prints accesses/s and ratios; asserts nothing.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/${BUILD:-build}
mt=$B/mmiotap gen=$B/bench/bench_decode_gen
[ -x "$mt" ] && [ -x "$gen" ] || { echo "bench_decode: build first (make)"; exit 1; }
n=${BENCH_DECODE_N:-10000000} rounds=${BENCH_ROUNDS:-3}
t=$B/bench/decode-$n.trace
[ -s "$t" ] || "$gen" "$t" "$n" || exit 1
db=$top/regdb/db/e1000.xml
best() { # command... -> "wall_ms cpu_ms", each the best over the rounds
	local bw= bc= i w c
	for i in $(seq "$rounds"); do
		/usr/bin/time -o "$t.time" -f '%e %U %S' "$@" >/dev/null || return 1
		read -r w c < <(awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$t.time")
		[ -n "$w" ] || { echo "bench_decode: $* failed" >&2; exit 1; }
		{ [ -z "$bw" ] || [ "$w" -lt "$bw" ]; } && bw=$w
		{ [ -z "$bc" ] || [ "$c" -lt "$bc" ]; } && bc=$c
	done
	echo "$bw $bc"
}
read -r dump dumpc < <(best "$mt" dump "$t")
read -r dumpj dumpjc < <(best "$mt" dump -f jsonl "$t")
read -r dec decc < <(best "$mt" decode --db "$db" "$t")
read -r decj decjc < <(best "$mt" decode -f jsonl --db "$db" "$t")
rate() { awk -v n="$n" -v ms="$1" 'BEGIN { printf "%6.2fM/s", ms ? n / (ms / 1000) / 1e6 : 0 }'; }
line() { printf '%-28s wall %6d ms %s   cpu %6d ms %s\n' "$1" "$2" "$(rate "$2")" "$3" "$(rate "$3")"; }
echo "trace: $n accesses ($(($(stat -c %s "$t") / 1048576)) MiB), best of $rounds; accesses per second"
line "dump (mmiotrace text)" "$dump" "$dumpc"
line "dump --format jsonl" "$dumpj" "$dumpjc"
line "decode --db e1000.xml" "$dec" "$decc"
line "decode --db e1000.xml jsonl" "$decj" "$decjc"
awk -v a="$dec" -v b="$dump" -v c="$decj" -v d="$dumpj" -v e="$decc" -v f="$dumpc" \
	'BEGIN { printf "ratio decode/dump time: text %.2f (cpu %.2f), jsonl %.2f\n", a / b, e / f, c / d }'
