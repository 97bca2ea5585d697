# plugins: the kit for provider authors.  xsecrets-conformance runs any
# provider module through the checks of xsecrets-conformance(1) with its own
# instrumented host; it links libcrypto, cJSON and libcurl (for passthrough
# HTTP), never the engine.
bin_PROGRAMS += xsecrets-conformance
xsecrets_conformance_SOURCES = \
	plugins/conformance/conformance.h \
	plugins/conformance/main.c \
	plugins/conformance/checks.c \
	plugins/conformance/chost.c \
	plugins/conformance/chttp.c \
	plugins/conformance/elf.c \
	plugins/conformance/fixtures.c
xsecrets_conformance_CPPFLAGS = $(AM_CPPFLAGS) $(CJSON_CFLAGS) \
	$(CRYPTO_CFLAGS) $(CURL_CFLAGS)
xsecrets_conformance_LDADD = $(CJSON_LIBS) $(CRYPTO_LIBS) $(CURL_LIBS) \
	$(PTHREAD_LIBS)

dist_man_MANS += doc/xsecrets-provider.7 doc/xsecrets-conformance.1

# Fixture providers that each break one rule, and the harness's own tests.
fixture_cflags = $(provider_cflags)
fixture_ldflags = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere

check_LTLIBRARIES += tests/fixtures/conformance/good.la
tests_fixtures_conformance_good_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_good_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_NONE -DNAME='"good"'
tests_fixtures_conformance_good_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_good_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/abi-major.la
tests_fixtures_conformance_abi_major_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_abi_major_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_ABI -DNAME='"abi-major"'
tests_fixtures_conformance_abi_major_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_abi_major_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/exports.la
tests_fixtures_conformance_exports_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_exports_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_EXPORTS -DNAME='"exports"'
tests_fixtures_conformance_exports_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_exports_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/stdout.la
tests_fixtures_conformance_stdout_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_stdout_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_STDOUT -DNAME='"stdout"'
tests_fixtures_conformance_stdout_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_stdout_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/leak.la
tests_fixtures_conformance_leak_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_leak_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_LEAK -DNAME='"leak"'
tests_fixtures_conformance_leak_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_leak_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/crash.la
tests_fixtures_conformance_crash_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_crash_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_CRASH -DNAME='"crash"'
tests_fixtures_conformance_crash_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_crash_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/notfound.la
tests_fixtures_conformance_notfound_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_notfound_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_NOTFOUND -DNAME='"notfound"'
tests_fixtures_conformance_notfound_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_notfound_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/echo.la
tests_fixtures_conformance_echo_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_echo_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_ECHO -DNAME='"echo"'
tests_fixtures_conformance_echo_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_echo_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/hang.la
tests_fixtures_conformance_hang_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_hang_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_HANG -DNAME='"hang"'
tests_fixtures_conformance_hang_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_hang_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/http-good.la
tests_fixtures_conformance_http_good_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_http_good_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_NONE -DNAME='"http-good"' -DHTTP
tests_fixtures_conformance_http_good_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_http_good_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/http-codes.la
tests_fixtures_conformance_http_codes_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_http_codes_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_CODES -DNAME='"http-codes"' -DHTTP
tests_fixtures_conformance_http_codes_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_http_codes_la_LDFLAGS = $(fixture_ldflags)

check_LTLIBRARIES += tests/fixtures/conformance/http-retry.la
tests_fixtures_conformance_http_retry_la_SOURCES = \
	tests/fixtures/conformance/broken.c
tests_fixtures_conformance_http_retry_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DBREAK=BREAK_RETRY -DNAME='"http-retry"' -DHTTP
tests_fixtures_conformance_http_retry_la_CFLAGS = $(fixture_cflags)
tests_fixtures_conformance_http_retry_la_LDFLAGS = $(fixture_ldflags)

# The passthrough HTTP against a server of the test's own.
check_PROGRAMS += tests/conformance/test_chttp
TESTS += tests/conformance/test_chttp
tests_conformance_test_chttp_SOURCES = \
	tests/conformance/test_chttp.c \
	plugins/conformance/chttp.c \
	plugins/conformance/conformance.h
tests_conformance_test_chttp_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/plugins/conformance -I$(top_srcdir)/tests/unit \
	$(CURL_CFLAGS) $(CRYPTO_CFLAGS)
tests_conformance_test_chttp_LDADD = $(CURL_LIBS) $(CRYPTO_LIBS) \
	$(PTHREAD_LIBS)

TESTS += tests/conformance/fixtures.sh tests/conformance/skeleton.sh \
	tests/conformance/alibaba-emu.sh
EXTRA_DIST += tests/conformance/fixtures.sh tests/conformance/skeleton.sh \
	tests/conformance/alibaba-emu.sh \
	tests/conformance/fake.fixtures tests/conformance/broken.fixtures \
	tests/conformance/http.fixtures tests/conformance/alibaba.fixtures \
	plugins/skeleton/skeleton.fixtures \
	plugins/skeleton/skeleton.c plugins/skeleton/Makefile \
	plugins/skeleton/ci-check.sh
