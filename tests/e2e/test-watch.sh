#!/bin/bash
# test-watch.sh - `mmiotap watch` (preload backend): 64 watched objects (61
# globals by symbol, one object of a dlopen'ed library by symbol, a heap
# block and the main thread's TLS variable through the library API), 8
# threads. Every access is in the trace,
# checked against the program's own account (count per object, values in
# order), the program's output is the untraced one, silent accesses to the
# same pages are counted; refusals and bad arguments give clear errors.
. tests/e2e/lib.sh
cc $CFLAGS_E2E -O2 -fPIC -shared -o "$W/libwatchdl.so" tests/e2e/e2e_watchdl.c || fail "build lib"
cc $CFLAGS_E2E -O2 -o "$W/prog" tests/e2e/e2e_watch.c -pthread -ldl || fail "build prog"

WHATS=
for i in $(seq 0 60); do WHATS="$WHATS wv$i"; done
"$W/prog" "$W/libwatchdl.so" >"$W/plain.out" || fail "untraced run"
"$M" watch -o "$W/t.trace" $WHATS dl_counter -- "$W/prog" "$W/libwatchdl.so" \
	>"$W/watch.out" 2>"$W/watch.err" || { cat "$W/watch.err"; fail "watched run"; }
cmp -s "$W/plain.out" "$W/watch.out" || fail "output differs from the untraced run"
echo "ok: output identical to the untraced run"
"$M" dump "$W/t.trace" >"$W/t.txt" || fail "dump"
[ "$(grep -c '^EXT src=watch path=' "$W/t.txt")" = 64 ] || fail "want 64 watch MAPs"
echo "ok: 64 watched objects (globals, dlopen'ed library, heap, TLS)"

# Per object, from the trace: loads, stores, and whether the values go
# 0,1,2... (loads) and 1,2,3... (stores) in sequence order.
awk '
function hex(s,   i, n) { n = 0; s = tolower(substr(s, 3)); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }
$1 == "R" || $1 == "W" { k = $1; v = $6; next_ext = 1; next }
next_ext && /^EXT / {
	next_ext = 0
	if (!match($0, /var=[^ ]*/)) next
	s = substr($0, RSTART + 4, RLENGTH - 4); sub(/\+0x0$/, "", s)
	val = hex(v)
	if (k == "R") { if (val != nr[s] && !(nr[s] == nw[s] && val == nw[s])) bad[s] = "load " val; nr[s]++ }
	else { nw[s]++; if (val != nw[s]) bad[s] = "store " val }
	seen[s] = 1; next
}
{ next_ext = 0 }
END { for (s in seen) print "obj", s, "reads", nr[s], "writes", nw[s], (s in bad) ? "BAD " bad[s] : "" }
' "$W/t.txt" | sort >"$W/trace.acc"
grep '^obj' "$W/watch.out" | awk '{ print $1, $2, $3, $4, $5, $6, "" }' | sort >"$W/prog.acc"
diff "$W/prog.acc" "$W/trace.acc" >"$W/acc.diff" || { head "$W/acc.diff"; fail "trace and program's account differ"; }
echo "ok: every access of the 64 objects recorded, values in order"
ntid=$(awk '$1 == "CTX" { print $3 }' "$W/t.txt" | sort -u | wc -l)
[ "$ntid" -ge 9 ] || fail "accesses from $ntid threads, want 9"
echo "ok: accesses of $ntid threads"
silent=$(sed -n 's/^mmiotap watch: \([0-9]*\) access.*/\1/p' "$W/watch.err")
[ -n "$silent" ] && [ "$silent" -ge 100 ] || fail "silent accesses: '$silent', want >= 100"
echo "ok: $silent silent accesses reported"
"$M" dump "$W/t.txt" >"$W/t2.txt" && cmp -s "$W/t.txt" "$W/t2.txt" || fail "text does not read back"
echo "ok: the text reads back"

