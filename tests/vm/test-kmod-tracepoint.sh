#!/usr/bin/env bash
# test-kmod-edu.sh with mmiotap.ko loaded with fault_hook=tracepoint: the
# second fault hook (a probe on the exceptions:page_fault_kernel tracepoint
# that resumes through the exception-table stubs) instead of the default
# ftrace_ops on kernelmode_fixup_or_oops; same checks (400 accesses from 2
# CPUs equal QEMU's log per CPU and globally).
MTK_FAULT_HOOK=tracepoint exec bash "$(dirname "$0")/test-kmod-edu.sh"
