#!/bin/bash
# mmiotap diff on mmiotrace text traces: equal traces (different map ids,
# times, pcs) exit 0; a changed value, a missing poll: exit 1, diff -u
# hunks, first divergence, summary; --collapse-polls, --ignore,
# --ignore-value, --compare pc; bad input exits 2. Two recordings of the
# same program (the real recorder) are equal.
. tests/e2e/lib.sh
cat >"$W/a" <<'X'
VERSION 20070824
MAP 0.000001 1 0xfea00000 0x7f0000000000 0x1000 0x401136 42
EXT src=pci pci=0000:00:03.0 bar=0 foff=0x0 path=/sys/bus/pci/devices/0000:00:03.0/resource0
MAP 0.000001 2 0xfeb00000 0x7f0000010000 0x1000 0x401136 42
EXT src=file foff=0xfeb00000 path=/dev/mem
R 4 0.000002 1 0xfea00000 0x12345678 0x401150 42
W 4 0.000003 1 0xfea00004 0x1 0x401150 42
R 4 0.000004 1 0xfea00008 0x0 0x401150 42
R 4 0.000005 1 0xfea00008 0x0 0x401150 42
R 4 0.000006 1 0xfea00008 0x1 0x401150 42
W 4 0.000007 1 0xfea0000c 0x5 0x401150 42
R 4 0.000008 2 0xfeb00010 0x77 0x401150 42
W 4 0.000009 1 0xfea00010 0x6 0x401150 42
X
# B: other map ids, times and pcs, one poll fewer, 0xc written 7
sed -e '/^R 4 0.000004 /d' -e 's/^MAP 0.000001 1 /MAP 0.500000 7 /' \
	-e 's/^\([RW] 4\) [0-9.]* 1 /\1 1.500000 7 /' -e 's/0x401150/0x501150/' \
	-e 's/0xfea0000c 0x5/0xfea0000c 0x7/' "$W/a" >"$W/b"
sed -e 's/^MAP 0.000001 1 /MAP 0.500000 7 /' -e 's/^\([RW] 4\) [0-9.]* 1 /\1 1.500000 7 /' -e 's/0x401150/0x501150/' "$W/a" >"$W/a2"

"$M" diff "$W/a" "$W/a2" >"$W/o" || { cat "$W/o"; fail "equal traces: exit $?"; }
grep -q '^summary: A 8 accesses, B 8; same$' "$W/o" || fail "equal: $(cat "$W/o")"
"$M" diff --compare pc "$W/a" "$W/a2" >"$W/o" && fail "--compare pc: pcs differ"
echo "ok: equal"

"$M" diff -U 1 "$W/a" "$W/b" >"$W/o"
[ $? = 1 ] || fail "different: exit status"
cat >"$W/want" <<X
--- $W/a
+++ $W/b
@@ -3,5 +3,4 @@
 R 4 0000:00:03.0 BAR0 0x8 0x00000000  #seq 4
-R 4 0000:00:03.0 BAR0 0x8 0x00000000  #seq 5
 R 4 0000:00:03.0 BAR0 0x8 0x00000001  #seq 6
-W 4 0000:00:03.0 BAR0 0xc 0x00000005  #seq 7
+W 4 0000:00:03.0 BAR0 0xc 0x00000007  #seq 6
 R 4 mem 0xfeb00010 0x00000077  #seq 8
first divergence: access 4 of A, 4 of B
  A: R 4 0000:00:03.0 BAR0 0x8 0x00000000  #seq 5
  B: (nothing)
summary: A 8 accesses, B 7; 2 only in A, 1 only in B, 2 changes
X
diff -u "$W/want" "$W/o" || fail "diff -u output"
echo "ok: different"

"$M" diff -q -p "$W/a" "$W/b" >"$W/o"; [ $? = 1 ] || fail "-p: still the value"
grep -q '^summary: A 7 accesses, B 7; 1 only in A, 1 only in B' "$W/o" || fail "-p: $(cat "$W/o")"
"$M" diff -q -p --ignore-value 0:0xc "$W/a" "$W/b" >/dev/null || fail "--ignore-value 0:0xc"
"$M" diff -q -p --ignore 0xc "$W/a" "$W/b" >/dev/null || fail "--ignore 0xc"
"$M" diff -q -p --ignore 1:0xc "$W/a" "$W/b" >/dev/null && fail "--ignore 1:0xc is another BAR"
"$M" diff -q --ignore 0xfeb00010 -p -v 0xc "$W/a" "$W/b" >"$W/o" || fail "/dev/mem address"
grep -q 'A 6 accesses' "$W/o" || fail "--ignore of a /dev/mem address"
echo "ok: filters"

"$M" diff "$W/a" "$W/nonexistent" 2>/dev/null; [ $? = 2 ] || fail "missing file: want 2"
printf '\x89MMIOTAP\x04\x03\x02\x01junk' >"$W/j"
"$M" diff "$W/a" "$W/j" 2>"$W/e"; [ $? = 2 ] || fail "bad trace: want 2"
"$M" diff --ignore NAME "$W/a" "$W/b" 2>/dev/null; [ $? = 2 ] || fail "unknown name: want 2"
"$M" diff "$W/a" 2>/dev/null; [ $? = 2 ] || fail "one file: want 2"
head -c 100 "$W/a" | "$M" diff - "$W/b" 2>/dev/null; [ $? = 2 ] || fail "pipe: want 2"
echo "ok: trouble"

demo=$BUILD/examples/mmio_demo
for i in 1 2; do
	"$M" record -q -o "$W/demo$i.trace" -t '/memfd:mmiotap-demo*' -- "$demo" >/dev/null ||
		fail "record $i"
done
"$M" diff "$W/demo1.trace" "$W/demo2.trace" >"$W/o" || { cat "$W/o"; fail "two recordings differ"; }
echo "ok: two recordings"
pass "diff"
