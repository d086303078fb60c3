#!/usr/bin/env bash
# census_libc.sh - the instruction census over libc.so.6 and libm.so.6 must
# run to the end without crashing, find the core able to emulate at least
# 99.9% of their memory-accessing instructions (user-space profile: vector,
# opmask and displaced-execution callbacks present), and mt_emulate() must
# succeed, with sane access sizes, RIP and displaced re-encodings, on every
# instruction the core claims (the census's "emulation check"). The coverage threshold
# is the issue's acceptance criterion (issue 2); override with
# CENSUS_MIN_COVERAGE. On failure the log lists the unsupported forms: they
# are gaps in core/, not in this test.
set -u
build=${BUILD:-build}
census=$build/mmiotap-census
min=${CENSUS_MIN_COVERAGE:-99.9}
libdir=/usr/lib/x86_64-linux-gnu
if [ ! -x "$census" ]; then
	echo "FAIL: $census not built"
	exit 1
fi
libs=()
for l in libc.so.6 libm.so.6; do
	[ -r "$libdir/$l" ] && libs+=("$libdir/$l")
done
if [ ${#libs[@]} -eq 0 ]; then
	echo "SKIP: neither libc.so.6 nor libm.so.6 found in $libdir"
	exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
for lib in "${libs[@]}"; do
	"$census" --top 10 --min-coverage "$min" "$lib" >"$out" 2>&1
	rc=$?
	# Print the coverage row so the log shows the numbers either way.
	grep -E '^\| (all files|libc\.so\.6|libm\.so\.6) ' "$out" | tail -n 1
	case $rc in
	0) echo "ok: $lib coverage >= $min%" ;;
	2) echo "FAIL: $lib: $(grep '^mmiotap-census:' "$out")"
	   awk '/^## Top unsupported forms, kernel/ { exit }
		/^## Top unsupported forms, user/ { p = 1 } p && n++ < 16' "$out"
	   status=1 ;;
	3) # mt_emulate() misbehaved on an instruction the core claims.
	   echo "FAIL: $lib: $(grep '^mmiotap-census:' "$out" | paste -sd' ')"
	   awk '/^## Files with/ { exit } /^## Emulation check/ { p = 1 } p' "$out"
	   status=1 ;;
	*) echo "FAIL: census crashed or failed on $lib (exit $rc)"
	   tail -n 5 "$out"
	   status=1 ;;
	esac
	if ! grep -q '^## By family' "$out"; then
		echo "FAIL: no census table for $lib"
		status=1
	fi
done
exit $status
