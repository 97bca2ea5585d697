# output: the atomic local target writer and the status file and table.
libxscore_la_SOURCES += core/target.c core/status.c

check_PROGRAMS += tests/unit/test_target tests/unit/test_status \
	tests/unit/target_crash
TESTS += tests/unit/test_target tests/unit/test_status \
	tests/unit/target_kill.sh
EXTRA_DIST += tests/unit/target_kill.sh

tests_unit_test_target_SOURCES = tests/unit/test_target.c \
	tests/unit/output_test.h
tests_unit_test_target_CPPFLAGS = $(unit_cppflags)
tests_unit_test_target_LDADD = $(unit_libs)
tests_unit_test_status_SOURCES = tests/unit/test_status.c \
	tests/unit/output_test.h
tests_unit_test_status_CPPFLAGS = $(unit_cppflags)
tests_unit_test_status_LDADD = $(unit_libs)

# Helper of target_kill.sh: writes a target in a loop, or checks one.
tests_unit_target_crash_SOURCES = tests/unit/target_crash.c \
	tests/unit/output_test.h
tests_unit_target_crash_CPPFLAGS = $(unit_cppflags)
tests_unit_target_crash_LDADD = $(unit_libs)
