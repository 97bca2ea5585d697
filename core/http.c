/*
 * The HTTP client of the host API, on libcurl.
 *
 * Each thread that makes requests owns one easy handle, created on first use
 * and cleaned up by a pthread key destructor when the thread exits.  A
 * handle is reset after every request, which keeps its connection, DNS and
 * TLS session caches: requests of one worker to one host reuse their
 * connection without any locking between workers.
 *
 * Every request goes through the endpoint policy first.  The URL is parsed
 * once with curl's own parser (CURLU) and the same parsed handle is given to
 * the transfer, so what was checked is what is fetched.  The policy:
 *
 *   - only http and https URLs, never with a user name or password;
 *   - https to a host matched by the provider's default patterns or by an
 *     operator pattern (host_config.allow);
 *   - plain http only to a host and port an operator pattern names with an
 *     "http://" prefix;
 *   - the cloud metadata addresses only when an operator pattern names them
 *     literally; the same addresses are refused again when a socket is
 *     opened, so a host name that resolves to one is caught too.
 *
 * A pattern is [scheme "://"] host [":" port | ":*"], where host is a name,
 * "*.domain" (any name below domain, never an IP address) or an IP literal
 * (IPv6 in brackets).  No scheme means https; no port means the scheme's
 * default port.
 *
 * Transfers verify TLS (1.2 or newer) always, never follow redirects, and
 * keep the response body, capped, and a bounded set of response headers in
 * secure memory.  Nothing of a request or response other than the host and
 * the HTTP status is ever logged or put in an error message: URLs may carry
 * signatures in their query string, and headers and bodies carry tokens.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "http.h"
#include "log.h"

#define HOST_MAX	256

/* A growing buffer in secure memory, with a hard cap. */
struct sbuf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
};

struct xs_http_response {
	int32_t		 status;
	struct sbuf	 body;		/* NUL-terminated */
	struct sbuf	 hdrs;		/* "name\0value\0" ... */
	size_t		 nhdrs;
};

/* What the callbacks of one transfer share. */
struct xfer {
	struct xs_http_response *resp;
	size_t		 max_body;
	int		 too_large;
	int		 too_many_headers;
	int		 nomem;
	int		 metadata_ok;	/* the URL names a metadata
					   address an operator allowed */
	int		 metadata_refused;
};

/* Where a parsed URL points. */
struct target {
	int		 https;
	char		 host[HOST_MAX];	/* lower case; IPv6 in [] */
	long		 port;
	int		 metadata;
};

/* A parsed endpoint pattern. */
struct pattern {
	int		 https;
	int		 wildcard;	/* host is the suffix after "*" */
	char		 host[HOST_MAX];
	long		 port;		/* -1: any */
};

static const struct host_config *http_cfg;
static pthread_key_t	 http_key;
static pthread_once_t	 http_once = PTHREAD_ONCE_INIT;
static int		 http_key_ok;

static struct host_stats stats;

static const char *const metadata_v4[] = {
	"169.254.169.254",	/* AWS, GCP, Azure, OpenStack */
	"100.100.100.200",	/* Alibaba Cloud */
};
static const char *const metadata_v6[] = {
	"fd00:ec2::254",	/* AWS over IPv6 */
};

