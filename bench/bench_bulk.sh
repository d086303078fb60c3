#!/usr/bin/env bash
# bench_bulk - a bulk copy to device memory under each tracer (issue 11):
# one memcpy_toio() of BULK_KIB (4096) KiB into ivshmem BAR2 by the test
# driver mtk_trusttest (REP MOVSB: one device write per byte), untraced,
# traced by mmiotap.ko (`mmiotap kernel record`: REP strings emulated in
# chunks, faults waiting for the reader rather than losing records), and by
# the kernel's mmiotrace (single-steps every iteration, 1 CPU online), in
# the same QEMU (TCG) VM, BENCH_ROUNDS (3) rounds in turn. Prints each
# round (ns per byte, records, LOST), the best of each mode and the ratios.
# Asserts nothing about time. Exit 77 when QEMU cannot run here.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
B=${BUILD:-build}
cd "$top"
mkdir -p "$B"
make -s kmod BUILD="$B" >"$B/kmod-build.log" 2>&1 || { echo "bench_bulk: make kmod failed"; exit 1; }
make -s BUILD="$B" "$B/mmiotap" >/dev/null || exit 1
res=$top/$B/vm/bench-bulk
rm -rf "$res" && mkdir -p "$res" || exit 99
kib=${BULK_KIB:-4096}
nice bash tests/vm/run-vm.sh --no-trace --dev ivshmem=8M --mem 1G --results "$res" --timeout 3600 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" --env BULK_KIB="$kib" \
	--env BENCH_ROUNDS="${BENCH_ROUNDS:-3}" "$here/bench_bulk_guest.sh" >"$res/out.txt" 2>&1
rc=$?
[ $rc = 77 ] && { tail -n1 "$res/out.txt"; exit 77; }
[ $rc = 0 ] || { tail -30 "$res/out.txt"; echo "bench_bulk: VM run failed ($rc)"; exit 1; }
grep -a '^WAITS' "$res/out.txt" | sort | uniq -c
awk -v bytes=$((kib * 1024)) '/^RESULT/ { m = $2; r = $3; ns[m, r] = $4; rec[m, r] = $5; lost[m, r] = $6; nov[m, r] = $7; if (r > nr) nr = r }
function best(m,   r, b) { b = 0; for (r = 1; r <= nr; r++) if (ns[m, r] > 0 && (b == 0 || ns[m, r] < b)) b = ns[m, r]; return b }
END {
	for (r = 1; r <= nr; r++)
		printf "round %d (ns per byte): untraced %.2f, mmiotap %.1f (%d writes traced, %d LOST), mmiotrace %.1f (%d writes in its log, %d of them UNKNOWN without value, %d missing)\n",
			r, ns["untraced", r] / bytes, ns["mmiotap", r] / bytes, rec["mmiotap", r], lost["mmiotap", r],
			ns["mmiotrace", r] / bytes, rec["mmiotrace", r], nov["mmiotrace", r], lost["mmiotrace", r]
	printf "best of %d rounds, %d KiB memcpy_toio (ns per byte): untraced %.2f, mmiotap %.1f, mmiotrace %.1f\n",
		nr, bytes / 1024, best("untraced") / bytes, best("mmiotap") / bytes, best("mmiotrace") / bytes
	printf "mmiotrace / mmiotap: %.2fx; mmiotap / untraced: %.0fx\n",
		best("mmiotrace") / best("mmiotap"), best("mmiotap") / best("untraced")
}' "$res/out.txt"
