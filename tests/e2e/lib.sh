# tests/e2e/lib.sh - shared by the e2e test scripts (sourced).
# Finds the build ($BUILD, default build), makes a work directory that is
# kept when the test fails, and offers fail/skip helpers.
set -u
BUILD=${BUILD:-build}
M=$BUILD/mmiotap
LIB=$BUILD/libmmiotap-preload.so
case $M in /*) ;; *) M=$PWD/$M ;; esac
case $LIB in /*) ;; *) LIB=$PWD/$LIB ;; esac
[ -x "$M" ] || { echo "FAIL: $M not built"; exit 99; }
[ -f "$LIB" ] || { echo "FAIL: $LIB not built"; exit 99; }
W=$(mktemp -d "${TMPDIR:-/tmp}/mt-e2e.XXXXXX")
E2E_OK=0
trap '[ $E2E_OK = 1 ] && rm -rf "$W" || echo "work directory kept: $W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
pass() { E2E_OK=1; echo "PASS: $*"; exit 0; }
# R/W lines of a trace as "R|W WIDTH OFFSET VALUE" (memfd maps: phys == offset)
rw() { "$M" dump "$1" | awk '$1=="R"||$1=="W"{print $1, $2, $5, $6}'; }
CFLAGS_E2E="-D_GNU_SOURCE -Iruntime/include -Wall -Wextra -Werror"