static void
stat_add(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* A snapshot of the HTTP counters; any thread. */
void
host_stats(struct host_stats *out)
{
	out->http_requests = __atomic_load_n(&stats.http_requests,
	    __ATOMIC_RELAXED);
	out->http_errors = __atomic_load_n(&stats.http_errors,
	    __ATOMIC_RELAXED);
	out->http_denied = __atomic_load_n(&stats.http_denied,
	    __ATOMIC_RELAXED);
}

/*
 * Appends n bytes to b unless that would exceed max.  0, or -1 when too
 * large, or -2 when out of memory.  Keeps one spare byte for a NUL.
 */
static int
sbuf_append(struct sbuf *b, const void *p, size_t n, size_t max)
{
	uint8_t	*nd;
	size_t	 ncap;

	if (n > max || b->len > max - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap == 0 ? 1024 : b->cap;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((nd = xs_secure_alloc(ncap)) == NULL)
			return -2;
		if (b->len > 0)
			memcpy(nd, b->data, b->len);
		xs_secure_free(b->data);
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static void
sbuf_free(struct sbuf *b)
{
	xs_secure_free(b->data);
	memset(b, 0, sizeof(*b));
}

/* The metadata address family/bytes test, for IPv4 and IPv6 binaries. */
static int
is_metadata_v4(const struct in_addr *a)
{
	struct in_addr	m;
	size_t		i;

	for (i = 0; i < sizeof(metadata_v4) / sizeof(metadata_v4[0]); i++)
		if (inet_pton(AF_INET, metadata_v4[i], &m) == 1 &&
		    m.s_addr == a->s_addr)
			return 1;
	return 0;
}

static int
is_metadata_v6(const struct in6_addr *a)
{
	struct in6_addr	m;
	struct in_addr	v4;
	size_t		i;

	if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a)) {
		memcpy(&v4, &a->s6_addr[12], sizeof(v4));
		return is_metadata_v4(&v4);
	}
	for (i = 0; i < sizeof(metadata_v6) / sizeof(metadata_v6[0]); i++)
		if (inet_pton(AF_INET6, metadata_v6[i], &m) == 1 &&
		    memcmp(&m, a, sizeof(m)) == 0)
			return 1;
	return 0;
}

/*
 * Parses an IP literal (IPv6 in brackets).  Returns AF_INET or AF_INET6
 * with the address in buf (16 bytes), or 0 for a name.
 */
static int
ip_literal(const char *host, void *buf)
{
	char	tmp[HOST_MAX];
	size_t	len = strlen(host);

	if (inet_pton(AF_INET, host, buf) == 1)
		return AF_INET;
	if (len > 2 && len < sizeof(tmp) && host[0] == '[' &&
	    host[len - 1] == ']') {
		memcpy(tmp, host + 1, len - 2);
		tmp[len - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, buf) == 1)
			return AF_INET6;
	}
	return 0;
}

static int
host_is_metadata(const char *host)
{
	uint8_t	addr[16];

	switch (ip_literal(host, addr)) {
	case AF_INET:
		return is_metadata_v4((struct in_addr *)(void *)addr);
	case AF_INET6:
		return is_metadata_v6((struct in6_addr *)(void *)addr);
	}
	return 0;
}

/* Whether two host strings name the same host (IP literals compared). */
static int
host_equal(const char *a, const char *b)
{
	uint8_t	aa[16], bb[16];
	int	fa, fb;

	fa = ip_literal(a, aa);
	fb = ip_literal(b, bb);
	if (fa != 0 || fb != 0)
		return fa == fb &&
		    memcmp(aa, bb, fa == AF_INET ? 4 : 16) == 0;
	return strcasecmp(a, b) == 0;
}

/* Parses one pattern (syntax in the file comment).  0 or -1. */
static int
pattern_parse(const char *s, struct pattern *p)
{
	const char	*colon, *end;
	char		*ep;
	size_t		 hlen, i;

	memset(p, 0, sizeof(*p));
	p->https = 1;
	if (strncasecmp(s, "https://", 8) == 0)
		s += 8;
	else if (strncasecmp(s, "http://", 7) == 0) {
		p->https = 0;
		s += 7;
	}
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		end++;
	} else
		end = s + strcspn(s, ":");
	colon = *end == ':' ? end : NULL;
	if (*end != '\0' && colon == NULL)
		return -1;
	hlen = (size_t)(end - s);
	if (hlen == 0 || hlen >= sizeof(p->host))
		return -1;
	if (s[0] == '*') {
		if (hlen < 3 || s[1] != '.')
			return -1;
		p->wildcard = 1;
		s++;
		hlen--;
	}
	for (i = 0; i < hlen; i++)
		p->host[i] = (char)tolower((unsigned char)s[i]);
	p->host[hlen] = '\0';
	if (p->host[0] != '[' &&
	    p->host[strspn(p->host, "abcdefghijklmnopqrstuvwxyz0123456789.-")]
	    != '\0')
		return -1;
	if (p->host[0] == '[' && (p->wildcard || ip_literal(p->host,
	    (uint8_t[16]){ 0 }) != AF_INET6))
		return -1;
	if (colon == NULL)
		p->port = p->https ? 443 : 80;
	else if (strcmp(colon, ":*") == 0)
		p->port = -1;
	else {
		p->port = strtol(colon + 1, &ep, 10);
		if (colon[1] < '0' || colon[1] > '9' || *ep != '\0' ||
		    p->port < 1 || p->port > 65535)
			return -1;
	}
	return 0;
}

