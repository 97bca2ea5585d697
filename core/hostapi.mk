# The host side of the provider ABI: the struct xs_host table, its HTTP
# client and crypto helpers, and the module loader.

libxscore_la_SOURCES += core/host.c
libxscore_la_SOURCES += core/http.c
libxscore_la_SOURCES += core/http.h
libxscore_la_SOURCES += core/crypto.c
libxscore_la_SOURCES += core/crypto.h
libxscore_la_SOURCES += core/loader.c

check_PROGRAMS += tests/unit/test_host
check_PROGRAMS += tests/unit/test_http
check_PROGRAMS += tests/unit/test_crypto
check_PROGRAMS += tests/unit/test_loader
TESTS += tests/unit/test_host
TESTS += tests/unit/test_http
TESTS += tests/unit/test_crypto
TESTS += tests/unit/test_loader
tests_unit_test_host_CPPFLAGS = $(unit_cppflags)
tests_unit_test_host_LDADD = $(unit_libs)
tests_unit_test_http_CPPFLAGS = $(unit_cppflags)
tests_unit_test_http_LDADD = $(unit_libs) $(MHD_LIBS) $(CRYPTO_LIBS) \
	$(CURL_LIBS)
tests_unit_test_crypto_CPPFLAGS = $(unit_cppflags)
tests_unit_test_crypto_LDADD = $(unit_libs)
tests_unit_test_loader_CPPFLAGS = $(unit_cppflags)
tests_unit_test_loader_LDADD = $(unit_libs)
EXTRA_DIST += tests/unit/logcapture.h

# Provider modules for test_loader, each breaking one rule of the loader,
# all from one source (see its comment).  test_loader copies them from
# .libs into temporary directories.
loader_fixture_ldflags = $(AM_LDFLAGS) -module -avoid-version -shared \
	-rpath /nowhere
check_LTLIBRARIES += tests/fixtures/loader/good.la
tests_fixtures_loader_good_la_SOURCES = tests/fixtures/loader/module.c
tests_fixtures_loader_good_la_CPPFLAGS = $(AM_CPPFLAGS)
tests_fixtures_loader_good_la_CFLAGS = $(provider_cflags)
tests_fixtures_loader_good_la_LDFLAGS = $(loader_fixture_ldflags)
check_LTLIBRARIES += tests/fixtures/loader/badmajor.la
tests_fixtures_loader_badmajor_la_SOURCES = tests/fixtures/loader/module.c
tests_fixtures_loader_badmajor_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURE_NAME='"badmajor"' -DFIXTURE_MAJOR=2
tests_fixtures_loader_badmajor_la_CFLAGS = $(provider_cflags)
tests_fixtures_loader_badmajor_la_LDFLAGS = $(loader_fixture_ldflags)
check_LTLIBRARIES += tests/fixtures/loader/badminor.la
tests_fixtures_loader_badminor_la_SOURCES = tests/fixtures/loader/module.c
tests_fixtures_loader_badminor_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURE_NAME='"badminor"' -DFIXTURE_MINOR=99
tests_fixtures_loader_badminor_la_CFLAGS = $(provider_cflags)
tests_fixtures_loader_badminor_la_LDFLAGS = $(loader_fixture_ldflags)
check_LTLIBRARIES += tests/fixtures/loader/smallsize.la
tests_fixtures_loader_smallsize_la_SOURCES = tests/fixtures/loader/module.c
tests_fixtures_loader_smallsize_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURE_NAME='"smallsize"' -DFIXTURE_SIZE=16
tests_fixtures_loader_smallsize_la_CFLAGS = $(provider_cflags)
tests_fixtures_loader_smallsize_la_LDFLAGS = $(loader_fixture_ldflags)
check_LTLIBRARIES += tests/fixtures/loader/noentry.la
tests_fixtures_loader_noentry_la_SOURCES = tests/fixtures/loader/module.c
tests_fixtures_loader_noentry_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURE_NAME='"noentry"' -DFIXTURE_NO_ENTRY
tests_fixtures_loader_noentry_la_CFLAGS = $(provider_cflags)
tests_fixtures_loader_noentry_la_LDFLAGS = $(loader_fixture_ldflags)
check_LTLIBRARIES += tests/fixtures/loader/badname.la
tests_fixtures_loader_badname_la_SOURCES = tests/fixtures/loader/module.c
tests_fixtures_loader_badname_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURE_NAME='"other"'
tests_fixtures_loader_badname_la_CFLAGS = $(provider_cflags)
tests_fixtures_loader_badname_la_LDFLAGS = $(loader_fixture_ldflags)
check_LTLIBRARIES += tests/fixtures/loader/nullfn.la
tests_fixtures_loader_nullfn_la_SOURCES = tests/fixtures/loader/module.c
tests_fixtures_loader_nullfn_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURE_NAME='"nullfn"' -DFIXTURE_NULL_FN
tests_fixtures_loader_nullfn_la_CFLAGS = $(provider_cflags)
tests_fixtures_loader_nullfn_la_LDFLAGS = $(loader_fixture_ldflags)
check_LTLIBRARIES += tests/fixtures/loader/undef.la
tests_fixtures_loader_undef_la_SOURCES = tests/fixtures/loader/module.c
tests_fixtures_loader_undef_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURE_NAME='"undef"' -DFIXTURE_UNDEFINED
tests_fixtures_loader_undef_la_CFLAGS = $(provider_cflags)
tests_fixtures_loader_undef_la_LDFLAGS = $(loader_fixture_ldflags)
check_LTLIBRARIES += tests/fixtures/loader/badendpoint.la
tests_fixtures_loader_badendpoint_la_SOURCES = tests/fixtures/loader/module.c
tests_fixtures_loader_badendpoint_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFIXTURE_NAME='"badendpoint"' \
	-DFIXTURE_ENDPOINT='"http://plain.example.com"'
tests_fixtures_loader_badendpoint_la_CFLAGS = $(provider_cflags)
tests_fixtures_loader_badendpoint_la_LDFLAGS = $(loader_fixture_ldflags)
