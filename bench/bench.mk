# bench/ - benchmarks (make bench). Other fragments append to BENCH_PROGS.
$(BUILD)/bench/bench_format: $(BUILD)/bench/bench_format.o $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
BENCH_PROGS += $(BUILD)/bench/bench_format
ALL_TARGETS += $(BUILD)/bench/bench_format
BENCH_PROGS += bench/bench_kmod.sh bench/bench_bulk.sh bench/bench_export.sh
BENCH_PROGS += bench/bench_watch.sh
