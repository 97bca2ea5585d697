/*
 * The harness's passthrough HTTP: what host->http_request does when the
 * fixtures say "mode": "passthrough" (see xsecrets-conformance(1)).
 *
 * A request reaches the network only when its origin is admitted by one of
 * the fixtures' allow patterns; anything else is refused with
 * XS_ERR_DENIED, as the daemon refuses an endpoint outside its allow-list.
 * The provider's own endpoint patterns admit nothing here: the harness
 * talks only to servers its user named.  The URL is parsed once with
 * curl's parser and that parsed handle is what the transfer uses, so the
 * origin that was checked is the one contacted.
 *
 * Each request has an easy handle of its own, made and freed around the
 * transfer, so that any number of provider threads may call at once.  A
 * transfer never follows a redirect, verifies TLS (with the request's
 * ca_pem as the trusted roots when it gives one), honours the request's
 * timeout, caps the body at max_response and keeps a bounded set of
 * response headers.  Messages name the origin and what went wrong, never
 * the path, query, headers or body, which carry signatures and tokens.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "conformance.h"

#define ORIGIN_HOST_MAX	256
#define URL_MAX		8192
#define REQ_HEADERS_MAX	64
#define HEADER_MAX	8192	/* a request header's name or value */
#define RESP_HEADERS_MAX	64
#define RESP_HEADER_BYTES	(16 * 1024)
#define BODY_DEFAULT	(1024 * 1024)
#define BODY_HARD_MAX	(16 * 1024 * 1024)
#define TIMEOUT_DEFAULT	10000
#define TIMEOUT_HARD_MAX	60000

/* Where a request goes: scheme, host and port. */
struct origin {
	int	 https;
	char	 host[ORIGIN_HOST_MAX];	/* lower case; IPv6 in [] */
	long	 port;
};

/* What the callbacks of one transfer share. */
struct transfer {
	struct xs_http_response	*resp;
	size_t			 body_cap;
	size_t			 body_room;
	size_t			 hdr_room;
	int			 too_large;
	int			 bad_headers;
	int			 nomem;
};

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/*
 * Reads an allow pattern, [scheme "://"] host [":" port | ":*"], into o;
 * port -1 stands for any, wild for a leading "*." (kept in host as
 * ".domain").  0, or -1 when s is not a pattern.
 */
static int
pattern_read(const char *s, struct origin *o, int *wild)
{
	const char	*sep, *hend;
	char		*end;
	size_t		 hlen;

	memset(o, 0, sizeof(*o));
	*wild = 0;
	o->https = 1;
	if ((sep = strstr(s, "://")) != NULL) {
		if (sep - s == 4 && strncasecmp(s, "http", 4) == 0)
			o->https = 0;
		else if (sep - s != 5 || strncasecmp(s, "https", 5) != 0)
			return -1;
		s = sep + 3;
	}
	if (s[0] != '[')
		hend = s + strcspn(s, ":");
	else if ((hend = strchr(s, ']')) != NULL)
		hend++;
	if (hend == NULL || (*hend != '\0' && *hend != ':'))
		return -1;
	hlen = (size_t)(hend - s);
	if (s[0] == '*' && s[1] == '.') {
		*wild = 1;
		s++;
		hlen--;
	}
	if (hlen < 1 + (size_t)*wild || hlen >= sizeof(o->host))
		return -1;
	memcpy(o->host, s, hlen);
	lower(o->host);
	if (o->host[0] != '[' && o->host[strspn(o->host,
	    "abcdefghijklmnopqrstuvwxyz0123456789.-")] != '\0')
		return -1;
	if (*hend == '\0')
		o->port = o->https ? 443 : 80;
	else if (strcmp(hend, ":*") == 0)
		o->port = -1;
	else {
		if (!isdigit((unsigned char)hend[1]))
			return -1;
		o->port = strtol(hend + 1, &end, 10);
		if (*end != '\0' || o->port < 1 || o->port > 65535)
			return -1;
	}
	return 0;
}

/*
 * 1 when pattern is a valid allow pattern.  Any thread.
 */
int
chttp_pattern_valid(const char *pattern)
{
	struct origin	o;
	int		wild;

	return pattern_read(pattern, &o, &wild) == 0;
}

