# Guest side of selftest-runner.sh. $1: what to do.
case "$1" in
status)
	# arguments, environment, files and the results share all arrive
	[ "$2" = "two words" ] || { echo "bad argument '$2'"; exit 1; }
	[ "$VM_CHECK" = "x y'z" ] || { echo "bad VM_CHECK '$VM_CHECK'"; exit 1; }
	cmp "$VM_FILES/runner-check.sh" "$VM_TOPDIR/tests/vm/guest/runner-check.sh" || exit 1
	[ "$(stat -f -c %T /tmp)" = tmpfs ] || { echo "/tmp is not tmpfs"; exit 1; }
	touch /usr/.vm-ro 2>/dev/null && { echo "host root is writable"; exit 1; }
	echo "made in the guest" >"$VM_RESULTS/out.txt"
	exit 7 ;;
oops)
	echo "Oops: harness self-test line" >/dev/kmsg
	exit 0 ;;
hang)
	sleep 600 ;;
esac
