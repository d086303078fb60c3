#!/usr/bin/env python3
# ivshmem-check.py - checks of one kernel trace of the ivshmem test driver
# (kmod/tests/mtk_ivtest.c) on BAR2, which QEMU does not log (RAM), for
# tests/vm/test-kmod-ivshmem.sh. Usage:
#
#   ivshmem-check.py TRACE.txt --bar0 A-B --bar2 A-B --set S --round LINE
#                    [--devfile FILE] [--inj-xor X --ivpos-inject V] [--mutate N]
#
# TRACE.txt is `mmiotap dump` output; LINE the driver's "mtk_ivtest: round"
# line for the round the trace holds. Checked:
#   - no LOST; UNKNOWN only the round's CRC32 steps (f2 0f 38 f1, at the
#     word the step reads), each followed by the traced readl of that word;
#   - every BAR2 access lies in the round's address set S (the layout of
#     mtk_ivtest.c, repeated below);
#   - bytes read and written on BAR2, the 16- and 32-byte accesses, the
#     hardirq areas' bytes and BAR0's hardirq register accesses equal the
#     driver's own counts; hardirq accesses come from every worker CPU, and
#     the CPUs' accesses interleave;
#   - a memory model: replaying the trace, every BAR2 read returns the bytes
#     last written there (and only bytes written in the trace are read);
#   - --devfile (QEMU's memory-backend-file of BAR2, after the run): every
#     byte the trace wrote holds the trace's last write (later phases use
#     other address sets);
#   - injection (--inj-xor): every write of the injection word is flagged
#     injected, reached the device as orig ^ X, one per iteration; 4-byte
#     IVPosition reads (readl and CMP, 2 per iteration per non-owner CPU)
#     are flagged injected with value V; without it nothing is injected.
# --mutate N alters the value of the Nth BAR2 read (the checker must fail).
# Exit 0 with one summary line, 1 with the problems found.
import argparse
import re
import sys

ap = argparse.ArgumentParser()
ap.add_argument("trace")
ap.add_argument("--bar0", required=True)
ap.add_argument("--bar2", required=True)
ap.add_argument("--set", type=int, required=True)
ap.add_argument("--round", required=True)
ap.add_argument("--devfile")
ap.add_argument("--inj-xor", type=lambda x: int(x, 0))
ap.add_argument("--ivpos-inject", type=lambda x: int(x, 0))
ap.add_argument("--mutate", type=int, default=0)
a = ap.parse_args()

b0lo, b0hi = (int(x, 16) for x in a.bar0.split("-"))
b2lo, b2hi = (int(x, 16) for x in a.bar2.split("-"))
S = a.set
m = re.search(r"round \d+: set (\d+) iters (\d+) cpus (\d+): bar2 R (\d+) W (\d+); vec R16 (\d+) W16 (\d+) "
              r"R32 (\d+) W32 (\d+); irq ticks (\S+) bar0 (\d+) bar2 R (\d+) W (\d+); inject (\d+); "
              r"stepped (\d+); errors (\d+)", a.round)
if not m:
    sys.exit("ivshmem-check: cannot parse the round line: " + a.round)
(rset, iters, ncpu, want_rb, want_wb, r16, w16, r32, w32) = (int(m[i]) for i in range(1, 10))
ticks = [int(t) for t in m[10].split(",")] if m[10] != "-" else []
want_i0, want_irb, want_iwb, want_inj, stepped, errors = (int(m[i]) for i in range(11, 17))
problems = []
if rset != S:
    problems.append("the round line is for set %d, not %d" % (rset, S))
if errors:
    problems.append("the driver counted %d wrong values" % errors)

# mtk_ivtest.c's BAR2 layout (offsets)
M2, M1 = 0x200000, 0x100000


