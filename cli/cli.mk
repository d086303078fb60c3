# cli/ - the mmiotap command: cli/main.c (dispatcher + shared helpers) and one
# file per subcommand (cli/*.c). Other fragments may append objects/libraries
# the subcommands need to CLI_EXTRA_OBJS / CLI_LIBS (e.g. RUNTIME_CLI_OBJS).

CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
CLI_EXTRA_OBJS += $(RUNTIME_CLI_OBJS)
CLI_LIBS ?=
MMIOTAP := $(BUILD)/mmiotap

$(MMIOTAP): $(CLI_OBJS) $(CLI_EXTRA_OBJS) $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(CLI_EXTRA_OBJS) $(FORMAT_LIB) $(CLI_LIBS) -lm

$(CLI_OBJS): ALL_CFLAGS += -Icli

ALL_TARGETS += $(MMIOTAP)

# Unit tests of cli/ helpers: tests/unit/cli_*.c, each linked with its file.
$(BUILD)/tests/unit/cli_reap: $(BUILD)/tests/unit/cli_reap.o $(BUILD)/cli/reap.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(BUILD)/tests/unit/cli_%.o: ALL_CFLAGS += -Icli
ALL_TARGETS += $(BUILD)/tests/unit/cli_reap
CHECK_UNIT += $(BUILD)/tests/unit/cli_reap
$(BUILD)/tests/unit/cli_kdrain: $(BUILD)/tests/unit/cli_kdrain.o $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread
ALL_TARGETS += $(BUILD)/tests/unit/cli_kdrain
CHECK_UNIT += $(BUILD)/tests/unit/cli_kdrain
