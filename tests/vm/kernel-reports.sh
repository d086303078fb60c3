#!/usr/bin/env bash
# kernel-reports.sh - find kernel reports (Oops, BUG, WARNING, KASAN, lockdep,
# RCU, atomic-sleep, lockups, hung tasks, debugobjects, list corruption,
# UBSAN) in a console log or a dmesg copy. run-vm.sh sources it to fail a run
# whose console or dmesg.txt shows one; on its own it prints them:
#
#   tests/vm/kernel-reports.sh FILE...          matching lines (FILE:LINE:TEXT)
#   tests/vm/kernel-reports.sh -x N FILE...     each report's first N lines
#                                               (from its header, with the call
#                                               trace), separated by "----"
# Exit 0 when something was found, 1 when nothing was.
#
# What the debug kernel (scripts/debug-kernel.config) prints, and the
# pattern that catches it (the first line of each report):
#   KASAN                "BUG: KASAN: slab-out-of-bounds in ..."        BUG:
#   lockdep              "WARNING: possible circular locking ..."        WARNING:
#                        "WARNING: possible recursive locking detected"  WARNING:
#                        "INFO: trying to register non-static key."
#                        "BUG: MAX_LOCKDEP_ENTRIES too low!"             BUG:
#   RCU lockdep          "WARNING: suspicious RCU usage"                 suspicious RCU usage
#   atomic sleep         "BUG: sleeping function called from invalid context"
#                        "BUG: scheduling while atomic"                  BUG:
#   hung task            "INFO: task NAME:PID blocked for more than N seconds."
#   soft lockup          "watchdog: BUG: soft lockup - CPU#0 stuck for 22s!"
#   hard lockup          "watchdog: Watchdog detected hard LOCKUP on cpu 1"
#   workqueue watchdog   "BUG: workqueue lockup - pool ..."
#   RCU stalls           "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"
#                        "rcu: INFO: rcu_preempt self-detected stall on CPU"
#   debugobjects         "ODEBUG: free active (active state 0) object type: ..."
#                        (not "ODEBUG: selftest passed": BUG: only as a word)
#   list debugging       "list_add corruption. prev->next should be ..."
#                        "list_del corruption, ..."
#   UBSAN                "UBSAN: shift-out-of-bounds in ..."
#   any oops or panic    "Oops", "kernel BUG at", "general protection fault",
#                        "Kernel panic", "Call Trace"
# Not reports (never matched): "INFO: NMI handler (...) took too long to run"
# (TCG is slow), "KernelAddressSanitizer initialized", lockdep's banner.

VM_REPORT_START='(^|[^A-Za-z])BUG:|Oops|WARNING:|Kernel panic|kernel BUG at|general protection fault|'\
'INFO: task .* blocked for more than|rcu: INFO: |detected stalls on CPU|self-detected stall on CPU|'\
'suspicious RCU usage|sleeping function called from invalid context|scheduling while atomic|'\
'hard LOCKUP|soft lockup|workqueue lockup|INFO: trying to register non-static key|'\
'ODEBUG: .*object type|list_add corruption|list_del corruption|UBSAN:'
VM_REPORT_RE="$VM_REPORT_START|Call Trace"

# vm_kernel_reports FILE...: the matching lines, as FILE:LINE:TEXT; status 0
# when there is at least one.
vm_kernel_reports() {
	local f out found=1
	for f in "$@"; do
		[ -r "$f" ] || continue
		out=$(sed 's/\r$//' "$f" | grep -n -E "$VM_REPORT_RE") || continue
		printf '%s\n' "$out" | sed "s|^|$f:|"
		found=0
	done
	return $found
}

# vm_kernel_report_excerpts N FILE...: each report's first N lines; a Call
# Trace outside every report is shown from 5 lines before it.
vm_kernel_report_excerpts() {
	local n=$1 f
	shift
	for f in "$@"; do
		[ -r "$f" ] || continue
		sed 's/\r$//' "$f" | awk -v n="$n" -v f="$f" -v start="$VM_REPORT_START" '
			{ line[NR] = $0 }
			END {
				for (i = 1; i <= NR; i++) {
					s = (line[i] ~ start) ? i : (line[i] ~ /Call Trace/ ? (i > 5 ? i - 5 : 1) : 0)
					if (!s || i <= shown) continue
					if (s <= shown) s = shown + 1
					printf "---- %s:%d\n", f, s
					for (j = s; j < s + n && j <= NR; j++) print line[j]
					shown = j - 1
				}
			}'
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	if [ "${1:-}" = -x ]; then
		[ $# -ge 3 ] || { echo "usage: $0 [-x N] FILE..." >&2; exit 2; }
		n=$2; shift 2
		out=$(vm_kernel_report_excerpts "$n" "$@")
		[ -n "$out" ] && { echo "$out"; exit 0; }
		exit 1
	fi
	[ $# -ge 1 ] || { echo "usage: $0 [-x N] FILE..." >&2; exit 2; }
	vm_kernel_reports "$@"
fi
