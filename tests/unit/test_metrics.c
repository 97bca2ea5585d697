/*
 * Tests of the metrics buffer and server: formatting, label escaping and
 * the hard cap of the buffer, then a server on 127.0.0.1 port 0 fetched
 * with libcurl: bodies, status codes, content type, readiness, methods,
 * and the addresses that must be refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "metrics.h"
#include "tap.h"

struct state {
	int	 ready;
	int	 huge;		/* render more than the cap */
	int	 renders;
};

struct fetch {
	long		 code;
	char		 type[128];
	struct mbuf	 body;
};

static void
render(struct mbuf *b, void *arg)
{
	struct state	*st = arg;
	int		 i;

	st->renders++;
	mbuf_printf(b, "# HELP externalsecret_sync_calls_total Syncs.\n");
	mbuf_printf(b, "# TYPE externalsecret_sync_calls_total counter\n");
	mbuf_printf(b, "externalsecret_sync_calls_total{name=\"");
	mbuf_label(b, "a\\b\"c\nd");
	mbuf_printf(b, "\",namespace=\"ns\"} %d\n", 42);
	if (st->huge) {
		for (i = 0; i < 70 && !b->failed; i++)
			mbuf_printf(b, "%*s\n", 1024 * 1024, "x");
	}
}

static int
ready(void *arg)
{
	return ((struct state *)arg)->ready;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct fetch	*f = arg;

	mbuf_printf(&f->body, "%.*s", (int)(size * n), p);
	return size * n;
}

/* Fetches path with method (NULL: GET); 0, or -1 on a transport error. */
static int
fetch(int port, const char *method, const char *path, struct fetch *f)
{
	CURL	*c;
	char	 url[256], *ct = NULL;
	int	 rc;

	memset(f, 0, sizeof(*f));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	if ((c = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (method != NULL && strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (method != NULL) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "x=1");
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &f->code);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (ct != NULL)
			snprintf(f->type, sizeof(f->type), "%s", ct);
	}
	curl_easy_cleanup(c);
	if (f->body.buf == NULL)
		mbuf_printf(&f->body, "%s", "");
	return rc == CURLE_OK ? 0 : -1;
}

static void
test_mbuf(void)
{
	struct mbuf	 b;
	size_t		 len;
	int		 i;

	memset(&b, 0, sizeof(b));
	mbuf_printf(&b, "a %d %s", 1, "b");
	is_str(b.buf, "a 1 b", "mbuf_printf formats");
	mbuf_label(&b, "x\\y\"z\nw");
	is_str(b.buf, "a 1 bx\\\\y\\\"z\\nw", "label escapes \\ \" and newline");
	mbuf_label(&b, NULL);
	is_int(b.len, strlen(b.buf), "length tracks the text");
	mbuf_free(&b);
	ok(b.buf == NULL && b.len == 0 && !b.failed, "mbuf_free empties");

	for (i = 0; i < 70 && !b.failed; i++)
		mbuf_printf(&b, "%*s", 1024 * 1024, "y");
	ok(b.failed, "appending past 64 MiB fails");
	ok(b.len < 64 * 1024 * 1024, "the cap holds (%zu bytes)", b.len);
	len = b.len;
	mbuf_printf(&b, "z");
	mbuf_label(&b, "z");
	is_int(b.len, len, "appends after a failure are ignored");
	mbuf_free(&b);
}

