/*
 * Crypto helpers of the host API.
 *
 * Digests are one-shot EVP_Digest calls on digests fetched once.  OpenSSL 3
 * looks an implicitly named digest (EVP_sha256()) or MAC (HMAC(), which is
 * EVP_Q_mac) up in its provider store on every call, under a lock that
 * every signing thread shares; with a request signed per provider call
 * that lookup cost more than the hashing.  HMAC (RFC 2104) is therefore
 * composed here from two digests of the fetched algorithm; the tests check
 * it against RFC 4231 and RFC 2202.  None of this can fail for valid input
 * short of an allocation failure inside libcrypto; since the ABI returns
 * nothing, a failure leaves an all-zero output (which no server accepts as
 * a signature) and logs one line.
 *
 * Base64 is written here rather than taken from libcrypto's EVP_Encode*,
 * which tolerate whitespace, stray padding and missing padding: the host
 * wants one strict grammar, both alphabets, and results in secure memory.
 */
#include "config.h"

#include <sys/types.h>

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "log.h"

static const char b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Keeps libcrypto from ever seeing a NULL pointer for an empty input. */
static const void *
nonnull(const void *p)
{
	return p != NULL ? p : "";
}

static void
crypto_failed(const char *what, void *out, size_t len)
{
	memset(out, 0, len);
	log_warnx("crypto: %s failed inside libcrypto", what);
}

#define HMAC_BLOCK	64	/* the block size of SHA-1 and SHA-256 */

static pthread_once_t	 md_once = PTHREAD_ONCE_INIT;
static EVP_MD		*md_sha256;	/* fetched once, kept for the */
static EVP_MD		*md_sha1;	/* life of the process */

static void
md_fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

/* The fetched digest, or the implicit one should the fetch have failed. */
static const EVP_MD *
md_get(int sha1)
{
	pthread_once(&md_once, md_fetch);
	if (sha1)
		return md_sha1 != NULL ? md_sha1 : EVP_sha1();
	return md_sha256 != NULL ? md_sha256 : EVP_sha256();
}

/* SHA-256 of data into out.  Any thread. */
void
crypto_sha256(const void *data, size_t len, uint8_t out[32])
{
	if (EVP_Digest(nonnull(data), len, out, NULL, md_get(0), NULL) != 1)
		crypto_failed("SHA-256", out, 32);
}

/* One digest of pad (a block) then of data, with ctx. */
static int
pad_digest(EVP_MD_CTX *ctx, const EVP_MD *md, const uint8_t *pad,
    const void *data, size_t len, uint8_t *out)
{
	return EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
	    EVP_DigestUpdate(ctx, pad, HMAC_BLOCK) == 1 &&
	    EVP_DigestUpdate(ctx, nonnull(data), len) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, NULL) == 1;
}

/*
 * HMAC with md (a 64-byte block digest) of outsz bytes:
 * H((K ^ opad) || H((K ^ ipad) || data)), K the key padded to a block, or
 * its digest when longer than a block.
 */
static void
hmac(const EVP_MD *md, const char *name, const void *key, size_t klen,
    const void *data, size_t len, uint8_t *out, size_t outsz)
{
	EVP_MD_CTX	*ctx;
	uint8_t		 k[HMAC_BLOCK], pad[HMAC_BLOCK], inner[32];
	size_t		 i;
	int		 ok = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto done;
	memset(k, 0, sizeof(k));
	if (klen > HMAC_BLOCK) {
		if (EVP_Digest(key, klen, k, NULL, md, NULL) != 1)
			goto done;
	} else if (klen > 0)
		memcpy(k, key, klen);
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	if (!pad_digest(ctx, md, pad, data, len, inner))
		goto done;
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	ok = pad_digest(ctx, md, pad, inner, outsz, out);
 done:
	EVP_MD_CTX_free(ctx);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(inner, sizeof(inner));
	if (!ok)
		crypto_failed(name, out, outsz);
}

/* HMAC-SHA256 (RFC 2104) of data under key into out.  Any thread. */
void
crypto_hmac_sha256(const void *key, size_t klen, const void *data,
    size_t len, uint8_t out[32])
{
	hmac(md_get(0), "HMAC-SHA256", key, klen, data, len, out, 32);
}

/* HMAC-SHA1 of data under key into out.  Any thread. */
void
crypto_hmac_sha1(const void *key, size_t klen, const void *data, size_t len,
    uint8_t out[20])
{
	hmac(md_get(1), "HMAC-SHA1", key, klen, data, len, out, 20);
}

