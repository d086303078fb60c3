#!/usr/bin/env bash
# VM test (issue 7): `mmiotap record --ptrace` on the STATIC busybox
# (package busybox-static, /bin/busybox) driving QEMU's edu device through
# /dev/mem. A shell runs many devmem processes, so the tracer follows fork
# and exec of a static binary LD_PRELOAD cannot see. The trace must equal
# QEMU's own log of the edu-mmio region (order, width, value; the 1- and
# 2-byte accesses edu rejects appear in QEMU's guest_errors), agree with the
# values devmem printed, and an altered copy must be rejected.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_init test-ptrace-devmem
bb=/bin/busybox
[ -x $bb ] && ! head -c 1024 $bb | grep -q 'ld-linux' ||
	{ echo "SKIP: no static busybox at $bb (apt-get install busybox-static)"; exit 77; }

# The guest script (kept here: the whole test in one file); the devmem calls
# are guest-lib.sh's vm_edu_devmem_script, as in test-userspace-devmem.sh.
cat >"$res/guest.sh" <<'EOG'
set -e
. "$VM_LIB"
mt=${MT_BIN:?MT_BIN not set}
bdf=$(vm_pci_find 1234 11e8)
vm_bar_save "$bdf" 0 edu-bar
echo "edu at $bdf, BAR0 $VM_BAR_START-$VM_BAR_END"
vm_edu_devmem_script /bin/busybox "$VM_BAR_START" >/tmp/drive.sh
"$mt" record --ptrace -o "$VM_RESULTS/trace.mt" -- /bin/busybox sh /tmp/drive.sh >"$VM_RESULTS/devmem.txt"
cat "$VM_RESULTS/devmem.txt"
EOG

vmt_run_vm --dev edu --timeout 150 --env "MT_BIN=$mt" "$res/guest.sh"
vmt_edu_devmem_checks
echo "PASS: static busybox devmem under mmiotap record --ptrace: $n accesses equal QEMU's log; altered copy rejected"
