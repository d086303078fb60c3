# sym/ - symbols of a trace's PCs (libmtsym.a, sym/include/mmiotap/sym.h):
# the symbolizer (OBJECT records through elfutils' libdwfl, KSYM records)
# and the recorders' side (OBJECT records from /proc/PID/maps, KSYM
# records from /proc/kallsyms). Needs libdw-dev and libelf-dev.

SYM_SRCS := $(wildcard sym/src/*.c)
SYM_OBJS := $(SYM_SRCS:%.c=$(BUILD)/%.o)
SYM_LIB := $(BUILD)/libmtsym.a
SYM_LIBS := -ldw -lelf

$(SYM_OBJS): ALL_CFLAGS += -Isym/include
$(SYM_LIB): $(SYM_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

ALL_TARGETS += $(SYM_LIB)
# The CLI links it (cli/cli.mk puts CLI_EXTRA_OBJS before libmtformat.a).
CLI_EXTRA_OBJS += $(SYM_LIB)
CLI_LIBS += $(SYM_LIBS)

# Unit test: tests/unit/sym_lookup.c (objtrack + symbolizer on itself).
$(BUILD)/tests/unit/sym_lookup.o: ALL_CFLAGS += -Isym/include
$(BUILD)/tests/unit/sym_lookup: $(BUILD)/tests/unit/sym_lookup.o $(SYM_LIB) $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SYM_LIBS)
ALL_TARGETS += $(BUILD)/tests/unit/sym_lookup
CHECK_UNIT += $(BUILD)/tests/unit/sym_lookup
