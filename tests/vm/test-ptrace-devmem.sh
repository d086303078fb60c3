#!/usr/bin/env bash
# VM test (issue 7): `mmiotap record --ptrace` on the STATIC busybox
# (package busybox-static, /bin/busybox) driving QEMU's edu device through
# /dev/mem. A shell runs many devmem processes, so the tracer follows fork
# and exec of a static binary LD_PRELOAD cannot see. The trace must equal
# QEMU's own log of the edu-mmio region (order, width, value; the 1- and
# 2-byte accesses edu rejects appear in QEMU's guest_errors), agree with the
# values devmem printed, and an altered copy must be rejected.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
b=$top/${BUILD:-build}
cmp=$b/qemu-compare mt=$b/mmiotap
for x in "$cmp" "$mt"; do
	[ -e "$x" ] || { echo "FAIL: $x not built (make ${BUILD:+BUILD=$BUILD })"; exit 99; }
done
bb=/bin/busybox
[ -x $bb ] && ! head -c 1024 $bb | grep -q 'ld-linux' ||
	{ echo "SKIP: no static busybox at $bb (apt-get install busybox-static)"; exit 77; }
res=$b/vm/test-ptrace-devmem
rm -rf "$res" && mkdir -p "$res" || exit 99

# The guest script (kept here: the whole test in one file).
cat >"$res/guest.sh" <<'EOG'
set -e
. "$VM_LIB"
mt=${MT_BIN:?MT_BIN not set}
bdf=$(vm_pci_find 1234 11e8)
set -- $(vm_bar "$bdf" 0)
bar=$1
echo "$1-$2" >"$VM_RESULTS/edu-bar"
echo "edu at $bdf, BAR0 $1-$2"
cat >/tmp/drive.sh <<EOS
set -e
bb=/bin/busybox
r() { printf '0x%x' \$(($bar + \$1)); }
\$bb devmem \$(r 0x00) 32
\$bb devmem \$(r 0x04) 32 0x12345678
\$bb devmem \$(r 0x04) 32
\$bb devmem \$(r 0x00) 64
i=0
while [ \$i -lt 8 ]; do
	\$bb devmem \$(r 0x04) 32 \$((0x11111111 * (i + 1)))
	\$bb devmem \$(r 0x04) 32
	i=\$((i + 1))
done
\$bb devmem \$(r 0x08) 32 5
n=0
while :; do
	v=\$(\$bb devmem \$(r 0x20) 32); echo \$v
	[ \$((v & 1)) -ne 0 ] || break
	n=\$((n + 1)); [ \$n -lt 200 ]
done
\$bb devmem \$(r 0x08) 32
\$bb devmem \$(r 0x00) 8
\$bb devmem \$(r 0x04) 16 0xbeef
\$bb devmem \$(r 0x04) 32
EOS
"$mt" record --ptrace -o "$VM_RESULTS/trace.mt" -- /bin/busybox sh /tmp/drive.sh >"$VM_RESULTS/devmem.txt"
cat "$VM_RESULTS/devmem.txt"
EOG

bash "$here/run-vm.sh" -q --dev edu --results "$res" --timeout 150 \
	--env "MT_BIN=$mt" "$res/guest.sh"
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc); see $res/console.log"; tail -n 20 "$res/console.log"; exit 1; }
echo "round trip: $(cat "$res/roundtrip-ms" 2>/dev/null) ms"

bar=$(cat "$res/edu-bar") || exit 1
"$mt" dump "$res/trace.mt" >"$res/trace.txt" || { echo "FAIL: mmiotap dump failed"; exit 1; }
n=$(grep -c '^[RW] ' "$res/trace.txt")
[ "$n" -ge 25 ] || { echo "FAIL: only $n accesses recorded (want >= 25)"; exit 1; }
grep -q '^EXT src=file .*path=/dev/mem' "$res/trace.txt" || { echo "FAIL: no MAP record naming /dev/mem"; exit 1; }
grep -q '^UNKNOWN\|^LOST' "$res/trace.txt" && { echo "FAIL: UNKNOWN or LOST records in the trace"; exit 1; }

hexnorm() { local v; while read -r v; do printf '0x%x\n' "$((v))"; done; }
awk '/^R / { print $6 }' "$res/trace.txt" | hexnorm >"$res/reads.txt"
hexnorm <"$res/devmem.txt" >"$res/printed.txt"
[ -s "$res/printed.txt" ] || { echo "FAIL: devmem printed nothing"; exit 1; }
if ! diff "$res/printed.txt" "$res/reads.txt" >"$res/reads.diff"; then
	echo "FAIL: values printed by devmem differ from the trace's reads:"; head "$res/reads.diff"; exit 1
fi
head -n1 "$res/devmem.txt" | grep -qi '^0x0*10000ed$' || { echo "FAIL: edu id read as $(head -n1 "$res/devmem.txt")"; exit 1; }

out=$("$cmp" --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/trace.txt")
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: the mmiotap trace differs from QEMU's log"; exit 1; }
echo "$out" | grep -q "OK: $n accesses match ($((n - 2)) exact, 2 rejected by the device" ||
	{ echo "FAIL: unexpected counts (want $n accesses, 2 rejected by edu)"; exit 1; }

awk '/^W 4 / && ++k == 3 { $6 = "0xbad0bad0" } { print }' "$res/trace.txt" >"$res/mut.txt"
[ "$(diff "$res/trace.txt" "$res/mut.txt" | grep -c '^>')" = 1 ] || { echo "FAIL: the mutation did not apply"; exit 1; }
"$cmp" --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/mut.txt" >"$res/mut.out" 2>&1
[ $? = 1 ] && grep -q MISMATCH "$res/mut.out" || { echo "FAIL: an altered trace was not rejected"; cat "$res/mut.out"; exit 1; }
echo "PASS: static busybox devmem under mmiotap record --ptrace: $n accesses equal QEMU's log; altered copy rejected"
