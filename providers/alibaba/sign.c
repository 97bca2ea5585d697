/*
 * Signing of Alibaba Cloud RPC requests: ACS3-HMAC-SHA256 and HMAC-SHA1.
 *
 * Both schemes start from a canonical, sorted list of percent-encoded
 * parameters.  The parameters are encoded once into one buffer, the pairs
 * are sorted by their encoded key (then value) with qsort_r over offsets
 * into that buffer, and the result is joined with "&".  Sorting the encoded
 * form matters: "/" sorts before "-" once it is "%2F".
 *
 * The buffers live in secure memory because the query of an STS-signed
 * request carries the security token.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sign.h"

static const char hexdigits[] = "0123456789abcdef";
static const char hexupper[] = "0123456789ABCDEF";

void
buf_init(struct buf *b, const struct xs_host *host)
{
	memset(b, 0, sizeof(*b));
	b->host = host;
	b->max = BUF_MAX_DEFAULT;
}

static int
buf_grow(struct buf *b, size_t need)
{
	size_t	 cap;
	char	*p;

	if (b->failed)
		return -1;
	if (need > b->max) {
		b->failed = 1;
		return -1;
	}
	if (need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 128;
	while (cap < need + 1)
		cap *= 2;
	if ((p = b->host->secure_alloc(cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	if (b->p != NULL) {
		memcpy(p, b->p, b->len);
		b->host->secure_free(b->p);
	}
	b->p = p;
	b->cap = cap;
	b->p[b->len] = '\0';
	return 0;
}

void
buf_add(struct buf *b, const void *data, size_t len)
{
	if (len > b->max || buf_grow(b, b->len + len) == -1)
		return;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	char	tmp[512];
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = 1;
		return;
	}
	buf_add(b, tmp, (size_t)n);
	b->host->cleanse(tmp, sizeof(tmp));
}

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

void
buf_pe(struct buf *b, const char *s, size_t len)
{
	size_t		i;
	unsigned char	c;
	char		esc[3];

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (unreserved(c)) {
			buf_add(b, &s[i], 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hexupper[c >> 4];
		esc[2] = hexupper[c & 15];
		buf_add(b, esc, 3);
	}
}

void
buf_free(struct buf *b)
{
	if (b->p != NULL)
		b->host->secure_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	size_t	i;

	for (i = 0; i < len; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void
sign_sha256_hex(const struct xs_host *host, const void *data, size_t len,
    char out[65])
{
	uint8_t	md[32];

	host->sha256(data, len, md);
	hex_encode(md, sizeof(md), out);
}

/* One encoded pair: offsets into the shared buffer. */
struct pair {
	size_t	koff, klen;
	size_t	voff, vlen;
};

static int
pair_cmp(const void *a, const void *b, void *arg)
{
	const struct pair	*x = a, *y = b;
	const char		*base = arg;
	size_t			 n;
	int			 r;

	n = x->klen < y->klen ? x->klen : y->klen;
	if ((r = memcmp(base + x->koff, base + y->koff, n)) != 0)
		return r;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	n = x->vlen < y->vlen ? x->vlen : y->vlen;
	if ((r = memcmp(base + x->voff, base + y->voff, n)) != 0)
		return r;
	if (x->vlen != y->vlen)
		return x->vlen < y->vlen ? -1 : 1;
	return 0;
}

int
sign_canonical_query(const struct sign_param *params, size_t n,
    struct buf *out)
{
	struct pair	pairs[SIGN_MAX_PARAMS];
	struct buf	enc;
	size_t		i;
	int		rc = -1;

	if (n > SIGN_MAX_PARAMS)
		return -1;
	buf_init(&enc, out->host);
	for (i = 0; i < n; i++) {
		pairs[i].koff = enc.len;
		buf_pe(&enc, params[i].key, strlen(params[i].key));
		pairs[i].klen = enc.len - pairs[i].koff;
		pairs[i].voff = enc.len;
		buf_pe(&enc, params[i].value, strlen(params[i].value));
		pairs[i].vlen = enc.len - pairs[i].voff;
	}
	if (enc.failed)
		goto done;
	if (n > 0)
		qsort_r(pairs, n, sizeof(pairs[0]), pair_cmp, enc.p);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_add(out, "&", 1);
		buf_add(out, enc.p + pairs[i].koff, pairs[i].klen);
		buf_add(out, "=", 1);
		buf_add(out, enc.p + pairs[i].voff, pairs[i].vlen);
	}
	rc = out->failed ? -1 : 0;
done:
	buf_free(&enc);
	return rc;
}

static int
header_signed(const char *name)
{
	return strcasecmp(name, "host") == 0 ||
	    strcasecmp(name, "content-type") == 0 ||
	    strncasecmp(name, "x-acs-", 6) == 0;
}

