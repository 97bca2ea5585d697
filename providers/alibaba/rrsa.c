/*
 * RRSA: STS credentials from AssumeRoleWithOIDC, cached and shared.
 *
 * Sessions live in one list, under list_mu, found by everything that
 * names them (role, provider, session name, token file, duration, STS
 * endpoint) and reference-counted by the clients that use them.
 *
 * Each session has its own mutex and condition variable.  rrsa_get serves
 * the cached credentials while they are fresh.  When none are usable, or
 * they are due, the first caller marks the session busy, drops the lock
 * and makes the exchange; callers that arrive meanwhile get the current
 * credentials if these are still valid, and otherwise wait on the
 * condition variable for the exchange to end (single flight).  A failed
 * refresh keeps the old credentials in use until they are no longer valid,
 * and the next attempt waits RRSA_RETRY_MS, so that an STS outage is not
 * hammered.
 *
 * Two points in a lifetime L, counted from when the credentials arrived:
 *
 *	refresh	 L - min(L / 10, 180 s)	(rrsa_refresh_after)
 *	valid	 L - min(L / 20, 30 s)	(rrsa_valid_for)
 *
 * A credential thus serves at least nine tenths of its life, and 95% of
 * an hour's: 1.11 exchanges per lifetime at worst, 1.05 with one-hour
 * credentials, where renewing with a third left made 1.5.  The official
 * library also renews with 180 s left, but it compares Expiration with the
 * local wall clock, so that margin is all it has against skew.  Here skew
 * does not enter.  The lifetime is Expiration minus the response's Date,
 * less a second since both are whole seconds; without a Date it is
 * Expiration minus the local clock, never more than the duration asked
 * for, so that a slow clock cannot lengthen it.  It is then counted down
 * on the monotonic clock, whose drift over 12 hours is well under a
 * second.
 *
 * Credentials stop being handed out with 30 s left: longer than the
 * deadline of one call with its retries (errors_default_policy, 25 s), so
 * a request begun with them ends before they expire, and KMS never sees an
 * expired credential from us (if it does refuse one, it is renewed once).
 * Between the two points there are 150 s (60 s for 15-minute credentials)
 * in which old credentials are served while the refresh runs: room for a
 * slow exchange that fails after its own 25 s, the RRSA_RETRY_MS wait and
 * another attempt, before callers have to wait.  An STS outage longer than
 * that fails syncs; a larger margin would cover longer ones at the price
 * of more exchanges.  The short lifetimes the emulator can issue scale
 * both points down, the margin staying below the refresh point.
 *
 * The token file is read afresh for every exchange (the kubelet rotates
 * it), through a size cap, into secure memory.  The token travels in the
 * form body, never in a URL.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rrsa.h"
#include "sign.h"

struct rrsa_session {
	struct rrsa_session	*next;
	const struct xs_host	*host;
	int			 refs;
	char			*role_arn;
	char			*provider_arn;
	char			*session_name;
	char			*token_file;
	char			*sts_url;
	uint32_t		 duration;

	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 busy;		/* an exchange is running */
	uint64_t		 exchanges;	/* exchanges finished */
	struct ali_creds	 creds;		/* id NULL: none yet */
	uint64_t		 gen;		/* of creds */
	int64_t			 refresh_at;	/* monotonic ms */
	int64_t			 valid_until;	/* monotonic ms */
	int64_t			 retry_at;	/* after a failed refresh */
	int32_t			 last_rc;
	char			 last_msg[512];
};

static pthread_mutex_t		 list_mu = PTHREAD_MUTEX_INITIALIZER;
static struct rrsa_session	*sessions;

const struct errors_policy *rrsa_policy = &errors_default_policy;

static char *
sdup(const struct xs_host *host, const char *s)
{
	size_t	 len;
	char	*p;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	if ((p = host->secure_alloc(len + 1)) != NULL)
		memcpy(p, s, len + 1);
	return p;
}

int32_t
creds_set(const struct xs_host *host, struct ali_creds *c, const char *id,
    const char *secret, const char *token)
{
	c->id = sdup(host, id);
	c->secret = sdup(host, secret);
	c->token = sdup(host, token);
	if (c->id == NULL || c->secret == NULL ||
	    (token != NULL && c->token == NULL)) {
		creds_clear(host, c);
		return XS_ERR_NOMEM;
	}
	return XS_OK;
}

void
creds_clear(const struct xs_host *host, struct ali_creds *c)
{
	host->secure_free(c->id);
	host->secure_free(c->secret);
	host->secure_free(c->token);
	c->id = c->secret = c->token = NULL;
	c->gen = 0;
}

