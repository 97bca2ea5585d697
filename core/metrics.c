/*
 * The metrics and health endpoint.
 *
 * libmicrohttpd runs one internal thread that polls (epoll where the
 * library has it) every connection; each request is answered at once from
 * that thread, so the render and ready callbacks are never called
 * concurrently with themselves.  The server is read-only and small on
 * purpose:
 *
 *	GET /metrics	the Prometheus text format, version 0.0.4
 *	GET /healthz	200 "ok" while the process serves
 *	GET /readyz	200 once ops->ready says so, else 503
 *
 * Any other path is 404 and any other method 405.  Connections, their
 * memory and their idle time are bounded, and a rendered page is capped at
 * MBUF_MAX bytes: a page that would not fit is answered with 500 rather
 * than cut short, so a scraper never sees half a family.
 *
 * The address is "host:port", "[v6]:port" or ":port" (every address, both
 * families where the system allows).  The host is a numeric address or
 * "localhost": nothing is looked up in the DNS.  The default of the daemon
 * is loopback.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "log.h"
#include "metrics.h"

#define MBUF_MAX		(64U * 1024 * 1024)
#define MBUF_MIN		4096
#define METRICS_CONN_MAX	32
#define METRICS_CONN_TIMEOUT	10	/* seconds */
#define METRICS_CONN_MEMORY	(32U * 1024)
#define METRICS_HOST_MAX	256

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics {
	struct MHD_Daemon	*daemon;
	struct metrics_ops	 ops;
};

/* Makes room for n more bytes and the NUL; 0, or -1 marking b failed. */
static int
mbuf_grow(struct mbuf *b, size_t n)
{
	size_t	 need, cap;
	char	*nb;

	if (b->failed)
		return -1;
	if (n >= MBUF_MAX || b->len >= MBUF_MAX - n) {
		b->failed = 1;
		return -1;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap < MBUF_MIN ? MBUF_MIN : b->cap;
	while (cap < need)
		cap = cap > MBUF_MAX / 2 ? MBUF_MAX : cap * 2;
	if ((nb = realloc(b->buf, cap)) == NULL) {
		b->failed = 1;
		return -1;
	}
	b->buf = nb;
	b->cap = cap;
	return 0;
}

/*
 * Appends formatted text to b.  On overflow of the hard cap or out of
 * memory, b->failed is set and b is left as before; every later append is
 * then ignored.  A zeroed struct mbuf is an empty buffer.
 */
void
mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (mbuf_grow(b, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/*
 * Appends value as the text format wants a label value inside its quotes:
 * backslash, double quote and line feed escaped.  NULL appends nothing.
 */
void
mbuf_label(struct mbuf *b, const char *value)
{
	const char	*p;
	size_t		 n = 0;

	if (value == NULL)
		return;
	for (p = value; *p != '\0'; p++)
		n += (*p == '\\' || *p == '"' || *p == '\n') ? 2 : 1;
	if (mbuf_grow(b, n) == -1)
		return;
	for (p = value; *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			b->buf[b->len++] = '\\';
			b->buf[b->len++] = '\\';
			break;
		case '"':
			b->buf[b->len++] = '\\';
			b->buf[b->len++] = '"';
			break;
		case '\n':
			b->buf[b->len++] = '\\';
			b->buf[b->len++] = 'n';
			break;
		default:
			b->buf[b->len++] = *p;
			break;
		}
	}
	b->buf[b->len] = '\0';
}

/* Frees the text of b and leaves it empty and usable again. */
void
mbuf_free(struct mbuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}

static int
port_parse(const char *s, unsigned int *port)
{
	unsigned int	 v = 0;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned int)(*s - '0');
	}
	if (v > 65535)
		return -1;
	*port = v;
	return 0;
}

/*
 * Splits addr into host (empty for every address) and port.  0, or -1 with
 * a message in err.
 */
