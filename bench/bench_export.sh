#!/usr/bin/env bash
# bench_export - `mmiotap export` throughput (records/s) for csv,
# chrome-json and perfetto, beside `mmiotap dump` (mmiotrace text and JSON
# lines) of the same trace in the same run: a synthetic trace of
# BENCH_RECORDS (5M) records (tests/export/gen_trace), output to /dev/null,
# best of BENCH_ROUNDS (3) in CPU time (user + system: the machine may be
# shared; wall time printed beside). Prints numbers and ratios, asserts
# nothing.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/${BUILD:-build}
mt=$B/mmiotap gen=$B/tests/export/gen_trace
[ -x "$mt" ] && [ -x "$gen" ] || { echo "bench_export: build first (make)"; exit 1; }
n=${BENCH_RECORDS:-5000000} rounds=${BENCH_ROUNDS:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$gen" "$n" "$tmp/t.trace" || exit 1
best() { # "cpu wall" seconds of the round with the least CPU time: CMD...
	local b= t i
	for ((i = 0; i < rounds; i++)); do
		t=$( { TIMEFORMAT='%U %S %R'; time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ print $1 + $2, $3 }')
		[ -z "$b" ] || awk -v t="${t% *}" -v b="${b% *}" 'BEGIN { exit !(t < b) }' && b=$t
	done
	echo "$b"
}
declare -A T
T[dump-text]=$(best "$mt" dump -o /dev/null "$tmp/t.trace")
T[dump-jsonl]=$(best "$mt" dump -f jsonl -o /dev/null "$tmp/t.trace")
for f in csv chrome-json perfetto; do
	T[$f]=$(best "$mt" export -f $f -o /dev/null "$tmp/t.trace")
done
echo "bench_export: $n records ($(du -m "$tmp/t.trace" | cut -f1) MiB), best of $rounds, to /dev/null"
for k in dump-text dump-jsonl csv chrome-json perfetto; do
	set -- ${T[$k]}
	awk -v k="$k" -v t="$1" -v w="$2" -v n="$n" -v d="${T[dump-text]% *}" -v j="${T[dump-jsonl]% *}" \
		'BEGIN { if (t <= 0) t = 0.01; printf "%-12s cpu %6.2f s (wall %6.2f)  %6.2f M records/s  x%.2f vs dump text  x%.2f vs dump jsonl\n", k, t, w, n / t / 1e6, d / t, j / t }'
done
