/*
 * Tests of the host's HTTP client and endpoint policy (core/http.c).
 *
 * A libmicrohttpd server on 127.0.0.1 (port chosen by the kernel) serves
 * fixed paths; requests go through host->http_request as a provider would
 * make them.  Checked: GET and POST, the headers libcurl must not add,
 * response headers, redirects returned rather than followed, the response
 * cap (with and without a Content-Length), too many response headers,
 * timeouts, refused connections, connection reuse, requests from a second
 * thread, the policy table (https-only defaults, operator patterns, metadata
 * addresses, user names in URLs, malformed URLs), and TLS: a self-signed
 * certificate made in the test is refused, and accepted once it is given
 * as the request's CA or as the daemon's CA file.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "host.h"
#include "http.h"
#include "log.h"
#include "tap.h"

#define BIG_POST	(1100 * 1024)

static const struct xs_host *host;
static unsigned	 connections;	/* TCP connections accepted */
static unsigned	 requests;	/* requests answered */
static unsigned	 hello_hits;

static const char *const prov_endpoints[] = {
	"*.aliyuncs.com", "kms.example.com:8443", NULL
};
static const struct xs_provider prov = {
	.name = "testprov", .endpoints = prov_endpoints
};
static const struct xs_store store = { .desc = &prov };

/* The body of a POST, gathered across handler calls. */
struct upload {
	char	buf[4096];
	size_t	len;
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *body,
    const char *const *hdrs)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	for (; hdrs != NULL && hdrs[0] != NULL; hdrs += 2)
		MHD_add_response_header(r, hdrs[0], hdrs[1]);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *
req_header(struct MHD_Connection *c, const char *name)
{
	const char	*v;

	v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
	return v != NULL ? v : "(none)";
}

/* An endless body of unknown length (sent chunked). */
static ssize_t
endless(void *cls, uint64_t pos, char *buf, size_t max)
{
	memset(buf, 'z', max);
	return (ssize_t)max;
}

static enum MHD_Result
on_echo(struct MHD_Connection *c, const char *data, size_t *size,
    void **ctx)
{
	struct upload	*u = *ctx;
	const char	*hdrs[] = {
		"X-Seen-Content-Type", req_header(c, "Content-Type"),
		"X-Seen-Expect", req_header(c, "Expect"),
		"X-Seen-Sig", req_header(c, "X-Sig"),
		NULL
	};
	char		 body[4200];

	if (*size > 0) {
		if (*size <= sizeof(u->buf) - u->len) {
			memcpy(u->buf + u->len, data, *size);
			u->len += *size;
		}
		*size = 0;
		return MHD_YES;
	}
	snprintf(body, sizeof(body), "%.*s", (int)u->len, u->buf);
	return reply(c, 200, body, hdrs);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *size, void **ctx)
{
	static const char *const hello_hdrs[] = {
		"X-Test", "yes", "X-Spaced", "  padded value  ", NULL
	};
	static const char *const redirect_hdrs[] = {
		"Location", "/hello", NULL
	};
	struct MHD_Response	*r;
	enum MHD_Result		 ret;
	char			 name[32], big[5000];
	int			 i;

	if (*ctx == NULL) {
		*ctx = calloc(1, sizeof(struct upload));
		return MHD_YES;
	}
	if (strcmp(url, "/echo") == 0)
		return on_echo(c, data, size, ctx);
	if (strcmp(url, "/hello") == 0) {
		__atomic_fetch_add(&hello_hits, 1, __ATOMIC_SEQ_CST);
		return reply(c, 200, "hello", hello_hdrs);
	}
	if (strcmp(url, "/redirect") == 0)
		return reply(c, 302, "moved", redirect_hdrs);
	if (strcmp(url, "/unavailable") == 0)
		return reply(c, 503, "try later", NULL);
	if (strcmp(url, "/big") == 0) {
		memset(big, 'b', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		return reply(c, 200, big, NULL);
	}
	if (strcmp(url, "/endless") == 0) {
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024,
		    endless, NULL, NULL);
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/headers") == 0) {
		r = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
		for (i = 0; i < HTTP_MAX_HEADERS + 5; i++) {
			snprintf(name, sizeof(name), "X-H%d", i);
			MHD_add_response_header(r, name, "v");
		}
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (strcmp(url, "/slow") == 0) {
		usleep(1500 * 1000);
		return reply(c, 200, "late", NULL);
	}
	return reply(c, 404, "no such path", NULL);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	free(*ctx);
	*ctx = NULL;
	__atomic_fetch_add(&requests, 1, __ATOMIC_SEQ_CST);
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **sctx,
    enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		__atomic_fetch_add(&connections, 1, __ATOMIC_SEQ_CST);
}

/* Starts a server on 127.0.0.1; TLS when cert and key are given. */
static struct MHD_Daemon *
server_start(const char *cert, const char *key, unsigned *port)
{
	struct sockaddr_in	 sin;
	struct MHD_Daemon	*d;
	const union MHD_DaemonInfo *info;
	unsigned		 flags = MHD_USE_INTERNAL_POLLING_THREAD |
				     MHD_USE_THREAD_PER_CONNECTION;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (cert != NULL)
		d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL,
		    handler, NULL, MHD_OPTION_SOCK_ADDR, &sin,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_HTTPS_MEM_CERT, cert,
		    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, handler, NULL,
		    MHD_OPTION_SOCK_ADDR, &sin,
		    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		    MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		    MHD_OPTION_END);
	if (d == NULL)
		return NULL;
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*port = info != NULL ? info->port : 0;
	return d;
}

