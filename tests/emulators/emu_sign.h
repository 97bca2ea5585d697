/*
 * Alibaba Cloud request signatures, as the emulator computes them.
 *
 * This is the emulator's own implementation of the two schemes the KMS and
 * STS gateways accept: ACS3-HMAC-SHA256 ("V3", a signed canonical request)
 * and the RPC HMAC-SHA1 scheme ("V1", SignatureVersion=1.0, a signed
 * canonical query string).  It is written apart from the provider on purpose:
 * when both agree with each other and with the published test vectors, a bug
 * cannot hide in a shared helper.
 *
 * Everything works on NUL-terminated strings allocated with malloc; a NULL
 * return means out of memory or an input over the bounds below.  No function
 * keeps state, so all are safe to call from any thread.
 */
#ifndef EMU_SIGN_H
#define EMU_SIGN_H

#include <stddef.h>

#define EMU_MAX_PARAMS		64	/* parameters in one request */
#define EMU_MAX_PARAMS_BYTES	(256 * 1024)

struct emu_param {
	char	*key;
	char	*val;
};

struct emu_params {
	struct emu_param	 p[EMU_MAX_PARAMS];
	size_t			 n;
};

/* A signed header of a V3 request: lower-case name and the value as sent. */
struct emu_header {
	const char	*name;
	const char	*val;
};

/*
 * Percent-encodes len bytes of s the Alibaba way: A-Z a-z 0-9 - _ . ~ stay,
 * every other byte becomes %XX in upper-case hex.  Returns a new string.
 */
char	*emu_pct_encode(const char *s, size_t len);

/*
 * Splits an "a=b&c=d" string (a query or a form body) into ps, appending to
 * what ps already holds.  Values are percent-decoded; "+" decodes to a space,
 * as in any form.  Returns 0, or -1 when a pair is malformed, the count
 * passes EMU_MAX_PARAMS or memory runs out.
 */
int	 emu_params_parse(struct emu_params *ps, const char *s, size_t len);
/* Appends a copy of key and val; 0 or -1 (full or out of memory). */
int	 emu_params_add(struct emu_params *ps, const char *key, const char *val);
/* The value of the first parameter named key, or NULL. */
const char *emu_params_get(const struct emu_params *ps, const char *key);
void	 emu_params_free(struct emu_params *ps);

/*
 * The canonical query of ps: pairs pe(key)=pe(val) sorted byte-wise, joined
 * with "&".  The parameter named skip (NULL for none) is left out.
 */
char	*emu_canon_query(const struct emu_params *ps, const char *skip);

/* V1: METHOD "&%2F&" pe(canonical query without Signature). */
char	*emu_v1_string_to_sign(const char *method,
	    const struct emu_params *ps);
/* V1: base64(HMAC-SHA1(secret "&", sts)); out holds at least 29 bytes. */
int	 emu_v1_sign(const char *secret, const char *sts, char *out,
	    size_t outlen);

/*
 * V3 canonical request.  query holds the query parameters only (a form body
 * is covered by payload_hash); hdrs are the signed headers in the order of
 * signed_headers, which is passed through as it was sent.
 */
char	*emu_v3_canonical_request(const char *method, const char *path,
	    const struct emu_params *query, const struct emu_header *hdrs,
	    size_t nhdrs, const char *signed_headers,
	    const char *payload_hash);
/* V3: "ACS3-HMAC-SHA256\n" hex(sha256(canonical request)). */
char	*emu_v3_string_to_sign(const char *canonical);
/* V3: hex(HMAC-SHA256(secret, sts)); out holds at least 65 bytes. */
int	 emu_v3_sign(const char *secret, const char *sts, char *out,
	    size_t outlen);

/* Lower-case hex SHA-256 of len bytes; out holds at least 65 bytes. */
void	 emu_sha256_hex(const void *data, size_t len, char *out);

#endif /* EMU_SIGN_H */
