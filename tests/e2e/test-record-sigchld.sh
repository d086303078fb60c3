#!/bin/bash
# `mmiotap record` started with SIGCHLD ignored (exec keeps an ignored
# signal: `nohup`-like launchers, Python's subprocess after signal.SIG_IGN):
# the kernel would reap the program behind the recorder's back and the
# recording never ended. It ends with the program's exit status, the trace
# holds its accesses, and the program still finds SIGCHLD ignored, as it
# would untraced. Preload and ptrace.
. tests/e2e/lib.sh
cat >"$W/ign.py" <<'PY'
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execvp(sys.argv[1], sys.argv[1:])
PY
# the demo built here, plain (an ASan program fails its leak check under ptrace)
demo=$W/mmio_demo
cc $CFLAGS_E2E -O1 -o "$demo" examples/mmio_demo.c || fail "build mmio_demo"
for mode in preload ptrace; do
	opt=
	[ $mode = ptrace ] && opt=--ptrace
	timeout 60 python3 "$W/ign.py" "$M" record -q $opt -o "$W/$mode.trace" \
		-t '/memfd:mmiotap-demo*' -- "$demo" >"$W/out" 2>&1
	rc=$?
	[ $rc = 124 ] && fail "$mode: the recording hung with SIGCHLD ignored"
	[ $rc = 0 ] || fail "$mode: exit $rc: $(cat "$W/out")"
	n=$("$M" dump "$W/$mode.trace" | grep -c '^[RW] ')
	[ "$n" -gt 0 ] || fail "$mode: no accesses recorded"
	echo "ok: $mode ($n accesses)"
done
# what the program inherits: SIGCHLD still ignored (SigIgn bit 17)
for opt in "" --ptrace; do
	timeout 60 python3 "$W/ign.py" "$M" record -q $opt -o "$W/sh.trace" -- \
		grep ^SigIgn: /proc/self/status >"$W/out" 2>&1 || fail "grep $opt: $(cat "$W/out")"
	ign=$(awk '/^SigIgn:/ { print $2 }' "$W/out")
	[ $(( 0x$ign & 0x10000 )) != 0 ] ||
		fail "record $opt: the program lost its ignored SIGCHLD (SigIgn $ign)"
done
pass "record with SIGCHLD ignored ends; the program keeps it ignored"
