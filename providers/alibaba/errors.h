/*
 * What the provider makes of Alibaba Cloud's error responses, and the retry
 * loop every call to KMS or STS goes through.
 *
 * Errors are classified by the response's Code, not by its HTTP status
 * alone: "Forbidden.ResourceNotFound" is the only not-found, so that a
 * deletionPolicy never fires on an unknown 4xx.  Messages are our own
 * wording plus the Code: never the server's Message, which can echo the
 * string to sign and with it a security token, and never a RequestId, so
 * that a status stays the same from one failing round to the next.
 */
#ifndef ALIBABA_ERRORS_H
#define ALIBABA_ERRORS_H

#include <stdint.h>

#include "xsecrets/provider.h"

/* What to do about one failed response. */
#define ERRORS_FAIL	0	/* give up with status */
#define ERRORS_RETRY	1	/* back off, then send again */
#define ERRORS_REFRESH	2	/* renew the credentials once, then send */

struct errors_verdict {
	int32_t		 status;	/* XS_ERR_* once retries are over */
	int		 action;	/* ERRORS_* */
	const char	*text;		/* what happened and what to check */
};

/*
 * Classifies a response by its HTTP status and Code (NULL when the body
 * had none).  Never fails.
 */
void	errors_classify(int http_status, const char *code,
	    struct errors_verdict *v);

/*
 * Copies code to out when it looks like an Alibaba error code
 * ([A-Za-z0-9._-], 1 to 63 bytes), so that it can go into a message; else
 * writes "".
 */
void	errors_code_copy(const char *code, char out[64]);

/* How hard errors_call tries. */
struct errors_policy {
	int	 attempts;	/* sends in all, at least 1 */
	int64_t	 base_ms;	/* first backoff */
	int64_t	 cap_ms;	/* largest backoff, hints included */
	int64_t	 deadline_ms;	/* the whole call, sleeps included */
	uint32_t timeout_ms;	/* one request, at most */
	void	(*sleep)(int64_t ms);	/* NULL: nanosleep */
};

extern const struct errors_policy errors_default_policy;

/*
 * The backoff before send number attempt + 1 (attempt counts from 1):
 * exponential from base_ms, capped at cap_ms, with equal jitter (a uniform
 * draw in [d/2, d]) taken from rnd; a server hint (ms, 0 when none) raises
 * it, up to cap_ms.
 */
int64_t	errors_backoff(const struct errors_policy *p, int attempt,
	    int64_t hint_ms, uint32_t rnd);

/*
 * The wait a throttling response asks for, in ms, from the "TimeLeft:<ms>"
 * field of x-ratelimit-user-api or x-ratelimit-user, or Retry-After
 * (seconds); 0 when there is none.
 */
int64_t	errors_hint(const struct xs_host *host,
	    const struct xs_http_response *resp);

/* How errors_call reaches the service. */
struct errors_ops {
	/*
	 * Builds one attempt afresh (new nonce and timestamp) and sends it
	 * with the given timeout.  Returns what host->http_request returned.
	 */
	int32_t	(*send)(void *arg, uint32_t timeout_ms,
		    struct xs_http_response **resp, struct xs_diag *d);
	/*
	 * Renews the credentials after a credential error; XS_OK to send
	 * again.  NULL when the credentials cannot be renewed.
	 */
	int32_t	(*refresh)(void *arg, struct xs_diag *d);
	/* Sees the 2xx response before it is freed; may be NULL. */
	void	(*success)(void *arg, const struct xs_http_response *resp);
};

/*
 * Sends a request through ops until it succeeds or the policy is spent.
 * On XS_OK, *json is the parsed body of the 2xx response (free with
 * host->json_free).  Otherwise the status of the last classification,
 * with "<what>: <text> (<Code>)" in d and, when msg is not NULL, in msg
 * too (so that one failure can be told to several waiting callers).
 * Retries throttling, 5xx and transport errors with backoff; renews
 * credentials at most once.
 */
int32_t	errors_call(const struct xs_host *host, const struct errors_policy *p,
	    const struct errors_ops *ops, void *arg, const char *what,
	    struct xs_value **json, struct xs_diag *d, char *msg,
	    size_t msglen);

#endif /* ALIBABA_ERRORS_H */
