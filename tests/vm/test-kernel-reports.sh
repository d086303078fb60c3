#!/usr/bin/env bash
# Host-only test of tests/vm/kernel-reports.sh, the console/dmesg check of
# run-vm.sh: every line of testdata/kernel-reports/reports.txt (the first line
# of each kind of report the debug kernel prints: KASAN, lockdep, RCU,
# atomic sleep, hung task, lockups, RCU stalls, debugobjects, list
# corruption, UBSAN, oopses) must match; no line of benign.txt (boot banners
# of the debug options, TCG's slow-NMI notice) may; -x cuts each report of
# splat.txt from its header, with its call trace.
set -u
here=$(cd "$(dirname "$0")" && pwd)
d=$here/testdata/kernel-reports
. "$here/kernel-reports.sh"
fails=0
while IFS= read -r line; do
	printf '%s\n' "$line" | grep -q -E "$VM_REPORT_RE" ||
		{ echo "FAIL: not caught: $line"; fails=$((fails + 1)); }
done <"$d/reports.txt"
n=$(vm_kernel_reports "$d/reports.txt" | wc -l)
[ "$n" = "$(wc -l <"$d/reports.txt")" ] || { echo "FAIL: vm_kernel_reports found $n lines of reports.txt"; fails=$((fails + 1)); }
if out=$(vm_kernel_reports "$d/benign.txt"); then
	echo "FAIL: benign lines caught:"; echo "$out"; fails=$((fails + 1))
fi
bash "$here/kernel-reports.sh" "$d/benign.txt" >/dev/null && { echo "FAIL: exit 0 on benign.txt"; fails=$((fails + 1)); }
x=$(bash "$here/kernel-reports.sh" -x 12 "$d/splat.txt") || { echo "FAIL: -x found nothing in splat.txt"; fails=$((fails + 1)); }
[ "$(printf '%s\n' "$x" | grep -c '^---- ')" = 2 ] || { echo "FAIL: want 2 excerpts of splat.txt, got:"; echo "$x"; fails=$((fails + 1)); }
printf '%s\n' "$x" | sed -n 2p | grep -q 'BUG: KASAN: use-after-free' &&
	printf '%s\n' "$x" | grep -q 'kasan_report' &&
	printf '%s\n' "$x" | grep -q 'a stack dumped without a header' ||
	{ echo "FAIL: excerpts of splat.txt:"; echo "$x"; fails=$((fails + 1)); }
[ $fails = 0 ] || exit 1
echo "PASS: $(wc -l <"$d/reports.txt") kinds of report caught, $(wc -l <"$d/benign.txt") benign lines not; excerpts from the header with the trace"
