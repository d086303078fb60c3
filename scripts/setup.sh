#!/usr/bin/env bash
# Installs the Debian 12 packages mmiotap needs to build and test.
# Idempotent: runs apt-get only when something is missing. Needs root (or sudo).
set -euo pipefail
pkgs=(
	# build
	make gcc libc6-dev clang pkg-config libzydis-dev libzycore-dev
	# fuzzing (libFuzzer runtime for clang 14) and sanitizers
	libclang-rt-14-dev
	# kernel module build (compile only on the host) and Zydis sources for it
	linux-headers-amd64 dpkg-dev
	# QEMU ground-truth harness
	qemu-system-x86 busybox-static cpio kmod util-linux iproute2
	# real programs traced in the VM tests
	python3 memtester dpdk-dev librte-net-e1000-23
	# reading traces: register databases (libxml2), symbols (elfutils), the
	# gdb watch script, report --html in headless Chromium, Perfetto checks
	libxml2-dev libdw-dev libelf-dev gdb chromium protobuf-compiler
	# export test: peak memory of a run (GNU time)
	time
	# Debian packages (debian/, tests/pkg): build, check, install into a
	# debootstrap root, dkms
	debhelper dh-dkms dkms lintian debootstrap
)
if [ -n "${MMIOTAP_EXTRA_PKGS:-}" ]; then
	read -r -a extra <<<"$MMIOTAP_EXTRA_PKGS"
	pkgs+=("${extra[@]}")
fi
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
