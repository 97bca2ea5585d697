/*
 * Crypto helpers of the host API (core/crypto.c): digests, MACs, random
 * bytes and base64, on OpenSSL's libcrypto.  Internal to the host; providers
 * reach them through struct xs_host.
 */
#ifndef XS_CRYPTO_H
#define XS_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Write 32 (SHA-256) or 20 (SHA-1) bytes to out.  Any thread. */
void	 crypto_sha256(const void *data, size_t len, uint8_t out[32]);
void	 crypto_hmac_sha256(const void *key, size_t klen, const void *data,
	    size_t len, uint8_t out[32]);
void	 crypto_hmac_sha1(const void *key, size_t klen, const void *data,
	    size_t len, uint8_t out[20]);

/* Fills buf from the system CSPRNG.  XS_OK or XS_ERR_INTERNAL. */
int32_t	 crypto_random(void *buf, size_t len);

/*
 * Base64 with the standard alphabet and padding.  Returns a NUL-terminated
 * string in secure memory (free with xs_secure_free) and its length in
 * *outlen when outlen is not NULL; NULL when out of memory.
 */
char	*crypto_base64_encode(const void *data, size_t len, size_t *outlen);

/*
 * Strict base64 decoding into secure memory (NUL-terminated for
 * convenience; *outlen excludes the NUL).  With url 0 only the standard
 * alphabet is accepted and the text must be padded to a multiple of four.
 * With url 1 the URL alphabet ('-', '_') is accepted as well, padding may be
 * left out, and one text may not mix '+' or '/' with '-' or '_'.  Any other
 * character, whitespace included, misplaced or excess padding, a length
 * that cannot be base64, or set bits in the unused tail of the last
 * character (a non-canonical encoding) yields NULL.
 */
uint8_t	*crypto_base64_decode(const char *text, size_t len, int32_t url,
	    size_t *outlen);

#endif /* XS_CRYPTO_H */
