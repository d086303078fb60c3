#!/usr/bin/env bash
# mmiotap.ko on QEMU's edu: instructions core/ cannot emulate are
# single-stepped with the page kept traced, and kernel vector moves are
# emulated on the live registers (kmod/tests/mtk_edutest.c extra=1):
#   - after the 2-CPU loops, a CRC32 m32 on BAR0+8 (not emulated): exactly
#     one UNKNOWN record, with the instruction's bytes (f2 0f 38 f1), NOT
#     flagged disarmed, and the accesses after it on the same page traced;
#     the driver checks the CRC32 saw the value the traced readl(+8) sees;
#   - SSE MOVD load/store, MOVDQU and MOVNTDQA loads, a MOVDQU store on the
#     BAR inside kernel_fpu_begin/end: traced as R/W (16-byte ones split by
#     QEMU into 8-byte accesses), values checked by the driver;
#   - the trace, without the UNKNOWN, equals QEMU's log with the CRC32's read
#     (the first 4-byte read at BAR0+8) taken out, per CPU and globally.
# No BUG/Oops/WARNING on the console (run-vm).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
ITERS=${MTK_ITERS:-50}
# MTK_FAULT_HOOK=tracepoint: the same through the module's second fault hook.
hook=${MTK_FAULT_HOOK:-}
res=$top/$B/vm/test-kmod-step${hook:+-$hook}
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" \
	--env MTK_ITERS="$ITERS" --env MTK_EDU_ARGS="extra=1" --env MTK_FAULT_HOOK="$hook" "$top/kmod/tests/guest-edu.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc; the driver checks every value: see $res/dmesg.txt)"; exit 1; }
bar=$(cat "$res/edu-bar")
# With AVX (QEMU >= 7.2's -cpu max) the driver adds a 32-byte VMOVDQU load and store.
avx=$(sed -n 's/.*mtk_edutest: extra: .* avx \([01]\),.*/\1/p' "$res/dmesg.txt")
[ -n "$avx" ] || { echo "FAIL: the driver's extra phase did not report"; exit 1; }
nextra=$((8 + 2 * avx))
base=$((${bar%-*}))
"$top/$B/mmiotap" dump "$res/edu.trace" >"$res/edu.txt" || { echo "FAIL: mmiotap dump"; exit 1; }
n=$(grep -c '^[RW] ' "$res/edu.txt")
want=$((4 * ITERS + nextra))
[ "$n" -eq "$want" ] || { echo "FAIL: $n traced accesses, want $want (4 per iteration + $nextra after the CRC32)"; exit 1; }
grep '^UNKNOWN ' "$res/edu.txt" >"$res/unknown.txt"
[ "$(wc -l <"$res/unknown.txt")" -eq 1 ] || { echo "FAIL: want exactly 1 UNKNOWN record:"; cat "$res/unknown.txt"; exit 1; }
addr=$(printf '%#x' $((base + 8)))
# Its bytes (EXT insn=): F2 [REX] 0F 38 F1 = CRC32 r32, m32.
grep -A1 '^UNKNOWN ' "$res/edu.txt" >"$res/unknown.txt"
grep -q "^UNKNOWN .* $addr " "$res/unknown.txt" && grep -Eq '^EXT (.* )?insn=f2(4[0-9a-f])?0f38f1' "$res/unknown.txt" ||
	{ echo "FAIL: the UNKNOWN record is not the CRC32 (f2 0f 38 f1) at $addr:"; cat "$res/unknown.txt"; exit 1; }
# The UNKNOWN says the instruction was single-stepped (the page stays
# traced), not disarmed.
grep -A1 '^UNKNOWN ' "$res/edu.txt" | grep -q '^EXT flags=stepped ' ||
	{ echo "FAIL: the UNKNOWN is not flagged stepped:"; grep -A1 '^UNKNOWN ' "$res/edu.txt"; exit 1; }
! grep -A1 '^UNKNOWN ' "$res/edu.txt" | grep -q 'disarmed' || { echo "FAIL: the page was disarmed after the UNKNOWN"; exit 1; }
# Accesses after the UNKNOWN on its page: readl(+8) and 7 more.
after=$(awk '/^UNKNOWN / { u = 1; next } u && /^[RW] / { n++ } END { print n + 0 }' "$res/edu.txt")
[ "$after" -eq "$nextra" ] || { echo "FAIL: $after accesses traced after the UNKNOWN, want $nextra"; exit 1; }
if [ "$avx" = 1 ]; then
	grep -Eq "^R 32 .* $(printf '%#x' "$base") 0x(ff){32} " "$res/edu.txt" || { echo "FAIL: no 32-byte VMOVDQU read with all its bytes"; exit 1; }
	grep -Eq "^W 32 .* $(printf '%#x' $((base + 32))) 0x(3c){32} " "$res/edu.txt" || { echo "FAIL: no 32-byte VMOVDQU write with all its bytes"; exit 1; }