/* Whether pattern text s admits t. */
static int
pattern_match(const char *s, const struct target *t)
{
	struct pattern	p;
	size_t		hl, sl;

	if (pattern_parse(s, &p) == -1 || p.https != t->https)
		return 0;
	if (p.port != -1 && p.port != t->port)
		return 0;
	if (!p.wildcard)
		return host_equal(p.host, t->host);
	if (ip_literal(t->host, (uint8_t[16]){ 0 }) != 0)
		return 0;
	hl = strlen(t->host);
	sl = strlen(p.host);
	return hl > sl && strcmp(t->host + hl - sl, p.host) == 0;
}

/* Whether s is a valid endpoint pattern; see http.h. */
int
http_pattern_valid(const char *s)
{
	struct pattern	p;

	return pattern_parse(s, &p) == 0;
}

/* Fills t from a parsed URL.  0, or -1 with a reason. */
static int
target_from_url(CURLU *u, struct target *t, char *why, size_t whylen)
{
	char	*scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	char	*pass = NULL, *opts = NULL;
	size_t	 i;
	int	 rc = -1;

	memset(t, 0, sizeof(*t));
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK) {
		snprintf(why, whylen, "malformed URL");
		goto done;
	}
	if (strlen(host) >= sizeof(t->host)) {
		snprintf(why, whylen, "host name too long");
		goto done;
	}
	for (i = 0; host[i] != '\0'; i++)
		t->host[i] = (char)tolower((unsigned char)host[i]);
	t->port = strtol(port, NULL, 10);
	t->metadata = host_is_metadata(t->host);
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_OPTIONS, &opts, 0) == CURLUE_OK) {
		snprintf(why, whylen, "endpoint %s: user name or password in "
		    "the URL refused", t->host);
		goto done;
	}
	if (strcasecmp(scheme, "https") == 0)
		t->https = 1;
	else if (strcasecmp(scheme, "http") != 0) {
		snprintf(why, whylen, "endpoint %s: scheme \"%.16s\" refused, "
		    "only https is allowed", t->host, scheme);
		goto done;
	}
	rc = 0;
 done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(pass);
	curl_free(opts);
	return rc;
}

/* The endpoint policy on a parsed URL.  1 allowed, 0 refused with why. */
static int
policy_check(const struct xs_provider *prov, const struct target *t,
    char *why, size_t whylen)
{
	const char *const *pat;
	size_t		 i;

	for (i = 0; http_cfg != NULL && i < http_cfg->nallow; i++)
		if (pattern_match(http_cfg->allow[i], t))
			return 1;
	if (t->metadata) {
		snprintf(why, whylen, "endpoint %s: cloud metadata address "
		    "refused; only an operator allow-list entry naming it "
		    "admits it", t->host);
		return 0;
	}
	if (!t->https) {
		snprintf(why, whylen, "endpoint http://%s:%ld: plain HTTP "
		    "refused; only an operator allow-list entry with "
		    "\"http://\" admits it", t->host, t->port);
		return 0;
	}
	for (pat = prov != NULL ? prov->endpoints : NULL;
	    pat != NULL && *pat != NULL; pat++)
		if (strncasecmp(*pat, "http://", 7) != 0 &&
		    pattern_match(*pat, t))
			return 1;
	snprintf(why, whylen, "endpoint %s:%ld is not in the allow-list of "
	    "provider %s", t->host, t->port,
	    prov != NULL && prov->name != NULL ? prov->name : "(none)");
	return 0;
}

