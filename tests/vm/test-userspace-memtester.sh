#!/usr/bin/env bash
# VM test: `mmiotap record` on Debian's memtester -p testing the RAM of an
# ivshmem-plain BAR2 through /dev/mem (issue 5 item 9).
#
# QEMU does NOT log accesses to a RAM-backed BAR: under TCG they go straight
# to host memory, never through memory_region_ops (this test shows that the
# log holds none). The ground truth is instead:
#  - memtester itself: every test must report "ok" (the values the tracer
#    returned to the program were right);
#  - memtester's code (4.6.0: tests.c, and the binary's loops): for SIZE
#    bytes, c = SIZE/16, one loop, the accesses are fully determined; e.g.
#    Stuck Address makes 64c 8-byte reads (its `*p1++;` is a volatile read)
#    and 32c writes; before each other test main() memsets the whole buffer
#    (glibc: REP STOSB here, so widths depend on the CPU: only the bytes
#    written are checked for memset); see replay.py below for every test;
#  - a memory model: replaying the trace, every read returns the bytes last
#    written there, and every access lies in the tested range;
#  - the device memory itself: QEMU's backend is a host file (share=on);
#    after the run its bytes equal the trace's last writes, byte for byte.
# The replay checker must also reject the trace with one read value altered.
# Speed: under TCG a traced access costs 50-300 us here, so the full test
# set on one page (5,600 c = 1.4 M accesses) takes minutes; the default
# MEMTESTER_TEST_MASK=0x181ff runs Stuck Address, Random Value, the six
# read-modify-write tests, Sequential Increment, Solid Bits and the 8- and
# 16-bit writes (about 150,000 accesses). MEMTESTER_TEST_MASK=0 runs all.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_init test-userspace-memtester "$b/libmmiotap-preload.so"
py=/usr/bin/python3
for p in memtester:/usr/sbin/memtester python3:$py; do
	[ -x "${p#*:}" ] || vmt_install "Debian's ${p%%:*}" "${p%%:*}"
done
size=${MEMTESTER_SIZE:-4096}
mask=${MEMTESTER_TEST_MASK:-0x181ff}
mem=$res/ivshmem.bin
truncate -s 1M "$mem" || exit 99

vmt_run_vm --dev "ivshmem-file=$mem,1M" --timeout 170 \
	--env "MT_BIN=$mt" --env "MEMTESTER_SIZE=$size" --env "MEMTESTER_TEST_MASK=$mask" "$here/guest/userspace-memtester.sh"

[ "$(cat "$res/rc")" = 0 ] || { echo "FAIL: memtester exited $(cat "$res/rc")"; cat "$res/memtester.txt"; exit 1; }
grep -a -q FAIL "$res/memtester.txt" && { echo "FAIL: memtester reported failures:"; grep -a FAIL "$res/memtester.txt" | head; exit 1; }
ntests=0
for i in $(seq 0 16); do [ $((mask)) = 0 ] || [ $(((mask >> i) & 1)) = 1 ] && ntests=$((ntests + 1)); done
nok=$(grep -a -c 'ok$' "$res/memtester.txt")
[ "$nok" = $((ntests + 1)) ] || { echo "FAIL: memtester reported $nok tests ok, want $((ntests + 1))"; cat "$res/memtester.txt"; exit 1; }

