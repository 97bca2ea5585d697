# Integration scenarios: shell scripts that run the real daemon with the real
# providers on temporary directories.  Each speaks TAP.
EXTRA_DIST += tests/run-test tests/unit/tap.h tests/integration/lib.sh \
	$(integration_tests) examples

integration_tests = \
	tests/integration/demo.sh \
	tests/integration/policies.sh \
	tests/integration/badinput.sh \
	tests/integration/daemon.sh \
	tests/integration/kill9.sh \
	tests/integration/canary.sh \
	tests/integration/plugins.sh \
	tests/integration/alibaba.sh \
	tests/integration/ratelimit.sh \
	tests/integration/cli.sh \
	tests/integration/metrics.sh \
	tests/integration/reload.sh

TESTS += $(integration_tests)

# A test allocator the scenarios preload into the daemon (check_remnants in
# tests/integration/lib.sh).
check_LTLIBRARIES += tests/integration/remnants.la
tests_integration_remnants_la_SOURCES = tests/integration/remnants.c
tests_integration_remnants_la_LDFLAGS = -module -avoid-version -shared \
	-rpath /nowhere
