/*
 * The Alibaba provider's error handling: the classification of every
 * documented Code, the backoff's jitter bounds and the server hints, and
 * the retry loop (retries, one credential refresh, the deadline, stable
 * messages that never echo the server's Message or RequestId).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "test_alibaba_host.h"
#include "../../providers/alibaba/errors.h"

static void
test_classify(void)
{
	static const struct {
		int		 http;
		const char	*code;
		int32_t		 status;
		int		 action;
		const char	*says;
	} cases[] = {
		{ 404, "Forbidden.ResourceNotFound", XS_ERR_NOT_FOUND,
		    ERRORS_FAIL, "does not exist" },
		{ 429, "Rejected.Throttling", XS_ERR_THROTTLED, ERRORS_RETRY,
		    "throttling" },
		{ 400, "Throttling", XS_ERR_THROTTLED, ERRORS_RETRY, NULL },
		{ 400, "Throttling.User", XS_ERR_THROTTLED, ERRORS_RETRY,
		    NULL },
		{ 429, "Throttling.Api", XS_ERR_THROTTLED, ERRORS_RETRY,
		    NULL },
		{ 503, "ServiceUnavailableTemporary", XS_ERR_UNAVAILABLE,
		    ERRORS_RETRY, NULL },
		{ 500, "InternalFailure", XS_ERR_UNAVAILABLE, ERRORS_RETRY,
		    NULL },
		{ 400, "SignatureNonceUsed", XS_ERR_UNAVAILABLE, ERRORS_RETRY,
		    NULL },
		{ 404, "InvalidAccessKeyId.NotFound", XS_ERR_AUTH,
		    ERRORS_REFRESH, "no trailing newline" },
		{ 400, "InvalidSecurityToken.Expired", XS_ERR_AUTH,
		    ERRORS_REFRESH, NULL },
		{ 400, "InvalidSecurityToken.Malformed", XS_ERR_AUTH,
		    ERRORS_REFRESH, NULL },
		{ 403, "InvalidSecurityToken.MismatchWithAccessKey",
		    XS_ERR_AUTH, ERRORS_REFRESH, NULL },
		{ 400, "MissingSecurityToken", XS_ERR_AUTH, ERRORS_REFRESH,
		    NULL },
		{ 403, "InvalidAccessKeyId.Inactive", XS_ERR_AUTH, ERRORS_FAIL,
		    "disabled" },
		{ 400, "SignatureDoesNotMatch", XS_ERR_AUTH, ERRORS_FAIL,
		    "check the AccessKey secret (no trailing newline)" },
		{ 400, "IncompleteSignature", XS_ERR_AUTH, ERRORS_FAIL,
		    "check the AccessKey secret" },
		{ 400, "InvalidTimeStamp.Expired", XS_ERR_AUTH, ERRORS_FAIL,
		    "clock skew: check the host's clock (NTP)" },
		{ 400, "IllegalTimestamp", XS_ERR_AUTH, ERRORS_FAIL,
		    "clock (NTP)" },
		{ 403, "Forbidden.NoPermission", XS_ERR_DENIED, ERRORS_FAIL,
		    "kms:GetSecretValue" },
		{ 401, "AuthenticationFail.NoPermission", XS_ERR_AUTH,
		    ERRORS_FAIL, "OIDC provider" },
		{ 401, "AuthenticationFail.OIDCToken.AudienceNotMatch",
		    XS_ERR_AUTH, ERRORS_FAIL, "sts.aliyuncs.com" },
		{ 401, "AuthenticationFail.OIDCToken.Expired", XS_ERR_AUTH,
		    ERRORS_FAIL, NULL },
		{ 401, "AuthenticationFail.OIDCToken.InvalidSignature",
		    XS_ERR_AUTH, ERRORS_FAIL, NULL },
		{ 400, "InvalidParameter.RoleSessionName", XS_ERR_INVALID,
		    ERRORS_FAIL, "sessionName" },
		{ 400, "InvalidParameter.DurationSeconds", XS_ERR_INVALID,
		    ERRORS_FAIL, "durationSeconds" },
		/* Unknown codes: by status, and never a not-found. */
		{ 404, "Forbidden.KeyNotFound", XS_ERR_INVALID, ERRORS_FAIL,
		    NULL },
		{ 404, NULL, XS_ERR_INVALID, ERRORS_FAIL, NULL },
		{ 429, NULL, XS_ERR_THROTTLED, ERRORS_RETRY, NULL },
		{ 502, NULL, XS_ERR_UNAVAILABLE, ERRORS_RETRY, NULL },
		{ 503, "SomethingNew", XS_ERR_UNAVAILABLE, ERRORS_RETRY,
		    NULL },
		{ 401, "SomethingNew", XS_ERR_AUTH, ERRORS_FAIL, NULL },
		{ 403, "SomethingNew", XS_ERR_DENIED, ERRORS_FAIL, NULL },
		{ 302, NULL, XS_ERR_PROTOCOL, ERRORS_FAIL, NULL },
	};
	struct errors_verdict	v;
	size_t			i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		errors_classify(cases[i].http, cases[i].code, &v);
		ok(v.status == cases[i].status &&
		    v.action == cases[i].action && v.text != NULL &&
		    (cases[i].says == NULL ||
		    strstr(v.text, cases[i].says) != NULL),
		    "classify %d %s", cases[i].http,
		    cases[i].code ? cases[i].code : "(none)");
	}
}