/* 1 when the pattern text admits origin o. */
static int
pattern_admits(const char *pattern, const struct origin *o)
{
	struct origin	p;
	size_t		hl, pl;
	int		wild;

	if (pattern_read(pattern, &p, &wild) == -1 || p.https != o->https ||
	    (p.port != -1 && p.port != o->port))
		return 0;
	if (!wild)
		return strcmp(p.host, o->host) == 0;
	if (o->host[0] == '[' || o->host[strspn(o->host,
	    "0123456789.")] == '\0')
		return 0;	/* "*.domain" never admits an address */
	hl = strlen(o->host);
	pl = strlen(p.host);
	return hl > pl && strcmp(o->host + hl - pl, p.host) == 0;
}

/* Fills o from a parsed URL; 0, or -1 with a reason. */
static int
origin_of(CURLU *u, struct origin *o, char *why, size_t whylen)
{
	char	*scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	char	*pass = NULL;
	int	 rc = -1;

	memset(o, 0, sizeof(*o));
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK || strlen(host) >= sizeof(o->host)) {
		snprintf(why, whylen, "malformed URL");
		goto out;
	}
	snprintf(o->host, sizeof(o->host), "%s", host);
	lower(o->host);
	o->port = strtol(port, NULL, 10);
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		snprintf(why, whylen, "endpoint %s: a user name or password "
		    "in the URL is refused", o->host);
		goto out;
	}
	o->https = strcasecmp(scheme, "https") == 0;
	if (!o->https && strcasecmp(scheme, "http") != 0) {
		snprintf(why, whylen, "endpoint %s: only http and https",
		    o->host);
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(pass);
	return rc;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct transfer		*t = arg;
	struct xs_http_response	*r = t->resp;
	uint8_t			*nb;
	size_t			 room;

	if (n > t->body_cap || r->len > t->body_cap - n) {
		t->too_large = 1;
		return 0;
	}
	if (r->len + n + 1 > t->body_room) {
		room = t->body_room == 0 ? 4096 : t->body_room;
		while (room < r->len + n + 1)
			room *= 2;
		/* A fresh block, so that no copy of the body is left. */
		if ((nb = malloc(room)) == NULL) {
			t->nomem = 1;
			return 0;
		}
		if (r->body != NULL) {
			memcpy(nb, r->body, r->len);
			OPENSSL_cleanse(r->body, r->len);
			free(r->body);
		}
		r->body = nb;
		t->body_room = room;
	}
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Appends n bytes of p and a NUL to the header store; 0 or -1. */
static int
hdr_put(struct transfer *t, const char *p, size_t n)
{
	struct xs_http_response	*r = t->resp;
	char			*nh;

	if (r->hdrlen + n + 1 > RESP_HEADER_BYTES) {
		t->bad_headers = 1;
		return -1;
	}
	if (r->hdrlen + n + 1 > t->hdr_room) {
		if ((nh = realloc(r->hdrs, RESP_HEADER_BYTES)) == NULL) {
			t->nomem = 1;
			return -1;
		}
		r->hdrs = nh;
		t->hdr_room = RESP_HEADER_BYTES;
	}
	memcpy(r->hdrs + r->hdrlen, p, n);
	r->hdrs[r->hdrlen + n] = '\0';
	r->hdrlen += n + 1;
	return 0;
}

/* Keeps one "Name: value" line of the last response's header. */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct transfer		*t = arg;
	struct xs_http_response	*r = t->resp;
	size_t			 colon, v, e;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->hdrlen = 0;		/* an interim response went before */
		r->nhdrs = 0;
		return n;
	}
	colon = 0;
	while (colon < n && p[colon] != ':' && !isspace((unsigned char)
	    p[colon]))
		colon++;
	if (colon == 0 || colon == n || p[colon] != ':')
		return n;		/* the blank line, or not a field */
	for (v = colon + 1; v < n && (p[v] == ' ' || p[v] == '\t'); v++)
		;
	for (e = n; e > v && isspace((unsigned char)p[e - 1]); e--)
		;
	if (r->nhdrs == RESP_HEADERS_MAX) {
		t->bad_headers = 1;
		return 0;
	}
	if (hdr_put(t, p, colon) == -1 || hdr_put(t, p + v, e - v) == -1)
		return 0;
	r->nhdrs++;
	return n;
}

