#!/bin/bash
# 8 threads x 100,000 traced accesses (lock xadd on one shared counter):
# 0 lost, 0 out of order, all values right.
. tests/e2e/lib.sh
T=${E2E_THREADS:-8} N=${E2E_ACCESSES:-100000}
gcc -O2 $CFLAGS_E2E -pthread -o "$W/thr" tests/e2e/e2e_threads.c || fail build
"$M" record -q -t '/memfd:mt-e2e*' -o "$W/t.trace" -- "$W/thr" "$T" "$N" >"$W/out" ||
	fail "program saw wrong values: $(cat "$W/out")"
cat "$W/out"
"$M" dump "$W/t.trace" | awk -v want=$((T * N)) -v nthr="$T" '
	function hex(s,   i, v) { s = tolower(substr(s, 3)); v = 0
		for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
		return v }
	$1 == "LOST" { print "LOST record:", $0; bad = 1 }
	$1 == "R" {
		r++; v = hex($6)
		if (v != r - 1) { if (bad < 5) print "read", r, "returned", v, "want", r - 1; bad++ }
		pend = v; pendpid = $NF; havepend = 1
	}
	$1 == "W" {
		w++; v = hex($6)
		if (!havepend || v != pend + 1) { if (bad < 5) print "write", w, "value", v, "not read+1"; bad++ }
		havepend = 0
	}
	END {
		printf "records: %d reads, %d writes (want %d total)\n", r, w, want
		if (r + w != want) bad++
		exit bad ? 1 : 0
	}' || fail "trace has lost or reordered records"
# every thread is in the trace
tids=$("$M" dump "$W/t.trace" | awk '$1=="CTX"{print $3}' | sort -u | wc -l)
[ "$tids" -ge "$T" ] || fail "only $tids threads seen in CTX lines, want $T"
pass "$T threads x $N accesses, 0 lost, 0 out of order"
