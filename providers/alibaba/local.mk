# providers/alibaba: the Alibaba Cloud KMS provider, built only on the
# public ABI.  Its unit tests link the sources they test with a test host
# (tests/unit/test_alibaba_host.c) whose crypto comes from libcrypto.

provider_LTLIBRARIES += providers/alibaba/alibaba.la
providers_alibaba_alibaba_la_SOURCES = \
	providers/alibaba/alibaba.c \
	providers/alibaba/alibaba.h \
	providers/alibaba/config.c \
	providers/alibaba/errors.c \
	providers/alibaba/errors.h \
	providers/alibaba/find.c \
	providers/alibaba/kms.c \
	providers/alibaba/rrsa.c \
	providers/alibaba/rrsa.h \
	providers/alibaba/sign.c \
	providers/alibaba/sign.h
providers_alibaba_alibaba_la_CFLAGS = $(provider_cflags)
providers_alibaba_alibaba_la_LDFLAGS = $(provider_ldflags) \
	-export-symbols-regex '^xs_provider_entry$$'
providers_alibaba_alibaba_la_LIBADD = $(PTHREAD_LIBS)

alibaba_test_cppflags = $(AM_CPPFLAGS) $(CRYPTO_CFLAGS) $(CJSON_CFLAGS) \
	-I$(top_srcdir)/tests/unit
alibaba_test_libs = $(CRYPTO_LIBS) $(CJSON_LIBS) $(PTHREAD_LIBS)
alibaba_test_host = \
	tests/unit/test_alibaba_host.c \
	tests/unit/test_alibaba_host.h \
	tests/unit/tap.h

check_PROGRAMS += tests/unit/test_alibaba_sign
TESTS += tests/unit/test_alibaba_sign
tests_unit_test_alibaba_sign_SOURCES = \
	tests/unit/test_alibaba_sign.c \
	$(alibaba_test_host) \
	providers/alibaba/sign.c
tests_unit_test_alibaba_sign_CPPFLAGS = $(alibaba_test_cppflags)
tests_unit_test_alibaba_sign_LDADD = $(alibaba_test_libs)

check_PROGRAMS += tests/unit/test_alibaba_errors
TESTS += tests/unit/test_alibaba_errors
tests_unit_test_alibaba_errors_SOURCES = \
	tests/unit/test_alibaba_errors.c \
	$(alibaba_test_host) \
	providers/alibaba/errors.c
tests_unit_test_alibaba_errors_CPPFLAGS = $(alibaba_test_cppflags)
tests_unit_test_alibaba_errors_LDADD = $(alibaba_test_libs)

# Tests that drive the whole plugin link all of its sources.
alibaba_all_sources = \
	providers/alibaba/alibaba.c \
	providers/alibaba/config.c \
	providers/alibaba/errors.c \
	providers/alibaba/find.c \
	providers/alibaba/kms.c \
	providers/alibaba/rrsa.c \
	providers/alibaba/sign.c

check_PROGRAMS += tests/unit/test_alibaba_config
TESTS += tests/unit/test_alibaba_config
tests_unit_test_alibaba_config_SOURCES = \
	tests/unit/test_alibaba_config.c \
	$(alibaba_test_host) \
	$(alibaba_all_sources)
tests_unit_test_alibaba_config_CPPFLAGS = $(alibaba_test_cppflags)
tests_unit_test_alibaba_config_LDADD = $(alibaba_test_libs)

check_PROGRAMS += tests/unit/test_alibaba_rrsa
TESTS += tests/unit/test_alibaba_rrsa
tests_unit_test_alibaba_rrsa_SOURCES = \
	tests/unit/test_alibaba_rrsa.c \
	$(alibaba_test_host) \
	$(alibaba_all_sources)
tests_unit_test_alibaba_rrsa_CPPFLAGS = $(alibaba_test_cppflags)
tests_unit_test_alibaba_rrsa_LDADD = $(alibaba_test_libs)

check_PROGRAMS += tests/unit/test_alibaba_read
TESTS += tests/unit/test_alibaba_read
tests_unit_test_alibaba_read_SOURCES = \
	tests/unit/test_alibaba_read.c \
	$(alibaba_test_host) \
	$(alibaba_all_sources)
tests_unit_test_alibaba_read_CPPFLAGS = $(alibaba_test_cppflags)
tests_unit_test_alibaba_read_LDADD = $(alibaba_test_libs)

dist_man_MANS += doc/xsecrets-alibaba.5
