# kmod/kmod.mk - `make kmod [KDIR=...]`: build mmiotap.ko out of tree in
# $(BUILD)/kmod (a directory of symlinks, see kmod/Kbuild).
#
# KDIR defaults to the running kernel's build dir, else Debian's
# linux-headers-*-amd64 (the newest installed).
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
	$(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))
KMOD_DIR := $(BUILD)/kmod
KMOD_KO := $(KMOD_DIR)/mmiotap.ko
ZYDIS_SRC := third_party/zydis-src
ZYCORE_INC ?= /usr/include/Zycore

.PHONY: kmod kmod-clean kmod-layout zydis-src

zydis-src: $(ZYDIS_SRC)/src/Decoder.c
$(ZYDIS_SRC)/src/Decoder.c:
	bash scripts/fetch-zydis-src.sh $(abspath $(ZYDIS_SRC))

# Refresh the symlink tree every time (new core/ files are picked up,
# removed ones dropped); objects stay, so kbuild stays incremental.
kmod-layout: $(ZYDIS_SRC)/src/Decoder.c
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "make kmod: no kernel headers (KDIR=$(KDIR)); apt-get install linux-headers-amd64 or pass KDIR=" >&2; exit 1; }
	@test -d $(ZYCORE_INC) || { echo "make kmod: $(ZYCORE_INC) missing: apt-get install libzycore-dev" >&2; exit 1; }
	@mkdir -p $(KMOD_DIR)/tests $(KMOD_DIR)/src $(KMOD_DIR)/core $(KMOD_DIR)/zydis $(KMOD_DIR)/inc $(KMOD_DIR)/format
	@find $(KMOD_DIR)/src $(KMOD_DIR)/core $(KMOD_DIR)/zydis -maxdepth 1 -type l -delete
	@ln -sf $(abspath kmod/Kbuild) $(KMOD_DIR)/Kbuild
	@ln -sfn $(ZYCORE_INC) $(KMOD_DIR)/inc/Zycore
	@for f in kmod/src/*.c; do [ -e "$$f" ] && ln -sf $(abspath .)/$$f $(KMOD_DIR)/src/; done; true
	@ln -sf $(abspath kmod/tests/mtk_edutest.c) $(abspath kmod/tests/mtk_probetest.c) $(abspath kmod/tests/mtk_ivtest.c) \
		$(abspath kmod/tests/mtk_ipmodify.c) $(abspath kmod/tests/mtk_trusttest.c) \
		$(abspath kmod/tests/mtk_hstest.c) $(KMOD_DIR)/tests/
	@ln -sf $(abspath format/src/inject_apply.c) $(KMOD_DIR)/format/
	@for f in core/src/*.c; do [ -e "$$f" ] && ln -sf $(abspath .)/$$f $(KMOD_DIR)/core/; done; true
	@for f in $(ZYDIS_SRC)/src/*.c; do ln -sf $(abspath .)/$$f $(KMOD_DIR)/zydis/; done

# KMOD_TESTS=0: only mmiotap.ko, not the test drivers (dkms.conf).
KMOD_TESTS ?= 1
kmod: kmod-layout
	$(MAKE) -C $(KDIR) M=$(abspath $(KMOD_DIR)) MT_TOP=$(abspath .) MT_KMOD_TESTS=$(KMOD_TESTS) modules
	@echo "built $(KMOD_KO)"

kmod-clean:
	rm -rf $(KMOD_DIR)

# Reader used by the VM tests (host program; the guest runs host binaries).
KMOD_READ := $(BUILD)/kmod-tools/mtk-read
$(KMOD_READ): kmod/tools/mtk-read.c format/include/mmiotap/kabi.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<
ALL_TARGETS += $(KMOD_READ)

# Raw /dev/mmiotap client for the session and stress tests (host program).
KMOD_CTL := $(BUILD)/kmod-tools/mtk-ctl
$(KMOD_CTL): kmod/tools/mtk-ctl.c format/include/mmiotap/kabi.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $<
ALL_TARGETS += $(KMOD_CTL)