def area(c, s):
    return (c % 2) * M2 + M1 + s * 0x10000 + (c // 2) * 0x4000


def irqarea(c, s):
    return (c % 2) * M2 + M1 + 0x80000 + s * 0x1000 + (c // 2) * 0x100


ranges = [(area(c, S), 0x2000, "area") for c in range(ncpu)]
ranges += [(irqarea(c, S), 0x100, "irq") for c in range(ncpu)]
ranges += [(M2 - 4 - S * 16, 8, "cross2M"), (S * 0x100, 8, "alt")]
inj = area(0, S) + 0x800
step_word = b2lo + area(0, S) + 4


def where(off, w):
    for lo, n, name in ranges:
        if lo <= off and off + w <= lo + n:
            return name
    return None


size = b2hi - b2lo + 1
shadow = bytearray(size)
known = bytearray(size)
rb = wb = irb = iwb = i0 = 0
nv = {}
irq_cpus = set()
cpu_of_area = {}
cpu = None
prev_cpu = None
switches = 0
nreads = 0
unknown = []
after_unknown = None
inj_w = inj_bad = ivp_inj = other_inj = 0
last = None  # (kind, width, phys, value) of the last R/W line, for its EXT line
lines = open(a.trace).read().splitlines()
for ln, line in enumerate(lines, 1):
    f = line.split()
    if not f:
        continue
    if f[0] == "CTX":
        cpu = f[3]
        continue
    if f[0] == "LOST":
        problems.append("line %d: LOST records: %s" % (ln, line))
        continue
    if f[0] == "UNKNOWN":
        phys = int(f[3], 16)
        insn = lines[ln][4:] if ln < len(lines) and lines[ln].startswith("EXT ") else ""
        unknown.append(ln)
        if phys != step_word or "insn=f20f38f1" not in insn:
            problems.append("line %d: an UNKNOWN that is not the round's CRC32 step: %s / %s" % (ln, line, insn))
        after_unknown = phys
        last = None
        continue
    if f[0] == "EXT":
        if last is None:
            continue
        k, w, phys, val = last
        flags = re.search(r"flags=(\S+)", line)
        orig = re.search(r"orig=(0x[0-9a-f]+)", line)
        injected = flags and "injected" in flags[1]
        if not injected:
            continue
        if a.inj_xor is not None and k == "W" and w == 4 and phys == b2lo + inj and orig:
            inj_w += 1
            if val != int(orig[1], 16) ^ a.inj_xor:
                inj_bad += 1
        elif a.inj_xor is not None and k == "R" and w == 4 and phys == b0lo + 8 and orig:
            ivp_inj += 1
            if val != a.ivpos_inject:
                inj_bad += 1
        else:
            other_inj += 1
        continue
    if f[0] not in ("R", "W"):
        last = None
        continue
    k, w, phys, val = f[0], int(f[1]), int(f[4], 16), int(f[5], 16)
    last = (k, w, phys, val)
    if b0lo <= phys <= b0hi:
        if phys == b0lo + 0x90:
            i0 += 1
        if cpu != prev_cpu:
            switches += prev_cpu is not None
            prev_cpu = cpu
        continue
    if not (b2lo <= phys <= b2hi):
        problems.append("line %d: an access outside BAR0 and BAR2: %s" % (ln, line))
        continue
    if cpu != prev_cpu:
        switches += prev_cpu is not None
        prev_cpu = cpu
    off = phys - b2lo
    wh = where(off, w)
    if wh is None:
        problems.append("line %d: BAR2 +0x%x (%d bytes) is not in set %d's addresses: %s" % (ln, off, w, S, line))
        continue
    step_read = after_unknown is not None  # made by the round's initiator, on any CPU
    if step_read:
        if not (k == "R" and w == 4 and phys == after_unknown):
            problems.append("line %d: the access after the CRC32 step is not the readl of its word: %s" % (ln, line))
        after_unknown = None
    if w in (16, 32):
        nv[(k, w)] = nv.get((k, w), 0) + 1
    if wh == "irq":
        irq_cpus.add(cpu)
        if k == "R":
            irb += w
        else:
            iwb += w
    elif wh == "area" and not step_read:
        cpu_of_area.setdefault(off // 0x10000, set()).add(cpu)
    b = val.to_bytes(w, "little")
    if k == "W":
        wb += w
        shadow[off:off + w] = b
        known[off:off + w] = b"\1" * w
        continue
    rb += w
    nreads += 1
    if nreads == a.mutate:
        b = (val ^ 1).to_bytes(w, "little")
    if known[off:off + w] != b"\1" * w:
        problems.append("line %d: read of BAR2 bytes never written in this trace: %s" % (ln, line))
    elif shadow[off:off + w] != b:
        problems.append("line %d: read 0x%x, last written 0x%x: %s" % (ln, int.from_bytes(b, "little"),
                        int.from_bytes(shadow[off:off + w], "little"), line))
    if len(problems) > 8:
        break

if len(unknown) != stepped:
    problems.append("%d UNKNOWN records, the driver made %d CRC32 steps" % (len(unknown), stepped))
if (rb, wb) != (want_rb, want_wb):
    problems.append("BAR2 bytes read/written %d/%d, the driver made %d/%d" % (rb, wb, want_rb, want_wb))
got_v = (nv.get(("R", 16), 0), nv.get(("W", 16), 0), nv.get(("R", 32), 0), nv.get(("W", 32), 0))
if got_v != (r16, w16, r32, w32):
    problems.append("vector accesses R16/W16/R32/W32 %s, the driver made %s" % (got_v, (r16, w16, r32, w32)))
if (irb, iwb, i0) != (want_irb, want_iwb, want_i0):
    problems.append("hardirq accesses: BAR2 bytes R/W %d/%d, BAR0 %d; the driver made %d/%d, %d"
                    % (irb, iwb, i0, want_irb, want_iwb, want_i0))
if ticks and (len(ticks) != ncpu or min(ticks) < 3 or len(irq_cpus) != ncpu):
    problems.append("hardirq ticks per CPU %s, hardirq accesses traced on CPUs %s" % (ticks, sorted(irq_cpus)))
for o, cs in sorted(cpu_of_area.items()):
    if len(cs) != 1:
        problems.append("the area at +0x%x was accessed from CPUs %s" % (o * 0x10000, sorted(cs)))
if ncpu > 1 and switches < 10:
    problems.append("only %d CPU switches in the trace: the CPUs did not run concurrently" % switches)
if a.inj_xor is not None:
    want_ivp = 2 * iters * (ncpu - 1) if ncpu > 1 else 0
    if inj_w != want_inj or ivp_inj != want_ivp or inj_bad or other_inj:
        problems.append("injection: %d injected word writes (want %d), %d injected IVPosition reads (want %d), "
                        "%d with a wrong value, %d other injected accesses"
                        % (inj_w, want_inj, ivp_inj, want_ivp, inj_bad, other_inj))
elif other_inj or inj_w or ivp_inj:
    problems.append("%d injected accesses without injection rules" % (other_inj + inj_w + ivp_inj))
if a.devfile and not problems:
    dev = open(a.devfile, "rb").read()
    for i in range(size):
        if known[i] and dev[i] != shadow[i]:
            problems.append("device byte BAR2+0x%x is 0x%02x, the trace last wrote 0x%02x" % (i, dev[i], shadow[i]))
            break
for p in problems[:8]:
    print("ivshmem-check: " + p)
if problems:
    sys.exit(1)
print("ivshmem-check: set %d: %d BAR2 reads, %d/%d bytes R/W = the driver's; vector R16/W16/R32/W32 %s; hardirq "
      "BAR2 %d/%d bytes, BAR0 %d accesses on CPUs %s (ticks %s); %d CRC32 step(s); %d CPU switches; every read "
      "returns the last write%s%s"
      % (S, nreads, rb, wb, got_v, irb, iwb, i0, ",".join(sorted(irq_cpus)), m[10], len(unknown), switches,
         "; device memory holds the last writes" if a.devfile else "",
         "; %d word writes and %d IVPosition reads injected" % (inj_w, ivp_inj) if a.inj_xor is not None else ""))
