#!/bin/bash
# fork (child traced), exec with a cleaned environment (still traced),
# mremap/mprotect/munmap of a traced mapping, markers from the program and
# from `mmiotap mark`.
. tests/e2e/lib.sh
gcc -O2 $CFLAGS_E2E -o "$W/fe" tests/e2e/e2e_forkexec.c -ldl || fail build
MT_MMIOTAP=$M "$M" record -q -t '/memfd:mt-e2e*' -o "$W/t.trace" -- "$W/fe" >"$W/exp" ||
	fail "program failed (exit $?)"
sort "$W/exp" >"$W/exp.s"
"$M" dump "$W/t.trace" >"$W/dump"
awk '$1=="R"||$1=="W"{print $1, $2, $5, $6} $1=="MARK"{$2=""; sub(/^MARK  /, "MARK "); print}' "$W/dump" |
	sort >"$W/act.s"
diff -u "$W/exp.s" "$W/act.s" || fail "trace differs"
npid=$(awk '$1=="R"||$1=="W"{print $NF}' "$W/dump" | sort -u | wc -l)
[ "$npid" = 2 ] || fail "want accesses from 2 processes (parent+exec, child), got $npid"
nmap=$(grep -c '^MAP ' "$W/dump")
[ "$nmap" = 3 ] || fail "want 3 MAP records (first, after mremap, after exec), got $nmap"
pass "fork, exec, mremap, mprotect, munmap, marks"
