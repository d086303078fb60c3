#!/bin/bash
# mmiotap diff with register databases (--db, regdb.index by PCI id): the
# real e1000 trace recorded in QEMU (tests/regdb/traces) against a copy
# with one ICR value changed: the hunk, the first divergence (decoded) and
# the context name the e1000 registers; --ignore/--ignore-value take names
# and globs (also after BAR:); a name without a database, a bad --db: exit 2;
# a name no access has: a warning.
. tests/e2e/lib.sh
T=tests/regdb/traces DB=regdb/db
"$M" dump "$T/e1000-attach.trace" >"$W/a" || fail "dump"
# B: the 3rd read of ICR (0xc0) reads 0x7 (TXDW | TXQE | LSC)
awk '$1 == "R" && $5 == "0xfeb400c0" && ++n == 3 { $6 = "0x7" } { print }' "$W/a" >"$W/b"
# its element number in diff's numbering, and its seq
at=$(awk '$1 ~ /^(R|W|UNKNOWN|MARK)$/ { k++ } $1 == "R" && $5 == "0xfeb400c0" && ++n == 3 { print k; exit }' "$W/a")
old=$(awk '$1 == "R" && $5 == "0xfeb400c0" && ++n == 3 { print $6; exit }' "$W/a")
[ -n "$at" ] && [ "$old" != 0x7 ] || fail "no third ICR read in the e1000 trace"

"$M" diff -U 1 --db "$DB/e1000.xml" "$W/a" "$W/b" >"$W/o"
[ $? = 1 ] || { cat "$W/o"; fail "one value changed: want exit 1"; }
grep -q "^@@ -$((at - 1)),3 +$((at - 1)),3 @@\$" "$W/o" || { cat "$W/o"; fail "hunk not at access $at"; }
grep -q "^-R 4 0000:00:04.0 BAR0 0xc0 0x0*${old#0x} ICR  #seq " "$W/o" || fail "- line: $(cat "$W/o")"
grep -q '^+R 4 0000:00:04.0 BAR0 0xc0 0x00000007 ICR  #seq ' "$W/o" || fail "+ line: $(cat "$W/o")"
grep -q "^first divergence: access $at of A, $at of B\$" "$W/o" || fail "first divergence: $(cat "$W/o")"
grep -q '^  B: R 4 0000:00:04.0 BAR0 0xc0 0x00000007 ICR => { TXDW | TXQE | LSC }  #seq ' "$W/o" ||
	fail "first divergence not decoded: $(cat "$W/o")"
[ "$(grep -c '^ [RW] 4 .* [A-Z][A-Z0-9_]*  #seq' "$W/o")" = 2 ] || fail "context lines unnamed: $(cat "$W/o")"
"$M" diff -U 1 "$W/a" "$W/b" | grep -q ' ICR ' && fail "names without a database"
echo "ok: e1000 registers named at the change (access $at)"

for sel in "--ignore ICR" "--ignore 0:ICR" "--ignore IC?" "--ignore-value ICR" "--ignore E1000.ICR" \
	"--ignore 0xc0" "--ignore 0:0xc0-0xc3"; do
	"$M" diff -q --db "$DB/e1000.xml" $sel "$W/a" "$W/b" >"$W/o" 2>"$W/e" ||
		fail "$sel: $(cat "$W/o" "$W/e")"
	[ ! -s "$W/e" ] || fail "$sel: $(cat "$W/e")"
done
"$M" diff -q --db "$DB/e1000.xml" --ignore 1:ICR "$W/a" "$W/b" >/dev/null 2>&1 && fail "--ignore 1:ICR is BAR 1"
"$M" diff -q --db "$DB/e1000.xml" --ignore STATUS "$W/a" "$W/b" >"$W/o"; [ $? = 1 ] || fail "--ignore STATUS hid ICR"
n_all=$(awk '$1 == "R" || $1 == "W"' "$W/a" | wc -l)
n_st=$(awk '($1 == "R" || $1 == "W") && $5 == "0xfeb40008"' "$W/a" | wc -l)
grep -q "^summary: A $((n_all - n_st)) accesses" "$W/o" || fail "--ignore STATUS dropped not $n_st: $(cat "$W/o")"
MMIOTAP_REGDB_PATH=$DB "$M" diff -q --db e1000,bar=0 --ignore ICR "$W/a" "$W/b" >/dev/null ||
	fail "--db NAME from MMIOTAP_REGDB_PATH"
echo "ok: --ignore / --ignore-value by name, glob, BAR:NAME, DOMAIN.NAME, offset, range"

# automatic binding by the PCI ids of the MAP (regdb.index), and --no-auto
sed '0,/^EXT src=pci/s//EXT src=pci pciid=8086:100e:1af4:1100:03:020000/' "$W/a" >"$W/ia"
sed '0,/^EXT src=pci/s//EXT src=pci pciid=8086:100e:1af4:1100:03:020000/' "$W/b" >"$W/ib"
MMIOTAP_REGDB_PATH=$DB "$M" diff -U 0 "$W/ia" "$W/ib" | grep -q '^+R 4 .* 0x00000007 ICR ' ||
	fail "regdb.index did not name the registers"
MMIOTAP_REGDB_PATH=$DB "$M" diff -U 0 --no-auto "$W/ia" "$W/ib" | grep -q ' ICR ' && fail "--no-auto named"
echo "ok: bound by PCI id (regdb.index)"

"$M" diff -q --ignore ICR "$W/a" "$W/b" 2>"$W/e"; [ $? = 2 ] || fail "a name without a database: want 2"
grep -q 'register names need a register database' "$W/e" || fail "message: $(cat "$W/e")"
"$M" diff -q --db "$DB/e1000.xml" --ignore NOSUCHREG "$W/a" "$W/b" >/dev/null 2>"$W/e"
[ $? = 1 ] || fail "unknown name: still the difference"
grep -q 'warning: --ignore NOSUCHREG: no access to a register of that name' "$W/e" || fail "no warning: $(cat "$W/e")"
"$M" diff -q --db "$W/nonexistent.xml" "$W/a" "$W/b" 2>/dev/null; [ $? = 2 ] || fail "missing --db: want 2"
"$M" diff -q --db "tests/regdb/bad/no-offset.xml" "$W/a" "$W/b" 2>/dev/null; [ $? = 2 ] || fail "bad --db: want 2"
"$M" diff -q --ignore 0: "$W/a" "$W/b" 2>/dev/null; [ $? = 2 ] || fail "--ignore 0: want 2"
echo "ok: trouble"
pass "diff register names"
