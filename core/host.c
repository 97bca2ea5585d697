/*
 * The host API table: what every provider gets as its struct xs_host.
 *
 * The table itself is constant; the daemon-wide settings behind it (CA
 * file, HTTP defaults, operator allow-list) are copied once by host_init.
 * Most entries are thin wrappers: memory over the C library and the secure
 * allocator of core/log.c, trees over core/value.c, HTTP over core/http.c,
 * crypto over core/crypto.c.  The parts with policy of their own live here:
 *
 *   - diagnostics: the first error of a call is kept, later ones dropped;
 *     warnings up to DIAG_MAX_WARN; every message truncated to
 *     DIAG_MSG_MAX with control characters replaced, so that a provider
 *     cannot forge lines of the log or the status table;
 *   - results: copied into secure memory, capped at RESULT_MAX_BYTES and
 *     RESULT_MAX_ITEMS (XS_ERR_PROTOCOL beyond);
 *   - credentials: the namespace rules of SecretStore references;
 *   - logging: the provider's name as prefix (set per thread by
 *     host_enter), and a rate limit on identical lines.
 *
 * The rate limit keeps a small table of recent lines keyed by a hash of
 * prefix, level and text.  A line is printed at most LOG_BURST times per
 * LOG_WINDOW_MS; further copies are counted, and the count is reported in
 * one "suppressed" line once the window has passed (noticed on the next
 * log call) or at host_shutdown.  When the table is full the entry that
 * arrived first is reported and reused.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "crypto.h"
#include "host.h"
#include "http.h"
#include "log.h"
#include "manifest.h"
#include "value.h"

#define LOG_WINDOW_MS	60000
#define LOG_BURST	5
#define LOG_SLOTS	64
#define LOG_MSG_MAX	1024
#define PREFIX_MAX	80

struct log_slot {
	uint64_t	 key;		/* 0: free */
	uint64_t	 seq;		/* order of arrival, for eviction */
	int64_t		 start;		/* monotonic, ms */
	uint32_t	 count;		/* lines printed in the window */
	uint32_t	 suppressed;
	int		 level;
	char		 prefix[PREFIX_MAX];
};

/* A "suppressed" line to print once the lock is released. */
struct log_report {
	int		 level;
	uint32_t	 n;
	char		 prefix[PREFIX_MAX];
};

static __thread const struct xs_provider *host_current;

static pthread_mutex_t	 log_mu = PTHREAD_MUTEX_INITIALIZER;
static struct log_slot	 log_slots[LOG_SLOTS];
static uint64_t		 log_seq;

static struct host_config host_cfg;
static int		 host_ready;

