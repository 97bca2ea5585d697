/*
 * The emulator's signature code: percent-encoding, parameter parsing, the
 * V1 string-to-sign and the V3 canonical request, and the HMACs over them.
 *
 * Strings are built in a small growable buffer with a hard cap
 * (EMU_MAX_PARAMS_BYTES times three, the worst case of percent-encoding), so
 * a hostile request cannot make the emulator allocate without bound.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "emu_sign.h"

#define SB_MAX	(3 * EMU_MAX_PARAMS_BYTES + 4096)

struct sb {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

static void
sb_addn(struct sb *b, const char *s, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (b->failed)
		return;
	if (b->len + n + 1 > SB_MAX) {
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 128;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_add(struct sb *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

/* Appends pe(s) to b. */
static void
sb_add_pct(struct sb *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	unsigned char		 c;
	char			 esc[3];
	size_t			 i, run;

	for (i = 0; i < len; i += run) {
		for (run = 0; i + run < len; run++) {
			c = (unsigned char)s[i + run];
			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			    c == '.' || c == '~'))
				break;
		}
		if (run > 0) {
			sb_addn(b, s + i, run);
			continue;
		}
		c = (unsigned char)s[i];
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0xf];
		sb_addn(b, esc, 3);
		run = 1;
	}
}

/* Returns the finished string, or NULL (and frees it) when building failed. */
static char *
sb_finish(struct sb *b)
{
	if (b->failed) {
		free(b->p);
		return NULL;
	}
	if (b->p == NULL)
		return strdup("");
	return b->p;
}

/* pe(s): a new string, or NULL when out of memory or over the cap. */
char *
emu_pct_encode(const char *s, size_t len)
{
	struct sb	 b = { 0 };

	sb_add_pct(&b, s, len);
	return sb_finish(&b);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes len bytes of form-encoded s into a new string, or NULL. */
static char *
form_decode(const char *s, size_t len)
{
	char	*out;
	size_t	 i, o;
	int	 hi, lo;

	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = o = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			if (i + 2 >= len)
				goto bad;
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				goto bad;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* Appends copies of key and val; -1 when full or out of memory. */
int
emu_params_add(struct emu_params *ps, const char *key, const char *val)
{
	struct emu_param	*p;

	if (ps->n >= EMU_MAX_PARAMS)
		return -1;
	p = &ps->p[ps->n];
	p->key = strdup(key);
	p->val = strdup(val);
	if (p->key == NULL || p->val == NULL) {
		free(p->key);
		free(p->val);
		return -1;
	}
	ps->n++;
	return 0;
}

/*
 * Appends the pairs of a query or form body, decoded; -1 (with what was
 * parsed so far kept, for emu_params_free) when malformed or too many.
 */
int
emu_params_parse(struct emu_params *ps, const char *s, size_t len)
{
	const char		*pair, *end, *eq;
	struct emu_param	*p;
	size_t			 plen;

	if (len > EMU_MAX_PARAMS_BYTES)
		return -1;
	for (pair = s; pair < s + len; pair = end + 1) {
		if ((end = memchr(pair, '&', s + len - pair)) == NULL)
			end = s + len;
		plen = end - pair;
		if (plen == 0)
			continue;
		if (ps->n >= EMU_MAX_PARAMS)
			return -1;
		p = &ps->p[ps->n];
		if ((eq = memchr(pair, '=', plen)) == NULL)
			eq = end;
		if (eq == pair)
			return -1;
		p->key = form_decode(pair, eq - pair);
		p->val = eq == end ? strdup("") :
		    form_decode(eq + 1, end - eq - 1);
		if (p->key == NULL || p->val == NULL) {
			free(p->key);
			free(p->val);
			return -1;
		}
		ps->n++;
	}
	return 0;
}

/* The value of the first parameter called key, or NULL; not a copy. */
const char *
emu_params_get(const struct emu_params *ps, const char *key)
{
	size_t	 i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->p[i].key, key) == 0)
			return ps->p[i].val;
	return NULL;
}

/* Frees every pair and empties ps. */
void
emu_params_free(struct emu_params *ps)
{
	size_t	 i;

	for (i = 0; i < ps->n; i++) {
		free(ps->p[i].key);
		free(ps->p[i].val);
	}
	ps->n = 0;
}

static int
pair_cmp(const void *a, const void *b)
{
	const char *const	*pa = a, *const *pb = b;
	int			 r;

	if ((r = strcmp(pa[0], pb[0])) != 0)
		return r;
	return strcmp(pa[1], pb[1]);
}

