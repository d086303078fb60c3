#!/usr/bin/env bash
# test-kmod-step.sh through the module's ftrace fallback fault hook: the
# single-step of an instruction core/ cannot emulate then starts straight
# at the instruction (no resume stub), and vector moves are emulated too.
MTK_FAULT_HOOK=ftrace exec bash "$(dirname "$0")/test-kmod-step.sh"
