# regdb/ - register databases (libmtregdb.a): rnndb XML and CMSIS-SVD read
# with libxml2, offset -> register lookup, value -> fields formatting, and
# the binding of databases to a trace's MAPs (regdb/include/mmiotap/*.h).
# Users link $(REGDB_LIB) $(REGDB_LIBS).

REGDB_SRCS := $(wildcard regdb/src/*.c)
REGDB_OBJS := $(REGDB_SRCS:%.c=$(BUILD)/%.o)
REGDB_LIB := $(BUILD)/libmtregdb.a
REGDB_XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
REGDB_LIBS := $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)
# Installed databases (install.mk copies regdb/db there).
REGDB_DIR ?= $(MT_DATADIR)/regdb

$(REGDB_OBJS): ALL_CFLAGS += -Iregdb/include $(REGDB_XML_CFLAGS)
# bind.c: the installed databases' directory, from the build configuration
# header cli/cli.mk writes (rebuilt when PREFIX changes)
$(BUILD)/regdb/src/bind.o: ALL_CFLAGS += -I$(BUILD)/gen
$(BUILD)/regdb/src/bind.o: $(BUILD)/gen/mt_config.h

$(REGDB_LIB): $(REGDB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

ALL_TARGETS += $(REGDB_LIB)

# The CLI's decode and report commands use it.
CLI_EXTRA_OBJS += $(REGDB_LIB)
CLI_LIBS += $(REGDB_LIBS)
$(BUILD)/cli/%.o: ALL_CFLAGS += -Iregdb/include

# Unit test: tests/unit/regdb_*.c
REGDB_UNIT_SRCS := $(wildcard tests/unit/regdb_*.c)
REGDB_UNIT := $(REGDB_UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
$(BUILD)/tests/unit/regdb_%.o: ALL_CFLAGS += -Iregdb/include
$(BUILD)/tests/unit/regdb_%: $(BUILD)/tests/unit/regdb_%.o $(REGDB_LIB) $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(REGDB_LIBS) -lm
ALL_TARGETS += $(REGDB_UNIT)
CHECK_UNIT += $(REGDB_UNIT)

REGDB_SCRIPTS := $(wildcard tests/regdb/*.sh)
CHECK_SCRIPTS += $(REGDB_SCRIPTS)
