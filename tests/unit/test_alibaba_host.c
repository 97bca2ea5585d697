/*
 * The test host of the Alibaba provider's unit tests; see
 * test_alibaba_host.h.  Secure memory is counted so that tests can check
 * nothing was leaked; log lines are kept so that tests can check no secret
 * was logged.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "test_alibaba_host.h"

struct xs_http_response {
	int	 status;
	char	*body;
	size_t	 len;
	char	 hname[64], hvalue[256];
};

static pthread_mutex_t	 th_mu = PTHREAD_MUTEX_INITIALIZER;
static long		 th_live;
static char		 th_log[65536];
static size_t		 th_loglen;
static th_http_fn	 th_http;
static void		*th_http_arg;
static int64_t		 th_wall, th_mono;
static struct {
	char	name[64];
	char	value[512];
} th_env[16];
static int		 th_nenv;

static void	h_error(struct xs_diag *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int32_t
h_log_enabled(int32_t level)
{
	return 1;
}

static void
h_log(int32_t level, const char *fmt, ...)
{
	va_list	ap;
	char	line[1024];
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	pthread_mutex_lock(&th_mu);
	if (th_loglen + strlen(line) + 2 < sizeof(th_log)) {
		th_loglen += (size_t)snprintf(th_log + th_loglen,
		    sizeof(th_log) - th_loglen, "%s\n", line);
	}
	pthread_mutex_unlock(&th_mu);
	fprintf(stderr, "log %d: %s\n", level, line);
}

static void *
h_alloc(size_t len)
{
	return malloc(len ? len : 1);
}

static void *
h_calloc(size_t n, size_t len)
{
	return calloc(n ? n : 1, len ? len : 1);
}

static void *
h_realloc(void *p, size_t len)
{
	return realloc(p, len ? len : 1);
}

static void
h_free(void *p)
{
	free(p);
}

static char *
h_strdup(const char *s)
{
	return strdup(s);
}

/* Secure memory: a size header, zeroed on free, counted. */
static void *
h_secure_alloc(size_t len)
{
	size_t	*p;

	if ((p = calloc(1, len + sizeof(size_t) * 2)) == NULL)
		return NULL;
	p[0] = len;
	__atomic_add_fetch(&th_live, 1, __ATOMIC_SEQ_CST);
	return p + 2;
}

static void
h_secure_free(void *v)
{
	size_t	*p;

	if (v == NULL)
		return;
	p = (size_t *)v - 2;
	OPENSSL_cleanse(v, p[0]);
	__atomic_sub_fetch(&th_live, 1, __ATOMIC_SEQ_CST);
	free(p);
}

static void
h_cleanse(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}

static const struct xs_value *
h_store_config(const struct xs_store *st)
{
	return st->config;
}

static const char *
h_store_name(const struct xs_store *st)
{
	return st->name;
}

static const char *
h_store_namespace(const struct xs_store *st)
{
	return st->ns;
}

static int32_t
h_store_is_cluster(const struct xs_store *st)
{
	return st->ns[0] == '\0';
}

static int32_t
h_value_type(const struct xs_value *v)
{
	const cJSON	*j = (const cJSON *)v;

	if (j == NULL)
		return -1;
	if (cJSON_IsString(j))
		return XS_VALUE_STRING;
	if (cJSON_IsNumber(j))
		return XS_VALUE_NUMBER;
	if (cJSON_IsBool(j))
		return XS_VALUE_BOOL;
	if (cJSON_IsObject(j))
		return XS_VALUE_MAP;
	if (cJSON_IsArray(j))
		return XS_VALUE_SEQ;
	return XS_VALUE_NULL;
}

static const struct xs_value *
h_value_get(const struct xs_value *map, const char *key)
{
	if (map == NULL || !cJSON_IsObject((const cJSON *)map))
		return NULL;
	return (const struct xs_value *)cJSON_GetObjectItemCaseSensitive(
	    (const cJSON *)map, key);
}

static const char *
h_value_string(const struct xs_value *v, size_t *len)
{
	const cJSON	*j = (const cJSON *)v;
	const char	*s = NULL;

	if (j == NULL)
		return NULL;
	if (cJSON_IsBool(j))
		s = cJSON_IsTrue(j) ? "true" : "false";
	else if (cJSON_IsString(j) || cJSON_IsNumber(j))
		s = j->valuestring;
	if (s != NULL && len != NULL)
		*len = strlen(s);
	return s;
}

