# The engine is a convenience library so that unit tests link exactly the
# modules they test; xsecretsd is main() on top of it.

noinst_LTLIBRARIES += libxscore.la
libxscore_la_SOURCES =
libxscore_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS) \
	$(YAML_CFLAGS) $(CJSON_CFLAGS) $(MHD_CFLAGS)
libxscore_la_LIBADD = $(CURL_LIBS) $(SSL_LIBS) $(CRYPTO_LIBS) \
	$(YAML_LIBS) $(CJSON_LIBS) $(MHD_LIBS) $(LTDL_LIBS) $(PTHREAD_LIBS)

# Unit tests of the engine link libxscore.la; see tests/unit/tap.h.
unit_libs = libxscore.la
unit_cppflags = $(libxscore_la_CPPFLAGS) -I$(top_srcdir)/tests/unit

include $(top_srcdir)/core/parse.mk
include $(top_srcdir)/core/hostapi.mk
include $(top_srcdir)/core/output.mk
include $(top_srcdir)/core/engine.mk
include $(top_srcdir)/core/daemon.mk
