# tests/oracle/vec.mk - the vector/displaced oracle (owner: emu_vec), built
# with gcc and with clang. Included from core/core.mk. vec_oracle.c is empty
# unless MT_VEC_ORACLE_MAIN is defined (the framework's wildcard links it).
VEC_ORACLE := $(BUILD)/tests/oracle/vec_oracle
VEC_ORACLE_CLANG := $(BUILD)/tests/oracle/vec_oracle-clang

$(VEC_ORACLE): tests/oracle/vec_oracle.c $(BUILD)/runtime/common/xrun.o $(BUILD)/libmtcore.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DMT_VEC_ORACLE_MAIN $(ALL_LDFLAGS) -o $@ $^ $(ZYDIS_LIBS)
$(VEC_ORACLE_CLANG): tests/oracle/vec_oracle.c $(BUILD)/clang/runtime/common/xrun.o $(BUILD)/clang/libmtcore.a
	@mkdir -p $(dir $@)
	clang $(ALL_CFLAGS) -DMT_VEC_ORACLE_MAIN $(ALL_LDFLAGS) -o $@ $^ $(ZYDIS_LIBS)

ALL_TARGETS += $(VEC_ORACLE) $(VEC_ORACLE_CLANG)
CHECK_UNIT += $(VEC_ORACLE) $(VEC_ORACLE_CLANG)
