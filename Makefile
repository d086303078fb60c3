# mmiotap - top-level build. Plain GNU make; each directory contributes a
# fragment (DIR/DIR.mk) that appends to the lists below.
#
#   make            everything in user space (library, runtime, CLI, tests)
#   make check      every test, ending with "N passed, N failed[, N skipped]";
#                   the host tests under ASan+UBSan (a second build in build-san)
#   make check-unit only the fast host tests (used for the ASan/UBSan run)
#   make bench      the benchmarks (they print ratios, never assert times)
#   make kmod       the kernel module against the running kernel or KDIR=...
#   make vm-check   the QEMU ground-truth tests
#   make vm-check-debug  the kernel-module QEMU tests on a KASAN+lockdep build of
#                   Debian's kernel (built once, cached; see docs/HOWTO_TEST.md)
#   make SAN=1 BUILD=build-san check-unit   unit tests under ASan+UBSan
#   make freestanding   compile core/ with -ffreestanding -nostdlib
#   make install [PREFIX=/usr/local] [DESTDIR=]   CLI, libmmiotap, headers,
#                   pkg-config files, man pages, bash completion (install.mk);
#                   make uninstall removes them; make install-dkms the
#                   module's sources for dkms (DKMS_SRCDIR)

BUILD ?= build
CC ?= cc
V ?= 0
SAN ?= 0
OPT ?= -O2

WARN := -Wall -Wextra -Werror -Wno-unused-parameter
CFLAGS_BASE := -std=gnu11 -g $(OPT) $(WARN) -fno-omit-frame-pointer \
	-D_GNU_SOURCE -Icore/include -Iformat/include -Iruntime/include
ifeq ($(SAN),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS_SAN := -fsanitize=address,undefined
endif
CFLAGS ?=
LDFLAGS ?=
ALL_CFLAGS = $(CFLAGS_BASE) $(CFLAGS)
ALL_LDFLAGS = $(LDFLAGS_SAN) $(LDFLAGS)
ZYDIS_LIBS := -lZydis

# Version of the whole tree (the CLI's --version; debian/changelog and
# dkms.conf say the same, tests/pkg/test-abi.sh checks it) and where
# `make install` puts things (install.mk; PREFIX and DESTDIR as usual).
VERSION := 0.1
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/mmiotap
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
MT_DATADIR ?= $(DATADIR)/mmiotap
DKMS_SRCDIR ?= /usr/src/mmiotap-$(VERSION)
# The CLI finds the installed library relative to itself (cli/cli.mk).
LIBDIR_FROM_BINDIR = $(shell realpath -m --relative-to=$(BINDIR) $(LIBDIR))

# Lists the fragments append to.
ALL_TARGETS :=
CHECK_UNIT :=     # host programs, run by check-unit and check (exit 0/77/other)
CHECK_SCRIPTS :=  # shell tests, run by check
VM_SCRIPTS :=     # QEMU tests (also in CHECK_SCRIPTS); they exit 77 when QEMU cannot run
PKG_SLOW_SCRIPTS := # package tests run by check only, not check-host (also in CHECK_SCRIPTS)
BENCH_PROGS :=
CLEAN_EXTRA :=

.PHONY: all check check-unit check-host bench kmod vm-check vm-check-debug clean freestanding
all: all-targets

-include core/core.mk
-include format/format.mk
-include regdb/regdb.mk
-include runtime/runtime.mk
-include runtime/ptrace/ptrace.mk
-include export/export.mk
-include sym/sym.mk
-include campaign/campaign.mk
-include tdiff/tdiff.mk
-include cli/cli.mk
-include tests/tests.mk
-include bench/bench.mk
-include kmod/kmod.mk
-include tests/pkg/pkg.mk
-include tests/vm/vm.mk
-include tools/tools.mk
-include install.mk

all-targets: $(ALL_TARGETS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)

# `make check`: the host tests under ASan+UBSan, on a second build in
# $(SAN_BUILD) (SAN=1); the QEMU and package tests on this one. Under SAN=1
# (or SAN_BUILD= empty) everything runs on this build.
SAN_BUILD ?= build-san
HOST_SCRIPTS = $(filter-out $(VM_SCRIPTS) $(PKG_SLOW_SCRIPTS),$(CHECK_SCRIPTS))
check: all
ifeq ($(SAN)$(if $(SAN_BUILD),,x),0)
	@$(MAKE) --no-print-directory $(if $(findstring jobserver,$(MAKEFLAGS)),,-j$(shell nproc)) \
		SAN=1 BUILD=$(SAN_BUILD) all
	@TEST_LOGDIR=$(BUILD)/test-logs bash tests/run-tests.sh \
		@BUILD=$(SAN_BUILD) @SAN=1 $(patsubst $(BUILD)/%,$(SAN_BUILD)/%,$(CHECK_UNIT)) $(HOST_SCRIPTS) \
		@BUILD=$(BUILD) @SAN=0 $(filter $(VM_SCRIPTS) $(PKG_SLOW_SCRIPTS),$(CHECK_SCRIPTS))
else
	@BUILD=$(BUILD) TEST_LOGDIR=$(BUILD)/test-logs bash tests/run-tests.sh $(CHECK_UNIT) $(CHECK_SCRIPTS)
endif

check-unit: $(CHECK_UNIT)
	@BUILD=$(BUILD) TEST_LOGDIR=$(BUILD)/test-logs bash tests/run-tests.sh $(CHECK_UNIT)

# Everything but the QEMU tests and the package install test (CI runs it
# under SAN=1).
check-host: all
	@BUILD=$(BUILD) TEST_LOGDIR=$(BUILD)/test-logs bash tests/run-tests.sh $(CHECK_UNIT) \
		$(filter-out $(VM_SCRIPTS) $(PKG_SLOW_SCRIPTS),$(CHECK_SCRIPTS))

bench: $(BENCH_PROGS)
	@set -e; for b in $(BENCH_PROGS); do echo "== $$b"; $$b; done

clean:
	rm -rf $(BUILD) build-san build-free $(CLEAN_EXTRA)