/* A point in a lifetime, from its start: L - min(L / div, cap). */
static int64_t
lifetime_less(int64_t lifetime_ms, int64_t div, int64_t cap_ms)
{
	int64_t	margin = lifetime_ms / div;

	return lifetime_ms - (margin > cap_ms ? cap_ms : margin);
}

int64_t
rrsa_refresh_after(int64_t lifetime_ms)
{
	return lifetime_less(lifetime_ms, 10, RRSA_REFRESH_MS);
}

int64_t
rrsa_valid_for(int64_t lifetime_ms)
{
	return lifetime_less(lifetime_ms, 20, RRSA_MARGIN_MS);
}

int64_t
rrsa_parse_time(const char *s)
{
	struct tm	 tm;
	const char	*end;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || strcmp(end, "Z") != 0)
		return -1;
	return (int64_t)timegm(&tm) * 1000;
}

/* An HTTP Date ("Thu, 03 Dec 2026 04:27:09 GMT") in ms, or -1. */
static int64_t
parse_http_date(const char *s)
{
	struct tm	 tm;
	const char	*end;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	return (int64_t)timegm(&tm) * 1000;
}

static int
same(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static void
session_free(struct rrsa_session *s)
{
	const struct xs_host	*h = s->host;

	creds_clear(h, &s->creds);
	h->secure_free(s->role_arn);
	h->secure_free(s->provider_arn);
	h->secure_free(s->session_name);
	h->secure_free(s->token_file);
	h->secure_free(s->sts_url);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	h->free(s);
}

static struct rrsa_session *
session_new(const struct xs_host *host, const struct rrsa_params *p)
{
	struct rrsa_session	*s;

	if ((s = host->calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->host = host;
	s->refs = 1;
	s->duration = p->duration;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->role_arn = sdup(host, p->role_arn);
	s->provider_arn = sdup(host, p->provider_arn);
	s->session_name = sdup(host, p->session_name);
	s->token_file = sdup(host, p->token_file);
	s->sts_url = sdup(host, p->sts_url);
	if (s->role_arn == NULL || s->provider_arn == NULL ||
	    s->session_name == NULL || s->token_file == NULL ||
	    s->sts_url == NULL) {
		session_free(s);
		return NULL;
	}
	return s;
}

int32_t
rrsa_open(const struct xs_host *host, const struct rrsa_params *p,
    struct rrsa_session **out)
{
	struct rrsa_session	*s;

	pthread_mutex_lock(&list_mu);
	for (s = sessions; s != NULL; s = s->next) {
		if (same(s->role_arn, p->role_arn) &&
		    same(s->provider_arn, p->provider_arn) &&
		    same(s->session_name, p->session_name) &&
		    same(s->token_file, p->token_file) &&
		    same(s->sts_url, p->sts_url) &&
		    s->duration == p->duration) {
			s->refs++;
			break;
		}
	}
	if (s == NULL && (s = session_new(host, p)) != NULL) {
		s->next = sessions;
		sessions = s;
	}
	pthread_mutex_unlock(&list_mu);
	*out = s;
	return s != NULL ? XS_OK : XS_ERR_NOMEM;
}

void
rrsa_close(struct rrsa_session *s)
{
	struct rrsa_session	**pp;

	if (s == NULL)
		return;
	pthread_mutex_lock(&list_mu);
	if (--s->refs > 0) {
		pthread_mutex_unlock(&list_mu);
		return;
	}
	for (pp = &sessions; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	pthread_mutex_unlock(&list_mu);
	session_free(s);
}

/*
 * Reads the token file into secure memory, without surrounding blanks.
 * XS_OK, or XS_ERR_AUTH with a message.
 */
static int32_t
token_read(struct rrsa_session *s, char **out, struct xs_diag *d)
{
	const struct xs_host	*h = s->host;
	struct stat		 sb;
	char			*buf = NULL;
	size_t			 len = 0, start = 0;
	ssize_t			 n;
	int			 fd, saved;
	int32_t			 rc = XS_ERR_AUTH;

	if ((fd = open(s->token_file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) ==
	    -1) {
		saved = errno;
		h->error(d, "RRSA token file %s: %s", s->token_file,
		    strerror(saved));
		return XS_ERR_AUTH;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > RRSA_TOKEN_MAX) {
		h->error(d, "RRSA token file %s: not a regular file of at most "
		    "%d bytes", s->token_file, RRSA_TOKEN_MAX);
		goto done;
	}
	if ((buf = h->secure_alloc(RRSA_TOKEN_MAX + 1)) == NULL) {
		rc = XS_ERR_NOMEM;
		goto done;
	}
	while (len < RRSA_TOKEN_MAX) {
		n = read(fd, buf + len, RRSA_TOKEN_MAX - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
	    buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	while (start < len && (buf[start] == ' ' || buf[start] == '\n' ||
	    buf[start] == '\r' || buf[start] == '\t'))
		start++;
	if (start == len) {
		h->error(d, "RRSA token file %s is empty", s->token_file);
		goto done;
	}
	memmove(buf, buf + start, len - start);
	buf[len - start] = '\0';
	*out = buf;
	buf = NULL;
	rc = XS_OK;
done:
	if (buf != NULL)
		h->secure_free(buf);
	close(fd);
	return rc;
}

/* One attempt of the exchange, for errors_call. */
struct exchange {
	struct rrsa_session	*s;
	const struct xs_store	*st;
	const char		*token;
	int64_t			 date;	/* the response's Date, or -1 */
};

static int32_t
exchange_send(void *arg, uint32_t timeout_ms, struct xs_http_response **resp,
    struct xs_diag *d)
{
	struct exchange		*x = arg;
	struct rrsa_session	*s = x->s;
	const struct xs_host	*h = s->host;
	struct xs_http_request	 req;
	struct xs_http_header	 hdr[1];
	struct sign_param	 form[5];
	struct buf		 url, body;
	char			 ts[21], dur[16];
	int32_t			 rc = XS_ERR_NOMEM;

	snprintf(dur, sizeof(dur), "%u", s->duration);
	form[0] = (struct sign_param){ "DurationSeconds", dur };
	form[1] = (struct sign_param){ "OIDCProviderArn", s->provider_arn };
	form[2] = (struct sign_param){ "OIDCToken", x->token };
	form[3] = (struct sign_param){ "RoleArn", s->role_arn };
	form[4] = (struct sign_param){ "RoleSessionName", s->session_name };
	sign_timestamp(h->now_ms(), ts);

	buf_init(&url, h);
	buf_init(&body, h);
	buf_str(&url, s->sts_url);
	buf_str(&url, "/?Action=AssumeRoleWithOIDC&Format=JSON&"
	    "Version=2015-04-01&Timestamp=");
	buf_pe(&url, ts, strlen(ts));
	if (sign_canonical_query(form, 5, &body) == -1 || url.failed)
		goto done;

	hdr[0].name = "Content-Type";
	hdr[0].value = "application/x-www-form-urlencoded";
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = XS_HTTP_POST;
	req.url = url.p;
	req.headers = hdr;
	req.nheaders = 1;
	req.body = (const uint8_t *)body.p;
	req.body_len = body.len;
	req.timeout_ms = timeout_ms;
	rc = h->http_request(x->st, &req, resp, d);
done:
	buf_free(&url);
	buf_free(&body);
	return rc;
}

static void
exchange_success(void *arg, const struct xs_http_response *resp)
{
	struct exchange	*x = arg;

	x->date = parse_http_date(x->s->host->http_header(resp, "date"));
}

static const struct errors_ops exchange_ops = {
	.send = exchange_send,
	.refresh = NULL,
	.success = exchange_success,
};

/* A string member of the Credentials object, or NULL. */
static const char *
cred_field(const struct xs_host *h, const struct xs_value *c,
    const char *key)
{
	const char	*v;

	v = h->value_string(h->value_get(c, key), NULL);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/*
 * Makes one exchange (with retries) and fills out and *lifetime.  Called
 * without the session lock.  On failure, the message is in d and msg.
 */
static int32_t
exchange(struct rrsa_session *s, const struct xs_store *st,
    struct ali_creds *out, int64_t *lifetime, struct xs_diag *d,
    char *msg, size_t msglen)
{
	const struct xs_host	*h = s->host;
	struct exchange		 x;
	struct xs_value		*json = NULL;
	const struct xs_value	*c;
	const char		*id, *secret, *token;
	int64_t			 exp;
	char			*jwt = NULL;
	int32_t			 rc;

	if ((rc = token_read(s, &jwt, d)) != XS_OK) {
		snprintf(msg, msglen, "RRSA token file %s could not be read",
		    s->token_file);
		return rc;
	}
	memset(&x, 0, sizeof(x));
	x.date = -1;
	x.s = s;
	x.st = st;
	x.token = jwt;
	rc = errors_call(h, rrsa_policy, &exchange_ops, &x,
	    "STS AssumeRoleWithOIDC", &json, d, msg, msglen);
	h->secure_free(jwt);
	if (rc != XS_OK)
		return rc;

	c = h->value_get(json, "Credentials");
	id = cred_field(h, c, "AccessKeyId");
	secret = cred_field(h, c, "AccessKeySecret");
	token = cred_field(h, c, "SecurityToken");
	exp = rrsa_parse_time(cred_field(h, c, "Expiration"));
	rc = XS_ERR_PROTOCOL;
	if (id == NULL || secret == NULL || token == NULL || exp < 0) {
		snprintf(msg, msglen, "STS AssumeRoleWithOIDC: the response "
		    "lacks credentials or their expiration");
		goto done;
	}
	/* Whole seconds both: the difference may be a second too long. */
	*lifetime = x.date >= 0 ? exp - x.date - 1000 : exp - h->now_ms();
	if (*lifetime <= 0) {
		snprintf(msg, msglen, "STS AssumeRoleWithOIDC: the credentials "
		    "expired on arrival: check the host's clock (NTP)");
		goto done;
	}
	if (*lifetime > (int64_t)s->duration * 1000)
		*lifetime = (int64_t)s->duration * 1000;
	rc = creds_set(h, out, id, secret, token);
done:
	if (rc == XS_ERR_PROTOCOL)
		h->error(d, "%s", msg);
	h->json_free(json);
	return rc;
}

/* Usable: present and not yet at the end of their validity. */
static int
creds_valid(const struct rrsa_session *s, int64_t now)
{
	return s->creds.id != NULL && now < s->valid_until;
}

/* Copies the session's credentials; called with the lock held. */
static int32_t
creds_copy(struct rrsa_session *s, struct ali_creds *out)
{
	int32_t	rc;

	rc = creds_set(s->host, out, s->creds.id, s->creds.secret,
	    s->creds.token);
	out->gen = s->gen;
	return rc;
}

/* Installs fresh credentials; called with the lock held. */
static void
creds_install(struct rrsa_session *s, struct ali_creds *fresh,
    int64_t lifetime, int64_t now)
{
	creds_clear(s->host, &s->creds);
	s->creds = *fresh;
	s->gen++;
	s->creds.gen = s->gen;
	s->refresh_at = now + rrsa_refresh_after(lifetime);
	s->valid_until = now + rrsa_valid_for(lifetime);
	s->retry_at = 0;
}

/*
 * Runs one exchange as the single flight; lock held on entry and exit.  d
 * is NULL for a refresh ahead of expiry, whose failure is not the
 * caller's error (the host accepts a NULL diag).
 */
static int32_t
flight(struct rrsa_session *s, const struct xs_store *st,
    struct xs_diag *d)
{
	const struct xs_host	*h = s->host;
	struct ali_creds	 fresh;
	int64_t			 lifetime = 0;
	char			 msg[512];
	int32_t			 rc;

	memset(&fresh, 0, sizeof(fresh));
	msg[0] = '\0';
	s->busy = 1;
	pthread_mutex_unlock(&s->mu);
	rc = exchange(s, st, &fresh, &lifetime, d, msg, sizeof(msg));
	pthread_mutex_lock(&s->mu);
	s->busy = 0;
	s->exchanges++;
	s->last_rc = rc;
	if (rc == XS_OK) {
		creds_install(s, &fresh, lifetime, h->monotonic_ms());
		if (h->log_enabled(XS_LOG_INFO))
			h->log(XS_LOG_INFO, "RRSA: new STS credentials for %s, "
			    "valid %lld s", s->role_arn,
			    (long long)(lifetime / 1000));
	} else {
		snprintf(s->last_msg, sizeof(s->last_msg), "%s", msg);
		s->retry_at = h->monotonic_ms() + RRSA_RETRY_MS;
	}
	pthread_cond_broadcast(&s->cv);
	return rc;
}

int32_t
rrsa_get(struct rrsa_session *s, const struct xs_store *st,
    uint64_t refused, struct ali_creds *out, struct xs_diag *d)
{
	const struct xs_host	*h = s->host;
	int64_t			 now;
	uint64_t		 seen;
	int			 valid, stale;
	int32_t			 rc;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		now = h->monotonic_ms();
		valid = creds_valid(s, now);
		stale = refused != 0 && refused == s->gen;
		if (valid && !stale &&
		    (now < s->refresh_at || s->busy || now < s->retry_at)) {
			rc = creds_copy(s, out);
			break;
		}
		if (s->busy) {
			seen = s->exchanges;
			while (s->busy)
				pthread_cond_wait(&s->cv, &s->mu);
			/* A failed exchange answers its waiters too. */
			if (s->exchanges != seen && s->last_rc != XS_OK &&
			    (stale || !creds_valid(s, h->monotonic_ms()))) {
				rc = s->last_rc;
				h->error(d, "%s", s->last_msg);
				break;
			}
			continue;
		}
		rc = flight(s, st, valid && !stale ? NULL : d);
		if (rc == XS_OK || (valid && !stale)) {
			if (rc != XS_OK)
				h->warn(d, "RRSA: refreshing the STS "
				    "credentials failed; the current ones stay "
				    "in use until they expire");
			rc = creds_copy(s, out);
		}
		break;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}
