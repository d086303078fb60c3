#!/usr/bin/env bash
# campaign-kernel.sh - a fault-injection campaign on a kernel driver in QEMU
# (mmiotap-campaign(1), KERNEL DRIVERS):
#
#   tests/vm/campaign-kernel.sh [-o DIR] [--dev QEMU_DEV] [--pci-id VENDOR:DEVICE]
#       [--bar N] [--module KO] [--exercise SHELL] [--faults LIST]
#       [--occurrences WHICH] [--timeout S] [--max-boots N]
#
# Default: the in-tree e1000 driver of the guest kernel on QEMU's e1000,
# all-ones on the first occurrence of each read site of module load (probe)
# and unload, the exercise printing the MAC address probe read from the
# EEPROM (or "no interface" when probe failed):
#
#   tests/vm/campaign-kernel.sh -o build/vm/campaign-e1000
#
# The guest (kmod/tests/guest-campaign.sh) boots once per batch: it records
# the baseline and makes the plan the first time, then runs experiments
# until one needs a fresh kernel (a kernel report, a hang, a module that
# does not unload); the host boots again for the rest, up to --max-boots.
# A guest that dies, or shows no progress for --timeout + 120 s (QEMU is
# then stopped), leaves its experiment as a crash or hang. At the end: `mmiotap campaign collect` (results.txt) and
# `mmiotap campaign report` (also report.html).
# Another driver: --dev (run-vm.sh's device names, or --qemu-arg through
# CP_QEMU_ARGS), --pci-id, --module (a .ko path readable in the guest: the
# host's / is mounted read-only there) and --exercise (shell code run after
# insmod, with $bdf set: bring an interface up, read a sysfs file...).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/test-lib.sh"
dir=$top/${BUILD:-build}/vm/campaign-e1000 dev=e1000 pciid=8086:100e bar=0 module=
# did probe bind the device, and what MAC did it read from the EEPROM?
exercise='cat /sys/bus/pci/devices/$bdf/net/*/address 2>&1 || echo no interface' 
faults=all-ones occ=first tmo=60 maxboots=50
while [ $# -gt 0 ]; do
	case $1 in
	-o) dir=$2; shift 2 ;;
	--dev) dev=$2; shift 2 ;;
	--pci-id) pciid=$2; shift 2 ;;
	--bar) bar=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--exercise) exercise=$2; shift 2 ;;
	--faults) faults=$2; shift 2 ;;
	--occurrences) occ=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--max-boots) maxboots=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "campaign-kernel: unknown option $1" >&2; exit 2 ;;
	esac
done
vmt_kmod_build
mt=$top/$B/mmiotap
mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || exit 1
start=$(date +%s)
# experiments without a verdict
left() {
	[ -s "$dir/plan" ] || { echo unknown; return; }
	grep -v '^#' "$dir/plan" | tail -n +2 | while read -r id _; do
		[ -e "$dir/e$id.status" ] || echo "$id"
	done | wc -l
}
# Newest sign of progress in the guest (plan, current, a status), epoch s.
progress() {
	stat -c %Y "$dir/plan" "$dir/current" "$dir"/e*.status 2>/dev/null | sort -n | tail -n 1
}
# Run one boot; kill QEMU when nothing progressed for --timeout + 120 s
# (a kernel that locked up: the experiment under way is a hang).
boot() {
	# shellcheck disable=SC2086
	bash "$here/run-vm.sh" -q --no-trace --dev "$dev" ${CP_QEMU_ARGS:-} --results "$dir" \
		--timeout 86400 --env MMIOTAP="$mt" --env CP_PCIID="$pciid" --env CP_BAR="$bar" \
		--env CP_MODULE="$module" --env CP_EXERCISE="$exercise" --env CP_FAULTS="$faults" \
		--env CP_OCC="$occ" --env CP_TIMEOUT="$tmo" "$top/kmod/tests/guest-campaign.sh" &
	local vm=$! t0 last
	t0=$(date +%s)
	stalled=0
	while kill -0 $vm 2>/dev/null; do
		sleep 5
		last=$(progress); [ -n "$last" ] && [ "$last" -gt "$t0" ] || last=$t0
		if [ $(($(date +%s) - last)) -gt $((tmo + 120 + ${first_boot:-0} * 600)) ]; then
			stalled=1
			# QEMU runs under run-vm's `timeout`: TERM it, it ends QEMU
			for p in $(pgrep -P $vm -x timeout); do kill "$p"; done
			break
		fi
		[ -e "$dir/plan" ] && first_boot=0
	done
	wait $vm
}
boots=0 first_boot=1
while [ "$(left)" != 0 ]; do
	if [ $boots -ge "$maxboots" ]; then
		echo "campaign-kernel: --max-boots $maxboots reached, $(left) experiments left" >&2
		break
	fi
	boots=$((boots + 1))
	echo "campaign-kernel: boot $boots, $(left) experiments left ($(($(date +%s) - start)) s)"
	boot
	rc=$?
	[ $rc = 77 ] && exit 77
	cur=$(cat "$dir/current" 2>/dev/null)
	if [ -n "$cur" ] && [ ! -e "$dir/e$cur.status" ]; then
		# the guest died or locked up during experiment $cur
		if [ $stalled = 1 ] || [ $rc = 124 ]; then
			printf 'hang\tguest stalled\t0\n' >"$dir/e$cur.status"
		else
			rep=$(grep -m1 -E 'BUG:|Oops|WARNING:|KASAN|panic' "$dir/console.log" | tr -d '\r\t')
			printf 'crash\tguest died (exit %s)\t0\t? (%s)\n' "$rc" "${rep:-no report}" >"$dir/e$cur.status"
		fi
		cp "$dir/console.log" "$dir/e$cur.console.log" 2>/dev/null
	fi
	rm -f "$dir/current"
	[ -s "$dir/plan" ] || { echo "FAIL: no plan (baseline failed? see $dir/console.log)"; exit 1; }
done
rm -f "$dir/results.txt"
"$mt" campaign collect "$dir/plan" "$dir" || exit 1
"$mt" campaign report --html "$dir/report.html" "$dir" | tee "$dir/report.txt"
echo "campaign-kernel: $(grep -vc '^#' "$dir/results.txt") experiments, $boots boots, $(($(date +%s) - start)) s"
