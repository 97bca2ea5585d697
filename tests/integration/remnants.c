/*
 * A test allocator, preloaded into the daemon by canary.sh: every block
 * freed through free(3) or moved by realloc(3) is searched for the canary
 * (XS_TEST_CANARY) before glibc gets it back.  A block that still holds it
 * is a secret left in the heap: the first few are reported, with a
 * backtrace, on the file descriptor XS_TEST_REMNANTS_FD, and the process
 * goes on.  For builds without AddressSanitizer, which has its own
 * allocator.
 */
#include "config.h"

#include <execinfo.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void	*__libc_malloc(size_t);
void	 __libc_free(void *);

#define REPORTS_MAX	16

static char		 canary[64];
static size_t		 canary_len;
static int		 report_fd = -1;
static int		 reports;
static __thread int	 busy;

__attribute__((constructor)) static void
remnants_init(void)
{
	const char	*c = getenv("XS_TEST_CANARY");
	const char	*fd = getenv("XS_TEST_REMNANTS_FD");

	if (c == NULL || fd == NULL || strlen(c) >= sizeof(canary))
		return;
	memcpy(canary, c, strlen(c));
	canary_len = strlen(c);
	report_fd = atoi(fd);
}

static void
say(const char *s)
{
	ssize_t	n = write(report_fd, s, strlen(s));

	(void)n;
}

/* Reports p when it still holds the canary. */
static void
check(void *p, size_t len)
{
	void	*frames[24];
	int	 n;

	if (p == NULL || canary_len == 0 || busy ||
	    memmem(p, len, canary, canary_len) == NULL)
		return;
	if (__atomic_add_fetch(&reports, 1, __ATOMIC_SEQ_CST) > REPORTS_MAX)
		return;
	busy = 1;
	say("remnant: a freed block holds the canary\n");
	n = backtrace(frames, 24);
	backtrace_symbols_fd(frames, n, report_fd);
	say("\n");
	busy = 0;
}

void
free(void *p)
{
	if (p != NULL)
		check(p, malloc_usable_size(p));
	__libc_free(p);
}

/* Always moves, so that the old block is checked and then freed. */
void *
realloc(void *p, size_t n)
{
	void	*q;
	size_t	 old;

	if (p == NULL)
		return __libc_malloc(n);
	if (n == 0) {
		free(p);
		return NULL;
	}
	if ((q = __libc_malloc(n)) == NULL)
		return NULL;
	old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	free(p);
	return q;
}
