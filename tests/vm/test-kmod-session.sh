#!/usr/bin/env bash
# A kernel recording belongs to the process that started it (issue 11): if
# that process is SIGKILLed the session ends with it (the next recording
# starts); `mmiotap kernel stop` makes the owner finish and write its trace;
# another opener cannot stop, read or start it; without CAP_SYS_RAWIO
# nothing opens, even with the node made 0666; under lockdown recording is
# refused with a clear message; trace files are 0600, never written through
# a symbolic link or over another user's file. Before: the SIGKILLed
# session stayed ("already running"), any opener could stop it, nobody
# could open a 0666 node, files were 0644 and followed symlinks.
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
res=$top/$B/vm/test-kmod-session
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" \
	--env MTK_CTL="$top/$B/kmod-tools/mtk-ctl" "$top/kmod/tests/guest-session.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; tail -20 "$res/console.log"; exit 1; }
s=$res/session.txt
fail=0
want() { # want NAME REGEX
	grep -Eq "^$1: $2" "$s" || { echo "FAIL: $1: $(grep "^$1:" "$s" || echo missing), want /$2/"; fail=1; }
}
want sigkill-status 'no recording'
want sigkill-next-record 'exit 0 *$'
want kernel-stop 'exit 0 *$'
want kernel-stop-recorder 'exit 0 *$'
want kernel-stop-trace 'dump exit 0'
want other-stop 'EBUSY'
want other-read 'EBUSY'
want other-start 'EBUSY'
want other-status 'recording of pid N'
want owner-after-others 'exit 0'
want nobody-open 'EPERM'
want nobody-status 'exit 1 .*CAP_SYS_RAWIO'
want symlink 'exit 1 .*symbolic link.*victim=keep'
want mode '600'
want other-users-file 'exit 1 .*another user.*content=theirs'
want lockdown 'exit 1 .*locked down'
[ $fail = 0 ] || { cat "$s"; exit 1; }
echo "PASS: SIGKILLed recorder ends its session; kernel stop finishes the owner's trace; other openers get EBUSY; no CAP_SYS_RAWIO: EPERM; lockdown refused; trace files 0600, no symlink, not another user's"
