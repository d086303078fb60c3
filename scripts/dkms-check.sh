#!/usr/bin/env bash
# dkms-check.sh - build mmiotap.ko the way a packaged install would: the
# module's sources (`make install-dkms`, as mmiotap-dkms ships them) in
# /usr/src/mmiotap-VERSION, then `dkms add` and `dkms build` against the
# newest installed Debian linux-headers-*-amd64, then `dkms remove`.
# Needs root and the dkms package (installed if missing). CI runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "dkms-check: needs root" >&2; exit 1; }
command -v dkms >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q dkms >/dev/null
[ -d third_party/zydis-src/src ] || bash scripts/fetch-zydis-src.sh
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
kver=$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -n1 | sed 's|.*/linux-headers-||')
src=/usr/src/mmiotap-$ver
dkms remove "mmiotap/$ver" --all >/dev/null 2>&1 || true
# What the mmiotap-dkms package ships (install.mk's install-dkms).
make -s install-dkms DKMS_SRCDIR="$src" >/dev/null
trap 'dkms remove "mmiotap/$ver" --all >/dev/null 2>&1 || true; rm -rf "$src"' EXIT
dkms add "mmiotap/$ver" >/dev/null
if ! dkms build "mmiotap/$ver" -k "$kver" >/tmp/dkms-check.log 2>&1; then
	tail -n 30 /tmp/dkms-check.log
	cat /var/lib/dkms/mmiotap/"$ver"/build/make.log 2>/dev/null | tail -n 30
	echo "dkms-check: dkms build failed for $kver" >&2
	exit 1
fi
dkms status "mmiotap/$ver" | grep -q built || { echo "dkms-check: not built" >&2; exit 1; }
echo "dkms-check: mmiotap/$ver built by dkms for $kver"
