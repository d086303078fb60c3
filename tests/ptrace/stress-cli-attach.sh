#!/usr/bin/env bash
# Stress loop (not part of `make check`): repeat the `record --pid` + mark +
# `mmiotap stop` phase of test-cli.sh N times and count failures by kind.
#   BUILD=build tests/ptrace/stress-cli-attach.sh [N] [LOAD]
# LOAD > 0 runs that many `yes >/dev/null` beside it to perturb timing.
# Failed runs keep their work directory (printed).
set -u
B=$(realpath "${BUILD:-build}")
N=${1:-50} LOAD=${2:-0}
M=$B/mmiotap thr=$B/tests/ptrace/pt-threads
for f in "$M" "$thr"; do
	[ -x "$f" ] || { echo "missing $f (make BUILD=$B)"; exit 99; }
done
loadpids=()
for ((l = 0; l < LOAD; l++)); do yes >/dev/null & loadpids+=($!); done
trap '[ ${#loadpids[@]} -gt 0 ] && kill "${loadpids[@]}" 2>/dev/null' EXIT
ulimit -c unlimited
base=$(mktemp -d /tmp/mt-ptstress.XXXXXX)
dev=/dev/shm/mt-ptstress-$$
"$thr" $dev 3 4000 >"$base/plain" || { echo "untraced run failed"; exit 1; }
nfail=0
for ((i = 1; i <= N; i++)); do
	w=$base/$i
	mkdir -p "$w"
	cd "$w" || exit 99
	"$thr" $dev 3 4000 "$w/ready" >"$w/thr.out" 2>"$w/thr.err" &
	tpid=$!
	for j in $(seq 100); do [ -e "$w/ready" ] && break; sleep 0.05; done
	"$M" record -q --pid $tpid -o "$w/att.trace" -t '/dev/shm/mt-ptstress-*' 2>"$w/att.err" &
	rpid=$!
	sleep 0.5
	why=
	"$M" mark -p $rpid "hello" 2>"$w/mark.err" || why="$why mark"
	sleep 0.3
	"$M" stop $tpid 2>"$w/stop.err" || why="$why stop"
	wait $rpid; rrc=$?
	wait $tpid; trc=$?
	[ $rrc -eq 0 ] || why="$why record=$rrc"
	[ $trc -eq 0 ] || why="$why program=$trc"
	cmp -s "$w/thr.out" "$base/plain" || why="$why output"
	cd "$base" || exit 99
	if [ -n "$why" ]; then
		nfail=$((nfail + 1))
		echo "run $i FAILED:$why (kept $w)"
	else
		rm -rf "$w"
	fi
done
echo "$nfail of $N runs failed"
[ $nfail -eq 0 ] && rm -rf "$base"
[ $nfail -eq 0 ]
