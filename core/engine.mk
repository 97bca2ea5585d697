# engine

# --- sched: scheduler, rate limiter, metrics server (engineer "sched") ---
libxscore_la_SOURCES += core/sched.c core/ratelimit.c core/metrics.c

check_PROGRAMS += tests/unit/test_sched tests/unit/test_ratelimit \
	tests/unit/test_metrics
TESTS += tests/unit/test_sched tests/unit/test_ratelimit \
	tests/unit/test_metrics
tests_unit_test_sched_CPPFLAGS = $(unit_cppflags)
tests_unit_test_sched_LDADD = $(unit_libs)
tests_unit_test_ratelimit_CPPFLAGS = $(unit_cppflags)
tests_unit_test_ratelimit_LDADD = $(unit_libs)
tests_unit_test_metrics_CPPFLAGS = $(unit_cppflags)
tests_unit_test_metrics_LDADD = $(unit_libs) $(CURL_LIBS)
# --- end sched ---

# --- engine: the reconciler (engineer "engine") ---
libxscore_la_SOURCES += core/reconcile.c
libxscore_la_SOURCES += core/reconcile_data.c
libxscore_la_SOURCES += core/reconcile_int.h
libxscore_la_SOURCES += core/reconcile_metrics.c
libxscore_la_SOURCES += core/reconcile_store.c
libxscore_la_SOURCES += core/reconcile_sync.c
libxscore_la_SOURCES += core/reconcile_write.c

check_PROGRAMS += tests/unit/test_reconcile
TESTS += tests/unit/test_reconcile
tests_unit_test_reconcile_CPPFLAGS = $(unit_cppflags)
tests_unit_test_reconcile_LDADD = $(unit_libs)
# --- end engine ---
