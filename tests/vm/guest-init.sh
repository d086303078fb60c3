#!/bin/busybox sh
# /init of the VM harness initramfs (see run-vm.sh). Loads modules, mounts
# the host root read-only over virtio-9p, runs /vm/script chrooted there,
# prints "mmiotap-vm: exit status N" and powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
	echo "mmiotap-vm: init: $*"
	echo "mmiotap-vm: exit status 125"
	poweroff -f
	sleep 5
}

. /vm/config
for m in $(cat /lib/modules/order); do
	insmod "/lib/modules/$m" || fail "insmod $m failed"
done
if [ -s /vm/mod/order ]; then
	for m in $(cat /vm/mod/order); do insmod "/vm/mod/$m" || fail "insmod $m failed"; done
fi

R=/newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot $R ||
	fail "cannot mount the host root over 9p"
mount -t proc proc $R/proc || fail "mount proc"
mount -t sysfs sysfs $R/sys || fail "mount sys"
mount -t devtmpfs devtmpfs $R/dev || fail "mount dev"
mkdir -p $R/dev/pts $R/dev/shm 2>/dev/null
mount -t devpts devpts $R/dev/pts 2>/dev/null
mount -t tmpfs tmpfs $R/dev/shm 2>/dev/null
# A checkout under /tmp or /run (CI may clone there) would be hidden by the
# tmpfs mounts below: hold it with a bind mount and put it back after them.
keep=
case "$VM_TOPDIR" in
/tmp/* | /run/*)
	mkdir -p /keep && mount -o bind "$R$VM_TOPDIR" /keep && keep=1 ||
		fail "cannot bind $VM_TOPDIR"
	;;
esac
mount -t tmpfs -o mode=1777 tmpfs $R/tmp || fail "mount tmp"
mount -t tmpfs -o mode=755 tmpfs $R/run || fail "mount run"
if [ -n "$keep" ]; then
	mkdir -p "$R$VM_TOPDIR" && mount -o bind /keep "$R$VM_TOPDIR" || fail "cannot restore $VM_TOPDIR"
fi
[ -d $R/sys/kernel/debug ] && mount -t debugfs debugfs $R/sys/kernel/debug 2>/dev/null
[ -d $R/sys/kernel/tracing ] && mount -t tracefs tracefs $R/sys/kernel/tracing 2>/dev/null
mkdir -p $R/run/vm/results $R/run/vm/files
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results $R/run/vm/results ||
	fail "cannot mount the results share"
cp /vm/script $R/run/vm/script
cp -r /vm/files/. $R/run/vm/files/ 2>/dev/null

if [ -s /vm/hostmod/order ]; then
	while read -r m margs; do
		# shellcheck disable=SC2086
		insmod "/vm/hostmod/$m" $margs || fail "insmod of host module #${m%.ko} failed"
	done </vm/hostmod/order
fi

export VM_RESULTS=/run/vm/results VM_FILES=/run/vm/files VM_TOPDIR
export VM_LIB=$VM_TOPDIR/tests/vm/guest-lib.sh
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb
echo "mmiotap-vm: running the guest script"
chroot $R /bin/sh -c 'cd /run/vm && exec /bin/sh /run/vm/script "$@"' script "$@" </dev/null
rc=$?
chroot $R /bin/sh -c 'dmesg >/run/vm/results/dmesg.txt' 2>/dev/null
echo
echo "mmiotap-vm: exit status $rc"
sync
umount $R/run/vm/results 2>/dev/null
poweroff -f
sleep 5
