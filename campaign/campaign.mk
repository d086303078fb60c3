# campaign/ - fault-injection campaigns (mmiotap campaign plan|run|report):
# plan building and files, the experiment runner, outcome classification
# and the report. Linked into the mmiotap command.
CAMPAIGN_SRCS := $(wildcard campaign/*.c)
CAMPAIGN_OBJS := $(CAMPAIGN_SRCS:%.c=$(BUILD)/%.o)
CLI_EXTRA_OBJS += $(CAMPAIGN_OBJS)
$(CAMPAIGN_OBJS): ALL_CFLAGS += -Icampaign
$(BUILD)/cli/campaign.o: ALL_CFLAGS += -Icampaign
