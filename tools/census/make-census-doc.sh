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
- **Emulation check**: every candidate the core accepts is then run once
  through \`mt_emulate()\` with fake callbacks: reads return a pattern, writes
  are dropped, vector and mask registers live in arrays (all mask bits and
  vector sign bits set), GPRs hold pattern values with RCX = 3, and
  \`exec_displaced\` decodes the re-encoded instruction and checks it (same
  mnemonic, registers and immediates; memory operand exactly [scratch_reg])
  without running it. Anomalies: \`mt_emulate()\` failing, an access size
  outside 1/2/4/8/10/16/32/64 (unless \`MT_ACC_PARTIAL\`), RIP not after the
  instruction, a bad re-encoding. Forms whose run made no access are listed
  for information (displaced masked stores write nothing under the fake).
- **Verdict**: each candidate goes through \`mt_decode()\` and
  \`mt_emu_supported()\` with two sets of callbacks:
  - **user** (LD_PRELOAD and ptrace tracers): memory, vector, opmask and
    \`exec_displaced\` all present;
  - **kernel** (kernel module): memory, vector and opmask present, no
    \`exec_displaced\`.
  The census also reports where the core disagrees with the sweep: an
  instruction \`mt_decode()\` fails to decode or decodes to another length, or a
  candidate the core classifies as family *none*.

## Findings

- Plain moves, ALU, shifts, bit tests, atomics, SETcc/CMOVcc, NT stores, string
  instructions and vector moves are covered in both profiles. Vector ALU and
  x87/MXCSR forms are covered only where displaced execution is available (user
  profile).
- The remaining gap in libc and libm is control transfer through memory:
  \`CALL m64\` and \`JMP m64\` (PLT entries and \`-fno-plt\` calls through the
  GOT). In libc.so.6 and libm.so.6 they are the only unsupported forms of the
  user profile besides the FLDENV/FNSTENV anomaly below; supporting them
  (read 8 bytes, push the return address through mem_write, set RIP) would
  bring both to 100%. \`PUSH m\`/\`POP m\` are emulated in user space only.
  Machine-wide CALL/JMP m64 dominate too, followed by gathers/scatters (which
  the core does not recognise as memory instructions: family *none*), and
  rare forms found in data swept as code (\`INS/OUTS\`, segment-register
  moves, far pointers, three-operand \`IMUL\`), mostly in libcrypto's and
  LLVM's data in text.
- Emulation check: no crash (also run under ASan+UBSan over all files), RIP
  always correct, no bad displaced re-encoding; the only anomaly is
  \`FLDENV\`/\`FNSTENV m224\` in the user profile, whose displaced path hands
  the memory callbacks one 28-byte access, a size outside the contract
  (1/2/4/8/10/16/32/64), and fails when the callback refuses it.

## Results

EOF
# The census output, its headings pushed one level down.
sed -e '1d' -e 's/^## /### /' "$body"
} >"$out"
echo "wrote $out"