static int64_t
clock_ms(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
host_now_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

static int64_t
host_monotonic_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

/* Replaces control characters so that one message stays one line. */
static void
sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void
diag_vset(char dst[DIAG_MSG_MAX], const char *fmt, va_list ap)
{
	vsnprintf(dst, DIAG_MSG_MAX, fmt, ap);
	sanitize(dst);
}

/* Clears d for a new call. */
void
diag_init(struct xs_diag *d)
{
	memset(d, 0, sizeof(*d));
}

/* Keeps the first error of a call; see http.h. */
void
diag_error(struct xs_diag *d, const char *fmt, ...)
{
	va_list	ap;

	if (d == NULL || fmt == NULL || d->error[0] != '\0')
		return;
	va_start(ap, fmt);
	diag_vset(d->error, fmt, ap);
	va_end(ap);
	if (d->error[0] == '\0')
		snprintf(d->error, DIAG_MSG_MAX, "error without a message");
}

static void
host_warn(struct xs_diag *d, const char *fmt, ...)
{
	va_list	ap;

	if (d == NULL || fmt == NULL || d->nwarnings < 0 ||
	    d->nwarnings >= DIAG_MAX_WARN)
		return;
	va_start(ap, fmt);
	diag_vset(d->warnings[d->nwarnings++], fmt, ap);
	va_end(ap);
}

/* Names the provider the calling thread calls into; NULL after. */
void
host_enter(const struct xs_provider *desc)
{
	host_current = desc;
}

static void
log_prefix(char *buf, size_t len)
{
	const struct xs_provider *p = host_current;

	snprintf(buf, len, "provider %.63s",
	    p != NULL && p->name != NULL ? p->name : "(unknown)");
}

static void
log_print(int level, const char *prefix, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_msg(level, prefix, fmt, ap);
	va_end(ap);
}

static uint64_t
fnv1a(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h ^ 0xff;	/* separates consecutive strings */
}

/* Moves slot s into a report (when it suppressed anything) and frees it. */
static void
slot_retire(struct log_slot *s, struct log_report *rep, size_t *nrep)
{
	if (s->suppressed > 0) {
		rep[*nrep].level = s->level;
		rep[*nrep].n = s->suppressed;
		memcpy(rep[*nrep].prefix, s->prefix, sizeof(s->prefix));
		(*nrep)++;
	}
	memset(s, 0, sizeof(*s));
}

/*
 * Decides whether one line may be printed now, under log_mu.  Retired
 * entries with suppressed lines are added to rep (room for LOG_SLOTS + 1).
 */
static int
log_admit(int level, const char *prefix, const char *msg, int64_t now,
    struct log_report *rep, size_t *nrep)
{
	struct log_slot	*s, *slot = NULL, *oldest = NULL;
	uint64_t	 key;
	char		 lv[2] = { (char)('0' + level), '\0' };

	key = fnv1a(fnv1a(fnv1a(0xcbf29ce484222325ULL, prefix), lv), msg);
	key |= 1;	/* 0 marks a free slot */
	for (s = log_slots; s < log_slots + LOG_SLOTS; s++) {
		if (s->key != 0 && now - s->start >= LOG_WINDOW_MS)
			slot_retire(s, rep, nrep);
		if (s->key == key)
			slot = s;
	}
	for (s = log_slots; slot == NULL && s < log_slots + LOG_SLOTS; s++) {
		if (s->key == 0)
			slot = s;
		else if (oldest == NULL || s->seq < oldest->seq)
			oldest = s;
	}
	if (slot == NULL) {
		slot = oldest;
		slot_retire(slot, rep, nrep);
	}
	if (slot->key == 0) {
		slot->key = key;
		slot->seq = ++log_seq;
		slot->start = now;
		slot->level = level;
		snprintf(slot->prefix, sizeof(slot->prefix), "%s", prefix);
	}
	if (slot->count < LOG_BURST) {
		slot->count++;
		return 1;
	}
	slot->suppressed++;
	return 0;
}

static void
log_reports(const struct log_report *rep, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		log_print(rep[i].level, rep[i].prefix,
		    "suppressed %u repeats of a message in the last minute",
		    rep[i].n);
}

/* Prints one provider line through the rate limit. */
static void
log_line(int level, const char *msg)
{
	struct log_report rep[LOG_SLOTS + 1];
	char		 prefix[PREFIX_MAX];
	size_t		 nrep = 0;
	int		 admit;

	log_prefix(prefix, sizeof(prefix));
	pthread_mutex_lock(&log_mu);
	admit = log_admit(level, prefix, msg, host_monotonic_ms(), rep,
	    &nrep);
	pthread_mutex_unlock(&log_mu);
	log_reports(rep, nrep);
	if (admit)
		log_print(level, prefix, "%s", msg);
}

/* Reports every pending suppressed count; at shutdown. */
static void
log_flush(void)
{
	struct log_report rep[LOG_SLOTS + 1];
	size_t		 i, nrep = 0;

	pthread_mutex_lock(&log_mu);
	for (i = 0; i < LOG_SLOTS; i++)
		if (log_slots[i].key != 0)
			slot_retire(&log_slots[i], rep, &nrep);
	pthread_mutex_unlock(&log_mu);
	log_reports(rep, nrep);
}

static int
clamp_level(int32_t level)
{
	if (level < XS_LOG_ERROR)
		return XS_LOG_ERROR;
	return level > XS_LOG_DEBUG ? XS_LOG_DEBUG : level;
}

static int32_t
host_log_enabled(int32_t level)
{
	return log_enabled(clamp_level(level));
}

static void
host_log(int32_t level, const char *fmt, ...)
{
	char	msg[LOG_MSG_MAX];
	va_list	ap;
	int	lv = clamp_level(level);

	if (!log_enabled(lv) || fmt == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	log_line(lv, msg);
}

static void *
host_alloc(size_t len)
{
	return malloc(len == 0 ? 1 : len);
}

static void *
host_calloc(size_t n, size_t len)
{
	return calloc(n == 0 ? 1 : n, len == 0 ? 1 : len);
}

static void *
host_realloc(void *p, size_t len)
{
	return realloc(p, len == 0 ? 1 : len);
}

static char *
host_strdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static const struct xs_value *
host_store_config(const struct xs_store *st)
{
	return st != NULL && st->store != NULL ? st->store->provider_cfg :
	    NULL;
}

static const char *
host_store_name(const struct xs_store *st)
{
	return st != NULL && st->store != NULL ? st->store->name : NULL;
}

static const char *
host_store_namespace(const struct xs_store *st)
{
	if (st == NULL || st->store == NULL)
		return NULL;
	return st->store->kind == STORE_CLUSTER ? "" : st->store->ns;
}

static int32_t
host_store_is_cluster(const struct xs_store *st)
{
	return st != NULL && st->store != NULL &&
	    st->store->kind == STORE_CLUSTER;
}

static int32_t
host_value_type(const struct xs_value *v)
{
	return v != NULL ? v->type : -1;
}

static const char *
host_value_string(const struct xs_value *v, size_t *len)
{
	if (len != NULL)
		*len = 0;
	if (v == NULL || (v->type != XS_VALUE_STRING &&
	    v->type != XS_VALUE_NUMBER && v->type != XS_VALUE_BOOL) ||
	    v->str == NULL)
		return NULL;
	if (len != NULL)
		*len = v->len;
	return v->str;
}

static size_t
host_value_count(const struct xs_value *v)
{
	if (v == NULL || (v->type != XS_VALUE_MAP && v->type != XS_VALUE_SEQ))
		return 0;
	return v->count;
}

static const struct xs_value *
host_value_at(const struct xs_value *v, size_t i, const char **key)
{
	if (key != NULL)
		*key = NULL;
	if (i >= host_value_count(v))
		return NULL;
	if (key != NULL && v->type == XS_VALUE_MAP)
		*key = v->keys[i];
	return v->items[i];
}

static const char *
host_value_where(const struct xs_value *v, char *buf, size_t len)
{
	if (v == NULL || buf == NULL || len == 0)
		return NULL;
	return value_where(v, buf, len);
}

static int32_t
host_json_parse(const char *text, size_t len, struct xs_value **out,
    struct xs_diag *d)
{
	char	err[DIAG_MSG_MAX - 32] = "";

	if (out == NULL || (text == NULL && len > 0)) {
		diag_error(d, "JSON parse without text or result");
		return XS_ERR_INTERNAL;
	}
	*out = NULL;
	if (json_parse(text != NULL ? text : "", len, out, err,
	    sizeof(err)) != 0) {
		diag_error(d, "malformed JSON: %s", err);
		return XS_ERR_PROTOCOL;
	}
	return XS_OK;
}

static void
host_json_free(struct xs_value *v)
{
	value_free(v);
}

/* json_print, always in secure memory as the ABI promises. */
static char *
host_json_print(const struct xs_value *v, size_t *len)
{
	char	*s, *copy;
	size_t	 n = 0;

	if (v == NULL || (s = json_print(v, &n)) == NULL)
		return NULL;
	if (v->secure) {
		if (len != NULL)
			*len = n;
		return s;
	}
	copy = xs_secure_strndup(s, n);
	free(s);
	if (copy != NULL && len != NULL)
		*len = n;
	return copy;
}

/* "SecretStore ns/name" or "ClusterSecretStore name", for messages. */
static const char *
store_label(const struct store *s, char *buf, size_t len)
{
	if (s->kind == STORE_CLUSTER)
		snprintf(buf, len, "ClusterSecretStore %.253s", s->name);
	else
		snprintf(buf, len, "SecretStore %.63s/%.253s", s->ns, s->name);
	return buf;
}

/* The namespace ref may read from st's store in, or NULL with a message. */
static const char *
credential_ns(const struct store *s, const struct xs_secret_ref *ref,
    struct xs_diag *d)
{
	const char	*ns = ref->ns != NULL && ref->ns[0] != '\0' ?
			    ref->ns : NULL;
	char		 label[340];

	if (s->kind == STORE_CLUSTER) {
		if (ns == NULL)
			diag_error(d, "%s: the reference to Secret %.253s "
			    "must set a namespace", store_label(s, label,
			    sizeof(label)), ref->name);
		return ns;
	}
	if (ns != NULL && strcmp(ns, s->ns) != 0) {
		diag_error(d, "%s: the reference to Secret %.63s/%.253s is "
		    "refused: a SecretStore reads Secrets of its own "
		    "namespace only", store_label(s, label, sizeof(label)),
		    ns, ref->name);
		return NULL;
	}
	return s->ns;
}

static int32_t
host_credential_get(const struct xs_store *st,
    const struct xs_secret_ref *ref, uint8_t **out, size_t *len,
    struct xs_diag *d)
{
	const struct k8s_secret	*sec = NULL;
	const char		*ns;
	size_t			 i;

	if (out != NULL)
		*out = NULL;
	if (len != NULL)
		*len = 0;
	if (st == NULL || st->store == NULL || ref == NULL || out == NULL ||
	    len == NULL || ref->name == NULL || ref->name[0] == '\0' ||
	    ref->key == NULL || ref->key[0] == '\0') {
		diag_error(d, "a credential reference needs a Secret name "
		    "and key");
		return XS_ERR_INVALID;
	}
	if ((ns = credential_ns(st->store, ref, d)) == NULL)
		return XS_ERR_INVALID;
	if (st->set != NULL)
		sec = manifest_secret(st->set, ns, ref->name);
	if (sec == NULL) {
		diag_error(d, "Secret %.63s/%.253s not found", ns, ref->name);
		return XS_ERR_NOT_FOUND;
	}
	for (i = 0; i < sec->ndata; i++) {
		if (strcmp(sec->data[i].key, ref->key) != 0)
			continue;
		*out = (uint8_t *)xs_secure_strndup(sec->data[i].value,
		    sec->data[i].len);
		if (*out == NULL) {
			diag_error(d, "out of memory reading Secret %.63s/"
			    "%.253s", ns, ref->name);
			return XS_ERR_NOMEM;
		}
		*len = sec->data[i].len;
		return XS_OK;
	}
	diag_error(d, "Secret %.63s/%.253s has no key \"%.253s\"", ns,
	    ref->name, ref->key);
	return XS_ERR_NOT_FOUND;
}

/* Prepares r to receive results. */
void
result_init(struct xs_result *r)
{
	memset(r, 0, sizeof(*r));
}

/* Zeroes and frees every item of r. */
void
result_clear(struct xs_result *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nitems; i++) {
		xs_secure_free(r->items[i].key);
		xs_secure_free(r->items[i].data);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

/* Stores a copy of data as item it (new or replaced), within the caps. */
static int32_t
result_store(struct xs_result *r, struct result_item *it, const char *key,
    const uint8_t *data, size_t len)
{
	size_t	 klen = key != NULL ? strlen(key) : 0, held;
	uint8_t	*copy;

	held = r->total - (it->data != NULL ? it->len + klen : 0);
	if (len > RESULT_MAX_BYTES || klen > RESULT_MAX_BYTES - len ||
	    held > RESULT_MAX_BYTES - len - klen) {
		log_line(XS_LOG_WARN, "result larger than the host's limit "
		    "of 4 MiB");
		return XS_ERR_PROTOCOL;
	}
	if ((copy = xs_secure_alloc(len + 1)) == NULL)
		return XS_ERR_NOMEM;
	if (len > 0)
		memcpy(copy, data, len);
	if (key != NULL && it->key == NULL &&
	    (it->key = xs_secure_strndup(key, klen)) == NULL) {
		xs_secure_free(copy);
		return XS_ERR_NOMEM;
	}
	xs_secure_free(it->data);
	it->data = copy;
	it->len = len;
	r->total = held + len + klen;
	return XS_OK;
}

/*
 * A new empty item at the end of r, or NULL.  The array starts with room
 * for one item, what get_secret returns: shared results are held until
 * every fetch that wants them is done, so at tens of thousands of
 * ExternalSecrets spare slots add up to megabytes.
 */
static struct result_item *
result_add(struct xs_result *r)
{
	struct result_item	*n;
	size_t			 ncap;

	if (r->nitems >= RESULT_MAX_ITEMS)
		return NULL;
	if (r->nitems == r->cap) {
		ncap = r->cap == 0 ? 1 : r->cap * 2;
		if ((n = reallocarray(r->items, ncap, sizeof(*n))) == NULL)
			return NULL;
		r->items = n;
		r->cap = ncap;
	}
	memset(&r->items[r->nitems], 0, sizeof(r->items[0]));
	return &r->items[r->nitems];
}

static int32_t
host_result_set(struct xs_result *r, const uint8_t *data, size_t len)
{
	struct result_item	*it = NULL;
	size_t			 i;
	int32_t			 rc;

	if (r == NULL || (data == NULL && len > 0))
		return XS_ERR_INTERNAL;
	for (i = 0; i < r->nitems && it == NULL; i++)
		if (r->items[i].key == NULL)
			it = &r->items[i];
	if (it == NULL && (it = result_add(r)) == NULL)
		return r->nitems >= RESULT_MAX_ITEMS ? XS_ERR_PROTOCOL :
		    XS_ERR_NOMEM;
	if ((rc = result_store(r, it, NULL, data, len)) != XS_OK)
		return rc;
	if (it == &r->items[r->nitems])
		r->nitems++;
	r->has_value = 1;
	return XS_OK;
}

static int32_t
host_result_put(struct xs_result *r, const char *key, const uint8_t *data,
    size_t len)
{
	struct result_item	*it = NULL;
	size_t			 i;
	int32_t			 rc;

	if (r == NULL || key == NULL || (data == NULL && len > 0))
		return XS_ERR_INTERNAL;
	for (i = 0; i < r->nitems && it == NULL; i++)
		if (r->items[i].key != NULL &&
		    strcmp(r->items[i].key, key) == 0)
			it = &r->items[i];
	if (it == NULL && (it = result_add(r)) == NULL) {
		if (r->nitems < RESULT_MAX_ITEMS)
			return XS_ERR_NOMEM;
		log_line(XS_LOG_WARN, "result has more keys than the host's "
		    "limit of 10000");
		return XS_ERR_PROTOCOL;
	}
	if ((rc = result_store(r, it, key, data, len)) != XS_OK)
		return rc;
	if (it == &r->items[r->nitems])
		r->nitems++;
	return XS_OK;
}

static const char *
host_getenv(const char *name)
{
	return name != NULL ? getenv(name) : NULL;
}

static const struct xs_host host_table = {
	.abi_major = XS_ABI_MAJOR,
	.abi_minor = XS_ABI_MINOR,
	.size = sizeof(struct xs_host),
	.log_enabled = host_log_enabled,
	.log = host_log,
	.alloc = host_alloc,
	.calloc = host_calloc,
	.realloc = host_realloc,
	.free = free,
	.strdup = host_strdup,
	.secure_alloc = xs_secure_alloc,
	.secure_free = xs_secure_free,
	.cleanse = xs_cleanse,
	.store_config = host_store_config,
	.store_name = host_store_name,
	.store_namespace = host_store_namespace,
	.store_is_cluster = host_store_is_cluster,
	.value_type = host_value_type,
	.value_get = value_get,
	.value_string = host_value_string,
	.value_count = host_value_count,
	.value_at = host_value_at,
	.value_where = host_value_where,
	.value_path = value_path,
	.json_parse = host_json_parse,
	.json_free = host_json_free,
	.json_print = host_json_print,
	.credential_get = host_credential_get,
	.error = diag_error,
	.warn = host_warn,
	.result_set = host_result_set,
	.result_put = host_result_put,
	.http_request = http_request,
	.http_status = http_status,
	.http_body = http_body,
	.http_header = http_header,
	.http_free = http_free,
	.sha256 = crypto_sha256,
	.hmac_sha256 = crypto_hmac_sha256,
	.hmac_sha1 = crypto_hmac_sha1,
	.random = crypto_random,
	.base64_encode = crypto_base64_encode,
	.base64_decode = crypto_base64_decode,
	.now_ms = host_now_ms,
	.monotonic_ms = host_monotonic_ms,
	.getenv = host_getenv,
};

/* Copies the daemon's settings; bad allow-list patterns are dropped. */
static void
config_copy(const struct host_config *cfg)
{
	size_t	i;

	memset(&host_cfg, 0, sizeof(host_cfg));
	host_cfg.http_timeout_ms = 10000;
	host_cfg.http_max_response = 1024 * 1024;
	if (cfg == NULL)
		return;
	if (cfg->ca_file != NULL)
		host_cfg.ca_file = xstrdup(cfg->ca_file);
	if (cfg->http_timeout_ms != 0)
		host_cfg.http_timeout_ms = cfg->http_timeout_ms;
	if (cfg->http_max_response != 0)
		host_cfg.http_max_response = cfg->http_max_response;
	host_cfg.allow = xcalloc(cfg->nallow, sizeof(char *));
	for (i = 0; i < cfg->nallow; i++) {
		if (!http_pattern_valid(cfg->allow[i])) {
			log_warnx("endpoint pattern \"%.200s\" ignored: not "
			    "[http://|https://]host[:port|:*]",
			    cfg->allow[i]);
			continue;
		}
		host_cfg.allow[host_cfg.nallow++] = xstrdup(cfg->allow[i]);
	}
}

/* Builds the host table once; start-up only. */
const struct xs_host *
host_init(const struct host_config *cfg)
{
	if (host_ready)
		return &host_table;
	/* libcurl's receive buffers hold responses: zeroed when freed. */
	if (curl_global_init_mem(CURL_GLOBAL_ALL, malloc, xs_zfree,
	    xs_zrealloc, strdup, calloc) != CURLE_OK)
		fatalx("host: libcurl initialisation failed");
	config_copy(cfg);
	http_init(&host_cfg);
	host_ready = 1;
	return &host_table;
}

/* Undoes host_init at exit, after every provider call has returned. */
void
host_shutdown(void)
{
	size_t	i;

	if (!host_ready)
		return;
	log_flush();
	http_shutdown();
	curl_global_cleanup();
	for (i = 0; i < host_cfg.nallow; i++)
		free(host_cfg.allow[i]);
	free(host_cfg.allow);
	free((char *)host_cfg.ca_file);
	memset(&host_cfg, 0, sizeof(host_cfg));
	host_ready = 0;
}
