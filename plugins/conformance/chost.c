/*
 * The harness's own struct xs_host: the whole host API, instrumented.
 *
 * Memory: every block a provider gets (alloc, secure_alloc, and the objects
 * the host hands out: JSON trees, printed JSON, credentials, HTTP responses,
 * base64 text) is counted while it lives, and carries a header saying which
 * family it belongs to, so that a leak or a free into the wrong family is
 * seen.  Every operation that the contract lets fail (allocations, JSON
 * parsing, results, HTTP, credentials) draws a number from one counter; the
 * robustness group makes the nth one fail.
 *
 * Logging records every line, so that the contract group can look for
 * fixture secrets in them.  HTTP has two modes, chosen by the fixtures.
 * The fake never touches the network: requests are answered from the
 * fixtures' routes; the clock moves only when a simulated HTTP timeout
 * elapses, and random bytes follow --seed.  Passthrough sends requests to
 * the real servers the fixtures admit (chttp.c); since real servers check
 * timestamps and refuse a repeated nonce, the clocks are then the system's
 * (still moved ahead by simulated timeouts) and random bytes come from the
 * system's generator.  In both modes a fault being injected is answered
 * by the host itself, so that faults are the same whatever the server, and
 * every request is counted and can be made to fail.  getenv serves the
 * fixtures' env and nothing of the harness's own environment.  Trees are
 * built from cJSON documents and know where they came from.
 *
 * All of it is safe to call from several threads, as the ABI promises.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "conformance.h"

#define MAGIC_PLAIN	0x706c61696e6d656dULL
#define MAGIC_SECURE	0x7365637572656d6dULL
#define MAGIC_FREED	0x6672656564626c6bULL
#define LOG_MAX_LINES	4096
#define LOG_LINE_MAX	1024
#define OVERSIZE	(1024 * 1024)

struct xs_value {
	int		 type;
	char		*str;
	size_t		 len;
	size_t		 count;
	char		**keys;
	struct xs_value	**items;
	char		*where;
};

struct hdr {
	uint64_t	magic;
	size_t		len;
};

static const struct fixtures *fx;
static long	live, misuse, ops, fail_at, nhttp, ncreds, max_timeout;
static int	fault_kind, fault_status;
static int64_t	clock_ms;
static uint64_t	rng;
static pthread_mutex_t log_mtx = PTHREAD_MUTEX_INITIALIZER;
static char	*log_lines[LOG_MAX_LINES];
static size_t	nlog_lines;

static long
add(long *p, long v)
{
	return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

/* Draws the next operation number; 1 when this one is to fail. */
static int
fail_now(void)
{
	long	n = add(&ops, 1);

	return __atomic_load_n(&fail_at, __ATOMIC_SEQ_CST) == n;
}

static void *
block_alloc(size_t len, uint64_t magic, int fallible)
{
	struct hdr	*h;

	if (fallible && fail_now())
		return NULL;
	if (len > SIZE_MAX - sizeof(*h) - 1)
		return NULL;
	if ((h = calloc(1, sizeof(*h) + len + 1)) == NULL)
		return NULL;
	h->magic = magic;
	h->len = len;
	add(&live, 1);
	return h + 1;
}

static void
block_free(void *p, uint64_t magic)
{
	struct hdr	*h;

	if (p == NULL)
		return;
	h = (struct hdr *)p - 1;
	if (h->magic != magic) {
		/* Wrong family, double free or foreign pointer: keep it. */
		add(&misuse, 1);
		return;
	}
	OPENSSL_cleanse(p, h->len);
	h->magic = MAGIC_FREED;
	add(&live, -1);
	free(h);
}

static void *
h_alloc(size_t len)
{
	return block_alloc(len, MAGIC_PLAIN, 1);
}

static void *
h_calloc(size_t n, size_t len)
{
	if (len != 0 && n > SIZE_MAX / len)
		return NULL;
	return block_alloc(n * len, MAGIC_PLAIN, 1);
}

