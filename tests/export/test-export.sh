#!/usr/bin/env bash
# mmiotap export: CSV, Chrome JSON and Perfetto of a synthetic trace (every
# record kind, user-space and kernel-style records), of a real recording
# (examples/mmio_demo under record) and of a genuine kernel mmiotrace log,
# each checked record by record against `mmiotap dump --format jsonl`
# (check_export.py); the Perfetto file against protoc --decode_raw and
# against Perfetto's own field definitions (perfetto_subset.proto); memory
# flat when the trace grows tenfold; bad input gives one line and exit != 0.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
b=$top/${BUILD:-build}
mt=$b/mmiotap gen=$b/tests/export/gen_trace
[ -x "$mt" ] && [ -x "$gen" ] || { echo "FAIL: $mt or $gen not built"; exit 99; }
command -v protoc >/dev/null || { echo "SKIP: protoc (protobuf-compiler) not installed"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$gen" 20000 "$tmp/gen.trace" || fail "gen_trace"
"$mt" dump --format binary -o "$tmp/kernel.trace" "$top/tests/format/kernel.txt" || fail "dump binary"
traces="gen kernel"
if [ -x "$b/examples/mmio_demo" ] && [ -f "$b/libmmiotap-preload.so" ]; then
	"$mt" record -q -o "$tmp/demo.trace" -t '/memfd:mmiotap-demo*' -- "$b/examples/mmio_demo" \
		>/dev/null || fail "record mmio_demo"
	traces="$traces demo"
fi

for t in $traces; do
	in=$tmp/$t.trace
	"$mt" dump --format jsonl "$in" >"$tmp/$t.jsonl" || fail "$t: dump"
	"$mt" export --format csv "$in" -o "$tmp/$t.csv" || fail "$t: export csv"
	"$mt" export -f chrome-json "$in" -o "$tmp/$t.json" || fail "$t: export chrome-json"
	"$mt" export -f perfetto "$in" -o "$tmp/$t.pf" || fail "$t: export perfetto"
	echo "$t:"
	python3 "$top/tests/export/check_export.py" "$tmp/$t.jsonl" "$tmp/$t.csv" "$tmp/$t.json" \
		"$tmp/$t.pf" || fail "$t: exports differ from the dump"
	protoc --decode_raw <"$tmp/$t.pf" >"$tmp/$t.raw" || fail "$t: protoc --decode_raw"
	n=$(grep -c '^1 {' "$tmp/$t.raw")
	nt=$(grep -c '^  60 {' "$tmp/$t.raw")
	ne=$(grep -c '^  11 {' "$tmp/$t.raw")
	[ "$n" -gt 0 ] && [ $((nt + ne)) = "$n" ] || fail "$t: decode_raw: $n packets, $nt tracks, $ne events"
	protoc --proto_path="$top/tests/export" --decode=perfetto.protos.Trace perfetto_subset.proto \
		<"$tmp/$t.pf" >"$tmp/$t.dec" || fail "$t: protoc --decode=perfetto.protos.Trace"
	if grep -qE '^ *[0-9]+[:{ ]' "$tmp/$t.dec"; then
		grep -E '^ *[0-9]+[:{ ]' "$tmp/$t.dec" | head -3
		fail "$t: fields Perfetto's schema does not know"
	fi
	[ "$(grep -c '^packet {' "$tmp/$t.dec")" = "$n" ] || fail "$t: schema decode packet count"
	echo "ok: protoc: $n packets ($nt track descriptors, $ne track events), all fields in Perfetto's schema"
done

# the same from standard input
"$mt" export -f csv - <"$tmp/gen.trace" >"$tmp/stdin.csv" || fail "export from stdin"
cmp -s "$tmp/stdin.csv" "$tmp/gen.csv" || fail "stdin export differs"
# ... and from a pipe given by name: the symbolizer's pass must not eat it
"$mt" export -f csv <(cat "$tmp/gen.trace") -o "$tmp/pipe.csv" || fail "export from <(...)"
cmp -s "$tmp/pipe.csv" "$tmp/gen.csv" || fail "export from a named pipe differs (records lost)"
echo "ok: stdin"

# memory stays flat: twenty times the records, about the same peak
# (GNU time: an interpreter's getrusage would count its own pages, kept
# across the exec)
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time (package time) not installed"; exit 77; }
rss() { /usr/bin/time -f %M "$mt" export -f "$1" "$2" -o /dev/null 2>&1 >/dev/null | tail -1; }
"$gen" 400000 "$tmp/big.trace" || fail "gen_trace big"
for f in csv chrome-json perfetto; do
	small=$(rss $f "$tmp/gen.trace") big=$(rss $f "$tmp/big.trace")
	[ "$big" -lt $((small + 4096)) ] || fail "$f: peak RSS ${small} KiB for 20k records, ${big} KiB for 400k"
	echo "ok: $f: peak RSS $small KiB (20k records), $big KiB (400k records)"
done
rm -f "$tmp/big.trace"

# bad input: one line, non-zero exit, no crash
head -c 5000 "$tmp/gen.trace" >"$tmp/trunc.trace"
{ head -c 64 "$tmp/gen.trace"; printf '\060'; head -c 31 /dev/zero; } >"$tmp/garbage.trace"
for bad in trunc garbage; do
	for f in csv chrome-json perfetto; do
		"$mt" export -f $f "$tmp/$bad.trace" -o "$tmp/bad.out" 2>"$tmp/bad.err"
		rc=$?
		[ $rc = 1 ] && [ "$(wc -l <"$tmp/bad.err")" = 1 ] ||
			fail "$bad/$f: exit $rc, stderr: $(cat "$tmp/bad.err")"
	done
done
"$mt" export -f csv "$tmp/nonexistent" -o "$tmp/x" 2>/dev/null && fail "missing trace accepted"
"$mt" export -f xml "$tmp/gen.trace" 2>/dev/null; [ $? = 2 ] || fail "unknown format: want exit 2"
"$mt" export "$tmp/gen.trace" 2>/dev/null; [ $? = 2 ] || fail "no format: want exit 2"
"$mt" export -f csv "$tmp/gen.trace" -o /dev/full 2>"$tmp/full.err" && fail "write to /dev/full succeeded"
grep -q 'No space' "$tmp/full.err" || fail "/dev/full: $(cat "$tmp/full.err")"
cp "$tmp/gen.trace" "$tmp/self.trace"
"$mt" export -f csv "$tmp/self.trace" -o "$tmp/self.trace" 2>/dev/null && fail "exported over the trace itself"
cmp -s "$tmp/gen.trace" "$tmp/self.trace" || fail "exporting over the trace damaged it"
# MARK lines of a text trace longer than any binary record: cut to
# MT_REC_VAR_MAX (65528) bytes, not written past the output buffer
python3 -c '
import sys
with open(sys.argv[1], "w", encoding="latin-1") as f:
    f.write("VERSION 20070824\n")
    for i in range(4):
        f.write("MARK 0.%06d " % i + "\x01" * 130000 + "\n")
' "$tmp/longmark.txt" || fail "longmark.txt"
for f in csv chrome-json perfetto; do
	"$mt" export -f $f "$tmp/longmark.txt" -o "$tmp/longmark.$f" || fail "long MARK: export $f"
done
python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
marks = [e for e in ev if e.get("cat") == "mark"]
assert len(marks) == 4 and all(len(e["name"]) == 65528 for e in marks), [len(e["name"]) for e in marks]
' "$tmp/longmark.chrome-json" || fail "long MARK: chrome-json"
# an OBJECT record naming a FIFO (a hostile trace): no symbols from it, no
# hang opening it
if [ -f "$tmp/demo.trace" ]; then
	mkfifo "$tmp/fifo" || fail "mkfifo"
	python3 -c '
import os, sys
d = bytearray(open(sys.argv[1], "rb").read())
exe = os.path.realpath(sys.argv[3]).encode()
i = d.find(exe)
assert i > 0, "no OBJECT path in the demo trace"
fifo = sys.argv[4].encode()
need = len(exe) - len(os.path.dirname(fifo)) - len(os.path.basename(fifo))
assert need >= 1, (exe, fifo)
k = 1 + (need - 1) % 2
p = os.path.dirname(fifo) + b"/" * k + b"./" * ((need - k) // 2) + os.path.basename(fifo)
assert len(p) == len(exe), (p, exe)
d[i:i + len(exe)] = p
open(sys.argv[2], "wb").write(d)
' "$tmp/demo.trace" "$tmp/fifo.trace" "$b/examples/mmio_demo" "$tmp/fifo" ||
		fail "fifo.trace"
	timeout 20 "$mt" export -f csv --symbols "$tmp/fifo.trace" -o "$tmp/fifo.csv" ||
		fail "OBJECT naming a FIFO: export hangs or fails ($?)"
fi
echo "ok: bad input, bad options, full disk, output = input refused, long MARK lines, OBJECT naming a FIFO"
# register names (--db) and functions (the trace's symbols) reach every format
tr=$top/tests/regdb/traces/e1000-attach.trace
"$mt" export -f csv --db "$top/regdb/db/e1000.xml" "$tr" -o "$tmp/db.csv" || fail "export --db"
python3 - "$tmp/db.csv" <<'PY' || fail "export --db: register names"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["kind"] in ("R", "W")]
named = [r for r in rows if r["reg"]]
assert rows and len(named) == len(rows), "%d of %d accesses named" % (len(named), len(rows))
assert any(r["reg"] == "MDIC" and r["offset"] == "0x20" for r in rows), "no MDIC at 0x20"
print("ok: export --db names all %d accesses of the e1000 trace" % len(rows))
PY
# functions from a recording's own symbol records (--symbols)
if [ -x "$b/examples/mmio_demo" ] && [ -f "$b/libmmiotap-preload.so" ]; then
	"$mt" record -q -o "$tmp/sym.trace" -t '/memfd:mmiotap-demo*' -- "$b/examples/mmio_demo" >/dev/null ||
		fail "record for --symbols"
	"$mt" export -f csv "$tmp/sym.trace" -o "$tmp/nosym.csv" && ! grep -q ',"main+0x' "$tmp/nosym.csv" ||
		fail "function names without --symbols"
	"$mt" export -f csv --symbols "$tmp/sym.trace" -o "$tmp/sym.csv" &&
		[ "$(grep -c '^[RW],.*,"main+0x[0-9a-f]*",' "$tmp/sym.csv")" = "$(grep -c '^[RW],' "$tmp/sym.csv")" ] ||
		fail "export --symbols: not every access named main+0x..."
	"$mt" export -f csv --symbols - <"$tmp/sym.trace" >/dev/null 2>&1; [ $? = 2 ] || fail "--symbols on stdin: want exit 2"
	echo "ok: export --symbols names every access's function"
fi
"$mt" export -f perfetto --db "$top/regdb/db/e1000.xml" "$tr" -o "$tmp/db.pf" &&
	protoc --decode_raw <"$tmp/db.pf" | grep -q '"MDIC"' || fail "perfetto --db: no MDIC"
"$mt" export -f csv --db "$tmp/nonexistent.xml" "$tr" 2>"$tmp/db.err" && fail "missing database accepted"
[ "$(wc -l <"$tmp/db.err")" = 1 ] || fail "missing database: $(cat "$tmp/db.err")"
echo "PASS: export"
