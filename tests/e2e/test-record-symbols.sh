#!/bin/bash
# Symbols (issue 13): `mmiotap record` writes OBJECT records for the traced
# program's ELF objects, and `mmiotap dump --symbols` resolves each PC to
# function+offset and file:line (elfutils) - a static function of the
# program, a function of a linked shared library, one of a library
# dlopen()ed after the device mapping was made; preload and ptrace.
. tests/e2e/lib.sh
S=tests/e2e
cc $CFLAGS_E2E -g -O1 -shared -fPIC -DLINKED -o "$W/libe2esym.so" $S/e2e_sym_lib.c || fail "build lib"
cc $CFLAGS_E2E -g -O1 -shared -fPIC -o "$W/libe2esymdl.so" $S/e2e_sym_lib.c || fail "build dl lib"
cc $CFLAGS_E2E -g -O1 -o "$W/symt" $S/e2e_sym_main.c -L"$W" -le2esym -Wl,-rpath,"$W" -ldl ||
	fail "build program"
line() { grep -n "$1" "$2" | cut -d: -f1; }
L_STATIC=$(line SYM-STATIC $S/e2e_sym_main.c)
L_LIB=$(line SYM-LIB $S/e2e_sym_lib.c)
L_DL=$(line SYM-DL $S/e2e_sym_lib.c)

# want OFFSET FUNC FILE LINE OBJECT: the EXT line after the W at OFFSET
want() {
	local ext
	ext=$(awk -v off="$1" '$1=="W" && $5==off { getline; print; exit }' "$W/dump") ||
		fail "$mode: no write at $1"
	case "$ext" in
	"EXT sym=$2+0x"*" src="*"/$3:$4 obj=$5") ;;
	*) fail "$mode: write at $1: got '$ext', want $2+0x.. $3:$4 $5" ;;
	esac
}

for mode in preload ptrace; do
	opt=
	[ $mode = ptrace ] && opt=--ptrace
	"$M" record -q $opt -o "$W/$mode.trace" -t '/memfd:mmiotap-sym*' -- \
		"$W/symt" "$W/libe2esymdl.so" || fail "$mode: record: exit $?"
	"$M" dump --symbols "$W/$mode.trace" >"$W/dump" || fail "$mode: dump --symbols"
	want 0x10 poke_static e2e_sym_main.c "$L_STATIC" "$W/symt"
	want 0x20 e2e_sym_lib_write e2e_sym_lib.c "$L_LIB" "$W/libe2esym.so"
	want 0x30 e2e_sym_dl_write e2e_sym_lib.c "$L_DL" "$W/libe2esymdl.so"
	# the MAP's PC (mmap's caller, in main; ptrace records none) resolves too
	[ $mode = ptrace ] ||
		awk '$1=="MAP" { getline; getline; print; exit }' "$W/dump" | grep -q '^EXT sym=main+0x' ||
		fail "$mode: MAP pc not in main"
	# JSON lines get the same as fields
	"$M" dump --symbols -f jsonl "$W/$mode.trace" |
		grep '"offset":"0x10"' | grep -q "\"sym\":\"poke_static+0x[0-9a-f]*\",\"src\":\"[^\"]*e2e_sym_main.c\",\"line\":$L_STATIC," ||
		fail "$mode: jsonl symbol fields"
	# without --symbols: the text is what it was (no EXT sym lines)
	"$M" dump "$W/$mode.trace" | grep -q 'sym=' && fail "$mode: sym= without --symbols"
	# a binary copy keeps the symbol records
	"$M" dump -f binary -o "$W/copy.trace" "$W/$mode.trace" || fail "$mode: binary copy"
	"$M" dump --symbols "$W/copy.trace" | cmp -s - "$W/dump" || fail "$mode: copy lost symbols"
	echo "ok: $mode"
done
# an exec at the same addresses (no PIE): each image's own functions
cc $CFLAGS_E2E -g -O1 -no-pie -fno-pie -DSTAGE=1 -o "$W/symx1" $S/e2e_symexec.c || fail "build symx1"
cc $CFLAGS_E2E -g -O1 -no-pie -fno-pie -DSTAGE=2 -o "$W/symx2" $S/e2e_symexec.c || fail "build symx2"
[ "$(nm "$W/symx1" | awk '/ stage_one_poke$/ { print $1 }')" = \
  "$(nm "$W/symx2" | awk '/ stage_two_poke$/ { print $1 }')" ] || fail "symx: not at the same address"
for mode in preload ptrace; do
	opt=
	[ $mode = ptrace ] && opt=--ptrace
	"$M" record -q $opt -o "$W/x$mode.trace" -t '/memfd:mmiotap-symx*' -- "$W/symx1" "$W/symx2" ||
		fail "exec $mode: record: exit $?"
	"$M" dump --symbols "$W/x$mode.trace" >"$W/dump" || fail "exec $mode: dump --symbols"
	want 0x40 stage_one_poke e2e_symexec.c 25 "$W/symx1"
	want 0x44 stage_two_poke e2e_symexec.c 25 "$W/symx2"
	"$M" export --symbols -f csv "$W/x$mode.trace" | grep -c '^W,.*,"stage_\(one\|two\)_poke+0x0",$' |
		grep -qx 2 || fail "exec $mode: export --symbols names"
	# diff --async by function: the task ran stage_two_poke (after its exec)
	"$M" diff --async 'stage_two*' "$W/x$mode.trace" "$W/x$mode.trace" |
		grep -q '^async: A 2 accesses' || fail "exec $mode: diff --async stage_two*"
	# merged with another trace: the OBJECTs' seq renumbered with the records
	"$M" merge -o "$W/xmerged.trace" "$W/preload.trace" "$W/x$mode.trace" || fail "exec $mode: merge"
	"$M" dump --symbols "$W/xmerged.trace" >"$W/dump" || fail "exec $mode: dump merged"
	want 0x40 stage_one_poke e2e_symexec.c 25 "$W/symx1"
	want 0x44 stage_two_poke e2e_symexec.c 25 "$W/symx2"
	echo "ok: exec $mode"
done
# a library rebuilt since (another build id): named by object and offset
# only, never with the new file's symbols
cc $CFLAGS_E2E -g -O0 -shared -fPIC -DLINKED -o "$W/libe2esym.so" $S/e2e_sym_lib.c || fail "rebuild lib"
"$M" dump --symbols "$W/preload.trace" |
	awk '$1=="W" && $5=="0x20" { getline; print; exit }' >"$W/ext"
grep -q "^EXT sym=$W/libe2esym.so+0x[0-9a-f]* build-id=differs obj=$W/libe2esym.so\$" "$W/ext" ||
	fail "rebuilt library: got '$(cat "$W/ext")'"
# symbols need the file: not from a pipe
"$M" dump --symbols - <"$W/preload.trace" >/dev/null 2>"$W/err" && fail "--symbols from stdin accepted"
grep -q 'needs a trace FILE' "$W/err" || fail "--symbols stdin: no clear message"
pass "symbols"
