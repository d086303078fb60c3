#!/usr/bin/env python3
# e1000_alter.py TRACE OUTDIR - for test-kmod-e1000-diff.sh: two copies of
# a binary kernel trace with one read value changed after the marker
# "window": altered-sync.trace (the first read of the task that made most
# accesses after it, rmmod) and altered-irq.trace (the first hardirq read),
# each with altered-K.txt "SEQ OLD NEW". The record is found by its pc and
# value (bytes 16..31 of an access record, docs/FORMAT.md): the k-th record
# with them in file order (mmiotap dump --file-order) is their k-th
# occurrence in the file, when they occur nowhere else; the copy keeps every
# other byte (symbols included).
import collections, json, os, struct, subprocess, sys

trace, out = sys.argv[1], sys.argv[2]
mt = os.environ.get("MMIOTAP") or os.path.join(os.environ["top"], os.environ["B"], "mmiotap")
data = open(trace, "rb").read()
def dump(*opts):
    return [json.loads(l) for l in subprocess.run([mt, "dump", "-f", "jsonl", *opts, trace], check=True,
                                                  capture_output=True, text=True).stdout.splitlines()]
events = dump()
file_order = [e for e in dump("--file-order") if "pc" in e and "value" in e]
mark = next(e["seq"] for e in events if e["kind"] == "MARK" and e.get("text") == "window")
after = [e for e in events if e["kind"] == "R" and e["seq"] > mark and e.get("width") == 4]
irq = lambda e: "hardirq" in e.get("flags", "") or "softirq" in e.get("flags", "")
main_pid = collections.Counter(e["pid"] for e in after if not irq(e)).most_common(1)[0][0]

def alter(kind, pick):
    for e in after:
        if not pick(e):
            continue
        pc, val = int(e["pc"], 16), int(e["value"], 16)
        pat = struct.pack("<QQ", pc, val)
        same = [x["seq"] for x in file_order if x["pc"] == e["pc"] and x["value"] == e["value"]]
        at, i = [], data.find(pat)
        while i >= 0:
            at.append(i)
            i = data.find(pat, i + 1)
        if len(at) != len(same) or e["seq"] not in same:
            continue
        new = val ^ 0x00010000
        i = at[same.index(e["seq"])]
        with open(os.path.join(out, "altered-%s.trace" % kind), "wb") as f:
            f.write(data[:i] + struct.pack("<QQ", pc, new) + data[i + 16:])
        with open(os.path.join(out, "altered-%s.txt" % kind), "w") as f:
            f.write("%d 0x%x 0x%x\n" % (e["seq"], val, new))
        return
    sys.exit("no %s read after the marker to find in the file" % kind)

alter("sync", lambda e: e["pid"] == main_pid and not irq(e))
alter("irq", lambda e: "hardirq" in e.get("flags", ""))