static void
test_code_copy(void)
{
	char	out[64];

	errors_code_copy("Throttling.User", out);
	is_str(out, "Throttling.User", "a code is kept");
	errors_code_copy("Bad Code: secret", out);
	is_str(out, "", "a code with odd characters is dropped");
	errors_code_copy("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAA", out);
	is_str(out, "", "an overlong code is dropped");
	errors_code_copy(NULL, out);
	is_str(out, "", "no code");
}

static void
test_backoff(void)
{
	static const uint32_t	rnds[] = { 0, 1, 77, 12345, 0x7fffffff,
	    0xffffffff };
	struct errors_policy	p = errors_default_policy;
	int64_t			d, want;
	int			a, bad = 0, hint_bad = 0, spread = 0;
	size_t			i;

	for (a = 1; a <= 8; a++) {
		want = p.base_ms << (a - 1);
		if (want > p.cap_ms)
			want = p.cap_ms;
		for (i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
			d = errors_backoff(&p, a, 0, rnds[i]);
			if (d < want / 2 || d > want)
				bad++;
			if (d != want / 2 + 0)
				spread++;
		}
		d = errors_backoff(&p, a, 1500, 0);
		if (d < 1500 || d > p.cap_ms)
			hint_bad++;
	}
	ok(bad == 0, "backoff stays within [d/2, d] of its exponential step");
	ok(spread > 0, "backoff is jittered");
	ok(hint_bad == 0, "a server hint raises the backoff");
	is_int(errors_backoff(&p, 1, 600000, 0), p.cap_ms,
	    "a huge hint is capped");
	ok(errors_backoff(&p, 3, 0, 0) > errors_backoff(&p, 1, 0, 0xffffffff),
	    "backoff grows with the attempt");
}

/* A scripted service: one response per send, the last one repeats. */
struct step {
	int32_t		 rc;
	int		 status;
	const char	*body;
	const char	*hname, *hvalue;
};

static const struct step	*script;
static int			 nscript, sends, refreshes, sleeps;
static int64_t			 slept;
static int32_t			 refresh_rc;

static void
script_http(const struct th_request *req, struct th_response *resp,
    void *arg)
{
	const struct step	*s = &script[sends < nscript ? sends :
	    nscript - 1];

	sends++;
	resp->rc = s->rc;
	resp->status = s->status;
	snprintf(resp->body, sizeof(resp->body), "%s", s->body);
	if (s->hname != NULL) {
		snprintf(resp->hname, sizeof(resp->hname), "%s", s->hname);
		snprintf(resp->hvalue, sizeof(resp->hvalue), "%s", s->hvalue);
	}
}

static int32_t
fake_send(void *arg, uint32_t timeout_ms, struct xs_http_response **resp,
    struct xs_diag *d)
{
	struct xs_http_request	req;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.url = "https://kms.cn-hangzhou.aliyuncs.com/";
	return th_host.http_request(NULL, &req, resp, d);
}

static int32_t
fake_refresh(void *arg, struct xs_diag *d)
{
	refreshes++;
	return refresh_rc;
}

static void
fake_sleep(int64_t ms)
{
	sleeps++;
	slept += ms;
	th_advance(ms);
}

static int32_t
run(const struct step *s, int n, int with_refresh, struct xs_diag *d)
{
	struct errors_policy	p = errors_default_policy;
	struct errors_ops	ops = { fake_send, NULL, NULL };
	struct xs_value		*json = NULL;
	int32_t			 rc;

	p.sleep = fake_sleep;
	if (with_refresh)
		ops.refresh = fake_refresh;
	script = s;
	nscript = n;
	sends = refreshes = sleeps = 0;
	slept = 0;
	refresh_rc = XS_OK;
	th_diag_init(d);
	th_set_http(script_http, NULL);
	rc = errors_call(&th_host, &p, &ops, NULL, "GetSecretValue \"db\"",
	    &json, d, NULL, 0);
	if (json != NULL)
		th_host.json_free(json);
	return rc;
}

#define OKBODY	"{\"SecretData\":\"x\"}"
#define ECHO	"{\"RequestId\":\"REQ-1234-ABCD\",\"Code\":\"%s\"," \
	"\"Message\":\"StringToSign: x-acs-security-token:CANARY-TOKEN\"}"

