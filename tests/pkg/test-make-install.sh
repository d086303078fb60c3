#!/usr/bin/env bash
# `make install` with PREFIX and DESTDIR puts every file where install.mk
# says; the installed mmiotap finds the installed library relative to itself
# (the README's demo runs from the DESTDIR copy, nothing of the build tree
# on its way: MMIOTAP_LIB unset, the build's library not next to it); the
# installed pkg-config file builds the probe example against the DESTDIR
# copy; `make uninstall` leaves nothing but the directories it did not make.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 99
B=${BUILD:-build}
d=$top/$B/install-test
rm -rf "$d" && mkdir -p "$d" || exit 99
prefix=/opt/mt
mk() { make -s --no-print-directory BUILD="$B" PREFIX=$prefix DESTDIR="$d" "$@"; }
mk install >"$d.log" 2>&1 || { tail -20 "$d.log"; echo "FAIL: make install"; exit 1; }
r=$d$prefix
for f in bin/mmiotap lib/libmmiotap.so.0.1.0 lib/libmmiotap.so.0 lib/libmmiotap.so lib/libmmiotap.a \
	include/mmiotap/mmiotap.h lib/pkgconfig/libmmiotap.pc lib/pkgconfig/mmiotap.pc \
	share/man/man1/mmiotap.1 share/man/man1/mmiotap-watch.1 share/man/man3/libmmiotap.3 \
	share/man/man7/mmiotap-ptrace.7 share/mmiotap/mmiotap.gdb \
	share/bash-completion/completions/mmiotap share/doc/mmiotap/examples/mmio_demo.c \
	share/man/man1/mmiotap-decode.1 share/mmiotap/regdb/e1000.xml share/mmiotap/regdb/regdb.index; do
	[ -e "$r/$f" ] || { echo "FAIL: make install did not install $prefix/$f"; exit 1; }
done
[ "$(readlink "$r/lib/libmmiotap.so.0")" = libmmiotap.so.0.1.0 ] || { echo "FAIL: libmmiotap.so.0 link"; exit 1; }
bash -n "$r/share/bash-completion/completions/mmiotap" || { echo "FAIL: the bash completion does not parse"; exit 1; }
cd "$d" || exit 99
unset MMIOTAP_LIB
"$r/bin/mmiotap" --version | grep -qx "mmiotap $(sed -n 's/^VERSION := //p' "$top/Makefile")" || { echo "FAIL: --version"; exit 1; }
cc -O2 -Wall -Wextra -Werror -o mmio_demo "$r/share/doc/mmiotap/examples/mmio_demo.c" || exit 99
preloaded=$(LD_DEBUG=libs "$r/bin/mmiotap" record -q --trace-file '/memfd:mmiotap-demo*' -o demo.trace -- ./mmio_demo 2>&1 |
	sed -n 's/.*calling init: \(.*libmmiotap[^ ]*\).*/\1/p' | head -n1)
[ "$preloaded" = "$r/lib/libmmiotap.so.0.1.0" ] ||
	{ echo "FAIL: the installed mmiotap preloaded '$preloaded', want $r/lib/libmmiotap.so.0.1.0"; exit 1; }
"$r/bin/mmiotap" dump demo.trace | grep -q '^R 4 .* 0x1234abcd ' || { echo "FAIL: the demo's trace lacks the ID read"; exit 1; }
# The .pc file names $prefix; point pkg-config at the DESTDIR copy.
flags=$(PKG_CONFIG_PATH=$r/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d pkg-config --cflags --libs libmmiotap) ||
	{ echo "FAIL: pkg-config libmmiotap"; exit 1; }
cc -Wall -Wextra -Werror -o probe_demo "$top/examples/probe_demo.c" $flags -Wl,-rpath,"$r/lib" &&
	./probe_demo >/dev/null || { echo "FAIL: probe_demo built with pkg-config ($flags)"; exit 1; }
cd "$top" && mk uninstall >>"$d.log" 2>&1 || { echo "FAIL: make uninstall"; exit 1; }
left=$(find "$d$prefix" -type f -o -type l)
[ -z "$left" ] || { echo "FAIL: left after make uninstall: $left"; exit 1; }
rm -rf "$d" "$d.log"
echo "PASS: make install PREFIX=$prefix DESTDIR=...: files in place, the installed CLI preloads the installed library, pkg-config builds the probe example, make uninstall removes every file"
