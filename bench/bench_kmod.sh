#!/usr/bin/env bash
# bench_kmod - per-access cost of mmiotap.ko against untraced access and
# against the kernel's own mmiotrace (CONFIG_MMIOTRACE=y in Debian's kernel),
# measured in the same QEMU (TCG) VM run on edu's registers by the edu test
# driver, each figure the best of BENCH_ROUNDS (3) runs of BENCH_ITERS (5000)
# iterations; beside them the floor under any fault-based tracer in the same
# VM: a kernel page fault fixed up through the exception table. Prints ns per
# access and ratios; asserts nothing about time.
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
nice bash tests/vm/run-vm.sh --no-trace --dev edu --results "$res" --timeout 400 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" \
	--env BENCH_ITERS="${BENCH_ITERS:-5000}" --env BENCH_ROUNDS="${BENCH_ROUNDS:-3}" "$here/bench_kmod_guest.sh" >"$res/out.txt" 2>&1
rc=$?
[ $rc = 77 ] && { tail -n1 "$res/out.txt"; exit 77; }
[ $rc = 0 ] || { cat "$res/out.txt"; echo "bench_kmod: VM run failed ($rc)"; exit 1; }
grep -aE "^(RESULT|RECORDS|PROBE|STEP|mmiotrace:|after)" "$res/out.txt"
awk '/^RESULT/ { v[$2] = $3; w[$2] = $4 }
END {
	printf "per access (CPU 0, ns): untraced %d, mmiotap %d (1 CPU) / %d+%d (2 CPUs at once), mmiotrace %d (1 CPU, others offline)\n",
		v["untraced-1cpu"], v["mmiotap-1cpu"], v["mmiotap-2cpu"], w["mmiotap-2cpu"], v["mmiotrace-1cpu"]
	if (v["mmiotap-1cpu"] > 0 && v["untraced-1cpu"] > 0)
		printf "ratio mmiotrace/mmiotap (1 CPU): %.2fx; mmiotap/untraced: %.1fx; overhead per access: mmiotap %d ns, mmiotrace %d ns\n",
			v["mmiotrace-1cpu"] / v["mmiotap-1cpu"], v["mmiotap-1cpu"] / v["untraced-1cpu"],
			v["mmiotap-1cpu"] - v["untraced-1cpu"], v["mmiotrace-1cpu"] - v["untraced-1cpu"]
	if (v["fault-floor"] > 0)
		printf "fault floor (kernel page fault + exception-table fixup, no tracer): %d ns; mmiotap adds %d ns (default ftrace hook), %d ns (tracepoint hook) to it; mmiotrace/floor %.1fx\n",
			v["fault-floor"], v["mmiotap-1cpu"] - v["fault-floor"], v["mmiotap-tracepoint-1cpu"] - v["fault-floor"],
			v["mmiotrace-1cpu"] / v["fault-floor"]
	if (v["mmiotap-tracepoint-1cpu"] > 0)
		printf "tracepoint fault hook: mmiotap %d ns per access (1 CPU), ratio mmiotrace/mmiotap %.2fx\n",
			v["mmiotap-tracepoint-1cpu"], v["mmiotrace-1cpu"] / v["mmiotap-tracepoint-1cpu"]
	if (v["mmiotap-1cpu"] > 0 && v["mmiotap-2cpu"] > 0)
		printf "throughput, 2 CPUs tracing at once vs 1: %.2fx\n",
			(1e9 / v["mmiotap-2cpu"] + 1e9 / w["mmiotap-2cpu"]) / (1e9 / v["mmiotap-1cpu"])
	if (v["mmiotrace-1cpu"] > v["untraced-1cpu"] && v["mmiotap-1cpu"] > v["untraced-1cpu"])
		printf "ratio of added cost mmiotrace/mmiotap: %.2fx\n",
			(v["mmiotrace-1cpu"] - v["untraced-1cpu"]) / (v["mmiotap-1cpu"] - v["untraced-1cpu"])
}' "$res/out.txt"