/* Parses url into a new CURLU; NULL with a reason. */
static CURLU *
url_parse(const char *url, char *why, size_t whylen)
{
	CURLU	*u;

	if (url == NULL || strnlen(url, HTTP_URL_MAX) >= HTTP_URL_MAX) {
		snprintf(why, whylen, "malformed or overlong URL");
		return NULL;
	}
	if ((u = curl_url()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		snprintf(why, whylen, "malformed URL");
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

/* The endpoint policy for one URL; see host.h.  Any thread. */
int
host_endpoint_allowed(const struct xs_provider *prov, const char *url,
    char *why, size_t whylen)
{
	struct target	 t;
	CURLU		*u;
	int		 ok = 0;

	if ((u = url_parse(url, why, whylen)) == NULL)
		return 0;
	if (target_from_url(u, &t, why, whylen) == 0)
		ok = policy_check(prov, &t, why, whylen);
	curl_url_cleanup(u);
	return ok;
}

static void
handle_free(void *h)
{
	curl_easy_cleanup(h);
}

static void
key_create(void)
{
	http_key_ok = pthread_key_create(&http_key, handle_free) == 0;
}

/* The calling thread's easy handle, created on first use; NULL on error. */
static CURL *
http_handle(void)
{
	CURL	*h;

	pthread_once(&http_once, key_create);
	if (!http_key_ok)
		return NULL;
	if ((h = pthread_getspecific(http_key)) != NULL)
		return h;
	if ((h = curl_easy_init()) == NULL)
		return NULL;
	if (pthread_setspecific(http_key, h) != 0) {
		curl_easy_cleanup(h);
		return NULL;
	}
	return h;
}

/* Takes the daemon's settings; see http.h. */
void
http_init(const struct host_config *cfg)
{
	http_cfg = cfg;
	pthread_once(&http_once, key_create);
}

/* Releases the calling thread's handle and forgets the settings. */
void
http_shutdown(void)
{
	CURL	*h;

	if (http_key_ok && (h = pthread_getspecific(http_key)) != NULL) {
		curl_easy_cleanup(h);
		pthread_setspecific(http_key, NULL);
	}
	http_cfg = NULL;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	int		 rc;

	rc = sbuf_append(&x->resp->body, p, n, x->max_body);
	if (rc == -1)
		x->too_large = 1;
	else if (rc == -2)
		x->nomem = 1;
	return rc == 0 ? n : 0;
}

/* Keeps one "Name: value" line of the final response's header. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer		*x = arg;
	struct xs_http_response	*r = x->resp;
	size_t			 nl, vs, ve;
	int			 rc;

	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		r->hdrs.len = 0;	/* a new (final or 1xx) response */
		r->nhdrs = 0;
		return n;
	}
	for (nl = 0; nl < n && p[nl] != ':'; nl++)
		if (p[nl] == ' ' || p[nl] == '\t' || p[nl] == '\r')
			return n;	/* blank or folded line */
	if (nl == 0 || nl == n)
		return n;
	for (vs = nl + 1; vs < n && (p[vs] == ' ' || p[vs] == '\t'); vs++)
		;
	for (ve = n; ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' ||
	    p[ve - 1] == ' ' || p[ve - 1] == '\t'); ve--)
		;
	if (r->nhdrs >= HTTP_MAX_HEADERS) {
		x->too_many_headers = 1;
		return 0;
	}
	if ((rc = sbuf_append(&r->hdrs, p, nl, HTTP_MAX_HEADER_BYTES)) == 0 &&
	    (rc = sbuf_append(&r->hdrs, "", 1, HTTP_MAX_HEADER_BYTES)) == 0 &&
	    (rc = sbuf_append(&r->hdrs, p + vs, ve - vs,
	    HTTP_MAX_HEADER_BYTES)) == 0)
		rc = sbuf_append(&r->hdrs, "", 1, HTTP_MAX_HEADER_BYTES);
	if (rc == -1)
		x->too_many_headers = 1;
	else if (rc == -2)
		x->nomem = 1;
	if (rc != 0)
		return 0;
	r->nhdrs++;
	return n;
}

/* Refuses sockets to metadata addresses unless the URL named one. */
static curl_socket_t
on_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct xfer	*x = arg;
	int		 meta = 0;

	if (sa->family == AF_INET)
		meta = is_metadata_v4(
		    &((struct sockaddr_in *)(void *)&sa->addr)->sin_addr);
	else if (sa->family == AF_INET6)
		meta = is_metadata_v6(
		    &((struct sockaddr_in6 *)(void *)&sa->addr)->sin6_addr);
	if (meta && !x->metadata_ok) {
		x->metadata_refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(sa->family, sa->socktype, sa->protocol);
}

