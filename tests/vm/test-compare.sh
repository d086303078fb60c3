#!/usr/bin/env bash
# Host-only test of qemu-compare on canned QEMU logs and traces (no QEMU).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cmp=${QEMU_COMPARE:-$top/${BUILD:-build}/qemu-compare}
[ -x "$cmp" ] || { echo "FAIL: $cmp not built"; exit 99; }
d=$here/testdata
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fails=0 n=0

# check NAME WANT_EXIT WANT_REGEX ARGS...: run qemu-compare, check exit and output
check() {
	local name=$1 want=$2 re=$3 out rc
	shift 3
	n=$((n + 1))
	out=$("$cmp" "$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && grep -Eq -- "$re" <<<"$out"; then
		echo "ok   $name"
	else
		echo "FAIL $name: exit $rc (want $want), output (want /$re/):"
		sed 's/^/     | /' <<<"$out"
		fails=$((fails + 1))
	fi
}
edu=(--region edu-mmio --phys 0xfea00000-0xfeafffff)

check edu-match 0 'OK: 9 accesses match \(7 exact, 2 rejected by the device, 0 split, 0 widened; 9 QEMU' \
	"${edu[@]}" "$d/edu.log" "$d/edu-trace.txt"
check edu-phys-len 0 'OK: 9 accesses' --region edu-mmio --phys 0xfea00000+0x100000 "$d/edu.log" "$d/edu-trace.txt"
check edu-stdin 0 'OK: 9 accesses' "${edu[@]}" "$d/edu.log" - <"$d/edu-trace.txt"
# without --region the rejected accesses cannot be attributed: they are
# missing from the log side, so the 1- and 2-byte trace records stand out
check edu-phys-only 1 'MISMATCH: the trace has an access QEMU did not see' \
	--phys 0xfea00000-0xfeafffff "$d/edu.log" "$d/edu-trace.txt"
check edu-no-base 2 'needs --base or --phys' --region edu-mmio "$d/edu.log" "$d/edu-trace.txt"
check no-selection 2 'select a region' "$d/edu.log" "$d/edu-trace.txt"
check missing-log 2 'cannot open QEMU log' "${edu[@]}" "$tmp/nope" "$d/edu-trace.txt"

# single alterations of the trace
mut() { # NAME WANT_REGEX SED: apply SED to the trace and expect a mismatch
	sed "$3" "$d/edu-trace.txt" >"$tmp/$1.txt"
	check "edu-$1" 1 "$2" "${edu[@]}" "$d/edu.log" "$tmp/$1.txt"
}
mut value 'MISMATCH: different value \(trace record 3 of 9' 's/0xedcba987/0xedcba986/'
mut kind 'MISMATCH: different kind \(trace record 2 ' '/0x12345678/s/^W/R/'
mut width 'MISMATCH: different width \(trace record 4 ' 's/^R 8/R 4/'
mut addr 'MISMATCH: different address \(trace record 6 ' '/0x5 0x4/s/0xfea00008/0xfea0000c/'
mut drop 'MISMATCH: QEMU saw an access the trace lacks \(trace record 2 of 8' '/0x12345678/d'
mut dup 'MISMATCH: the trace has an access QEMU did not see' '/0x12345678/p'
mut rejected-width 'MISMATCH: different width' 's/^R 1 /R 2 /'
mut rejected-kind 'MISMATCH' '/0xbeef/s/^W/R/'
mut masked 'MISMATCH: different value' '/0xfea00020/s/0x0 0x4/0x1 0x4/'
mut unknown 'UNKNOWN record' '/0x10000ed/s/.*/UNKNOWN 1.000100 1 0xfea00000 8b,07 0x401150 4242/'
sed '/^[RW] /d' "$d/edu-trace.txt" >"$tmp/empty.txt"
check edu-empty-trace 1 'QEMU saw more accesses than the trace has' "${edu[@]}" "$d/edu.log" "$tmp/empty.txt"
check nothing 1 'FAIL: no accesses at all' --region no-such "$d/edu.log" "$tmp/empty.txt"
check nothing-allowed 0 'OK: 0 accesses' --allow-empty --region no-such "$d/edu.log" "$tmp/empty.txt"

# per CPU: same accesses per CPU, different global interleaving
e1k=(--region e1000-mmio --phys 0xfebc0000-0xfebdffff)
check percpu 0 'OK: 5 accesses match \(4 exact, 0 rejected by the device, 1 split, 0 widened; 6 QEMU.* per CPU' \
	"${e1k[@]}" --per-cpu "$d/percpu.log" "$d/percpu-trace.txt"
check percpu-global 1 'MISMATCH' "${e1k[@]}" "$d/percpu.log" "$d/percpu-trace.txt"
sed 's/^CTX 0 0 0/CTX 0 0 1/' "$d/percpu-trace.txt" >"$tmp/wrongcpu.txt"
check percpu-wrong-cpu 1 'MISMATCH on cpu' "${e1k[@]}" --per-cpu "$d/percpu.log" "$tmp/wrongcpu.txt"
grep -v '^CTX' "$d/percpu-trace.txt" >"$tmp/nocpu.txt"
check percpu-no-ctx 2 'lack a CPU' "${e1k[@]}" --per-cpu "$d/percpu.log" "$tmp/nocpu.txt"
sed 's/0x2222222211111111/0x2222222211111112/' "$d/percpu-trace.txt" >"$tmp/split.txt"
check split-value 1 'MISMATCH on cpu 0: different value' "${e1k[@]}" --per-cpu "$d/percpu.log" "$tmp/split.txt"

# widened, wide (16-byte) split, injected read (orig=), dropped write
check widened 0 'OK: 1 accesses match \(0 exact, 0 rejected by the device, 0 split, 1 widened' \
	--region ivshmem-mmio "$d/misc.log" "$d/ivshmem-trace.txt"
sed 's/0x3 0x401150/0x4 0x401150/' "$d/ivshmem-trace.txt" >"$tmp/widened.txt"
check widened-value 1 'MISMATCH' --region ivshmem-mmio "$d/misc.log" "$tmp/widened.txt"
check wide-inject 0 'OK: 3 accesses match \(2 exact, 0 rejected by the device, 1 split, 0 widened; 4 QEMU' \
	--region wide-mmio --per-cpu "$d/misc.log" "$d/wide-trace.txt"
sed 's/0x00112233445566778899aabbccddeeff/0x01112233445566778899aabbccddeeff/' "$d/wide-trace.txt" >"$tmp/wide.txt"
check wide-value 1 'different value' --region wide-mmio "$d/misc.log" "$tmp/wide.txt"
grep -v 'orig=' "$d/wide-trace.txt" >"$tmp/noorig.txt"
check inject-no-orig 1 'different value' --region wide-mmio "$d/misc.log" "$tmp/noorig.txt"
grep -v 'dropped' "$d/wide-trace.txt" >"$tmp/nodrop.txt"
check dropped-kept 1 'did not see' --region wide-mmio "$d/misc.log" "$tmp/nodrop.txt"
printf 'LOST 2.5 3\n' >>"$tmp/lost.txt"; cat "$d/wide-trace.txt" "$tmp/lost.txt" >"$tmp/lost2.txt"
check lost 1 'LOST' --region wide-mmio "$d/misc.log" "$tmp/lost2.txt"

# binary traces go through `mmiotap dump` ($MMIOTAP): a stand-in that prints the text
printf 'MTAP\0\1\0\0binary' >"$tmp/trace.bin"
printf '#!/bin/sh\n[ "$1" = dump ] && [ -f "$2" ] && exec cat %q\nexit 3\n' "$d/edu-trace.txt" >"$tmp/fake-mmiotap"
chmod +x "$tmp/fake-mmiotap"
MMIOTAP=$tmp/fake-mmiotap check binary-via-dump 0 'OK: 9 accesses' "${edu[@]}" "$d/edu.log" "$tmp/trace.bin"
printf '#!/bin/sh\necho "mmiotap: bad file" >&2; exit 1\n' >"$tmp/bad-mmiotap"; chmod +x "$tmp/bad-mmiotap"
MMIOTAP=$tmp/bad-mmiotap check binary-dump-fails 2 'mmiotap dump .* failed' "${edu[@]}" "$d/edu.log" "$tmp/trace.bin"

echo "$((n - fails)) of $n qemu-compare checks passed"
[ $fails = 0 ]