# --write: stores only
"$M" watch -q -w -o "$W/w.trace" wv5 -- "$W/prog" "$W/libwatchdl.so" >/dev/null 2>&1 || fail "--write run"
"$M" dump "$W/w.trace" >"$W/w.txt"
nw=$(grep -A1 '^W ' "$W/w.txt" | grep -c 'var=wv5+')
nr=$(grep -A1 '^R ' "$W/w.txt" | grep -c 'var=wv5+')
[ "$nw" = 50 ] && [ "$nr" = 0 ] || fail "--write: $nw stores, $nr loads of wv5; want 50, 0"
echo "ok: --write records the 50 stores only"

# --stop without a debugger: the first watched store raises SIGTRAP after
# it completed (recorded); the program dies of it as of an int3
"$M" watch -q --stop -o "$W/s.trace" wv7 -- "$W/prog" "$W/libwatchdl.so" >/dev/null 2>&1
st=$?
[ "$st" = $((128 + 5)) ] || fail "--stop: exit status $st, want 133 (SIGTRAP)"
"$M" dump "$W/s.trace" | grep -A1 '^[RW] ' | grep -q 'var=wv7+0x0' || fail "--stop: the access before the trap is not recorded"
echo "ok: --stop raises SIGTRAP after the watched access"

# dlopen by RUNPATH while no symbol is pending: the program stays dlopen's
# caller (runtime/preload/watch.c's dlopen is a bare jump then)
cc $CFLAGS_E2E -O2 -o "$W/prog-rp" tests/e2e/e2e_watch.c -pthread -ldl -Wl,-rpath,"$W" || fail "build prog-rp"
"$M" watch -q -o "$W/rp.trace" wv0 -- "$W/prog-rp" >"$W/rp.out" 2>"$W/rp.err" || { cat "$W/rp.err"; fail "dlopen by RUNPATH under watch"; }
echo "ok: dlopen by the program's RUNPATH works under watch"

# dlopen from a library's constructor, which runs before the runtime's own
# (mt_init): by that library's RUNPATH, so it must stay dlopen's caller too
mkdir -p "$W/ctorplug"
echo 'int plug_val(void) { return 42; }' >"$W/plug.c"
cat >"$W/ctorlib.c" <<'CEOF'
#include <dlfcn.h>
int ctor_ok;
__attribute__((constructor)) static void c(void) { ctor_ok = dlopen("libplug.so", RTLD_NOW) != 0; }
CEOF
echo 'extern int ctor_ok; int main(void) { return !ctor_ok; }' >"$W/ctormain.c"
cc $CFLAGS_E2E -fPIC -shared -o "$W/ctorplug/libplug.so" "$W/plug.c" &&
	cc $CFLAGS_E2E -fPIC -shared -o "$W/libctorlib.so" "$W/ctorlib.c" -ldl -Wl,-rpath,'$ORIGIN/ctorplug' &&
	cc $CFLAGS_E2E -o "$W/ctormain" "$W/ctormain.c" -L"$W" -lctorlib -Wl,-rpath,"$W" || fail "build ctor dlopen"
"$W/ctormain" || fail "ctor dlopen: untraced run"
"$M" record -o "$W/ctor.trace" -- "$W/ctormain" >/dev/null 2>"$W/ctor.err" || { cat "$W/ctor.err"; fail "a library constructor's dlopen by its RUNPATH fails under record"; }
echo "ok: dlopen by a library's RUNPATH from its constructor works under record"

# an object whose page was unmapped is watched no more (its UNMAP), even
# when a later watch arms the page again at the same address
cc $CFLAGS_E2E -O1 -o "$W/reuse" tests/e2e/e2e_watchreuse.c -L"$BUILD" -lmmiotap \
	-Wl,-rpath,"$(cd "$BUILD" && pwd)" || fail "build reuse"
"$M" record -q --no-default-files -o "$W/ru.trace" -- "$W/reuse" >"$W/ru.out" 2>"$W/ru.err" ||
	{ cat "$W/ru.err"; fail "reuse run"; }
