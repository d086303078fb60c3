#!/usr/bin/env bash
# mmiotap report on the e1000 trace recorded by the kernel module in QEMU:
# per-register reads, writes, first/last and final written values equal the
# same summary computed from `mmiotap decode --format jsonl`; the --html page
# is opened in headless Chromium (Debian's chromium): every register has a
# row and a plot the page's script drew with one point per value change, and
# the page loads nothing from the network.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
mt=$top/${BUILD:-build}/mmiotap
[ -x "$mt" ] || { echo "FAIL: $mt not built"; exit 99; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
T=$top/tests/regdb/traces DB=$top/regdb/db
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$mt" report --db "$DB/e1000.xml" --html "$tmp/r.html" "$T/e1000-attach.trace" >"$tmp/r.txt" ||
	{ echo "FAIL: report exited $?"; exit 1; }
"$mt" decode -f jsonl --db "$DB/e1000.xml" "$T/e1000-attach.trace" >"$tmp/d.jsonl" || { echo "FAIL: decode"; exit 1; }
python3 - "$tmp/r.txt" "$tmp/d.jsonl" "$tmp/changes" <<'EOP' || fail=1
import json, sys
rows, final = {}, {}
sect = None
for l in open(sys.argv[1]):
    f = l.split()
    if l.startswith('  written registers'):
        sect = 'final'; continue
    if l.startswith('device '):
        sect = 'regs'; continue
    if sect == 'regs' and len(f) >= 8 and f[0] != 'register':
        rows[f[0]] = (int(f[1]), int(f[2]), int(f[4], 16), int(f[6], 16))
    elif sect == 'final' and len(f) >= 3 and f[1] == '=':
        final[f[0]] = int(f[2], 16)
want, wfinal, changes, last = {}, {}, {}, {}
for l in open(sys.argv[2]):
    a = json.loads(l)
    if a['kind'] not in ('R', 'W'):
        continue
    r = a['reg'] or a['offset']
    v = int(a['value'], 16)
    rd, wr, first, _ = want.get(r, (0, 0, v, v))
    want[r] = (rd + (a['kind'] == 'R'), wr + (a['kind'] == 'W'), first, v)
    if a['kind'] == 'W':
        wfinal[r] = v
    if last.get(r) != v:
        changes[r] = changes.get(r, 0) + 1
    last[r] = v
ok = True
if rows != want:
    ok = False
    for k in sorted(set(rows) | set(want)):
        if rows.get(k) != want.get(k):
            print('FAIL: register %s: report %s, decode %s' % (k, rows.get(k), want.get(k)))
if final != wfinal:
    ok = False
    print('FAIL: final written values differ: %s' % sorted(set(final.items()) ^ set(wfinal.items()))[:5])
open(sys.argv[3], 'w').write(json.dumps(changes))
print('%s: %d registers, %d written, reads/writes/first/last/final as decode says' %
      ('ok' if ok else 'FAIL', len(rows), len(final)))
sys.exit(0 if ok and rows else 1)
EOP
grep -q '^accesses 2102, LOST 0 (records lost: 0), UNKNOWN 0, injected 0$' "$tmp/r.txt" || bad "summary line: $(head -1 "$tmp/r.txt")"
grep -Eiq '(src|href)="?(https?:)?//' "$tmp/r.html" && bad "the page refers to the network"

chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
if [ -z "$chrome" ]; then echo "SKIP: no chromium (Debian package chromium)"; exit 77; fi
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions \
	--user-data-dir="$tmp/profile" --dump-dom "file://$tmp/r.html" >"$tmp/dom.html" 2>"$tmp/chrome.err" ||
	{ echo "FAIL: chromium exited $?"; tail -5 "$tmp/chrome.err"; exit 1; }
python3 - "$tmp/dom.html" "$tmp/changes" <<'EOP' || fail=1
import json, sys
from html.parser import HTMLParser
changes = json.load(open(sys.argv[2]))
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.plots = {}; s.rows = set(); s.body = None
    def handle_starttag(s, tag, at):
        a = dict(at)
        if tag == 'body': s.body = a.get('data-plots')
        if tag == 'svg' and a.get('class') == 'plot': s.plots[a['data-reg']] = a.get('data-drawn')
        if tag == 'tr' and a.get('class') == 'reg': s.rows.add(a['data-reg'])
p = P(); p.feed(open(sys.argv[1]).read())
ok = p.body == str(len(changes)) and p.rows == set(changes) and set(p.plots) == set(changes)
for r, n in changes.items():
    if p.plots.get(r) != str(min(n, 4096)):
        ok = False; print('FAIL: plot of %s: %s points drawn, want %d' % (r, p.plots.get(r), n))
print('%s: Chromium drew %s plots, %d table rows, points = value changes' %
      ('ok' if ok else 'FAIL', p.body, len(p.rows)))
sys.exit(0 if ok else 1)
EOP
# the code column names functions from the recording's own symbol records,
# from a file and from standard input alike (one pass)
b=$top/${BUILD:-build}
if [ -x "$b/examples/mmio_demo" ] && [ -f "$b/libmmiotap-preload.so" ]; then
	"$mt" record -q -o "$tmp/demo.trace" -t '/memfd:mmiotap-demo*' -- "$b/examples/mmio_demo" >/dev/null ||
		bad "record mmio_demo"
	"$mt" report "$tmp/demo.trace" >"$tmp/demo.txt" && "$mt" report - <"$tmp/demo.trace" >"$tmp/demo-stdin.txt" ||
		bad "report of the demo"
	grep -q '^  0x0/4 .* main+0x[0-9a-f]*$' "$tmp/demo.txt" || bad "report: no function for 0x0/4"
	cmp -s "$tmp/demo.txt" "$tmp/demo-stdin.txt" || bad "report from stdin differs"
	[ $fail = 0 ] && echo "ok: report names the code main+0x... (file and stdin)"
fi
exit $fail
