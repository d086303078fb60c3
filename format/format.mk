# format/ - trace format library (libmtformat.a): binary writer/reader,
# mmiotrace text parser/formatter, JSON lines, injection rules.
# Depends on nothing but libc.

FORMAT_SRCS := $(wildcard format/src/*.c)
FORMAT_OBJS := $(FORMAT_SRCS:%.c=$(BUILD)/%.o)
FORMAT_LIB := $(BUILD)/libmtformat.a

$(FORMAT_LIB): $(FORMAT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

ALL_TARGETS += $(FORMAT_LIB)

# Unit tests: tests/unit/format_*.c, each linked against the library.
FORMAT_UNIT_SRCS := $(wildcard tests/unit/format_*.c)
FORMAT_UNIT := $(FORMAT_UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
$(BUILD)/tests/unit/format_%: $(BUILD)/tests/unit/format_%.o $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm
ALL_TARGETS += $(FORMAT_UNIT)
CHECK_UNIT += $(FORMAT_UNIT)

# Shell tests (golden files, round trip, robustness, fuzzers); they find the
# build through $BUILD.
FORMAT_SCRIPTS := $(wildcard tests/format/*.sh)
CHECK_SCRIPTS += $(FORMAT_SCRIPTS)