static void
test_loop(void)
{
	struct step	throttle2[] = {
		{ XS_OK, 429, "{\"Code\":\"Rejected.Throttling\"}",
		    "x-ratelimit-user-api", "Limit:10,Remain:0,TimeLeft:900" },
		{ XS_OK, 400, "{\"Code\":\"Throttling.User\"}", NULL, NULL },
		{ XS_OK, 200, OKBODY, NULL, NULL },
	};
	struct step	down[1] = { { XS_OK, 503, "", NULL, NULL } };
	struct step	cred[2] = {
		{ XS_OK, 400, "{\"Code\":\"InvalidSecurityToken.Expired\"}",
		    NULL, NULL },
		{ XS_OK, 200, OKBODY, NULL, NULL },
	};
	struct step	cred_always[1] = {
		{ XS_OK, 404, "{\"Code\":\"InvalidAccessKeyId.NotFound\"}",
		    NULL, NULL },
	};
	struct step	notfound[1] = {
		{ XS_OK, 404, "{\"Code\":\"Forbidden.ResourceNotFound\"}",
		    NULL, NULL },
	};
	struct step	transport[2] = {
		{ XS_ERR_UNAVAILABLE, 0, "", NULL, NULL },
		{ XS_OK, 200, OKBODY, NULL, NULL },
	};
	struct step	notjson[1] = { { XS_OK, 200, "<xml/>", NULL, NULL } };
	struct step	echo[1];
	char		body[512], first[512];
	struct xs_diag	d;

	is_int(run(throttle2, 3, 0, &d), XS_OK, "throttling is retried");
	is_int(sends, 3, "three sends");
	ok(slept >= 900, "the TimeLeft hint is honoured");

	is_int(run(down, 1, 0, &d), XS_ERR_UNAVAILABLE, "5xx: unavailable");
	is_int(sends, errors_default_policy.attempts, "bounded attempts");
	ok(strstr(d.error, "HTTP 503") != NULL, "5xx message: %s", d.error);

	is_int(run(cred, 2, 1, &d), XS_OK, "credential error: refreshed");
	is_int(refreshes, 1, "one refresh");
	is_int(run(cred_always, 1, 1, &d), XS_ERR_AUTH,
	    "credential error twice: auth");
	is_int(refreshes, 1, "refreshed only once");
	is_int(sends, 2, "then failed");
	is_int(run(cred_always, 1, 0, &d), XS_ERR_AUTH,
	    "AccessKey: no refresh, auth");
	is_int(sends, 1, "fails at once");

	is_int(run(notfound, 1, 0, &d), XS_ERR_NOT_FOUND, "not found");
	is_int(sends, 1, "not found is not retried");
	is_int(run(transport, 2, 0, &d), XS_OK, "transport error retried");
	is_int(run(notjson, 1, 0, &d), XS_ERR_PROTOCOL, "non-JSON body");

	/* The server's Message and RequestId never reach the message. */
	snprintf(body, sizeof(body), ECHO, "SignatureDoesNotMatch");
	echo[0] = (struct step){ XS_OK, 400, body, NULL, NULL };
	is_int(run(echo, 1, 0, &d), XS_ERR_AUTH, "signature mismatch");
	ok(strstr(d.error, "CANARY") == NULL &&
	    strstr(d.error, "REQ-1234") == NULL &&
	    strstr(d.error, "SignatureDoesNotMatch") != NULL,
	    "no echo in the message: %s", d.error);
	snprintf(first, sizeof(first), "%s", d.error);
	run(echo, 1, 0, &d);
	is_str(d.error, first, "the message is the same every time");
	snprintf(body, sizeof(body), ECHO, "Rejected.Throttling");
	echo[0] = (struct step){ XS_OK, 429, body, NULL, NULL };
	is_int(run(echo, 1, 0, &d), XS_ERR_THROTTLED, "throttled at last");
	ok(strstr(d.error, "CANARY") == NULL &&
	    strstr(d.error, "REQ-1234") == NULL, "no echo: %s", d.error);
	ok(strstr(th_log_text(), "CANARY") == NULL, "no echo in the log");
}

static void
test_deadline(void)
{
	struct step		throttle[1] = {
		{ XS_OK, 429, "{\"Code\":\"Rejected.Throttling\"}",
		    "x-ratelimit-user", "TimeLeft:3000" },
	};
	struct errors_policy	p = errors_default_policy;
	struct errors_ops	ops = { fake_send, NULL, NULL };
	struct xs_value		*json = NULL;
	struct xs_diag		d;

	p.sleep = fake_sleep;
	p.attempts = 10;
	p.deadline_ms = 5000;
	script = throttle;
	nscript = 1;
	sends = sleeps = 0;
	th_diag_init(&d);
	th_set_http(script_http, NULL);
	is_int(errors_call(&th_host, &p, &ops, NULL, "x", &json, &d, NULL, 0),
	    XS_ERR_THROTTLED, "deadline: throttled");
	ok(sends < 10, "the deadline stops retries (%d sends)", sends);
}

int
main(void)
{
	th_init();
	test_classify();
	test_code_copy();
	test_backoff();
	test_loop();
	test_deadline();
	is_int(th_secure_live(), 0, "no secure memory leaked");
	return tap_done();
}
