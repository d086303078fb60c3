#!/usr/bin/env bash
# VM test: `mmiotap record` on Debian's dpdk-testpmd with DPDK's e1000 PMD
# over uio_pci_generic on QEMU's e1000 (issue 5 item 9): EAL maps BAR0
# through sysfs resource0; port init, a forwarding lcore thread sending
# packets (txonly) next to the main thread, stop, statistics and close.
# The trace must equal QEMU's log of e1000-mmio in global order (every
# access, width, offset, value), hold at least 500 accesses from at least
# two threads, and an altered copy must be rejected.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
b=$top/${BUILD:-build}
cmp=$b/qemu-compare mt=$b/mmiotap
for x in "$cmp" "$mt" "$b/libmmiotap-preload.so"; do
	[ -e "$x" ] || { echo "FAIL: $x not built (make ${BUILD:+BUILD=$BUILD })"; exit 99; }
done
pkgs=()
command -v dpdk-testpmd >/dev/null || pkgs+=(dpdk-dev)
dpkg -s librte-net-e1000-23 >/dev/null 2>&1 || pkgs+=(librte-net-e1000-23)
if [ ${#pkgs[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null 2>&1 ||
		{ echo "SKIP: cannot install ${pkgs[*]} (dpdk-testpmd, DPDK's e1000 PMD)"; exit 77; }
fi
res=$b/vm/test-userspace-dpdk
rm -rf "$res" && mkdir -p "$res" || exit 99

bash "$here/run-vm.sh" -q --dev e1000 --mem 1G --modules uio_pci_generic --results "$res" \
	--timeout 170 --env "MT_BIN=$mt" "$here/guest/userspace-dpdk.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc); see $res/console.log"; tail -n 25 "$res/console.log"; exit 1; }
echo "round trip: $(cat "$res/roundtrip-ms") ms"

bar=$(cat "$res/e1000-bar") || exit 1
"$mt" dump "$res/trace.mt" >"$res/trace.txt" || { echo "FAIL: mmiotap dump failed"; exit 1; }
n=$(grep -c '^[RW] ' "$res/trace.txt")
[ "$n" -ge 500 ] || { echo "FAIL: only $n accesses recorded (want >= 500)"; exit 1; }
grep -q '^EXT src=pci .* bar=0 path=/sys/bus/pci/devices/.*/resource0' "$res/trace.txt" ||
	{ echo "FAIL: no MAP record naming BAR0's resource0 file"; exit 1; }
grep -q '^UNKNOWN\|^LOST' "$res/trace.txt" && { echo "FAIL: UNKNOWN or LOST records in the trace"; exit 1; }
# threads that touched the device: CTX <pid> <tid> <cpu> precedes their records
nt=$(awk '/^CTX / { t = $3 } /^[RW] / { seen[t] = 1 } END { n = 0; for (k in seen) n++; print n }' "$res/trace.txt")
[ "$nt" -ge 2 ] || { echo "FAIL: only $nt thread(s) accessed the device (want the lcore too)"; exit 1; }

out=$("$cmp" --region e1000-mmio --phys "$bar" "$res/qemu.log" "$res/trace.txt")
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: the mmiotap trace differs from QEMU's log"; exit 1; }
echo "$out" | grep -q "OK: $n accesses match" || { echo "FAIL: unexpected counts (want $n accesses)"; exit 1; }

# The comparison can fail: the 10th write's value altered.
awk '/^W / && ++k == 10 { $6 = sprintf("0x%s", $6 == "0x5a5a5a5a" ? "a5a5a5a5" : "5a5a5a5a") } { print }' \
	"$res/trace.txt" >"$res/mut.txt"
[ "$(diff "$res/trace.txt" "$res/mut.txt" | grep -c '^>')" = 1 ] || { echo "FAIL: the mutation did not apply"; exit 1; }
"$cmp" --region e1000-mmio --phys "$bar" "$res/qemu.log" "$res/mut.txt" >"$res/mut.out" 2>&1
[ $? = 1 ] && grep -q MISMATCH "$res/mut.out" || { echo "FAIL: an altered trace was not rejected"; cat "$res/mut.out"; exit 1; }
w=$(awk '/^[RW] / { c[$1 $2]++ } END { for (k in c) printf " %s:%d", k, c[k] }' "$res/trace.txt")
echo "PASS: dpdk-testpmd (e1000 PMD, uio_pci_generic) under mmiotap record: $n accesses ($w ) from $nt threads equal QEMU's log; altered copy rejected"