static void
h_free(void *p)
{
	block_free(p, MAGIC_PLAIN);
}

static void *
h_realloc(void *p, size_t len)
{
	struct hdr	*h;
	void		*q;

	if (p == NULL)
		return h_alloc(len);
	h = (struct hdr *)p - 1;
	if (h->magic != MAGIC_PLAIN) {
		add(&misuse, 1);
		return NULL;
	}
	if ((q = h_alloc(len)) == NULL)
		return NULL;
	memcpy(q, p, h->len < len ? h->len : len);
	h_free(p);
	return q;
}

static char *
h_strdup(const char *s)
{
	size_t	 len = strlen(s);
	char	*p;

	if ((p = h_alloc(len + 1)) != NULL)
		memcpy(p, s, len + 1);
	return p;
}

static void *
h_secure_alloc(size_t len)
{
	return block_alloc(len, MAGIC_SECURE, 1);
}

static void
h_secure_free(void *p)
{
	block_free(p, MAGIC_SECURE);
}

static void
h_cleanse(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

static int32_t
h_log_enabled(int32_t level)
{
	return 1;
}

static void
record(const char *line)
{
	char	*copy;

	if ((copy = strdup(line)) == NULL)
		return;
	pthread_mutex_lock(&log_mtx);
	if (nlog_lines < LOG_MAX_LINES)
		log_lines[nlog_lines++] = copy;
	else
		free(copy);
	pthread_mutex_unlock(&log_mtx);
}

static void __attribute__((format(printf, 2, 3)))
h_log(int32_t level, const char *fmt, ...)
{
	char	line[LOG_LINE_MAX];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	record(line);
}

void
chost_log_lines(void (*f)(const char *, void *), void *arg)
{
	size_t	i;

	pthread_mutex_lock(&log_mtx);
	for (i = 0; i < nlog_lines; i++)
		f(log_lines[i], arg);
	pthread_mutex_unlock(&log_mtx);
}

void
chost_log_clear(void)
{
	pthread_mutex_lock(&log_mtx);
	while (nlog_lines > 0)
		free(log_lines[--nlog_lines]);
	pthread_mutex_unlock(&log_mtx);
}

static const struct xs_value *
h_store_config(const struct xs_store *st)
{
	return st == NULL ? NULL : st->fx->config;
}

static const char *
h_store_name(const struct xs_store *st)
{
	return st == NULL ? NULL : st->fx->name;
}

static const char *
h_store_namespace(const struct xs_store *st)
{
	return st == NULL ? NULL : st->fx->ns;
}

static int32_t
h_store_is_cluster(const struct xs_store *st)
{
	return st == NULL ? 0 : st->fx->cluster;
}

/*
 * Trees.  A node's where is "file:path" (cJSON keeps no line numbers).
 */
void
tree_free(struct xs_value *v)
{
	size_t	i;

	if (v == NULL)
		return;
	for (i = 0; i < v->count; i++) {
		tree_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	if (v->str != NULL)
		OPENSSL_cleanse(v->str, v->len);
	free(v->str);
	free(v->where);
	free(v);
}

static int
tree_scalar(struct xs_value *v, const cJSON *j)
{
	char	*s;

	if (cJSON_IsString(j)) {
		v->type = XS_VALUE_STRING;
		s = strdup(j->valuestring);
	} else if (cJSON_IsBool(j)) {
		v->type = XS_VALUE_BOOL;
		s = strdup(cJSON_IsTrue(j) ? "true" : "false");
	} else if (cJSON_IsNumber(j)) {
		v->type = XS_VALUE_NUMBER;
		s = cJSON_PrintUnformatted(j);
	} else {
		v->type = XS_VALUE_NULL;
		return 0;
	}
	if (s == NULL)
		return -1;
	v->str = s;
	v->len = strlen(s);
	return 0;
}

struct xs_value *
tree_from_json(const cJSON *j, const char *where)
{
	struct xs_value	*v;
	const cJSON	*c;
	char		 sub[1024];
	size_t		 n = 0;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	if ((v->where = strdup(where)) == NULL)
		goto fail;
	if (!cJSON_IsObject(j) && !cJSON_IsArray(j)) {
		if (tree_scalar(v, j) == -1)
			goto fail;
		return v;
	}
	v->type = cJSON_IsObject(j) ? XS_VALUE_MAP : XS_VALUE_SEQ;
	n = (size_t)cJSON_GetArraySize(j);
	if ((v->items = calloc(n + 1, sizeof(*v->items))) == NULL)
		goto fail;
	if (v->type == XS_VALUE_MAP &&
	    (v->keys = calloc(n + 1, sizeof(*v->keys))) == NULL)
		goto fail;
	cJSON_ArrayForEach(c, j) {
		if (v->type == XS_VALUE_MAP) {
			snprintf(sub, sizeof(sub), "%s.%s", where, c->string);
			if ((v->keys[v->count] = strdup(c->string)) == NULL)
				goto fail;
		} else
			snprintf(sub, sizeof(sub), "%s[%zu]", where, v->count);
		if ((v->items[v->count] = tree_from_json(c, sub)) == NULL) {
			if (v->keys != NULL)
				free(v->keys[v->count]);
			goto fail;
		}
		v->count++;
	}
	return v;

fail:
	tree_free(v);
	return NULL;
}

int
tree_type(const struct xs_value *v)
{
	return v == NULL ? -1 : v->type;
}

const char *
tree_string(const struct xs_value *v, size_t *len)
{
	if (v == NULL || v->str == NULL)
		return NULL;
	if (len != NULL)
		*len = v->len;
	return v->str;
}

size_t
tree_count(const struct xs_value *v)
{
	return v == NULL ? 0 : v->count;
}

const struct xs_value *
tree_at(const struct xs_value *v, size_t i, const char **key)
{
	if (v == NULL || i >= v->count)
		return NULL;
	if (key != NULL)
		*key = v->keys != NULL ? v->keys[i] : NULL;
	return v->items[i];
}

static int32_t
h_value_type(const struct xs_value *v)
{
	return tree_type(v);
}

static const struct xs_value *
h_value_get(const struct xs_value *map, const char *key)
{
	size_t	i;

	if (map == NULL || key == NULL || map->type != XS_VALUE_MAP)
		return NULL;
	for (i = 0; i < map->count; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->items[i];
	return NULL;
}

static const char *
h_value_where(const struct xs_value *v, char *buf, size_t len)
{
	if (buf == NULL || len == 0)
		return NULL;
	snprintf(buf, len, "%s:%s", fx != NULL && fx->file != NULL ?
	    fx->file : "-", v != NULL ? v->where : "?");
	return buf;
}

/* One segment of a property path, "\." unescaped; returns the rest. */
static const char *
path_segment(const char *p, char *seg, size_t len)
{
	size_t	n = 0;

	while (*p != '\0' && *p != '.') {
		if (p[0] == '\\' && p[1] == '.')
			p++;
		if (n + 1 < len)
			seg[n++] = *p;
		p++;
	}
	seg[n] = '\0';
	return *p == '.' ? p + 1 : NULL;
}

static const struct xs_value *
h_value_path(const struct xs_value *v, const char *path)
{
	char		 seg[512], *end;
	const char	*p = path;
	unsigned long	 i;

	if (v == NULL || path == NULL)
		return NULL;
	while (p != NULL && v != NULL) {
		p = path_segment(p, seg, sizeof(seg));
		if (v->type == XS_VALUE_MAP)
			v = h_value_get(v, seg);
		else if (v->type == XS_VALUE_SEQ && isdigit((unsigned char)
		    seg[0])) {
			i = strtoul(seg, &end, 10);
			v = *end == '\0' && i < v->count ? v->items[i] : NULL;
		} else
			v = NULL;
	}
	return v;
}

static const char *
h_value_string(const struct xs_value *v, size_t *len)
{
	return tree_string(v, len);
}

static size_t
h_value_count(const struct xs_value *v)
{
	return tree_count(v);
}

static const struct xs_value *
h_value_at(const struct xs_value *v, size_t i, const char **key)
{
	return tree_at(v, i, key);
}

static void __attribute__((format(printf, 2, 3)))
h_error(struct xs_diag *d, const char *fmt, ...)
{
	va_list	ap;

	if (d == NULL || d->error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(d->error, sizeof(d->error), fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
h_warn(struct xs_diag *d, const char *fmt, ...)
{
	va_list	ap;

	if (d == NULL || d->nwarnings >= 8)
		return;
	va_start(ap, fmt);
	vsnprintf(d->warnings[d->nwarnings++], sizeof(d->warnings[0]), fmt,
	    ap);
	va_end(ap);
}

static int32_t
h_json_parse(const char *text, size_t len, struct xs_value **out,
    struct xs_diag *d)
{
	cJSON	*j;

	*out = NULL;
	if (fail_now())
		return XS_ERR_NOMEM;
	if ((j = cJSON_ParseWithLength(text, len)) == NULL) {
		h_error(d, "malformed JSON");
		return XS_ERR_PROTOCOL;
	}
	*out = tree_from_json(j, "json");
	cJSON_Delete(j);
	if (*out == NULL)
		return XS_ERR_NOMEM;
	add(&live, 1);
	return XS_OK;
}

static void
h_json_free(struct xs_value *v)
{
	if (v == NULL)
		return;
	add(&live, -1);
	tree_free(v);
}

static cJSON *
tree_to_json(const struct xs_value *v)
{
	cJSON	*j, *c;
	size_t	 i;

	switch (v->type) {
	case XS_VALUE_STRING:
		return cJSON_CreateString(v->str);
	case XS_VALUE_NUMBER:
		return cJSON_CreateRaw(v->str);
	case XS_VALUE_BOOL:
		return cJSON_CreateBool(strcmp(v->str, "true") == 0);
	case XS_VALUE_NULL:
		return cJSON_CreateNull();
	}
	j = v->type == XS_VALUE_MAP ? cJSON_CreateObject() :
	    cJSON_CreateArray();
	for (i = 0; j != NULL && i < v->count; i++) {
		if ((c = tree_to_json(v->items[i])) == NULL) {
			cJSON_Delete(j);
			return NULL;
		}
		if (v->type == XS_VALUE_MAP)
			cJSON_AddItemToObject(j, v->keys[i], c);
		else
			cJSON_AddItemToArray(j, c);
	}
	return j;
}

static char *
h_json_print(const struct xs_value *v, size_t *len)
{
	cJSON	*j;
	char	*text, *out = NULL;
	size_t	 n;

	if (v == NULL || fail_now())
		return NULL;
	if ((j = tree_to_json(v)) == NULL)
		return NULL;
	text = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	if (text == NULL)
		return NULL;
	n = strlen(text);
	if ((out = block_alloc(n, MAGIC_SECURE, 0)) != NULL) {
		memcpy(out, text, n + 1);
		if (len != NULL)
			*len = n;
	}
	OPENSSL_cleanse(text, n);
	free(text);
	return out;
}

static int32_t
h_credential_get(const struct xs_store *st, const struct xs_secret_ref *ref,
    uint8_t **out, size_t *len, struct xs_diag *d)
{
	const char	*ns;
	size_t		 i, n;

	*out = NULL;
	add(&ncreds, 1);
	if (st == NULL || ref == NULL || ref->name == NULL ||
	    ref->key == NULL) {
		h_error(d, "credential reference needs a name and a key");
		return XS_ERR_INVALID;
	}
	ns = ref->ns;
	if (st->fx->cluster && ns == NULL) {
		h_error(d, "a cluster store must name the namespace of "
		    "secret %s", ref->name);
		return XS_ERR_INVALID;
	}
	if (!st->fx->cluster && ns != NULL && strcmp(ns, st->fx->ns) != 0) {
		h_error(d, "secret %s/%s is outside the store's namespace",
		    ns, ref->name);
		return XS_ERR_INVALID;
	}
	if (ns == NULL)
		ns = st->fx->ns;
	if (fail_now())
		return XS_ERR_NOMEM;
	for (i = 0; i < fx->ncreds; i++) {
		if (strcmp(fx->creds[i].ns, ns) != 0 ||
		    strcmp(fx->creds[i].name, ref->name) != 0 ||
		    strcmp(fx->creds[i].key, ref->key) != 0)
			continue;
		n = strlen(fx->creds[i].value);
		if ((*out = block_alloc(n, MAGIC_SECURE, 0)) == NULL)
			return XS_ERR_NOMEM;
		memcpy(*out, fx->creds[i].value, n);
		*len = n;
		return XS_OK;
	}
	h_error(d, "secret %s/%s has no key %s", ns, ref->name, ref->key);
	return XS_ERR_NOT_FOUND;
}

static int32_t
h_result_set(struct xs_result *r, const uint8_t *data, size_t len)
{
	uint8_t	*p;

	if (fail_now() || (p = malloc(len + 1)) == NULL)
		return XS_ERR_NOMEM;
	memcpy(p, data, len);
	p[len] = '\0';
	free(r->data);
	r->data = p;
	r->len = len;
	r->has_value = 1;
	return XS_OK;
}

static int32_t
h_result_put(struct xs_result *r, const char *key, const uint8_t *data,
    size_t len)
{
	size_t	 n = r->nitems + 1;
	char	**k;
	uint8_t	**v;
	size_t	*l;

	if (fail_now())
		return XS_ERR_NOMEM;
	k = realloc(r->keys, n * sizeof(*k));
	if (k != NULL)
		r->keys = k;
	v = realloc(r->values, n * sizeof(*v));
	if (v != NULL)
		r->values = v;
	l = realloc(r->lens, n * sizeof(*l));
	if (l != NULL)
		r->lens = l;
	if (k == NULL || v == NULL || l == NULL)
		return XS_ERR_NOMEM;
	if ((k[r->nitems] = strdup(key)) == NULL)
		return XS_ERR_NOMEM;
	if ((v[r->nitems] = malloc(len + 1)) == NULL) {
		free(k[r->nitems]);
		return XS_ERR_NOMEM;
	}
	memcpy(v[r->nitems], data, len);
	v[r->nitems][len] = '\0';
	l[r->nitems] = len;
	r->nitems = n;
	return XS_OK;
}

/* Answers a request from the fault being injected. */
static int32_t
fault_answer(const struct xs_http_request *req,
    struct xs_http_response *resp, struct xs_diag *d)
{
	static const char malformed[] = "{\"Value\": \"trunc";

	switch (fault_kind) {
	case FAULT_TIMEOUT:
		__atomic_add_fetch(&clock_ms, req->timeout_ms != 0 ?
		    req->timeout_ms : 10000, __ATOMIC_SEQ_CST);
		h_error(d, "HTTP request timed out");
		return XS_ERR_UNAVAILABLE;
	case FAULT_TLS:
		h_error(d, "TLS handshake failed: certificate verify failed");
		return XS_ERR_UNAVAILABLE;
	case FAULT_OVERSIZE:
		h_error(d, "HTTP response larger than %d bytes", OVERSIZE);
		return XS_ERR_PROTOCOL;
	case FAULT_MALFORMED:
		resp->status = 200;
		resp->body = (uint8_t *)strdup(malformed);
		break;
	default:
		resp->status = fault_status;
		resp->body = (uint8_t *)strdup("{}");
		break;
	}
	if (resp->body == NULL)
		return XS_ERR_NOMEM;
	resp->len = strlen((char *)resp->body);
	return XS_OK;
}

static int32_t
route_answer(const struct xs_http_request *req,
    struct xs_http_response *resp)
{
	const struct fx_route	*rt = NULL;
	size_t			 i;

	for (i = 0; i < fx->nroutes; i++) {
		rt = &fx->routes[i];
		if ((rt->method == -1 || rt->method == req->method) &&
		    strstr(req->url, rt->match) != NULL)
			break;
	}
	if (i == fx->nroutes) {
		rt = NULL;
		record("conformance: no fixture route answers this request");
		resp->status = 404;
		resp->body = (uint8_t *)strdup("{}");
	} else {
		resp->route = rt;
		resp->status = rt->status;
		resp->body = malloc(rt->len + 1);
		if (resp->body != NULL) {
			memcpy(resp->body, rt->body, rt->len);
			resp->body[rt->len] = '\0';
		}
	}
	if (resp->body == NULL)
		return XS_ERR_NOMEM;
	resp->len = rt == NULL ? 2 : rt->len;
	return XS_OK;
}

/* Sends the request to the real server; a refused endpoint is logged. */
static int32_t
pass_answer(const struct xs_http_request *req, struct xs_http_response *resp,
    struct xs_diag *d)
{
	char	why[512];
	int32_t	rc;

	rc = chttp_request((const char *const *)fx->allow, fx->nallow, req,
	    resp, why, sizeof(why));
	if (rc == XS_ERR_DENIED)
		record("conformance: a request was refused: the fixtures' "
		    "http.allow does not admit its endpoint");
	if (rc != XS_OK)
		h_error(d, "%s", why);
	return rc;
}

static void
response_free(struct xs_http_response *r)
{
	if (r->body != NULL)
		OPENSSL_cleanse(r->body, r->len);
	free(r->body);
	if (r->hdrs != NULL)
		OPENSSL_cleanse(r->hdrs, r->hdrlen);
	free(r->hdrs);
	free(r);
}

static int32_t
h_http_request(const struct xs_store *st, const struct xs_http_request *req,
    struct xs_http_response **out, struct xs_diag *d)
{
	struct xs_http_response	*resp;
	long			 t, cur;
	int32_t			 rc;

	*out = NULL;
	add(&nhttp, 1);
	t = req->timeout_ms;
	cur = __atomic_load_n(&max_timeout, __ATOMIC_SEQ_CST);
	while (t > cur && !__atomic_compare_exchange_n(&max_timeout, &cur, t,
	    0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	if (req->size < sizeof(*req) || req->url == NULL) {
		h_error(d, "malformed HTTP request");
		return XS_ERR_INTERNAL;	/* as the daemon's host answers */
	}
	if (fail_now() || (resp = calloc(1, sizeof(*resp))) == NULL)
		return XS_ERR_NOMEM;
	if (fault_kind != FAULT_NONE)
		rc = fault_answer(req, resp, d);
	else if (fx->http_mode == HTTP_PASSTHROUGH)
		rc = pass_answer(req, resp, d);
	else
		rc = route_answer(req, resp);
	if (rc != XS_OK) {
		response_free(resp);
		return rc;
	}
	add(&live, 1);
	*out = resp;
	return XS_OK;
}

static int32_t
h_http_status(const struct xs_http_response *r)
{
	return r == NULL ? -1 : r->status;
}

static const uint8_t *
h_http_body(const struct xs_http_response *r, size_t *len)
{
	if (r == NULL)
		return NULL;
	if (len != NULL)
		*len = r->len;
	return r->body;
}

static const char *
h_http_header(const struct xs_http_response *r, const char *name)
{
	const char	*p;
	size_t		 i;

	if (r == NULL || name == NULL)
		return NULL;
	for (i = 0, p = r->hdrs; p != NULL && i < r->nhdrs; i++) {
		if (strcasecmp(p, name) == 0)
			return p + strlen(p) + 1;
		p += strlen(p) + 1;
		p += strlen(p) + 1;
	}
	if (r->route == NULL)
		return NULL;
	for (i = 0; i < r->route->nheaders; i++)
		if (strcasecmp(r->route->hnames[i], name) == 0)
			return r->route->hvalues[i];
	return NULL;
}

static void
h_http_free(struct xs_http_response *r)
{
	if (r == NULL)
		return;
	add(&live, -1);
	response_free(r);
}

static void
h_sha256(const void *data, size_t len, uint8_t out[32])
{
	SHA256(data, len, out);
}

static void
h_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
    uint8_t out[32])
{
	unsigned int	n = 32;

	HMAC(EVP_sha256(), key, (int)klen, data, len, out, &n);
}

static void
h_hmac_sha1(const void *key, size_t klen, const void *data, size_t len,
    uint8_t out[20])
{
	unsigned int	n = 20;

	HMAC(EVP_sha1(), key, (int)klen, data, len, out, &n);
}

/*
 * Deterministic with --seed, so that a failing run can be repeated; from
 * the system in passthrough, where a server remembers nonces across the
 * groups' processes.
 */
static int32_t
h_random(void *buf, size_t len)
{
	uint8_t		*p = buf;
	uint64_t	 x;
	size_t		 i;

	if (fx->http_mode == HTTP_PASSTHROUGH)
		return len > INT32_MAX || RAND_bytes(buf, (int)len) != 1 ?
		    XS_ERR_INTERNAL : XS_OK;
	for (i = 0; i < len; i++) {
		x = __atomic_add_fetch(&rng, 0x9e3779b97f4a7c15ULL,
		    __ATOMIC_SEQ_CST);
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		p[i] = (uint8_t)(x ^ (x >> 31));
	}
	return XS_OK;
}

static char *
h_base64_encode(const void *data, size_t len, size_t *outlen)
{
	char	*out;
	size_t	 n = 4 * ((len + 2) / 3);

	if (len > SIZE_MAX / 2 || (out = h_secure_alloc(n + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	if (outlen != NULL)
		*outlen = n;
	return out;
}

static int
b64_digit(int c, int32_t url)
{
	const char	*std = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char	*p;

	if (url && c == '-')
		return 62;
	if (url && c == '_')
		return 63;
	if (c == '\0' || (p = strchr(std, c)) == NULL)
		return -1;
	return (int)(p - std);
}

static uint8_t *
h_base64_decode(const char *text, size_t len, int32_t url, size_t *outlen)
{
	uint8_t		*out;
	uint32_t	 acc = 0;
	size_t		 i, n = 0, bits = 0;
	int		 c;

	while (len > 0 && text[len - 1] == '=')
		len--;
	if ((out = h_secure_alloc(len * 3 / 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if ((c = b64_digit((unsigned char)text[i], url)) == -1) {
			h_secure_free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)c;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	out[n] = '\0';
	if (outlen != NULL)
		*outlen = n;
	return out;
}

/* The system's clock c in ms, or base for the fake. */
static int64_t
clock_base(clockid_t c, int64_t base)
{
	struct timespec	ts;

	if (fx->http_mode != HTTP_PASSTHROUGH || clock_gettime(c, &ts) == -1)
		return base;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
h_now_ms(void)
{
	return clock_base(CLOCK_REALTIME, 1767225600000LL) +
	    __atomic_load_n(&clock_ms, __ATOMIC_SEQ_CST);
}

static int64_t
h_monotonic_ms(void)
{
	return clock_base(CLOCK_MONOTONIC, 1000000) +
	    __atomic_load_n(&clock_ms, __ATOMIC_SEQ_CST);
}

static const char *
h_getenv(const char *name)
{
	size_t	i;

	for (i = 0; name != NULL && i < fx->nenv; i++)
		if (strcmp(fx->env_names[i], name) == 0)
			return fx->env_values[i];
	return NULL;
}

static const struct xs_host chost = {
	.abi_major = XS_ABI_MAJOR,
	.abi_minor = XS_ABI_MINOR,
	.size = sizeof(struct xs_host),
	.log_enabled = h_log_enabled,
	.log = h_log,
	.alloc = h_alloc,
	.calloc = h_calloc,
	.realloc = h_realloc,
	.free = h_free,
	.strdup = h_strdup,
	.secure_alloc = h_secure_alloc,
	.secure_free = h_secure_free,
	.cleanse = h_cleanse,
	.store_config = h_store_config,
	.store_name = h_store_name,
	.store_namespace = h_store_namespace,
	.store_is_cluster = h_store_is_cluster,
	.value_type = h_value_type,
	.value_get = h_value_get,
	.value_string = h_value_string,
	.value_count = h_value_count,
	.value_at = h_value_at,
	.value_where = h_value_where,
	.value_path = h_value_path,
	.json_parse = h_json_parse,
	.json_free = h_json_free,
	.json_print = h_json_print,
	.credential_get = h_credential_get,
	.error = h_error,
	.warn = h_warn,
	.result_set = h_result_set,
	.result_put = h_result_put,
	.http_request = h_http_request,
	.http_status = h_http_status,
	.http_body = h_http_body,
	.http_header = h_http_header,
	.http_free = h_http_free,
	.sha256 = h_sha256,
	.hmac_sha256 = h_hmac_sha256,
	.hmac_sha1 = h_hmac_sha1,
	.random = h_random,
	.base64_encode = h_base64_encode,
	.base64_decode = h_base64_decode,
	.now_ms = h_now_ms,
	.monotonic_ms = h_monotonic_ms,
	.getenv = h_getenv,
};

/*
 * Returns the host table, serving the fixtures fx (borrowed for the life of
 * the process), or NULL when passthrough HTTP cannot be set up.  Call once
 * per child, before any thread.
 */
const struct xs_host *
chost_init(const struct fixtures *f, uint64_t seed)
{
	fx = f;
	rng = seed;
	chost_reset();
	if (fx->http_mode == HTTP_PASSTHROUGH && chttp_init() == -1)
		return NULL;
	return &chost;
}

/* Zeroes every counter and stops fault injection. */
void
chost_reset(void)
{
	live = misuse = ops = fail_at = nhttp = ncreds = max_timeout = 0;
	fault_kind = FAULT_NONE;
	fault_status = 0;
}

void
chost_stats(struct chost_stats *out)
{
	out->live = __atomic_load_n(&live, __ATOMIC_SEQ_CST);
	out->misuse = __atomic_load_n(&misuse, __ATOMIC_SEQ_CST);
	out->ops = __atomic_load_n(&ops, __ATOMIC_SEQ_CST);
	out->http = __atomic_load_n(&nhttp, __ATOMIC_SEQ_CST);
	out->creds = __atomic_load_n(&ncreds, __ATOMIC_SEQ_CST);
	out->max_timeout_ms = __atomic_load_n(&max_timeout, __ATOMIC_SEQ_CST);
}

void
chost_fail_at(long n)
{
	__atomic_store_n(&ops, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&fail_at, n, __ATOMIC_SEQ_CST);
}

void
chost_fault(int kind, int status)
{
	fault_kind = kind;
	fault_status = status;
}

void
diag_reset(struct xs_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
res_init(struct xs_result *r)
{
	memset(r, 0, sizeof(*r));
}

/* Frees what a provider call put into r; r can then be reused. */
void
res_clear(struct xs_result *r)
{
	size_t	i;

	free(r->data);
	for (i = 0; i < r->nitems; i++) {
		free(r->keys[i]);
		free(r->values[i]);
	}
	free(r->keys);
	free(r->values);
	free(r->lens);
	res_init(r);
}
