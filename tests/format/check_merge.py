#!/usr/bin/env python3
"""check_merge.py MERGED.jsonl SRC1.jsonl SRC2.jsonl...

The merged trace (dump --format jsonl) must be the sources merged by the
documented rule: repeatedly the source whose next record has the smallest
ts, the first given on a tie; each source in its own order; new seq 0, 1,
...; map ids renumbered one-to-one per (source, id), every other field
kept."""
import json
import sys

ID_KINDS = ("R", "W", "UNKNOWN", "UNMAP", "MAP")


def load(p):
    with open(p) as f:
        return [json.loads(l) for l in f]


merged = load(sys.argv[1])
srcs = [load(p) for p in sys.argv[2:]]
pos = [0] * len(srcs)
want = []
while True:
    best = None
    for i, s in enumerate(srcs):
        if pos[i] < len(s) and (best is None or s[pos[i]]["ts"] < srcs[best][pos[best]]["ts"]):
            best = i
    if best is None:
        break
    want.append((best, srcs[best][pos[best]]))
    pos[best] += 1
if len(merged) != len(want):
    print("FAIL: %d records merged, want %d" % (len(merged), len(want)))
    sys.exit(1)
ids, used = {}, {}
for k, (got, (src, r)) in enumerate(zip(merged, want)):
    if got["seq"] != k:
        print("FAIL: record %d has seq %d" % (k, got["seq"]))
        sys.exit(1)
    a, b = dict(got), dict(r)
    for d in (a, b):
        del d["seq"]
    if r["kind"] in ID_KINDS:
        old, new = (src, b.pop("map")), a.pop("map")
        if ids.setdefault(old, new) != new or used.setdefault(new, old) != old:
            print("FAIL: map ids not renumbered one-to-one at merged record %d" % k)
            sys.exit(1)
    if a != b:
        print("FAIL: merged record %d differs from source %d:\n  %s\n  %s" % (k, src, got, r))
        sys.exit(1)
ties = sum(1 for x, y in zip(want, want[1:]) if x[1]["ts"] == y[1]["ts"] and x[0] != y[0])
print("ok: %d records = %s merged by time (%d ties across sources, first given first), "
      "%d maps renumbered" % (len(merged), "+".join(str(len(s)) for s in srcs), ties, len(ids)))