static size_t
h_value_count(const struct xs_value *v)
{
	const cJSON	*j = (const cJSON *)v;

	if (j == NULL || !(cJSON_IsObject(j) || cJSON_IsArray(j)))
		return 0;
	return (size_t)cJSON_GetArraySize(j);
}

static const struct xs_value *
h_value_at(const struct xs_value *v, size_t i, const char **key)
{
	const cJSON	*j = (const cJSON *)v, *c;

	if (j == NULL || !(cJSON_IsObject(j) || cJSON_IsArray(j)))
		return NULL;
	c = cJSON_GetArrayItem(j, (int)i);
	if (c != NULL && key != NULL)
		*key = cJSON_IsObject(j) ? c->string : NULL;
	return (const struct xs_value *)c;
}

static const char *
h_value_where(const struct xs_value *v, char *buf, size_t len)
{
	snprintf(buf, len, "store.yaml:1:1");
	return buf;
}

/* "a.b.0" with "\." for a literal dot. */
static const struct xs_value *
h_value_path(const struct xs_value *v, const char *path)
{
	const cJSON	*j = (const cJSON *)v;
	char		 seg[256];
	size_t		 n;
	char		*end;
	long		 idx;

	while (j != NULL && *path != '\0') {
		n = 0;
		while (*path != '\0' && *path != '.' && n + 1 < sizeof(seg)) {
			if (path[0] == '\\' && path[1] == '.')
				path++;
			seg[n++] = *path++;
		}
		seg[n] = '\0';
		if (*path == '.')
			path++;
		if (cJSON_IsObject(j))
			j = cJSON_GetObjectItemCaseSensitive(j, seg);
		else if (cJSON_IsArray(j)) {
			idx = strtol(seg, &end, 10);
			j = *end == '\0' ? cJSON_GetArrayItem(j, (int)idx) :
			    NULL;
		} else
			j = NULL;
	}
	return (const struct xs_value *)j;
}

/* Gives number nodes their text, as the real host keeps it. */
static void
number_text(cJSON *j)
{
	cJSON	*c;
	char	 tmp[64];

	if (cJSON_IsNumber(j) && j->valuestring == NULL) {
		snprintf(tmp, sizeof(tmp), "%.17g", j->valuedouble);
		j->valuestring = strdup(tmp);
	}
	for (c = j->child; c != NULL; c = c->next)
		number_text(c);
}

static int32_t
h_json_parse(const char *text, size_t len, struct xs_value **out,
    struct xs_diag *d)
{
	cJSON	*j;

	j = cJSON_ParseWithLength(text, len);
	if (j == NULL) {
		h_error(d, "bad JSON");
		return XS_ERR_PROTOCOL;
	}
	number_text(j);
	*out = (struct xs_value *)j;
	return XS_OK;
}

static void
h_json_free(struct xs_value *v)
{
	cJSON_Delete((cJSON *)v);
}

static char *
h_json_print(const struct xs_value *v, size_t *len)
{
	char	*s, *out;
	size_t	 n;

	if ((s = cJSON_PrintUnformatted((const cJSON *)v)) == NULL)
		return NULL;
	n = strlen(s);
	if ((out = h_secure_alloc(n + 1)) != NULL) {
		memcpy(out, s, n + 1);
		if (len != NULL)
			*len = n;
	}
	free(s);
	return out;
}

static int32_t
h_credential_get(const struct xs_store *st, const struct xs_secret_ref *ref,
    uint8_t **out, size_t *len, struct xs_diag *d)
{
	int	i;
	size_t	n;

	for (i = 0; i < st->ncreds; i++) {
		if (strcmp(st->creds[i].name, ref->name) != 0 ||
		    strcmp(st->creds[i].key, ref->key) != 0)
			continue;
		n = strlen(st->creds[i].value);
		if ((*out = h_secure_alloc(n + 1)) == NULL)
			return XS_ERR_NOMEM;
		memcpy(*out, st->creds[i].value, n);
		*len = n;
		return XS_OK;
	}
	h_error(d, "secret %s key %s not found", ref->name, ref->key);
	return XS_ERR_NOT_FOUND;
}

