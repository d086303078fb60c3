# Guest side of tests/vm/test-kmod-vmap.sh.
#   vunmap, vfree: an ioremap_prot() mapping of ivshmem BAR2 made before the
#     recording (armed by the page-table walk) is torn down without iounmap
#     while the recording runs; a vmalloc() page then takes its address;
#     the recording stops; the page must still be that RAM with its bytes.
#   late: the same, but the address is taken again only after the stop
#     (a saved entry written back into free vmalloc space would make the
#     next vmalloc() there WARN).
#   unwatched: late without the remove_vm_area watch (test_vmwatch_off=):
#     only the armed entry's compare-and-exchange keeps the saved entry out.
#   guess: a walked mapping wrongly guessed removed stays usable, traced
#     until its teardown (test_vmwatch_guess=, test_torn_delay_ms=).
#   mapids: map ids start near their 16-bit end (test_map_id_base=): 20
#     mappings made and gone while one stays live.
set -e
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
iv=$(vm_pci_find 1af4 1110)
edu=$(vm_pci_find 1234 11e8)
K=$MTK_KODIR
P=/sys/module/mtk_trusttest/parameters/cmd
armed() {
	for _i in $(seq 100); do
		"$MMIOTAP" kernel status 2>/dev/null | grep -q ' [1-9][0-9]* mappings armed' && return 0
		sleep 0.1
	done
	return 1
}
phase() { # phase NAME TEARDOWN REUSE_WHEN
	insmod "$K/mtk_trusttest.ko" vmap=1
	"$MMIOTAP" kernel record --pci "$iv,bar=2" -o "$VM_RESULTS/$1.trace" 2>"$VM_RESULTS/$1.err" &
	rec=$!
	armed || vm_die "$1: the ioremap_prot mapping was not armed"
	echo touch >$P
	echo "$2" >$P
	[ "$3" = during ] && echo reuse >$P
	kill -INT $rec
	wait $rec || vm_die "$1: the recorder failed: $(cat "$VM_RESULTS/$1.err")"
	[ "$3" = after ] && echo reuse >$P
	echo check >$P
	rmmod mtk_trusttest
}
phase vunmap vunmap during
phase vfree vfree during
phase late vunmap after
[ ! -e /sys/module/mmiotap ] || rmmod mmiotap
# unwatched: as late, remove_vm_area not watched (test_vmwatch_off=, as on a
# kernel where it cannot be traced): the region is torn down only when the
# recording ends, after the kernel cleared its entries.
insmod "$K/mmiotap.ko" test_vmwatch_off=1
phase unwatched vunmap after
rmmod mmiotap
# guess: the walk cannot tell whether the mapping's area was removed while
# it armed it (test_vmwatch_guess=: as after more removals than its ring
# holds), so the region is marked torn and torn down by a work item, here
# 3 s later (test_torn_delay_ms=). Meanwhile the mapping is live and its
# entries armed: the driver's read is emulated and recorded (before: the
# fault path disowned torn regions, and the read oopsed).
insmod "$K/mmiotap.ko" test_vmwatch_guess=1 test_torn_delay_ms=3000
insmod "$K/mtk_trusttest.ko" vmap=1
"$MMIOTAP" kernel record --pci "$iv,bar=2" -o "$VM_RESULTS/guess.trace" 2>"$VM_RESULTS/guess.err" &
rec=$!
armed || vm_die "guess: the ioremap_prot mapping was not armed"
echo touch >$P
sleep 4
kill -INT $rec
wait $rec || vm_die "guess: the recorder failed: $(cat "$VM_RESULTS/guess.err")"
echo touch >$P
echo vunmap >$P
rmmod mtk_trusttest
rmmod mmiotap
# map ids near the wrap (an older module without the parameter: plain)
insmod "$K/mmiotap.ko" test_map_id_base=65530 2>/dev/null || insmod "$K/mmiotap.ko"
"$MMIOTAP" kernel record --pci "$edu,bar=0" -o "$VM_RESULTS/mapids.trace" -- \
	insmod "$K/mtk_trusttest.ko" mapids=20 || vm_die "mapids: recording failed"
rmmod mtk_trusttest
rmmod mmiotap
dmesg | grep -E 'mmiotap|mtk_trusttest' >"$VM_RESULTS/dmesg.txt" || true
cat "$VM_RESULTS/dmesg.txt"
