#!/usr/bin/env bash
# test-kmod-irq.sh through the tracepoint fault hook: NMIs then resume
# through their own per-CPU slot and stubs (mtk_resume1), hardirq and
# softirq accesses through the normal ones; same checks.
MTK_FAULT_HOOK=tracepoint exec bash "$(dirname "$0")/test-kmod-irq.sh"
