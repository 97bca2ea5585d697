/*
 * Error classification and the retry loop of the Alibaba provider.
 *
 * One table maps each Code Alibaba documents to a status, an action and a
 * sentence that says what to check.  Codes that name a family (every
 * "Throttling.*", every "InvalidSecurityToken.*") match by prefix.  Codes
 * the table does not know fall back on the HTTP status, conservatively:
 * 5xx and 429 are retried, 401 is an authentication failure, 403 a denial,
 * any other 4xx a permanent refusal, never a not-found.
 *
 * The loop: send; on a 2xx parse the body; else classify.  A retryable
 * failure sleeps (exponential backoff with equal jitter, raised to the
 * server's TimeLeft hint) while the attempts and the call's deadline allow,
 * then sends again; errors_ops.send builds every attempt afresh, so each
 * carries a new nonce and timestamp.  A credential failure renews the
 * credentials once and sends again at once.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "errors.h"

const struct errors_policy errors_default_policy = {
	.attempts = 3,
	.base_ms = 250,
	.cap_ms = 4000,
	.deadline_ms = 25000,
	.timeout_ms = 10000,
	.sleep = NULL,
};

struct rule {
	const char	*code;
	int		 prefix;	/* code ends with '.', match family */
	int32_t		 status;
	int		 action;
	const char	*text;
};

static const struct rule rules[] = {
	{ "Forbidden.ResourceNotFound", 0, XS_ERR_NOT_FOUND, ERRORS_FAIL,
	    "the secret or version does not exist" },
	{ "Rejected.Throttling", 0, XS_ERR_THROTTLED, ERRORS_RETRY,
	    "KMS is throttling requests: the account's quota is shared "
	    "with every other client in the region" },
	{ "Throttling", 0, XS_ERR_THROTTLED, ERRORS_RETRY,
	    "the API gateway is throttling requests" },
	{ "Throttling.", 1, XS_ERR_THROTTLED, ERRORS_RETRY,
	    "the API gateway is throttling requests" },
	{ "ServiceUnavailableTemporary", 0, XS_ERR_UNAVAILABLE, ERRORS_RETRY,
	    "the service is temporarily unavailable" },
	{ "ServiceUnavailable", 0, XS_ERR_UNAVAILABLE, ERRORS_RETRY,
	    "the service is temporarily unavailable" },
	{ "InternalFailure", 0, XS_ERR_UNAVAILABLE, ERRORS_RETRY,
	    "the service failed internally" },
	{ "InternalError", 0, XS_ERR_UNAVAILABLE, ERRORS_RETRY,
	    "the service failed internally" },
	{ "SignatureNonceUsed", 0, XS_ERR_UNAVAILABLE, ERRORS_RETRY,
	    "the service saw a signature nonce twice" },
	{ "InvalidAccessKeyId.NotFound", 0, XS_ERR_AUTH, ERRORS_REFRESH,
	    "the AccessKey ID is unknown: check the AccessKey ID (no "
	    "trailing newline), or the STS credentials have expired" },
	{ "InvalidSecurityToken.", 1, XS_ERR_AUTH, ERRORS_REFRESH,
	    "the STS security token was refused as expired or malformed" },
	{ "MissingSecurityToken", 0, XS_ERR_AUTH, ERRORS_REFRESH,
	    "an STS AccessKey was used without its security token" },
	{ "InvalidAccessKeyId.Inactive", 0, XS_ERR_AUTH, ERRORS_FAIL,
	    "the AccessKey is disabled: enable it or use another" },
	{ "SignatureDoesNotMatch", 0, XS_ERR_AUTH, ERRORS_FAIL,
	    "the signature does not match: check the AccessKey secret "
	    "(no trailing newline)" },
	{ "IncompleteSignature", 0, XS_ERR_AUTH, ERRORS_FAIL,
	    "the signature does not match: check the AccessKey secret "
	    "(no trailing newline)" },
	{ "InvalidTimeStamp.Expired", 0, XS_ERR_AUTH, ERRORS_FAIL,
	    "the request time was refused as clock skew: check the host's "
	    "clock (NTP)" },
	{ "IllegalTimestamp", 0, XS_ERR_AUTH, ERRORS_FAIL,
	    "the request time was refused as clock skew: check the host's "
	    "clock (NTP)" },
	{ "Forbidden.NoPermission", 0, XS_ERR_DENIED, ERRORS_FAIL,
	    "permission denied: the RAM identity needs kms:GetSecretValue "
	    "on the secret (and kms:Decrypt on its key), or kms:ListSecrets "
	    "for find" },
	{ "AuthenticationFail.NoPermission", 0, XS_ERR_AUTH, ERRORS_FAIL,
	    "STS refused the OIDC token: check that the OIDC provider is "
	    "registered and the role's trust policy names it" },
	{ "AuthenticationFail.OIDCToken.AudienceNotMatch", 0, XS_ERR_AUTH,
	    ERRORS_FAIL, "STS refused the OIDC token's audience: the "
	    "projected token must have audience sts.aliyuncs.com" },
	{ "AuthenticationFail.OIDCToken.Expired", 0, XS_ERR_AUTH, ERRORS_FAIL,
	    "the OIDC token in the token file has expired: check that the "
	    "kubelet refreshes the projected volume" },
	{ "AuthenticationFail.", 1, XS_ERR_AUTH, ERRORS_FAIL,
	    "STS refused the OIDC token: check the token file and the "
	    "OIDC provider's issuer and fingerprint" },
	{ "EntityNotExist.Role", 0, XS_ERR_AUTH, ERRORS_FAIL,
	    "the RAM role does not exist: check roleArn" },
	{ "InvalidParameter.RoleSessionName", 0, XS_ERR_INVALID, ERRORS_FAIL,
	    "STS refused the session name: check sessionName" },
	{ "InvalidParameter.DurationSeconds", 0, XS_ERR_INVALID, ERRORS_FAIL,
	    "STS refused durationSeconds: it must not exceed the role's "
	    "maximum session duration" },
};

