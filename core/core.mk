# core/: the freestanding emulator (libmtcore.a), the native runner used by
# its oracle, the oracle tests and the core unit tests.

CORE_SRCS := $(wildcard core/src/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
CORE_CLANG_OBJS := $(CORE_SRCS:%.c=$(BUILD)/clang/%.o)

$(BUILD)/libmtcore.a: $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(BUILD)/clang/libmtcore.a: $(CORE_CLANG_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# clang variant of any object
$(BUILD)/clang/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(ALL_CFLAGS) -MMD -MP -c $< -o $@

XRUN_OBJ := $(BUILD)/runtime/common/xrun.o

# The oracle: the framework plus every form table (tests/oracle/*_forms.c)
# in one program. The vector helper's own oracle comes from vec.mk.
ORACLE_SRCS := tests/oracle/oracle.c $(wildcard tests/oracle/*_forms.c)
$(BUILD)/tests/oracle/oracle: $(ORACLE_SRCS:%.c=$(BUILD)/%.o) $(XRUN_OBJ) $(BUILD)/libmtcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ZYDIS_LIBS)
$(BUILD)/tests/oracle/oracle-clang: $(ORACLE_SRCS:%.c=$(BUILD)/clang/%.o) \
		$(BUILD)/clang/runtime/common/xrun.o $(BUILD)/clang/libmtcore.a
	clang $(ALL_LDFLAGS) -o $@ $^ $(ZYDIS_LIBS)

# Unit tests of the core: tests/unit/core_*.c, one program each.
CORE_UNIT_SRCS := $(wildcard tests/unit/core_*.c)
CORE_UNIT_PROGS := $(CORE_UNIT_SRCS:%.c=$(BUILD)/%)
$(CORE_UNIT_PROGS): $(BUILD)/%: $(BUILD)/%.o $(BUILD)/libmtcore.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ZYDIS_LIBS)

ALL_TARGETS += $(BUILD)/libmtcore.a $(BUILD)/tests/oracle/oracle \
	$(BUILD)/tests/oracle/oracle-clang $(CORE_UNIT_PROGS)
CHECK_UNIT += $(CORE_UNIT_PROGS) $(BUILD)/tests/oracle/oracle \
	$(BUILD)/tests/oracle/oracle-clang
CHECK_SCRIPTS += tests/unit/core_freestanding.sh tests/unit/run_tests_ci.sh

# core/ compiled freestanding, as CI does: no libc, no SSE, 0 warnings.
FREE_CC ?= $(CC)
FREE_FLAGS := -std=gnu11 -O2 $(WARN) -ffreestanding -nostdlib -mgeneral-regs-only \
	-DZYAN_NO_LIBC -Icore/include
freestanding:
	@mkdir -p build-free
	@set -e; for f in $(CORE_SRCS); do \
		echo "  FREE $$f"; \
		$(FREE_CC) $(FREE_FLAGS) -c $$f -o build-free/$$(basename $$f .c).o; \
	done

-include tests/oracle/vec.mk
