/*
 * Helpers shared by the tests of the output subsystem (test_target,
 * test_status, target_crash).
 */
#ifndef XS_OUTPUT_TEST_H
#define XS_OUTPUT_TEST_H

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* snprintf for paths and messages; a truncation ends the test (exit 99). */
static inline void __attribute__((format(printf, 3, 4)))
fmt(char *buf, size_t len, const char *f, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "path too long\n");
		exit(99);
	}
}

/* Makes a fresh directory $TMPDIR/<name>.<random> into buf, or exits. */
static inline void
scratch_dir(char *buf, size_t len, const char *name)
{
	const char	*tmp = getenv("TMPDIR");

	fmt(buf, len, "%s/%s.XXXXXX", tmp ? tmp : "/tmp", name);
	if (mkdtemp(buf) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
}

/* Removes a scratch directory and everything in it. */
static inline void
scratch_remove(const char *dir)
{
	char	cmd[PATH_MAX + 16];

	fmt(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif /* XS_OUTPUT_TEST_H */
