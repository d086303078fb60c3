# bench/ - benchmarks (make bench). Other fragments append to BENCH_PROGS.
$(BUILD)/bench/bench_format: $(BUILD)/bench/bench_format.o $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
BENCH_PROGS += $(BUILD)/bench/bench_format
ALL_TARGETS += $(BUILD)/bench/bench_format
BENCH_PROGS += bench/bench_kmod.sh bench/bench_bulk.sh bench/bench_export.sh
BENCH_PROGS += bench/bench_watch.sh
$(BUILD)/bench/bench_diff_gen: $(BUILD)/bench/bench_diff_gen.o $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_TARGETS += $(BUILD)/bench/bench_diff_gen
BENCH_PROGS += bench/bench_diff.sh
$(BUILD)/bench/bench_replay_prog: $(BUILD)/bench/bench_replay_prog.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_TARGETS += $(BUILD)/bench/bench_replay_prog
BENCH_PROGS += bench/bench_replay.sh
# decode throughput with a register database (issue 13)
$(BUILD)/bench/bench_decode_gen: $(BUILD)/bench/bench_decode_gen.o $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
ALL_TARGETS += $(BUILD)/bench/bench_decode_gen
BENCH_PROGS += bench/bench_decode.sh
