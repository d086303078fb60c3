#!/bin/bash
# regen.sh - record again the traces tests/replay/ replays on the host:
# runs the VM test that records them in QEMU (the real tools: python3 on
# edu's BAR0 under `mmiotap record`) and copies its trace, the program's
# output and the script here. Run from the top of the tree after `make`.
set -eu
BUILD=${BUILD:-build}
BUILD=$BUILD TEST_LOGDIR=$BUILD/test-logs bash tests/run-tests.sh tests/vm/test-userspace-python.sh
src=$BUILD/vm/test-userspace-python
cp "$src/trace.mt" "$src/python.txt" "$src/edu.py" tests/replay/edu-python/
echo "tests/replay/edu-python/ updated from $src"
