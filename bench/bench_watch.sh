#!/usr/bin/env bash
# bench_watch - cost of one watched store (issue 12): the same loop of N
# stores to a global, timed by the program itself (bench_watch_prog.c),
# untraced; under `mmiotap watch target` (each store faults, is emulated and
# recorded); storing to another variable of the same page under the same
# watch (a silent access: emulated, counted, not recorded); under gdb with a
# hardware watchpoint and with a software watchpoint (set
# can-use-hw-watchpoints 0), each with `commands / silent / continue` so
# that every hit is taken and the program runs on. One run, BENCH_ROUNDS (3)
# rounds in turn; prints the best ns per store of each mode and the ratios
# against a watched store, and the watched store against the bare
# fault-signal-return round trip (bench_record's floor); and a system call
# untraced and while a page is watched (every system call traps then:
# runtime/preload/sud.c). Asserts nothing about time.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
B=${BUILD:-build}
cd "$top"
make -s BUILD="$B" "$B/mmiotap" "$B/libmmiotap-preload.so" >/dev/null || exit 1
command -v gdb >/dev/null || { echo "bench_watch: gdb not installed"; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/mt-bench-watch.XXXXXX")
trap 'rm -rf "$W"' EXIT
cc -O2 -g -o "$W/prog" bench/bench_watch_prog.c || exit 1
N=${WATCH_N:-200000}       # stores, native and mmiotap
NG=${WATCH_GDB_N:-2000}    # stores under gdb (each hit is a stop)
NS=${WATCH_SYS_N:-20000}   # system calls, native and while a page is watched
M=$top/$B/mmiotap
ns() { sed -n 's/^NS //p' | tail -1; }
gdbrun() { # $1: 1 hardware, 0 software
	printf '%s\n' "set can-use-hw-watchpoints $1" 'break ready' run 'watch target' \
		commands silent continue end continue >"$W/cmds.gdb"
	gdb -nx -batch -x "$W/cmds.gdb" --args "$W/prog" target "$NG" 2>/dev/null | ns
}
make -s BUILD="$B" "$B/bench/bench_record" >/dev/null 2>&1
floor() { # the bare fault-signal-return round trip on this machine (bench_record)
	"$B/bench/bench_record" -n 10000 2>/dev/null | sed -n 's/^ *bare fault floor *\([0-9.]*\) ns/\1/p'
}
for r in $(seq 1 "${BENCH_ROUNDS:-3}"); do
	echo "RESULT floor $r $(floor) 1"
	echo "RESULT native $r $(( $("$W/prog" target "$N" | ns) )) $N"
	echo "RESULT watched $r $("$M" watch -q -o "$W/t.trace" target -- "$W/prog" target "$N" 2>/dev/null | ns) $N"
	echo "RESULT silent $r $("$M" watch -q -o "$W/s.trace" target -- "$W/prog" other "$N" 2>/dev/null | ns) $N"
	echo "RESULT sys-native $r $("$W/prog" syscall "$NS" | ns) $NS"
	echo "RESULT sys-watched $r $("$M" watch -q -o "$W/y.trace" target -- "$W/prog" syscall "$NS" 2>/dev/null | ns) $NS"
	echo "RESULT gdb-hw $r $(gdbrun 1) $NG"
	echo "RESULT gdb-sw $r $(gdbrun 0) $NG"
done | tee "$W/res"
n_rec=$("$M" dump "$W/t.trace" | grep -c '^W ')
echo "last watched run: $n_rec stores recorded (want $N)"
awk '/^RESULT/ && $4 > 0 { v = $4 / $5; if (!($2 in b) || v < b[$2]) b[$2] = v }
END {
	printf "best ns per store: native %.1f  watched %.1f  silent %.1f  gdb-hw %.1f  gdb-sw %.1f\n",
		b["native"], b["watched"], b["silent"], b["gdb-hw"], b["gdb-sw"]
	w = b["watched"] - b["native"]; s = b["silent"] - b["native"]
	printf "cost of a watched store %.1f ns, of a silent store %.1f ns\n", w, s
	printf "gdb software watchpoint / mmiotap watched store: %.0fx (issue 12: >= 100x)\n", b["gdb-sw"] / w
	printf "gdb hardware watchpoint (stopping) / mmiotap watched store: %.1fx\n", b["gdb-hw"] / w
	if (b["floor"] > 0)
		printf "watched store / bare fault floor (%.1f ns): %.2fx\n", b["floor"], w / b["floor"]
	if (b["sys-native"] > 0)
		printf "a system call while a page is watched: %.1f ns (%.1fx the untraced %.1f ns: it traps)\n",
			b["sys-watched"], b["sys-watched"] / b["sys-native"], b["sys-native"]
}' "$W/res"
