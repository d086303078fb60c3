# tdiff/ - semantic diff of traces (libmttdiff.a): Myers sequence diff and
# traces as keyed element streams. Used by `mmiotap diff`. Register names
# come from regdb/, function names (--async) from sym/ (both listed again
# after it: static archives link in order).
TDIFF_SRCS := $(wildcard tdiff/src/*.c)
TDIFF_OBJS := $(TDIFF_SRCS:%.c=$(BUILD)/%.o)
TDIFF_LIB := $(BUILD)/libmttdiff.a

$(TDIFF_LIB): $(TDIFF_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(TDIFF_OBJS): ALL_CFLAGS += -Itdiff/include -Iregdb/include -Isym/include
ALL_TARGETS += $(TDIFF_LIB)

CLI_EXTRA_OBJS += $(TDIFF_LIB) $(REGDB_LIB) $(SYM_LIB)
$(BUILD)/cli/diff.o $(BUILD)/cli/diff_async.o: ALL_CFLAGS += -Itdiff/include

# Unit test: the diff is a shortest edit script (checked against an LCS by
# dynamic programming on random sequences).
$(BUILD)/tests/unit/tdiff_seq: $(BUILD)/tests/unit/tdiff_seq.o $(TDIFF_LIB) $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(BUILD)/tests/unit/tdiff_seq.o: ALL_CFLAGS += -Itdiff/include
ALL_TARGETS += $(BUILD)/tests/unit/tdiff_seq
CHECK_UNIT += $(BUILD)/tests/unit/tdiff_seq