/* One request; the response (or NULL) in *resp, the error in d. */
static int32_t
fetch(int method, const char *url, const struct xs_http_header *hdrs,
    size_t nhdrs, const char *body, size_t max, uint32_t tmo,
    struct xs_http_response **resp, struct xs_diag *d)
{
	struct xs_http_request	req;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = method;
	req.url = url;
	req.headers = hdrs;
	req.nheaders = nhdrs;
	req.body = (const uint8_t *)body;
	req.body_len = body != NULL ? strlen(body) : 0;
	req.max_response = max;
	req.timeout_ms = tmo;
	diag_init(d);
	return host->http_request(&store, &req, resp, d);
}

static const char *
body_of(const struct xs_http_response *r)
{
	size_t	len;

	return (const char *)host->http_body(r, &len);
}

static void
test_get_post(const char *base)
{
	struct xs_http_header	 h[] = {
		{ "Content-Type", "application/json" }, { "X-Sig", "abc" },
	};
	struct xs_http_response	*r = NULL;
	struct xs_diag		 d;
	char			 url[128], *big;
	int32_t			 rc;

	snprintf(url, sizeof(url), "%s/hello?Signature=SEKRIT", base);
	rc = fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d);
	is_int(rc, XS_OK, "GET");
	is_int(host->http_status(r), 200, "GET status");
	is_str(body_of(r), "hello", "GET body");
	is_str(host->http_header(r, "x-TEST"), "yes",
	    "response header, any case");
	is_str(host->http_header(r, "X-Spaced"), "padded value",
	    "header value trimmed");
	ok(host->http_header(r, "X-Missing") == NULL, "absent header");
	host->http_free(r);

	snprintf(url, sizeof(url), "%s/echo", base);
	rc = fetch(XS_HTTP_POST, url, h, 2, "{\"a\":1}", 0, 0, &r, &d);
	is_int(rc, XS_OK, "POST");
	is_str(body_of(r), "{\"a\":1}", "POST body arrives");
	is_str(host->http_header(r, "X-Seen-Content-Type"),
	    "application/json", "the caller's Content-Type is sent");
	is_str(host->http_header(r, "X-Seen-Sig"), "abc", "caller headers");
	host->http_free(r);

	/* libcurl would ask for 100-continue above 1 MiB. */
	big = malloc(BIG_POST + 1);
	memset(big, 'p', BIG_POST);
	big[BIG_POST] = '\0';
	rc = fetch(XS_HTTP_POST, url, h, 1, big, 0, 0, &r, &d);
	ok(rc == XS_OK && host->http_status(r) == 200, "a large POST");
	is_str(host->http_header(r, "X-Seen-Expect"), "(none)",
	    "no \"Expect: 100-continue\" for it");
	host->http_free(r);
	free(big);

	rc = fetch(XS_HTTP_POST, url, NULL, 0, NULL, 0, 0, &r, &d);
	is_int(rc, XS_OK, "POST without a body");
	is_str(host->http_header(r, "X-Seen-Content-Type"), "(none)",
	    "no Content-Type added to an empty POST");
	is_str(body_of(r), "", "empty body");
	host->http_free(r);
}