/* The request's headers for curl; XS_OK, or an error with a reason. */
static int32_t
headers_of(const struct xs_http_request *req, struct curl_slist **out,
    char *why, size_t whylen)
{
	static const char token[] = "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	const struct xs_http_header *h;
	struct curl_slist	*l = NULL, *nl;
	char			*line;
	size_t			 i, nn, vn;
	int			 ctype = 0;

	*out = NULL;
	if (req->nheaders > REQ_HEADERS_MAX ||
	    (req->nheaders > 0 && req->headers == NULL)) {
		snprintf(why, whylen, "more than %d request headers",
		    REQ_HEADERS_MAX);
		return XS_ERR_INVALID;
	}
	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if (h->name == NULL || h->value == NULL ||
		    h->name[0] == '\0' || h->name[strspn(h->name, token)] !=
		    '\0' || strpbrk(h->value, "\r\n") != NULL ||
		    (nn = strlen(h->name)) > HEADER_MAX ||
		    (vn = strlen(h->value)) > HEADER_MAX) {
			snprintf(why, whylen, "request header %zu is "
			    "malformed", i);
			curl_slist_free_all(l);
			return XS_ERR_INVALID;
		}
		ctype |= strcasecmp(h->name, "Content-Type") == 0;
		if ((line = malloc(nn + vn + 3)) == NULL)
			goto nomem;
		memcpy(line, h->name, nn);
		memcpy(line + nn, ": ", 2);
		memcpy(line + nn + 2, h->value, vn + 1);
		nl = curl_slist_append(l, line);
		OPENSSL_cleanse(line, nn + vn + 2);
		free(line);
		if (nl == NULL)
			goto nomem;
		l = nl;
	}
	/* Sent as signed: no "Expect", no Content-Type added by curl. */
	if ((nl = curl_slist_append(l, "Expect:")) == NULL)
		goto nomem;
	l = nl;
	if (req->method == XS_HTTP_POST && req->body_len == 0 && !ctype) {
		if ((nl = curl_slist_append(l, "Content-Type:")) == NULL)
			goto nomem;
		l = nl;
	}
	*out = l;
	return XS_OK;

nomem:
	snprintf(why, whylen, "out of memory");
	curl_slist_free_all(l);
	return XS_ERR_NOMEM;
}

/* Sets the options of one transfer; CURLE_OK or the first error. */
static CURLcode
transfer_setup(CURL *c, CURLU *u, const struct xs_http_request *req,
    struct curl_slist *hdrs, struct transfer *t, char *errbuf)
{
	struct curl_blob	 ca;
	long			 tmo;
	CURLcode		 rc = CURLE_OK;

	tmo = req->timeout_ms != 0 ? (long)req->timeout_ms : TIMEOUT_DEFAULT;
	if (tmo > TIMEOUT_HARD_MAX)
		tmo = TIMEOUT_HARD_MAX;
#define OPT(o, v)	do {						\
		if (rc == CURLE_OK)					\
			rc = curl_easy_setopt(c, o, v);			\
	} while (0)
	OPT(CURLOPT_CURLU, u);
	OPT(CURLOPT_PROTOCOLS_STR, "http,https");
	OPT(CURLOPT_FOLLOWLOCATION, 0L);
	OPT(CURLOPT_PROXY, "");
	OPT(CURLOPT_NOSIGNAL, 1L);
	OPT(CURLOPT_ERRORBUFFER, errbuf);
	OPT(CURLOPT_SSL_VERIFYPEER, 1L);
	OPT(CURLOPT_SSL_VERIFYHOST, 2L);
	OPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (req->ca_pem != NULL && req->ca_pem_len > 0) {
		ca.data = (void *)(uintptr_t)req->ca_pem;
		ca.len = req->ca_pem_len;
		ca.flags = CURL_BLOB_COPY;
		OPT(CURLOPT_CAINFO_BLOB, &ca);
		OPT(CURLOPT_CAPATH, (char *)NULL);
	}
	OPT(CURLOPT_CONNECTTIMEOUT_MS, tmo);
	OPT(CURLOPT_TIMEOUT_MS, tmo);
	OPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->body_cap);
	OPT(CURLOPT_USERAGENT, "xsecrets-conformance/" PACKAGE_VERSION);
	OPT(CURLOPT_HTTPHEADER, hdrs);
	OPT(CURLOPT_WRITEFUNCTION, on_body);
	OPT(CURLOPT_WRITEDATA, t);
	OPT(CURLOPT_HEADERFUNCTION, on_header);
	OPT(CURLOPT_HEADERDATA, t);
	if (req->method == XS_HTTP_POST) {
		OPT(CURLOPT_POST, 1L);
		OPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		OPT(CURLOPT_POSTFIELDS, req->body != NULL ?
		    (const char *)req->body : "");
	} else
		OPT(CURLOPT_HTTPGET, 1L);
#undef OPT
	return rc;
}

