# plugins: the kit for provider authors.  xsecrets-conformance runs any
# provider module through the checks of xsecrets-conformance(1) with its own
# instrumented host; it links libcrypto and cJSON, never the engine.
bin_PROGRAMS += xsecrets-conformance
xsecrets_conformance_SOURCES = \
	plugins/conformance/conformance.h \
	plugins/conformance/main.c \
	plugins/conformance/checks.c \
	plugins/conformance/chost.c \
	plugins/conformance/elf.c \
	plugins/conformance/fixtures.c
xsecrets_conformance_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS) \
	$(CRYPTO_CFLAGS)
xsecrets_conformance_LDADD = $(CJSON_LIBS) $(CRYPTO_LIBS) $(PTHREAD_LIBS)

dist_man_MANS += doc/xsecrets-provider.7 doc/xsecrets-conformance.1
