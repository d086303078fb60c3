# runtime/ptrace/ - the out-of-process tracer (libmtptrace.a), its tests and
# benchmark. `mmiotap record --ptrace` / `--pid` reach it through
# cli/ptrace_record.c.

PT_SRCS := $(wildcard runtime/ptrace/pt_*.c) runtime/common/devfile.c runtime/common/devdesc.c \
	runtime/common/access.c \
	runtime/common/watch_piece.c
PT_LIB := $(BUILD)/libmtptrace.a
# What a program using the tracer links (after its own objects).
PT_LINK := $(PT_LIB) $(BUILD)/runtime/common/xrun.o $(RT_RING_OBJS) \
	$(BUILD)/format/src/inject_apply.o $(BUILD)/libmtcore.a
PT_LIBS := $(ZYDIS_LIBS) -lpthread

$(PT_LIB): $(PT_SRCS:%.c=$(BUILD)/%.o)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Test helpers: a runner printing events as text, static target programs.
PT_RUN := $(BUILD)/tests/ptrace/pt-run
$(PT_RUN): $(BUILD)/tests/ptrace/pt-run.o $(PT_LINK)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PT_LIBS)
$(BUILD)/tests/ptrace/pt-run.o: ALL_CFLAGS += -Iruntime/ptrace

# Static test programs (no libc preload possible: exactly the case).
$(BUILD)/tests/ptrace/pt-families: tests/ptrace/pt-families.c
	@mkdir -p $(dir $@)
	$(CC) -static -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<
$(BUILD)/tests/ptrace/pt-threads: tests/ptrace/pt-threads.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -o $@ $<

$(BUILD)/tests/ptrace/pt-churn: tests/ptrace/pt-churn.c
	@mkdir -p $(dir $@)
	$(CC) -static -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -pthread -o $@ $<

PT_TEST_BINS := $(PT_RUN) $(BUILD)/tests/ptrace/pt-families $(BUILD)/tests/ptrace/pt-threads \
	$(BUILD)/tests/ptrace/pt-churn
ALL_TARGETS += $(PT_LIB) $(PT_TEST_BINS)
CHECK_SCRIPTS += $(wildcard tests/ptrace/test-*.sh)
VM_SCRIPTS += $(wildcard tests/vm/test-ptrace-*.sh)

$(BUILD)/bench/bench_ptrace: $(BUILD)/bench/bench_ptrace.o $(PT_LINK)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PT_LIBS)
$(BUILD)/bench/bench_ptrace.o: ALL_CFLAGS += -Iruntime/ptrace
BENCH_PROGS += $(BUILD)/bench/bench_ptrace

# The CLI's record --ptrace/--pid (cli/ptrace_record.c) links the tracer.
CLI_EXTRA_OBJS += $(PT_LIB) $(BUILD)/runtime/common/xrun.o $(BUILD)/runtime/common/rt_inject.o \
	$(BUILD)/libmtcore.a
CLI_LIBS += $(ZYDIS_LIBS) -lpthread
$(BUILD)/cli/ptrace_record.o: ALL_CFLAGS += -Iruntime/ptrace

$(BUILD)/tests/ptrace/pt-edu: tests/ptrace/pt-edu.c
	@mkdir -p $(dir $@)
	$(CC) -static -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<
ALL_TARGETS += $(BUILD)/tests/ptrace/pt-edu

# The runtime's self-describing e2e program, built STATIC (LD_PRELOAD could
# not see it), several ways: the compiler picks the instructions.
PT_E2E_SRC := $(wildcard tests/e2e/e2e_families.c)
ifneq ($(PT_E2E_SRC),)
PT_E2E_DIR := $(BUILD)/tests/ptrace/e2e
PT_E2E := $(PT_E2E_DIR)/gcc-O0 $(PT_E2E_DIR)/gcc-O2 $(PT_E2E_DIR)/gcc-O3-native \
	$(PT_E2E_DIR)/clang-O2
$(PT_E2E_DIR)/gcc-O0: $(PT_E2E_SRC)
	@mkdir -p $(dir $@)
	gcc -static -O0 -D_GNU_SOURCE -o $@ $<
$(PT_E2E_DIR)/gcc-O2: $(PT_E2E_SRC)
	@mkdir -p $(dir $@)
	gcc -static -O2 -D_GNU_SOURCE -o $@ $<
$(PT_E2E_DIR)/gcc-O3-native: $(PT_E2E_SRC)
	@mkdir -p $(dir $@)
	gcc -static -O3 -march=native -D_GNU_SOURCE -o $@ $<
$(PT_E2E_DIR)/clang-O2: $(PT_E2E_SRC)
	@mkdir -p $(dir $@)
	clang -static -O2 -D_GNU_SOURCE -o $@ $<
ALL_TARGETS += $(PT_E2E)
endif
