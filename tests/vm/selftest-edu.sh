#!/usr/bin/env bash
# VM self-test of the harness: the guest drives edu with busybox devmem and
# writes the accesses it made; qemu-compare must find exactly those in QEMU's
# log, and must FAIL on copies of the expected trace with one access altered
# (value, kind, width, address; one dropped; one added; reordered).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cmp=${QEMU_COMPARE:-$top/${BUILD:-build}/qemu-compare}
[ -x "$cmp" ] || { echo "FAIL: $cmp not built (make ${BUILD:+BUILD=$BUILD })"; exit 99; }
res=$top/${BUILD:-build}/vm/selftest-edu
rm -rf "$res" && mkdir -p "$res" || exit 99

bash "$here/run-vm.sh" --dev edu --dev e1000 --dev ivshmem --results "$res" --timeout 120 \
	"$here/guest/edu-devmem.sh" adjust
rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || { echo "FAIL: the VM run failed (exit $rc)"; exit 1; }
echo "round trip: $(cat "$res/roundtrip-ms") ms"

bar=$(cat "$res/edu-bar") || exit 1
exp=$res/expected.txt
n=$(grep -c '^[RW] ' "$exp")
[ "$n" -ge 16 ] || { echo "FAIL: only $n expected accesses"; exit 1; }

out=$("$cmp" --region edu-mmio --phys "$bar" "$res/qemu.log" "$exp")
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: qemu-compare disagrees with what devmem did"; exit 1; }
# exactly: every access, 2 of them rejected by edu (1- and 2-byte)
echo "$out" | grep -q "OK: $n accesses match ($((n - 2)) exact, 2 rejected by the device, 0 split, 0 widened; $n QEMU log entries)" ||
	{ echo "FAIL: unexpected counts (want $n accesses, 2 rejected)"; exit 1; }

# the same per CPU: QEMU's cpu index is the guest's CPU number
out=$("$cmp" --per-cpu --region edu-mmio --phys "$bar" "$res/qemu.log" "$exp")
rc=$?
echo "$out"
[ $rc = 0 ] || { echo "FAIL: qemu-compare --per-cpu disagrees"; exit 1; }
grep -q '^CTX 0 0 1' "$exp" || { echo "FAIL: nothing ran on CPU 1"; exit 1; }
sed '0,/^CTX 0 0 1/s//CTX 0 0 0/' "$exp" >"$res/mut-cpu.txt"
"$cmp" --per-cpu --region edu-mmio --phys "$bar" "$res/qemu.log" "$res/mut-cpu.txt" >"$res/mut-cpu.out"
[ $? = 1 ] || { echo "FAIL: a CPU-1 access moved to CPU 0 was not rejected"; cat "$res/mut-cpu.out"; exit 1; }
echo "ok: a CPU-1 access moved to CPU 0 rejected: $(grep -m1 MISMATCH "$res/mut-cpu.out")"

# QEMU's size adjustment: split 8-byte e1000 accesses, widened narrow ones
for dev in e1000:e1000-mmio:2:2 ivshmem:ivshmem-mmio:0:2; do
	IFS=: read -r name region split widened <<<"$dev"
	out=$("$cmp" --region "$region" --phys "$(cat "$res/$name-bar")" "$res/qemu.log" "$res/expected-$name.txt")
	rc=$?
	echo "$out"
	[ $rc = 0 ] || { echo "FAIL: qemu-compare disagrees on $name"; exit 1; }
	echo "$out" | grep -q " $split split, $widened widened;" ||
		{ echo "FAIL: want $split split and $widened widened accesses on $name"; exit 1; }
done

# Each alteration must be caught, with the right diagnosis.
fails=0
mutate() { # NAME WANT AWK-PROGRAM: alter the expected trace, compare, want exit 1 + WANT
	local name=$1 want=$2 prog=$3 f=$res/mut-$1.txt r
	if ! awk "$prog" "$exp" >"$f" || cmp -s "$f" "$exp"; then
		echo "FAIL: mutation $name did not apply"; fails=$((fails + 1)); return
	fi
	"$cmp" --region edu-mmio --phys "$bar" "$res/qemu.log" "$f" >"$f.out" 2>&1
	r=$?
	if [ $r = 1 ] && grep -m1 MISMATCH "$f.out" | grep -q "$want"; then
		echo "ok: altered expectation '$name' rejected: $(grep -m1 MISMATCH "$f.out")"
	else
		echo "FAIL: altered expectation '$name' gave exit $r, want 1 and '$want':"; cat "$f.out"
		fails=$((fails + 1))
	fi
}
# records: 1 R id, 2 W liveness, 3 R liveness (0xedcba987), 4 R 8-byte id, 5 W fact 5, ...
a5=$(awk '/^[RW] / && ++n == 5 { print $5 }' "$exp")
mutate value  'different value'   '/^[RW] / && ++n == 3 { $6 = "0xedcba986" } { print }'
mutate kind   'different kind'    '/^[RW] / && ++n == 2 { $1 = "R" } { print }'
mutate width  'different width'   '/^[RW] / && ++n == 1 { $2 = 8 } { print }'
mutate addr   'different address' "/^[RW] / && ++n == 5 { \$5 = \"$(printf '0x%x' $((a5 + 4)))\" } { print }"
mutate drop   'trace lacks'       '/^[RW] / && ++n == 4 { next } { print }'
mutate add    'did not see'       '{ print } /^[RW] / && ++n == 4 { print }'
mutate swap   'MISMATCH'          '/^[RW] / && ++n == 1 { held = $0; next } { print } n == 2 && held != "" { print held; held = "" }'
mutate reject 'different width'   '/^[RW] 1 / { $2 = 4 } { print }'
[ $fails = 0 ] || exit 1
echo "PASS: $n accesses matched QEMU's log; 8 of 8 altered expectations failed"
