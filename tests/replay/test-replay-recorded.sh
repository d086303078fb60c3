#!/bin/bash
# Replay on the host of a trace recorded in QEMU (tests/replay/edu-python:
# python3 mapping edu's BAR0 through sysfs resource0, recorded by
# test-userspace-python.sh; tests/replay/regen.sh records it again): the
# program's output equals the recorded run's, `mmiotap diff` finds the
# replay equal to the recording, a changed written value is reported at
# its access (check-replay.sh).
set -u
BUILD=${BUILD:-build}
M=$BUILD/mmiotap
case $M in /*) ;; *) M=$PWD/$M ;; esac
[ -x "$M" ] || { echo "FAIL: $M not built"; exit 99; }
bash tests/replay/check-replay.sh "$M" tests/replay/edu-python || exit $?
echo "PASS: replay of a QEMU recording"