/* A header name is an RFC 9110 token; a value has no CR, LF or NUL. */
static int
header_ok(const struct xs_http_header *h)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

	return h->name != NULL && h->value != NULL && h->name[0] != '\0' &&
	    h->name[strspn(h->name, tchar)] == '\0' &&
	    strpbrk(h->value, "\r\n") == NULL;
}

/*
 * The request's header list, plus "Expect:" (no 100-continue round trip)
 * and, for a POST without a body or Content-Type, an empty "Content-Type:"
 * so that libcurl adds none: signers sign exactly what they send.  0, or
 * XS_ERR_* with a message.
 */
static int32_t
build_headers(const struct xs_http_request *req, struct curl_slist **out,
    struct xs_diag *d)
{
	struct curl_slist	*l = NULL, *n;
	char			*line;
	size_t			 i;
	int			 has_ct = 0, has_expect = 0;

	if (req->nheaders > HTTP_MAX_REQ_HEADERS ||
	    (req->nheaders > 0 && req->headers == NULL)) {
		diag_error(d, "HTTP request with too many headers");
		return XS_ERR_INTERNAL;
	}
	for (i = 0; i < req->nheaders; i++) {
		if (!header_ok(&req->headers[i])) {
			diag_error(d, "HTTP request header %zu is malformed",
			    i);
			goto fail;
		}
		has_ct |= strcasecmp(req->headers[i].name,
		    "Content-Type") == 0;
		has_expect |= strcasecmp(req->headers[i].name, "Expect") == 0;
		if (asprintf(&line, "%s: %s", req->headers[i].name,
		    req->headers[i].value) == -1)
			goto nomem;
		n = curl_slist_append(l, line);
		xs_cleanse(line, strlen(line));
		free(line);
		if (n == NULL)
			goto nomem;
		l = n;
	}
	if (!has_expect && (n = curl_slist_append(l, "Expect:")) == NULL)
		goto nomem;
	l = has_expect ? l : n;
	if (req->method == XS_HTTP_POST && req->body_len == 0 && !has_ct) {
		if ((n = curl_slist_append(l, "Content-Type:")) == NULL)
			goto nomem;
		l = n;
	}
	*out = l;
	return XS_OK;

 nomem:
	diag_error(d, "out of memory building an HTTP request");
	curl_slist_free_all(l);
	return XS_ERR_NOMEM;
 fail:
	curl_slist_free_all(l);
	return XS_ERR_INTERNAL;
}

/* Sets every option of one transfer.  CURLE_OK or the first error. */
static CURLcode
setup(CURL *h, const struct xs_http_request *req, CURLU *u,
    struct curl_slist *hdrs, struct xfer *x, char *errbuf)
{
	long		 tmo;
	CURLcode	 rc = CURLE_OK;

	tmo = req->timeout_ms != 0 ? req->timeout_ms :
	    http_cfg != NULL && http_cfg->http_timeout_ms != 0 ?
	    http_cfg->http_timeout_ms : 10000;
	if (tmo > HTTP_HARD_MAX_TIMEOUT)
		tmo = HTTP_HARD_MAX_TIMEOUT;

#define SET(opt, val)							\
	do {								\
		if (rc == CURLE_OK)					\
			rc = curl_easy_setopt(h, opt, val);		\
	} while (0)
	SET(CURLOPT_CURLU, u);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (http_cfg != NULL && http_cfg->ca_file != NULL) {
		SET(CURLOPT_CAINFO, http_cfg->ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}
#if LIBCURL_VERSION_NUM >= 0x074d00
	if (req->ca_pem != NULL && req->ca_pem_len > 0) {
		struct curl_blob blob = {
			.data = (void *)(uintptr_t)req->ca_pem,
			.len = req->ca_pem_len,
			.flags = CURL_BLOB_COPY,
		};

		SET(CURLOPT_CAINFO_BLOB, &blob);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}
#else
	if (req->ca_pem != NULL && req->ca_pem_len > 0)
		rc = CURLE_NOT_BUILT_IN;	/* needs curl 7.77 */
#endif
	SET(CURLOPT_CONNECTTIMEOUT_MS, tmo);
	SET(CURLOPT_TIMEOUT_MS, tmo);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_body);
	/*
	 * libcurl allocates its receive and send buffers (16 and 64 KiB
	 * by default) for every transfer, and every block freed is zeroed
	 * (xs_zero_library_heaps).  Cloud API answers and requests are a
	 * few KiB: smaller buffers take the bytes zeroed a request from
	 * 128 to 68 KiB, most of the rest being TLS record buffers.
	 */
	SET(CURLOPT_BUFFERSIZE, 4096L);
	SET(CURLOPT_UPLOAD_BUFFERSIZE, 16384L);	/* libcurl's minimum */
	SET(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	SET(CURLOPT_OPENSOCKETDATA, x);
	if (req->method == XS_HTTP_POST) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SET(CURLOPT_POSTFIELDS, req->body != NULL ?
		    (const char *)req->body : "");
	} else
		SET(CURLOPT_HTTPGET, 1L);
#undef SET
	return rc;
}

