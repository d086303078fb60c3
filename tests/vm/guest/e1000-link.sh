# Guest side of test-kmod-e1000-diff.sh: the in-tree e1000 driver traced by
# `mmiotap kernel record` from load to unload, three times: twice alike
# (same1, same2) and once (link) with the host pulling the cable (QEMU
# monitor `set_link ... off`, run-vm.sh --link-control) after the marker
# "window". Writes same1.trace, same2.trace, link.trace.
set -e
. "$VM_LIB"
KVER=$(uname -r)
E1000=${VM_MODDIR:-$VM_TOPDIR/tests/vm/cache/linux-image-$KVER/root/lib/modules/$KVER}/kernel/drivers/net/ethernet/intel/e1000/e1000.ko
[ -r "$E1000" ] || vm_die "no $E1000"
bdf=$(vm_pci_find 8086 100e)
export bdf E1000
# ask the host for set_link $1 and wait for it (a script: sh -c uses it too)
cat >/tmp/link.sh <<'EOS'
rm -f "$VM_RESULTS/set-link.done"
echo "$1" >"$VM_RESULTS/set-link"
for i in $(seq 100); do [ -f "$VM_RESULTS/set-link.done" ] && exit 0; sleep 0.1; done
echo "the host did not run set_link $1" >&2
exit 1
EOS
link() { sh /tmp/link.sh "$1" || vm_die "set_link $1 failed"; }
# No IPv6 on the new interface: no router solicitation, MLD report or DAD
# packet sent at a random moment (and no answer received), with their
# interrupts and ring pointer moves. The runs then differ only in the
# driver's own timing (watchdog, interrupts) and in what the host does.
for f in /proc/sys/net/ipv6/conf/default/disable_ipv6 /proc/sys/net/ipv6/conf/all/disable_ipv6; do
	[ ! -w "$f" ] || echo 1 >"$f"
done
for run in same1 same2 link; do
	RUN=$run "$MMIOTAP" kernel record --pci "$bdf,bar=0" -o "$VM_RESULTS/$run.trace" -- sh -c '
		insmod "$E1000" || exit 1
		for n in /sys/bus/pci/devices/$bdf/net/*; do ip link set "${n##*/}" up; done
		# the marker once the one-shot work of bringing the link up is
		# done: the watchdog run that sees the link (about 2 s) and the PHY
		# info task it schedules 2 s later; after it, only the periodic
		# watchdog (every 2 s) and its interrupts run on their own
		for i in $(seq 300); do
			[ "$(cat /sys/bus/pci/devices/$bdf/net/*/carrier 2>/dev/null)" != 1 ] || break
			sleep 0.1
		done
		sleep 3
		"$MMIOTAP" mark window
		[ "$RUN" != link ] || sh /tmp/link.sh off || exit 1
		sleep 3
		rmmod e1000' || vm_die "recording $run failed"
	[ "$run" != link ] || link on
done
echo "e1000-link: done"
