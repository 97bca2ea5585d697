/*
 * Credentials of the Alibaba provider, and RRSA: STS credentials obtained
 * with AssumeRoleWithOIDC from the projected service-account token that
 * ACK's pod identity gives the daemon.
 *
 * An RRSA session is shared by every store that names the same role, OIDC
 * provider, session name, token file, duration and STS endpoint, so that a
 * hundred stores make one exchange, not a hundred.
 */
#ifndef ALIBABA_RRSA_H
#define ALIBABA_RRSA_H

#include <stdint.h>

#include "xsecrets/provider.h"
#include "errors.h"

/* One set of credentials; every string is in secure memory. */
struct ali_creds {
	char		*id;
	char		*secret;
	char		*token;		/* NULL for an AccessKey */
	uint64_t	 gen;		/* RRSA generation, else 0 */
};

/* Copies the three strings (token may be NULL).  XS_OK or XS_ERR_NOMEM. */
int32_t	creds_set(const struct xs_host *host, struct ali_creds *c,
	    const char *id, const char *secret, const char *token);
/* Zeroes and frees the strings of c; c may be reused. */
void	creds_clear(const struct xs_host *host, struct ali_creds *c);

/* What names an RRSA session; all borrowed, copied by rrsa_open. */
struct rrsa_params {
	const char	*role_arn;
	const char	*provider_arn;
	const char	*session_name;
	const char	*token_file;	/* absolute path */
	uint32_t	 duration;	/* seconds, 900 to 43200 */
	const char	*sts_url;	/* "https://sts.aliyuncs.com" */
};

/* Largest token file read, in bytes. */
#define RRSA_TOKEN_MAX		(64 * 1024)
/* Refresh when this much or a tenth of the lifetime is left, if less. */
#define RRSA_REFRESH_MS		(180 * 1000)
/* Stop handing credentials out with this or a twentieth left, if less. */
#define RRSA_MARGIN_MS		(30 * 1000)
/* After a failed refresh with valid credentials, wait this long. */
#define RRSA_RETRY_MS		(10 * 1000)

struct rrsa_session;

/*
 * Finds or creates the shared session for p, taking a reference.  No
 * exchange happens here.  XS_OK or XS_ERR_NOMEM.  Thread-safe.
 */
int32_t	rrsa_open(const struct xs_host *host, const struct rrsa_params *p,
	    struct rrsa_session **out);
/* Drops a reference; the last one frees the session.  Thread-safe. */
void	rrsa_close(struct rrsa_session *s);

/*
 * Copies usable credentials into out (clear it with creds_clear).  When
 * there are none, or they are due for refresh, exchanges the token first;
 * concurrent callers wait for that one exchange.  refused is the gen of
 * credentials the service just refused, 0 otherwise: they are renewed
 * unless someone renewed them already.  If a refresh fails while the
 * current credentials are still valid, those are returned (with a warning
 * in d).  Returns XS_OK or the exchange's error with a message in d.
 * st is used for the HTTP request only.  Thread-safe.
 */
int32_t	rrsa_get(struct rrsa_session *s, const struct xs_store *st,
	    uint64_t refused, struct ali_creds *out, struct xs_diag *d);

/*
 * When credentials with the given lifetime (ms) should be renewed, as an
 * offset from when they were obtained: the lifetime less the smaller of
 * RRSA_REFRESH_MS and a tenth of it.
 */
int64_t	rrsa_refresh_after(int64_t lifetime_ms);
/*
 * Until when they may be handed out, as the same offset: the lifetime
 * less the smaller of RRSA_MARGIN_MS and a twentieth of it.  Always
 * later than rrsa_refresh_after, so that a refresh runs while the old
 * credentials are still served.
 */
int64_t	rrsa_valid_for(int64_t lifetime_ms);

/* Parses "YYYY-MM-DDTHH:MM:SSZ" to ms since the epoch; -1 if malformed. */
int64_t	rrsa_parse_time(const char *s);

/* The retry policy of the exchange (tests make it fast). */
extern const struct errors_policy *rrsa_policy;

#endif /* ALIBABA_RRSA_H */
