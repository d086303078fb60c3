#!/usr/bin/env bash
# mmiotap.ko on QEMU's edu through `mmiotap kernel record`: the test driver
# (kmod/tests/mtk_edutest.c) ioremaps BAR0 and accesses it from 2 CPUs at
# once (CPU 0 liveness write/read, CPU 1 4- and 8-byte id reads) and checks
# every value; the trace must equal QEMU's memory_region_ops log access by
# access, per CPU, in order, with values; MAP/UNMAP carry the PCI identity,
# the marker is in the trace; no BUG/Oops/WARNING on the console (run-vm).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
ITERS=${MTK_ITERS:-100}
# MTK_FAULT_HOOK=tracepoint (test-kmod-tracepoint.sh): the second fault hook.
hook=${MTK_FAULT_HOOK:-}
res=$top/$B/vm/test-kmod-edu${hook:+-$hook}
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" \
	--env MTK_ITERS="$ITERS" --env MTK_FAULT_HOOK="$hook" "$top/kmod/tests/guest-edu.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; exit 1; }
bar=$(cat "$res/edu-bar")
bdf=$(cat "$res/edu-bdf")
"$top/$B/mmiotap" dump "$res/edu.trace" >"$res/edu.txt" || { echo "FAIL: mmiotap dump"; exit 1; }
n=$(grep -c '^[RW] ' "$res/edu.txt")
want=$((4 * ITERS))
[ "$n" -eq "$want" ] || { echo "FAIL: $n traced accesses, want $want"; exit 1; }
for cpu in 0 1; do
	c=$(awk -v c="$cpu" '/^CTX / { cur = $4 } /^[RW] / && cur == c { n++ } END { print n + 0 }' "$res/edu.txt")
	[ "$c" -eq $((2 * ITERS)) ] || { echo "FAIL: $c accesses on CPU $cpu, want $((2 * ITERS))"; exit 1; }
done
grep -q '^MARK .*edu test loaded' "$res/edu.txt" || { echo "FAIL: the marker is not in the trace"; exit 1; }
grep -q "^MAP .*" "$res/edu.txt" && grep -q "^UNMAP " "$res/edu.txt" || { echo "FAIL: MAP/UNMAP missing"; exit 1; }
grep -q "pci=$bdf" "$res/edu.txt" || { echo "FAIL: no MAP info with pci=$bdf"; exit 1; }
# MAP and UNMAP carry the PC of the call into the ioremap / iounmap family
# (pci_iomap and pci_iounmap tail-call them: the driver's init and exit
# functions, which print where they are), not one of mmiotap.ko's.
pcs=$(python3 - "$res/dmesg.txt" "$res/edu.txt" <<'EOP'
import re, sys
at = dict(re.findall(r"mtk_edutest: (init|exit) at ([0-9a-f]+)", open(sys.argv[1]).read()))
def where(pc):
    for k, v in at.items():
        if 0 <= pc - int(v, 16) < 0x1000:
            return k
    return "%#x" % pc
out = []
for l in open(sys.argv[2]):
    f = l.split()
    if f and f[0] == "MAP":
        out.append("MAP:" + where(int(f[6], 16)))
    elif f and f[0] == "UNMAP":
        out.append("UNMAP:" + where(int(f[3], 16)))
print(" ".join(out))
EOP
)
[ "$pcs" = "MAP:init UNMAP:exit" ] ||
	{ echo "FAIL: MAP/UNMAP PCs are '$pcs', want MAP:init UNMAP:exit (in the driver's init/exit functions)"; exit 1; }
MMIOTAP="$top/$B/mmiotap" "$top/$B/qemu-compare" --per-cpu --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/edu.trace" ||
	{ echo "FAIL: trace differs from QEMU's log (per CPU)"; exit 1; }
MMIOTAP="$top/$B/mmiotap" "$top/$B/qemu-compare" -q --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/edu.trace" ||
	{ echo "FAIL: trace differs from QEMU's log (global order)"; exit 1; }
dec=$(bash "$top/tests/regdb/decode-check" "$top/$B/mmiotap" "$top/regdb/db/edu.xml" ",pci=$bdf,bar=0" \
	"$res/edu.trace" "$res/decode.jsonl") || { echo "$dec"; exit 1; }
echo "$dec"
echo "PASS: ${hook:+fault hook $hook: }$n accesses from 2 CPUs matched QEMU's log per CPU and globally; $(grep 'mtk_edutest: .*iterations' "$res/dmesg.txt" | sed 's/.*mtk_edutest: //'); MAP/UNMAP PCs in the driver's init/exit"
