# runtime/ - the user-space tracer: libmmiotap-preload.so (LD_PRELOAD), also
# libmmiotap.so.0 (soname) for programs that use the probe API directly: one
# library, so a probe program run under `mmiotap record` loads it once.
# `make install` installs it as libmmiotap.so.$(RT_LIB_VERSION) with the links
# libmmiotap.so.0 and libmmiotap.so; libmmiotap.a is the same code for static
# linking, its internal symbols localized. The exported symbols are the list
# in runtime/libmmiotap.map (tests/pkg/test-abi.sh checks it).

RT_PIC_CFLAGS := -fPIC -fvisibility=hidden
RT_CORE_SRCS = $(wildcard core/src/*.c)
# The event ring (its file, its order lock, the recorder's PID namespace) and
# the liveness checks they need.
RT_RING_SRCS := runtime/common/ring.c runtime/common/ring_file.c runtime/common/ring_lock.c \
	runtime/common/ring_ns.c runtime/common/task.c
RT_RING_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(RT_RING_SRCS))
RT_PRELOAD_SRCS = $(wildcard runtime/preload/*.c) $(RT_RING_SRCS) runtime/common/devfile.c runtime/common/devdesc.c \
	runtime/common/rt_inject.c runtime/common/access.c runtime/common/watch_piece.c \
	format/src/rule.c format/src/inject_apply.c \
	$(wildcard runtime/common/xrun.c) $(RT_CORE_SRCS)
RT_PRELOAD_OBJS = $(patsubst %.c,$(BUILD)/pic/%.o,$(RT_PRELOAD_SRCS))
RT_PRELOAD_LIB := $(BUILD)/libmmiotap-preload.so
RT_LIB := $(BUILD)/libmmiotap.so
RT_LIB_SONAME := libmmiotap.so.0
RT_LIB_VERSION := 0.1.0
RT_LIB_MAP := runtime/libmmiotap.map
RT_STATIC_LIB := $(BUILD)/libmmiotap.a
# The names the version script exports (its global: part, comments skipped).
RT_LIB_SYMS = $(shell awk '/^global:/ { g = 1; next } /^local:/ { g = 0 } \
	g && $$1 !~ /^[\/*]/ { gsub(/;/, " "); print }' $(RT_LIB_MAP))

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

$(RT_PRELOAD_LIB): $(RT_PRELOAD_OBJS) $(RT_LIB_MAP)
	$(CC) -shared -Wl,-soname,$(RT_LIB_SONAME) -Wl,--version-script,$(RT_LIB_MAP) \
		-Wl,-z,nodelete -Wl,-z,defs $(RT_LDFLAGS) -o $@ $(RT_PRELOAD_OBJS) \
		$(ZYDIS_LIBS) -ldl -lpthread

# The soname and the link-time name, in the build tree too (probe_demo runs
# from here with -rpath $ORIGIN/..).
$(BUILD)/$(RT_LIB_SONAME) $(RT_LIB): $(RT_PRELOAD_LIB)
	ln -sf $(notdir $<) $@

# One relocatable object, every symbol the version script does not export
# made local, in an archive: static linking sees the same ABI.
$(RT_STATIC_LIB): $(RT_PRELOAD_OBJS) $(RT_LIB_MAP)
	$(LD) -r -o $(BUILD)/libmmiotap-static.o $(RT_PRELOAD_OBJS)
	objcopy $(RT_LIB_SYMS:%=--keep-global-symbol=%) $(BUILD)/libmmiotap-static.o
	rm -f $@ && ar rcs $@ $(BUILD)/libmmiotap-static.o

ALL_TARGETS += $(RT_PRELOAD_LIB) $(BUILD)/$(RT_LIB_SONAME) $(RT_LIB) $(RT_STATIC_LIB)

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
		$(BUILD)/runtime/common/watch_piece.o \
		$(BUILD)/runtime/common/devfile.o $(BUILD)/format/src/inject_apply.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_TARGETS += $(RT_UNIT)
CHECK_UNIT += $(RT_UNIT)