/* Errors whose text from libcurl is stable and more useful than the
 * generic one (no timings in it). */
static int
tls_error(CURLcode rc)
{
	return rc == CURLE_PEER_FAILED_VERIFICATION ||
	    rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CACERT_BADFILE ||
	    rc == CURLE_SSL_CERTPROBLEM;
}

/* Maps a failed transfer to an XS_ERR_* code and a stable message. */
static int32_t
transfer_error(CURLcode rc, const struct xfer *x, const struct target *t,
    const char *errbuf, struct xs_diag *d)
{
	if (x->metadata_refused) {
		stat_add(&stats.http_denied);
		diag_error(d, "endpoint %s: resolves to a cloud metadata "
		    "address; refused", t->host);
		return XS_ERR_DENIED;
	}
	stat_add(&stats.http_errors);
	if (x->nomem || rc == CURLE_OUT_OF_MEMORY) {
		diag_error(d, "endpoint %s: out of memory", t->host);
		return XS_ERR_NOMEM;
	}
	if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		diag_error(d, "endpoint %s: response too large", t->host);
		return XS_ERR_PROTOCOL;
	}
	if (x->too_many_headers) {
		diag_error(d, "endpoint %s: response header too large",
		    t->host);
		return XS_ERR_PROTOCOL;
	}
	diag_error(d, "endpoint %s:%ld: %s", t->host, t->port,
	    tls_error(rc) && errbuf[0] != '\0' ? errbuf :
	    curl_easy_strerror(rc));
	return XS_ERR_UNAVAILABLE;
}

/* Checks the parts of a request the host relies on.  XS_OK or an error. */
static int32_t
request_ok(const struct xs_http_request *req,
    struct xs_http_response **resp, struct xs_diag *d)
{
	if (req == NULL || resp == NULL) {
		diag_error(d, "HTTP request without request or response");
		return XS_ERR_INTERNAL;
	}
	*resp = NULL;
	if (req->size < sizeof(*req)) {
		diag_error(d, "HTTP request descriptor too small (%u bytes)",
		    req->size);
		return XS_ERR_INTERNAL;
	}
	if (req->method != XS_HTTP_GET && req->method != XS_HTTP_POST) {
		diag_error(d, "HTTP method %d not supported", req->method);
		return XS_ERR_INTERNAL;
	}
	if (req->method == XS_HTTP_GET && req->body_len != 0) {
		diag_error(d, "HTTP GET with a body");
		return XS_ERR_INTERNAL;
	}
	if (req->body == NULL && req->body_len != 0) {
		diag_error(d, "HTTP request body missing");
		return XS_ERR_INTERNAL;
	}
	return XS_OK;
}

/* The calling thread's gate: see host_gate in host.h. */
static __thread int	(*gate_fn)(void *);
static __thread void	*gate_arg;

void
host_gate(int (*fn)(void *), void *arg)
{
	gate_fn = fn;
	gate_arg = arg;
}

/*
 * host->http_request: policy, the calling thread's gate, then one transfer
 * on its handle.  On XS_OK *resp belongs to the caller (http_free); on
 * error it is NULL and d says why.  Any thread.
 */