static void
test_statuses(const char *base)
{
	struct xs_http_response	*r = NULL;
	struct xs_diag		 d;
	char			 url[128];
	unsigned		 hits;
	int32_t			 rc;

	hits = __atomic_load_n(&hello_hits, __ATOMIC_SEQ_CST);
	snprintf(url, sizeof(url), "%s/redirect", base);
	rc = fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d);
	is_int(rc, XS_OK, "a redirect is a response");
	is_int(host->http_status(r), 302, "302 returned");
	is_str(host->http_header(r, "Location"), "/hello", "Location kept");
	is_str(body_of(r), "moved", "redirect body");
	is_int(__atomic_load_n(&hello_hits, __ATOMIC_SEQ_CST), hits,
	    "the redirect was not followed");
	host->http_free(r);

	snprintf(url, sizeof(url), "%s/unavailable", base);
	rc = fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d);
	ok(rc == XS_OK && host->http_status(r) == 503,
	    "a 503 is a response, not a transport error");
	host->http_free(r);

	r = (void *)1;
	snprintf(url, sizeof(url), "%s/big", base);
	rc = fetch(XS_HTTP_GET, url, NULL, 0, NULL, 1000, 0, &r, &d);
	is_int(rc, XS_ERR_PROTOCOL, "body over max_response (known length)");
	ok(r == NULL && strstr(d.error, "response too large") != NULL,
	    "\"response too large\"");
	rc = fetch(XS_HTTP_GET, url, NULL, 0, NULL, 5000, 0, &r, &d);
	ok(rc == XS_OK && strlen(body_of(r)) == 4999,
	    "the same body under a larger cap");
	host->http_free(r);

	snprintf(url, sizeof(url), "%s/endless", base);
	rc = fetch(XS_HTTP_GET, url, NULL, 0, NULL, 10000, 0, &r, &d);
	is_int(rc, XS_ERR_PROTOCOL, "endless chunked body is cut off");
	ok(strstr(d.error, "response too large") != NULL,
	    "\"response too large\" for chunked");

	snprintf(url, sizeof(url), "%s/headers", base);
	rc = fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d);
	is_int(rc, XS_ERR_PROTOCOL, "too many response headers");

	snprintf(url, sizeof(url), "%s/slow", base);
	rc = fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 200, &r, &d);
	is_int(rc, XS_ERR_UNAVAILABLE, "a timeout is XS_ERR_UNAVAILABLE");
	ok(strstr(d.error, "127.0.0.1") != NULL &&
	    strstr(d.error, "milliseconds") == NULL,
	    "stable timeout message naming the host: %s", d.error);
}

static void
test_bad_requests(const char *base)
{
	struct xs_http_header	 nl[] = {
		{ "X-A", "v\r\nX-Injected: 1" }
	};
	struct xs_http_header	 sp[] = { { "Bad Name", "v" } };
	struct xs_http_request	 req;
	struct xs_http_response	*r = NULL;
	struct xs_diag		 d;
	char			 url[128];

	snprintf(url, sizeof(url), "%s/hello", base);
	is_int(fetch(XS_HTTP_GET, url, nl, 1, NULL, 0, 0, &r, &d),
	    XS_ERR_INTERNAL, "CR LF in a header value refused");
	is_int(fetch(XS_HTTP_GET, url, sp, 1, NULL, 0, 0, &r, &d),
	    XS_ERR_INTERNAL, "a space in a header name refused");
	is_int(fetch(XS_HTTP_GET, url, NULL, 0, "body", 0, 0, &r, &d),
	    XS_ERR_INTERNAL, "GET with a body refused");
	memset(&req, 0, sizeof(req));
	req.size = 8;
	req.url = url;
	is_int(host->http_request(&store, &req, &r, &d), XS_ERR_INTERNAL,
	    "request descriptor too small");
	req.size = sizeof(req);
	req.method = 7;
	is_int(host->http_request(&store, &req, &r, &d), XS_ERR_INTERNAL,
	    "unknown method");
	is_int(host->http_status(NULL), -1, "http_status(NULL)");
	host->http_free(NULL);
}

static void
test_reuse(const char *base)
{
	struct xs_http_response	*r;
	struct xs_diag		 d;
	char			 url[128];
	unsigned		 before;
	int			 i, good = 1;

	snprintf(url, sizeof(url), "%s/hello", base);
	fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d);
	host->http_free(r);
	before = __atomic_load_n(&connections, __ATOMIC_SEQ_CST);
	for (i = 0; i < 3; i++) {
		r = NULL;
		if (fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d) !=
		    XS_OK)
			good = 0;
		host->http_free(r);
	}
	ok(good, "three more requests");
	is_int(__atomic_load_n(&connections, __ATOMIC_SEQ_CST), before,
	    "they reuse the open connection");
}

