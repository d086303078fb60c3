# install.mk - `make install` / `make uninstall` (PREFIX, DESTDIR and the
# directory variables of the top Makefile), `make install-dkms`.
#
#   $(BINDIR)/mmiotap
#   $(LIBDIR)/libmmiotap.so.$(RT_LIB_VERSION), .so.0, .so, libmmiotap.a
#       one library: the probe API for programs linked with -lmmiotap, and the
#       LD_PRELOAD runtime `mmiotap record` finds at $(LIBDIR_FROM_BINDIR)
#       relative to itself (cli/cli.mk)
#   $(INCLUDEDIR)/mmiotap/mmiotap.h
#   $(PKGCONFIGDIR)/libmmiotap.pc (and mmiotap.pc, the same under the
#       project's name)
#   $(MANDIR)/man{1,3,7}/..., $(BASHCOMPDIR)/mmiotap, $(DOCDIR)/examples/
#   $(MT_DATADIR)/: data/ (the gdb command file mmiotap.gdb of `mmiotap watch`)
#   $(MT_DATADIR)/regdb/: the register databases (regdb/db: *.xml, regdb.index)
#       that mmiotap decode/report search after $MMIOTAP_REGDB_PATH
#
# `make install-dkms` copies what dkms.conf builds the module from
# (Makefile, core/, format/, kmod/, third_party/zydis-src/) to
# $(DESTDIR)$(DKMS_SRCDIR); debian/rules uses it for mmiotap-dkms.

INSTALL ?= install
INSTALL_TARGETS := $(MMIOTAP) $(RT_PRELOAD_LIB) $(RT_STATIC_LIB) $(BUILD)/libmmiotap.pc
MAN_PAGES := $(wildcard docs/man/*.[1-8])
DATA_FILES := $(wildcard data/*)
REGDB_FILES := $(wildcard regdb/db/*.xml regdb/db/*.svd) regdb/db/regdb.index
EXAMPLE_SRCS := examples/mmio_demo.c examples/probe_demo.c examples/campaign_demo.c
BASH_COMPLETION := cli/mmiotap.bash-completion

.PHONY: install install-targets uninstall install-dkms
install-targets: $(INSTALL_TARGETS)

$(BUILD)/libmmiotap.pc: runtime/libmmiotap.pc.in FORCE
	@mkdir -p $(dir $@)
	@sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(VERSION)|' $< >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

install: install-targets
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/mmiotap \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)/examples \
		$(sort $(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))))
	$(INSTALL) -m 755 $(MMIOTAP) $(DESTDIR)$(BINDIR)/mmiotap
	$(INSTALL) -m 644 $(RT_PRELOAD_LIB) $(DESTDIR)$(LIBDIR)/libmmiotap.so.$(RT_LIB_VERSION)
	ln -sf libmmiotap.so.$(RT_LIB_VERSION) $(DESTDIR)$(LIBDIR)/$(RT_LIB_SONAME)
	ln -sf $(RT_LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmmiotap.so
	$(INSTALL) -m 644 $(RT_STATIC_LIB) $(DESTDIR)$(LIBDIR)/libmmiotap.a
	$(INSTALL) -m 644 runtime/include/mmiotap/mmiotap.h $(DESTDIR)$(INCLUDEDIR)/mmiotap/mmiotap.h
	$(INSTALL) -m 644 $(BUILD)/libmmiotap.pc $(DESTDIR)$(PKGCONFIGDIR)/libmmiotap.pc
	printf 'Name: mmiotap\nDescription: libmmiotap under the project name\nVersion: %s\nRequires: libmmiotap = %s\n' \
		'$(VERSION)' '$(VERSION)' >$(DESTDIR)$(PKGCONFIGDIR)/mmiotap.pc
	$(foreach p,$(MAN_PAGES),$(INSTALL) -m 644 $(p) $(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/ &&) true
	$(INSTALL) -m 644 $(BASH_COMPLETION) $(DESTDIR)$(BASHCOMPDIR)/mmiotap
	$(INSTALL) -m 644 $(EXAMPLE_SRCS) $(DESTDIR)$(DOCDIR)/examples/
	$(if $(DATA_FILES),$(INSTALL) -d $(DESTDIR)$(MT_DATADIR) && $(INSTALL) -m 644 $(DATA_FILES) $(DESTDIR)$(MT_DATADIR)/)
	$(INSTALL) -d $(DESTDIR)$(REGDB_DIR)
	$(INSTALL) -m 644 $(REGDB_FILES) $(DESTDIR)$(REGDB_DIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mmiotap $(DESTDIR)$(LIBDIR)/libmmiotap.so.$(RT_LIB_VERSION) \
		$(DESTDIR)$(LIBDIR)/$(RT_LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmmiotap.so \
		$(DESTDIR)$(LIBDIR)/libmmiotap.a $(DESTDIR)$(INCLUDEDIR)/mmiotap/mmiotap.h \
		$(DESTDIR)$(PKGCONFIGDIR)/libmmiotap.pc $(DESTDIR)$(PKGCONFIGDIR)/mmiotap.pc \
		$(DESTDIR)$(BASHCOMPDIR)/mmiotap \
		$(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p))) \
		$(foreach f,$(EXAMPLE_SRCS),$(DESTDIR)$(DOCDIR)/examples/$(notdir $(f))) \
		$(foreach f,$(DATA_FILES),$(DESTDIR)$(MT_DATADIR)/$(notdir $(f))) \
		$(foreach f,$(REGDB_FILES),$(DESTDIR)$(REGDB_DIR)/$(notdir $(f)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/mmiotap $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(REGDB_DIR) $(DESTDIR)$(MT_DATADIR) 2>/dev/null

install-dkms: $(ZYDIS_SRC)/src/Decoder.c
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)
	$(INSTALL) -d $(DESTDIR)$(DKMS_SRCDIR)/third_party/zydis-src
	tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='*.cmd' Makefile dkms.conf core format kmod | \
		tar -xf - -C $(DESTDIR)$(DKMS_SRCDIR)
	cd $(ZYDIS_SRC) && tar -chf - include src $(patsubst $(ZYDIS_SRC)/%,%,$(wildcard $(ZYDIS_SRC)/LICENSE $(ZYDIS_SRC)/VERSION)) | \
		tar -xf - -C $(abspath $(DESTDIR)$(DKMS_SRCDIR))/third_party/zydis-src