bar=$(cat "$res/bar2") || exit 1
nq=$("$py" -c '
import re, sys
lo, hi = (int(x, 16) for x in sys.argv[2].split("-"))
print(sum(1 for l in open(sys.argv[1], errors="replace")
          if (m := re.match(r"memory_region_ops_\w+ .* addr (0x[0-9a-f]+) ", l)) and lo <= int(m[1], 16) <= hi))
' "$res/qemu.log" "$bar") || exit 1
echo "QEMU's log: $nq entries in BAR2 $bar (a RAM-backed BAR is not MMIO: QEMU does not log it)"

vmt_trace 0
grep -q '^EXT src=file .*path=/dev/mem' "$res/trace.txt" || { echo "FAIL: no MAP record naming /dev/mem"; exit 1; }

cat >"$res/replay.py" <<'EOS'
import sys
trace, memfile, base, size, mask = sys.argv[1], sys.argv[2], int(sys.argv[3], 16), int(sys.argv[4]), int(sys.argv[5], 0)
mutate = int(sys.argv[6]) if len(sys.argv) > 6 else 0
c = size // 16
# memtester 4.6.0, per test in tests[] order: (8-byte reads, 8-byte writes,
# 1-byte writes, 2-byte writes), in units of c. Fills write both halves
# (2c), compare_regions reads both (2c); RMW tests read and write each word.
tests = [(2, 2, 0, 0)] + [(4, 2, 0, 0)] * 6 + [(2, 2, 0, 0), (128, 128, 0, 0), (512, 512, 0, 0),
         (128, 128, 0, 0), (256, 256, 0, 0), (1024, 1024, 0, 0), (256, 256, 0, 0), (256, 256, 0, 0),
         (4, 2, 16, 0), (4, 2, 0, 8)]
run = [t for i, t in enumerate(tests) if mask == 0 or mask >> i & 1]
r8 = 64 * c + sum(t[0] for t in run) * c                  # + Stuck Address
wbytes = (32 * c + sum(t[1] for t in run) * c) * 8 + sum(t[2] + 2 * t[3] for t in run) * c \
    + len(run) * size                                   # + memset(buf, 255, size) per test
shadow = bytearray(size)
known = bytearray(size)
count = {}
nreads = 0
bad = []
with open(trace) as f:
    for ln, line in enumerate(f, 1):
        if line[:2] not in ("R ", "W "):
            continue
        fld = line.split()
        k, w, a, v = fld[0], int(fld[1]), int(fld[4], 16) - base, int(fld[5], 16)
        count[(k, w)] = count.get((k, w), 0) + 1
        if a < 0 or a + w > size:
            bad.append("line %d: access outside the tested range: %s" % (ln, line.strip()))
            break
        b = v.to_bytes(w, "little")
        if k == "W":
            shadow[a:a + w] = b
            known[a:a + w] = b"\1" * w
            continue
        nreads += 1
        if nreads == mutate:
            b = (v ^ 1).to_bytes(w, "little")
        if known[a:a + w] != b"\1" * w:
            bad.append("line %d: read of bytes never written: %s" % (ln, line.strip()))
        elif shadow[a:a + w] != b:
            bad.append("line %d: read 0x%x, last written 0x%x: %s" % (ln, int.from_bytes(b, "little"),
                       int.from_bytes(shadow[a:a + w], "little"), line.strip()))
        if len(bad) >= 5:
            break
nw = sum(w * n for (k, w), n in count.items() if k == "W")
nr = {w: n for (k, w), n in count.items() if k == "R"}
if not bad and (nr != {8: r8} or nw != wbytes):
    bad.append("reads by width %s and %d bytes written; memtester's code gives {8: %d} and %d bytes"
               % (nr, nw, r8, wbytes))
if not bad:
    dev = open(memfile, "rb").read(size)
    for i in range(size):
        if dev[i] != shadow[i] or not known[i]:
            bad.append("device byte +0x%x is 0x%02x, the trace last wrote 0x%02x" % (i, dev[i], shadow[i]))
            break
for x in bad:
    print("replay: " + x)
if bad:
    sys.exit(1)
print("replay: %d accesses (%s) consistent; %d reads return the last write; device memory equals the last writes"
      % (sum(count.values()), ", ".join("%s%d:%d" % (k, w, n) for (k, w), n in sorted(count.items())), nreads))
EOS
if [ "$nq" != 0 ]; then # this QEMU does log the BAR: then it must match too
	"$cmp" --phys "$bar" "$res/qemu.log" "$res/trace.txt" || { echo "FAIL: the trace differs from QEMU's log"; exit 1; }
fi
"$py" "$res/replay.py" "$res/trace.txt" "$mem" "${bar%-*}" "$size" "$mask" || { echo "FAIL: the trace is not memtester's accesses"; exit 1; }
# The checker can fail: the same trace with one read value altered (the 1000th read).
"$py" "$res/replay.py" "$res/trace.txt" "$mem" "${bar%-*}" "$size" "$mask" 1000 >"$res/mut.out" 2>&1
[ $? = 1 ] && grep -q 'last written' "$res/mut.out" || { echo "FAIL: an altered read was not caught"; cat "$res/mut.out"; exit 1; }
n=$(grep -c '^[RW] ' "$res/trace.txt")
# Replay on the host with no device (mmiotap replay): the same output.
bash "$here/../replay/check-replay-memtester.sh" "$mt" "$res" "$size" "$mask" || exit 1
echo "PASS: memtester -p ${size}B (test mask $mask) under mmiotap record: $n accesses, $((ntests + 1)) tests ok, counts = memtester's source, replay and device memory agree; altered read caught; replayed on the host"
