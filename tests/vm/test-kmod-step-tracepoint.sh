#!/usr/bin/env bash
# test-kmod-step.sh through the module's tracepoint fault hook: the
# single-step of an instruction core/ cannot emulate then starts from a
# resume stub (the default ftrace hook starts it straight at the
# instruction), and vector moves are emulated too.
MTK_FAULT_HOOK=tracepoint exec bash "$(dirname "$0")/test-kmod-step.sh"
