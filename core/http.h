/*
 * Internals shared by the files of the host API: the HTTP client
 * (core/http.c) and the error reporting of core/host.c that it uses.
 * Providers reach all of this through struct xs_host only.
 */
#ifndef XS_HTTP_H
#define XS_HTTP_H

#include <stdint.h>

#include "host.h"

/* Hard limits, whatever a request or the daemon's settings ask for. */
#define HTTP_URL_MAX		16384
#define HTTP_MAX_HEADERS	100	/* response headers kept */
#define HTTP_MAX_HEADER_BYTES	(64 * 1024)
#define HTTP_MAX_REQ_HEADERS	64
#define HTTP_HARD_MAX_RESPONSE	(64 * 1024 * 1024)
#define HTTP_HARD_MAX_TIMEOUT	(300 * 1000)

/*
 * Takes the daemon's settings (kept by the caller until http_shutdown) and
 * prepares the per-thread handles.  Called by host_init after
 * curl_global_init; http_shutdown releases the calling thread's handle.
 */
void	 http_init(const struct host_config *cfg);
void	 http_shutdown(void);

/* The HTTP functions of struct xs_host; contracts in provider.h. */
int32_t	 http_request(const struct xs_store *st,
	    const struct xs_http_request *req, struct xs_http_response **resp,
	    struct xs_diag *d);
int32_t	 http_status(const struct xs_http_response *r);
const uint8_t *http_body(const struct xs_http_response *r, size_t *len);
const char *http_header(const struct xs_http_response *r, const char *name);
void	 http_free(struct xs_http_response *r);

/* Whether s is a valid endpoint pattern (syntax in core/http.c). */
int	 http_pattern_valid(const char *s);

/*
 * Records the first error of a call in d (host->error): later errors are
 * dropped, the text is truncated to DIAG_MSG_MAX and control characters are
 * replaced.  d may be NULL.
 */
void	 diag_error(struct xs_diag *d, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* XS_HTTP_H */
