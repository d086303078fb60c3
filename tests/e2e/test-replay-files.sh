#!/bin/bash
# The files describing a device (FILE records, docs/FORMAT.md 1.8): what a
# traced program reads under /sys/bus/pci is recorded (content, listings,
# symlink targets, once) and served by `mmiotap replay` from the recording
# instead of the real sysfs: a recorded file changed in the trace reads
# changed at replay; files never recorded do not exist (nothing leaks from
# the real tree); realpath/readlink give the recorded paths; a FILE record
# whose symlink would leave the tree is refused; mknod under the prefixes
# goes to the tree, never to the real /dev. The recorder reads a file
# only when the program opens it for reading, and never a device file
# (a --trace-file glob): stat() records the entry only.
. tests/e2e/lib.sh
[ -d /sys/bus/pci/devices ] || skip "no /sys/bus/pci/devices"
command -v python3 >/dev/null || skip "no python3"
B=$(ls /sys/bus/pci/devices | head -n 1)
O=$(ls /sys/bus/pci/devices | sed -n 2p)
[ -n "$B" ] && [ -n "$O" ] && [ -r "/sys/bus/pci/devices/$B/vendor" ] ||
	skip "not two PCI devices with a vendor file"
otgt=$(readlink "/sys/bus/pci/devices/$O")
gcc -O2 $CFLAGS_E2E -o "$W/drv" tests/e2e/e2e_replaydev.c || fail build
DEV=$W/fakedev
printf '\x78\x56\x34\x12\0\0\0\0\x01\0\0\0\0\0\0\0\x0d\xf0\xfe\xca' >"$DEV"
truncate -s 4096 "$DEV"
P=/sys/bus/pci/devices/$B
vendor=$(cat $P/vendor)
"$M" record -q -o "$W/rec.trace" -t "$DEV" -t "*/$B/subsystem_vendor" -- /bin/sh -c \
	"cat $P/vendor $P/vendor >/dev/null; ls /sys/bus/pci/devices >/dev/null; \
	 [ -e $P/class ]; cat $P/subsystem_vendor >/dev/null 2>&1; \
	 readlink $P/driver >/dev/null; $W/drv $DEV 0 0x55 3; \
	 python3 -c 'import os; d = os.open(\"/sys/bus/pci/devices/$O\", os.O_RDONLY | os.O_DIRECTORY); \
	 os.read(os.open(\"device\", os.O_RDONLY, dir_fd=d), 64)'" >/dev/null || fail "record: exit $?"
"$M" dump "$W/rec.trace" >"$W/rec.txt" || fail dump
grep -q "^FILE [0-9]* reg 0100444 0 7 \"/sys/devices/[^\"]*/$B/vendor\" \"$vendor\\\\n\"$" "$W/rec.txt" ||
	{ grep FILE "$W/rec.txt"; fail "no FILE record of the vendor file"; }
[ "$(grep -c "reg .*/$B/vendor\"" "$W/rec.txt")" = 1 ] || fail "the vendor file recorded more than once"
grep -q "^FILE [0-9]* link 0120777 0 [0-9]* \"$P\" \"../../../devices/" "$W/rec.txt" || fail "no link record of $P"
grep -q "^FILE [0-9]* dir 040755 0 [0-9]* \"/sys/bus/pci/devices\" \".*l$B\\\\n" "$W/rec.txt" ||
	fail "no listing of /sys/bus/pci/devices"
"$M" dump -f jsonl "$W/rec.trace" | grep -q "\"kind\":\"FILE\",\"pid\":[0-9]*,\"type\":\"reg\",\"mode\":\"0100444\",\"offset\":0,\"total\":7,\"path\":\"/sys/devices/[^\"]*/$B/vendor\",\"data\":\"$vendor\\\\u000a\"" ||
	fail "jsonl FILE record"
grep -q "^FILE [0-9]* reg 0100444 0 7 \"/sys/devices/[^\"]*/$O/device\" " "$W/rec.txt" ||
	fail "a file opened relative to a directory descriptor under /sys/bus/pci was not recorded"
echo "ok: recorded: vendor file once, link, listing (text and jsonl), openat(dirfd, name)"
for f in class subsystem_vendor; do
	grep -q "^FILE [0-9]* reg/entry 0100[0-7]* 0 0 \"/sys/devices/[^\"]*/$B/$f\" \"\"$" "$W/rec.txt" ||
		{ grep "/$B/$f\"" "$W/rec.txt"; fail "$f: not recorded as an entry without content"; }
	! grep -q "^FILE [0-9]* reg 0[0-7]* 0 [1-9][0-9]* \"/sys/devices/[^\"]*/$B/$f\"" "$W/rec.txt" ||
		fail "$f: read by the recorder (stat only, or a --trace-file file)"