/* The sorted, encoded "k=v&..." of ps without skip; a new string. */
char *
emu_canon_query(const struct emu_params *ps, const char *skip)
{
	char		*enc[EMU_MAX_PARAMS][2];
	struct sb	 b = { 0 };
	size_t		 i, n = 0;

	for (i = 0; i < ps->n; i++) {
		if (skip != NULL && strcmp(ps->p[i].key, skip) == 0)
			continue;
		enc[n][0] = emu_pct_encode(ps->p[i].key, strlen(ps->p[i].key));
		enc[n][1] = emu_pct_encode(ps->p[i].val, strlen(ps->p[i].val));
		n++;
		if (enc[n - 1][0] == NULL || enc[n - 1][1] == NULL)
			b.failed = 1;
	}
	if (!b.failed)
		qsort(enc, n, sizeof(enc[0]), pair_cmp);
	for (i = 0; i < n; i++) {
		if (!b.failed) {
			if (i > 0)
				sb_add(&b, "&");
			sb_add(&b, enc[i][0]);
			sb_add(&b, "=");
			sb_add(&b, enc[i][1]);
		}
		free(enc[i][0]);
		free(enc[i][1]);
	}
	return sb_finish(&b);
}

/* METHOD "&%2F&" pe(canonical query without Signature); a new string. */
char *
emu_v1_string_to_sign(const char *method, const struct emu_params *ps)
{
	struct sb	 b = { 0 };
	char		*cqs;

	if ((cqs = emu_canon_query(ps, "Signature")) == NULL)
		return NULL;
	sb_add(&b, method);
	sb_add(&b, "&%2F&");
	sb_add_pct(&b, cqs, strlen(cqs));
	free(cqs);
	return sb_finish(&b);
}

/* Base64 HMAC-SHA1 of sts keyed with secret "&"; 0, or -1. */
int
emu_v1_sign(const char *secret, const char *sts, char *out, size_t outlen)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	char		*key;
	size_t		 klen = strlen(secret);

	if (outlen < 29 || (key = malloc(klen + 2)) == NULL)
		return -1;
	memcpy(key, secret, klen);
	key[klen] = '&';
	key[klen + 1] = '\0';
	if (HMAC(EVP_sha1(), key, (int)klen + 1, (const unsigned char *)sts,
	    strlen(sts), mac, &maclen) == NULL) {
		free(key);
		return -1;
	}
	free(key);
	EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
	return 0;
}

/* Lower-case hex SHA-256 of data into out (65 bytes). */
void
emu_sha256_hex(const void *data, size_t len, char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	size_t			 i;

	SHA256(data, len, md);
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * sizeof(md)] = '\0';
}

/* Appends the header value with surrounding blanks removed. */
static void
sb_add_trimmed(struct sb *b, const char *v)
{
	size_t	 len;

	while (*v == ' ' || *v == '\t')
		v++;
	len = strlen(v);
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	sb_addn(b, v, len);
}

/* The V3 canonical request of its parts; a new string, or NULL. */
char *
emu_v3_canonical_request(const char *method, const char *path,
    const struct emu_params *query, const struct emu_header *hdrs,
    size_t nhdrs, const char *signed_headers, const char *payload_hash)
{
	struct sb	 b = { 0 };
	char		*cq;
	size_t		 i;

	if ((cq = emu_canon_query(query, NULL)) == NULL)
		return NULL;
	sb_add(&b, method);
	sb_add(&b, "\n");
	sb_add(&b, path);
	sb_add(&b, "\n");
	sb_add(&b, cq);
	sb_add(&b, "\n");
	free(cq);
	for (i = 0; i < nhdrs; i++) {
		sb_add(&b, hdrs[i].name);
		sb_add(&b, ":");
		sb_add_trimmed(&b, hdrs[i].val);
		sb_add(&b, "\n");
	}
	sb_add(&b, "\n");
	sb_add(&b, signed_headers);
	sb_add(&b, "\n");
	sb_add(&b, payload_hash);
	return sb_finish(&b);
}

/* "ACS3-HMAC-SHA256\n" hex(sha256(canonical)); a new string. */
char *
emu_v3_string_to_sign(const char *canonical)
{
	char	 hash[65];
	char	*s;

	emu_sha256_hex(canonical, strlen(canonical), hash);
	if ((s = malloc(sizeof("ACS3-HMAC-SHA256\n") + 64)) == NULL)
		return NULL;
	memcpy(s, "ACS3-HMAC-SHA256\n", 17);
	memcpy(s + 17, hash, 65);
	return s;
}

/* Hex HMAC-SHA256 of sts keyed with secret into out; 0, or -1. */
int
emu_v3_sign(const char *secret, const char *sts, char *out, size_t outlen)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	unsigned int		 maclen = 0, i;

	if (outlen < 65)
		return -1;
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret),
	    (const unsigned char *)sts, strlen(sts), mac, &maclen) == NULL)
		return -1;
	for (i = 0; i < maclen; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 0xf];
	}
	out[2 * maclen] = '\0';
	return 0;
}
