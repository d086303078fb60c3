#!/usr/bin/env bash
# test-kmod-edu.sh with mmiotap.ko loaded with fault_hook=ftrace: the
# fallback fault hook (an ftrace_ops on kernelmode_fixup_or_oops) instead of
# the page_fault_kernel tracepoint; same checks (400 accesses from 2 CPUs
# equal QEMU's log per CPU and globally).
MTK_FAULT_HOOK=ftrace exec bash "$(dirname "$0")/test-kmod-edu.sh"