fi
grep -Eq "^R 16 .* $(printf '%#x' "$base") " "$res/edu.txt" || { echo "FAIL: no 16-byte vector read traced"; exit 1; }
grep -Eq "^W 16 .* $(printf '%#x' $((base + 16))) " "$res/edu.txt" || { echo "FAIL: no 16-byte vector write traced"; exit 1; }
# QEMU's log without the CRC32's read (the first 4-byte read at +8).
awk -v a="$addr" '!done && /memory_region_ops_read/ && $0 ~ ("addr " a " ") && / size 4 / { done = 1; next } { print }' \
	"$res/qemu.log" >"$res/qemu-nocrc.log"
[ "$(wc -l <"$res/qemu.log")" -eq $(($(wc -l <"$res/qemu-nocrc.log") + 1)) ] || { echo "FAIL: QEMU's log has no 4-byte read at $addr"; exit 1; }
# ... and the trace without the UNKNOWN (qemu-compare counts one as a difference).
awk '/^UNKNOWN / { skip = 1; next } skip && /^EXT / { skip = 0; next } { skip = 0; print }' \
	"$res/edu.txt" >"$res/edu-nounknown.txt"
[ "$(wc -l <"$res/edu.txt")" -eq $(($(wc -l <"$res/edu-nounknown.txt") + 2)) ] || { echo "FAIL: filtering the UNKNOWN out"; exit 1; }
"$top/$B/qemu-compare" --per-cpu --region edu-mmio --phys "$bar" "$res/qemu-nocrc.log" "$res/edu-nounknown.txt" ||
	{ echo "FAIL: trace differs from QEMU's log (per CPU)"; exit 1; }
"$top/$B/qemu-compare" -q --region edu-mmio --phys "$bar" "$res/qemu-nocrc.log" "$res/edu-nounknown.txt" ||
	{ echo "FAIL: trace differs from QEMU's log (global order)"; exit 1; }
# Stage 2, concurrency: CPU 1 runs a stepped CRC32 on BAR0+8 every iteration
# while CPU 0 writes and reads the liveness register on the same page. The
# driver checks every value (the CRC32's too); every CRC32 must be stepped
# (one UNKNOWN each, none disarmed); the other accesses are compared with
# QEMU's log without the +8 reads. An access of CPU 0 made while CPU 1's
# step has the page present is not traced (the documented race window): if
# the comparison fails, it may only be because the trace lacks accesses.
res2=$top/$B/vm/test-kmod-step${hook:+-$hook}-smp
rm -rf "$res2" && mkdir -p "$res2" || exit 99
bash "$here/run-vm.sh" --dev edu --results "$res2" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" \
	--env MTK_ITERS="$ITERS" --env MTK_EDU_ARGS="stepper=1" --env MTK_FAULT_HOOK="$hook" "$top/kmod/tests/guest-edu.sh" >"$res2/run.log" 2>&1
rc=$?
[ $rc = 0 ] || { tail -20 "$res2/run.log"; echo "FAIL: the concurrent step run failed (exit $rc; see $res2)"; exit 1; }
"$top/$B/mmiotap" dump "$res2/edu.trace" >"$res2/edu.txt" || { echo "FAIL: mmiotap dump (concurrent run)"; exit 1; }
nu=$(grep -c '^UNKNOWN ' "$res2/edu.txt")
[ "$nu" -eq "$ITERS" ] || { echo "FAIL: concurrent run: $nu UNKNOWN records, want $ITERS"; exit 1; }
! grep -A1 '^UNKNOWN ' "$res2/edu.txt" | grep -q 'disarmed' || { echo "FAIL: concurrent run: a page was disarmed"; exit 1; }
grep -v "addr $addr " "$res2/qemu.log" >"$res2/qemu-no8.log"
awk -v a="$addr" '/^UNKNOWN / { skip = 1; next } skip && /^EXT / { skip = 0; next } { skip = 0 } /^[RW] / && $5 == a { next } { print }' \
	"$res2/edu.txt" >"$res2/edu-no8.txt"
nt=$(grep -c '^[RW] ' "$res2/edu-no8.txt")
nq=$(grep -c "name 'edu-mmio'" "$res2/qemu-no8.log")
if "$top/$B/qemu-compare" -q --per-cpu --region edu-mmio --phys "$bar" "$res2/qemu-no8.log" "$res2/edu-no8.txt" >"$res2/compare.txt"; then
	smp="concurrent: $ITERS CRC32 stepped on CPU 1 while CPU 0 used the page, $nt other accesses equal QEMU's log"
elif [ "$nt" -lt "$nq" ]; then
	smp="concurrent: $ITERS CRC32 stepped on CPU 1 while CPU 0 used the page; $((nq - nt)) of $nq other accesses fell in the step window (untraced)"
else
	cat "$res2/compare.txt"; echo "FAIL: concurrent run: trace differs from QEMU's log ($nt records, $nq log entries)"; exit 1
fi
echo "PASS: ${hook:+fault hook $hook: }$n accesses matched QEMU's log (CRC32 single-stepped: 1 UNKNOWN, page still traced, $nextra accesses after it; SSE MOVD/MOVDQU/MOVNTDQA$([ "$avx" = 1 ] && echo ", AVX VMOVDQU ymm") emulated); $smp; $(grep 'mmiotap: unloaded' "$res/dmesg.txt" | sed 's/.*mmiotap: //')"
