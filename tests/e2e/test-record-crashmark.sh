#!/bin/bash
# test-record-crashmark.sh - a program dying of SIGSEGV under record gets a
# "mmiotap: fatal SIGSEGV" MARK (runtime/preload/crashmark.c); and the
# thread that dies does not wait for ever for the order lock when its
# holder waits for that thread (fork() holding it while a prepare handler
# waits for a lock the dying thread holds): it dies, it does not hang.
# Also objects.c's OBJECT events and fork (the loader's lock).
. tests/e2e/lib.sh
cc $CFLAGS_E2E -O1 -fPIC -shared -o "$W/libcrashfork.so" tests/e2e/e2e_crashfork.c -pthread ||
	fail "build lib"
cc $CFLAGS_E2E -O1 -o "$W/prog" tests/e2e/e2e_crashmark.c -L"$W" -lcrashfork -Wl,-rpath,"$W" \
	-pthread || fail "build prog"

"$M" record -o "$W/p.trace" -- "$W/prog" >/dev/null 2>"$W/p.err"
"$M" dump "$W/p.trace" | grep -q 'mmiotap: fatal SIGSEGV addr=0x0 pc=0x.* at .*/prog+0x' ||
	{ "$M" dump "$W/p.trace" | grep -i mark; fail "no crash MARK"; }
echo "ok: crash MARK names the object and offset"

timeout -k 5 20 "$M" record -o "$W/f.trace" -- "$W/prog" fork >/dev/null 2>"$W/f.err"
rc=$?
[ $rc = 124 ] || [ $rc = 137 ] && fail "the dying thread hung waiting for the order lock"
grep -q 'SIGSEGV\|signal 11\|Segmentation' "$W/f.err" || { cat "$W/f.err"; echo "(rc $rc)"; }
echo "ok: a crash while fork() holds the order lock dies, does not hang (rc $rc)"

# the OBJECT events (objects.c) do not wait for the order lock inside
# dl_iterate_phdr: the loader's write lock was held across a fork into the
# child (glibc does not reset it there), and the child's dlopen hung
cc $CFLAGS_E2E -O1 -o "$W/objfork" tests/e2e/e2e_objfork.c -L"$W" -lcrashfork -Wl,-rpath,"$W" \
	-pthread -ldl || fail "build objfork"
timeout -k 5 20 "$M" record -q -o "$W/o.trace" -t '/memfd:mmiotap-objfork*' -- "$W/objfork" \
	>"$W/o.out" 2>"$W/o.err"
rc=$?
[ $rc = 124 ] || [ $rc = 137 ] && fail "hung: the forked child's dlopen waited for the loader's lock"
grep -q '^child ok$' "$W/o.out" || { cat "$W/o.out" "$W/o.err"; fail "objfork: rc $rc"; }
echo "ok: a fork while objects are looked at leaves the loader's lock free in the child"
pass "crash marks, objects and fork"
