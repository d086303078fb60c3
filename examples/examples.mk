# examples/ - programs to try mmiotap on (built by `make`).
EXAMPLES := $(BUILD)/examples/mmio_demo $(BUILD)/examples/probe_demo $(BUILD)/examples/campaign_demo

$(BUILD)/examples/mmio_demo: $(BUILD)/examples/mmio_demo.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^

# campaign_demo's bug must be a SIGSEGV, also in the SAN=1 build (not UBSan's exit)
$(BUILD)/examples/campaign_demo: $(BUILD)/examples/campaign_demo.o
	$(CC) $(ALL_LDFLAGS) -fno-sanitize=all -o $@ $^
$(BUILD)/examples/campaign_demo.o: ALL_CFLAGS += -fno-sanitize=all

$(BUILD)/examples/probe_demo: $(BUILD)/examples/probe_demo.o $(RT_LIB) $(BUILD)/$(RT_LIB_SONAME)
	$(CC) $(ALL_LDFLAGS) -o $@ $< -L$(BUILD) -lmmiotap -Wl,-rpath,'$$ORIGIN/..'

ALL_TARGETS += $(EXAMPLES)