void
errors_code_copy(const char *code, char out[64])
{
	size_t	i;
	char	c;

	out[0] = '\0';
	if (code == NULL)
		return;
	for (i = 0; code[i] != '\0'; i++) {
		c = code[i];
		if (i == 63 || !((c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '-'))
			return;
	}
	memcpy(out, code, i + 1);
}

static int
rule_match(const struct rule *r, const char *code)
{
	if (r->prefix)
		return strncmp(code, r->code, strlen(r->code)) == 0;
	return strcmp(code, r->code) == 0;
}

static void
classify_status(int http_status, struct errors_verdict *v)
{
	v->action = ERRORS_FAIL;
	if (http_status == 429) {
		v->status = XS_ERR_THROTTLED;
		v->action = ERRORS_RETRY;
		v->text = "the service is throttling requests";
	} else if (http_status >= 500) {
		v->status = XS_ERR_UNAVAILABLE;
		v->action = ERRORS_RETRY;
		v->text = "the service failed";
	} else if (http_status == 401) {
		v->status = XS_ERR_AUTH;
		v->text = "the credentials were refused";
	} else if (http_status == 403) {
		v->status = XS_ERR_DENIED;
		v->text = "the request was denied";
	} else if (http_status >= 400) {
		v->status = XS_ERR_INVALID;
		v->text = "the request was refused";
	} else {
		v->status = XS_ERR_PROTOCOL;
		v->text = "unexpected HTTP status";
	}
}

void
errors_classify(int http_status, const char *code, struct errors_verdict *v)
{
	size_t	i;

	if (code != NULL && code[0] != '\0') {
		for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
			if (!rule_match(&rules[i], code))
				continue;
			v->status = rules[i].status;
			v->action = rules[i].action;
			v->text = rules[i].text;
			return;
		}
	}
	classify_status(http_status, v);
}

int64_t
errors_backoff(const struct errors_policy *p, int attempt, int64_t hint_ms,
    uint32_t rnd)
{
	int64_t	d = p->base_ms;
	int	i;

	for (i = 1; i < attempt && d < p->cap_ms; i++)
		d *= 2;
	if (d > p->cap_ms)
		d = p->cap_ms;
	d = d / 2 + (int64_t)(rnd % (uint32_t)(d / 2 + 1));
	if (hint_ms > d)
		d = hint_ms;
	if (d > p->cap_ms)
		d = p->cap_ms;
	return d;
}

/* The number after "TimeLeft:" in a rate-limit header, or 0. */
static int64_t
timeleft(const char *s)
{
	const char	*p;
	int64_t		 v = 0;

	if (s == NULL || (p = strstr(s, "TimeLeft:")) == NULL)
		return 0;
	for (p += 9; *p >= '0' && *p <= '9' && v < 86400000; p++)
		v = v * 10 + (*p - '0');
	return v;
}

