#!/usr/bin/env bash
# record --ptrace follows fork and exec: a shell (dynamic) forks two STATIC
# pt-families processes that run at the same time; each one's accesses
# (grouped by map id) must equal what it expects, with its own PID.
set -u
B=${BUILD:-build}
M=$B/mmiotap fam=$B/tests/ptrace/pt-families
for f in "$M" "$fam"; do
	[ -x "$f" ] || { echo "missing $f (make BUILD=$B)"; exit 99; }
done
if ! $B/tests/ptrace/pt-run -N -- /bin/true 2>/dev/null; then
	echo "SKIP: ptrace is not permitted here"; exit 77
fi
w=$(mktemp -d /tmp/mt-ptfe.XXXXXX)
fail() { echo "FAIL: $*"; exit 1; }
d1=/dev/shm/mt-ptfe-$$-a d2=/dev/shm/mt-ptfe-$$-b
timeout 60 $M record -q --ptrace -o "$w/t.mt" -t '/dev/shm/mt-ptfe-*' -- \
	/bin/sh -c "$fam $d1 >$w/a.out & $fam $d2 >$w/b.out; wait" || fail "record"
for x in a b; do grep -q 'all checks passed' "$w/$x.out" || { cat "$w/$x.out"; fail "program $x"; }; done
grep '^EXPECT ' "$w/a.out" | awk '{v=$5; if ($3 > 8) { r=""; for (i=length(v)-1; i>=1; i-=2) r=r substr(v,i,2); v="0x" r }
	o=$4; sub(/^\+/,"",o); print $2, $3, o, v}' >"$w/expect"
$M dump "$w/t.mt" >"$w/t.txt" || fail "dump"
ids=$(awk '$1=="MAP"{print $3}' "$w/t.txt" | sort -u)
[ "$(echo "$ids" | wc -w)" = 2 ] || { grep -v '^[RW] ' "$w/t.txt"; fail "want 2 maps"; }
pids=""
for id in $ids; do
	awk -v id=$id '($1=="R"||$1=="W") && $4==id {print $1, $2, $5, $6}' "$w/t.txt" >"$w/got.$id"
	diff "$w/expect" "$w/got.$id" >"$w/diff.$id" || { head "$w/diff.$id"; fail "map $id differs"; }
	pids="$pids $(awk -v id=$id '($1=="R"||$1=="W") && $4==id {print $8}' "$w/t.txt" | sort -u)"
done
[ "$(echo $pids | wc -w)" = 2 ] && [ "$(echo $pids | tr ' ' '\n' | sort -u | wc -l)" = 2 ] ||
	fail "want two distinct PIDs, have:$pids"
echo "fork+exec: 2 static processes, $(wc -l <"$w/expect") accesses each as expected, pids$pids"
rm -rf "$w"
