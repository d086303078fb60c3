#!/usr/bin/env bash
# make-census-doc.sh - regenerate docs/CENSUS.md: the fixed text below plus
# the output of mmiotap-census over every shared library of this machine.
#   tools/census/make-census-doc.sh [BUILD]     (default BUILD=build)
# Needs $BUILD/mmiotap-census (make BUILD=... $BUILD/mmiotap-census).
# Takes about 15-30 s of one CPU for ~650 files.
set -eu
cd "$(dirname "$0")/../.."
build=${1:-${BUILD:-build}}
census=$build/mmiotap-census
out=docs/CENSUS.md
[ -x "$census" ] || { echo "make-census-doc.sh: $census not built" >&2; exit 1; }
body=$(mktemp)
trap 'rm -f "$body"' EXIT
# Exit 2 (coverage) and 3 (emulation anomalies) still print the full report.
rc=0
nice "$census" --top 40 --top-files 20 >"$body" 2>/dev/null || rc=$?
case $rc in 0|2|3) ;; *) echo "make-census-doc.sh: census failed ($rc)" >&2; exit 1 ;; esac
libs=$(awk -F'|' '/^\| (libc|libm)\.so\.6 /{gsub(/ /,"",$2); gsub(/^ +| +$/,"",$7);
	gsub(/^ +| +$/,"",$8); print $2 " " $8 " of " $7}' "$body" | paste -sd';' | sed 's/;/, /')
{
cat <<EOF
# Instruction census

How much real x86-64 code can the mmiotap emulator core handle if it faults on
a traced page? \`mmiotap-census\` decodes every executable section of the
machine's shared libraries and asks the core, instruction by instruction.

Regenerate this file (from the top of the tree):

    make BUILD=build build/mmiotap-census
    tools/census/make-census-doc.sh build

or run the census alone: \`build/mmiotap-census [--mnemonics] [--top N]
[--top-files N] [--min-coverage PCT] [FILE...]\` (default FILE: every
\`/usr/lib/x86_64-linux-gnu/*.so*\`). The test \`tests/unit/census_libc.sh\`
runs it on libc.so.6 and libm.so.6 with \`--min-coverage 99.9\`.

Generated $(date -u +%Y-%m-%d) on Debian $(cat /etc/debian_version 2>/dev/null || echo '?'),
core at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), Zydis from libzydis-dev.
User-profile coverage: $libs (target: at least 99.9%).

## Method

- **Files**: each path is opened once (symlinks and hard links to the same
  inode are counted once); files that are not ELF64 x86-64 (linker scripts
  such as libc.so) are skipped and counted. Executable sections come from the
  section headers (\`SHF_EXECINSTR\`, not \`SHT_NOBITS\`); a file without
  section headers falls back to \`PT_LOAD\` segments with \`PF_X\`. All header
  fields are bounds-checked: \`tests/unit/census_malformed.sh\` feeds truncated
  and corrupted ELF files.
- **Decoding**: linear sweep with Zydis from the start of each section. A byte
  Zydis cannot decode is counted as an *invalid byte* and skipped (resync one
  byte later). Data and padding in \`.text\` are decoded like code (zero
  padding decodes as \`add [rax],al\`): that is the nature of a linear sweep and
  it is counted, not hidden.
- **Classes** of decoded instructions:
  - *no memory operand*;
  - *no access*: \`LEA\` (address generation only), \`NOP\` with a ModRM
    memory operand, and \`PREFETCH*\`: they never fault on an unmapped page, so
    they can never reach the emulator;
  - *stack only*: every memory operand is an implicit stack operand (SS
    segment, not explicit): \`PUSH reg/imm\`, \`POP reg\`, \`CALL rel\`,
    \`RET\`, \`ENTER\`, \`LEAVE\`, \`PUSHF\`, \`POPF\`. The stack is never device
    memory, so these are not MMIO candidates; they are reported apart;
  - *memory candidates*: everything else that reads or writes memory,
    explicitly or implicitly: all \`MOV\`-like forms, ALU, string instructions,
    \`XLAT\`, \`moffs\`, gathers/scatters, x87 and SSE state (\`FLD\`,
    \`LDMXCSR\`, \`XRSTOR\`), \`CLFLUSH\`, and also \`CALL/JMP/PUSH/POP\` with an
    explicit memory operand (a pointer or value fetched from memory that could
    be device memory). FS/GS-relative accesses (TLS) count as candidates too.
- **Emulation check**: every candidate the core accepts is then run
  through \`mt_emulate()\` with fake callbacks: reads return a pattern,
  writes are logged and dropped, vector and mask registers live in arrays
  (all mask bits and vector sign bits set), GPRs hold pattern values with
  RCX = 3, and \`exec_displaced\` decodes the re-encoded instruction and
  checks it (same mnemonic, registers and immediates; memory operand
  exactly [scratch_reg]); instead of running it, it writes every other
  4-byte chunk of a written operand's scratch copy, so masked-store probes
  find partial runs. Anomalies: \`mt_emulate()\` failing; an access whose
  size is not the byte size of one of the instruction's memory operands
  (the contract of \`emu.h\`: 1..64, including 10, 14 and 28 for x87
  operands; a \`MT_ACC_PARTIAL\` run within the largest operand); RIP not
  after the instruction, or for \`JMP/CALL m64\` not the 8 bytes read; a
  wrong stack effect of \`CALL m64\`, \`PUSH m\`, \`POP m\` (RSP moved by
  the operand size, exactly one write there, of the return address or the
  value read); a bad re-encoding; emulating inputs on which the CPU raises
  #GP. A refusal (\`MT_EMU_UNSUPPORTED\`) on such inputs is by design (the
  backend then lets the CPU run the instruction, and fault): \`LDMXCSR\` of
  reserved MXCSR bits, and a misaligned operand of an aligned move
  (\`MOVDQA\`, \`MOVAPS\`, \`VMOVDQA32\`, \`MOVNT*\` ...: the operand's
  size, in every encoding) or of a legacy SSE m128 form of SDM exception
  types 1, 2, 4 (\`PAND\`, \`PTEST\`, \`ADDPD\` ...; not \`MOVUPS\`,
  \`MOVDQU\`, \`LDDQU\`, \`MASKMOVDQU\`, \`PCMPxSTRx\`, as measured on
  this CPU). The census predicts these from the inputs it gave, counts them
  apart, and runs the instruction again on valid inputs (MXCSR 0x1f80, the
  base register moved to the boundary), where it must succeed. The test
  fails on any anomaly.
- **Verdict**: each candidate goes through \`mt_decode()\` and
  \`mt_emu_supported()\` with two sets of callbacks:
  - **user** (LD_PRELOAD and ptrace tracers): memory, vector, opmask and
    \`exec_displaced\` all present;
  - **kernel** (the kernel module's \`mt_emu_ops\`, kmod/src/mt_fault.c and
    mt_vec.c, on an AVX-512 machine): memory callbacks, vector and opmask
    accessors on the live registers, and \`MT_OPS_NO_STACK\`: no displaced
    execution, and no \`PUSH m\`/\`POP m\`/\`CALL m64\` (the exception frame
    sits right below the interrupted kernel RSP; core compiled with
    \`__KERNEL__\` refuses them whatever the flag). Every displaced form
    (vector ALU, x87, ...) is therefore unsupported there; the module
    single-steps those.
  The census also reports where the core disagrees with the sweep: an
  instruction \`mt_decode()\` fails to decode or decodes to another length, or a
  candidate the core classifies as family *none*; that fails the test too.

## Findings

- User profile: libc.so.6 and libm.so.6 are covered completely, and so are
  gathers and scatters (family *gather*: VSIB operands, AVX2 and AVX-512;
  mostly video codecs and libmvec). Machine-wide the gap is cache-line
  operations (\`CLFLUSH\`, \`CLFLUSHOPT\`, \`CLWB\`: they act on the
  mapping itself, so the backend must run them on the real page) and rare
  forms found in data swept as code (\`INS/OUTS\`, segment-register moves,
  far pointers \`m48\`, three-operand \`IMUL\`, \`FNSAVE/FRSTOR\` whose
  108-byte operand exceeds the 64-byte scratch), mostly in libcrypto's and
  libIPSec_MB's data in text.
- Kernel profile: plain moves, ALU, shifts, bit tests, atomics, SETcc/CMOVcc,
  NT stores, string instructions, \`JMP m64\`, vector moves and gathers and
  scatters are covered (vector and opmask registers through the module's
  accessors on the live registers, kmod/src/mt_vec.c); vector ALU and x87
  need displaced execution, which the module does not have. Kernel drivers
  use the integer forms (readl/writel, memcpy_toio): the user-space
  libraries are only a proxy for what the module meets.
- Emulation check: no crash (also run under ASan+UBSan), no anomaly in
  either profile over every file; the sizes passed to the memory callbacks
  are listed under the check (10 bytes: \`FLD/FSTP m80\`; 28:
  \`FLDENV/FNSTENV\`); the partial runs include the one 4- or 8-byte access
  per selected element of every gather and scatter (all elements are
  selected there: the fake registers have every sign bit and opmask bit set).

## Results

EOF
# The census output, its headings pushed one level down.
sed -e '1d' -e 's/^## /### /' "$body"
} >"$out"
echo "wrote $out"