static void *
thread_fetch(void *arg)
{
	struct xs_http_response	*r = NULL;
	struct xs_diag		 d;
	intptr_t		 good;

	good = fetch(XS_HTTP_GET, arg, NULL, 0, NULL, 0, 0, &r, &d) ==
	    XS_OK && strcmp(body_of(r), "hello") == 0;
	host->http_free(r);
	return (void *)good;
}

static void
test_thread(const char *base)
{
	pthread_t	 t;
	char		 url[128];
	void		*res = NULL;

	snprintf(url, sizeof(url), "%s/hello", base);
	pthread_create(&t, NULL, thread_fetch, url);
	pthread_join(t, &res);
	ok(res == (void *)1, "a request from another thread");
}

static int	gate_calls, gate_answer;

static int
count_gate(void *arg)
{
	(void)arg;
	gate_calls++;
	return gate_answer;
}

/*
 * host_gate: each request of the calling thread passes the gate before it
 * is sent; a gate that says no fails it as unavailable, and nothing
 * reaches the server.  Other threads do not pass it.
 */
static void
test_gate(const char *base)
{
	struct xs_http_response	*r = NULL;
	struct xs_diag		 d;
	char			 url[128];
	unsigned		 before;
	int			 i, good = 1;
	pthread_t		 t;
	void			*res = NULL;

	snprintf(url, sizeof(url), "%s/hello", base);
	gate_calls = gate_answer = 0;
	host_gate(count_gate, NULL);
	for (i = 0; i < 3; i++) {
		if (fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d) !=
		    XS_OK)
			good = 0;
		host->http_free(r);
		r = NULL;
	}
	ok(good, "gate: requests pass a gate that says yes");
	is_int(gate_calls, 3, "gate: once a request");
	pthread_create(&t, NULL, thread_fetch, url);
	pthread_join(t, &res);
	ok(res == (void *)1 && gate_calls == 3,
	    "gate: another thread's request does not pass it");

	gate_answer = -1;
	usleep(100 * 1000);	/* the server counts a request after answering */
	before = __atomic_load_n(&requests, __ATOMIC_SEQ_CST);
	is_int(fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d),
	    XS_ERR_UNAVAILABLE, "gate: a gate that says no fails the request");
	ok(r == NULL && strstr(d.error, "stopping") != NULL,
	    "gate: with no response, and says why (%s)", d.error);
	usleep(100 * 1000);
	is_int(__atomic_load_n(&requests, __ATOMIC_SEQ_CST), before,
	    "gate: and nothing was sent");
	host_gate(NULL, NULL);
	ok(fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d) == XS_OK &&
	    gate_calls == 4, "gate: cleared, requests go through again");
	host->http_free(r);
}

static void
test_refused(void)
{
	struct sockaddr_in	 sin;
	struct xs_http_response	*r = NULL;
	struct xs_diag		 d;
	struct host_stats	 before, after;
	socklen_t		 len = sizeof(sin);
	char			 url[128];
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(fd, (struct sockaddr *)&sin, &len);
	close(fd);	/* nothing listens on that port now */
	host_stats(&before);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x",
	    ntohs(sin.sin_port));
	is_int(fetch(XS_HTTP_GET, url, NULL, 0, NULL, 0, 0, &r, &d),
	    XS_ERR_UNAVAILABLE, "connection refused is XS_ERR_UNAVAILABLE");
	ok(r == NULL && strstr(d.error, "127.0.0.1") != NULL,
	    "message names the host: %s", d.error);
	is_int(fetch(XS_HTTP_GET,
	    "http://127.0.0.2:1/x?Signature=SEKRIT", NULL, 0, NULL, 0, 0, &r,
	    &d), XS_ERR_DENIED, "a host outside the allow-list is denied");
	ok(strstr(d.error, "127.0.0.2") != NULL &&
	    strstr(d.error, "SEKRIT") == NULL,
	    "denial names the host, not the query: %s", d.error);
	host_stats(&after);
	is_int(after.http_requests - before.http_requests, 2,
	    "requests counted");
	is_int(after.http_errors - before.http_errors, 1, "errors counted");
	is_int(after.http_denied - before.http_denied, 1, "denials counted");
}

