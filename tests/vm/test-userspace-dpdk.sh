#!/usr/bin/env bash
# VM test: `mmiotap record` on Debian's dpdk-testpmd with DPDK's e1000 PMD
# over uio_pci_generic on QEMU's e1000 (issue 5 item 9): EAL maps BAR0
# through sysfs resource0; port init, a forwarding lcore thread sending
# packets (txonly) next to the main thread, stop, statistics and close.
# The trace must equal QEMU's log of e1000-mmio in global order (every
# access, width, offset, value), hold at least 500 accesses from at least
# two threads, and an altered copy must be rejected. A second, interactive
# run (no forwarding) is recorded too and replayed on the host with no
# device (tests/replay/check-replay-dpdk.sh).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_init test-userspace-dpdk "$b/libmmiotap-preload.so"
pkgs=()
command -v dpdk-testpmd >/dev/null || pkgs+=(dpdk-dev)
dpkg -s librte-net-e1000-23 >/dev/null 2>&1 || pkgs+=(librte-net-e1000-23)
[ ${#pkgs[@]} = 0 ] || vmt_install "${pkgs[*]} (dpdk-testpmd, DPDK's e1000 PMD)" "${pkgs[@]}"

vmt_run_vm --dev e1000 --mem 1G --modules uio_pci_generic --timeout 170 \
	--env "MT_BIN=$mt" "$here/guest/userspace-dpdk.sh"

bar=$(cat "$res/e1000-bar") || exit 1
vmt_trace 500
# the guest's second run (interactive, for the replay below) is in QEMU's
# log too: compare both recordings, one after the other
"$mt" dump "$res/replay/trace.mt" | grep -v '^VERSION' >>"$res/trace.txt" || exit 1
n=$(grep -c '^[RW] ' "$res/trace.txt")
grep -q '^EXT src=pci .* bar=0 .*path=/sys/bus/pci/devices/.*/resource0' "$res/trace.txt" ||
	{ echo "FAIL: no MAP record naming BAR0's resource0 file"; exit 1; }
# threads that touched the device: CTX <pid> <tid> <cpu> precedes their records
nt=$(awk '/^CTX / { t = $3 } /^[RW] / { seen[t] = 1 } END { n = 0; for (k in seen) n++; print n }' "$res/trace.txt")
[ "$nt" -ge 2 ] || { echo "FAIL: only $nt thread(s) accessed the device (want the lcore too)"; exit 1; }

vmt_compare e1000-mmio "OK: $n accesses match" "unexpected counts (want $n accesses)"

# The comparison can fail: the 10th write's value altered.
vmt_altered_rejected e1000-mmio \
	'/^W / && ++k == 10 { $6 = sprintf("0x%s", $6 == "0x5a5a5a5a" ? "a5a5a5a5" : "5a5a5a5a") } { print }'
# Replay of the second recording on the host, no device: EAL finds it in the
# recorded sysfs files, testpmd prints the same; a changed run is reported
# (tests/replay/test-replay-recorded.sh does the same from a saved copy).
bash "$here/../replay/check-replay-dpdk.sh" "$mt" "$res/replay" || exit 1
w=$(awk '/^[RW] / { c[$1 $2]++ } END { for (k in c) printf " %s:%d", k, c[k] }' "$res/trace.txt")
echo "PASS: dpdk-testpmd (e1000 PMD, uio_pci_generic) under mmiotap record: $n accesses ($w ) from $nt threads equal QEMU's log; altered copy rejected; replayed on the host"
