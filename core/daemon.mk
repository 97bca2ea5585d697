# The daemon and the modules every other part uses.
libxscore_la_SOURCES += core/log.c core/log.h core/model.h core/manifest.h \
	core/value.h core/host.h core/target.h core/status.h core/reconcile.h \
	core/sched.h core/ratelimit.h core/metrics.h

sbin_PROGRAMS += xsecretsd
xsecretsd_SOURCES = core/xsecretsd.c
xsecretsd_CPPFLAGS = $(AM_CPPFLAGS)
xsecretsd_LDADD = libxscore.la

dist_man_MANS += doc/xsecretsd.8

check_PROGRAMS += tests/unit/test_log
TESTS += tests/unit/test_log
tests_unit_test_log_CPPFLAGS = $(unit_cppflags)
tests_unit_test_log_LDADD = $(unit_libs)
