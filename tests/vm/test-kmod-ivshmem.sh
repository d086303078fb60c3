#!/usr/bin/env bash
# mmiotap.ko on QEMU's ivshmem-plain with the test driver of
# kmod/tests/mtk_ivtest.c (guest side: kmod/tests/guest-ivshmem.sh).
# BAR0 (registers) is MMIO: its trace must equal QEMU's log per CPU and
# globally, with values. BAR2 (4M of RAM, a host file here) is not logged by
# QEMU: the driver checks every value it reads, through two mappings, and
# tests/vm/ivshmem-check.py checks the trace against the driver's counts, a
# replayed memory model and the file's bytes after the run.
#   1. load:   recording first, then the driver maps BAR2 with 2M pages (it
#              must say so) and makes a round at load on 2 CPUs at once plus
#              hrtimers (hardirq), every instruction family, a CRC32 step;
#   2. attach: the loaded driver's mappings (2M included) are attached by a
#              later recording, with two --inject rules; a round after it;
#   3. unload: rmmod mmiotap while the driver hammers BAR2 (attached 2M
#              mapping, and a new one), every value checked across it;
#   4. 1G:     a second boot with a 1G BAR2 (ioremap uses a 1G page): the
#              existing mapping and a new one are refused with a message.
# Each checker is fed an altered copy that must be rejected. No BUG/Oops/
# WARNING on any console (run-vm).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
ITERS=${MTK_ITERS:-100}
py=/usr/bin/python3
[ -x "$py" ] || { echo "SKIP: no $py for the BAR2 checker"; exit 77; }
mt=$top/$B/mmiotap
cmp=$top/$B/qemu-compare
res=$top/$B/vm/test-kmod-ivshmem
rm -rf "$res" && mkdir -p "$res" || exit 99
mem=$res/ivshmem-bar2.bin
truncate -s 4M "$mem" || exit 99
bash "$here/run-vm.sh" --dev "ivshmem-file=$mem,4M" --results "$res" --timeout 400 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$mt" --env MTK_ITERS="$ITERS" \
	--env MTK_IV_MODE=main "$top/kmod/tests/guest-ivshmem.sh" >"$res/run.log" 2>&1
rc=$?
[ $rc = 77 ] && { tail -n1 "$res/run.log"; exit 77; }
[ $rc = 0 ] || { tail -n 30 "$res/run.log"; echo "FAIL: the VM run failed (exit $rc; the driver checks every value: see $res/ivtest-dmesg.txt)"; exit 1; }
bar0=$(cat "$res/bar0") bar2=$(cat "$res/bar2") bdf=$(cat "$res/bdf")
dm=$res/ivtest-dmesg.txt
fail() { echo "FAIL: $*"; exit 1; }

# The driver's mappings: BAR2 with 2M pages, page 0 again with 4K pages
# (lookup_address() between phases 1 and 2), all armed during phase 2.
want="BAR0 4K pages, BAR2 2M pages, BAR2 page 0 again 4K pages"
[ "$(cat "$res/pages-before-attach")" = "$want" ] ||
	fail "the driver's mappings are not what phase 2 must attach: '$(cat "$res/pages-before-attach")', want '$want'"
[ "$(cat "$res/pages-attached")" = "BAR0 not present, BAR2 not present, BAR2 page 0 again not present" ] ||
	fail "the mappings are not all armed during phase 2: $(cat "$res/pages-attached")"
mapline=$(grep -m1 'mtk_ivtest: BAR0 ' "$dm") || fail "the driver did not report its mappings"
r0=0x$(echo "$mapline" | sed -n 's/.* BAR0 [0-9a-fx]* at \([0-9a-f]*\) .*/\1/p')
r2=0x$(echo "$mapline" | sed -n 's/.* size 0x400000 at \([0-9a-f]*\) .*/\1/p')
ra=0x$(echo "$mapline" | sed -n 's/.* page 0 again at \([0-9a-f]*\) .*/\1/p')

# QEMU's log split at the phase marks (writes to BAR0+0x80).
mark=$(printf '0x%x' $((${bar0%-*} + 0x80)))
awk -v o1="$res/qemu-load.log" -v o2="$res/qemu-attach.log" -v o3="$res/qemu-rest.log" -v a="$mark" '
	BEGIN { out = o1 }
	/ivshmem-mmio/ && /memory_region_ops_write/ && $0 ~ ("addr " a " ") && / value 0x1111 / { out = o2; next }
	/ivshmem-mmio/ && /memory_region_ops_write/ && $0 ~ ("addr " a " ") && / value 0x2222 / { out = o3; next }
	{ print > out }' "$res/qemu.log"
