#!/usr/bin/env bash
# Attach to a running multi-threaded STATIC program in the middle of its run,
# trace, detach (SIGINT to the tracer, as Ctrl-C does): the program must
# finish with output identical to an untraced run, the trace must hold
# accesses of several threads with the values the program wrote, and no
# access may be traced after the detach.
set -u
B=${BUILD:-build}
run=$B/tests/ptrace/pt-run prog=$B/tests/ptrace/pt-threads
for f in "$run" "$prog"; do
	[ -x "$f" ] || { echo "missing $f (make BUILD=$B)"; exit 99; }
done
if ! "$run" -N -- /bin/true 2>/dev/null; then
	echo "SKIP: ptrace is not permitted here"; exit 77
fi
w=$(mktemp -d /tmp/mt-ptatt.XXXXXX)
dev=/dev/shm/mt-ptatt-$$
N=4 IT=4000
"$prog" $dev $N $IT >"$w/plain.out" || { echo "untraced run failed"; exit 1; }
"$prog" $dev $N $IT "$w/ready" >"$w/prog.out" &
pid=$!
for i in $(seq 100); do [ -e "$w/ready" ] && break; sleep 0.05; done
sleep 0.1 # some threads exist, more start while we are attached
"$run" -s -t '/dev/shm/mt-ptatt-*' -o "$w/trace" -p $pid 2>"$w/err" &
tracer=$!
sleep 1.0
kill -INT $tracer
wait $tracer; trc=$?
wait $pid; prc=$?
echo "tracer: $(cat "$w/err")"
[ $trc -eq 0 ] || { echo "tracer failed ($trc)"; exit 1; }
[ $prc -eq 0 ] || { echo "program failed ($prc) after attach/detach:"; cat "$w/prog.out"; exit 1; }
if ! cmp -s "$w/plain.out" "$w/prog.out"; then
	echo "program output differs after attach/detach:"; diff "$w/plain.out" "$w/prog.out"; exit 1
fi
grep -q "^MAP $dev 0x1000" "$w/trace" || { echo "no MAP record"; head "$w/trace"; exit 1; }
nacc=$(grep -cE '^[RW] 8 ' "$w/trace")
nthr=$(grep -E '^W 8 ' "$w/trace" | awk '{print $3}' | sort -u | wc -l)
echo "traced $nacc accesses on $nthr thread slots"
[ "$nacc" -ge 100 ] || { echo "too few accesses traced"; exit 1; }
[ "$nthr" -ge 2 ] || { echo "accesses of fewer than 2 threads"; exit 1; }
# every read returns what the same slot's last write stored
awk '$1=="W"{last[$3]=$4} $1=="R"{ if (!($3 in last)) next; if (last[$3]!=$4) {print "bad read " $0 " after " last[$3]; bad++} }
     END{exit bad?1:0}' "$w/trace" || exit 1
# a write k is followed by k+1 on the same slot (nothing lost while attached)
awk 'function hex(s,  i,v,c){v=0; s=tolower(substr(s,3)); for(i=1;i<=length(s);i++){c=index("0123456789abcdef",substr(s,i,1))-1; v=v*16+c}; return v}
     $1=="W"{v=hex($4); if (($3 in lw) && v!=lw[$3]+1) {print "gap on " $3 ": " lw[$3] " -> " v; bad++} lw[$3]=v}
     END{exit bad?1:0}' "$w/trace" || exit 1
rm -rf "$w"
