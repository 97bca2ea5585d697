/*
 * Tests of the host's crypto helpers (core/crypto.c): SHA-256 (FIPS 180-2
 * examples), HMAC-SHA256 (RFC 4231), HMAC-SHA1 (RFC 2202), base64 (RFC 4648
 * section 10, the URL alphabet, and inputs the strict decoder must refuse),
 * and random bytes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"
#include "tap.h"

static void
hex(const uint8_t *p, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* A key or message: `n` copies of byte `fill`, or the text `s`. */
struct bytes {
	const char	*s;
	int		 fill;
	size_t		 n;
};

static size_t
bytes_get(const struct bytes *b, uint8_t *buf)
{
	size_t	i;

	if (b->s != NULL) {
		memcpy(buf, b->s, strlen(b->s));
		return strlen(b->s);
	}
	for (i = 0; i < b->n; i++)
		buf[i] = b->fill >= 0 ? (uint8_t)b->fill : (uint8_t)(i + 1);
	return b->n;
}

static const struct {
	const char	*name;
	struct bytes	 key, data;
	const char	*sha256, *sha1;	/* NULL: no such vector */
} hmacs[] = {
	{ "case 1", { NULL, 0x0b, 20 }, { "Hi There", 0, 0 },
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
	  "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ "case 2", { "Jefe", 0, 0 },
	  { "what do ya want for nothing?", 0, 0 },
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ "case 3", { NULL, 0xaa, 20 }, { NULL, 0xdd, 50 },
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
	  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
	{ "case 4", { NULL, -1, 25 }, { NULL, 0xcd, 50 },
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
	  "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
	{ "RFC 4231 case 6", { NULL, 0xaa, 131 },
	  { "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0 },
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	  NULL },
	{ "RFC 4231 case 7", { NULL, 0xaa, 131 },
	  { "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being "
	    "used by the HMAC algorithm.", 0, 0 },
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
	  NULL },
	{ "RFC 2202 case 6", { NULL, 0xaa, 80 },
	  { "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0 },
	  NULL, "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
	{ "RFC 2202 case 7", { NULL, 0xaa, 80 },
	  { "Test Using Larger Than Block-Size Key and Larger Than One "
	    "Block-Size Data", 0, 0 },
	  NULL, "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },
};

static void
test_sha256(void)
{
	static const struct {
		const char	*in, *out;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
		  "7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb4"
		  "10ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419"
		  "db06c1" },
	};
	uint8_t	 md[32];
	char	 h[65];
	size_t	 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		crypto_sha256(v[i].in, strlen(v[i].in), md);
		hex(md, 32, h);
		is_str(h, v[i].out, "sha256 of a FIPS 180-2 message");
	}
	crypto_sha256(NULL, 0, md);
	hex(md, 32, h);
	is_str(h, v[0].out, "sha256 of NULL, 0 is that of the empty string");
}

static void
test_hmac(void)
{
	uint8_t	key[200], data[200], md[32];
	char	h[65], name[64];
	size_t	i, kl, dl;

	for (i = 0; i < sizeof(hmacs) / sizeof(hmacs[0]); i++) {
		kl = bytes_get(&hmacs[i].key, key);
		dl = bytes_get(&hmacs[i].data, data);
		if (hmacs[i].sha256 != NULL) {
			crypto_hmac_sha256(key, kl, data, dl, md);
			hex(md, 32, h);
			snprintf(name, sizeof(name), "HMAC-SHA256 %s",
			    hmacs[i].name);
			is_str(h, hmacs[i].sha256, name);
		}
		if (hmacs[i].sha1 != NULL) {
			crypto_hmac_sha1(key, kl, data, dl, md);
			hex(md, 20, h);
			snprintf(name, sizeof(name), "HMAC-SHA1 %s",
			    hmacs[i].name);
			is_str(h, hmacs[i].sha1, name);
		}
	}
}

static void
test_base64_encode(void)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char	*s, name[64];
	size_t	 i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s = crypto_base64_encode(v[i][0], strlen(v[i][0]), &n);
		snprintf(name, sizeof(name), "encode \"%s\" (RFC 4648)",
		    v[i][0]);
		is_str(s, v[i][1], name);
		is_int(n, strlen(v[i][1]), "encoded length");
		xs_secure_free(s);
	}
	s = crypto_base64_encode("\xfb\xff", 2, NULL);
	is_str(s, "+/8=", "encode uses the standard alphabet");
	xs_secure_free(s);
}

static const struct {
	const char	*in;
	int		 url;
	const char	*out;	/* NULL: must be refused */
	size_t		 outlen;
} decodes[] = {
	{ "", 0, "", 0 },
	{ "Zg==", 0, "f", 1 },
	{ "Zm8=", 0, "fo", 2 },
	{ "Zm9v", 0, "foo", 3 },
	{ "Zm9vYg==", 0, "foob", 4 },
	{ "Zm9vYmE=", 0, "fooba", 5 },
	{ "Zm9vYmFy", 0, "foobar", 6 },
	{ "+/8=", 0, "\xfb\xff", 2 },
	{ "-_8", 1, "\xfb\xff", 2 },
	{ "-_8=", 1, "\xfb\xff", 2 },
	{ "+/8=", 1, "\xfb\xff", 2 },
	{ "Zg", 1, "f", 1 },
	{ "Zm9vYmE", 1, "fooba", 5 },
	{ "-_8=", 0, NULL, 0 },		/* URL alphabet without url */
	{ "+_8=", 1, NULL, 0 },		/* mixed alphabets */
	{ "Zg", 0, NULL, 0 },		/* padding required */
	{ "Zg=", 0, NULL, 0 },
	{ "Zg===", 0, NULL, 0 },
	{ "Zg=", 1, NULL, 0 },		/* partial padding */
	{ "Z", 1, NULL, 0 },		/* impossible length */
	{ "Z===", 0, NULL, 0 },
	{ "====", 0, NULL, 0 },
	{ "Zg==Zg==", 0, NULL, 0 },	/* padding in the middle */
	{ "Zm9v\n", 0, NULL, 0 },	/* whitespace */
	{ "Zm 9v", 0, NULL, 0 },
	{ "Zm9v*mFy", 0, NULL, 0 },	/* not in any alphabet */
	{ "Zh==", 0, NULL, 0 },		/* non-canonical trailing bits */
	{ "Zm9=", 0, NULL, 0 },
};

static void
test_base64_decode(void)
{
	uint8_t	*p;
	char	 name[80];
	size_t	 i, n;

	for (i = 0; i < sizeof(decodes) / sizeof(decodes[0]); i++) {
		n = 99;
		p = crypto_base64_decode(decodes[i].in, strlen(decodes[i].in),
		    decodes[i].url, &n);
		snprintf(name, sizeof(name), "decode \"%.*s\" url=%d %s",
		    (int)strcspn(decodes[i].in, "\n"), decodes[i].in,
		    decodes[i].url, decodes[i].out ? "ok" : "refused");
		if (decodes[i].out == NULL)
			ok(p == NULL, "%s", name);
		else
			ok(p != NULL && n == decodes[i].outlen &&
			    memcmp(p, decodes[i].out, n) == 0 && p[n] == '\0',
			    "%s", name);
		xs_secure_free(p);
	}
	p = crypto_base64_decode("Zm9vYmFy", 4, 0, &n);
	ok(p != NULL && n == 3 && memcmp(p, "foo", 3) == 0,
	    "decode reads only len bytes");
	xs_secure_free(p);
	ok(crypto_base64_decode(NULL, 0, 0, &n) == NULL, "decode NULL");
}

static void
test_roundtrip(void)
{
	uint8_t	 buf[257], *back;
	char	*s;
	size_t	 i, n, len;
	int	 good = 1;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (len = 0; len <= sizeof(buf); len++) {
		s = crypto_base64_encode(buf, len, &n);
		back = crypto_base64_decode(s, n, 0, &i);
		if (back == NULL || i != len || memcmp(back, buf, len) != 0)
			good = 0;
		xs_secure_free(s);
		xs_secure_free(back);
	}
	ok(good, "encode then decode gives the input back, lengths 0..257");
}

static void
test_random(void)
{
	uint8_t	a[32], b[32], zero[32] = { 0 };

	is_int(crypto_random(a, sizeof(a)), XS_OK, "random returns XS_OK");
	is_int(crypto_random(b, sizeof(b)), XS_OK, "random again");
	ok(memcmp(a, b, sizeof(a)) != 0 && memcmp(a, zero, sizeof(a)) != 0,
	    "two random draws differ and are not zero");
	is_int(crypto_random(a, 0), XS_OK, "zero bytes of random");
}

int
main(void)
{
	test_sha256();
	test_hmac();
	test_base64_encode();
	test_base64_decode();
	test_roundtrip();
	test_random();
	return tap_done();
}
