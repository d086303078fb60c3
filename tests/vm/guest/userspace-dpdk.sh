# Guest side of test-userspace-dpdk.sh: Debian's dpdk-testpmd drives QEMU's
# e1000 with DPDK's e1000 poll-mode driver over uio_pci_generic, under
# `mmiotap record`: port init (EEPROM, PHY, MAC setup), a main thread and a
# forwarding lcore thread sending packets (txonly), stop, statistics, close.
# (--txrst/--txfreet small: with the defaults QEMU's e1000 completes no
# descriptor and testpmd sends a single burst of 32.)
# Writes: e1000-bar (START-END of BAR0), trace.mt, testpmd.txt; then a
# second, interactive run for the replay on the host (replay/, below).
set -e
. "$VM_LIB"
mt=${MT_BIN:?MT_BIN not set}
secs=${TESTPMD_SECONDS:-2}
command -v dpdk-testpmd >/dev/null || vm_die "dpdk-testpmd not installed (package dpdk-dev)"
echo 64 >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
[ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages)" -ge 32 ] || vm_die "cannot reserve hugepages"
bdf=$(vm_pci_find 8086 100e)
echo "8086 100e" >/sys/bus/pci/drivers/uio_pci_generic/new_id
[ "$(basename "$(readlink "/sys/bus/pci/devices/$bdf/driver")")" = uio_pci_generic ] ||
	vm_die "$bdf is not bound to uio_pci_generic"
vm_bar_save "$bdf" 0 e1000-bar
echo "e1000 at $bdf (uio_pci_generic), BAR0 $VM_BAR_START-$VM_BAR_END"
set +e
# testpmd waits for a line on stdin ("Press enter to exit") while the lcore
# forwards: send it $secs seconds after forwarding started.
out=$VM_RESULTS/testpmd.txt
rm -f /tmp/testpmd.in && mkfifo /tmp/testpmd.in
(
	exec 3>/tmp/testpmd.in
	i=0
	until grep -q '^Press enter to exit' "$out" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 600 ] || break
		sleep 0.2
	done
	sleep "$secs"; echo >&3
) &
"$mt" record -o /tmp/trace.mt -- dpdk-testpmd -l 0-1 -n 1 -a "$bdf" \
	--in-memory -m 64 --no-telemetry -- --total-num-mbufs=2048 --rxq=1 --txq=1 \
	--nb-cores=1 --forward-mode=txonly --txd=128 --txrst=8 --txfreet=16 \
	</tmp/testpmd.in >"$out" 2>&1
rc=$?
set -e
cp /tmp/trace.mt "$VM_RESULTS/trace.mt"
tail -n 12 "$VM_RESULTS/testpmd.txt"
[ $rc = 0 ] || vm_die "dpdk-testpmd under mmiotap record exited $rc"
grep -q '^Bye' "$VM_RESULTS/testpmd.txt" || vm_die "dpdk-testpmd did not finish"

# A second recording, replayed on the host with no device
# (tests/replay/check-replay-dpdk.sh): interactive testpmd fed commands, no
# forwarding and no interrupts (nothing the device would DMA or signal:
# descriptor write-backs and interrupts are not replayed). uio needs IOVA as
# PA, so hugepages: the ring base addresses written differ on the host
# (replay --ignore-value). Writes: replay/trace.mt,
# replay/testpmd.txt (its output), replay/args (one argument a line, the
# BDF as @BDF@), replay/cmds (its standard input).
rd=$VM_RESULTS/replay
mkdir -p "$rd"
printf '%s\n' 'show port info 0' 'show port stats 0' 'port stop 0' 'port start 0' \
	'show port summary all' 'quit' >"$rd/cmds"
printf '%s\n' -l 0-1 -n 1 -a @BDF@ --in-memory -m 64 --no-telemetry \
	-- -i --total-num-mbufs=2048 --rxq=1 --txq=1 --no-lsc-interrupt --no-rmv-interrupt \
	>"$rd/args"
# shellcheck disable=SC2046 # one word a line, no blanks
set -- $(sed "s/@BDF@/$bdf/" "$rd/args")
set +e
"$mt" record -o /tmp/replay.mt -- dpdk-testpmd "$@" <"$rd/cmds" >"$rd/testpmd.txt" 2>&1
rc=$?
set -e
cp /tmp/replay.mt "$rd/trace.mt"
tail -n 5 "$rd/testpmd.txt"
[ $rc = 0 ] || vm_die "interactive dpdk-testpmd under mmiotap record exited $rc"
grep -q '^Bye' "$rd/testpmd.txt" || vm_die "interactive dpdk-testpmd did not finish"
