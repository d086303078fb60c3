#!/usr/bin/env bash
# mmiotap.ko on QEMU's edu with accesses from NMI, hardirq and softirq
# context (kmod/tests/mtk_edutest.c irqs=1), through one fault hook
# (MTK_FAULT_HOOK, default ftrace; test-kmod-irq-tracepoint.sh: the other).
# While the two kthread loops of test-kmod-edu.sh run, each loop keeps one
# NMI in flight to the other CPU (an NMI_LOCAL handler reads edu's status
# register +0x20 and writes +0x18), and every 4th iteration queues an
# irq_work (hardirq: reads +0x24, writes +0x10) that schedules a tasklet
# (softirq: reads +0x0c, writes +0x14). The loops run MTK_ITERS iterations,
# then on until each CPU took 50 NMIs (an NMI round trip takes milliseconds
# under TCG on a loaded host). The driver checks every value and the context
# it runs in, and prints the iterations and how often each context ran.
#
# Two recordings (two boots): "plain", and "delay", where injection rules
# delay every access to the liveness register by 20 us inside the emulation
# (writes before the device access, reads after it), so that the other
# CPU's NMIs land inside an emulation on the same CPU: NESTED records.
# Checks, per recording:
#   - no LOST or UNKNOWN record; every record at an NMI/hardirq/softirq
#     register carries exactly that context's flag, the loops' records none;
#     "nested" only with "nmi";
#   - per CPU, the records of each context are 2 x the runs the driver
#     counted (every context ran on both CPUs), and the loop records 2 x its
#     iterations;
#   - the trace equals QEMU's log per CPU and globally, in order, with
#     values, when no record is nested. A nested NMI takes its sequence
#     numbers without the order lock, in the middle of the access it
#     interrupted: when it lands after that access reached the device but
#     before the access took its number (e.g. in a delayed read), its records
#     come first in the trace although the device saw them second. With
#     nested records: the trace without them equals QEMU's log without their
#     entries, per CPU and globally; the NMI accesses alone equal QEMU's per
#     CPU; and the whole trace equals QEMU's per CPU exactly when no nested
#     record moved ("moved": its place among its CPU's accesses differs).
#     The "delay" recording must have nested records.
#   - no "NMI received for unknown reason", no BUG/Oops/WARNING (run-vm).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
ITERS=${MTK_ITERS:-300}
hook=${MTK_FAULT_HOOK:-ftrace}
cmp=$top/$B/qemu-compare
export MMIOTAP="$top/$B/mmiotap"

