#!/usr/bin/env bash
# VM self-test of run-vm.sh itself: the guest script's exit status, arguments,
# environment, --file and the results share arrive; a kernel "Oops" on the
# console fails the run (125) even when the script succeeds; --timeout kills
# a hanging guest (124).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
res=$top/${BUILD:-build}/vm/selftest-runner
rm -rf "$res" && mkdir -p "$res" || exit 99
g=$here/guest/runner-check.sh
fails=0
expect() { # WANT NAME ARGS...
	local want=$1 name=$2 rc
	shift 2
	bash "$here/run-vm.sh" -q --no-trace --results "$res/$name" "$@"
	rc=$?
	[ $rc = 77 ] && exit 77
	if [ $rc = "$want" ]; then echo "ok: $name exited $rc"; else
		echo "FAIL: $name exited $rc, want $want"; tail -n 15 "$res/$name/console.log"; fails=$((fails + 1))
	fi
}
expect 7 status --env "VM_CHECK=x y'z" --file "$g" "$g" status "two words"
if [ "$(cat "$res/status/out.txt" 2>/dev/null)" != "made in the guest" ]; then
	echo "FAIL: the results share did not carry out.txt"; fails=$((fails + 1))
fi
expect 125 oops "$g" oops
grep -q 'Oops: harness self-test line' "$res/oops/console.log" ||
	{ echo "FAIL: the Oops line is not on the console"; fails=$((fails + 1)); }
# long enough to boot on this machine now (twice the first run), short enough to be cheap
t=$(($(cat "$res/status/roundtrip-ms" 2>/dev/null || echo 20000) * 2 / 1000 + 5))
expect 124 hang --timeout "$t" "$g" hang
grep -q 'running the guest script' "$res/hang/console.log" ||
	{ echo "FAIL: the hang run timed out before the script started (machine too loaded?)"; fails=$((fails + 1)); }
[ $fails = 0 ] || exit 1
echo "PASS: exit status, arguments, environment, files, results share, Oops detection, timeout"