grep -q '^n=1$' "$W/ru.out" || { cat "$W/ru.out"; fail "reuse: the unmapped object is still listed"; }
"$M" dump "$W/ru.trace" | awk '$1 == "W" { v = $6 } /^EXT var=/ { print v, $2 } /^UNMAP/ { print "UNMAP" }' >"$W/ru.w"
[ "$(tr '\n' ' ' <"$W/ru.w")" = "0x1 var=old+0x0 UNMAP 0x3 var=new+0x0 " ] ||
	{ cat "$W/ru.w"; fail "reuse: want old's store, its UNMAP, new's store only"; }
echo "ok: an unmapped watched object is watched no more"

# a watched page unmapped behind the runtime's back (glibc's free) and
# mapped again: fork does not copy the stale page over the new memory
cc $CFLAGS_E2E -O1 -o "$W/stale" tests/e2e/e2e_watchstale.c -L"$BUILD" -lmmiotap \
	-Wl,-rpath,"$(cd "$BUILD" && pwd)" || fail "build stale"
"$M" record -q --no-default-files -o "$W/st.trace" -- "$W/stale" >"$W/st.out" 2>"$W/st.err" ||
	{ cat "$W/st.err"; fail "stale run"; }
if grep -q '^skip$' "$W/st.out"; then
	echo "skip: the freed block's address was not mapped again"
else
	[ "$(tr '\n' ' ' <"$W/st.out")" = "parent=D child=D " ] ||
		{ cat "$W/st.out"; fail "stale: the child got the freed block's page"; }
	echo "ok: a stale watch page is not copied over new memory at fork"
fi

# fork: the child's own copy, unwatched; the parent's stores recorded
"$M" watch -q -o "$W/f.trace" wv0 -- "$W/prog" fork >"$W/f.out" 2>"$W/f.err" || { cat "$W/f.err"; fail "fork run"; }
grep -q '^child 42$' "$W/f.out" && grep -q '^parent 1$' "$W/f.out" || { cat "$W/f.out"; fail "fork: the child's store reached the parent"; }
"$M" dump "$W/f.trace" | awk '$1 == "W" { printf "%s ", $6 } END { print "" }' >"$W/f.w"
[ "$(cat "$W/f.w")" = "0x1 0x2 " ] || fail "fork: recorded stores '$(cat "$W/f.w")', want the parent's 0x1 0x2"
echo "ok: fork: the child has its own copy and runs unwatched"

# refusals (library API, no recording)
LD_PRELOAD=$LIB "$W/prog" refuse >"$W/ref.out" 2>"$W/ref.err" || { cat "$W/ref.out" "$W/ref.err"; fail "refusals"; }
for why in "stack of a running thread (this one)" "stack of a running thread (another one)" \
	"alternate signal stack" "thread-local storage" "memory of libc"; do
	grep -q "$why" "$W/ref.err" || fail "no refusal message '$why'"
done
grep -q 'refuse bad-args rc -22' "$W/ref.out" || fail "zero length not -EINVAL"
grep -q 'watched-page-args rc 0 n 2 listed 1' "$W/ref.out" || fail "the API's arguments on a watched page"
echo "ok: the API's name and list buffer may be on a watched page"
echo "ok: stacks (this thread, another blocked one), sigaltstack, TLS, libc refused with a message"

# bad arguments
"$M" watch wv0:0 -- "$W/prog" 2>"$W/e1" && fail "zero length accepted"
grep -q 'bad length' "$W/e1" || fail "no message for a zero length"
"$M" watch -- "$W/prog" 2>"$W/e2" && fail "nothing to watch accepted"
grep -q 'nothing to watch' "$W/e2" || fail "no message for nothing to watch"
"$M" watch -q -o "$W/n.trace" no_such_symbol -- "$W/prog" "$W/libwatchdl.so" >/dev/null 2>"$W/e3" || fail "unknown symbol run"
grep -q 'no_such_symbol.*no such symbol' "$W/e3" || fail "no message for an unknown symbol"
echo "ok: bad arguments refused, unknown symbol reported"
pass "mmiotap watch"
