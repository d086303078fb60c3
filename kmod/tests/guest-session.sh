# Guest side of tests/vm/test-kmod-session.sh: who owns a kernel recording,
# what others may do, privileges, lockdown, and the trace file's safety.
# Each check prints "name: what happened" into $VM_RESULTS/session.txt.
set -u
. "$VM_LIB"
echo 8 >/proc/sys/kernel/printk
edu=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$edu" 0)
edurange="$(printf '%x' $1)-$(printf '%x' $2)"
M=$MMIOTAP
C=$MTK_CTL
out=$VM_RESULTS/session.txt
: >"$out"
say() { echo "$*" | tee -a "$out"; }
armed() {
	for _i in $(seq 100); do
		"$M" kernel status 2>/dev/null | grep -q 'tracing on' && return 0
		sleep 0.1
	done
	return 1
}
insmod "$MTK_KODIR/mmiotap.ko" || vm_die "insmod mmiotap.ko"

# 1. the recorder SIGKILLed: the session ends with it
"$M" kernel record --pci "$edu,bar=0" -o /tmp/k1.trace 2>/dev/null &
rec=$!
armed || vm_die "1: recording did not start"
kill -9 $rec; wait $rec 2>/dev/null
sleep 0.2
say "sigkill-status: $("$M" kernel status | sed 's/.*; //')"
"$M" kernel record -q --pci "$edu,bar=0" -o /tmp/k2.trace -- true 2>/tmp/k2.err
say "sigkill-next-record: exit $? $(cat /tmp/k2.err)"

# 2. `mmiotap kernel stop` from another process: the recorder finishes
"$M" kernel record -q --pci "$edu,bar=0" -o /tmp/k3.trace 2>/tmp/k3.err &
rec=$!
armed || vm_die "2: recording did not start"
"$M" kernel stop 2>/tmp/stop.err
say "kernel-stop: exit $? $(cat /tmp/stop.err)"
wait $rec
say "kernel-stop-recorder: exit $? $(cat /tmp/k3.err)"
"$M" dump /tmp/k3.trace >/dev/null 2>&1
say "kernel-stop-trace: dump exit $?"

# 3. another opener may not stop, read or start the owner's session
"$M" kernel record -q --pci "$edu,bar=0" -o /tmp/k4.trace 2>/dev/null &
rec=$!
armed || vm_die "3: recording did not start"
say "other-stop: $("$C" stop)"
say "other-read: $("$C" read)"
say "other-start: $("$C" start "$edurange")"
say "other-status: $("$M" kernel status | sed 's/.*; //; s/pid [0-9]*/pid N/')"
kill -INT $rec; wait $rec
say "owner-after-others: exit $?"

# 4. privileges: CAP_SYS_RAWIO, whatever the device node's mode
chmod 666 /dev/mmiotap
say "nobody-open: $(setpriv --reuid=65534 --regid=65534 --clear-groups "$C" open)"
setpriv --reuid=65534 --regid=65534 --clear-groups "$M" kernel status >/dev/null 2>/tmp/nb.err
say "nobody-status: exit $? $(cat /tmp/nb.err)"
chmod 600 /dev/mmiotap

# 5. the trace file: 0600, never through a symlink, never another user's
echo keep >/tmp/victim
ln -s /tmp/victim /tmp/link.trace
"$M" kernel record -q --pci "$edu,bar=0" -o /tmp/link.trace -- true 2>/tmp/l.err
say "symlink: exit $? $(cat /tmp/l.err) victim=$(cat /tmp/victim)"
"$M" kernel record -q --pci "$edu,bar=0" -o /tmp/new.trace -- true
say "mode: $(stat -c %a /tmp/new.trace)"
echo theirs >/tmp/theirs.trace; chown 65534 /tmp/theirs.trace
"$M" kernel record -q --pci "$edu,bar=0" -o /tmp/theirs.trace -- true 2>/tmp/t.err
say "other-users-file: exit $? $(cat /tmp/t.err) content=$(cat /tmp/theirs.trace)"

# 6. lockdown (last: it cannot be lifted)
[ -e /sys/kernel/security/lockdown ] || mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
if [ -w /sys/kernel/security/lockdown ]; then
	echo integrity >/sys/kernel/security/lockdown
	"$M" kernel record -q --pci "$edu,bar=0" -o /tmp/ld.trace -- true 2>/tmp/ld.err
	say "lockdown: exit $? $(cat /tmp/ld.err)"
else
	say "lockdown: no /sys/kernel/security/lockdown"
fi
dmesg | grep -E 'mmiotap|Lockdown' >"$VM_RESULTS/dmesg.txt" || true
cat "$out"
