# campaign/ - fault-injection campaigns (mmiotap campaign plan|run|report):
# plan building and files, the experiment runner, outcome classification
# and the report. Linked into the mmiotap command.
CAMPAIGN_SRCS := $(wildcard campaign/*.c)
CAMPAIGN_OBJS := $(CAMPAIGN_SRCS:%.c=$(BUILD)/%.o)
CLI_EXTRA_OBJS += $(CAMPAIGN_OBJS)
$(CAMPAIGN_OBJS): ALL_CFLAGS += -Icampaign -Isym/include
$(BUILD)/cli/campaign.o: ALL_CFLAGS += -Icampaign

# Unit test: plan files, results lines, faults (no process is run).
CAMPAIGN_UNIT_OBJS := $(filter-out $(BUILD)/campaign/run.o $(BUILD)/campaign/outcome.o $(BUILD)/campaign/collect.o,$(CAMPAIGN_OBJS))
$(BUILD)/tests/unit/campaign_plan: $(BUILD)/tests/unit/campaign_plan.o $(CAMPAIGN_UNIT_OBJS) $(FORMAT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^
$(BUILD)/tests/unit/campaign_plan.o: ALL_CFLAGS += -Icampaign
ALL_TARGETS += $(BUILD)/tests/unit/campaign_plan
CHECK_UNIT += $(BUILD)/tests/unit/campaign_plan