[ -s "$res/qemu-attach.log" ] && [ -s "$res/qemu-rest.log" ] || fail "the phase marks are not in QEMU's log"
nq2=$("$py" -c '
import re, sys
lo, hi = (int(x, 16) for x in sys.argv[2].split("-"))
print(sum(1 for l in open(sys.argv[1], errors="replace")
          if (m := re.match(r"memory_region_ops_\w+ .* addr (0x[0-9a-f]+) ", l)) and lo <= int(m[1], 16) <= hi))
' "$res/qemu.log" "$bar2")

summary=()
set_of() { case $1 in load) echo 0 ;; attach) echo 1 ;; esac; }
for ph in load attach; do
	"$mt" dump "$res/$ph.trace" >"$res/$ph.txt" || fail "mmiotap dump $ph"
	round=$(grep "mtk_ivtest: round .*: set $(set_of $ph) " "$dm" | head -n1)
	[ -n "$round" ] || fail "$ph: no round line of the driver"
	# MAP records: BAR0 (4K), BAR2 (4M, the driver's 2M mapping), BAR2 page 0 (4K)
	for m in "${bar0%-*} $r0 0x1000 bar=0" "${bar2%-*} $r2 0x400000 bar=2" "${bar2%-*} $ra 0x1000 bar=2"; do
		set -- $m
		grep -A1 "^MAP [0-9.]* [0-9]* $1 $2 $3 " "$res/$ph.txt" | grep -q "pci=0000:$bdf $4\|pci=$bdf $4" ||
			fail "$ph: no MAP of phys $1 at $2, size $3, $4 (the driver's mapping)"
	done
	# BAR0 against QEMU's log, per CPU and globally
	for mode in --per-cpu ""; do
		MMIOTAP="$mt" "$cmp" $mode --region ivshmem-mmio --phys "$bar0" "$res/qemu-$ph.log" "$res/$ph.txt" \
			>"$res/compare-$ph$mode.txt" 2>&1 ||
			{ cat "$res/compare-$ph$mode.txt"; fail "$ph: BAR0 trace differs from QEMU's log ($mode)"; }
	done
	# BAR2: the driver's counts, replay, the device file
	args=(--bar0 "$bar0" --bar2 "$bar2" --set "$(set_of $ph)" --round "$round")
	[ $ph = attach ] && args+=(--inj-xor 0xff --ivpos-inject 0x12345678)
	"$py" "$here/ivshmem-check.py" "$res/$ph.txt" "${args[@]}" --devfile "$mem" >"$res/check-$ph.txt" 2>&1 ||
		{ cat "$res/check-$ph.txt"; fail "$ph: the BAR2 trace is not what the driver did"; }
	# Both checkers can fail: one BAR0 value, one BAR2 read altered.
	awk -v m="${bar0%-*}" '/^R 4 / && $5 == m && !d { $6 = "0xbad0bad0"; d = 1 } { print }' "$res/$ph.txt" >"$res/$ph-mut.txt"
	[ "$(diff "$res/$ph.txt" "$res/$ph-mut.txt" | grep -c '^>')" = 1 ] || fail "$ph: the BAR0 mutation did not apply"
	MMIOTAP="$mt" "$cmp" --per-cpu --region ivshmem-mmio --phys "$bar0" "$res/qemu-$ph.log" "$res/$ph-mut.txt" >"$res/mut.out" 2>&1
	[ $? = 1 ] && grep -q MISMATCH "$res/mut.out" || { cat "$res/mut.out"; fail "$ph: an altered BAR0 trace was not rejected"; }
	"$py" "$here/ivshmem-check.py" "$res/$ph.txt" "${args[@]}" --mutate 500 >"$res/mut.out" 2>&1
	[ $? = 1 ] && grep -q 'last written' "$res/mut.out" || { cat "$res/mut.out"; fail "$ph: an altered BAR2 read was not caught"; }
	summary+=("$ph: BAR0 $(sed -n 's/.*OK: \([0-9]*\) accesses match.*/\1/p' "$res/compare-$ph--per-cpu.txt") accesses = QEMU's log per CPU and globally; $(sed 's/^ivshmem-check: //' "$res/check-$ph.txt")")
