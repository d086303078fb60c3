# tests/pkg: the Debian packages (debian/) and the installed layout.
#   test-abi.sh          libmmiotap exports exactly runtime/libmmiotap.map;
#                        versions agree (fast, host; check-host too)
#   test-make-install.sh make install/uninstall with PREFIX and DESTDIR; the
#                        installed CLI finds the installed library (fast)
#   test-pkg-build.sh    dpkg-buildpackage -us -uc -b, contents, lintian
#   test-pkg-install.sh  the packages installed with apt into a fresh
#                        debootstrap root (cached in /var/cache/mmiotap/pkg):
#                        mmiotap --version, the README's demo, a pkg-config
#                        probe program, mmiotap-dkms building the module
# The VM test of the module dkms built is tests/vm/test-pkg-dkms-edu.sh
# (tests/vm/vm.mk). The package tests need root and run in `make check`
# only (PKG_SLOW_SCRIPTS), not in check-host.
CHECK_SCRIPTS += tests/pkg/test-abi.sh tests/pkg/test-make-install.sh
PKG_SLOW_SCRIPTS += tests/pkg/test-pkg-build.sh tests/pkg/test-pkg-install.sh
CHECK_SCRIPTS += tests/pkg/test-pkg-build.sh tests/pkg/test-pkg-install.sh
