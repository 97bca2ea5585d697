/*
 * The harness's passthrough HTTP (plugins/conformance/chttp.c) against a
 * small server of this test's own, on a thread, on a free loopback port.
 * The server answers by path:
 *
 *	/echo		200 with two headers; the body is the request's
 *			method, path and header lines, so that the test sees
 *			what was sent
 *	/redirect	302 to /echo, which must not be followed
 *	/big		200 with 64 KiB of body and no length
 *	/headers	200 with more header fields than the harness keeps
 *	/slow		nothing, until the client gives up
 *
 * and counts the requests it served to /echo.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"
#include "tap.h"

#define HEAD_MAX	16384

static int	lfd;
static int	echo_hits;

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0 && (w = send(fd, p, n, MSG_NOSIGNAL)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

/* Reads a request's head and body; the head, NUL-terminated, in buf. */
static int
read_request(int fd, char *buf, size_t len)
{
	size_t	n = 0;
	ssize_t	r;
	char	*end, *cl, body[4096];
	long	want;

	while (n + 1 < len && (r = recv(fd, buf + n, len - n - 1, 0)) > 0) {
		n += (size_t)r;
		buf[n] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		want = cl != NULL ? strtol(cl + 17, NULL, 10) : 0;
		want -= (long)(n - (size_t)(end + 4 - buf));
		end[2] = '\0';
		while (want > 0 && (r = recv(fd, body, sizeof(body), 0)) > 0)
			want -= r;
		return 0;
	}
	return -1;
}

static void
answer(int fd, const char *req)
{
	char	 out[HEAD_MAX + 256], big[4096];
	size_t	 i;
	struct pollfd pfd;

	if (strncmp(req, "GET /echo ", 10) == 0 ||
	    strncmp(req, "POST /echo ", 11) == 0) {
		__atomic_add_fetch(&echo_hits, 1, __ATOMIC_SEQ_CST);
		snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n"
		    "Content-Length: %zu\r\nX-Test: one\r\n"
		    "Date: Thu, 03 Dec 2026 12:00:00 GMT\r\n"
		    "Connection: close\r\n\r\n%s", strlen(req), req);
		send_all(fd, out, strlen(out));
	} else if (strncmp(req, "GET /redirect ", 14) == 0) {
		snprintf(out, sizeof(out), "HTTP/1.1 302 Found\r\n"
		    "Location: /echo\r\nContent-Length: 0\r\n"
		    "Connection: close\r\n\r\n");
		send_all(fd, out, strlen(out));
	} else if (strncmp(req, "GET /big ", 9) == 0) {
		snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n"
		    "Connection: close\r\n\r\n");
		send_all(fd, out, strlen(out));
		memset(big, 'x', sizeof(big));
		for (i = 0; i < 16; i++)
			send_all(fd, big, sizeof(big));
	} else if (strncmp(req, "GET /headers ", 13) == 0) {
		snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n");
		for (i = 0; i < 100; i++)
			snprintf(out + strlen(out), sizeof(out) - strlen(out),
			    "X-Many-%zu: v\r\n", i);
		snprintf(out + strlen(out), sizeof(out) - strlen(out),
		    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		send_all(fd, out, strlen(out));
	} else {
		/* /slow: hold the connection until the client closes it. */
		pfd.fd = fd;
		pfd.events = POLLIN;
		while (poll(&pfd, 1, 10000) == 1 &&
		    recv(fd, big, sizeof(big), 0) > 0)
			;
	}
}

static void *
serve(void *arg)
{
	char	req[HEAD_MAX];
	int	fd;

	while ((fd = accept(lfd, NULL, NULL)) != -1) {
		if (read_request(fd, req, sizeof(req)) == 0)
			answer(fd, req);
		close(fd);
	}
	return NULL;
}