static const struct {
	const char	*url;
	int		 allowed;
} policy[] = {
	{ "https://kms.cn-hangzhou.aliyuncs.com/?Action=GetSecretValue", 1 },
	{ "https://KMS.CN-Hangzhou.AliyunCS.com/", 1 },
	{ "https://kms-vpc.cn-hangzhou.aliyuncs.com:443/", 1 },
	{ "http://kms.cn-hangzhou.aliyuncs.com/", 0 },
	{ "https://aliyuncs.com/", 0 },
	{ "https://evil-aliyuncs.com/", 0 },
	{ "https://kms.aliyuncs.com.evil.example/", 0 },
	{ "https://kms.cn-hangzhou.aliyuncs.com:8443/", 0 },
	{ "https://kms.example.com:8443/", 1 },
	{ "https://kms.example.com/", 0 },
	{ "http://127.0.0.1:8080/", 1 },
	{ "https://127.0.0.1:8080/", 1 },
	{ "https://127.0.0.3/", 0 },
	{ "http://127.0.0.2:8080/", 0 },
	{ "http://localhost:8080/", 0 },
	{ "http://[::1]:8080/", 1 },
	{ "http://[0:0::1]:8080/", 1 },
	{ "http://[::1]:8081/", 0 },
	{ "http://[::2]:8080/", 0 },
	{ "https://a.corp.example/", 1 },
	{ "https://a.b.corp.example/", 1 },
	{ "http://a.corp.example/", 0 },
	{ "https://100.100.100.200/latest/meta-data/", 1 },
	{ "http://100.100.100.200/latest/meta-data/", 0 },
	{ "https://169.254.169.254/", 0 },
	{ "http://169.254.169.254/latest/meta-data/", 0 },
	{ "https://2852039166/", 0 },
	{ "https://0xa9.0xfe.0xa9.0xfe/", 0 },
	{ "https://[::ffff:169.254.169.254]/", 0 },
	{ "https://[fd00:ec2::254]/", 0 },
	{ "https://user:pass@kms.cn-hangzhou.aliyuncs.com/", 0 },
	{ "https://user@kms.cn-hangzhou.aliyuncs.com/", 0 },
	{ "ftp://kms.cn-hangzhou.aliyuncs.com/", 0 },
	{ "file:///etc/passwd", 0 },
	{ "kms.cn-hangzhou.aliyuncs.com/", 0 },
	{ "not a url", 0 },
	{ "", 0 },
	{ "https://", 0 },
	{ "https://kms.cn-hangzhou.aliyuncs.com\\@evil.example/", 0 },
};

static void
test_policy(void)
{
	char	 why[256], *longurl;
	size_t	 i;
	int	 got;

	for (i = 0; i < sizeof(policy) / sizeof(policy[0]); i++) {
		why[0] = '\0';
		got = host_endpoint_allowed(&prov, policy[i].url, why,
		    sizeof(why));
		ok(got == policy[i].allowed, "%s %s%s%s", policy[i].allowed ?
		    "allowed:" : "refused:", policy[i].url,
		    got ? "" : " - ", got ? "" : why);
	}
	is_int(host_endpoint_allowed(NULL,
	    "https://kms.cn-hangzhou.aliyuncs.com/", why, sizeof(why)), 0,
	    "no provider patterns: only the operator's apply");
	is_int(host_endpoint_allowed(NULL, "http://127.0.0.1:9/", why,
	    sizeof(why)), 1, "operator pattern without a provider");
	host_endpoint_allowed(&prov,
	    "http://kms.cn-hangzhou.aliyuncs.com/?Signature=SEKRIT", why,
	    sizeof(why));
	ok(strstr(why, "kms.cn-hangzhou.aliyuncs.com") != NULL &&
	    strstr(why, "SEKRIT") == NULL, "reason names the host only: %s",
	    why);
	host_endpoint_allowed(&prov, "https://169.254.169.254/", why,
	    sizeof(why));
	ok(strstr(why, "metadata") != NULL, "metadata reason: %s", why);
	longurl = malloc(HTTP_URL_MAX + 100);
	memset(longurl, 'a', HTTP_URL_MAX + 99);
	memcpy(longurl, "https://x.corp.example/", 23);
	longurl[HTTP_URL_MAX + 99] = '\0';
	is_int(host_endpoint_allowed(&prov, longurl, why, sizeof(why)), 0,
	    "overlong URL refused");
	free(longurl);
}

/*
 * A NUL-terminated copy of a memory BIO's data, which has no terminator of
 * its own (so strndup would read past it).
 */
