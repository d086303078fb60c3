#!/usr/bin/env bash
# census_libc.sh - the instruction census over libc.so.6 and libm.so.6 must
# run to the end without crashing, find the core able to emulate at least
# 99.9% of their memory-accessing instructions (user-space profile: vector,
# opmask and displaced-execution callbacks present), agree with the sweep
# (no candidate the core decodes differently or calls family "none"), and
# the census's emulation check must find no anomaly: mt_emulate() run on
# every instruction the core claims, in both profiles, must succeed with
# accesses of the operand's size (emu.h), RIP after the instruction (the
# target for JMP/CALL m64), the right stack effect for CALL/PUSH/POP m and
# exact displaced re-encodings. Runs refused by design (the CPU would raise
# #GP: LDMXCSR of reserved bits, misaligned aligned moves) must succeed when
# rerun on valid inputs. The coverage threshold is the issue's acceptance
# criterion (issue 2); override with CENSUS_MIN_COVERAGE. On failure the
# log lists the unsupported forms or the anomalies: they are gaps in core/,
# not in this test. Takes about 1 s (the all-files table is docs/CENSUS.md).
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
	0) echo "ok: $lib coverage >= $min%, no emulation anomaly" ;;
	2) echo "FAIL: $lib: $(grep '^mmiotap-census:' "$out")"
	   awk '/^## Top unsupported forms, kernel/ { exit }
		/^## Top unsupported forms, user/ { p = 1 } p && n++ < 16' "$out"
	   status=1 ;;
	3) # mt_emulate() misbehaved on an instruction the core claims, or
	   # the core disagrees with the sweep.
	   echo "FAIL: $lib: $(grep '^mmiotap-census:' "$out" | paste -sd' ')"
	   grep '^Core disagreements' "$out"
	   awk '/^## Files with/ { exit } /^## Emulation check/ { p = 1 } p' "$out"
	   status=1 ;;
	*) echo "FAIL: census crashed or failed on $lib (exit $rc)"
	   tail -n 5 "$out"
	   status=1 ;;
	esac
	for section in '## By family' '## Emulation check'; do
		if ! grep -q "^$section" "$out"; then
			echo "FAIL: no '$section' table for $lib"
			status=1
		fi
	done
	# The check must really have run: every supported candidate, in
	# both profiles (runs >= supported, and not zero).
	awk -F'|' -v lib="$(basename "$lib")" '
		$2 ~ "^ " lib " $" { gsub(/ \(.*/, "", $8); gsub(/ \(.*/, "", $9);
			u = $8 + 0; k = $9 + 0 }
		NF > 12 && $2 == " user " && $3 ~ /^ [0-9]+ $/ { ur = $3 + 0 }
		NF > 12 && $2 == " kernel " && $3 ~ /^ [0-9]+ $/ { kr = $3 + 0 }
		END { if (!u || ur < u || kr < k) {
			printf "FAIL: %s: emulation check ran %d/%d user, %d/%d kernel\n",
				lib, ur, u, kr, k; exit 1 } }' "$out" || status=1
done
exit $status
