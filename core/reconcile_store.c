/*
 * Store generations, their clients and the provider calls made through
 * them.
 *
 * A generation is validated once, when reconcile_apply creates it.  Its
 * client is built lazily by the first worker that needs it; workers that
 * arrive while it is being built wait for that one attempt instead of
 * starting their own (single flight), and a failed attempt is remembered
 * for a while (AUTH_RETRY_BASE_MS, doubling up to AUTH_RETRY_MAX_MS) so
 * that a wrong credential costs one auth call per retry period, not one per
 * ExternalSecret.  A client counts the calls in progress on it; when the
 * provider says XS_ERR_AUTH the client is detached from its generation,
 * closed when its last call returns, and one new client is built.
 *
 * Every provider call first takes a token from the generation's bucket and
 * sleeps for the time the bucket asks, so a store never exceeds its rate
 * whatever the number of workers.
 *
 * Identical fetches (same generation, call, key, version, property, or the
 * same find) share one provider call: the first caller makes it and keeps
 * the result in a table; later callers wait for it and read the same
 * result.  Results stay in the table while the current burst of work lasts
 * (until the workers go idle, see reconcile.c), and serve a fetch for at
 * most DEDUP_TTL_MS or the fetching object's refresh interval, whichever
 * is shorter.
 *
 * A result leaves the table sooner once it has served as many fetches as
 * the manifests make of it and nobody holds it: no job of the burst can
 * want it any more.  The fetch plan (reconcile_fetch_plan) counts those
 * fetches when manifests are applied, by a hash of the store's kind,
 * namespace and name and of the call's arguments; a fetch the plan does
 * not know keeps its result until the burst ends, as does one whose
 * objects do not all run in the burst.  In a cold sync of distinct keys
 * every result is freed by its only reader, instead of all of them being
 * held to the end.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "reconcile_int.h"

#define FETCH_BUCKETS	1024
#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static const char *const call_names[CALL_N] = {
	"ValidateStore", "Auth", "GetSecret", "GetSecretMap", "FindSecrets"
};

static int
controller_matches(const char *mine, const char *theirs)
{
	if (theirs == NULL || *theirs == '\0')
		return 1;
	if (mine == NULL || *mine == '\0')
		mine = "default";
	return strcmp(mine, theirs) == 0;
}

/* Copies src into dst of len bytes, cutting it short when needed. */
static void
str_copy(char *dst, size_t len, const char *src)
{
	size_t	 n;

	if (len == 0)
		return;
	n = strlen(src);
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *
store_kind_name(const struct store *st)
{
	return st->kind == STORE_CLUSTER ? "clustersecretstore" :
	    "secretstore";
}

static void
store_validate(struct reconciler *r, struct rc_store *g)
{
	const struct xs_provider	*desc = g->prov->desc;
	struct xs_diag			 d;
	int32_t				 rc;
	int				 i;

	diag_init(&d);
	host_enter(desc);
	rc = desc->validate_store(r->cfg.host, &g->handle, &d);
	host_enter(NULL);
	reconcile_count_call(r, desc, CALL_VALIDATE, rc == XS_OK);
	for (i = 0; i < d.nwarnings && i < DIAG_MAX_WARN; i++)
		log_warnx("%s %s%s%s: %s", store_kind_name(g->st), g->st->ns,
		    *g->st->ns ? "/" : "", g->st->name, d.warnings[i]);
	g->valid = rc == XS_OK;
	if (g->valid) {
		reconcile_status_set(&g->status, 1, REASON_VALID,
		    "store validated");
		return;
	}
	log_warnx("%s %s%s%s: invalid configuration: %s",
	    store_kind_name(g->st), g->st->ns, *g->st->ns ? "/" : "",
	    g->st->name, d.error[0] ? d.error : "no reason given");
	reconcile_status_set(&g->status, 0, REASON_INVALID_CONFIG,
	    "unable to validate store");
}

/*
 * Creates the generation for store st of set (taking a reference on set),
 * validates it and sets up its token bucket.  Called from the main thread,
 * without r->lock.  NULL when out of memory.
 */
struct rc_store *
reconcile_store_new(struct reconciler *r, struct rc_set *set,
    const struct store *st)
{
	struct rc_store	*g;
	const struct provider *p;
	double		 rate;
	int		 burst;
	char		 msg[STATUS_MSG_MAX];

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	g->serial = ++r->serial;
	g->refs = 1;
	g->set = set;
	__atomic_add_fetch(&set->refs, 1, __ATOMIC_SEQ_CST);
	g->st = st;
	p = loader_find(r->cfg.providers, st->provider);
	g->prov = p;
	g->handle.store = st;
	g->handle.set = set->set;
	g->handle.desc = p != NULL ? p->desc : NULL;
	g->skipped = !controller_matches(r->cfg.controller, st->controller);

	rate = 0;
	if (p == NULL) {
		snprintf(msg, sizeof(msg), "provider \"%s\" is not loaded",
		    st->provider);
		reconcile_status_set(&g->status, 0, REASON_UNKNOWN, msg);
	} else {
		if (!g->skipped)
			store_validate(r, g);
		rate = st->rate_qps > 0 ? st->rate_qps :
		    (double)p->desc->default_rate;
	}
	burst = st->rate_burst;
	if (burst <= 0)
		burst = rate >= 20 ? (int)(rate / 10) : 1;
	ratelimit_init(&g->rl, rate, burst);
	return g;
}

static void
client_close(const struct rc_store *g, struct rc_client *c)
{
	host_enter(g->prov->desc);
	g->prov->desc->close(c->handle);
	host_enter(NULL);
	free(c);
}

/*
 * Drops one reference on g; the last one closes its client and frees it.
 * Takes r->lock itself: call without it.
 */
void
reconcile_store_unref(struct reconciler *r, struct rc_store *g)
{
	int	 last;

	if (g == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	last = --g->refs == 0;
	pthread_mutex_unlock(&r->lock);
	if (!last)
		return;
	if (g->client != NULL)
		client_close(g, g->client);
	ratelimit_destroy(&g->rl);
	free(g->status.message);
	reconcile_set_unref(g->set);
	free(g);
}

/*
 * The live generation of a store by kind, namespace ("" for a cluster
 * store) and name, or NULL.  Called with r->lock held.
 */
struct rc_store *
reconcile_store_find(struct reconciler *r, int kind, const char *ns,
    const char *name)
{
	struct rc_store	*g;

	for (g = r->stores; g != NULL; g = g->next) {
		if (g->st->kind != kind || strcmp(g->st->name, name) != 0)
			continue;
		if (kind == STORE_CLUSTER || strcmp(g->st->ns, ns) == 0)
			return g;
	}
	return NULL;
}

static void
auth_failed(struct reconciler *r, struct rc_store *g, int32_t rc,
    const struct xs_diag *d)
{
	int64_t	 delay;
	int	 shift;

	g->client_state = CLIENT_FAILED;
	g->auth_rc = rc == XS_OK ? XS_ERR_INTERNAL : rc;
	g->auth_failures++;
	shift = g->auth_failures - 1 > 10 ? 10 : g->auth_failures - 1;
	delay = (int64_t)AUTH_RETRY_BASE_MS << shift;
	if (delay > AUTH_RETRY_MAX_MS)
		delay = AUTH_RETRY_MAX_MS;
	g->auth_retry_ms = reconcile_mono_ms() + delay;
	snprintf(g->auth_error, sizeof(g->auth_error), "unable to create "
	    "client: %s", d->error[0] ? d->error : "no reason given");
	reconcile_status_set(&g->status, 0, REASON_INVALID_CONFIG,
	    "unable to create client");
	r->status_dirty = 1;
	log_warnx("%s %s%s%s: %s", store_kind_name(g->st), g->st->ns,
	    *g->st->ns ? "/" : "", g->st->name, g->auth_error);
}

/*
 * Gets g's client for one call, building it if there is none; on XS_OK *cp
 * is held until client_put.  Otherwise the auth error, with its message in
 * err.
 */
static int32_t
client_get(struct reconciler *r, struct rc_store *g, struct rc_client **cp,
    char *err, size_t errlen)
{
	const struct xs_provider	*desc = g->prov->desc;
	struct rc_client		*c;
	struct xs_diag			 d;
	void				*handle = NULL;
	int32_t				 rc;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		if (g->client_state == CLIENT_READY) {
			g->client->users++;
			*cp = g->client;
			pthread_mutex_unlock(&r->lock);
			return XS_OK;
		}
		if (g->client_state == CLIENT_FAILED &&
		    reconcile_mono_ms() < g->auth_retry_ms) {
			str_copy(err, errlen, g->auth_error);
			rc = g->auth_rc;
			pthread_mutex_unlock(&r->lock);
			return rc;
		}
		if (g->client_state != CLIENT_BUILDING)
			break;
		pthread_cond_wait(&r->done_cond, &r->lock);
	}
	g->client_state = CLIENT_BUILDING;
	pthread_mutex_unlock(&r->lock);

	diag_init(&d);
	host_enter(desc);
	rc = desc->auth(r->cfg.host, &g->handle, &handle, &d);
	host_enter(NULL);
	__atomic_add_fetch(&r->auth_calls, 1, __ATOMIC_RELAXED);
	reconcile_count_call(r, desc, CALL_AUTH, rc == XS_OK);
	c = NULL;
	if (rc == XS_OK && (c = calloc(1, sizeof(*c))) == NULL) {
		host_enter(desc);
		desc->close(handle);
		host_enter(NULL);
		rc = XS_ERR_NOMEM;
		snprintf(d.error, sizeof(d.error), "out of memory");
	}

	pthread_mutex_lock(&r->lock);
	if (rc == XS_OK) {
		c->handle = handle;
		c->users = 1;
		g->client = c;
		g->client_state = CLIENT_READY;
		g->auth_failures = 0;
		if (g->status.ready != 1)
			r->status_dirty = 1;
		reconcile_status_set(&g->status, 1, REASON_VALID,
		    "store validated");
		*cp = c;
	} else {
		auth_failed(r, g, rc, &d);
		str_copy(err, errlen, g->auth_error);
		rc = g->auth_rc;
	}
	pthread_cond_broadcast(&r->done_cond);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

static void
client_put(struct reconciler *r, struct rc_store *g, struct rc_client *c)
{
	int	 close_it;

	pthread_mutex_lock(&r->lock);
	c->users--;
	close_it = c->detached && c->users == 0;
	pthread_mutex_unlock(&r->lock);
	if (close_it)
		client_close(g, c);
}

/* The provider refused c's credentials: the next call builds a new one. */
static void
client_invalidate(struct reconciler *r, struct rc_store *g,
    struct rc_client *c)
{
	pthread_mutex_lock(&r->lock);
	if (g->client == c) {
		g->client = NULL;
		g->client_state = CLIENT_NONE;
		c->detached = 1;
	}
	pthread_mutex_unlock(&r->lock);
}

/* Waits ms, or less when the reconciler stops: 0, or -1 when stopping. */
static int
pause_ms(struct reconciler *r, int64_t ms)
{
	int64_t	 deadline;
	int	 stopping;

	deadline = reconcile_mono_ms() + ms;
	pthread_mutex_lock(&r->lock);
	while (!r->stopping && reconcile_mono_ms() < deadline)
		reconcile_wait_until(&r->done_cond, &r->lock, deadline);
	stopping = r->stopping;
	pthread_mutex_unlock(&r->lock);
	return stopping ? -1 : 0;
}

/*
 * Sleeps as long as the bucket asks, then until the start is within the
 * rate too (a worker that woke late waits again); -1 when the reconciler
 * stops.
 */
static int
rate_wait(struct reconciler *r, struct rc_store *g)
{
	int64_t	 wait;

	wait = ratelimit_reserve(&g->rl, reconcile_mono_ms());
	if (wait > 0) {
		__atomic_add_fetch(&r->rl_waits, 1, __ATOMIC_RELAXED);
		if (pause_ms(r, wait) == -1)
			return -1;
	}
	while ((wait = ratelimit_start(&g->rl, reconcile_mono_ms())) > 0)
		if (pause_ms(r, wait) == -1)
			return -1;
	return 0;
}

/*
 * The rate limit of one provider call's HTTP requests (host_gate): the
 * first uses the token the call took; each one after it takes its own.
 */
struct call_gate {
	struct reconciler	*r;
	struct rc_store		*g;
	int			 paid;	/* the call's token, unused */
};

static int
gate_request(void *arg)
{
	struct call_gate	*cg = arg;

	if (cg->paid) {
		cg->paid = 0;
		return 0;
	}
	return rate_wait(cg->r, cg->g);
}

/*
 * How many more times a call that failed with rc may be made, after
 * `retried` retries, under the store's spec.retrySettings: transient
 * failures only (the provider unreachable, or throttling), at most
 * RETRY_MAX times whatever maxRetries says.
 */
static int
may_retry(const struct rc_store *g, int32_t rc, int retried)
{
	int	 max = g->st->max_retries;

	if (rc != XS_ERR_UNAVAILABLE && rc != XS_ERR_THROTTLED)
		return 0;
	if (max > RETRY_MAX)
		max = RETRY_MAX;
	return retried < max;
}

static int32_t
call_provider(struct reconciler *r, struct rc_store *g, void *client,
    int call, const struct xs_remote_ref *ref, const struct xs_find *find,
    struct xs_result *res, struct xs_diag *d)
{
	const struct xs_provider	*desc = g->prov->desc;
	int32_t				 rc;

	host_enter(desc);
	switch (call) {
	case CALL_GET:
		rc = desc->get_secret(client, ref, res, d);
		break;
	case CALL_GET_MAP:
		rc = desc->get_secret_map(client, ref, res, d);
		break;
	default:
		rc = desc->find_secrets(client, find, res, d);
		break;
	}
	host_enter(NULL);
	reconcile_count_call(r, desc, call, rc == XS_OK);
	return rc;
}

/*
 * One provider call with rate limiting, one re-auth on XS_ERR_AUTH, and
 * the retries spec.retrySettings asks for, each retryInterval apart
 * (RETRY_INTERVAL_MS when it names none) and each taking its token from
 * the rate limit.
 */
static int32_t
perform(struct reconciler *r, struct rc_store *g, int call,
    const struct xs_remote_ref *ref, const struct xs_find *find,
    struct xs_result *res, char *err, size_t errlen)
{
	const struct xs_provider	*desc = g->prov->desc;
	struct rc_client		*c = NULL;
	struct call_gate		 cg;
	struct xs_diag			 d;
	int64_t				 interval;
	int32_t				 rc;
	int				 attempt, retried = 0;

	if ((call == CALL_GET_MAP && desc->get_secret_map == NULL) ||
	    (call == CALL_FIND && desc->find_secrets == NULL)) {
		snprintf(err, errlen, "provider \"%s\" does not support %s",
		    desc->name, call == CALL_FIND ? "dataFrom.find" :
		    "dataFrom.extract");
		return XS_ERR_UNSUPPORTED;
	}
	cg.r = r;
	cg.g = g;
	for (attempt = 0;; attempt++) {
		/* Requests made to build the client pay for themselves. */
		cg.paid = 0;
		host_gate(gate_request, &cg);
		rc = client_get(r, g, &c, err, errlen);
		host_gate(NULL, NULL);
		if (rc != XS_OK)
			return rc;
		if (rate_wait(r, g) == -1) {
			client_put(r, g, c);
			snprintf(err, errlen, "stopping");
			return XS_ERR_UNAVAILABLE;
		}
		diag_init(&d);
		result_clear(res);
		result_init(res);
		cg.paid = 1;
		host_gate(gate_request, &cg);
		rc = call_provider(r, g, c->handle, call, ref, find, res, &d);
		host_gate(NULL, NULL);
		if (rc == XS_ERR_AUTH && attempt == 0) {
			client_invalidate(r, g, c);
			client_put(r, g, c);
			continue;
		}
		client_put(r, g, c);
		if (!may_retry(g, rc, retried))
			break;
		retried++;
		interval = g->st->retry_interval_ms > 0 ?
		    g->st->retry_interval_ms : RETRY_INTERVAL_MS;
		if (pause_ms(r, interval) == -1)
			break;
	}
	if (rc != XS_OK)
		snprintf(err, errlen, "%s", d.error[0] ? d.error :
		    "the provider gave no reason");
	return rc;
}

/* Appends a field with its length, so that no two keys alias. */
static void
key_field(FILE *fp, const char *s)
{
	if (s == NULL)
		fputs("-\x1f", fp);
	else
		fprintf(fp, "%zu:%s\x1f", strlen(s), s);
}

static char *
fetch_key(const struct rc_store *g, int call,
    const struct xs_remote_ref *ref, const struct xs_find *find)
{
	char	*key;
	size_t	 i, len;
	FILE	*fp;

	if ((fp = open_memstream(&key, &len)) == NULL)
		return NULL;
	fprintf(fp, "%" PRIu64 "\x1f%d\x1f", g->serial, call);
	if (ref != NULL) {
		key_field(fp, ref->key);
		key_field(fp, ref->version);
		key_field(fp, ref->property);
		fprintf(fp, "%d", ref->metadata);
	}
	if (find != NULL) {
		key_field(fp, find->name_regexp);
		key_field(fp, find->path);
		for (i = 0; i < find->ntags; i++) {
			key_field(fp, find->tags[i].key);
			key_field(fp, find->tags[i].value);
		}
	}
	if (fclose(fp) != 0) {
		free(key);
		return NULL;
	}
	return key;
}

static uint64_t
hash_str(const char *s)
{
	uint64_t	 h = FNV_OFFSET;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t
mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*c = p;

	while (n-- > 0) {
		h ^= *c++;
		h *= FNV_PRIME;
	}
	return h;
}

/* Mixes a string with its length, so that no two lists of them alias. */
static uint64_t
mix_str(uint64_t h, const char *s)
{
	size_t	 len = s != NULL ? strlen(s) : SIZE_MAX;

	h = mix(h, &len, sizeof(len));
	return s != NULL ? mix(h, s, len) : h;
}

/*
 * The start of a fetch's hash in the plan: its store by kind, namespace
 * and name (a generation's serial is not known when the plan is made), and
 * the call.
 */
static uint64_t
want_start(int kind, const char *ns, const char *name, int call)
{
	uint64_t	 h = FNV_OFFSET;

	h = mix(h, &kind, sizeof(kind));
	h = mix_str(h, kind == STORE_CLUSTER ? "" : ns);
	h = mix_str(h, name);
	return mix(h, &call, sizeof(call));
}

static uint64_t
want_ref(uint64_t h, const char *key, const char *version,
    const char *property, int metadata)
{
	h = mix_str(h, key);
	h = mix_str(h, version);
	h = mix_str(h, property);
	return mix(h, &metadata, sizeof(metadata));
}

/* 0 marks a free slot in the plan. */
static uint64_t
want_end(uint64_t h)
{
	return h != 0 ? h : 1;
}

/* The hash of a fetch as reconcile_fetch sees it. */
static uint64_t
want_hash(const struct rc_store *g, int call, const struct xs_remote_ref *ref,
    const struct xs_find *find)
{
	uint64_t	 h;
	size_t		 i;

	h = want_start(g->st->kind, g->st->ns, g->st->name, call);
	if (ref != NULL)
		h = want_ref(h, ref->key, ref->version, ref->property,
		    ref->metadata);
	if (find != NULL) {
		h = mix_str(h, find->name_regexp);
		h = mix_str(h, find->path);
		h = mix(h, &find->ntags, sizeof(find->ntags));
		for (i = 0; i < find->ntags; i++) {
			h = mix_str(h, find->tags[i].key);
			h = mix_str(h, find->tags[i].value);
		}
	}
	return want_end(h);
}

/* The slot of h in v (n slots, a power of two): its own or a free one. */
static struct rc_want *
want_slot(struct rc_want *v, size_t n, uint64_t h)
{
	size_t	 i = h & (n - 1);

	while (v[i].hash != 0 && v[i].hash != h)
		i = (i + 1) & (n - 1);
	return &v[i];
}

static void
want_add(struct rc_want *v, size_t n, uint64_t h)
{
	struct rc_want	*w = want_slot(v, n, h);

	w->hash = h;
	w->count++;
}

/* How many fetches the plan counts for h; 0: not known.  fetch_lock. */
static unsigned
want_of(const struct reconciler *r, uint64_t h)
{
	return r->nwants > 0 ? want_slot(r->wants, r->nwants, h)->count : 0;
}

/*
 * Adds the fetches of es to the plan, made as reconcile_sync makes them:
 * each dataFrom entry (extract or find), then each data entry.
 */
static void
plan_es(struct rc_want *v, size_t n, const struct externalsecret *es)
{
	const struct es_data_from	*df;
	const struct remote_ref		*ref;
	uint64_t			 h;
	size_t				 i, k;

	for (i = 0; i < es->ndata_from; i++) {
		df = &es->data_from[i];
		if (df->type == DATAFROM_EXTRACT) {
			h = want_start(es->store_kind, es->ns, es->store_name,
			    CALL_GET_MAP);
			h = want_ref(h, df->ref.key, df->ref.version,
			    df->ref.property, df->ref.metadata);
		} else {
			h = want_start(es->store_kind, es->ns, es->store_name,
			    CALL_FIND);
			h = mix_str(h, df->find_name);
			h = mix_str(h, df->find_path);
			h = mix(h, &df->nfind_tags, sizeof(df->nfind_tags));
			for (k = 0; k < df->nfind_tags; k++) {
				h = mix_str(h, df->find_tags[k].key);
				h = mix_str(h, df->find_tags[k].value);
			}
		}
		want_add(v, n, want_end(h));
	}
	for (i = 0; i < es->ndata; i++) {
		ref = &es->data[i].ref;
		h = want_start(es->store_kind, es->ns, es->store_name,
		    CALL_GET);
		h = want_ref(h, ref->key, ref->version, ref->property,
		    ref->metadata);
		want_add(v, n, want_end(h));
	}
}

/*
 * Makes the fetch plan of set: how many times its ExternalSecrets make
 * each fetch in a round.  Called by reconcile_apply, before the set's
 * objects are scheduled.  Out of memory, there is no plan, and results
 * are kept until their burst ends.
 */
void
reconcile_fetch_plan(struct reconciler *r, const struct manifest_set *set)
{
	struct rc_want	*v, *old;
	size_t		 i, n = 16, refs = 0;

	for (i = 0; i < set->ness; i++)
		refs += set->ess[i].ndata + set->ess[i].ndata_from;
	while (n < refs + refs / 2)	/* at most two thirds full */
		n *= 2;
	if ((v = calloc(n, sizeof(*v))) != NULL)
		for (i = 0; i < set->ness; i++)
			plan_es(v, n, &set->ess[i]);
	else
		n = 0;
	pthread_mutex_lock(&r->fetch_lock);
	old = r->wants;
	r->wants = v;
	r->nwants = n;
	pthread_mutex_unlock(&r->fetch_lock);
	free(old);
}

static void
fetch_free(struct rc_fetch *f)
{
	result_clear(&f->res);
	free(f->error);
	free(f->key);
	free(f);
}

/* Takes f out of the table; called with fetch_lock held. */
static void
fetch_uncache(struct reconciler *r, struct rc_fetch *f)
{
	struct rc_fetch	**pp;

	pp = &r->fetches[f->hash & (r->nfetch_buckets - 1)];
	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	f->cached = 0;
	r->nfetches--;
}

/*
 * Makes one provider call through g, or shares the result of an identical
 * one made during the current burst and at most max_age_ms ago (the
 * caller's refresh interval: an object refreshed every 10 s never gets a
 * result older than that; 0, or more than DEDUP_TTL_MS, means
 * DEDUP_TTL_MS).  ref is for CALL_GET and CALL_GET_MAP, find for
 * CALL_FIND.  Returns the provider's status; *out
 * is the shared result (release it with reconcile_fetch_release) or NULL
 * when out of memory; on an error its message (never a secret) is in err.
 * Called by workers without any lock.
 */
int32_t
reconcile_fetch(struct reconciler *r, struct rc_store *g, int call,
    const struct xs_remote_ref *ref, const struct xs_find *find,
    int64_t max_age_ms, struct rc_fetch **out, char *err, size_t errlen)
{
	struct rc_fetch	*f;
	char		*key, msg[DIAG_MSG_MAX];
	uint64_t	 h, wh;
	int64_t		 now;

	*out = NULL;
	if ((key = fetch_key(g, call, ref, find)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return XS_ERR_NOMEM;
	}
	h = hash_str(key);
	wh = want_hash(g, call, ref, find);
	now = reconcile_mono_ms();
	pthread_mutex_lock(&r->fetch_lock);
	for (f = r->fetches[h & (r->nfetch_buckets - 1)]; f != NULL;
	    f = f->next)
		if (f->hash == h && strcmp(f->key, key) == 0)
			break;
	if (max_age_ms <= 0 || max_age_ms > DEDUP_TTL_MS)
		max_age_ms = DEDUP_TTL_MS;
	if (f != NULL && f->done && now - f->born_ms > max_age_ms) {
		fetch_uncache(r, f);
		if (f->refs == 0)
			fetch_free(f);
		f = NULL;
	}
	if (f != NULL) {
		f->refs++;
		f->taken++;
		__atomic_add_fetch(&r->dedup_hits, 1, __ATOMIC_RELAXED);
		while (!f->done)
			pthread_cond_wait(&r->fetch_cond, &r->fetch_lock);
		pthread_mutex_unlock(&r->fetch_lock);
		free(key);
		goto done;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		pthread_mutex_unlock(&r->fetch_lock);
		free(key);
		snprintf(err, errlen, "out of memory");
		return XS_ERR_NOMEM;
	}
	f->key = key;
	f->hash = h;
	f->refs = 1;
	f->cached = 1;
	f->want = want_of(r, wh);
	f->taken = 1;
	result_init(&f->res);
	f->next = r->fetches[h & (r->nfetch_buckets - 1)];
	r->fetches[h & (r->nfetch_buckets - 1)] = f;
	r->nfetches++;
	pthread_mutex_unlock(&r->fetch_lock);

	f->rc = perform(r, g, call, ref, find, &f->res, msg, sizeof(msg));
	if (f->rc != XS_OK && (f->error = strdup(msg)) == NULL)
		f->rc = XS_ERR_NOMEM;

	pthread_mutex_lock(&r->fetch_lock);
	f->done = 1;
	f->born_ms = reconcile_mono_ms();
	pthread_cond_broadcast(&r->fetch_cond);
	pthread_mutex_unlock(&r->fetch_lock);
done:
	*out = f;
	if (f->rc != XS_OK)
		str_copy(err, errlen, f->error ? f->error : "out of memory");
	return f->rc;
}

/*
 * Lets go of a result from reconcile_fetch.  The last holder of a result
 * that has served every fetch the plan counts takes it out of the table
 * and frees it.  NULL is allowed.
 */
void
reconcile_fetch_release(struct reconciler *r, struct rc_fetch *f)
{
	int	 last;

	if (f == NULL)
		return;
	pthread_mutex_lock(&r->fetch_lock);
	last = --f->refs == 0;
	if (last && f->cached && f->want > 0 && f->taken >= f->want)
		fetch_uncache(r, f);
	last = last && !f->cached;
	pthread_mutex_unlock(&r->fetch_lock);
	if (last)
		fetch_free(f);
}

/*
 * Ends the sharing of results: every finished fetch leaves the table (and
 * is freed unless a worker still reads it).  Called when the workers go
 * idle, and at the end.  Takes fetch_lock.
 */
void
reconcile_fetch_flush(struct reconciler *r, int all)
{
	struct rc_fetch	*f, *next;
	size_t		 i;

	pthread_mutex_lock(&r->fetch_lock);
	for (i = 0; i < r->nfetch_buckets && r->nfetches > 0; i++) {
		for (f = r->fetches[i]; f != NULL; f = next) {
			next = f->next;
			if (!f->done && !all)
				continue;
			fetch_uncache(r, f);
			if (f->refs == 0)
				fetch_free(f);
		}
	}
	pthread_mutex_unlock(&r->fetch_lock);
}

/* The name of a call for externalsecret_provider_api_calls_count. */
const char *
reconcile_call_name(int call)
{
	return call >= 0 && call < CALL_N ? call_names[call] : "Unknown";
}

/* FETCH_BUCKETS, for reconcile_new. */
size_t
reconcile_fetch_buckets(void)
{
	return FETCH_BUCKETS;
}
