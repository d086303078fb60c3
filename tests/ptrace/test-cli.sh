#!/usr/bin/env bash
# `mmiotap record --ptrace` / `--pid`, `mmiotap mark`, `mmiotap stop`, and
# --inject through the ptrace backend, end to end with the real CLI and
# `mmiotap dump` (mmiotrace text).
set -u
B=${BUILD:-build}
M=$B/mmiotap fam=$B/tests/ptrace/pt-families thr=$B/tests/ptrace/pt-threads
for f in "$M" "$fam" "$thr"; do
	[ -x "$f" ] || { echo "missing $f (make BUILD=$B)"; exit 99; }
done
if ! $B/tests/ptrace/pt-run -N -- /bin/true 2>/dev/null; then
	echo "SKIP: ptrace is not permitted here"; exit 77
fi
w=$(mktemp -d /tmp/mt-ptcli.XXXXXX)
fail() { echo "FAIL: $*"; exit 1; }

# 1. every family, static program, through record --ptrace + dump
dev=/dev/shm/mt-ptcli-$$
timeout 60 $M record -q --ptrace -o "$w/fam.trace" -t '/dev/shm/mt-ptcli-*' -- $fam $dev >"$w/fam.out" ||
	{ cat "$w/fam.out"; fail "record --ptrace of pt-families"; }
grep -q 'all checks passed' "$w/fam.out" || fail "pt-families checks under record --ptrace"
# EXPECT lines -> "R|W WIDTH OFFSET VALUE" with wide values as dump prints
# them (a little-endian number)
grep '^EXPECT ' "$w/fam.out" | awk '{v=$5; if ($3 > 8) { r=""; for (i=length(v)-1; i>=1; i-=2) r=r substr(v,i,2); v="0x" r }
	o=$4; sub(/^\+/,"",o); print $2, $3, o, v}' >"$w/fam.expect"
$M dump "$w/fam.trace" >"$w/fam.txt" || fail "dump"
awk '$1=="R"||$1=="W" {print $1, $2, $5, $6}' "$w/fam.txt" >"$w/fam.got"
diff "$w/fam.expect" "$w/fam.got" >"$w/fam.diff" || { head -20 "$w/fam.diff"; fail "trace differs from expectations"; }
grep -q "^MAP .* 0x2000 " "$w/fam.txt" || fail "no MAP line"
pid=$(awk '$1=="R"{print $8; exit}' "$w/fam.txt")
[ -n "$pid" ] && [ "$pid" != 0 ] || fail "no PID in records"
# the CPU of each access (from /proc/TID/stat at the stop), never unknown
$M dump -f jsonl "$w/fam.trace" | grep -E '"kind":"(R|W)"' >"$w/fam.jsonl"
ncpu=$(grep -cE '"cpu":[0-9]+[,}]' "$w/fam.jsonl")
[ "$ncpu" = "$(wc -l <"$w/fam.jsonl")" ] && [ "$ncpu" -gt 0 ] ||
	fail "records without a CPU: $ncpu of $(wc -l <"$w/fam.jsonl") have one"
echo "record --ptrace: $(wc -l <"$w/fam.got") accesses equal the expectations, all with a CPU"

# 2. --inject: the program sees the injected value, the trace marks it
timeout 60 $M record -q --ptrace -o "$w/inj.trace" -t '/dev/shm/mt-ptcli-*' \
	--inject "file=/dev/shm/mt-ptcli-*,off=0x10,width=1,dir=r,xor=0x1" -- $fam $dev >"$w/inj.out"
grep -q 'movb load 0x72' "$w/inj.out" || { cat "$w/inj.out"; fail "injected value not seen by the program"; }
$M dump "$w/inj.trace" >"$w/inj.txt"
grep -qiE 'inject|ORIG' "$w/inj.txt" || { head "$w/inj.txt"; fail "injection not visible in the trace"; }
# a rule that leaves the value as it is: only the delay is marked
timeout 60 $M record -q --ptrace -o "$w/inj0.trace" -t '/dev/shm/mt-ptcli-*' \
	--inject "file=/dev/shm/mt-ptcli-*,off=0x10,width=1,dir=r,xor=0x0,delay=1us" -- $fam $dev >"$w/inj0.out"
$M dump "$w/inj0.trace" >"$w/inj0.txt"
grep -q 'flags=delayed$' "$w/inj0.txt" || { head "$w/inj0.txt"; fail "delayed access not marked"; }
grep -qE 'injected|orig=' "$w/inj0.txt" && fail "unchanged value marked injected"
echo "--inject: program saw 0x72 (0x73 xor 1), trace shows the injection; a no-op rule only its delay"

# 3. record --pid on a running multi-threaded program, mark, stop
"$thr" $dev 3 4000 "$w/ready" >"$w/thr.out" &
tpid=$!
for i in $(seq 100); do [ -e "$w/ready" ] && break; sleep 0.05; done
$M record -q --pid $tpid -o "$w/att.trace" -t '/dev/shm/mt-ptcli-*' 2>"$w/att.err" &
rpid=$!
sleep 0.5
$M mark -p $rpid "hello from the test" || fail "mmiotap mark"
sleep 0.3
$M stop $tpid 2>"$w/stop.err" || { cat "$w/stop.err"; fail "mmiotap stop"; }
wait $rpid; rrc=$?
wait $tpid; trc=$?
[ $rrc -eq 0 ] || { cat "$w/att.err"; fail "record --pid exit $rrc"; }
[ $trc -eq 0 ] || fail "program failed after stop"
"$thr" $dev 3 4000 >"$w/thr.plain"
cmp -s "$w/thr.out" "$w/thr.plain" || { diff "$w/thr.out" "$w/thr.plain"; fail "output differs after attach/stop"; }
$M dump "$w/att.trace" >"$w/att.txt"
grep -q '^MARK .*hello from the test' "$w/att.txt" || { grep -v '^[RW]' "$w/att.txt" | head; fail "no MARK"; }
n=$(grep -c '^[RW] 8 ' "$w/att.txt")
[ "$n" -ge 50 ] || fail "only $n accesses recorded while attached"
echo "record --pid + mark + stop: $n accesses, marker present, program output unchanged"
rm -rf "$w"
