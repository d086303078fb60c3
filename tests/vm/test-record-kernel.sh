#!/usr/bin/env bash
# One recording of user space and kernel (issue 15): `mmiotap record
# --kernel` of a handshake on QEMU's edu (kmod/tests/guest-record-kernel.sh):
# user space writes command K to 0x80 through /dev/mem, the test driver
# mtk_hstest reads it through its ioremap and writes the answer to 0x88,
# user space reads the answer; 20 rounds. The merged trace must equal QEMU's
# memory_region_ops log of edu per CPU and globally (every access, width,
# value, in order), and every hand-off must be in its true order in the
# trace (user W 0x80=K < kernel R 0x80=K < kernel W 0x88 < user R 0x88 <
# the next round): kernel and user-space time stamps on one clock. Header:
# clock MONOTONIC, source MERGED.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
vmt_init test-record-kernel "$b/libmmiotap-preload.so" "$b/kmod/mtk_hstest.ko"
N=20
vmt_run_vm --dev edu --timeout 300 --env MTK_KODIR="$b/kmod" --env MMIOTAP="$mt" \
	--env HS_ROUNDS=$N "$top/kmod/tests/guest-record-kernel.sh"
bar=$(cat "$res/edu-bar")
start=$((${bar%-*}))
"$mt" dump "$res/one.trace" >"$res/one.txt" && "$mt" dump -f jsonl "$res/one.trace" >"$res/one.jsonl" ||
	{ echo "FAIL: mmiotap dump"; exit 1; }
[ "$(od -An -tu2 -j20 -N2 "$res/one.trace" | tr -d ' ')" = 1 ] || { echo "FAIL: header clock is not MONOTONIC"; exit 1; }
[ "$(od -An -tu2 -j22 -N2 "$res/one.trace" | tr -d ' ')" = 5 ] || { echo "FAIL: header source is not MERGED"; exit 1; }
grep -q '^UNKNOWN\|^LOST' "$res/one.txt" && { echo "FAIL: UNKNOWN or LOST records"; exit 1; }
# the answers user space printed
want=$(for ((k = 1; k <= N; k++)); do printf '0x%08X\n' $((k ^ 0x5a5a0000)); done)
[ "$(cat "$res/answers.txt")" = "$want" ] || { echo "FAIL: answers printed:"; head "$res/answers.txt"; exit 1; }
# the merged trace is QEMU's log, per CPU and in global order
"$cmp" --per-cpu --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/one.trace" ||
	{ echo "FAIL: the one-recording trace differs from QEMU's log (per CPU)"; exit 1; }
"$cmp" -q --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/one.trace" ||
	{ echo "FAIL: the one-recording trace differs from QEMU's log (global order)"; exit 1; }
# every hand-off in its true order
python3 - "$res/one.jsonl" "$start" "$N" <<'EOP' || exit 1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
bar, n = int(sys.argv[2]), int(sys.argv[3])
def find(kind, off, val, user, after):
    for i in range(after + 1, len(recs)):
        r = recs[i]
        if (r["kind"] == kind and int(r["phys"], 16) == bar + off and int(r["value"], 16) == val
                and ("tid" in r) == user):
            return i
    print("FAIL: round %d: no %s %s 0x%x=0x%x after record %d" %
          (k, "user" if user else "kernel", kind, off, val, after))
    sys.exit(1)
users = sum(1 for r in recs if r["kind"] in "RW" and "tid" in r)
kern = sum(1 for r in recs if r["kind"] in "RW" and "tid" not in r)
if users != 2 * n or kern != 2 * n:
    print("FAIL: %d user-space and %d kernel accesses, want %d each" % (users, kern, 2 * n))
    sys.exit(1)
pos = -1
for k in range(1, n + 1):
    a = find("W", 0x80, k, True, pos)
    b = find("R", 0x80, k, False, a)
    c = find("W", 0x88, k ^ 0x5a5a0000, False, b)
    pos = find("R", 0x88, k ^ 0x5a5a0000, True, c)
    if not a < b < c < pos or any(recs[i]["ts"] > recs[j]["ts"] for i, j in ((a, b), (b, c), (c, pos))):
        print("FAIL: round %d out of order" % k)
        sys.exit(1)
print("ok: %d rounds, each hand-off user -> kernel -> user in order (%d records)" % (n, len(recs)))
EOP
echo "PASS: record --kernel: $N handshakes, user space and kernel in one trace equal QEMU's log per CPU and globally, hand-offs in order"
