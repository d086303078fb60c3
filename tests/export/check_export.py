#!/usr/bin/env python3
"""check_export.py JSONL CSV CHROME_JSON PERFETTO

Checks the three exports of one trace against `mmiotap dump --format jsonl`
of it (the reference): the CSV row by row, the Chrome JSON event by event,
the Perfetto protobuf (parsed here from the wire format) packet by packet.
Prints one line per check; exits 1 at the first mismatch."""
import csv
import json
import sys

ACCESS = ("R", "W", "UNKNOWN", "LOST")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def hx(s):
    return int(s, 16) if s else None


def load_ref(path):
    with open(path) as f:
        return [json.loads(l) for l in f]


def check_csv(ref, path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    want_cols = "kind,seq,ts_ns,cpu,pid,tid,width,addr,value,pc,map_id,offset,flags"
    for c in want_cols.split(","):
        if c not in rows[0]:
            fail("csv: no column " + c)
    if len(rows) != len(ref):
        fail("csv: %d rows, dump has %d records" % (len(rows), len(ref)))
    for row, r in zip(rows, ref):
        k = r["kind"]
        if row["kind"] != k or int(row["seq"]) != r["seq"] or int(row["ts_ns"]) != r["ts"]:
            fail("csv: seq %d: %s vs %s" % (r["seq"], row, r))
        if k in ("R", "W", "UNKNOWN", "UNMAP"):
            if (hx(row["addr"]) != hx(r["phys"]) or int(row["width"]) != r["width"]
                    or int(row["map_id"]) != r["map"] or hx(row["offset"]) != hx(r["offset"])
                    or hx(row["pc"]) != hx(r["pc"]) or int(row["pid"]) != r["pid"]):
                fail("csv: seq %d: %s vs %s" % (r["seq"], row, r))
            if (row["tid"] or None) != (str(r["tid"]) if "tid" in r else None):
                fail("csv: seq %d: tid" % r["seq"])
            if (row["cpu"] or None) != (str(r["cpu"]) if "cpu" in r else None):
                fail("csv: seq %d: cpu" % r["seq"])
            if row["flags"].replace("|", ",") != r.get("flags", ""):
                fail("csv: seq %d: flags %r vs %r" % (r["seq"], row["flags"], r.get("flags")))
        if k in ("R", "W") and hx(row["value"]) != hx(r["value"]):
            fail("csv: seq %d: value %s vs %s" % (r["seq"], row["value"], r["value"]))
        if k == "UNKNOWN" and row["text"] != r["insn"]:
            fail("csv: seq %d: insn" % r["seq"])
        if k == "LOST" and hx(row["value"]) != r["count"]:
            fail("csv: seq %d: lost count" % r["seq"])
        if k == "MAP" and (hx(row["addr"]) != hx(r["phys"]) or hx(row["value"]) != hx(r["size"])
                           or int(row["map_id"]) != r["map"]):
            fail("csv: seq %d: map" % r["seq"])
        if k == "MAP" and "path" in r and row["text"] != r["path"]:
            fail("csv: seq %d: path %r vs %r" % (r["seq"], row["text"], r["path"]))
        if k in ("MARK", "TEXT") and row["text"] != r["text"]:
            fail("csv: seq %d: text %r vs %r" % (r["seq"], row["text"], r["text"]))
    print("ok: csv: %d rows equal the dump" % len(rows))


def check_chrome(ref, path):
    with open(path) as f:
        evs = json.load(f)["traceEvents"]
    inst = [e for e in evs if e.get("cat") == "mmio" and e["ph"] == "i" and e.get("s") == "t"]
    acc = [r for r in ref if r["kind"] in ACCESS]
    if len(inst) != len(acc):
        fail("chrome: %d access events, dump has %d" % (len(inst), len(acc)))
    for e, r in zip(sorted(inst, key=lambda e: e["args"]["seq"]), acc):
        a = e["args"]
        if a["seq"] != r["seq"] or round(e["ts"] * 1000) != r["ts"]:
            fail("chrome: %s vs %s" % (e, r))
        if r["kind"] != "LOST" and (hx(a["addr"]) != hx(r["phys"]) or a["width"] != r["width"]):
            fail("chrome: seq %d addr/width" % r["seq"])
        if r["kind"] in ("R", "W") and hx(a["value"]) != hx(r["value"]):
            fail("chrome: seq %d value" % r["seq"])
        if hx(a["pc"]) != hx(r["pc"]):
            fail("chrome: seq %d pc" % r["seq"])
        if "tid" in r and (e["pid"], e["tid"]) != (r["pid"], r["tid"]):
            fail("chrome: seq %d thread" % r["seq"])
        if "tid" not in r and "cpu" in r and (e["pid"], e["tid"]) != (0, r["cpu"]):
            fail("chrome: seq %d cpu" % r["seq"])
    ctr = [e for e in evs if e["ph"] == "C"]
    want = [r for r in ref if r["kind"] in ("R", "W") and r["width"] <= 8]
    if len(ctr) != len(want):
        fail("chrome: %d counter events, want %d" % (len(ctr), len(want)))
    for e, r in zip(ctr, want):
        if e["args"]["value"] != hx(r["value"]):
            fail("chrome: counter at seq %d" % r["seq"])
    marks = [e for e in evs if e.get("cat") == "mark"]
    if [m["name"] for m in marks] != [r["text"] for r in ref if r["kind"] == "MARK"]:
        fail("chrome: marks")
    print("ok: chrome json: %d events, %d accesses, %d counters, %d marks"
          % (len(evs), len(inst), len(ctr), len(marks)))


# ---- protobuf wire format ----------------------------------------------------
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    """[(field, value)]: ints for varints, bytes for length-delimited."""
    out, i = [], 0
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v = b[i:i + n]
            i += n
            if i > len(b):
                fail("perfetto: truncated field %d" % f)
        else:
            fail("perfetto: unexpected wire type %d (field %d)" % (wt, f))
        out.append((f, v))
    return out


def one(fl, n, default=None):
    v = [x for f, x in fl if f == n]
    return v[0] if v else default


def check_perfetto(ref, path):
    with open(path, "rb") as f:
        data = f.read()
    tracks, counters, threads, cpus, devices = {}, set(), set(), set(), set()
    inst, cnt, marks = [], [], []
    npk = 0
    for f, pk in fields(data):
        if f != 1:
            fail("perfetto: top-level field %d" % f)
        npk += 1
        p = fields(pk)
        if one(p, 10) != 1:
            fail("perfetto: packet %d without trusted_packet_sequence_id 1" % npk)
        td, te = one(p, 60), one(p, 11)
        if td is not None:
            t = fields(td)
            uuid = one(t, 1)
            if uuid in tracks:
                fail("perfetto: track %d described twice" % uuid)
            tracks[uuid] = t
            th = one(t, 4)
            if th is not None:
                tf = fields(th)
                threads.add((one(tf, 1), one(tf, 2)))
            name = one(t, 2, b"").decode()
            if name.startswith("CPU "):
                cpus.add(int(name[4:]))
            if name.startswith("device "):
                devices.add(uuid)
            if one(t, 8) is not None:
                if one(t, 5) not in devices:
                    fail("perfetto: counter track %d not under a device" % uuid)
                counters.add(uuid)
        if te is not None:
            e = fields(te)
            tu = one(e, 11)
            if tu not in tracks:
                fail("perfetto: event on undescribed track %s" % tu)
            ts = one(p, 8)
            if one(e, 9) == 4:
                if tu not in counters:
                    fail("perfetto: counter event on a non-counter track")
                cnt.append((ts, one(e, 30)))
            elif one(e, 9) == 3:
                ann = {}
                for a in [fields(x) for f2, x in e if f2 == 4]:
                    nm = one(a, 10).decode()
                    val = [x for f3, x in a if f3 != 10][0]
                    ann[nm] = val.decode() if isinstance(val, bytes) else val
                cat = one(e, 22, b"").decode()
                rec = (ts, one(e, 23, b"").decode(), ann, tu)
                (inst if cat == "mmio" else marks if cat == "mark" else []).append(rec)
            else:
                fail("perfetto: event type %s" % one(e, 9))
    acc = [r for r in ref if r["kind"] in ACCESS]
    if len(inst) != len(acc):
        fail("perfetto: %d access events, dump has %d" % (len(inst), len(acc)))
    for (ts, name, ann, tu), r in zip(sorted(inst, key=lambda x: x[2]["seq"]), acc):
        if ann["seq"] != r["seq"] or ts != r["ts"] or not name.startswith(r["kind"]):
            fail("perfetto: seq %d: %s vs %s" % (r["seq"], (ts, name, ann), r))
        if r["kind"] != "LOST" and (ann["addr"] != hx(r["phys"]) or ann["width"] != r["width"]):
            fail("perfetto: seq %d addr/width" % r["seq"])
        if r["kind"] in ("R", "W"):
            v = ann["value"]
            if (hx(v) if isinstance(v, str) else v) != hx(r["value"]):
                fail("perfetto: seq %d value" % r["seq"])
        if ann["pc"] != hx(r["pc"]):
            fail("perfetto: seq %d pc" % r["seq"])
        if "tid" not in r and "cpu" in r:
            if one(tracks[tu], 2, b"").decode() != "CPU %d" % r["cpu"]:
                fail("perfetto: seq %d not on its CPU's track" % r["seq"])
    # the thread when known; the CPU when only it is (kernel); else the pid
    want_thr = {(r["pid"], r.get("tid", r["pid"])) for r in acc
                if "tid" in r or "cpu" not in r}
    want_cpu = {r["cpu"] for r in acc if "tid" not in r and "cpu" in r}
    if threads != want_thr or cpus != want_cpu:
        fail("perfetto: threads %s cpus %s, want %s %s" % (threads, cpus, want_thr, want_cpu))
    want = [r for r in ref if r["kind"] in ("R", "W") and r["width"] <= 8]
    if [c[1] & 0xFFFFFFFFFFFFFFFF for c in cnt] != [hx(r["value"]) for r in want]:
        fail("perfetto: counter values differ from the accesses")
    regs = {(hx(r["phys"]), r["width"]) for r in want}
    if len(counters) != len(regs):
        fail("perfetto: %d counter tracks for %d registers" % (len(counters), len(regs)))
    if [m[1] for m in marks] != [r["text"] for r in ref if r["kind"] == "MARK"]:
        fail("perfetto: marks")
    print("ok: perfetto: %d packets, %d tracks (%d threads, %d CPUs, %d devices, %d counters), "
          "%d access events, %d counter events, %d marks"
          % (npk, len(tracks), len(threads), len(cpus), len(devices), len(counters),
             len(inst), len(cnt), len(marks)))


ref = load_ref(sys.argv[1])
check_csv(ref, sys.argv[2])
check_chrome(ref, sys.argv[3])
check_perfetto(ref, sys.argv[4])
