/*
 * Logging and memory helpers.
 *
 * A log line is written with one write(2) so that lines of concurrent
 * threads never interleave.  Text lines carry a UTC timestamp and the level;
 * JSON lines are {"time":..., "level":..., "msg":...} with the message
 * escaped.
 *
 * Secure memory keeps its length in a header in front of the block, so that
 * xs_secure_free can zero the whole block before it returns it.  Blocks are
 * not locked in memory (nor is the rest of the daemon: xsecretsd(8) asks
 * for encrypted swap or none); they stay out of core dumps through the
 * daemon's PR_SET_DUMPABLE setting and zero core size limit.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static int	log_level = XS_LOG_INFO;
static int	log_format = LOG_FORMAT_TEXT;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
log_init(int level, int format)
{
	log_level = level;
	log_format = format;
}

int
log_level_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_enabled(int level)
{
	return level <= log_level;
}

/* Appends s to buf as the inside of a JSON string; returns the new length. */
static size_t
json_escape(char *buf, size_t off, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	 c;

	for (; *s != '\0' && off + 7 < cap; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[off++] = '\\';
			buf[off++] = (char)c;
		} else if (c < 0x20) {
			memcpy(buf + off, "\\u00", 4);
			buf[off + 4] = hex[c >> 4];
			buf[off + 5] = hex[c & 0xf];
			off += 6;
		} else
			buf[off++] = (char)c;
	}
	return off;
}

void
log_msg(int level, const char *prefix, const char *fmt, va_list ap)
{
	char		 msg[LOG_LINE_MAX], line[LOG_LINE_MAX * 2], ts[32];
	struct tm	 tm;
	struct timespec	 now;
	size_t		 off;
	int		 n;

	if (!log_enabled(level))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (log_format == LOG_FORMAT_JSON) {
		n = snprintf(line, sizeof(line),
		    "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts,
		    level_names[level]);
		off = (size_t)n;
		if (prefix != NULL) {
			off = json_escape(line, off, sizeof(line), prefix);
			off = json_escape(line, off, sizeof(line), ": ");
		}
		off = json_escape(line, off, sizeof(line), msg);
		n = snprintf(line + off, sizeof(line) - off, "\"}\n");
		off += (size_t)n;
	} else {
		n = snprintf(line, sizeof(line), "%s %s: %s%s%s\n", ts,
		    level_names[level], prefix ? prefix : "",
		    prefix ? ": " : "", msg);
		off = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
		line[off - 1] = '\n';
	}
	(void)!write(STDERR_FILENO, line, off);
}

#define LOG_FN(fn, level)				\
void							\
fn(const char *fmt, ...)				\
{							\
	va_list	ap;					\
							\
	va_start(ap, fmt);				\
	log_msg(level, NULL, fmt, ap);			\
	va_end(ap);					\
}

LOG_FN(log_warnx, XS_LOG_WARN)
LOG_FN(log_info, XS_LOG_INFO)
LOG_FN(log_debug, XS_LOG_DEBUG)

void
log_warn(const char *fmt, ...)
{
	char	 buf[LOG_LINE_MAX];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", buf, strerror(saved));
}

void
fatal(const char *fmt, ...)
{
	char	 buf[LOG_LINE_MAX];
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fatalx("%s: %s", buf, strerror(saved));
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_msg(XS_LOG_ERROR, "fatal", fmt, ap);
	va_end(ap);
	exit(1);
}

/* The header in front of each secure block; keeps the payload aligned. */
union secure_hdr {
	size_t		len;
	max_align_t	align;
};

void *
xs_secure_alloc(size_t len)
{
	union secure_hdr *h;

	if (len > SIZE_MAX - sizeof(*h))
		return NULL;
	h = calloc(1, sizeof(*h) + len);
	if (h == NULL)
		return NULL;
	h->len = len;
	return h + 1;
}

void
xs_secure_free(void *p)
{
	union secure_hdr *h;

	if (p == NULL)
		return;
	h = (union secure_hdr *)p - 1;
	OPENSSL_cleanse(p, h->len);
	free(h);
}

void
xs_cleanse(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

void
xs_zfree(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

void *
xs_zrealloc(void *p, size_t len)
{
	void	*q;
	size_t	 old;

	if (p == NULL)
		return malloc(len != 0 ? len : 1);
	if ((q = malloc(len != 0 ? len : 1)) == NULL)
		return NULL;
	old = malloc_usable_size(p);
	memcpy(q, p, old < len ? old : len);
	xs_zfree(p);
	return q;
}

static void *
ossl_malloc(size_t len, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(len);
}

static void *
ossl_realloc(void *p, size_t len, const char *file, int line)
{
	(void)file;
	(void)line;
	return xs_zrealloc(p, len);
}

static void
ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	xs_zfree(p);
}

/*
 * OpenSSL frees TLS record buffers, which held the decrypted responses
 * (secret values), without cleansing them; with these functions every
 * block it frees is zeroed.
 */
int
xs_zero_library_heaps(void)
{
	return CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc,
	    ossl_free) == 1 ? 0 : -1;
}

char *
xs_secure_strndup(const char *s, size_t len)
{
	char	*p;

	if (len == SIZE_MAX || (p = xs_secure_alloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void *
xmalloc(size_t len)
{
	void	*p;

	if ((p = malloc(len == 0 ? 1 : len)) == NULL)
		fatal("malloc");
	return p;
}

void *
xcalloc(size_t n, size_t len)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, len == 0 ? 1 : len)) == NULL)
		fatal("calloc");
	return p;
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("strdup");
	return p;
}
