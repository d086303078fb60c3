#!/usr/bin/env bash
# Not part of make check: reproduces, on QEMU's multi-threaded TCG, the
# cross-modifying-code failure behind the old intermittent soft lockup of
# tests/vm/test-kmod-stress.sh (docs/HOWTO_TEST.md).
#   bash tests/vm/repro/tcg-cmc.sh ftrace|mmiotap|paused [SECONDS]
# ftrace: no mmiotap at all; the kernel's function tracer on ioremap,
# iounmap and remove_vm_area toggled while a kthread runs them. mmiotap:
# insmod/rmmod of mmiotap.ko instead. paused: the same with the kthread
# paused around each insmod/rmmod. Prints the cycles done and the kernel
# reports (int3, soft lockup, RCU stall) found on the console.
# VM_ACCEL=tcg,thread=single runs the same on single-threaded TCG.
set -u
. "$(dirname "$0")/../test-lib.sh"
mode=${1:?usage: tcg-cmc.sh ftrace|mmiotap|paused [SECONDS]}
secs=${2:-120}
vmt_kmod_build
res=$top/$B/vm/repro-tcg-cmc-$mode
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev edu --dev ivshmem=4M --results "$res" --timeout $((secs + 180)) -q \
	--env MTK_KODIR="$top/$B/kmod" --env REPRO_MODE="$mode" --env REPRO_SECS="$secs" \
	"$here/repro/tcg-cmc-guest.sh"
echo "exit $?; $(cat "$res/cycles.txt" 2>/dev/null || echo 'no cycle count: the guest did not finish')"
grep -E 'int3: |soft lockup|self-detected stall|RIP: ' "$res/console.log" | head -6