static int
header_cmp(const void *a, const void *b)
{
	const struct xs_http_header *const	*x = a, *const *y = b;

	return strcasecmp((*x)->name, (*y)->name);
}

/* Appends a header name in lower case. */
static void
buf_lower(struct buf *b, const char *s)
{
	char	c;

	for (; *s != '\0'; s++) {
		c = *s;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		buf_add(b, &c, 1);
	}
}

/* Appends a header value without its surrounding blanks. */
static void
buf_trimmed(struct buf *b, const char *s)
{
	size_t	len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	buf_add(b, s, len);
}

int
sign_v3_canonical(const struct sign_v3_req *req, struct buf *canon,
    struct buf *signed_headers)
{
	const struct xs_http_header	*hs[SIGN_MAX_HEADERS];
	size_t				 i, n = 0;

	for (i = 0; i < req->nheaders; i++) {
		if (!header_signed(req->headers[i].name))
			continue;
		if (n == SIGN_MAX_HEADERS)
			return -1;
		hs[n++] = &req->headers[i];
	}
	qsort(hs, n, sizeof(hs[0]), header_cmp);

	buf_str(canon, req->method);
	buf_str(canon, "\n/\n");
	if (sign_canonical_query(req->query, req->nquery, canon) == -1)
		return -1;
	buf_add(canon, "\n", 1);
	for (i = 0; i < n; i++) {
		buf_lower(canon, hs[i]->name);
		buf_add(canon, ":", 1);
		buf_trimmed(canon, hs[i]->value);
		buf_add(canon, "\n", 1);
		if (i > 0)
			buf_add(signed_headers, ";", 1);
		buf_lower(signed_headers, hs[i]->name);
	}
	buf_add(canon, "\n", 1);
	buf_add(canon, signed_headers->p ? signed_headers->p : "",
	    signed_headers->len);
	buf_add(canon, "\n", 1);
	buf_str(canon, req->body_sha256);
	return canon->failed || signed_headers->failed ? -1 : 0;
}

int
sign_v3(const struct xs_host *host, const struct sign_v3_req *req,
    const char *secret, char hash[65], char sig[65],
    struct buf *signed_headers)
{
	struct buf	canon, sts;
	uint8_t		mac[32];
	int		rc = -1;

	buf_init(&canon, host);
	buf_init(&sts, host);
	if (sign_v3_canonical(req, &canon, signed_headers) == -1)
		goto done;
	sign_sha256_hex(host, canon.p, canon.len, hash);
	buf_str(&sts, "ACS3-HMAC-SHA256\n");
	buf_str(&sts, hash);
	if (sts.failed)
		goto done;
	host->hmac_sha256(secret, strlen(secret), sts.p, sts.len, mac);
	hex_encode(mac, sizeof(mac), sig);
	host->cleanse(mac, sizeof(mac));
	rc = 0;
done:
	buf_free(&canon);
	buf_free(&sts);
	return rc;
}

int
sign_v1_string(const char *method, const struct sign_param *params,
    size_t n, struct buf *out)
{
	struct buf	cqs;
	int		rc = -1;

	buf_init(&cqs, out->host);
	if (sign_canonical_query(params, n, &cqs) == -1)
		goto done;
	buf_str(out, method);
	buf_str(out, "&%2F&");
	buf_pe(out, cqs.p, cqs.len);
	rc = out->failed ? -1 : 0;
done:
	buf_free(&cqs);
	return rc;
}

int
sign_v1(const struct xs_host *host, const char *method,
    const struct sign_param *params, size_t n, const char *secret,
    char sig[29])
{
	struct buf	 sts, key;
	uint8_t		 mac[20];
	char		*b64 = NULL;
	size_t		 b64len;
	int		 rc = -1;

	buf_init(&sts, host);
	buf_init(&key, host);
	buf_str(&key, secret);
	buf_add(&key, "&", 1);
	if (sign_v1_string(method, params, n, &sts) == -1 || key.failed)
		goto done;
	host->hmac_sha1(key.p, key.len, sts.p, sts.len, mac);
	b64 = host->base64_encode(mac, sizeof(mac), &b64len);
	host->cleanse(mac, sizeof(mac));
	if (b64 == NULL || b64len != 28)
		goto done;
	memcpy(sig, b64, 29);
	rc = 0;
done:
	if (b64 != NULL)
		host->secure_free(b64);
	buf_free(&sts);
	buf_free(&key);
	return rc;
}

void
sign_timestamp(int64_t ms, char out[21])
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
sign_nonce(const struct xs_host *host, char out[33])
{
	uint8_t	rnd[16];

	if (host->random(rnd, sizeof(rnd)) != XS_OK)
		return -1;
	hex_encode(rnd, sizeof(rnd), out);
	return 0;
}
