/*
 * RRSA credentials of the Alibaba provider against a fake STS: sharing of
 * sessions, one exchange for many concurrent callers, refresh ahead of
 * expiry, old credentials kept while a refresh fails, renewal after a
 * refusal, the token file re-read for every exchange and sent only in the
 * body, lifetimes taken from the server's Date, and the refresh policy:
 * about one exchange per lifetime, and no credentials handed out too close
 * to their expiry, over many lifetimes on a skewed server clock.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "test_alibaba_host.h"
#include "../../providers/alibaba/rrsa.h"

#define ROLE	"acs:ram::1234567890123456:role/xsecrets"
#define OIDC	"acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1"

static char	tokfile[256];
static int	sts_calls;
static int	sts_fail;		/* 0 ok, 1: 503, 2: 401 */
static int	sts_delay_ms;
static int64_t	sts_lifetime_ms = 3600 * 1000;
static int64_t	sts_skew_ms;		/* server clock minus ours */
static int	token_in_url;
static char	last_token[256];

/* What the fake STS issued: the server's expiry by call, our issue times. */
#define MAXCALLS	4096
static int64_t	sts_expiry[MAXCALLS];
static int64_t	issued_at[MAXCALLS];
static int	nissued;

static void
fmt_time(int64_t ms, int http, char *out, size_t len)
{
	time_t		t = (time_t)(ms / 1000);
	struct tm	tm;

	gmtime_r(&t, &tm);
	if (http)
		strftime(out, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	else
		strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
fake_sts(const struct th_request *req, struct th_response *resp, void *arg)
{
	char		exp[32], date[64], buf[256];
	const char	*p;
	int		n;
	int64_t		server;

	n = __atomic_add_fetch(&sts_calls, 1, __ATOMIC_SEQ_CST);
	if (sts_delay_ms > 0)
		usleep((useconds_t)sts_delay_ms * 1000);
	if (strstr(req->url, "OIDCToken") != NULL)
		token_in_url = 1;
	if (th_query(req->url, "Action", buf, sizeof(buf)) == NULL ||
	    strcmp(buf, "AssumeRoleWithOIDC") != 0) {
		resp->status = 400;
		snprintf(resp->body, sizeof(resp->body), "{\"Code\":\"x\"}");
		return;
	}
	if ((p = strstr(req->body, "OIDCToken=")) != NULL) {
		snprintf(last_token, sizeof(last_token), "%.*s",
		    (int)strcspn(p + 10, "&"), p + 10);
	}
	if (sts_fail == 1) {
		resp->status = 503;
		snprintf(resp->body, sizeof(resp->body),
		    "{\"Code\":\"ServiceUnavailable\"}");
		return;
	}
	if (sts_fail == 2) {
		resp->status = 401;
		snprintf(resp->body, sizeof(resp->body),
		    "{\"Code\":\"AuthenticationFail.OIDCToken.Invalid\","
		    "\"Message\":\"token %s\"}", last_token);
		return;
	}
	server = th_host.now_ms() + sts_skew_ms;
	fmt_time(server + sts_lifetime_ms, 0, exp, sizeof(exp));
	if (n < MAXCALLS && nissued < MAXCALLS) {
		/* Expiration is in whole seconds, as fmt_time writes it. */
		sts_expiry[n] = (server + sts_lifetime_ms) / 1000 * 1000;
		issued_at[nissued++] = th_host.monotonic_ms();
	}
	fmt_time(server, 1, date, sizeof(date));
	snprintf(resp->hname, sizeof(resp->hname), "Date");
	snprintf(resp->hvalue, sizeof(resp->hvalue), "%s", date);
	snprintf(resp->body, sizeof(resp->body),
	    "{\"RequestId\":\"r\",\"Credentials\":{\"AccessKeyId\":"
	    "\"STS.id%d\",\"AccessKeySecret\":\"sec%d\",\"SecurityToken\":"
	    "\"tok%d\",\"Expiration\":\"%s\"}}", n, n, n, exp);
}

static void
no_sleep(int64_t ms)
{
}

static struct errors_policy	fast;

static void
write_token(const char *text)
{
	FILE	*f;

	if ((f = fopen(tokfile, "w")) == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

static struct rrsa_params
params(const char *session)
{
	struct rrsa_params	p;

	p.role_arn = ROLE;
	p.provider_arn = OIDC;
	p.session_name = session;
	p.token_file = tokfile;
	p.duration = 3600;
	p.sts_url = "https://sts.aliyuncs.com";
	return p;
}

struct worker {
	struct rrsa_session	*s;
	pthread_barrier_t	*start;
	int32_t			 rc;
	char			 id[32];
};

static void *
worker_run(void *arg)
{
	struct worker		*w = arg;
	struct ali_creds	 c;
	struct xs_diag		 d;

	memset(&c, 0, sizeof(c));
	th_diag_init(&d);
	pthread_barrier_wait(w->start);
	w->rc = rrsa_get(w->s, NULL, 0, &c, &d);
	snprintf(w->id, sizeof(w->id), "%s", c.id != NULL ? c.id : "");
	creds_clear(&th_host, &c);
	return NULL;
}

#define NWORKERS	8

/* N concurrent callers; returns how many got XS_OK and id want. */
static int
crowd(struct rrsa_session *s, const char *want, int32_t want_rc)
{
	pthread_t		t[NWORKERS];
	struct worker		w[NWORKERS];
	pthread_barrier_t	start;
	int			i, good = 0;

	pthread_barrier_init(&start, NULL, NWORKERS);
	for (i = 0; i < NWORKERS; i++) {
		w[i].s = s;
		w[i].start = &start;
		pthread_create(&t[i], NULL, worker_run, &w[i]);
	}
	for (i = 0; i < NWORKERS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].rc == want_rc && (want == NULL ||
		    strcmp(w[i].id, want) == 0))
			good++;
	}
	pthread_barrier_destroy(&start);
	return good;
}

static int32_t
get(struct rrsa_session *s, uint64_t refused, struct ali_creds *c,
    struct xs_diag *d)
{
	creds_clear(&th_host, c);
	th_diag_init(d);
	return rrsa_get(s, NULL, refused, c, d);
}

static void
test_single_flight(void)
{
	struct rrsa_params	 p = params("xsecrets");
	struct rrsa_session	*s1, *s2, *s3;
	struct ali_creds	 c;
	struct xs_diag		 d;
	uint64_t		 gen;

	memset(&c, 0, sizeof(c));
	rrsa_open(&th_host, &p, &s1);
	rrsa_open(&th_host, &p, &s2);
	p.session_name = "other";
	rrsa_open(&th_host, &p, &s3);
	ok(s1 == s2, "stores with the same role share a session");
	ok(s1 != s3, "another session name is another session");

	sts_calls = 0;
	sts_delay_ms = 200;
	is_int(crowd(s1, "STS.id1", XS_OK), NWORKERS,
	    "every concurrent caller got the credentials");
	is_int(sts_calls, 1, "one exchange served them all");
	sts_delay_ms = 0;
	ok(!token_in_url, "the token is not in the URL");
	is_str(last_token, "header.payload.sig", "token sent, trimmed");

	is_int(get(s2, 0, &c, &d), XS_OK, "cached");
	ok(sts_calls == 1 && strcmp(c.id, "STS.id1") == 0 &&
	    strcmp(c.token, "tok1") == 0, "served from the cache");

	/*
	 * 3600 s, 3599 s once the second of resolution is taken off: renewed
	 * with 180 s left, not before.
	 */
	th_advance(3410 * 1000);
	get(s1, 0, &c, &d);
	is_int(sts_calls, 1, "not renewed before the refresh point");
	th_advance(10 * 1000);
	write_token("rotated.token.value\n");
	is_int(get(s1, 0, &c, &d), XS_OK, "renewed ahead of expiry");
	ok(sts_calls == 2 && strcmp(c.id, "STS.id2") == 0,
	    "new credentials after the refresh point");
	is_str(last_token, "rotated.token.value",
	    "the token file is read again");

	/* A refused generation is renewed once, an older one is not. */
	gen = c.gen;
	is_int(get(s1, gen, &c, &d), XS_OK, "refused: renewed");
	ok(sts_calls == 3 && c.gen == gen + 1, "one exchange for a refusal");
	get(s1, gen, &c, &d);
	is_int(sts_calls, 3, "an old refusal does not renew again");

	/*
	 * A failing refresh keeps the valid credentials, tries again every
	 * RRSA_RETRY_MS, and serves them until 30 s before they expire.
	 */
	th_advance(3420 * 1000);
	sts_fail = 1;
	is_int(get(s1, 0, &c, &d), XS_OK, "refresh failed: still OK");
	ok(strcmp(c.id, "STS.id3") == 0 && d.nwarnings == 1 &&
	    d.error[0] == '\0', "old credentials kept, with a warning");
	is_int(sts_calls, 3 + fast.attempts, "the refresh was retried");
	get(s1, 0, &c, &d);
	is_int(sts_calls, 3 + fast.attempts,
	    "no new attempt right after a failure");
	th_advance(RRSA_RETRY_MS);
	is_int(get(s1, 0, &c, &d), XS_OK, "failed again: still OK");
	is_int(sts_calls, 3 + 2 * fast.attempts,
	    "a new attempt after RRSA_RETRY_MS");
	th_advance(3568 * 1000 - 3420 * 1000 - RRSA_RETRY_MS);
	is_int(get(s1, 0, &c, &d), XS_OK, "served until the margin");
	ok(strcmp(c.id, "STS.id3") == 0,
	    "the old credentials, 32 s before expiry");
	th_advance(2 * 1000);
	is_int(get(s1, 0, &c, &d), XS_ERR_UNAVAILABLE,
	    "30 s before expiry, refresh failing: unavailable");
	ok(c.id == NULL, "no credentials handed out");
	ok(strstr(d.error, "STS AssumeRoleWithOIDC") != NULL,
	    "the error names STS: %s", d.error);
	sts_fail = 2;
	is_int(get(s1, 0, &c, &d), XS_ERR_AUTH, "token refused: auth");
	ok(strstr(d.error, "header") == NULL && strstr(d.error, "rotated") ==
	    NULL, "the token is not in the message");
	ok(strstr(th_log_text(), "rotated.token") == NULL,
	    "the token is not in the log");
	sts_fail = 0;

	creds_clear(&th_host, &c);
	rrsa_close(s1);
	rrsa_close(s2);
	rrsa_close(s3);
}

static void
test_crowd_failure(void)
{
	struct rrsa_params	 p = params("failing");
	struct rrsa_session	*s;

	rrsa_open(&th_host, &p, &s);
	sts_calls = 0;
	sts_fail = 1;
	sts_delay_ms = 200;
	is_int(crowd(s, NULL, XS_ERR_UNAVAILABLE), NWORKERS,
	    "a failed exchange fails every waiting caller");
	is_int(sts_calls, fast.attempts, "and was made once");
	sts_fail = 0;
	sts_delay_ms = 0;
	rrsa_close(s);
}

/*
 * For every lifetime STS may give (15 minutes to 12 hours): one exchange
 * serves nine tenths of it or more; credentials are given out no later
 * than a call's deadline before they expire; and between the refresh
 * point and then, there is room for a failed exchange, the wait after it
 * and another one.  For the short lifetimes of tests, the refresh point
 * still comes before the end of use.
 */
static void
policy_bounds(void)
{
	const struct errors_policy	*p = &errors_default_policy;
	int64_t				 l, r, v, worst = -1;
	int				 bad = 0;

	for (l = 900000; l <= 43200000; l += 1000) {
		r = rrsa_refresh_after(l);
		v = rrsa_valid_for(l);
		if (r * 10 < l * 9 || l - v <= p->deadline_ms + 1000 ||
		    v - r < 2 * p->deadline_ms + RRSA_RETRY_MS) {
			bad++;
			if (worst == -1)
				worst = l;
		}
	}
	ok(bad == 0, "policy bounds hold for 900 s to 12 h (first bad: %lld)",
	    (long long)worst);
	for (l = 2000, bad = 0; l <= 900000; l += 1000)
		if (rrsa_refresh_after(l) >= rrsa_valid_for(l) ||
		    rrsa_valid_for(l) >= l)
			bad++;
	is_int(bad, 0, "short lifetimes: refresh, then end of use, then "
	    "expiry");
}

/*
 * Ten lifetimes of 60 s with a caller every 250 ms, the server's clock
 * 7 min 0.6 s behind ours, then an STS outage: about one exchange per
 * lifetime, and no credentials given out with less than the margin left
 * on the server's clock, even while the refresh fails.
 */
static void
test_steady(void)
{
	struct rrsa_params	 p = params("steady");
	struct rrsa_session	*s;
	struct ali_creds	 c;
	struct xs_diag		 d;
	int64_t			 left, min_left = INT64_MAX, interval;
	int			 i, n, bad = 0, failed = 0;

	memset(&c, 0, sizeof(c));
	sts_lifetime_ms = 60 * 1000;
	sts_skew_ms = -(7 * 60 * 1000 + 600);
	sts_calls = 0;
	nissued = 0;
	rrsa_open(&th_host, &p, &s);
	for (i = 0; i < 2 * 10 * 60 * 4; i++) {
		/* The second half: STS fails for one lifetime in two. */
		sts_fail = i >= 10 * 60 * 4 && i / (60 * 4) % 2 == 0;
		if (get(s, 0, &c, &d) != XS_OK) {
			failed++;
			goto next;
		}
		n = atoi(c.id + strlen("STS.id"));
		if (n <= 0 || n >= MAXCALLS) {
			bad++;
			goto next;
		}
		left = sts_expiry[n] - (th_host.now_ms() + sts_skew_ms);
		if (left < min_left)
			min_left = left;
next:
		if (i == 10 * 60 * 4 - 1) {
			/* Steady state: from the first exchange to the last. */
			interval = (issued_at[nissued - 1] - issued_at[0]) /
			    (nissued - 1);
			ok(interval * 100 >= 60000 * 88 &&
			    interval < rrsa_valid_for(59000),
			    "an exchange every %lld ms of 60000 (%d in 10 "
			    "lifetimes)", (long long)interval, nissued);
			ok(sts_calls == nissued && nissued <= 12,
			    "%d exchanges in 10 lifetimes", sts_calls);
		}
		th_advance(250);
	}
	is_int(bad, 0, "every credential came from the fake STS");
	ok(failed > 0, "the outage failed some calls (%d)", failed);
	ok(min_left >= 2950, "never less than the margin left: %lld ms",
	    (long long)min_left);
	sts_fail = 0;
	sts_skew_ms = 0;
	sts_lifetime_ms = 3600 * 1000;
	creds_clear(&th_host, &c);
	rrsa_close(s);
}

static void
test_lifetime(void)
{
	struct rrsa_params	 p = params("skewed");
	struct rrsa_session	*s;
	struct ali_creds	 c;
	struct xs_diag		 d;

	memset(&c, 0, sizeof(c));
	is_int(rrsa_refresh_after(3600000), 3420000,
	    "1 h: renewed 180 s ahead");
	is_int(rrsa_refresh_after(900000), 810000, "15 min: 90 s ahead");
	is_int(rrsa_refresh_after(43200000), 43020000, "12 h: 180 s ahead");
	is_int(rrsa_refresh_after(60000), 54000, "short lifetimes: a tenth");
	is_int(rrsa_valid_for(3600000), 3570000, "1 h: used until 30 s left");
	is_int(rrsa_valid_for(60000), 57000, "short lifetimes: a twentieth");
	policy_bounds();
	is_int(rrsa_parse_time("2026-12-03T04:27:09Z"), 1796272029000LL,
	    "Expiration parsed");
	is_int(rrsa_parse_time("2026-12-03 04:27:09"), -1, "bad time");

	/* Our clock is two hours ahead of the server's. */
	sts_skew_ms = -2 * 3600 * 1000;
	rrsa_open(&th_host, &p, &s);
	sts_calls = 0;
	is_int(get(s, 0, &c, &d), XS_OK, "a skewed clock: the Date is used");
	get(s, 0, &c, &d);
	is_int(sts_calls, 1, "and the credentials are cached");
	sts_skew_ms = 0;
	creds_clear(&th_host, &c);
	rrsa_close(s);

	/* A missing token file is an authentication error. */
	p = params("missing");
	p.token_file = "/nonexistent/token";
	rrsa_open(&th_host, &p, &s);
	is_int(get(s, 0, &c, &d), XS_ERR_AUTH, "missing token file");
	ok(strstr(d.error, "/nonexistent/token") != NULL, "named: %s",
	    d.error);
	creds_clear(&th_host, &c);
	rrsa_close(s);
}

int
main(void)
{
	char	dir[] = "/tmp/xs-alibaba-rrsa.XXXXXX";

	th_init();
	fast = errors_default_policy;
	fast.sleep = no_sleep;
	rrsa_policy = &fast;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(tokfile, sizeof(tokfile), "%s/token", dir);
	write_token("  header.payload.sig\n");
	th_set_http(fake_sts, NULL);

	test_single_flight();
	test_crowd_failure();
	test_lifetime();
	test_steady();
	is_int(th_secure_live(), 0, "no secure memory leaked");

	unlink(tokfile);
	rmdir(dir);
	return tap_done();
}
