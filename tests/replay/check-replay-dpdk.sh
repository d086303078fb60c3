#!/bin/bash
# check-replay-dpdk.sh MMIOTAP DIR - replay DIR/trace.mt (or trace.mt.xz) (interactive
# dpdk-testpmd with DPDK's e1000 PMD over uio_pci_generic, recorded in QEMU
# by tests/vm/guest/userspace-dpdk.sh: port init, info, stats, stop, start,
# summary, close; no forwarding, no interrupts) on this machine, with no
# such device: EAL finds its device in the recorded sysfs files (FILE
# records), the PMD's accesses are answered from the recording, and
# testpmd's output (EAL's own lines aside: they describe this machine's
# CPUs and memory) equals DIR/testpmd.txt with no divergence. Then the same
# with --rxd=512 (the recording had 256 descriptors) must stop at the
# write of the RX ring length (RDLEN, 0x2808). The ring base addresses
# (RDBAL/RDBAH 0x2800/4, TDBAL/TDBAH 0x3800/4) are physical addresses of
# this machine's hugepages: --ignore-value. Needs root (hugepages; it
# reserves 32 of 2 MiB for the run if they are not free, and gives them
# back).
set -u
mt=$1 d=$2
tp=/usr/bin/dpdk-testpmd
[ -x $tp ] || { echo "SKIP: no $tp (package dpdk-dev)"; exit 77; }
ls /usr/lib/x86_64-linux-gnu/dpdk/pmds-*/librte_net_e1000.so* >/dev/null 2>&1 ||
	{ echo "SKIP: no DPDK e1000 PMD (package librte-net-e1000-23)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (hugepages)"; exit 77; }
t=$(mktemp -d "${TMPDIR:-/tmp}/mt-replay.XXXXXX")
hp=/sys/kernel/mm/hugepages/hugepages-2048kB
old_nr=$(cat $hp/nr_hugepages) || { echo "SKIP: no 2 MiB hugepages"; exit 77; }
cleanup() {
	[ "$(cat $hp/nr_hugepages)" = "$old_nr" ] || echo "$old_nr" >$hp/nr_hugepages
	rm -rf "$t"
}
trap cleanup EXIT
if [ ! -e "$d/trace.mt" ] && [ -e "$d/trace.mt.xz" ]; then
	xz -dc "$d/trace.mt.xz" >"$t/trace.mt" || { echo "FAIL: xz -d $d/trace.mt.xz"; exit 1; }
	tr=$t/trace.mt
else
	tr=$d/trace.mt
fi
free=$(cat $hp/free_hugepages)
if [ "$free" -lt 32 ]; then
	echo $((old_nr + 32 - free)) >$hp/nr_hugepages
	[ "$(cat $hp/free_hugepages)" -ge 32 ] || { echo "FAIL: cannot reserve 32 hugepages"; exit 1; }
fi
res=$(awk '$1 == "EXT" && /path=/ { sub(/.*path=/, ""); print; exit }' <("$mt" dump "$tr"))
case $res in /sys/bus/pci/devices/*/resource0) ;; *) echo "FAIL: mapped '$res'"; exit 1 ;; esac
bdf=${res#/sys/bus/pci/devices/}
bdf=${bdf%/resource0}
nfile=$("$mt" dump "$tr" | grep -c '^FILE ')
[ "$nfile" -ge 10 ] || { echo "FAIL: only $nfile FILE records in the trace"; exit 1; }
# shellcheck disable=SC2046 # one word a line, no blanks
set -- $(sed "s/@BDF@/$bdf/" "$d/args")
ign=(-I 0x2800 -I 0x2804 -I 0x3800 -I 0x3804)
# what testpmd says about its device: EAL's lines describe this machine
keep() { grep -v -e '^EAL: ' -e '^mmiotap ' -e '^first divergence: ' "$1"; }

"$mt" replay "${ign[@]}" -o "$t/replay.mt" "$tr" -- $tp "$@" <"$d/cmds" >"$t/out.txt" 2>&1
rc=$?
[ $rc = 0 ] || { cat "$t/out.txt"; echo "FAIL: replay of dpdk-testpmd: exit $rc"; exit 1; }
grep -q ' 0 divergences' "$t/out.txt" || { cat "$t/out.txt"; echo "FAIL: divergences"; exit 1; }
grep -q '^mmiotap replay: [0-9]* recorded files describing the device served (0 FILE' "$t/out.txt" ||
	{ cat "$t/out.txt"; echo "FAIL: no recorded files served"; exit 1; }
diff -u <(keep "$d/testpmd.txt") <(keep "$t/out.txt") ||
	{ echo "FAIL: replayed testpmd output differs from the recorded run's"; exit 1; }
for l in "Probe PCI driver: net_e1000_em (8086:100e) device: $bdf" 'Port 0: 52:54:00:12:34:56' \
	'Link status: up' 'RX-packets: 0' "0    52:54:00:12:34:56 $bdf net_e1000_em   up       1 Gbps" 'Bye...'; do
	grep -qF "$l" "$t/out.txt" || { cat "$t/out.txt"; echo "FAIL: no '$l' in the replay's output"; exit 1; }
done
"$mt" diff -v 0x2800 -v 0x2804 -v 0x3800 -v 0x3804 "$tr" "$t/replay.mt" >"$t/diff" ||
	{ cat "$t/diff"; echo "FAIL: diff of recording and replay (ring bases aside)"; exit 1; }
echo "ok: replay of dpdk-testpmd: same output ($(keep "$t/out.txt" | wc -l) lines), $(grep 'recorded files' "$t/out.txt" | sed 's/^mmiotap replay: //'); $(tail -n 1 "$t/diff")"

"$mt" replay "${ign[@]}" -o "$t/replay2.mt" "$tr" -- $tp "$@" --rxd=512 <"$d/cmds" >"$t/out2.txt" 2>&1
rc=$?
[ $rc = 3 ] || { cat "$t/out2.txt"; echo "FAIL: --rxd=512: exit $rc, want 3"; exit 1; }
grep -q "resource0 offset 0x2808: program wrote W 4 0x2000, recording has W 4 0x1000 " "$t/out2.txt" ||
	{ cat "$t/out2.txt"; echo "FAIL: divergence not reported at the RX ring length"; exit 1; }
echo "ok: --rxd=512 reported at the RDLEN write (offset 0x2808)"