/* len bytes from the CSPRNG into buf: XS_OK or XS_ERR_INTERNAL. */
int32_t
crypto_random(void *buf, size_t len)
{
	unsigned char	*p = buf;
	size_t		 n;

	while (len > 0) {
		n = len > INT_MAX ? INT_MAX : len;
		if (RAND_bytes(p, (int)n) != 1)
			return XS_ERR_INTERNAL;
		p += n;
		len -= n;
	}
	return XS_OK;
}

/* Padded standard base64 in secure memory; see crypto.h. */
char *
crypto_base64_encode(const void *data, size_t len, size_t *outlen)
{
	const uint8_t	*in = data;
	char		*out, *o;
	size_t		 i, n;
	uint32_t	 w;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	n = (len + 2) / 3 * 4;
	if ((out = xs_secure_alloc(n + 1)) == NULL)
		return NULL;
	for (i = 0, o = out; i + 2 < len; i += 3, o += 4) {
		w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		o[0] = b64_std[w >> 18];
		o[1] = b64_std[(w >> 12) & 0x3f];
		o[2] = b64_std[(w >> 6) & 0x3f];
		o[3] = b64_std[w & 0x3f];
	}
	if (i < len) {
		w = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			w |= (uint32_t)in[i + 1] << 8;
		o[0] = b64_std[w >> 18];
		o[1] = b64_std[(w >> 12) & 0x3f];
		o[2] = i + 1 < len ? b64_std[(w >> 6) & 0x3f] : '=';
		o[3] = '=';
	}
	out[n] = '\0';
	if (outlen != NULL)
		*outlen = n;
	return out;
}

#define B64_STD		1	/* saw '+' or '/' */
#define B64_URL		2	/* saw '-' or '_' */

/* The 6-bit value of c, or -1; records which alphabet c belongs to. */
static int
b64_value(char c, int url, int *seen)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '/') {
		*seen |= B64_STD;
		return c == '+' ? 62 : 63;
	}
	if (url && (c == '-' || c == '_')) {
		*seen |= B64_URL;
		return c == '-' ? 62 : 63;
	}
	return -1;
}

/*
 * The number of data characters of text[0..len), or -1 when its padding or
 * length is wrong for the alphabet asked for.
 */
static ssize_t
b64_data_len(const char *text, size_t len, int url)
{
	size_t	pad = 0;

	while (pad < len && pad < 3 && text[len - 1 - pad] == '=')
		pad++;
	if (pad > 0 && len % 4 != 0)
		return -1;
	if (pad == 0 && !url && len % 4 != 0)
		return -1;
	if ((len - pad) % 4 == 1 || pad > 2)
		return -1;
	if (pad > 0 && (len - pad) % 4 + pad != 4)
		return -1;
	return (ssize_t)(len - pad);
}

/* Strict base64 decoding into secure memory; see crypto.h. */
uint8_t *
crypto_base64_decode(const char *text, size_t len, int32_t url,
    size_t *outlen)
{
	uint8_t	*out = NULL;
	ssize_t	 dlen;
	size_t	 i, o = 0;
	uint32_t w = 0;
	int	 v, seen = 0;

	if (text == NULL || (dlen = b64_data_len(text, len, url)) < 0)
		return NULL;
	if ((out = xs_secure_alloc((size_t)dlen / 4 * 3 + 3)) == NULL)
		return NULL;
	for (i = 0; i < (size_t)dlen; i++) {
		if ((v = b64_value(text[i], url, &seen)) < 0)
			goto bad;
		w = w << 6 | (uint32_t)v;
		if (i % 4 == 3) {
			out[o++] = (uint8_t)(w >> 16);
			out[o++] = (uint8_t)(w >> 8);
			out[o++] = (uint8_t)w;
			w = 0;
		}
	}
	if (seen == (B64_STD | B64_URL))
		goto bad;
	switch (dlen % 4) {
	case 2:
		if (w & 0xf)
			goto bad;
		out[o++] = (uint8_t)(w >> 4);
		break;
	case 3:
		if (w & 0x3)
			goto bad;
		out[o++] = (uint8_t)(w >> 10);
		out[o++] = (uint8_t)(w >> 2);
		break;
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;

 bad:
	xs_secure_free(out);
	return NULL;
}
