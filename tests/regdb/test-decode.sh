#!/usr/bin/env bash
# mmiotap decode on traces recorded by the real tools in QEMU
# (tests/regdb/traces: edu and e1000 by the kernel module, edu by ptrace and
# through /dev/mem): every access to a register of the shipped databases is
# named as the database says (tests/regdb/check-names.py, an independent
# reader of the XML); the selections (--reg, --between, --from/--to, --pid,
# --tid, --cpu, --changes) against the same selection done on the JSON
# lines; binding (bar=, pci=BDF, phys=, pci=VENDOR:DEVICE with the ids of a
# DATA PCIID record, the search path and regdb.index); clear errors.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
mt=$top/${BUILD:-build}/mmiotap
[ -x "$mt" ] || { echo "FAIL: $mt not built"; exit 99; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
T=$top/tests/regdb/traces DB=$top/regdb/db
fail=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# 1. names: every access to a register, checked against the XML
for c in "edu.trace edu.xml" "e1000-attach.trace e1000.xml" "ptrace-edu.trace edu.xml"; do
	set -- $c
	"$mt" decode -f jsonl --db "$DB/$2" "$T/$1" >"$tmp/$1.jsonl" || { bad "decode $1 exited $?"; continue; }
	if out=$(python3 "$top/tests/regdb/check-names.py" "$DB/$2" "$tmp/$1.jsonl"); then
		ok "$1: $out"
	else
		bad "$1: $out"
	fi
done
# the text form: demmio's layout, one line per access
"$mt" decode --db "$DB/e1000.xml" "$T/e1000-attach.trace" >"$tmp/e.txt" || bad "decode text exited $?"
n_acc=$("$mt" dump "$T/e1000-attach.trace" | grep -c '^[RW] ')
[ "$(grep -c '^\[[0-9-]*\] [0-9.]* MMIO32 [RW] 0x' "$tmp/e.txt")" -eq "$n_acc" ] &&
	ok "text: $n_acc access lines" || bad "text: access lines differ from dump's $n_acc"
grep -q 'MMIO32 W 0xfeb40020 0x08200000 MDIC <= { DATA = 0x0 | REGADD = PHY_CTRL | PHYADD = 1 | OP = READ }$' "$tmp/e.txt" &&
	ok "text: an MDIC write decoded" || bad "text: MDIC write line"
grep -q ' R 0xfeb40008 0x[0-9a-f]* STATUS => { FD | LU |' "$tmp/e.txt" && ok "text: a STATUS read decoded" || bad "text: STATUS read"

# 2. selections, against the same selection on the JSON lines
sel() { # name, decode options..., -- python predicate on a (dict)
	local name=$1; shift
	local opts=() pred
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	pred=$2
	"$mt" decode -f jsonl --db "$DB/e1000.xml" "${opts[@]}" "$T/e1000-attach.trace" >"$tmp/sel.jsonl" ||
		{ bad "$name: exited $?"; return; }
	want=$(python3 -c "
import json,sys
n=0;prev={}
for l in open('$tmp/e1000-attach.trace.jsonl'):
    a=json.loads(l)
    if $pred: n+=1
print(n)")
	got=$(wc -l <"$tmp/sel.jsonl")
	[ "$got" -eq "$want" ] && [ "$got" -gt 0 ] && ok "$name: $got accesses" || bad "$name: $got accesses, want $want"
}
sel "--reg 'RA*'" --reg 'RA*' -- "(a['reg'] or '').startswith('RA')"
sel "--reg E1000.MDIC --reg ICR" --reg E1000.MDIC --reg ICR -- "a['reg'] in ('MDIC','ICR')"
sel "--cpu 0" --cpu 0 -- "a['cpu']==0"
sel "--pid 170" --pid 170 -- "a['pid']==170"
read -r t1 t2 < <(python3 -c "
import json
ts=[json.loads(l)['ts'] for l in open('$tmp/e1000-attach.trace.jsonl')]
print('%.6f %.6f' % (ts[len(ts)//4]/1e9, ts[len(ts)//2]/1e9))")
sel "--from $t1 --to $t2" --from "$t1" --to "$t2" -- "round($t1*1e9)<=a['ts']<=round($t2*1e9)"
sel "--changes" --changes -- "(lambda k: (prev.get(k)!=a['value'], prev.__setitem__(k,a['value']))[0])((a['map'],a['offset']))"
tid=$(python3 -c "import json;print(json.loads(open('$tmp/e1000-attach.trace.jsonl').readline()).get('tid',''))")
[ -z "$tid" ] || sel "--tid" --tid "$tid" -- "a.get('tid')==$tid"
# --between on a text trace with markers
cat >"$tmp/m.txt" <<'EOT'
VERSION 20070824
MAP 1.000000 1 0xfea00000 0xffff0000 0x1000 0x0 0
R 4 1.000001 1 0xfea00000 0x10000ed 0x0 0
MARK 1.000002 start
W 4 1.000003 1 0xfea00004 0x1 0x0 0
R 4 1.000004 1 0xfea00004 0xfffffffe 0x0 0
MARK 1.000005 stop
W 4 1.000006 1 0xfea00004 0x2 0x0 0
MARK 1.000007 start
R 4 1.000008 1 0xfea00000 0x10000ed 0x0 0
EOT
"$mt" decode --db "$DB/edu.xml" --between start stop "$tmp/m.txt" >"$tmp/b.txt" || bad "--between exited $?"
[ "$(grep -c MMIO "$tmp/b.txt")" = 3 ] && grep -q 'LIVENESS <= 0x1$' "$tmp/b.txt" && ! grep -q '0x00000002' "$tmp/b.txt" &&
	ok "--between: the 3 accesses inside the two windows" || { bad "--between"; cat "$tmp/b.txt"; }

# an SVD device: looked up by physical address (a /dev/mem-style map of two peripherals)
cat >"$tmp/svd.txt" <<'EOT'
VERSION 20070824
MAP 1.000000 1 0x40001000 0x7f0000000000 0x2000 0x0 0
W 4 1.000001 1 0x40001000 0x1205 0x0 0
R 4 1.000002 1 0x40001054 0x0 0x0 0
W 4 1.000003 1 0x40002000 0x7 0x0 0
EOT
"$mt" decode --db "$top/tests/regdb/db/test.svd" "$tmp/svd.txt" >"$tmp/svd.out" || bad "decode with an SVD exited $?"
grep -q ' UART0.CR <= { EN | PARITY = EVEN | BAUD = 0x12 }$' "$tmp/svd.out" && grep -q ' UART0.CH\[0x1\].CTL => ' "$tmp/svd.out" &&
	grep -q ' UART1.CR <= { EN | PARITY = ODD | BAUD = 0x0 }$' "$tmp/svd.out" && ok "SVD: peripherals, clusters, derivedFrom by physical address" ||
	{ bad "SVD decode"; cat "$tmp/svd.out"; }
"$mt" decode --db "$top/tests/regdb/db/test.svd,domain=UART1" "$tmp/svd.txt" | grep -q ' 0x40002000 0x00000007 CR <= ' &&
	ok "SVD: one peripheral's domain" || bad "SVD peripheral domain"

# 3. binding
"$mt" decode --db "$DB/edu.xml,bar=2" "$T/edu.trace" | grep -q 'ID =>' && bad "bar=2 bound BAR0" || ok "bar=2 does not bind BAR0"
"$mt" decode --db "$DB/edu.xml,pci=00:04.0,bar=0" "$T/edu.trace" | grep -q ' ID => ' && ok "pci=BDF,bar=0 binds" || bad "pci=BDF"
"$mt" decode --db "$DB/edu.xml,phys=0xfea00000" "$T/devmem-edu.trace" | grep -q ' ID => ' && ok "phys= binds a /dev/mem map" || bad "phys="
"$mt" decode --db "$DB/edu.xml,phys=0xfea00004" "$T/devmem-edu.trace" | grep -q ' 0xfea00004 0x[0-9a-f]* ID ' &&
	ok "phys= moves the domain's origin" || bad "phys= origin"
"$mt" decode --db "$DB/edu.xml,bar=0" "$T/ptrace-edu.trace" | grep -q ' ID => ' && ok "bar= of a sysfs resource path binds" || bad "sysfs path bar"
"$mt" decode --db "$DB/edu.xml,pci=1234:11e8" "$T/edu.trace" | grep -q ' ID => ' && bad "pci ids bound without ids in the trace" ||
	ok "pci=VENDOR:DEVICE alone does not bind a trace without ids"
# a DATA PCIID record after the MAP (docs/FORMAT.md): the ids bind, the index finds the database
python3 - "$T/edu.trace" "$tmp/ids.trace" <<'EOP'
import struct, sys
d = open(sys.argv[1], 'rb').read()
hs = struct.unpack_from('<I', d, 16)[0]
out, p = bytearray(d[:hs]), hs
while p < len(d):
    k = d[p]
    n = 32 if k < 0x40 else struct.unpack_from('<H', d, p + 2)[0]
    out += d[p:p + n]
    if k == 0x40:
        pay = struct.pack('<HHHHBBBB', 0x1234, 0x11e8, 0x1af4, 0x1100, 0x10, 0, 0xff, 0)
        out += struct.pack('<BBHHH', 0x43, 4, 8 + 16, 12, 0) + pay + b'\0' * 4
    p += n
open(sys.argv[2], 'wb').write(out)
EOP
"$mt" decode --db "$DB/edu.xml,pci=1234:11e8" "$tmp/ids.trace" | grep -q ' ID => ' && ok "pci=1234:11e8 binds by the recorded ids" || bad "ids binding"
"$mt" decode --db "$DB/edu.xml,pci=8086:100e" "$tmp/ids.trace" | grep -q ' ID => ' && bad "other ids bound" || ok "other ids do not bind"
MMIOTAP_REGDB_PATH=/nonexistent:$DB "$mt" decode "$tmp/ids.trace" | grep -q '^# MAP 2 0xfea00000 0x100000 EDU$' &&
	ok "regdb.index in \$MMIOTAP_REGDB_PATH binds by id" || bad "index binding"
MMIOTAP_REGDB_PATH=$DB "$mt" decode --no-auto "$tmp/ids.trace" | grep -q 'EDU' && bad "--no-auto" || ok "--no-auto"
MMIOTAP_REGDB_PATH=$DB "$mt" decode --db e1000,bar=0 "$T/e1000-attach.trace" | grep -q ' CTRL ' && ok "--db NAME from the search path" || bad "--db NAME"
"$mt" dump -f binary -o "$tmp/ids2.trace" "$tmp/ids.trace" &&
	MMIOTAP_REGDB_PATH=$DB "$mt" decode "$tmp/ids2.trace" | grep -q ' ID => ' && ok "dump -f binary keeps the ids" || bad "ids lost by dump -f binary"

# 4. errors: one line, exit 1 (2 for usage), never a crash
err() { # want-substring, args...
	local want=$1; shift
	"$mt" decode "$@" >/dev/null 2>"$tmp/err"; rc=$?
	if [ $rc -ge 1 ] && [ $rc -le 2 ] && [ "$(wc -l <"$tmp/err")" -le 2 ] && grep -q -- "$want" "$tmp/err"; then
		ok "error: $(head -1 "$tmp/err")"
	else
		bad "error case ($*): rc $rc: $(cat "$tmp/err")"
	fi
}
err "no-offset.xml:4: <reg32 name=\"A\"> without offset=" --db "$top/tests/regdb/bad/no-offset.xml" "$T/edu.trace"
err "unknown key 'bus'" --db "$DB/edu.xml,bus=1" "$T/edu.trace"
err "pci=zz: expected" --db "$DB/edu.xml,pci=zz" "$T/edu.trace"
err "nosuch.xml: No such file" --db "$tmp/nosuch.xml" "$T/edu.trace"
err "no domain 'NOPE'" --db "$DB/edu.xml,domain=NOPE" "$T/edu.trace"
err "no database given with --db has a varset 'chipset'" --db "$DB/edu.xml" --variant chipset=NV50 "$T/edu.trace"
err "--between needs two markers" --db "$DB/edu.xml" --between A
# --reg with an array element's own name (as a glob, [0x0] is a character class)
n=$("$mt" decode --db "$DB/e1000.xml" --reg 'RA[0x0].RAL' "$T/e1000-attach.trace" | grep -c ' RA\[0x0\]\.RAL ')
[ "$n" -ge 1 ] || bad "--reg 'RA[0x0].RAL' matched nothing"
n=$("$mt" decode --db "$DB/e1000.xml" --reg 'RA\[0x0\].RAL' "$T/e1000-attach.trace" | grep -c ' RA\[0x0\]\.RAL ')
[ "$n" -ge 1 ] || bad "--reg 'RA\[0x0\].RAL' (escaped glob) matched nothing"
head -c 1000 "$T/edu.trace" >"$tmp/cut.trace"
err "truncated" --db "$DB/edu.xml" "$tmp/cut.trace"
exit $fail