done
echo "ok: stat() records the entry only; a --trace-file file is never read"

# The trace changed: vendor 0x4242 and the link of another device made to
# leave the tree (../../../../../..).
python3 - "$W/rec.trace" "$W/mod.trace" "$vendor" "$otgt" "/sys/bus/pci/devices/$O" <<'PY' ||
import sys
b = open(sys.argv[1], 'rb').read()
v = sys.argv[3].encode() + b'\n'
assert b.count(v) >= 1
b = b.replace(v, b'0x4242\n')
link = sys.argv[4].encode()
rec = sys.argv[5].encode() + link  # a FILE record: its path, then its data
assert b.count(rec) == 1
b = b.replace(rec, sys.argv[5].encode() + (b'../' * 40)[:len(link) - 3] + b'etc')
open(sys.argv[2], 'wb').write(b)
PY
	fail "patching the trace"
rm -f "$DEV"
cat >"$W/look.sh" <<LOOK
cat $P/vendor
cat $P/device 2>/dev/null || echo "no device file"
ls /sys/bus/pci/devices | head -n 1
realpath -e $P/vendor 2>/dev/null || echo "no realpath"
readlink /sys/bus/pci/devices/$O || echo "no link"
cat /sys/class/uio/uio0/name 2>/dev/null || echo "no uio"
$W/drv $DEV 0 0x55 3 >/dev/null && echo "driver ok"
mknod /dev/uio77 c 1 3 2>/dev/null && echo "made" || echo "not made"
mknod /sys/bus/pci/devices/uio77 c 1 3 2>/dev/null && [ -c /sys/bus/pci/devices/uio77 ] && echo "made"
[ -f $P/class ] && echo "class: \$(cat $P/class)"
echo "dotdot: \$(cat /sys/devices/../bus/pci/devices/$B/vendor)"
echo "dot: \$(cat /sys/./bus//pci/devices/$B/vendor)"
echo "cwd: \$(cd /sys/bus && cat pci/devices/$B/vendor)"
echo "link: \$(cat /sys/class/pci_bus/${B%:*}/device/$B/vendor)"
echo "linkdev: \$(cat /sys/class/pci_bus/${B%:*}/device/$B/device 2>/dev/null)"
python3 -c 'import os; d = os.open("/sys", os.O_RDONLY); print("dirfd:", os.read(os.open("bus/pci/devices/$B/vendor", os.O_RDONLY, dir_fd=d), 64).decode().strip())'
LOOK
"$M" replay -o "$W/rep.trace" "$W/mod.trace" -- /bin/sh "$W/look.sh" >"$W/rep.out" 2>"$W/rep.err" ||
	{ cat "$W/rep.err"; fail "replay: exit $?"; }
sed -n 1p "$W/rep.out" | grep -qx 0x4242 || { cat "$W/rep.out"; fail "vendor not served from the recording"; }
sed -n 2p "$W/rep.out" | grep -qx "no device file" || fail "an unrecorded file leaked from the real sysfs"
sed -n 3p "$W/rep.out" | grep -qx "$B" || fail "listing"
sed -n 6p "$W/rep.out" | grep -qx "no uio" || fail "/sys/class/uio leaked"
sed -n 7p "$W/rep.out" | grep -qx "driver ok" || fail "the device replay"
[ ! -e /dev/uio77 ] || { rm -f /dev/uio77; fail "mknod at replay made a real /dev/uio77"; }
sed -n 8p "$W/rep.out" | grep -qx "not made" || fail "mknod /dev/uio77: the tree has no /dev here"
[ "$(id -u)" != 0 ] || sed -n 9p "$W/rep.out" | grep -qx made || fail "mknod under /sys/bus/pci in the tree"
for k in dotdot dot cwd dirfd; do
	grep -qx "$k: 0x4242" "$W/rep.out" || { cat "$W/rep.out"; fail "$k: the real sysfs reached at replay"; }
