#!/usr/bin/env bash
# census_malformed.sh - the census must survive hostile input: truncated ELF
# files, garbage after an ELF magic, and copies of libm with their ELF,
# program and section headers corrupted at pseudo-random (fixed-seed)
# places. It must not crash or fail, and must still print its table.
set -u
build=${BUILD:-build}
census=$build/mmiotap-census
src=/usr/lib/x86_64-linux-gnu/libm.so.6
if [ ! -x "$census" ]; then
	echo "FAIL: $census not built"
	exit 1
fi
if [ ! -r "$src" ]; then
	echo "SKIP: $src not found"
	exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

size=$(stat -c %s "$src")
head -c 0 "$src" >"$dir/empty"
head -c 63 "$src" >"$dir/short-ehdr"
head -c 100 "$src" >"$dir/t100"
head -c 70000 "$src" >"$dir/t70k"
head -c $((size - 1)) "$src" >"$dir/t-1"
{ printf '\177ELF\002\001\001'; head -c 4000 /dev/zero | tr '\0' '\377'; } >"$dir/ones"

# e_shoff is at 0x28, e_phoff at 0x20 (8 bytes each, little-endian).
u64() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
shoff=$(u64 "$src" 40)
seed=12345
rnd() { seed=$(((seed * 1103515245 + 12345) % 2147483648)); echo $((seed % $1)); }
poke() { # file offset byte
	printf "\\$(printf '%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
for k in $(seq 1 24); do
	f="$dir/m$k"
	cp "$src" "$f"
	for j in 1 2 3; do poke "$f" $((16 + $(rnd 48))) "$(rnd 256)"; done   # ELF header
	for j in 1 2 3 4; do poke "$f" $((64 + $(rnd 800))) "$(rnd 256)"; done # program headers
	for j in $(seq 1 12); do                                              # section headers
		poke "$f" $((shoff + $(rnd $((size - shoff))))) "$(rnd 256)"
	done
done

"$census" "$dir"/* >"$dir/out" 2>&1
rc=$?
grep '^Files:' "$dir/out"
# 3 = emulation anomalies in the core: that is census_libc.sh's business;
# here only a crash or an error exit counts.
if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
	echo "FAIL: census exited $rc on malformed input"
	tail -n 5 "$dir/out"
	exit 1
fi
if ! grep -q '^## By family' "$dir/out"; then
	echo "FAIL: no table"
	exit 1
fi
echo "ok: census survived $(ls "$dir" | grep -vc out) malformed files"
