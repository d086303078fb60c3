#!/bin/bash
# Replay on the host of dpdk-testpmd recorded in QEMU (tests/replay/
# dpdk-testpmd: DPDK's e1000 PMD over uio_pci_generic, interactive, no
# forwarding; recorded by tests/vm/test-userspace-dpdk.sh, saved by
# tests/replay/regen.sh): EAL finds the e1000 in the recorded sysfs files
# (FILE records), testpmd prints what it printed in QEMU, the replay's
# trace diffs equal to the recording, a run with another RX ring size is
# stopped at that write (check-replay-dpdk.sh). Root (hugepages).
set -u
BUILD=${BUILD:-build}
M=$BUILD/mmiotap
case $M in /*) ;; *) M=$PWD/$M ;; esac
[ -x "$M" ] || { echo "FAIL: $M not built"; exit 99; }
bash tests/replay/check-replay-dpdk.sh "$M" tests/replay/dpdk-testpmd || exit $?
echo "PASS: replay of dpdk-testpmd recorded in QEMU, no device"