static int
addr_split(const char *addr, char *host, size_t hostlen, unsigned int *port,
    char *err, size_t errlen)
{
	const char	*colon, *end;
	size_t		 n;

	if (addr[0] == '[') {
		if ((end = strchr(addr, ']')) == NULL || end[1] != ':') {
			snprintf(err, errlen, "metrics address %s: expected "
			    "[address]:port", addr);
			return -1;
		}
		n = (size_t)(end - addr - 1);
		colon = end + 1;
		addr++;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL ||
		    memchr(addr, ':', (size_t)(colon - addr)) != NULL) {
			snprintf(err, errlen, "metrics address %s: expected "
			    "host:port, [address]:port or :port", addr);
			return -1;
		}
		n = (size_t)(colon - addr);
	}
	if (n >= hostlen) {
		snprintf(err, errlen, "metrics address: host too long");
		return -1;
	}
	memcpy(host, addr, n);
	host[n] = '\0';
	if (port_parse(colon + 1, port) == -1) {
		snprintf(err, errlen, "metrics address: bad port \"%.16s\"",
		    colon + 1);
		return -1;
	}
	return 0;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int code, const char *type,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (resp == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	if (type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET");
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned int code, const char *text)
{
	return reply(conn, code, "text/plain; charset=utf-8", (char *)text,
	    strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
serve_metrics(struct metrics *m, struct MHD_Connection *conn)
{
	struct mbuf	 b;

	memset(&b, 0, sizeof(b));
	if (m->ops.render != NULL)
		m->ops.render(&b, m->ops.arg);
	if (b.failed) {
		log_warnx("metrics: the page does not fit in %u bytes or "
		    "memory ran out; answering 500", MBUF_MAX);
		mbuf_free(&b);
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "metrics unavailable\n");
	}
	if (b.buf == NULL)
		return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, "", 0,
		    MHD_RESPMEM_PERSISTENT);
	return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, b.buf, b.len,
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct metrics	*m = cls;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(m, conn);
	if (strcmp(url, "/healthz") == 0)
		return reply_text(conn, MHD_HTTP_OK, "ok\n");
	if (strcmp(url, "/readyz") == 0) {
		if (m->ops.ready != NULL && m->ops.ready(m->ops.arg) == 1)
			return reply_text(conn, MHD_HTTP_OK, "ready\n");
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "not ready\n");
	}
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* Routes the library's messages to our log, one line each. */
static void __attribute__((format(printf, 2, 0)))
mhd_log(void *arg, const char *fmt, va_list ap)
{
	char	 msg[512];
	size_t	 n;

	if (!log_enabled(XS_LOG_WARN))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warnx("metrics: %s", msg);
}

static struct MHD_Daemon *
daemon_start(struct metrics *m, unsigned int flags,
    const struct sockaddr *sa)
{
	flags |= MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    MHD_USE_ERROR_LOG;
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, m,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)METRICS_CONN_TIMEOUT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)METRICS_CONN_MEMORY,
	    MHD_OPTION_END);
}

/* Starts on every address: both families if possible, else IPv4 alone. */
static struct MHD_Daemon *
daemon_start_any(struct metrics *m, unsigned int port)
{
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	struct MHD_Daemon	*d;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_any;
	sin6.sin6_port = htons((uint16_t)port);
	d = daemon_start(m, MHD_USE_DUAL_STACK, (struct sockaddr *)&sin6);
	if (d != NULL)
		return d;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	sin.sin_port = htons((uint16_t)port);
	return daemon_start(m, 0, (struct sockaddr *)&sin);
}

/*
 * Starts serving on addr with the callbacks of ops (copied; ops->arg must
 * outlive the server).  Returns the server, to be stopped with
 * metrics_stop, or NULL with a message in err when addr does not parse or
 * the address cannot be bound.
 */
struct metrics *
metrics_start(const char *addr, const struct metrics_ops *ops, char *err,
    size_t errlen)
{
	struct addrinfo	 hints, *res = NULL;
	struct metrics	*m;
	char		 host[METRICS_HOST_MAX], portstr[8];
	unsigned int	 port;
	int		 rc;

	if (addr_split(addr, host, sizeof(host), &port, err, errlen) == -1)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->ops = *ops;

	if (host[0] == '\0') {
		m->daemon = daemon_start_any(m, port);
	} else {
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
		snprintf(portstr, sizeof(portstr), "%u", port);
		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
		if ((rc = getaddrinfo(host, portstr, &hints, &res)) != 0) {
			snprintf(err, errlen, "metrics address %s: %s", addr,
			    gai_strerror(rc));
			free(m);
			return NULL;
		}
		m->daemon = daemon_start(m,
		    res->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0,
		    res->ai_addr);
		freeaddrinfo(res);
	}
	if (m->daemon == NULL) {
		snprintf(err, errlen, "metrics address %s: cannot listen "
		    "(address in use or not local?)", addr);
		free(m);
		return NULL;
	}
	return m;
}

/*
 * The TCP port m listens on (useful after binding port 0), or -1 if it
 * cannot be told.
 */
int
metrics_port(struct metrics *m)
{
	const union MHD_DaemonInfo	*info;

	info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0)
		return -1;
	return info->port;
}

/* Stops the server, waiting for its thread; NULL is a no-op. */
void
metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	MHD_stop_daemon(m->daemon);
	free(m);
}
