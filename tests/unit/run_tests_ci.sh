#!/usr/bin/env bash
# tests/run-tests.sh under CI=true: a skipped test (exit 77) fails, unless it
# names a limit of the machine's hardware ("SKIP: hardware: ..."); without
# CI=true both are skips.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
printf '#!/bin/sh\necho "SKIP: no frobnicator installed"; exit 77\n' >"$W/prereq.sh"
printf '#!/bin/sh\necho "SKIP: hardware: the CPU lacks FROB"; exit 77\n' >"$W/hw.sh"
run() { TEST_LOGDIR="$W/logs" bash "$top/tests/run-tests.sh" "$W/prereq.sh" "$W/hw.sh" 2>&1 | tail -n1; }
got=$(CI=true run)
[ "$got" = "0 passed, 1 failed, 1 skipped" ] || { echo "FAIL: under CI=true: $got (want the prerequisite skip to fail)"; exit 1; }
got=$(CI= run)
[ "$got" = "0 passed, 0 failed, 2 skipped" ] || { echo "FAIL: outside CI: $got"; exit 1; }
# @DIR sets BUILD for the tests after it (make check: host tests on the
# sanitizer build, QEMU tests on the plain one)
printf '#!/bin/sh\n[ "$BUILD" = one ]\n' >"$W/one.sh"
printf '#!/bin/sh\n[ "$BUILD" = two ]\n' >"$W/two.sh"
got=$(BUILD=zero TEST_LOGDIR="$W/logs" bash "$top/tests/run-tests.sh" @one "$W/one.sh" @BUILD=two "$W/two.sh" | tail -n1)
[ "$got" = "2 passed, 0 failed, 0 skipped" ] || { echo "FAIL: @DIR: $got"; exit 1; }
got=$(BUILD=zero TEST_LOGDIR="$W/logs" bash "$top/tests/run-tests.sh" @one "$W/two.sh" | tail -n1)
[ "$got" = "0 passed, 1 failed, 0 skipped" ] || { echo "FAIL: @DIR not applied: $got"; exit 1; }
echo "PASS: under CI=true a missing prerequisite fails, a hardware limit skips; @DIR sets BUILD"