int64_t
errors_hint(const struct xs_host *host, const struct xs_http_response *resp)
{
	const char	*s;
	int64_t		 v, w = 0;

	v = timeleft(host->http_header(resp, "x-ratelimit-user-api"));
	if ((w = timeleft(host->http_header(resp, "x-ratelimit-user"))) > v)
		v = w;
	if ((s = host->http_header(resp, "retry-after")) != NULL) {
		for (w = 0; *s >= '0' && *s <= '9' && w < 86400; s++)
			w = w * 10 + (*s - '0');
		if (w * 1000 > v)
			v = w * 1000;
	}
	return v;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The Code of an error body, copied to code; "" when there is none. */
static void
body_code(const struct xs_host *host, const struct xs_http_response *resp,
    char code[64])
{
	const uint8_t	*body;
	size_t		 len;
	struct xs_value	*root = NULL;

	code[0] = '\0';
	body = host->http_body(resp, &len);
	if (body == NULL || len == 0 ||
	    host->json_parse((const char *)body, len, &root, NULL) != XS_OK)
		return;
	errors_code_copy(host->value_string(host->value_get(root, "Code"),
	    NULL), code);
	host->json_free(root);
}

/* Parses a 2xx body; XS_OK or XS_ERR_PROTOCOL with a message. */
static int32_t
body_json(const struct xs_host *host, const struct xs_http_response *resp,
    const char *what, struct xs_value **json, struct xs_diag *d)
{
	const uint8_t	*body;
	size_t		 len;

	body = host->http_body(resp, &len);
	if (body == NULL || len == 0 ||
	    host->json_parse((const char *)body, len, json, NULL) != XS_OK ||
	    host->value_type(*json) != XS_VALUE_MAP) {
		if (*json != NULL)
			host->json_free(*json);
		*json = NULL;
		host->error(d, "%s: the response is not a JSON object", what);
		return XS_ERR_PROTOCOL;
	}
	return XS_OK;
}

/* Says why a call failed, in d and in msg. */
static void
report(const struct xs_host *host, const char *what,
    const struct errors_verdict *v, const char *code, int status,
    struct xs_diag *d, char *msg, size_t msglen)
{
	char	line[512];

	if (v->text == NULL)
		snprintf(line, sizeof(line), "%s: the service could not be "
		    "reached", what);
	else if (code[0] != '\0')
		snprintf(line, sizeof(line), "%s: %s (%s)", what, v->text,
		    code);
	else
		snprintf(line, sizeof(line), "%s: %s (HTTP %d)", what, v->text,
		    status);
	/* The host has put its own transport message in d already. */
	if (v->text != NULL)
		host->error(d, "%s", line);
	if (msg != NULL)
		snprintf(msg, msglen, "%s", line);
}

int32_t
errors_call(const struct xs_host *host, const struct errors_policy *p,
    const struct errors_ops *ops, void *arg, const char *what,
    struct xs_value **json, struct xs_diag *d, char *msg, size_t msglen)
{
	struct xs_http_response	*resp;
	struct errors_verdict	 v;
	char			 code[64];
	int64_t			 deadline, left, delay, hint;
	uint32_t		 rnd, timeout;
	int			 attempt = 0, refreshed = 0, status = 0;
	int32_t			 rc;

	*json = NULL;
	deadline = host->monotonic_ms() + p->deadline_ms;
	for (;;) {
		attempt++;
		left = deadline - host->monotonic_ms();
		timeout = left < (int64_t)p->timeout_ms ?
		    (uint32_t)(left > 1000 ? left : 1000) : p->timeout_ms;
		resp = NULL;
		hint = 0;
		code[0] = '\0';
		rc = ops->send(arg, timeout, &resp, d);
		if (rc == XS_OK && (status = host->http_status(resp)) >= 200 &&
		    status < 300) {
			rc = body_json(host, resp, what, json, d);
			if (rc == XS_OK && ops->success != NULL)
				ops->success(arg, resp);
			host->http_free(resp);
			if (rc != XS_OK && msg != NULL)
				snprintf(msg, msglen, "%s: the response is "
				    "not a JSON object", what);
			return rc;
		}
		if (rc == XS_OK) {
			body_code(host, resp, code);
			errors_classify(status, code, &v);
			hint = errors_hint(host, resp);
			host->http_free(resp);
		} else if (rc == XS_ERR_UNAVAILABLE) {
			/* The host has said why in d already. */
			v.status = rc;
			v.action = ERRORS_RETRY;
			v.text = NULL;
		} else {
			if (msg != NULL)
				snprintf(msg, msglen, "%s: the request was "
				    "not sent (see the log)", what);
			return rc;
		}

		if (v.action == ERRORS_REFRESH && ops->refresh != NULL &&
		    !refreshed) {
			refreshed = 1;
			if ((rc = ops->refresh(arg, d)) != XS_OK) {
				if (msg != NULL)
					snprintf(msg, msglen, "%s: the "
					    "credentials could not be renewed",
					    what);
				return rc;
			}
			continue;
		}
		if (v.action == ERRORS_RETRY && attempt < p->attempts) {
			if (host->random(&rnd, sizeof(rnd)) != XS_OK)
				rnd = 0;
			delay = errors_backoff(p, attempt, hint, rnd);
			left = deadline - host->monotonic_ms();
			if (delay < left) {
				if (host->log_enabled(XS_LOG_DEBUG))
					host->log(XS_LOG_DEBUG, "%s: retrying "
					    "in %lld ms", what,
					    (long long)delay);
				(p->sleep != NULL ? p->sleep : sleep_ms)(delay);
				continue;
			}
		}
		report(host, what, &v, code, status, d, msg, msglen);
		return v.status;
	}
}
