# Guest side of test-userspace-memtester.sh: Debian's memtester tests the
# RAM of an ivshmem-plain BAR2 (memory-backend-file on the host) through
# /dev/mem (-p PHYSADDR) under `mmiotap record`: one loop over SIZE bytes,
# the tests selected by MEMTESTER_TEST_MASK (memtester's own variable).
# Writes: bar2 (START-END), trace.mt, memtester.txt (its output, one line
# per test), rc (memtester's exit status).
set -e
. "$VM_LIB"
mt=${MT_BIN:?MT_BIN not set}
size=${MEMTESTER_SIZE:?}
export MEMTESTER_TEST_MASK=${MEMTESTER_TEST_MASK:?}
command -v memtester >/dev/null || vm_die "memtester not installed"
bdf=$(vm_pci_find 1af4 1110)
vm_bar_save "$bdf" 2 bar2
echo "ivshmem at $bdf, BAR2 $VM_BAR_START-$VM_BAR_END; memtester -p $VM_BAR_START ${size}B 1"
set +e
"$mt" record -o /tmp/trace.mt -- memtester -p "$VM_BAR_START" "${size}B" 1 >/tmp/memtester.out 2>&1
echo $? >"$VM_RESULTS/rc"
set -e
# memtester draws progress with backspaces: keep one line per test result
tr '\b' '\n' </tmp/memtester.out | grep -a -E ':|ok|FAIL|Loop|Done' >"$VM_RESULTS/memtester.txt" || true
cp /tmp/trace.mt "$VM_RESULTS/trace.mt"
echo "memtester exit $(cat "$VM_RESULTS/rc"); trace $(wc -c </tmp/trace.mt) bytes"