/* The code and message of a transfer that failed. */
static int32_t
transfer_error(CURLcode crc, const struct transfer *t,
    const struct origin *o, const char *errbuf, char *why, size_t whylen)
{
	if (t->nomem || crc == CURLE_OUT_OF_MEMORY) {
		snprintf(why, whylen, "endpoint %s: out of memory", o->host);
		return XS_ERR_NOMEM;
	}
	if (t->too_large || crc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, whylen, "endpoint %s: HTTP response larger "
		    "than %zu bytes", o->host, t->body_cap);
		return XS_ERR_PROTOCOL;
	}
	if (t->bad_headers) {
		snprintf(why, whylen, "endpoint %s: HTTP response header "
		    "too large", o->host);
		return XS_ERR_PROTOCOL;
	}
	snprintf(why, whylen, "endpoint %s:%ld: %s", o->host, o->port,
	    (crc == CURLE_PEER_FAILED_VERIFICATION ||
	    crc == CURLE_SSL_CONNECT_ERROR) && errbuf[0] != '\0' ? errbuf :
	    curl_easy_strerror(crc));
	return XS_ERR_UNAVAILABLE;
}

/*
 * Initialises libcurl for the harness's process.  Call once, before any
 * thread exists.  0, or -1.
 */
int
chttp_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/*
 * Sends req to the real server when one of the nallow patterns of allow
 * admits its origin.  On XS_OK resp holds the status, the body (malloc'd,
 * NUL-terminated) and the headers (malloc'd); the caller frees them, also
 * after an error.  Otherwise returns XS_ERR_DENIED (refused by the allow
 * patterns), XS_ERR_INVALID (malformed request), XS_ERR_UNAVAILABLE
 * (transport, timeout, TLS), XS_ERR_PROTOCOL (too large) or XS_ERR_NOMEM,
 * with a reason in why.  Any thread.
 */
int32_t
chttp_request(const char *const *allow, size_t nallow,
    const struct xs_http_request *req, struct xs_http_response *resp,
    char *why, size_t whylen)
{
	struct curl_slist	*hdrs = NULL;
	struct transfer		 t;
	struct origin		 o;
	CURLcode		 crc;
	CURLU			*u;
	CURL			*c = NULL;
	char			 errbuf[CURL_ERROR_SIZE] = "";
	long			 status = 0;
	size_t			 i;
	int32_t			 rc = XS_ERR_INVALID;

	if ((req->method != XS_HTTP_GET && req->method != XS_HTTP_POST) ||
	    (req->body == NULL && req->body_len != 0)) {
		snprintf(why, whylen, "malformed HTTP request");
		return XS_ERR_INVALID;
	}
	if ((u = curl_url()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return XS_ERR_NOMEM;
	}
	if (strnlen(req->url, URL_MAX) == URL_MAX ||
	    curl_url_set(u, CURLUPART_URL, req->url, 0) != CURLUE_OK) {
		snprintf(why, whylen, "malformed URL");
		goto out;
	}
	if (origin_of(u, &o, why, whylen) == -1)
		goto out;
	rc = XS_ERR_DENIED;
	for (i = 0; i < nallow; i++)
		if (pattern_admits(allow[i], &o))
			break;
	if (i == nallow) {
		snprintf(why, whylen, "endpoint %s://%s:%ld is not in the "
		    "fixtures' allow list", o.https ? "https" : "http",
		    o.host, o.port);
		goto out;
	}
	if ((rc = headers_of(req, &hdrs, why, whylen)) != XS_OK)
		goto out;
	rc = XS_ERR_NOMEM;
	snprintf(why, whylen, "out of memory");
	if ((c = curl_easy_init()) == NULL)
		goto out;
	memset(&t, 0, sizeof(t));
	t.resp = resp;
	t.body_cap = req->max_response != 0 ? req->max_response :
	    BODY_DEFAULT;
	if (t.body_cap > BODY_HARD_MAX)
		t.body_cap = BODY_HARD_MAX;
	if ((crc = transfer_setup(c, u, req, hdrs, &t, errbuf)) == CURLE_OK)
		crc = curl_easy_perform(c);
	if (crc == CURLE_OK)
		crc = curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (crc != CURLE_OK) {
		rc = transfer_error(crc, &t, &o, errbuf, why, whylen);
		goto out;
	}
	if (resp->body == NULL && (resp->body = calloc(1, 1)) == NULL)
		goto out;
	resp->status = (int)status;
	rc = XS_OK;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	curl_url_cleanup(u);
	return rc;
}
