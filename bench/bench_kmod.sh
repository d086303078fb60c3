#!/usr/bin/env bash
# bench_kmod - per-access cost of mmiotap.ko against untraced access and
# against the kernel's own mmiotrace (CONFIG_MMIOTRACE=y in Debian's kernel),
# measured in the same QEMU (TCG) VM run on edu's registers by the edu test
# driver; beside them the floor under any fault-based tracer in the same VM:
# a kernel page fault fixed up through the exception table. The modes take
# turns in BENCH_ROUNDS (5) rounds of BENCH_ITERS (10000) iterations, so a
# slow spell of the host falls on all of them; prints every round, the best
# run of each mode, and the median over rounds of each round's ratio.
# Asserts nothing about time.
# Exit 77 when QEMU cannot run here.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
B=${BUILD:-build}
cd "$top"
mkdir -p "$B"
make -s kmod BUILD="$B" >"$B/kmod-build.log" 2>&1 || { echo "bench_kmod: make kmod failed"; exit 1; }
make -s BUILD="$B" "$B/mmiotap" >/dev/null || exit 1
res=$top/$B/vm/bench-kmod
rm -rf "$res" && mkdir -p "$res" || exit 99
nice bash tests/vm/run-vm.sh --no-trace --dev edu --results "$res" --timeout 900 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" \
	--env BENCH_ITERS="${BENCH_ITERS:-10000}" --env BENCH_ROUNDS="${BENCH_ROUNDS:-5}" "$here/bench_kmod_guest.sh" >"$res/out.txt" 2>&1
rc=$?
[ $rc = 77 ] && { tail -n1 "$res/out.txt"; exit 77; }
[ $rc = 0 ] || { cat "$res/out.txt"; echo "bench_kmod: VM run failed ($rc)"; exit 1; }
grep -aE "^(RECORDS|PROBE|STEP)" "$res/out.txt" | sort | uniq
# RESULT mode round cpu0 cpu1: per mode the best run, and per round the
# ratio mmiotrace/mmiotap of that round's runs (the median is printed).
awk '/^RESULT/ { m = $2; r = $3; v[m, r] = $4; w[m, r] = $5; if (r > nr) nr = r; modes[m] = 1 }
function best(m,   r, b) { b = 0; for (r = 1; r <= nr; r++) if ((m, r) in v && v[m, r] > 0 && (b == 0 || v[m, r] < b)) b = v[m, r]; return b }
function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function ratios(num, den,   r, n, a) { n = 0; for (r = 1; r <= nr; r++) if (v[den, r] > 0) a[++n] = v[num, r] / v[den, r]; lo = 1e9; hi = 0; for (r = 1; r <= n; r++) { if (a[r] < lo) lo = a[r]; if (a[r] > hi) hi = a[r] } return n ? med(a, n) : 0 }
END {
	for (r = 1; r <= nr; r++)
		printf "round %d (ns per access): floor %d, untraced %d, mmiotap %d (ftrace hook) %d (tracepoint hook) %d (recording to a file), mmiotrace %d; 2 CPUs: untraced %d+%d, mmiotap %d+%d\n",
			r, v["fault-floor", r], v["untraced-1cpu", r], v["mmiotap-1cpu", r], v["mmiotap-tracepoint-1cpu", r],
			v["mmiotap-record-1cpu", r], v["mmiotrace-1cpu", r], v["untraced-2cpu", r], w["untraced-2cpu", r],
			v["mmiotap-2cpu", r], w["mmiotap-2cpu", r]
	printf "best of %d rounds (ns per access, CPU 0): floor %d, untraced %d, mmiotap %d (default ftrace hook) / %d (tracepoint hook) / %d (ftrace hook, mmiotap kernel record draining to a file on CPU 1), mmiotrace %d (1 CPU, others offline)\n",
		nr, best("fault-floor"), best("untraced-1cpu"), best("mmiotap-1cpu"), best("mmiotap-tracepoint-1cpu"),
		best("mmiotap-record-1cpu"), best("mmiotrace-1cpu")
	x = ratios("mmiotrace-1cpu", "mmiotap-1cpu")
	printf "ratio mmiotrace/mmiotap, default ftrace hook: median of rounds %.2fx (rounds %.2f-%.2fx), of the best runs %.2fx\n",
		x, lo, hi, best("mmiotrace-1cpu") / best("mmiotap-1cpu")
	x = ratios("mmiotrace-1cpu", "mmiotap-tracepoint-1cpu")
	printf "ratio mmiotrace/mmiotap, tracepoint hook: median of rounds %.2fx (rounds %.2f-%.2fx), of the best runs %.2fx\n",
		x, lo, hi, best("mmiotrace-1cpu") / best("mmiotap-tracepoint-1cpu")
	x = ratios("mmiotrace-1cpu", "mmiotap-record-1cpu")
	printf "ratio mmiotrace/mmiotap, recording to a file meanwhile: median of rounds %.2fx (rounds %.2f-%.2fx), of the best runs %.2fx\n",
		x, lo, hi, best("mmiotrace-1cpu") / best("mmiotap-record-1cpu")
	x = ratios("mmiotap-1cpu", "fault-floor")
	printf "mmiotap (ftrace hook) / bare kernel fault + fixup: median %.2fx; mmiotrace / the same: %.1fx\n",
		x, best("mmiotrace-1cpu") / best("fault-floor")
	n = 0
	for (r = 1; r <= nr; r++) if (v["mmiotap-2cpu", r] > 0 && w["mmiotap-2cpu", r] > 0) a2[++n] = (1 / v["mmiotap-2cpu", r] + 1 / w["mmiotap-2cpu", r]) / (1 / v["mmiotap-record-1cpu", r])
	if (n) printf "throughput while recording, 2 CPUs tracing at once vs 1 CPU: median %.2fx\n", med(a2, n)
}' "$res/out.txt"
