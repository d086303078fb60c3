# tools/tools.mk - developer tools: the instruction census, and the core
# benchmark (bench/bench_core.c; bench/bench.mk belongs to the runtime bench).
#
#   $(BUILD)/mmiotap-census [FILES...]   census of memory-operand instructions
#   $(BUILD)/bench_core                  decode / cache-hit / emulate ns per access

# The emulator core library, built by core/core.mk.
MT_CORE_LIB ?= $(BUILD)/libmtcore.a

CENSUS := $(BUILD)/mmiotap-census
$(CENSUS): $(BUILD)/tools/census/census.o $(MT_CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ZYDIS_LIBS)

BENCH_CORE := $(BUILD)/bench_core
$(BENCH_CORE): $(BUILD)/bench/bench_core.o $(MT_CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ZYDIS_LIBS)

ALL_TARGETS += $(CENSUS) $(BENCH_CORE)
BENCH_PROGS += $(BENCH_CORE)
CHECK_SCRIPTS += tests/unit/census_libc.sh tests/unit/census_malformed.sh