# check_run RESULTS STAGE: the checks above; appends to $summary.
check_run() {
	local res=$1 stage=$2 bar base line c ctx v want nn d
	bar=$(cat "$res/edu-bar")
	base=$((${bar%-*}))
	a() { printf '%#x' $((base + $1)); }
	grep -Eq 'Uhhuh|Dazed and confused' "$res/console.log" &&
		{ grep -E 'Uhhuh|Dazed' "$res/console.log" | head -3; echo "FAIL: $stage: an NMI nobody claimed"; exit 1; }
	line=$(grep -o 'mtk_edutest: irqs: .*' "$res/dmesg.txt" | tail -n1)
	[ -n "$line" ] || { echo "FAIL: $stage: the driver did not report its interrupt contexts"; exit 1; }
	set -- $(echo "$line" | sed 's/[^0-9 ]//g')
	# cpuN iterations I nmi N (pre P post Q) hardirq H softirq S, twice (N first)
	local iter_0=$2 runs_0_nmi=$3 pre_0=$4 post_0=$5 runs_0_hardirq=$6 runs_0_softirq=$7
	local iter_1=$9 runs_1_nmi=${10} pre_1=${11} post_1=${12} runs_1_hardirq=${13} runs_1_softirq=${14}
	[ "$iter_0" -ge "$ITERS" ] && [ "$iter_1" -ge "$ITERS" ] || { echo "FAIL: $stage: fewer than $ITERS iterations: $line"; exit 1; }
	for v in $3 $6 $7 ${10} ${13} ${14}; do
		[ "$v" -gt 0 ] || { echo "FAIL: $stage: a context never ran on a CPU: $line"; exit 1; }
	done
	"$MMIOTAP" dump "$res/edu.trace" >"$res/edu.txt" || { echo "FAIL: $stage: mmiotap dump"; exit 1; }
	! grep -q '^LOST\|^UNKNOWN' "$res/edu.txt" ||
		{ grep -m3 '^LOST\|^UNKNOWN' "$res/edu.txt"; echo "FAIL: $stage: LOST or UNKNOWN records (LOST: the loops outran the drain; see $res)"; exit 1; }
	# Classify every R/W by its flags and its register; list nested NMI
	# records as "cpu k p": the k-th NMI-register record of that CPU, with
	# p records of the CPU before it that are not nested.
	awk -v a0="$(a 0)" -v a4="$(a 4)" -v nr="$(a 0x20)" -v nw="$(a 0x18)" \
	    -v hr="$(a 0x24)" -v hw="$(a 0x10)" -v sr="$(a 0x0c)" -v sw="$(a 0x14)" \
	    -v out="$res/nested.lst" -v tr="$res/edu-nonested.txt" '
	function flush(   got, want, k, nfl, i, f) {
		if (!pend)
			return
		pend = 0
		nfl = split(fl, f, ",")
		got = "none"; k = 0; nest = 0
		for (i = 1; i <= nfl; i++) {
			if (f[i] == "nmi" || f[i] == "hardirq" || f[i] == "softirq") { got = f[i]; k++ }
			if (f[i] == "nested") nest = 1
		}
		want = ctx[addr]
		if (want == "") { bad++; if (bad <= 5) print "unexpected address: " rw > "/dev/stderr" }
		else if (k > 1 || got != want || (nest && got != "nmi")) {
			bad++
			if (bad <= 5) print "flags \"" fl "\" on a " want " register: " rw > "/dev/stderr"
		}
		n[pcpu, got]++
		if (want == "nmi") nmik[pcpu]++
		if (nest) {
			nested[pcpu]++
			print pcpu, nmik[pcpu], nn[pcpu] > out
		} else {
			nn[pcpu]++
			print rw > tr
			if (ext != "") print ext > tr
		}
	}
	BEGIN {
		ctx[a0] = ctx[a4] = "none"; ctx[nr] = ctx[nw] = "nmi"
		ctx[hr] = ctx[hw] = "hardirq"; ctx[sr] = ctx[sw] = "softirq"
		printf "" > out
	}
	/^CTX / { flush(); cpu = $4; print > tr; next }
	/^[RW] / { flush(); pend = 1; rw = $0; addr = $5; fl = ""; ext = ""; pcpu = cpu; next }
	/^EXT / && pend {
		ext = $0
		for (i = 2; i <= NF; i++) if ($i ~ /^flags=/) fl = substr($i, 7)
		flush(); next
	}
	{ flush(); print > tr }
	END {
		flush()
		for (c = 0; c < 2; c++)
			printf "got_%d_none=%d got_%d_nmi=%d got_%d_hardirq=%d got_%d_softirq=%d nested_%d=%d\n",
			    c, n[c, "none"], c, n[c, "nmi"], c, n[c, "hardirq"], c, n[c, "softirq"], c, nested[c]
		printf "badflags=%d\n", bad
	}' "$res/edu.txt" >"$res/classes.sh" || { echo "FAIL: $stage: classifying the trace"; exit 1; }
	local got_0_none got_0_nmi got_0_hardirq got_0_softirq nested_0 got_1_none got_1_nmi got_1_hardirq got_1_softirq nested_1 badflags
	. "$res/classes.sh"
	[ "$badflags" = 0 ] || { echo "FAIL: $stage: $badflags records with the wrong context flags (see above)"; exit 1; }
	for c in 0 1; do
		v=got_${c}_none want=iter_$c
		[ "${!v}" -eq $((2 * ${!want})) ] || { echo "FAIL: $stage: CPU $c: ${!v} loop records, want $((2 * ${!want})) (2 x ${!want} iterations)"; exit 1; }
		for ctx in nmi hardirq softirq; do
			v=got_${c}_$ctx want=runs_${c}_$ctx
			[ "${!v}" -eq $((2 * ${!want})) ] ||
				{ echo "FAIL: $stage: CPU $c: ${!v} $ctx records, want $((2 * ${!want})) (2 x ${!want} runs the driver counted)"; exit 1; }
		done
	done
	nn=$((nested_0 + nested_1))
	# The full comparison, per CPU, then globally (informational).
	local full=yes glob=yes
	"$cmp" -q --per-cpu --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/edu.txt" >"$res/compare-full.txt" 2>&1 || full=no
	"$cmp" -q --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/edu.txt" >"$res/compare-global.txt" 2>&1 || glob=no
	# QEMU's log without the nested records' entries (the k-th NMI-register
	# entry of their CPU); d = its place among the CPU's remaining entries
	# minus the record's place among the CPU's non-nested records.
	awk -v nr="$(a 0x20)" -v nw="$(a 0x18)" -v out="$res/qemu-nonested.log" '
	FNR == NR { p[$1, $2] = $3; next }
	/memory_region_ops_/ && /name .edu-mmio./ {
		for (i = 1; i < NF; i++) {
			if ($i == "cpu") c = $(i + 1)
			if ($i == "addr") ad = $(i + 1)
		}
		if (ad == nr || ad == nw) {
			k[c]++
			if ((c, k[c]) in p) { d[q[c] - p[c, k[c]]]++; removed++; next }
		}
		q[c]++
	}
	{ print > out }
	END {
		for (x in d) { if (x != 0) moved += d[x]; hist = hist " " x ":" d[x] }
		printf "removed=%d moved=%d inplace=%d hist=\"%s\"\n", removed, moved, d[0], hist
	}' "$res/nested.lst" "$res/qemu.log" >"$res/moved.sh" || { echo "FAIL: $stage: filtering QEMU's log"; exit 1; }
	local removed moved inplace hist
	. "$res/moved.sh"
	[ "$removed" -eq "$nn" ] || { echo "FAIL: $stage: $nn nested records but $removed NMI entries in QEMU's log matched them"; exit 1; }
	if [ "$stage" = probe ]; then
		# Every NMI came from a probe handler inside an emulation: all
		# nested; those sent from a pre handler in place, from a post
		# handler one place early in the trace.
		for c in 0 1; do
			v=pre_$c want=post_$c
			[ "${!v}" -gt 0 ] && [ "${!want}" -gt 0 ] || { echo "FAIL: probe: CPU $c: no NMI from a pre or a post handler: $line"; exit 1; }
			v=nested_$c want=runs_${c}_nmi
			[ "${!v}" -eq $((2 * ${!want})) ] || { echo "FAIL: probe: CPU $c: ${!v} nested records, want $((2 * ${!want})) (every NMI's 2 accesses)"; exit 1; }
		done
		[ "$moved" -eq $((2 * (post_0 + post_1))) ] && [ "$inplace" -eq $((2 * (pre_0 + pre_1))) ] ||
			{ echo "FAIL: probe: $moved nested records moved, $inplace in place; want $((2 * (post_0 + post_1))) (NMIs from post handlers) and $((2 * (pre_0 + pre_1))) (from pre handlers); places moved:$hist"; exit 1; }
	fi
	local what="$((got_0_none + got_1_none)) loop + NMI $((got_0_nmi + got_1_nmi)) + hardirq $((got_0_hardirq + got_1_hardirq)) + softirq $((got_0_softirq + got_1_softirq)) records"
	if [ "$nn" -eq 0 ]; then
		[ $full = yes ] || { cat "$res/compare-full.txt"; echo "FAIL: $stage: trace differs from QEMU's log per CPU (no record is nested)"; exit 1; }
		[ $glob = yes ] || { cat "$res/compare-global.txt"; echo "FAIL: $stage: trace differs from QEMU's log in global order (no record is nested)"; exit 1; }
		summary+="$stage: $what equal QEMU's log per CPU and globally, none nested; "
		return 0
	fi
	# Full per-CPU order holds exactly when no nested record moved.
	if [ $full = yes ]; then
		[ "$moved" -eq 0 ] || { echo "FAIL: $stage: per-CPU comparison passed yet $moved nested records are out of place (checker bug)"; exit 1; }
	else
		[ "$moved" -gt 0 ] || { cat "$res/compare-full.txt"; echo "FAIL: $stage: trace differs from QEMU's log per CPU although every nested record is in place"; exit 1; }
	fi
	"$cmp" --per-cpu --region edu-mmio --phys "$bar" "$res/qemu-nonested.log" "$res/edu-nonested.txt" >"$res/compare-nonested.txt" 2>&1 ||
		{ cat "$res/compare-nonested.txt"; echo "FAIL: $stage: without the $nn nested records, the trace differs from QEMU's log per CPU"; exit 1; }
	"$cmp" -q --region edu-mmio --phys "$bar" "$res/qemu-nonested.log" "$res/edu-nonested.txt" >"$res/compare-nonested-global.txt" 2>&1 ||
		{ cat "$res/compare-nonested-global.txt"; echo "FAIL: $stage: without the $nn nested records, the trace differs from QEMU's log in global order"; exit 1; }
	"$cmp" --per-cpu --region edu-mmio --phys "$(a 0x18)-$(a 0x23)" "$res/qemu.log" "$res/edu.txt" >"$res/compare-nmi.txt" 2>&1 ||
		{ cat "$res/compare-nmi.txt"; echo "FAIL: $stage: the NMI accesses alone differ from QEMU's log per CPU"; exit 1; }
	summary+="$stage: $what; $nn nested (cpu0 $nested_0, cpu1 $nested_1), $moved of them before the interrupted access in the trace but after it on the device (places moved:$hist); whole trace per CPU: $([ $full = yes ] && echo equal || echo differs), globally: $([ $glob = yes ] && echo equal || echo differs); without the nested records equal per CPU and globally, NMI accesses alone equal per CPU; "
}

summary=
for stage in plain probe; do
	res=$top/$B/vm/test-kmod-irq-$hook-$stage
	rm -rf "$res" && mkdir -p "$res" || exit 99
	mode=1
	[ $stage = probe ] && mode=2
	bash "$here/run-vm.sh" -q --dev edu --results "$res" --timeout 300 \
		--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$MMIOTAP" --env MTK_ITERS="$ITERS" \
		--env MTK_EDU_ARGS="irqs=$mode" --env MTK_FAULT_HOOK="$hook" --env MTK_BUF_RECORDS=262144 \
		"$top/kmod/tests/guest-edu.sh"
	rc=$?
	[ $rc = 77 ] && exit 77
	[ $rc = 0 ] || { tail -n 30 "$res/console.log"; echo "FAIL: $stage: the VM run failed (exit $rc; the driver checks every value: see $res/dmesg.txt)"; exit 1; }
	check_run "$res" "$stage"
done
echo "PASS: fault hook $hook: ${summary%; }"