int32_t
http_request(const struct xs_store *st, const struct xs_http_request *req,
    struct xs_http_response **resp, struct xs_diag *d)
{
	const struct xs_provider *prov = st != NULL ? st->desc : NULL;
	struct xs_http_response	*r = NULL;
	struct curl_slist	*hdrs = NULL;
	struct target		 t;
	struct xfer		 x;
	CURLU			*u = NULL;
	CURL			*h;
	CURLcode		 crc;
	char			 why[DIAG_MSG_MAX];
	char			 errbuf[CURL_ERROR_SIZE] = "";
	long			 status = 0;
	int32_t			 rc;

	if ((rc = request_ok(req, resp, d)) != XS_OK)
		return rc;
	stat_add(&stats.http_requests);
	if ((u = url_parse(req->url, why, sizeof(why))) == NULL ||
	    target_from_url(u, &t, why, sizeof(why)) == -1 ||
	    !policy_check(prov, &t, why, sizeof(why))) {
		stat_add(&stats.http_denied);
		diag_error(d, "%s", why);
		curl_url_cleanup(u);
		return XS_ERR_DENIED;
	}
	if (gate_fn != NULL && gate_fn(gate_arg) == -1) {
		diag_error(d, "the daemon is stopping");
		curl_url_cleanup(u);
		return XS_ERR_UNAVAILABLE;
	}
	memset(&x, 0, sizeof(x));
	x.metadata_ok = t.metadata;
	x.max_body = req->max_response != 0 ? req->max_response :
	    http_cfg != NULL && http_cfg->http_max_response != 0 ?
	    http_cfg->http_max_response : 1024 * 1024;
	if (x.max_body > HTTP_HARD_MAX_RESPONSE)
		x.max_body = HTTP_HARD_MAX_RESPONSE;

	if ((rc = build_headers(req, &hdrs, d)) != XS_OK)
		goto done;
	rc = XS_ERR_NOMEM;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (h = http_handle()) == NULL) {
		diag_error(d, "out of memory for an HTTP request");
		goto done;
	}
	x.resp = r;
	/* The handle is fresh or was reset after its last transfer. */
	if ((crc = setup(h, req, u, hdrs, &x, errbuf)) == CURLE_OK)
		crc = curl_easy_perform(h);
	if (crc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_reset(h);	/* drops its pointers to u and hdrs */
	if (crc != CURLE_OK) {
		rc = transfer_error(crc, &x, &t, errbuf, d);
		goto done;
	}
	r->status = (int32_t)status;
	if (log_enabled(XS_LOG_DEBUG))
		log_debug("provider %s: %s %s:%ld: HTTP %ld",
		    prov != NULL ? prov->name : "-",
		    req->method == XS_HTTP_POST ? "POST" : "GET", t.host,
		    t.port, status);
	*resp = r;
	r = NULL;
	rc = XS_OK;
 done:
	http_free(r);
	curl_slist_free_all(hdrs);
	curl_url_cleanup(u);
	return rc;
}

/* The HTTP status of r, or -1 for NULL. */
int32_t
http_status(const struct xs_http_response *r)
{
	return r != NULL ? r->status : -1;
}

/* The body of r ("" when empty), valid until http_free; NULL for NULL. */
const uint8_t *
http_body(const struct xs_http_response *r, size_t *len)
{
	if (len != NULL)
		*len = r != NULL ? r->body.len : 0;
	if (r == NULL)
		return NULL;
	return r->body.data != NULL ? r->body.data : (const uint8_t *)"";
}

/* The first header of r named name (any case), or NULL. */
const char *
http_header(const struct xs_http_response *r, const char *name)
{
	const char	*p, *end;
	size_t		 i;

	if (r == NULL || name == NULL || r->hdrs.data == NULL)
		return NULL;
	p = (const char *)r->hdrs.data;
	end = p + r->hdrs.len;
	for (i = 0; i < r->nhdrs && p < end; i++) {
		if (strcasecmp(p, name) == 0)
			return p + strlen(p) + 1;
		p += strlen(p) + 1;
		p += strlen(p) + 1;
	}
	return NULL;
}

/* Zeroes and frees a response; NULL is a no-op. */
void
http_free(struct xs_http_response *r)
{
	if (r == NULL)
		return;
	sbuf_free(&r->body);
	sbuf_free(&r->hdrs);
	free(r);
}
