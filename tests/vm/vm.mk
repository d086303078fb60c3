# tests/vm: the QEMU ground-truth harness (see docs/HOWTO_TEST.md).
#   $(BUILD)/qemu-compare    compares an mmiotap trace with QEMU's device log
#   make vm-check            runs every VM test (VM_SCRIPTS)
#   make vm-check-debug      runs the kernel-module tests (VM_KMOD_SCRIPTS) on
#                            Debian's kernel rebuilt with KASAN, lockdep...
#                            (scripts/debug-kernel.sh, cached outside the tree)
# VM tests exit 77 with a one-line reason when QEMU cannot run here.

VM_COMPARE := $(BUILD)/qemu-compare
ALL_TARGETS += $(VM_COMPARE)

$(VM_COMPARE): $(BUILD)/tests/vm/qemu-compare.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# Host-only test of the compare tool on canned logs (no QEMU), and of the
# console check of run-vm.sh on canned kernel reports.
CHECK_SCRIPTS += tests/vm/test-compare.sh tests/vm/test-kernel-reports.sh
# Tests that boot QEMU.
VM_SCRIPTS += tests/vm/selftest-edu.sh tests/vm/selftest-runner.sh
# issue 5 item 9: the LD_PRELOAD tracer on real programs, against QEMU's log
VM_SCRIPTS += tests/vm/test-userspace-devmem.sh tests/vm/test-userspace-python.sh \
	tests/vm/test-userspace-memtester.sh tests/vm/test-userspace-dpdk.sh
# The kernel-module tests (every tests/vm/test-kmod-*.sh): also run by
# vm-check-debug on the debug kernel. Add new ones here.
VM_KMOD_SCRIPTS :=
# issue 6: mmiotap.ko (edu and ivshmem test drivers on 2 CPUs; the in-tree e1000 from load and attached)
VM_KMOD_SCRIPTS += tests/vm/test-kmod-edu.sh tests/vm/test-kmod-e1000.sh tests/vm/test-kmod-inject.sh \
	tests/vm/test-kmod-probe.sh tests/vm/test-kmod-unload.sh tests/vm/test-kmod-tracepoint.sh \
	tests/vm/test-kmod-step.sh tests/vm/test-kmod-step-tracepoint.sh tests/vm/test-kmod-ivshmem.sh
# issue 6: NMI/hardirq/softirq accesses (both hooks); the load-time self-test's refusals
VM_KMOD_SCRIPTS += tests/vm/test-kmod-irq.sh tests/vm/test-kmod-irq-tracepoint.sh tests/vm/test-kmod-selftest.sh
# issue 11 (trust): bulk copies lossless, every device access once, mappings
# torn down without iounmap and map ids, sessions/privileges/lockdown/files,
# races under stress
VM_KMOD_SCRIPTS += tests/vm/test-kmod-bulk.sh tests/vm/test-kmod-exactonce.sh tests/vm/test-kmod-vmap.sh \
	tests/vm/test-kmod-session.sh tests/vm/test-kmod-stress.sh
# issue 15: one recording of user space and kernel, merged on one clock (edu handshake)
VM_KMOD_SCRIPTS += tests/vm/test-record-kernel.sh
# issue 14: mmiotap diff of the e1000 driver with and without a link change (QEMU set_link);
# the watchdog's and the interrupts' accesses compared as sets (diff --async)
VM_KMOD_SCRIPTS += tests/vm/test-kmod-e1000-diff.sh
VM_SCRIPTS += $(VM_KMOD_SCRIPTS)
# The packages: the module mmiotap-dkms built at install into a fresh Debian
# root (tests/pkg/test-pkg-install.sh), loaded by the packaged CLI, tracing
# edu. Not a kmod test of vm-check-debug (dkms builds against Debian's
# headers, not the debug kernel's tree).
VM_SCRIPTS += tests/vm/test-pkg-dkms-edu.sh
CHECK_SCRIPTS += $(VM_SCRIPTS)

# The test scripts find $(BUILD)/qemu-compare through $BUILD.
export BUILD

.PHONY: vm-check vm-prepare vm-check-debug
vm-check: all
	@bash tests/run-tests.sh $(VM_SCRIPTS)

# The kernel-module tests on the debug kernel of scripts/debug-kernel.sh
# (built once, 43 min on 2 cores, then cached in
# $MMIOTAP_DEBUG_KERNEL_CACHE, default /var/cache/mmiotap/debug-kernel),
# everything built in $(DEBUG_BUILD) against its tree. A KASAN+lockdep kernel
# is several times slower under TCG: every --timeout is multiplied by
# VM_TIMEOUT_SCALE (default $(VM_DEBUG_TIMEOUT_SCALE): runs took 5-8 times
# Debian's, the slowest 200 s of its 300 s; docs/HOWTO_TEST.md); it reserves
# about 400 MB more than Debian's at boot and OOMs in 512M: VM_MEM (the
# default --mem) is $(VM_DEBUG_MEM).
DEBUG_BUILD ?= build-debug
VM_DEBUG_TIMEOUT_SCALE ?= 4
VM_DEBUG_MEM ?= 1G
vm-check-debug:
	@missing="$(filter-out $(VM_KMOD_SCRIPTS),$(wildcard tests/vm/test-kmod-*.sh))"; \
		[ -z "$$missing" ] || { echo "vm-check-debug: not in VM_KMOD_SCRIPTS (tests/vm/vm.mk): $$missing" >&2; exit 1; }
	@kdir=$$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD bash scripts/debug-kernel.sh) && \
	$(MAKE) --no-print-directory BUILD=$(DEBUG_BUILD) KDIR="$$kdir/build" all kmod && \
	VM_KERNEL_DIR="$$kdir" KDIR="$$kdir/build" BUILD=$(DEBUG_BUILD) \
		VM_TIMEOUT_SCALE="$${VM_TIMEOUT_SCALE:-$(VM_DEBUG_TIMEOUT_SCALE)}" VM_MEM="$${VM_MEM:-$(VM_DEBUG_MEM)}" \
		TEST_LOGDIR=$(DEBUG_BUILD)/test-logs bash tests/run-tests.sh $(VM_KMOD_SCRIPTS)

# Install packages and build the cached initramfs without booting.
vm-prepare:
	@bash tests/vm/run-vm.sh --prepare
