# cli/ - the mmiotap command: cli/main.c (dispatcher + shared helpers) and one
# file per subcommand (cli/*.c). Other fragments may append objects/libraries
# the subcommands need to CLI_EXTRA_OBJS / CLI_LIBS (e.g. RUNTIME_CLI_OBJS).

CLI_SRCS := $(wildcard cli/*.c)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
CLI_EXTRA_OBJS += $(RUNTIME_CLI_OBJS)
CLI_LIBS ?=
# `watch`: the program's symbols (cli/watch_sym.c)
CLI_LIBS += -lelf
MMIOTAP := $(BUILD)/mmiotap

$(MMIOTAP): $(CLI_OBJS) $(CLI_EXTRA_OBJS) $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(CLI_EXTRA_OBJS) $(FORMAT_LIB) $(CLI_LIBS) -lm

$(CLI_OBJS): ALL_CFLAGS += -Icli -I$(BUILD)/gen -Isym/include

# Build configuration the CLI compiles in (install.mk's variables): its
# version, and where `make install` puts the library relative to the
# command. Rewritten only when it changes, so the objects rebuild then.
MT_CONFIG_H := $(BUILD)/gen/mt_config.h
$(MT_CONFIG_H): FORCE
	@mkdir -p $(dir $@)
	@printf '#define MT_VERSION "%s"\n#define MT_LIBDIR_FROM_BINDIR "%s"\n#define MT_LIB_SONAME "%s"\n#define MT_REGDB_DIR "%s"\n' \
		'$(VERSION)' '$(LIBDIR_FROM_BINDIR)' '$(RT_LIB_SONAME)' '$(REGDB_DIR)' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/cli/main.o $(BUILD)/cli/record.o: $(MT_CONFIG_H)
.PHONY: FORCE
FORCE:

ALL_TARGETS += $(MMIOTAP)

# Unit tests of cli/ helpers: tests/unit/cli_*.c, each linked with its file.
$(BUILD)/tests/unit/cli_reap: $(BUILD)/tests/unit/cli_reap.o $(BUILD)/cli/reap.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(BUILD)/tests/unit/cli_%.o: ALL_CFLAGS += -Icli -Isym/include
ALL_TARGETS += $(BUILD)/tests/unit/cli_reap
CHECK_UNIT += $(BUILD)/tests/unit/cli_reap
$(BUILD)/tests/unit/cli_kdrain: $(BUILD)/tests/unit/cli_kdrain.o $(BUILD)/cli/pcisysfs.o $(SYM_LIB) $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lpthread $(SYM_LIBS)
ALL_TARGETS += $(BUILD)/tests/unit/cli_kdrain
CHECK_UNIT += $(BUILD)/tests/unit/cli_kdrain
