/*
 * Small helpers of alibaba-emu: start-up failure, UTC time stamps in
 * Alibaba's form, strict numbers, random strings and bounded file reads.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "emu.h"

/* Start-up failure: prints the message and exits 1. */
void
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "alibaba-emu: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* calloc that cannot fail (start-up and control paths only). */
void *
xzalloc(size_t n)
{
	void	*p;

	if ((p = calloc(1, n)) == NULL)
		die("out of memory");
	return p;
}

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into buf. */
void
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Parses exactly "YYYY-MM-DDTHH:MM:SSZ"; -1 when malformed. */
int
parse_time(const char *s, time_t *out)
{
	struct tm	 tm;
	int		 i;

	if (strlen(s) != 20)
		return -1;
	for (i = 0; i < 20; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return -1;
		} else if (i == 10) {
			if (s[i] != 'T')
				return -1;
		} else if (i == 13 || i == 16) {
			if (s[i] != ':')
				return -1;
		} else if (i == 19) {
			if (s[i] != 'Z')
				return -1;
		} else if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Strict decimal in [min, max]; -1 otherwise. */
int
parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Fills out with n characters drawn from alphabet, then a NUL. */
void
random_chars(char *out, size_t n, const char *alphabet)
{
	unsigned char	 rnd[64];
	size_t		 i, alen = strlen(alphabet);

	while (n > 0) {
		size_t	 chunk = n < sizeof(rnd) ? n : sizeof(rnd);

		if (RAND_bytes(rnd, (int)chunk) != 1)
			die("RAND_bytes failed");
		for (i = 0; i < chunk; i++)
			*out++ = alphabet[rnd[i] % alen];
		n -= chunk;
	}
	*out = '\0';
}

/*
 * Reads at most max bytes of path into a new NUL-terminated buffer and its
 * length into *lenp.  NULL with errno set on failure (EFBIG when larger).
 */
char *
read_file(const char *path, size_t max, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (len <= max &&
	    (n = read(fd, buf + len, max + 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (n == -1 || len > max) {
		free(buf);
		errno = n == -1 ? errno : EFBIG;
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* The value of the request header name (any case) of call c, or NULL. */
const char *
call_header(struct call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name);
}
