/*
 * Request signing for Alibaba Cloud's RPC APIs, and the small byte buffer
 * every part of the provider builds requests with.
 *
 * Two schemes: ACS3-HMAC-SHA256 ("V3", the default), which signs the method,
 * the canonical query, a canonical list of headers and the body digest; and
 * the older HMAC-SHA1 RPC signature ("V1", SignatureVersion=1.0), which signs
 * the sorted parameter set.  Both share one percent-encoding: keep
 * A-Z a-z 0-9 - _ . ~ and write every other byte as %XX in upper-case hex.
 *
 * Every function is pure apart from the host's crypto and memory functions,
 * so the unit tests can run the published test vectors through them with a
 * test host.  Nothing here sends anything or reads a clock: the caller picks
 * the nonce and the timestamp.
 */
#ifndef ALIBABA_SIGN_H
#define ALIBABA_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "xsecrets/provider.h"

/*
 * A growable byte buffer in the host's secure memory, since it may carry a
 * token or a secret.  It is always NUL-terminated.  An allocation failure
 * or growth past max sets failed and makes later appends no-ops, so a
 * builder can append freely and check once at the end.
 */
struct buf {
	const struct xs_host	*host;
	char			*p;
	size_t			 len;
	size_t			 cap;
	size_t			 max;
	int			 failed;
};

#define BUF_MAX_DEFAULT	(256 * 1024)

void	buf_init(struct buf *b, const struct xs_host *host);
void	buf_add(struct buf *b, const void *data, size_t len);
void	buf_str(struct buf *b, const char *s);
void	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends s percent-encoded by Alibaba's rules. */
void	buf_pe(struct buf *b, const char *s, size_t len);
/* Zeroes and frees the storage; b may be reused after buf_init. */
void	buf_free(struct buf *b);

/* One query or form parameter; value "" is sent as "key=". */
struct sign_param {
	const char	*key;
	const char	*value;
};

/* At most this many parameters or headers take part in one signature. */
#define SIGN_MAX_PARAMS		32
#define SIGN_MAX_HEADERS	16

/* What a V3 signature covers. */
struct sign_v3_req {
	const char			*method;	/* "POST" */
	const struct sign_param		*query;
	size_t				 nquery;
	const struct xs_http_header	*headers;	/* every header sent */
	size_t				 nheaders;
	const char			*body_sha256;	/* lower-case hex */
};

/* hex(SHA-256(data)) into out (65 bytes with the NUL). */
void	sign_sha256_hex(const struct xs_host *host, const void *data,
	    size_t len, char out[65]);

/*
 * Writes the canonical query of params (sorted by encoded key, then value)
 * to out.  Returns 0, or -1 when there are too many parameters or the
 * buffer failed.
 */
int	sign_canonical_query(const struct sign_param *params, size_t n,
	    struct buf *out);

/*
 * Writes the V3 canonical request of req to canon and the signed header
 * list ("host;x-acs-action;...") to signed_headers.  Headers named host,
 * content-type or x-acs-* (any case) are signed; others are ignored.
 * Returns 0 or -1.
 */
int	sign_v3_canonical(const struct sign_v3_req *req, struct buf *canon,
	    struct buf *signed_headers);

/*
 * Signs req with the AccessKey secret.  hash receives hex(SHA-256) of the
 * canonical request (for tests), sig the hex signature; signed_headers as
 * above.  Returns 0 or -1.
 */
int	sign_v3(const struct xs_host *host, const struct sign_v3_req *req,
	    const char *secret, char hash[65], char sig[65],
	    struct buf *signed_headers);

/*
 * Writes the V1 string to sign, METHOD "&%2F&" pe(canonical query), to out.
 * Returns 0 or -1.
 */
int	sign_v1_string(const char *method, const struct sign_param *params,
	    size_t n, struct buf *out);

/*
 * Signs params for V1 with key secret "&": sig receives the base64 text
 * (28 characters and a NUL).  Returns 0 or -1.
 */
int	sign_v1(const struct xs_host *host, const char *method,
	    const struct sign_param *params, size_t n, const char *secret,
	    char sig[29]);

/* Formats a wall-clock time in ms as "YYYY-MM-DDTHH:MM:SSZ" (21 bytes). */
void	sign_timestamp(int64_t ms, char out[21]);

/* Fills out with 32 random hex digits and a NUL; 0 or -1. */
int	sign_nonce(const struct xs_host *host, char out[33]);

#endif /* ALIBABA_SIGN_H */
