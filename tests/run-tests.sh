#!/usr/bin/env bash
# Runs each test given on the command line (an executable or a .sh script).
# An argument @NAME=VALUE exports NAME=VALUE for the tests after it, @DIR
# is @BUILD=DIR (make check runs the host tests on the sanitizer build with
# SAN=1, for tests that run make themselves; the QEMU tests on the plain one).
# Exit 0 = pass, 77 = skip (the test prints why), anything else = fail.
# Under CI=true a skip fails (CI must not pass without running a test whose
# prerequisite went missing), unless its reason says the machine's own
# hardware lacks something ("SKIP: hardware: ..."), which no install fixes.
# A failed test's output is kept in $TEST_LOGDIR (default build/test-logs).
# Ends with the line "N passed, N failed, N skipped".
set -u
# Tests may run make themselves: do not hand them our jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL
logdir=${TEST_LOGDIR:-build/test-logs}
mkdir -p "$logdir"
pass=0 fail=0 skip=0 failed=()
for t in "$@"; do
	case "$t" in
	@*=*) export "${t#@}"; continue ;;
	@*) export BUILD="${t#@}"; continue ;;
	esac
	name=$(echo "$t" | tr '/' '_')
	log="$logdir/$name.log"
	start=$(date +%s%N)
	case "$t" in
	*.sh) bash "$t" >"$log" 2>&1 ;;
	*) "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000)); secs="$((ms / 1000)).$(((ms % 1000) / 100))"
	case $rc in
	0) pass=$((pass + 1)); printf 'PASS %-50s %6ss\n' "$t" "$secs" ;;
	77) why=$(tail -n1 "$log")
	    if [ "${CI:-}" = true ] && ! printf '%s' "$why" | grep -q '^SKIP: hardware:'; then
		fail=$((fail + 1)); failed+=("$t")
		printf 'FAIL %-50s (skipped under CI=true: %s)\n' "$t" "$why"
	    else
		skip=$((skip + 1)); printf 'SKIP %-50s %s\n' "$t" "$why"
	    fi ;;
	*) fail=$((fail + 1)); failed+=("$t"); printf 'FAIL %-50s (exit %d, log %s)\n' "$t" "$rc" "$log"
	   tail -n 20 "$log" | sed 's/^/    | /' ;;
	esac
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
