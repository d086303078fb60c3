#!/usr/bin/env bash
# Mappings torn down without iounmap, and map ids (issue 11). An ioremap_prot()
# mapping of device memory that the page-table walk armed, then vunmap()ed
# or vfree()d while traced, must never get its saved page-table entry
# written back: the vmalloc() page that takes its address afterwards (during
# the recording, or after it) must stay RAM with its bytes, and no WARNING
# may appear. Map ids never repeat one that is live: 20 mappings come and
# go across the 16-bit wrap while one stays. Before the fix the saved entry
# was written over the new page (it then read the device), and ids wrapped
# onto live ones. The unwatched phase (remove_vm_area not watched) relies on
# the armed entry's compare-and-exchange alone (kmod/src/mt_entry.c).
set -u
. "$(dirname "$0")/test-lib.sh"
vmt_kmod_build
res=$top/$B/vm/test-kmod-vmap
rm -rf "$res" && mkdir -p "$res" || exit 99
bash "$here/run-vm.sh" --dev ivshmem=4M --dev edu --results "$res" --timeout 300 \
	--env MTK_KODIR="$top/$B/kmod" --env MMIOTAP="$top/$B/mmiotap" "$top/kmod/tests/guest-vmap.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; grep -A12 'WARNING\|BUG' "$res/console.log" | head -30; exit 1; }
fail=0
checks=$(grep -c 'vmap: check: page maps RAM, 0 bytes changed' "$res/dmesg.txt")
reused=$(grep -c 'vmap: reuse: a vmalloc() page took the old address' "$res/dmesg.txt")
[ "$checks" -eq 4 ] && [ "$reused" -eq 4 ] ||
	{ echo "FAIL: after the teardowns:"; grep 'vmap:' "$res/dmesg.txt"; fail=1; }
for ph in vunmap vfree late unwatched; do
	"$top/$B/mmiotap" dump "$res/$ph.trace" >"$res/$ph.txt" || { echo "FAIL: dump $ph"; fail=1; continue; }
	grep -q '^R 4 ' "$res/$ph.txt" && grep -q '^UNMAP ' "$res/$ph.txt" ||
		{ echo "FAIL: $ph: no traced read (touch) or no UNMAP"; fail=1; }
done
# guess: the read made while the region waited for its teardown was
# emulated and recorded (R 4 ... before the UNMAP), and both reads worked
"$top/$B/mmiotap" dump "$res/guess.trace" >"$res/guess.txt" || { echo "FAIL: dump guess"; fail=1; }
awk '$1 == "R" && $2 == 4 { r = 1 } $1 == "UNMAP" && r { u = 1 } END { exit !u }' "$res/guess.txt" ||
	{ echo "FAIL: guess: no traced read before the torn region's UNMAP:"; head -20 "$res/guess.txt"; fail=1; }
[ "$(grep -c 'vmap: touch:' "$res/dmesg.txt")" -ge 6 ] ||
	{ echo "FAIL: guess: a read of the mapping did not complete"; grep 'vmap:' "$res/dmesg.txt"; fail=1; }
"$top/$B/mmiotap" dump "$res/mapids.trace" >"$res/mapids.txt" || { echo "FAIL: dump mapids"; exit 1; }
python3 - "$res/mapids.txt" <<'EOP' || fail=1
import sys
live, maps, wrapped, bad = set(), 0, False, []
for l in open(sys.argv[1]):
    f = l.split()
    if f and f[0] == "MAP":
        i = int(f[2]); maps += 1
        if i in live:
            bad.append(i)
        live.add(i)
        wrapped |= i < 100
    elif f and f[0] == "UNMAP":
        live.discard(int(f[2]))
print("mapids: %d MAP records, ids wrapped: %s, live ids reused: %s" % (maps, wrapped, bad or "none"))
sys.exit(0 if maps >= 21 and wrapped and not bad else 1)
EOP
[ $fail = 0 ] || exit 1
echo "PASS: a mapping wrongly guessed removed stayed usable and traced until its teardown; 4 mappings torn down without iounmap (vunmap, vfree; address reused during and after the recording; once with remove_vm_area unwatched): the reusing pages stayed RAM and intact, no WARNING; map ids wrapped without reusing a live one"
