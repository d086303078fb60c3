#!/usr/bin/env bash
# VM test: `mmiotap record` on Debian's dynamic busybox devmem driving edu
# through /dev/mem (issue 5 item 9). The trace must equal QEMU's own log of
# the edu-mmio region (every access, order, width, value; the 1- and 2-byte
# accesses edu rejects appear in QEMU's guest_errors), hold at least 25
# accesses, agree with the values devmem printed, and an altered copy of it
# must be rejected by qemu-compare.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_init test-userspace-devmem "$b/libmmiotap-preload.so"

vmt_run_vm --dev edu --timeout 150 --env "MT_BIN=$mt" "$here/guest/userspace-devmem.sh"
vmt_edu_devmem_checks
# Replay on the host, no device (the same dynamic busybox, /dev/mem never
# opened): the same values; equal to the recording for `mmiotap diff`; a
# changed written value stops at that write.
bash "$here/../replay/check-replay-devmem.sh" "$mt" "$res" || exit 1
echo "PASS: busybox devmem (dynamic) under mmiotap record: $n accesses equal QEMU's log; altered copy rejected; replayed on the host"