done
# /sys/class/pci_bus/X is a link to /sys/devices/pci0000:00/...: at replay
# what is behind it comes from the tree (no pci_bus there), never real
grep -qx "link: " "$W/rep.out" && grep -qx "linkdev: " "$W/rep.out" || { cat "$W/rep.out"; fail "an unrecorded file reached through a symlink of the real sysfs"; }
grep -qx "class: " "$W/rep.out" || { cat "$W/rep.out"; fail "a stat()ed file: not an empty file at replay"; }
grep -q 'served (1 FILE records refused)' "$W/rep.err" || { cat "$W/rep.err"; fail "the escaping link was not refused"; }
sed -n 4p "$W/rep.out" | grep -qx "/sys/devices/[^ ]*/$B/vendor" || { cat "$W/rep.out"; fail "realpath: not the recorded path"; }
sed -n 5p "$W/rep.out" | grep -qx "no link" || { cat "$W/rep.out"; fail "a refused link is there"; }
echo "ok: replay serves the recorded files only; an escaping link refused"
"$M" replay -o "$W/rep2.trace" "$W/rec.trace" -- /bin/sh "$W/look.sh" >"$W/rep2.out" 2>"$W/rep2.err" ||
	{ cat "$W/rep2.err"; fail "replay 2: exit $?"; }
sed -n 5p "$W/rep2.out" | grep -qxF "$otgt" || { cat "$W/rep2.out"; fail "readlink: not the recorded target"; }
echo "ok: readlink gives the recorded target"
# A listing cut at 64 KiB warns at replay; a trace whose FILE records
# would make more than 256 MiB (a 1 TiB sparse file here) is refused in
# one line.
python3 - "$W/rec.trace" "$W/cut.trace" "$W/big.trace" <<'PY' || fail "making the FILE traces"
import struct, sys
b = open(sys.argv[1], 'rb').read()
hs = struct.unpack_from('<I', b, 16)[0]
def rec(path, data, mode):
    body = path + data
    size = 48 + (len(body) + 7) // 8 * 8
    return struct.pack('<BBHHHIIQQQQ', 0x47, 2, size, len(path), len(data), 1, mode, 0, 0, 0,
                       len(data)) + body + bytes(size - 48 - len(body))
cut = rec(b'/sys/bus/pci/devices/zz', b'fa\n', 0o40755 | 1 << 25)
open(sys.argv[2], 'wb').write(b[:hs] + cut + b[hs:])
big = struct.pack('<BBHHHIIQQQQ', 0x47, 1, 48 + 24, 23, 0, 1, 0o100444, 0, 0, 0, 1 << 40) + \
    b'/sys/bus/pci/devices/zz' + bytes(1)
open(sys.argv[3], 'wb').write(b[:hs] + big + b[hs:])
PY
"$M" replay -o "$W/cut-rep.trace" "$W/cut.trace" -- /bin/sh -c \
	'for f in /sys/bus/pci/devices/zz/*; do echo "${f##*/}"; done' >"$W/cut.out" 2>"$W/cut.err" ||
	{ cat "$W/cut.err"; fail "replay of a cut listing: exit $?"; }
grep -q "warning: 1 recorded files or listings were cut at 64 KiB" "$W/cut.err" ||
	{ cat "$W/cut.err"; fail "no warning for a cut listing"; }
grep -qx a "$W/cut.out" || fail "the cut listing's entries"
"$M" replay -o "$W/big-rep.trace" "$W/big.trace" -- /bin/true 2>"$W/big.err" &&
	fail "a trace making a 1 TiB file replayed"
[ "$(wc -l <"$W/big.err")" = 1 ] && grep -q "more than 50000 files or 256 MiB" "$W/big.err" ||
	{ cat "$W/big.err"; fail "the refusal is not one clear line"; }
echo "ok: a cut listing warns; a trace making too big a tree refused"

# open() of a path under the prefixes from a signal handler on a 12 KiB
# alternate stack: nothing written below it, recording or replaying (the
# path translation's buffers are mapped, not on the stack: 9.6 KiB below
# an 8 KiB one before).
gcc -O2 $CFLAGS_E2E -o "$W/alt" tests/e2e/e2e_altstack_open.c || fail "build alt"
"$M" record -q -o "$W/alt.trace" -- "$W/alt" 12288 >"$W/alt.out" || fail "record alt"
grep -qx 0 "$W/alt.out" || fail "record: open() wrote $(cat "$W/alt.out") bytes below a 12 KiB altstack"
"$M" replay -o "$W/alt2.trace" "$W/rec.trace" -- "$W/alt" 12288 >"$W/alt.out" 2>/dev/null ||
	fail "replay alt"
grep -qx 0 "$W/alt.out" || fail "replay: open() wrote $(cat "$W/alt.out") bytes below a 12 KiB altstack"
echo "ok: open() under the prefixes from a handler on a 12 KiB altstack"
pass "FILE records: recorded, dumped, served"