static void
test_server(void)
{
	struct metrics_ops	 ops;
	struct metrics		*m, *m2;
	struct state		 st;
	struct fetch		 f;
	char			 err[256], addr[64];
	int			 port;

	memset(&st, 0, sizeof(st));
	ops.render = render;
	ops.ready = ready;
	ops.arg = &st;
	m = metrics_start("127.0.0.1:0", &ops, err, sizeof(err));
	if (!ok(m != NULL, "server starts on 127.0.0.1:0")) {
		printf("# %s\n", err);
		return;
	}
	port = metrics_port(m);
	ok(port > 0, "actual port is known (%d)", port);

	ok(fetch(port, NULL, "/metrics", &f) == 0 && f.code == 200,
	    "GET /metrics: 200");
	ok(strncmp(f.type, "text/plain; version=0.0.4", 25) == 0,
	    "content type of text format 0.0.4 (%s)", f.type);
	ok(strstr(f.body.buf, "externalsecret_sync_calls_total{name="
	    "\"a\\\\b\\\"c\\nd\",namespace=\"ns\"} 42\n") != NULL,
	    "body carries the escaped labels and value");
	ok(strncmp(f.body.buf, "# HELP ", 7) == 0, "body starts with HELP");
	mbuf_free(&f.body);

	ok(fetch(port, NULL, "/healthz", &f) == 0 && f.code == 200 &&
	    strcmp(f.body.buf, "ok\n") == 0, "GET /healthz: 200 ok");
	mbuf_free(&f.body);

	ok(fetch(port, NULL, "/readyz", &f) == 0 && f.code == 503,
	    "GET /readyz before ready: 503");
	mbuf_free(&f.body);
	st.ready = 1;
	ok(fetch(port, NULL, "/readyz", &f) == 0 && f.code == 200,
	    "GET /readyz when ready: 200");
	mbuf_free(&f.body);

	ok(fetch(port, NULL, "/metrics/x", &f) == 0 && f.code == 404,
	    "unknown path: 404");
	mbuf_free(&f.body);
	ok(fetch(port, NULL, "/", &f) == 0 && f.code == 404, "root: 404");
	mbuf_free(&f.body);
	ok(fetch(port, "POST", "/metrics", &f) == 0 && f.code == 405,
	    "POST: 405");
	mbuf_free(&f.body);
	ok(fetch(port, "DELETE", "/healthz", &f) == 0 && f.code == 405,
	    "DELETE: 405");
	mbuf_free(&f.body);
	ok(fetch(port, "HEAD", "/metrics", &f) == 0 && f.code == 405,
	    "HEAD: 405");
	mbuf_free(&f.body);

	st.huge = 1;
	ok(fetch(port, NULL, "/metrics", &f) == 0 && f.code == 500 &&
	    strstr(f.body.buf, "externalsecret") == NULL,
	    "a page over the cap: 500, nothing of it sent");
	mbuf_free(&f.body);
	st.huge = 0;
	ok(fetch(port, NULL, "/metrics", &f) == 0 && f.code == 200,
	    "the next scrape works again");
	mbuf_free(&f.body);
	is_int(st.renders, 3, "render called once per scrape of /metrics");

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	m2 = metrics_start(addr, &ops, err, sizeof(err));
	ok(m2 == NULL && strstr(err, addr) != NULL,
	    "a port in use is refused: %s", err);
	metrics_stop(m2);
	metrics_stop(m);
	metrics_stop(NULL);
}

static void
test_v6(void)
{
	struct metrics_ops	 ops;
	struct metrics		*m;
	struct state		 st;
	char			 err[256];

	memset(&st, 0, sizeof(st));
	memset(&ops, 0, sizeof(ops));
	ops.arg = &st;
	m = metrics_start("[::1]:0", &ops, err, sizeof(err));
	if (m == NULL) {
		ok(1, "# SKIP no IPv6 loopback here: %s", err);
		return;
	}
	ok(metrics_port(m) > 0, "[::1]:0 parses and listens");
	metrics_stop(m);
}

static void
test_bad_addresses(void)
{
	const char		*bad[] = {
		"", "9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:http", "127.0.0.1:94 64",
		"::1:9464", "[::1]", "[::1]9464", "[::1:9464",
		"127.0.0.1:0000009464", "metrics.example:9464",
		"256.1.1.1:80", ":", ":x",
	};
	struct metrics_ops	 ops;
	struct metrics		*m;
	char			 err[256];
	size_t			 i;

	memset(&ops, 0, sizeof(ops));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		m = metrics_start(bad[i], &ops, err, sizeof(err));
		ok(m == NULL && err[0] != '\0', "address \"%s\" refused: %s",
		    bad[i], err);
		metrics_stop(m);
	}
}

int
main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_mbuf();
	test_server();
	test_v6();
	test_bad_addresses();
	curl_global_cleanup();
	return tap_done();
}
