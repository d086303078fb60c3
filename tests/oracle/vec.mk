# tests/oracle/vec.mk - the vector/displaced oracle (owner: emu_vec).
# Included from core/core.mk. Needs the core library and the native runner.
MT_CORE_LIB ?= $(BUILD)/libmtcore.a

VEC_ORACLE := $(BUILD)/tests/oracle/vec_oracle
$(VEC_ORACLE): $(BUILD)/tests/oracle/vec_oracle.o $(BUILD)/runtime/common/xrun.o $(MT_CORE_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(ZYDIS_LIBS)

ALL_TARGETS += $(VEC_ORACLE)
CHECK_UNIT += $(VEC_ORACLE)
