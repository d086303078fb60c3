#!/bin/bash
# The README example, exit status and fatal signal pass-through, --inject,
# output failure (disk full), UNKNOWN instructions executed by
# single-stepping, the libmmiotap probe example.
. tests/e2e/lib.sh
demo=$BUILD/examples/mmio_demo
[ -x "$demo" ] || fail "$demo not built"

# 1. the README example
"$M" record -o "$W/demo.trace" -t '/memfd:mmiotap-demo*' -- "$demo" >"$W/demo.out" 2>"$W/demo.err" ||
	fail "demo under record: exit $?"
grep -q 'records written' "$W/demo.err" || fail "no summary line"
rw "$W/demo.trace" >"$W/demo.rw"
cat >"$W/demo.want" <<'X'
R 4 0x0 0x1234abcd
W 4 0x4 0x1
W 4 0x8 0x80
R 4 0x8 0x80
W 8 0x10 0x1122334455667788
R 1 0x4 0x1
W 1 0x4 0x3
X
diff -u "$W/demo.want" "$W/demo.rw" || fail "demo trace"
"$M" dump "$W/demo.trace" | grep -q '^MAP .*' || fail "no MAP line"
"$M" dump "$W/demo.trace" | grep -q 'path=/memfd:mmiotap-demo' || fail "MAP does not name the file"
"$M" dump "$W/demo.trace" | grep -q '^UNMAP ' || fail "no UNMAP line"
echo "ok: demo"

# 2. exit status and fatal signals
"$M" record -q -o "$W/x.trace" -- sh -c 'exit 7'
[ $? = 7 ] || fail "exit status not passed through"
"$M" record -q -o "$W/x.trace" -- sh -c 'kill -TERM $$'
rc=$?
[ $rc = $((128 + 15)) ] || fail "SIGTERM not re-raised (status $rc)"
"$M" record -q -o "$W/x.trace" -- /nonexistent/prog 2>"$W/x.err"
[ $? = 127 ] || fail "missing program: want 127"
grep -q 'cannot run' "$W/x.err" || fail "missing program: no message"
echo "ok: status"

# 3. injection: a read value replaced, a write dropped, both marked
"$M" record -q -o "$W/inj.trace" -t '/memfd:mmiotap-demo*' \
	-i 'file=/memfd:mmiotap-demo*,off=0x8,dir=r,value=0x42' -i 'off=0x10,dir=w,drop' \
	-- "$demo" >"$W/inj.out" && fail "demo should notice the injected status"
grep -q 'status 0x42' "$W/inj.out" || fail "injected value not seen by the program"
"$M" dump "$W/inj.trace" >"$W/inj.dump"
grep -A1 '^R 4 .* 0x8 0x42 ' "$W/inj.dump" | grep -q 'flags=injected orig=0x80' ||
	fail "injected read not marked"
grep -A1 '^W 8 .* 0x10 0x1122334455667788 ' "$W/inj.dump" |
	grep -q 'flags=injected,dropped orig=0x1122334455667788' || fail "dropped write not marked"
# a rule that leaves the value as it is flags nothing; a delay flags only that
"$M" record -q -o "$W/inj2.trace" -t '/memfd:mmiotap-demo*' \
	-i 'off=0x0,dir=r,or=0,delay=1us' -i 'off=0x4,dir=w,and=0xffffffff' \
	-- "$demo" >"$W/inj2.out" || fail "demo with no-op rules"
"$M" dump "$W/inj2.trace" >"$W/inj2.dump"
grep -A1 '^R 4 .* 0x0 0x1234abcd ' "$W/inj2.dump" | grep -qx 'EXT flags=delayed' ||
	fail "delayed read not marked delayed (alone)"
grep -A1 '^W 4 .* 0x4 0x1 ' "$W/inj2.dump" | grep -q '^EXT' && fail "unchanged write marked"
"$M" record -q -o "$W/inj.trace" -i 'nonsense' -- true 2>"$W/inj.err" && fail "bad rule accepted"
grep -q 'inject' "$W/inj.err" || fail "bad rule: no message"
echo "ok: inject"

# 4. output failure: the program keeps running, the loss is reported
"$M" record -o /dev/full -t '/memfd:mmiotap-demo*' -- "$demo" >"$W/full.out" 2>"$W/full.err" ||
	fail "program failed when the output failed"
grep -q 'id 0x1234abcd' "$W/full.out" || fail "program output with /dev/full"
grep -qi 'lost' "$W/full.err" || { cat "$W/full.err"; fail "no loss message"; }
echo "ok: disk full: $(tail -n1 "$W/full.err")"

# 5. an instruction the core does not emulate
gcc -O2 $CFLAGS_E2E -o "$W/unk" tests/e2e/e2e_unknown.c || fail build
"$M" record -q -o "$W/unk.trace" -t '/memfd:mt-e2e*' -- "$W/unk" >"$W/unk.out" ||
	fail "fxsave program failed under record"
"$M" dump "$W/unk.trace" >"$W/unk.dump"
[ "$(grep -c '^UNKNOWN ' "$W/unk.dump")" -ge 2 ] || fail "fxsave/fxrstor not recorded as UNKNOWN"
[ "$(grep -A1 '^UNKNOWN ' "$W/unk.dump" | grep -c '^EXT flags=stepped')" -ge 2 ] ||
	fail "the UNKNOWN records do not say they were single-stepped (EXT flags=stepped)"
rw "$W/unk.trace" | grep -q '^W 4 0x4 0xbb$' || fail "access after UNKNOWN not traced"
echo "ok: unknown"

# 6. libmmiotap probes
"$BUILD/examples/probe_demo" || fail "probe_demo"
pass "misc"