static void
h_error(struct xs_diag *d, const char *fmt, ...)
{
	va_list	ap;

	if (d == NULL || d->error[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(d->error, sizeof(d->error), fmt, ap);
	va_end(ap);
}

static void
h_warn(struct xs_diag *d, const char *fmt, ...)
{
	va_list	ap;

	if (d == NULL || d->nwarnings == 8)
		return;
	va_start(ap, fmt);
	vsnprintf(d->warnings[d->nwarnings++], sizeof(d->warnings[0]), fmt,
	    ap);
	va_end(ap);
}

static char *
dupmem(const uint8_t *data, size_t len)
{
	char	*p;

	if ((p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

static int32_t
h_result_set(struct xs_result *r, const uint8_t *data, size_t len)
{
	free(r->value);
	r->value = dupmem(data, len);
	r->len = len;
	r->has_value = 1;
	return XS_OK;
}

static int32_t
h_result_put(struct xs_result *r, const char *key, const uint8_t *data,
    size_t len)
{
	if (r->nitems == TH_MAX_ITEMS)
		return XS_ERR_NOMEM;
	r->keys[r->nitems] = strdup(key);
	r->values[r->nitems] = dupmem(data, len);
	r->lens[r->nitems] = len;
	r->nitems++;
	return XS_OK;
}

static int32_t
h_http_request(const struct xs_store *st, const struct xs_http_request *req,
    struct xs_http_response **out, struct xs_diag *d)
{
	struct th_request	 tr;
	struct th_response	*resp;
	struct xs_http_response	*r;
	char			*body;
	int32_t			 rc;

	if (th_http == NULL)
		return XS_ERR_UNAVAILABLE;
	if ((resp = calloc(1, sizeof(*resp))) == NULL ||
	    (body = calloc(1, req->body_len + 1)) == NULL)
		abort();
	if (req->body_len > 0)
		memcpy(body, req->body, req->body_len);
	tr.method = req->method;
	tr.url = req->url;
	tr.headers = req->headers;
	tr.nheaders = req->nheaders;
	tr.body = body;
	tr.body_len = req->body_len;
	tr.timeout_ms = req->timeout_ms;
	tr.ca_pem = req->ca_pem;
	resp->status = 200;
	th_http(&tr, resp, th_http_arg);
	free(body);
	rc = resp->rc;
	if (rc != XS_OK) {
		h_error(d, "transport error");
		free(resp);
		return rc;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		abort();
	r->status = resp->status;
	r->len = resp->len != 0 && resp->len <= sizeof(resp->body) ?
	    resp->len : strlen(resp->body);
	r->body = dupmem((uint8_t *)resp->body, r->len);
	memcpy(r->hname, resp->hname, sizeof(r->hname));
	memcpy(r->hvalue, resp->hvalue, sizeof(r->hvalue));
	free(resp);
	*out = r;
	return XS_OK;
}

static int32_t
h_http_status(const struct xs_http_response *r)
{
	return r->status;
}

static const uint8_t *
h_http_body(const struct xs_http_response *r, size_t *len)
{
	*len = r->len;
	return (const uint8_t *)r->body;
}

static const char *
h_http_header(const struct xs_http_response *r, const char *name)
{
	if (r->hname[0] != '\0' && strcasecmp(r->hname, name) == 0)
		return r->hvalue;
	return NULL;
}

static void
h_http_free(struct xs_http_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	free(r);
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

static int32_t
h_random(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? XS_OK : XS_ERR_INTERNAL;
}

static char *
h_base64_encode(const void *data, size_t len, size_t *outlen)
{
	char	*out;
	int	 n;

	if ((out = h_secure_alloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	if (outlen != NULL)
		*outlen = (size_t)n;
	return out;
}

static uint8_t *
h_base64_decode(const char *text, size_t len, int32_t url, size_t *outlen)
{
	uint8_t	*out;
	size_t	 i;
	int	 n, pad = 0;

	if (len == 0 || len % 4 != 0)
		return NULL;
	for (i = 0; i < len; i++) {
		if (!isalnum((unsigned char)text[i]) && text[i] != '+' &&
		    text[i] != '/' && text[i] != '=')
			return NULL;
	}
	if ((out = h_secure_alloc(len)) == NULL)
		return NULL;
	n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
	if (n < 0) {
		h_secure_free(out);
		return NULL;
	}
	if (text[len - 1] == '=')
		pad++;
	if (text[len - 2] == '=')
		pad++;
	*outlen = (size_t)n - (size_t)pad;
	return out;
}

static int64_t
h_now_ms(void)
{
	return __atomic_load_n(&th_wall, __ATOMIC_SEQ_CST);
}

static int64_t
h_monotonic_ms(void)
{
	return __atomic_load_n(&th_mono, __ATOMIC_SEQ_CST);
}

static const char *
h_getenv(const char *name)
{
	int	i;

	for (i = 0; i < th_nenv; i++)
		if (strcmp(th_env[i].name, name) == 0)
			return th_env[i].value;
	return NULL;
}

struct xs_host th_host = {
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

void
th_init(void)
{
	th_http = NULL;
	th_http_arg = NULL;
	th_nenv = 0;
	th_wall = 1796211600000LL;	/* 2026-12-02T11:40:00Z */
	th_mono = 1000000;
}

void
th_set_http(th_http_fn fn, void *arg)
{
	th_http = fn;
	th_http_arg = arg;
}

void
th_set_env(const char *name, const char *value)
{
	int	i;

	for (i = 0; i < th_nenv; i++)
		if (strcmp(th_env[i].name, name) == 0)
			break;
	if (i == th_nenv) {
		if (th_nenv == 16)
			abort();
		th_nenv++;
	}
	snprintf(th_env[i].name, sizeof(th_env[i].name), "%s", name);
	snprintf(th_env[i].value, sizeof(th_env[i].value), "%s", value);
}

void
th_set_clock(int64_t wall_ms, int64_t mono_ms)
{
	__atomic_store_n(&th_wall, wall_ms, __ATOMIC_SEQ_CST);
	__atomic_store_n(&th_mono, mono_ms, __ATOMIC_SEQ_CST);
}

void
th_advance(int64_t ms)
{
	__atomic_add_fetch(&th_wall, ms, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&th_mono, ms, __ATOMIC_SEQ_CST);
}

long
th_secure_live(void)
{
	return __atomic_load_n(&th_live, __ATOMIC_SEQ_CST);
}

const char *
th_log_text(void)
{
	return th_log;
}

struct xs_store *
th_store(const char *json, const char *name, const char *ns)
{
	struct xs_store	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL)
		abort();
	st->config = cJSON_Parse(json);
	if (st->config == NULL) {
		fprintf(stderr, "bad test JSON: %s\n", json);
		abort();
	}
	number_text(st->config);
	st->name = name;
	st->ns = ns;
	return st;
}

void
th_store_cred(struct xs_store *st, const char *name, const char *key,
    const char *value)
{
	if (st->ncreds == TH_MAX_CREDS)
		abort();
	st->creds[st->ncreds].name = name;
	st->creds[st->ncreds].key = key;
	st->creds[st->ncreds].value = value;
	st->ncreds++;
}

void
th_store_free(struct xs_store *st)
{
	cJSON_Delete(st->config);
	free(st);
}

void
th_diag_init(struct xs_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void
th_result_init(struct xs_result *r)
{
	memset(r, 0, sizeof(*r));
}

void
th_result_clear(struct xs_result *r)
{
	size_t	i;

	free(r->value);
	for (i = 0; i < r->nitems; i++) {
		free(r->keys[i]);
		free(r->values[i]);
	}
	memset(r, 0, sizeof(*r));
}

const char *
th_result_get(const struct xs_result *r, const char *key)
{
	size_t	i;

	for (i = 0; i < r->nitems; i++)
		if (strcmp(r->keys[i], key) == 0)
			return r->values[i];
	return NULL;
}

const char *
th_header(const struct th_request *req, const char *name)
{
	size_t	i;

	for (i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

const char *
th_query(const char *url, const char *key, char *buf, size_t len)
{
	const char	*q, *p;
	size_t		 klen = strlen(key), n = 0;

	if ((q = strchr(url, '?')) == NULL)
		return NULL;
	for (p = q + 1; p != NULL && *p != '\0';) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			p += klen + 1;
			while (*p != '\0' && *p != '&' && n + 1 < len) {
				if (*p == '%' && hexval(p[1]) >= 0 &&
				    hexval(p[2]) >= 0) {
					buf[n++] = (char)(hexval(p[1]) * 16 +
					    hexval(p[2]));
					p += 3;
				} else
					buf[n++] = *p++;
			}
			buf[n] = '\0';
			return buf;
		}
		if ((p = strchr(p, '&')) != NULL)
			p++;
	}
	return NULL;
}