/* A socket on a free loopback port; listening or not.  The port, or -1. */
static int
bind_free(int *fd, int listening)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((*fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(*fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (listening && listen(*fd, 16) == -1) ||
	    getsockname(*fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	return ntohs(sin.sin_port);
}

/* One request; frees the answer unless keep is given. */
static int32_t
fetch(const char *allow, int port, int method, const char *path,
    uint32_t timeout_ms, size_t max, struct xs_http_response *keep,
    char *why, size_t whylen)
{
	static const struct xs_http_header hdrs[] = {
		{ "X-Sig", "abc" },
		{ "Content-Type", "application/x-www-form-urlencoded" },
	};
	const char		*list[1] = { allow };
	struct xs_http_request	 req;
	struct xs_http_response	 resp;
	char			 url[256];
	int32_t			 rc;

	if (path[0] == '/')
		snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port,
		    path);
	else
		snprintf(url, sizeof(url), "%s", path);
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.size = sizeof(req);
	req.method = method;
	req.url = url;
	req.headers = hdrs;
	req.nheaders = 2;
	if (method == XS_HTTP_POST) {
		req.body = (const uint8_t *)"a=1";
		req.body_len = 3;
	}
	req.timeout_ms = timeout_ms;
	req.max_response = max;
	why[0] = '\0';
	rc = chttp_request(list, 1, &req, &resp, why, whylen);
	if (keep != NULL)
		*keep = resp;
	else {
		free(resp.body);
		free(resp.hdrs);
	}
	return rc;
}

static const char *
header(const struct xs_http_response *r, const char *name)
{
	const char	*p = r->hdrs;
	size_t		 i;

	for (i = 0; p != NULL && i < r->nhdrs; i++) {
		if (strcasecmp(p, name) == 0)
			return p + strlen(p) + 1;
		p += strlen(p) + 1;
		p += strlen(p) + 1;
	}
	return NULL;
}

static void
test_patterns(void)
{
	static const char *const good[] = {
		"http://127.0.0.1:*", "https://127.0.0.1:8443", "*.example.com",
		"kms.cn-hangzhou.aliyuncs.com", "http://[::1]:80", NULL
	};
	static const char *const bad[] = {
		"", "ftp://host", "http://", "*.", "host:0", "host:65536",
		"host:x", "host/path", "Host_Name", "*x.example.com", NULL
	};
	size_t	i;

	for (i = 0; good[i] != NULL; i++)
		ok(chttp_pattern_valid(good[i]), "pattern \"%s\" is valid",
		    good[i]);
	for (i = 0; bad[i] != NULL; i++)
		ok(!chttp_pattern_valid(bad[i]), "pattern \"%s\" is refused",
		    bad[i]);
}

static void
test_allow(int port)
{
	char	why[512], allow[64];

	snprintf(allow, sizeof(allow), "http://127.0.0.1:%d", port);
	is_int(fetch(allow, port, XS_HTTP_GET, "/echo", 0, 0, NULL, why,
	    sizeof(why)), XS_OK, "the pattern naming the port admits it");
	is_int(fetch("http://127.0.0.1:*", port, XS_HTTP_GET, "/echo", 0, 0,
	    NULL, why, sizeof(why)), XS_OK, "\":*\" admits any port");
	is_int(fetch("https://127.0.0.1:*", port, XS_HTTP_GET, "/echo", 0, 0,
	    NULL, why, sizeof(why)), XS_ERR_DENIED,
	    "an https pattern does not admit http");
	ok(strstr(why, "allow list") != NULL, "the refusal says why");
	is_int(fetch("http://127.0.0.1", port, XS_HTTP_GET, "/echo", 0, 0,
	    NULL, why, sizeof(why)), XS_ERR_DENIED,
	    "no port in a pattern means the default port");
	is_int(fetch("http://*.0.0.1:*", port, XS_HTTP_GET, "/echo", 0, 0,
	    NULL, why, sizeof(why)), XS_ERR_DENIED,
	    "a wildcard never admits an address");
	snprintf(allow, sizeof(allow), "http://u:p@127.0.0.1:%d/echo", port);
	is_int(fetch("http://127.0.0.1:*", port, XS_HTTP_GET, allow, 0, 0,
	    NULL, why, sizeof(why)), XS_ERR_INVALID,
	    "a URL with a user name and password is refused");
	ok(strstr(why, "u:p") == NULL && strstr(why, "echo") == NULL,
	    "the message holds neither the credentials nor the path");
}

static void
test_transfers(int port, int closed)
{
	struct xs_http_response	 r;
	char			 why[512];
	int			 hits;

	is_int(fetch("http://127.0.0.1:*", port, XS_HTTP_POST, "/echo", 0, 0,
	    &r, why, sizeof(why)), XS_OK, "a POST goes through");
	is_int(r.status, 200, "its status is the server's");
	ok(r.body != NULL && strstr((char *)r.body, "POST /echo ") != NULL &&
	    strstr((char *)r.body, "\r\nX-Sig: abc\r\n") != NULL,
	    "the server got the method, path and headers");
	ok(r.body != NULL && strcasestr((char *)r.body, "\r\nExpect:") ==
	    NULL, "no Expect header is added");
	is_str(header(&r, "x-test"), "one", "response headers are kept, "
	    "by name in any case");
	is_str(header(&r, "Date"), "Thu, 03 Dec 2026 12:00:00 GMT",
	    "the Date header is kept");
	free(r.body);
	free(r.hdrs);

	hits = __atomic_load_n(&echo_hits, __ATOMIC_SEQ_CST);
	is_int(fetch("http://127.0.0.1:*", port, XS_HTTP_GET, "/redirect", 0,
	    0, &r, why, sizeof(why)), XS_OK, "a redirect is an answer");
	is_int(r.status, 302, "the redirect's status reaches the provider");
	is_int(__atomic_load_n(&echo_hits, __ATOMIC_SEQ_CST), hits,
	    "the redirect is not followed");
	free(r.body);
	free(r.hdrs);

	is_int(fetch("http://127.0.0.1:*", port, XS_HTTP_GET, "/big", 0, 1000,
	    NULL, why, sizeof(why)), XS_ERR_PROTOCOL,
	    "a body over max_response is PROTOCOL");
	is_int(fetch("http://127.0.0.1:*", port, XS_HTTP_GET, "/big", 0,
	    128 * 1024, NULL, why, sizeof(why)), XS_OK,
	    "the same body under a larger max_response is served");
	is_int(fetch("http://127.0.0.1:*", port, XS_HTTP_GET, "/headers", 0,
	    0, NULL, why, sizeof(why)), XS_ERR_PROTOCOL,
	    "too many response headers is PROTOCOL");
	is_int(fetch("http://127.0.0.1:*", port, XS_HTTP_GET, "/slow", 200,
	    0, NULL, why, sizeof(why)), XS_ERR_UNAVAILABLE,
	    "a server slower than timeout_ms is UNAVAILABLE");
	ok(strstr(why, "Timeout") != NULL, "and the message says so (%s)",
	    why);
	is_int(fetch("http://127.0.0.1:*", closed, XS_HTTP_GET, "/echo", 0, 0,
	    NULL, why, sizeof(why)), XS_ERR_UNAVAILABLE,
	    "a port nobody listens on is UNAVAILABLE");
}

int
main(void)
{
	pthread_t	t;
	int		port, closed, cfd;

	if ((port = bind_free(&lfd, 1)) == -1 ||
	    (closed = bind_free(&cfd, 0)) == -1 || chttp_init() == -1 ||
	    pthread_create(&t, NULL, serve, NULL) != 0) {
		printf("Bail out! cannot listen on the loopback\n");
		return 1;
	}
	test_patterns();
	test_allow(port);
	test_transfers(port, closed);
	return tap_done();
}
