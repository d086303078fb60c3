#!/usr/bin/env bash
# core/ must compile freestanding (-ffreestanding -nostdlib -mgeneral-regs-only,
# Zydis with ZYAN_NO_LIBC) with no warning at all, and include no libc header
# except through mmiotap/platform.h.
set -u
cd "$(dirname "$0")/../.."
out=$(make --no-print-directory freestanding 2>&1); rc=$?
echo "$out"
if [ $rc -ne 0 ]; then echo "freestanding compile failed"; exit 1; fi
if echo "$out" | grep -qi 'warning'; then echo "freestanding compile printed warnings"; exit 1; fi
bad=$(grep -n '#include <' core/src/*.c core/src/*.h 2>/dev/null | grep -v 'Zydis/' || true)
if [ -n "$bad" ]; then echo "core/src includes a libc header directly:"; echo "$bad"; exit 1; fi
n=$(ls build-free/*.o | wc -l)
echo "freestanding: $n objects, 0 warnings"
