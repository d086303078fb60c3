# pkg-lib.sh - helpers of the package tests (tests/pkg/*.sh, tests/vm/test-pkg-*.sh).
# Source it; needs root for the Debian root.
#
#   pkg_build                  build the Debian packages of this tree (committed
#                              files plus third_party/zydis-src) in
#                              $pkgdir/src with `dpkg-buildpackage -us -uc -b`;
#                              the .debs land in $pkgdir. Reused while the tree
#                              (git HEAD, diff, untracked) has not changed.
#   pkg_root DIR               a fresh Debian root in DIR: the cached minbase
#                              root (debootstrap from the archive the host's apt
#                              uses, once, into $PKG_CACHE), then /proc, /sys and
#                              /dev mounted (undone by pkg_root_done)
#   pkg_root_done DIR          unmount and delete DIR
#   pkg_kver                   the ABI name of the kernel the QEMU tests boot
#                              (what linux-image-amd64 depends on)
#
# Cache: $MMIOTAP_PKG_CACHE, default /var/cache/mmiotap/pkg: the minbase root
# as a tarball, keyed by suite, kernel and the package list below. Packages
# the test installs on top are cached in it as well, so a second run
# downloads nothing.
pkg_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pkg_top=$(cd "$pkg_here/../.." && pwd)
pkgdir=$pkg_top/${BUILD:-build}/pkg
PKG_CACHE=${MMIOTAP_PKG_CACHE:-/var/cache/mmiotap/pkg}

pkg_skip() { echo "SKIP: $*"; exit 77; }
pkg_fail() { echo "FAIL: $*"; exit 1; }

pkg_kver() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n1
}

pkg_build() {
	local stamp key ver t0
	command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null && command -v dh_dkms >/dev/null ||
		pkg_skip "dpkg-buildpackage, debhelper or dh-dkms missing (bash scripts/setup.sh)"
	[ -d "$pkg_top/third_party/zydis-src/src" ] || bash "$pkg_top/scripts/fetch-zydis-src.sh" >/dev/null ||
		pkg_fail "scripts/fetch-zydis-src.sh"
	key=$(cd "$pkg_top" && { git rev-parse HEAD; git diff HEAD; git status --porcelain; } | sha256sum | cut -c1-16)
	stamp=$pkgdir/stamp
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && ls "$pkgdir"/*.deb >/dev/null 2>&1; then
		echo "pkg: packages of this tree already built in $pkgdir"
		return 0
	fi
	ver=$(cd "$pkg_top" && dpkg-parsechangelog -S Version)
	rm -rf "$pkgdir" && mkdir -p "$pkgdir/src/mmiotap-$ver/third_party" || exit 99
	(cd "$pkg_top" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - 2>/dev/null) |
		tar -xf - -C "$pkgdir/src/mmiotap-$ver" || pkg_fail "copying the tree"
	cp -rL "$pkg_top/third_party/zydis-src" "$pkgdir/src/mmiotap-$ver/third_party/"
	t0=$(date +%s)
	(cd "$pkgdir/src/mmiotap-$ver" && dpkg-buildpackage -us -uc -b) >"$pkgdir/build.log" 2>&1 ||
		{ tail -n 40 "$pkgdir/build.log"; pkg_fail "dpkg-buildpackage (log $pkgdir/build.log)"; }
	mv "$pkgdir"/src/*.deb "$pkgdir"/src/*.changes "$pkgdir"/src/*.buildinfo "$pkgdir/" || exit 99
	echo "pkg: dpkg-buildpackage took $(($(date +%s) - t0)) s"
	# The copy (its build-deb/*.d would be found by the Makefile's include).
	rm -rf "$pkgdir/src"
	echo "$key" >"$stamp"
}

# The archive the host's apt uses (no address is written in this tree).
pkg_mirror() {
	local u
	u=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v security | head -n1)
	[ -n "$u" ] || u=$(sed -n 's/^[[:space:]]*deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -n1)
	echo "$u"
}

# Packages in the cached base besides minbase: what the tests compile and
# what mmiotap's packages depend on, and Debian's headers for the VM kernel
# (mmiotap-dkms is installed against them).
PKG_BASE_PKGS="gcc libc6-dev make pkg-config dkms libzydis4.0 libzydis-dev libzycore-dev"

pkg_base() {
	local suite kver mirror tar tmp
	command -v debootstrap >/dev/null || pkg_skip "debootstrap missing (bash scripts/setup.sh)"
	suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
	kver=$(pkg_kver)
	[ -n "$kver" ] || pkg_fail "cannot resolve the kernel of linux-image-amd64 (apt-get update?)"
	tar=$PKG_CACHE/root-$suite-$kver-$(echo "$PKG_BASE_PKGS" | sha256sum | cut -c1-8).tar
	PKG_BASE_TAR=$tar
	[ -f "$tar" ] && return 0
	mirror=$(pkg_mirror)
	[ -n "$mirror" ] || pkg_fail "no Debian archive found in /etc/apt"
	mkdir -p "$PKG_CACHE/debootstrap-debs" || exit 99
	tmp=$PKG_CACHE/tmp-root.$$
	rm -rf "$tmp"
	echo "pkg: debootstrap --variant=minbase $suite from $mirror (once, cached in $PKG_CACHE)"
	debootstrap --variant=minbase --cache-dir="$PKG_CACHE/debootstrap-debs" "$suite" "$tmp" "$mirror" \
		>"$PKG_CACHE/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$PKG_CACHE/debootstrap.log"; rm -rf "$tmp"; pkg_fail "debootstrap (log $PKG_CACHE/debootstrap.log)"; }
	# The same archives as the host (security updates carry the current kernel).
	rm -f "$tmp/etc/apt/sources.list"
	cp /etc/apt/sources.list.d/*.sources "$tmp/etc/apt/sources.list.d/" 2>/dev/null || true
	[ -f /etc/apt/sources.list ] && grep -v '^deb-src' /etc/apt/sources.list >"$tmp/etc/apt/sources.list"
	pkg_mounts "$tmp"
	if ! chroot "$tmp" sh -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends $PKG_BASE_PKGS linux-headers-$kver" >"$PKG_CACHE/base-install.log" 2>&1; then
		tail -n 20 "$PKG_CACHE/base-install.log"; pkg_umounts "$tmp"; rm -rf "$tmp"
		pkg_fail "installing the base packages into the root (log $PKG_CACHE/base-install.log)"
	fi
	pkg_umounts "$tmp"
	tar -C "$tmp" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar" && rm -rf "$tmp" || exit 99
	echo "pkg: cached $tar"
}

pkg_mounts() {
	mount -t proc proc "$1/proc" && mount --rbind /sys "$1/sys" && mount --make-rslave "$1/sys" &&
		mount --rbind /dev "$1/dev" && mount --make-rslave "$1/dev" || pkg_fail "mounts in $1"
}

pkg_umounts() {
	local m
	for m in proc sys dev; do
		mountpoint -q "$1/$m" && umount -R "$1/$m"
	done
	return 0
}

pkg_root() {
	pkg_base
	rm -rf "$1" && mkdir -p "$1" || exit 99
	tar -C "$1" -xf "$PKG_BASE_TAR" || pkg_fail "unpacking $PKG_BASE_TAR"
	pkg_mounts "$1"
}

pkg_root_done() {
	pkg_umounts "$1"
	rm -rf "$1"
}
