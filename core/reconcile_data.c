/*
 * The reconciler's data transforms: decoding values
 * (decodingStrategy), renaming keys (dataFrom[].rewrite[].regexp) and
 * making keys valid (conversionStrategy).  Pure functions with no state,
 * kept apart from the scheduling code so that tests reach them directly.
 *
 * Rewrites follow the semantics ESO users rely on, which come from Go's
 * regexp.ReplaceAllString: every non-overlapping match is replaced, an
 * empty match right after a previous match is skipped, and the template
 * expands $1, ${1} and $$; a named or unknown group expands to nothing and a
 * malformed "$" stays as it is.  The expressions themselves are POSIX
 * extended ones (regcomp), the closest the C library has.
 */
#include "config.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ere.h"
#include "log.h"
#include "reconcile_int.h"

#define KEY_WORK_MAX	4096	/* longest key while rewriting */
#define NGROUPS		10

struct sbuf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	char	*nb;
	size_t	 ncap;

	if (b->failed)
		return;
	if (b->len + n + 1 > KEY_WORK_MAX) {
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((nb = realloc(b->buf, ncap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->buf = nb;
		b->cap = ncap;
	}
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static int
is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

/*
 * Reads the group name after a '$' at t (t points past the '$').  Returns
 * the number of template bytes used, 0 when malformed; *group is the group
 * index, or -1 for a name that is not a number.
 */
static size_t
template_group(const char *t, int *group)
{
	size_t	 i, start, end, used;
	int	 n;

	if (t[0] == '{') {
		start = 1;
		for (end = 1; is_name_char(t[end]); end++)
			;
		if (t[end] != '}' || end == 1)
			return 0;
		used = end + 1;
	} else {
		start = 0;
		for (end = 0; is_name_char(t[end]); end++)
			;
		if (end == 0)
			return 0;
		used = end;
	}
	n = 0;
	for (i = start; i < end; i++) {
		if (t[i] < '0' || t[i] > '9' || n > 1000) {
			*group = -1;
			return used;
		}
		n = n * 10 + (t[i] - '0');
	}
	*group = n;
	return used;
}

static void
expand(struct sbuf *b, const char *tmpl, const char *subject,
    const regmatch_t *m)
{
	const char	*t;
	size_t		 used;
	int		 g;

	for (t = tmpl; *t != '\0'; t++) {
		if (*t != '$') {
			sbuf_add(b, t, 1);
			continue;
		}
		if (t[1] == '$') {
			sbuf_add(b, "$", 1);
			t++;
			continue;
		}
		if ((used = template_group(t + 1, &g)) == 0) {
			sbuf_add(b, "$", 1);
			continue;
		}
		t += used;
		if (g >= 0 && g < NGROUPS && m[g].rm_so != -1)
			sbuf_add(b, subject + m[g].rm_so,
			    (size_t)(m[g].rm_eo - m[g].rm_so));
	}
}

static char *
replace_all(const regex_t *re, const char *s, const char *tmpl)
{
	struct sbuf	 b;
	regmatch_t	 m[NGROUPS];
	const char	*p, *end;
	int		 eflags, after_match;

	memset(&b, 0, sizeof(b));
	sbuf_add(&b, "", 0);
	end = s + strlen(s);
	p = s;
	eflags = 0;
	after_match = 0;
	while (p <= end && !b.failed) {
		if (regexec(re, p, NGROUPS, m, eflags) != 0)
			break;
		if (m[0].rm_so == m[0].rm_eo && m[0].rm_so == 0 &&
		    after_match) {
			/* An empty match abutting the last one: skip it. */
			if (p == end)
				break;
			sbuf_add(&b, p, 1);
			p++;
			after_match = 0;
			eflags = REG_NOTBOL;
			continue;
		}
		sbuf_add(&b, p, (size_t)m[0].rm_so);
		expand(&b, tmpl, p, m);
		if (m[0].rm_so == m[0].rm_eo) {
			if (p + m[0].rm_eo == end) {
				p = end;
				break;
			}
			sbuf_add(&b, p + m[0].rm_eo, 1);
			p += m[0].rm_eo + 1;
			after_match = 0;
		} else {
			p += m[0].rm_eo;
			after_match = 1;
		}
		eflags = REG_NOTBOL;
	}
	if (p < end)
		sbuf_add(&b, p, (size_t)(end - p));
	if (b.failed) {
		free(b.buf);
		return NULL;
	}
	return b.buf;
}

/*
 * Applies the rewrites rw[0..n-1] in order to key.  Returns a new string
 * (caller frees), or NULL with a message in err for an expression that does
 * not compile, or a key or a result as long as KEY_WORK_MAX.  Thread-safe.
 */
char *
reconcile_rewrite(const struct rewrite *rw, size_t n, const char *key,
    char *err, size_t errlen)
{
	regex_t	 re;
	char	*cur, *next;
	size_t	 i;

	/*
	 * regexec measures the rest of the string on every call, so a
	 * rewrite that removes one byte a match would take the square of a
	 * long key's length; keys are short, and a longer one is refused.
	 */
	if (n > 0 && strlen(key) >= KEY_WORK_MAX) {
		snprintf(err, errlen, "rewrite: key longer than %d bytes",
		    KEY_WORK_MAX - 1);
		return NULL;
	}
	if ((cur = strdup(key)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (ere_check(rw[i].source, NULL, 0) == -1 ||
		    regcomp(&re, rw[i].source, REG_EXTENDED) != 0) {
			snprintf(err, errlen, "rewrite[%zu]: invalid regexp",
			    i);
			free(cur);
			return NULL;
		}
		next = replace_all(&re, cur, rw[i].target);
		regfree(&re);
		free(cur);
		if (next == NULL) {
			snprintf(err, errlen, "rewrite[%zu]: key too long", i);
			return NULL;
		}
		cur = next;
	}
	return cur;
}

static int
is_key_char(unsigned int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* Decodes one UTF-8 sequence at s; U+FFFD and one byte when invalid. */
static size_t
utf8_next(const unsigned char *s, unsigned int *cp)
{
	unsigned int	 c, min;
	size_t		 n, i;

	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		goto bad;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}

/*
 * Makes key a valid secret key by conversionStrategy: CONVERT_DEFAULT puts
 * "_" for each character (rune) outside [-._a-zA-Z0-9], CONVERT_UNICODE
 * puts "_U%04x_" with its code point.  Returns a new string or NULL when
 * out of memory or too long.
 */
char *
reconcile_convert(int strategy, const char *key)
{
	const unsigned char	*p;
	struct sbuf		 b;
	unsigned int		 cp;
	size_t			 n;
	char			 tmp[16];

	memset(&b, 0, sizeof(b));
	sbuf_add(&b, "", 0);
	for (p = (const unsigned char *)key; *p != '\0'; p += n) {
		n = utf8_next(p, &cp);
		if (is_key_char(cp))
			sbuf_add(&b, (const char *)p, 1);
		else if (strategy == CONVERT_UNICODE) {
			snprintf(tmp, sizeof(tmp), "_U%04x_", cp);
			sbuf_add(&b, tmp, strlen(tmp));
		} else
			sbuf_add(&b, "_", 1);
	}
	if (b.failed) {
		free(b.buf);
		return NULL;
	}
	return b.buf;
}

static int
copy_secure(const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	if ((*out = xs_secure_alloc(len + 1)) == NULL)
		return -1;
	if (len > 0)
		memcpy(*out, in, len);
	(*out)[len] = '\0';
	*outlen = len;
	return 0;
}

static int
try_base64(const struct xs_host *host, const uint8_t *in, size_t len,
    int url, uint8_t **out, size_t *outlen)
{
	uint8_t	*dec;
	size_t	 n;
	int	 rc;

	if (len == 0)
		return copy_secure(in, 0, out, outlen);
	dec = host->base64_decode((const char *)in, len, url, &n);
	if (dec == NULL)
		return -1;
	rc = copy_secure(dec, n, out, outlen);
	host->secure_free(dec);
	return rc;
}

/*
 * Decodes a value by decodingStrategy into a new buffer in secure memory
 * (NUL-terminated for convenience; free with xs_secure_free).  DECODE_AUTO
 * tries the standard then the URL alphabet and keeps the value as it is
 * when neither fits.  0, or -1 when the value is not valid for the
 * strategy or memory ran out.
 */
int
reconcile_decode(const struct xs_host *host, int strategy,
    const uint8_t *in, size_t len, uint8_t **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	switch (strategy) {
	case DECODE_BASE64:
		return try_base64(host, in, len, 0, out, outlen);
	case DECODE_BASE64URL:
		return try_base64(host, in, len, 1, out, outlen);
	case DECODE_AUTO:
		if (try_base64(host, in, len, 0, out, outlen) == 0 ||
		    try_base64(host, in, len, 1, out, outlen) == 0)
			return 0;
		return copy_secure(in, len, out, outlen);
	default:
		return copy_secure(in, len, out, outlen);
	}
}