done
grep -q '^MARK .*ivtest loaded' "$res/load.txt" || fail "the marker is not in the load trace"
dec=$(bash "$top/tests/regdb/decode-check" "$mt" "$top/regdb/db/ivshmem.xml" ",bar=0" "$res/load.trace" \
	"$res/decode-load.jsonl") || fail "$dec"
summary+=("$dec")
# The module flags the accesses of locked read-modify-writes (LOCK OR, XADD,
# XCHG, CMPXCHG, LOCK BTS) and of string instructions (memcpy_toio,
# memcpy_fromio, memset_io).
nlock=$(grep -c '^EXT flags=.*locked' "$res/load.txt")
nstr=$(grep -c '^EXT flags=.*string' "$res/load.txt")
[ "$nlock" -gt 0 ] && [ "$nstr" -gt 0 ] ||
	fail "load trace: $nlock accesses flagged locked, $nstr flagged string; want some of each"
# QEMU logs no BAR2 access (RAM): the reason for the checks above.
[ "$nq2" = 0 ] || echo "note: QEMU's log has $nq2 BAR2 entries (expected none: RAM)"

# Phase 3: unload under load.
n=$(grep -c 'delay' "$res/rounds.txt")
[ "$n" -eq 2 ] || { cat "$res/rounds.txt"; fail "$n unload rounds done, want 2"; }
grep -q 'delay .*:  accesses\|delay .*: 0 accesses' "$res/rounds.txt" && { cat "$res/rounds.txt"; fail "a round emulated nothing before the unload"; }
mid=$(grep -c 'still running after rmmod: yes' "$res/rounds.txt")
[ "$mid" -eq 2 ] || { cat "$res/rounds.txt"; fail "a round ended before the rmmod returned (it must hammer across it)"; }
nr=$(grep -c 'mtk_ivtest: round .*: set [23] .*errors 0$' "$dm")
[ "$nr" -eq 2 ] || fail "$nr hammer rounds ended without errors, want 2"

# Phase 4: a 1G BAR2, mapped with a 1G page: refused with a message.
res1=$res-1g
rm -rf "$res1" && mkdir -p "$res1" || exit 99
bash "$here/run-vm.sh" --dev ivshmem=1G --results "$res1" --timeout 200 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$mt" --env MTK_IV_MODE=1g \
	"$top/kmod/tests/guest-ivshmem.sh" >"$res1/run.log" 2>&1 ||
	{ tail -n 30 "$res1/run.log"; fail "the 1G VM run failed"; }
dm1=$res1/ivtest-dmesg.txt
grep -q 'mtk_ivtest: BAR0 .* size 0x40000000 at [0-9a-f]* (1G pages)' "$dm1" ||
	fail "ioremap did not map the 1G BAR2 with a 1G page: $(grep -m1 'mtk_ivtest: BAR0' "$dm1")"
# Both recordings find the existing mapping (the walk); the second also sees
# the driver map BAR2 anew (the ioremap hook).
na=$(grep -c 'mmiotap: 0x[0-9a-f]* (phys 0x[0-9a-f]*) is mapped with a 1G page: not traced (refused)' "$dm1")
nn=$(grep -c 'mmiotap: 0x[0-9a-f]* is mapped with a 1G page: not traced (refused)' "$dm1")
[ "$na" -eq 2 ] && [ "$nn" -eq 1 ] ||
	{ cat "$dm1"; fail "1G refusals in the kernel log: $na of the existing mapping (want 2), $nn of a new one (want 1)"; }
for t in 1g-attach 1g-load; do
	"$mt" dump "$res1/$t.trace" >"$res1/$t.txt" || fail "mmiotap dump $t"
	! grep -q '^MAP .* 0x40000000 ' "$res1/$t.txt" || fail "$t: the 1G mapping was traced"
done

for s in "${summary[@]}"; do echo "$s"; done
echo "unload: $(tr '\n' ';' <"$res/rounds.txt")"
echo "PASS: ivshmem BAR0 = QEMU's log and BAR2 (2M pages, new and attached) = the driver's accesses, 2 CPUs + hardirq, injection; 2 unloads under load (2M mapping attached, and new); 1G mappings refused (existing and new) with a message"
