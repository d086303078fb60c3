# tests/vm: the QEMU ground-truth harness (see docs/HOWTO_TEST.md).
#   $(BUILD)/qemu-compare    compares an mmiotap trace with QEMU's device log
#   make vm-check            runs every VM test (VM_SCRIPTS)
# VM tests exit 77 with a one-line reason when QEMU cannot run here.

VM_COMPARE := $(BUILD)/qemu-compare
ALL_TARGETS += $(VM_COMPARE)

$(VM_COMPARE): $(BUILD)/tests/vm/qemu-compare.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# Host-only test of the compare tool on canned logs (no QEMU).
CHECK_SCRIPTS += tests/vm/test-compare.sh
# Tests that boot QEMU.
VM_SCRIPTS += tests/vm/selftest-edu.sh tests/vm/selftest-runner.sh
# issue 5 item 9: the LD_PRELOAD tracer on real programs, against QEMU's log
VM_SCRIPTS += tests/vm/test-userspace-devmem.sh tests/vm/test-userspace-python.sh \
	tests/vm/test-userspace-memtester.sh tests/vm/test-userspace-dpdk.sh
# issue 6: mmiotap.ko (edu and ivshmem test drivers on 2 CPUs; the in-tree e1000 from load and attached)
VM_SCRIPTS += tests/vm/test-kmod-edu.sh tests/vm/test-kmod-e1000.sh tests/vm/test-kmod-inject.sh \
	tests/vm/test-kmod-probe.sh tests/vm/test-kmod-unload.sh tests/vm/test-kmod-tracepoint.sh \
	tests/vm/test-kmod-step.sh tests/vm/test-kmod-step-tracepoint.sh tests/vm/test-kmod-ivshmem.sh
# issue 6: NMI/hardirq/softirq accesses (both hooks); the load-time self-test's refusals
VM_SCRIPTS += tests/vm/test-kmod-irq.sh tests/vm/test-kmod-irq-tracepoint.sh tests/vm/test-kmod-selftest.sh
# issue 11 (trust): bulk copies lossless, every device access once, mappings
# torn down without iounmap and map ids, sessions/privileges/lockdown/files,
# races under stress
VM_SCRIPTS += tests/vm/test-kmod-bulk.sh tests/vm/test-kmod-exactonce.sh tests/vm/test-kmod-vmap.sh \
	tests/vm/test-kmod-session.sh tests/vm/test-kmod-stress.sh
CHECK_SCRIPTS += $(VM_SCRIPTS)

# The test scripts find $(BUILD)/qemu-compare through $BUILD.
export BUILD

.PHONY: vm-check vm-prepare
vm-check: all
	@bash tests/run-tests.sh $(VM_SCRIPTS)

# Install packages and build the cached initramfs without booting.
vm-prepare:
	@bash tests/vm/run-vm.sh --prepare
