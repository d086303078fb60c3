#!/bin/bash
# regen.sh - record again the traces tests/replay/ replays on the host: runs
# the VM tests that record them in QEMU (the real tools: python3 on edu's
# BAR0 under `mmiotap record`; interactive dpdk-testpmd with DPDK's e1000
# PMD over uio_pci_generic) and copies their traces, the programs' output
# and inputs here (the testpmd trace xz-compressed). Run from the top of the
# tree after `make`.
set -eu
BUILD=${BUILD:-build}
BUILD=$BUILD TEST_LOGDIR=$BUILD/test-logs bash tests/run-tests.sh tests/vm/test-userspace-python.sh \
	tests/vm/test-userspace-dpdk.sh
src=$BUILD/vm/test-userspace-python
cp "$src/trace.mt" "$src/python.txt" "$src/edu.py" tests/replay/edu-python/
echo "tests/replay/edu-python/ updated from $src"
src=$BUILD/vm/test-userspace-dpdk/replay
cp "$src/args" "$src/cmds" "$src/testpmd.txt" tests/replay/dpdk-testpmd/
xz -9 -c "$src/trace.mt" >tests/replay/dpdk-testpmd/trace.mt.xz
echo "tests/replay/dpdk-testpmd/ updated from $src"
