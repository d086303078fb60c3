# runtime/ - the user-space tracer: libmmiotap-preload.so (LD_PRELOAD), also
# installed as libmmiotap.so for programs that use the probe API directly.

RT_PIC_CFLAGS := -fPIC -fvisibility=hidden
RT_CORE_SRCS = $(wildcard core/src/*.c)
# The event ring (its file, its order lock, the recorder's PID namespace) and
# the liveness checks they need.
RT_RING_SRCS := runtime/common/ring.c runtime/common/ring_file.c runtime/common/ring_lock.c \
	runtime/common/ring_ns.c runtime/common/task.c
RT_RING_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(RT_RING_SRCS))
RT_PRELOAD_SRCS = $(wildcard runtime/preload/*.c) $(RT_RING_SRCS) runtime/common/devfile.c \
	runtime/common/rt_inject.c runtime/common/access.c \
	format/src/rule.c format/src/inject_apply.c \
	$(wildcard runtime/common/xrun.c) $(RT_CORE_SRCS)
RT_PRELOAD_OBJS = $(patsubst %.c,$(BUILD)/pic/%.o,$(RT_PRELOAD_SRCS))
RT_PRELOAD_LIB := $(BUILD)/libmmiotap-preload.so
RT_LIB := $(BUILD)/libmmiotap.so

# Objects the CLI links for `record` and `mark` (cli/cli.mk adds them).
RUNTIME_CLI_OBJS := $(RT_RING_OBJS)

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(RT_PIC_CFLAGS) -MMD -MP -c $< -o $@

# SAN=1: the preload library gets UBSan only. ASan's runtime must be the
# first library of a process; preloaded into programs that are not built
# with ASan (every e2e program, sh...), a library that needs it stops them.
RT_LDFLAGS := $(LDFLAGS)
ifeq ($(SAN),1)
RT_PIC_CFLAGS += -fno-sanitize=address
RT_LDFLAGS := -fsanitize=undefined $(LDFLAGS)
endif

$(RT_PRELOAD_LIB): $(RT_PRELOAD_OBJS)
	$(CC) -shared -Wl,-soname,libmmiotap.so -Wl,-z,nodelete $(RT_LDFLAGS) -o $@ $^ \
		$(ZYDIS_LIBS) -ldl -lpthread

$(RT_LIB): $(RT_PRELOAD_LIB)
	ln -sf $(notdir $<) $@

ALL_TARGETS += $(RT_PRELOAD_LIB) $(RT_LIB)

-include examples/examples.mk
-include tests/e2e/e2e.mk

# bench/bench_record: traced access vs untraced, fault floor, single-step.
BENCH_RECORD := $(BUILD)/bench/bench_record
$(BENCH_RECORD): $(BUILD)/bench/bench_record.o $(RT_RING_OBJS) | $(RT_PRELOAD_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread
ALL_TARGETS += $(BENCH_RECORD)
BENCH_PROGS += $(BENCH_RECORD)

# Unit tests of runtime/common/: tests/unit/rt_*.c, each linked with the
# shared access path and what it needs.
RT_UNIT_SRCS := $(wildcard tests/unit/rt_*.c)
RT_UNIT := $(RT_UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
$(BUILD)/tests/unit/rt_%: $(BUILD)/tests/unit/rt_%.o $(BUILD)/runtime/common/access.o \
		$(BUILD)/runtime/common/devfile.o $(BUILD)/format/src/inject_apply.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_TARGETS += $(RT_UNIT)
CHECK_UNIT += $(RT_UNIT)
