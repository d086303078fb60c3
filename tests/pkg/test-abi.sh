#!/usr/bin/env bash
# libmmiotap's ABI is the list in runtime/libmmiotap.map: the shared library
# exports exactly it, unversioned (interposition needs that) with soname
# libmmiotap.so.0; libmmiotap.a has exactly it as global definitions;
# debian/libmmiotap0.symbols lists the same. The versions agree: the
# Makefile's VERSION, `mmiotap --version`, debian/changelog, dkms.conf.
# Host only, fast (also run by debian/rules at package build).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 99
b=${BUILD:-build}
so=$b/libmmiotap-preload.so a=$b/libmmiotap.a mt=$b/mmiotap
for f in "$so" "$a" "$mt"; do [ -e "$f" ] || { echo "FAIL: $f not built"; exit 1; }; done
fail=0
want=$(awk '/^global:/ { g = 1; next } /^local:/ { g = 0 } g && $1 !~ /^[\/*]/ { gsub(/;/, " "); print }' \
	runtime/libmmiotap.map | tr -s ' \t' '\n\n' | grep . | sort)
[ "$(echo "$want" | wc -l)" -ge 4 ] || { echo "FAIL: cannot read runtime/libmmiotap.map"; exit 1; }
dyn=$(nm -D --defined-only "$so" | awk '{ print $3 }' | sort)
[ "$dyn" = "$want" ] || { echo "FAIL: $so exports differ from runtime/libmmiotap.map:"; diff <(echo "$want") <(echo "$dyn"); fail=1; }
# Unversioned: a versioned mmap@@V would not interpose the program's mmap@GLIBC.
if readelf -W --dyn-syms "$so" | awk '$7 != "UND" && $8 ~ /@/' | grep -q .; then
	echo "FAIL: $so has versioned definitions (interposition of libc needs unversioned ones)"; fail=1
fi
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libmmiotap.so.0 ] || { echo "FAIL: soname '$soname', want libmmiotap.so.0"; fail=1; }
glob=$(nm --defined-only "$a" | awk 'NF == 3 && $2 ~ /^[A-Z]$/ { print $3 }' | sort)
[ "$glob" = "$want" ] || { echo "FAIL: $a global definitions differ from runtime/libmmiotap.map:"; diff <(echo "$want") <(echo "$glob"); fail=1; }
sym=$(sed -n 's/^ \([A-Za-z0-9_]*\)@Base .*/\1/p' debian/libmmiotap0.symbols | sort)
[ "$sym" = "$want" ] || { echo "FAIL: debian/libmmiotap0.symbols differs from runtime/libmmiotap.map:"; diff <(echo "$want") <(echo "$sym"); fail=1; }
v_make=$(sed -n 's/^VERSION := //p' Makefile)
v_cli=$("$mt" --version | awk '{ print $2 }')
v_deb=$(sed -n '1s/^mmiotap (\([^)-]*\).*/\1/p' debian/changelog)
v_dkms=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
[ -n "$v_make" ] && [ "$v_make" = "$v_cli" ] && [ "$v_make" = "$v_deb" ] && [ "$v_make" = "$v_dkms" ] ||
	{ echo "FAIL: versions disagree: Makefile '$v_make', mmiotap --version '$v_cli', debian/changelog '$v_deb', dkms.conf '$v_dkms'"; fail=1; }
[ $fail = 0 ] || exit 1
echo "PASS: libmmiotap exports the $(echo "$want" | wc -l) symbols of its version script (shared, unversioned, soname $soname; static), version $v_make everywhere"