static char *
pem_copy(const char *p, long len)
{
	char	*s;

	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		return NULL;
	memcpy(s, p, (size_t)len);
	s[len] = '\0';
	return s;
}

/* A self-signed certificate for 127.0.0.1, as PEM strings. */
static int
make_cert(char **cert, char **key)
{
	EVP_PKEY	*pk;
	X509		*x;
	X509_NAME	*n;
	X509_EXTENSION	*ext;
	X509V3_CTX	 v3;
	BIO		*bc, *bk;
	char		*p;
	long		 len;

	if ((pk = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		return -1;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"xsecrets test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "IP:127.0.0.1");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	    "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, pk, EVP_sha256());
	bc = BIO_new(BIO_s_mem());
	bk = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(bc, x);
	PEM_write_bio_PrivateKey(bk, pk, NULL, NULL, 0, NULL, NULL);
	len = BIO_get_mem_data(bc, &p);
	*cert = pem_copy(p, len);
	len = BIO_get_mem_data(bk, &p);
	*key = pem_copy(p, len);
	BIO_free(bc);
	BIO_free(bk);
	X509_free(x);
	EVP_PKEY_free(pk);
	return 0;
}

/* The daemon's CA file (host_config.ca_file) instead of a request's. */
static void
test_ca_file(struct host_config *cfg, const char *cert,
    struct xs_http_request *req)
{
	struct xs_http_response	*r = NULL;
	struct xs_diag		 dg;
	char			 path[] = "/tmp/xs-http-ca.XXXXXX";
	FILE			*fp;
	int			 fd;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		ok(0, "write a CA file");
		return;
	}
	fputs(cert, fp);
	fclose(fp);
	host_shutdown();
	cfg->ca_file = path;
	host = host_init(cfg);
	req->ca_pem = NULL;
	req->ca_pem_len = 0;
	diag_init(&dg);
	is_int(host->http_request(&store, req, &r, &dg), XS_OK,
	    "trusted through the daemon's ca_file");
	host->http_free(r);
	unlink(path);
	host_shutdown();
	cfg->ca_file = NULL;
	host = host_init(cfg);
}

static void
test_tls(struct host_config *cfg)
{
	struct MHD_Daemon	*d;
	struct xs_http_request	 req;
	struct xs_http_response	*r = NULL;
	struct xs_diag		 dg;
	char			*cert = NULL, *key = NULL, url[128];
	unsigned		 port;
	int32_t			 rc;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES ||
	    make_cert(&cert, &key) == -1 ||
	    (d = server_start(cert, key, &port)) == NULL) {
		printf("# TLS server unavailable, TLS checks skipped\n");
		free(cert);
		free(key);
		return;
	}
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/hello", port);
	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.method = XS_HTTP_GET;
	req.url = url;
	diag_init(&dg);
	rc = host->http_request(&store, &req, &r, &dg);
	is_int(rc, XS_ERR_UNAVAILABLE, "untrusted self-signed certificate");
	ok(strstr(dg.error, "certificate") != NULL, "TLS message: %s",
	    dg.error);
	req.ca_pem = cert;
	req.ca_pem_len = strlen(cert);
	diag_init(&dg);
	rc = host->http_request(&store, &req, &r, &dg);
	is_int(rc, XS_OK, "trusted through the request's ca_pem");
	is_str(body_of(r), "hello", "body over TLS");
	host->http_free(r);
	test_ca_file(cfg, cert, &req);
	MHD_stop_daemon(d);
	free(cert);
	free(key);
}

int
main(void)
{
	char			*allow[] = {
		"http://127.0.0.1:*", "https://100.100.100.200",
		"*.corp.example", "127.0.0.1:*", "bad pattern:x",
		"http://[::1]:8080",
	};
	struct host_config	 cfg = { .allow = allow, .nallow = 6 };
	struct MHD_Daemon	*d;
	char			 base[64];
	unsigned		 port;

	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	log_init(XS_LOG_ERROR, LOG_FORMAT_TEXT);
	host = host_init(&cfg);
	test_policy();
	if ((d = server_start(NULL, NULL, &port)) == NULL || port == 0) {
		ok(0, "start the test server");
		return tap_done();
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%u", port);
	test_get_post(base);
	test_statuses(base);
	test_bad_requests(base);
	test_reuse(base);
	test_thread(base);
	test_gate(base);
	test_refused();
	test_tls(&cfg);
	MHD_stop_daemon(d);
	host_shutdown();
	return tap_done();
}
