/*
 * A minimal TAP producer for unit tests.  Each test program is one process
 * (run by tests/run-test with a timeout); it prints "ok N - name" or
 * "not ok N - name" per check and the plan at the end, and exits non-zero
 * when any check failed.
 *
 *	ok(cond, "what is checked %d", i);
 *	is_int(got, want, "name");
 *	is_str(got, want, "name");
 *	return tap_done();
 */
#ifndef XS_TAP_H
#define XS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

#define is_int(got, want, name) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!ok(g_ == w_, "%s", (name)))				\
		printf("#   got %lld, want %lld (%s:%d)\n", g_, w_,	\
		    __FILE__, __LINE__);				\
} while (0)

#define is_str(got, want, name) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int same_ = (g_ == NULL && w_ == NULL) ||			\
	    (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0);		\
	if (!ok(same_, "%s", (name)))					\
		printf("#   got \"%s\", want \"%s\" (%s:%d)\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)",		\
		    __FILE__, __LINE__);				\
} while (0)

static inline void
diag(const char *s)
{
	printf("# %s\n", s);
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* XS_TAP_H */
