/*
 * Logging and memory helpers shared by the whole daemon.
 *
 * Messages go to stderr, as text ("2026-12-03T10:00:00Z warn: ...") or as one
 * JSON object a line.  Levels are checked before anything is formatted.
 * log_warnx and friends never add errno; log_warn adds strerror(errno).  A
 * message must name its object ("externalsecret ns/name: ...") and must never
 * carry secret material.  Safe to call from any thread.
 */
#ifndef XS_LOG_H
#define XS_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "xsecrets/provider.h"	/* XS_LOG_* levels, XS_PRINTF */

#define LOG_FORMAT_TEXT	0
#define LOG_FORMAT_JSON	1

/* Set at start-up, before threads. */
void	log_init(int level, int format);
/* "error", "warn", "info", "debug" -> level, or -1. */
int	log_level_parse(const char *name);
int	log_enabled(int level);

void	log_msg(int level, const char *prefix, const char *fmt, va_list ap);
void	log_warn(const char *fmt, ...) XS_PRINTF(1, 2);
void	log_warnx(const char *fmt, ...) XS_PRINTF(1, 2);
void	log_info(const char *fmt, ...) XS_PRINTF(1, 2);
void	log_debug(const char *fmt, ...) XS_PRINTF(1, 2);
/* Broken invariant or out of memory at start-up: log and exit(1). */
void	fatal(const char *fmt, ...) XS_PRINTF(1, 2)
	    __attribute__((noreturn));
void	fatalx(const char *fmt, ...) XS_PRINTF(1, 2)
	    __attribute__((noreturn));

/*
 * Secure memory: zeroed on free; the length is kept in a header so that
 * xs_secure_free needs only the pointer.  xs_secure_free(NULL) is a no-op.
 */
void	*xs_secure_alloc(size_t len);
void	 xs_secure_free(void *p);
void	 xs_cleanse(void *p, size_t len);
char	*xs_secure_strndup(const char *s, size_t len);

/*
 * Heap blocks of libraries that may hold pieces of secrets (libcurl,
 * OpenSSL, libyaml): xs_zfree zeroes the whole block before freeing it;
 * xs_zrealloc always moves, and zeroes and frees the old block.  Blocks
 * come from malloc.  See xs_zero_library_heaps.
 */
void	 xs_zfree(void *p);
void	*xs_zrealloc(void *p, size_t len);
/*
 * Makes OpenSSL allocate through the above; call first thing in main,
 * before anything uses OpenSSL.  0, or -1 when it was too late.
 */
int	 xs_zero_library_heaps(void);

/* Allocation that cannot fail at start-up: fatal on failure. */
void	*xmalloc(size_t len);
void	*xcalloc(size_t n, size_t len);
char	*xstrdup(const char *s);

#endif /* XS_LOG_H */
