# The daemon and the modules every other part uses.
libxscore_la_SOURCES += core/log.c core/log.h core/model.h core/manifest.h \
	core/value.h core/host.h core/target.h core/status.h core/reconcile.h
libxscore_la_SOURCES += core/sched.h core/ratelimit.h core/metrics.h
