# Guest side of tests/vm/campaign-kernel.sh: a fault-injection campaign on a
# kernel driver, one guest boot per batch. In $VM_RESULTS (the campaign
# directory, shared with the host):
#   - first boot: the baseline (baseline.s1.trace, .out, .err) recorded with
#     `mmiotap kernel record` around the workload (insmod, exercise, rmmod),
#     and the plan made from it (`mmiotap campaign plan`);
#   - then each experiment without an eID.status: `current` names it, the
#     workload runs under `mmiotap kernel record --inject RULE` (trace,
#     output, and its dmesg as eID.err), eID.status gets the verdict. After a
#     kernel report (BUG/Oops/WARNING/KASAN...), a hang (CP_TIMEOUT) or a
#     module that does not unload, the batch ends: the host boots a fresh
#     guest for the rest. A guest that dies or locks up leaves `current`
#     without status: the host writes it (crash or hang).
# Environment: MMIOTAP, CP_PCIID (VENDOR:DEVICE), CP_BAR, CP_MODULE (the
# driver's .ko; default e1000 of the booted kernel), CP_EXERCISE (shell code
# run after insmod), CP_FAULTS, CP_OCC, CP_TIMEOUT (seconds per experiment).
set -u
. "$VM_LIB"
# the first lines of kernel reports (tests/vm/kernel-reports.sh has the full list)
REPORT_RE='BUG:|Oops|WARNING:|KASAN|UBSAN|general protection|Kernel panic|soft lockup|hard LOCKUP|blocked for more than|rcu: INFO|Call Trace'
D=$VM_RESULTS
KVER=$(uname -r)
CP_MODULE=${CP_MODULE:-${VM_MODDIR:-$VM_TOPDIR/tests/vm/cache/linux-image-$KVER/root/lib/modules/$KVER}/kernel/drivers/net/ethernet/intel/e1000/e1000.ko}
[ -r "$CP_MODULE" ] || vm_die "no $CP_MODULE"
bdf=$(vm_pci_find "${CP_PCIID%:*}" "${CP_PCIID#*:}") || vm_die "no PCI device $CP_PCIID"
CP_MODNAME=$(basename "$CP_MODULE" .ko)
export bdf CP_MODULE CP_MODNAME CP_EXERCISE
workload='insmod "$CP_MODULE" || exit 1
eval "$CP_EXERCISE"
rmmod "$CP_MODNAME" || exit 3'
rec() { # OUT_PREFIX [--inject RULE]
	_p=$1; shift
	timeout -s KILL "$CP_TIMEOUT" "$MMIOTAP" kernel record -q --pci "$bdf,bar=$CP_BAR" "$@" \
		-o "$_p.trace" -- sh -c "$workload" >"$_p.out" 2>"$_p.err"
}

if [ ! -s "$D/plan" ]; then
	dmesg -C
	rec "$D/baseline.s1" || vm_die "the baseline run failed (exit $?, see baseline.s1.err)"
	"$MMIOTAP" campaign plan --from "$D/baseline.s1.trace" --faults "$CP_FAULTS" \
		--occurrences "$CP_OCC" -o "$D/plan" || vm_die "campaign plan failed"
fi

grep -v '^#' "$D/plan" | tail -n +2 | while read -r id fault reg occ site rule; do
	[ -n "$rule" ] && [ ! -e "$D/e$id.status" ] || continue
	echo "$id" >"$D/current"
	sync
	dmesg -C
	t0=$(date +%s%N)
	rec "$D/e$id" --inject "$rule"
	rc=$?
	secs=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	dmesg >"$D/e$id.dmesg"
	cat "$D/e$id.dmesg" >>"$D/e$id.err"
	end=0
	first=$(grep -m1 -E "$REPORT_RE" "$D/e$id.dmesg" | sed 's/^\[ *[0-9.]*\] //' | tr '\t' ' ')
	if [ -n "$first" ]; then
		# the site first (the report groups by it), the report's line after
		rip=$(grep -m1 'RIP: [0-9]*:' "$D/e$id.dmesg" | sed 's/.*RIP: [0-9]*://' | tr -d '\t')
		printf 'crash\tkernel report\t%s\t%s (%s)\n' "$secs" "${rip:-?}" "$first" >"$D/e$id.status"
		end=1
	elif [ $rc = 137 ]; then
		printf 'hang\ttimeout %s s\t%s\n' "$CP_TIMEOUT" "$secs" >"$D/e$id.status"
		end=1
	elif [ $rc != 0 ]; then
		printf 'error\texit %s\t%s\n' "$rc" "$secs" >"$D/e$id.status"
	elif cmp -s "$D/e$id.out" "$D/baseline.s1.out"; then
		printf 'same\texit 0\t%s\n' "$secs" >"$D/e$id.status"
	else
		printf 'different\texit 0\t%s\n' "$secs" >"$D/e$id.status"
	fi
	rm -f "$D/current"
	if [ -e "/sys/module/$CP_MODNAME" ] && ! rmmod "$CP_MODNAME" 2>/dev/null; then
		end=1 # cannot unload: a fresh guest for the rest
	fi
	sync
	[ $end = 0 ] || exit 0
done
exit 0
