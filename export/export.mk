# export/ - trace exporters (CSV, Chrome JSON, Perfetto protobuf) used by
# `mmiotap export`. Depends on libmtformat only. Included before cli/cli.mk:
# the objects go into the CLI (CLI_EXTRA_OBJS).

EXPORT_SRCS := $(wildcard export/src/*.c)
EXPORT_OBJS := $(EXPORT_SRCS:%.c=$(BUILD)/%.o)
$(EXPORT_OBJS): ALL_CFLAGS += -Iexport/include
$(BUILD)/cli/export.o: ALL_CFLAGS += -Iexport/include
CLI_EXTRA_OBJS += $(EXPORT_OBJS)

# Shell tests.
EXPORT_SCRIPTS := $(wildcard tests/export/*.sh)
CHECK_SCRIPTS += $(EXPORT_SCRIPTS)

# The synthetic trace the tests and the benchmark export.
EXPORT_GEN := $(BUILD)/tests/export/gen_trace
$(EXPORT_GEN): $(BUILD)/tests/export/gen_trace.o $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_TARGETS += $(EXPORT_GEN)

# Unit test of the names hooks, linked with the exporters.
$(BUILD)/tests/unit/export_names.o: ALL_CFLAGS += -Iexport/include
$(BUILD)/tests/unit/export_names: $(BUILD)/tests/unit/export_names.o $(EXPORT_OBJS) $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_TARGETS += $(BUILD)/tests/unit/export_names
CHECK_UNIT += $(BUILD)/tests/unit/export_names
