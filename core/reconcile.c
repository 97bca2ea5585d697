/*
 * The reconciler.
 *
 * State.  The current manifest set; one struct rc_es per ExternalSecret,
 * found by namespace and name across reloads (status, failures, counters);
 * one struct rc_store per store generation (reconcile_store.c: provider,
 * validation, client, token bucket, status).  Manifest sets are reference
 * counted: an object keeps the set it points into alive, so a reload never
 * pulls a spec from under a worker.
 *
 * Scheduling.  Every ExternalSecret has at most one entry in a timer heap
 * (core/sched.c), keyed by a stable 64-bit id.  One scheduler thread sleeps
 * on a condition variable until the earliest due time (or until woken by a
 * reload, a finished job or stop): nothing polls, and an idle daemon uses no
 * CPU.  When it wakes it pops due entries, new and changed objects
 * (SCHED_URGENT) first, and queues only as many as there are free workers,
 * so the heap, not the queue, decides the order.  At start-up the first
 * syncs are spread over START_SPREAD_MS by a jitter fixed by each name
 * (reconcile_once syncs everything at once).  After a sync the object
 * is due again at refreshInterval plus a deterministic jitter of up to a
 * tenth of it (sched_jitter), so a restart or reload that syncs everything
 * at once spreads the following refreshes; a failure backs off
 * exponentially from BACKOFF_BASE_MS, capped at the object's own refresh
 * interval (sched_backoff): a daily secret that keeps failing costs about
 * one call a day.  refreshInterval 0, refreshPolicy OnChange after a
 * success and CreatedOnce after its first success are not scheduled again
 * until their spec changes.
 *
 * Workers.  cfg.concurrency threads take objects from the queue, resolve
 * the store, sync (reconcile_sync.c) and report back under the lock.  An
 * object is never in two workers at once: one popped while busy is marked
 * "again" and requeued when its worker finishes.  Fetches and writes
 * happen in the same worker, with no global lock held; writes of one
 * target are serialised by a striped target lock, so a slow write never
 * holds up fetches for other targets.
 *
 * Deduplication.  While workers are busy, identical fetches share one
 * provider call (reconcile_store.c); when the queue drains and no worker
 * runs, the shared results are dropped, so a later round fetches afresh.
 * A result that has served every fetch the manifests make of it goes as
 * soon as its last reader lets go.
 *
 * Reloads (reconcile_apply).  Objects are diffed by kind, namespace, name
 * and spec_hash under the lock.  Unchanged ExternalSecrets keep their
 * schedule, new and changed ones are due at once (urgent), removed ones are
 * unscheduled and their Owner targets deleted; one that a worker is syncing
 * is handled when that worker finishes, so no work is lost or done twice.
 * An ExternalSecret that became invalid keeps its last valid spec, its
 * target and its schedule, and reports the validation error.  Changed and
 * removed store generations are retired; their clients are closed when the
 * last worker using them lets go.
 *
 * Status.  Kept per object in ESO's terms; the status file is rewritten by
 * the scheduler thread while something changed, at most every
 * STATUS_DEBOUNCE_MS or four times as long as the last write took (so a
 * large file never eats the workers' CPU), and once more at stop.
 * reconcile_once writes it once, when its round is over.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "log.h"
#include "manifest.h"
#include "reconcile_int.h"

#define ES_BUCKETS_MIN	1024

/* A removed ExternalSecret whose Owner target must go (done unlocked). */
struct removal {
	char	*ns;
	char	*name;
	char	*target;
	int	 creation;
};

struct removals {
	struct removal	*v;
	size_t		 n;
	size_t		 cap;
};

static void	 write_status_file(struct reconciler *);

/* The monotonic clock in ms: due times, rate limits, debouncing. */
int64_t
reconcile_mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wall clock in ms: refreshTime and transition times. */
int64_t
reconcile_wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits on cond (created with the monotonic clock) until woken or until
 * deadline_ms on the monotonic clock; a negative deadline waits for ever.
 */
void
reconcile_wait_until(pthread_cond_t *cond, pthread_mutex_t *mtx,
    int64_t deadline_ms)
{
	struct timespec	 ts;

	if (deadline_ms < 0) {
		pthread_cond_wait(cond, mtx);
		return;
	}
	ts.tv_sec = deadline_ms / 1000;
	ts.tv_nsec = (deadline_ms % 1000) * 1000000;
	pthread_cond_timedwait(cond, mtx, &ts);
}

/* Drops a reference on a manifest set; the last one frees it.  Any thread. */
void
reconcile_set_unref(struct rc_set *s)
{
	if (s == NULL || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_SEQ_CST) > 0)
		return;
	manifest_free(s->set);
	free(s->secrets);
	free(s);
}

/*
 * Sets a Ready condition; the transition time changes only when ready or
 * the reason changes.  message is copied.
 */
void
reconcile_status_set(struct rc_status *st, int ready, const char *reason,
    const char *message)
{
	char	*m;

	if (st->reason == NULL || st->ready != ready ||
	    strcmp(st->reason, reason) != 0)
		st->transition_ms = reconcile_wall_ms();
	st->ready = ready;
	st->reason = reason;
	if (st->message != NULL && strcmp(st->message, message) == 0)
		return;
	if ((m = strdup(message)) == NULL)
		return;
	free(st->message);
	st->message = m;
}

/* Counts one provider call for externalsecret_provider_api_calls_count. */
void
reconcile_count_call(struct reconciler *r, const struct xs_provider *desc,
    int call, int ok)
{
	const struct provider_set	*ps = r->cfg.providers;
	size_t				 i;

	for (i = 0; i < ps->nproviders; i++)
		if (ps->providers[i].desc == desc)
			break;
	if (i == ps->nproviders)
		return;
	__atomic_add_fetch(&r->api_calls[(i * CALL_N + call) * 2 + !ok], 1,
	    __ATOMIC_RELAXED);
}

/*
 * When es is due next after a sync at now_ms: ok says whether it
 * succeeded, failures is the count of consecutive failures.  -1: not again
 * until its spec changes.
 */
int64_t
reconcile_next_due(const struct externalsecret *es, int ok, int failures,
    int64_t now_ms)
{
	char	 key[320];

	snprintf(key, sizeof(key), "%s/%s", es->ns, es->name);
	if (!ok)
		return now_ms + sched_backoff(key, failures, BACKOFF_BASE_MS,
		    es->refresh_ms);
	if (es->refresh_ms <= 0 || es->refresh_policy != REFRESH_PERIODIC)
		return -1;
	return now_ms + es->refresh_ms + sched_jitter(key, es->refresh_ms);
}

/* FNV-1a of "ns/name": ExternalSecret ids, and targets' writers. */
uint64_t
reconcile_hash_name(const char *ns, const char *name)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	const char	*s;

	for (s = ns; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	h = (h ^ '/') * 0x100000001b3ULL;
	for (s = name; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

#define es_hash	reconcile_hash_name

static struct rc_es *
es_find(struct reconciler *r, const char *ns, const char *name)
{
	struct rc_es	*e;

	for (e = r->table[es_hash(ns, name) & (r->nbuckets - 1)]; e != NULL;
	    e = e->next)
		if (strcmp(e->ns, ns) == 0 && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/*
 * Ids are the hash of ns/name, made unique by adding multiples of
 * ID_STEP: their low bits, and so their bucket, stay those of the name.
 */
#define ID_STEP	(1ULL << 40)

static struct rc_es *
es_by_id(struct reconciler *r, uint64_t id)
{
	struct rc_es	*e;

	for (e = r->table[id & (r->nbuckets - 1)]; e != NULL; e = e->next)
		if (e->id == id)
			return e;
	return NULL;
}

static void
es_grow(struct reconciler *r)
{
	struct rc_es	**nt, *e, *next;
	size_t		 i, nb;

	nb = r->nbuckets * 2;
	if ((nt = calloc(nb, sizeof(*nt))) == NULL)
		return;
	for (i = 0; i < r->nbuckets; i++) {
		for (e = r->table[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nt[es_hash(e->ns, e->name) & (nb - 1)];
			nt[es_hash(e->ns, e->name) & (nb - 1)] = e;
		}
	}
	free(r->table);
	r->table = nt;
	r->nbuckets = nb;
}

/* A new ExternalSecret entry, in the table; NULL when out of memory. */
static struct rc_es *
es_new(struct reconciler *r, const char *ns, const char *name)
{
	struct rc_es	*e;
	size_t		 nslen, namelen, b;
	uint64_t	 id;

	if (r->nes >= r->nbuckets)
		es_grow(r);
	nslen = strlen(ns);
	namelen = strlen(name);
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->ns = malloc(nslen + namelen + 2)) == NULL) {
		free(e);
		return NULL;
	}
	memcpy(e->ns, ns, nslen + 1);
	e->name = e->ns + nslen + 1;
	memcpy(e->name, name, namelen + 1);
	e->status.ready = -1;
	e->status.reason = "";
	b = es_hash(ns, name) & (r->nbuckets - 1);
	id = es_hash(ns, name);
	while (es_by_id(r, id) != NULL)
		id += ID_STEP;
	e->id = id;
	e->next = r->table[b];
	r->table[b] = e;
	r->nes++;
	r->unattempted++;
	return e;
}

static void
es_unlink(struct reconciler *r, struct rc_es *e)
{
	struct rc_es	**pp;

	pp = &r->table[es_hash(e->ns, e->name) & (r->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	r->nes--;
	if (!e->attempted && r->unattempted > 0)
		r->unattempted--;
	if (e->once_pending) {
		e->once_pending = 0;
		r->once_left--;
	}
}

static void
es_free(struct rc_es *e)
{
	reconcile_set_unref(e->set);
	free(e->status.message);
	free(e->invalid);
	free(e->ns);
	free(e);
}

static void
removal_add(struct removals *rm, const char *ns, const char *name,
    const char *target, int creation)
{
	struct removal	*nv;
	size_t		 ncap;

	if (creation != CREATE_OWNER)
		return;
	if (rm->n == rm->cap) {
		ncap = rm->cap ? rm->cap * 2 : 16;
		if ((nv = reallocarray(rm->v, ncap, sizeof(*nv))) == NULL)
			return;
		rm->v = nv;
		rm->cap = ncap;
	}
	rm->v[rm->n].ns = strdup(ns);
	rm->v[rm->n].name = strdup(name);
	rm->v[rm->n].target = strdup(target);
	rm->v[rm->n].creation = creation;
	if (rm->v[rm->n].ns == NULL || rm->v[rm->n].name == NULL ||
	    rm->v[rm->n].target == NULL) {
		free(rm->v[rm->n].ns);
		free(rm->v[rm->n].name);
		free(rm->v[rm->n].target);
		return;
	}
	rm->n++;
}

/* Performs and frees the removals; called without r->lock. */
static void
removals_run(struct reconciler *r, struct removals *rm)
{
	size_t	 i;

	for (i = 0; i < rm->n; i++) {
		reconcile_remove_target(r, rm->v[i].ns, rm->v[i].name,
		    rm->v[i].target, rm->v[i].creation);
		free(rm->v[i].ns);
		free(rm->v[i].name);
		free(rm->v[i].target);
	}
	free(rm->v);
	memset(rm, 0, sizeof(*rm));
}

/* Forgets a removed ExternalSecret, noting its target for deletion. */
static void
es_drop(struct reconciler *r, struct rc_es *e, struct removals *rm)
{
	if (e->es != NULL)
		removal_add(rm, e->ns, e->name, e->es->target_name,
		    e->es->creation);
	es_unlink(r, e);
	es_free(e);
}

static void
schedule(struct reconciler *r, struct rc_es *e, int64_t due, int prio)
{
	if (e->busy) {
		if (prio == SCHED_URGENT)
			e->again = 1;
		return;
	}
	if (sched_add(r->sched, e->id, due, prio) == -1)
		log_warnx("externalsecret %s/%s: out of memory scheduling it",
		    e->ns, e->name);
}

/*
 * Resolves the store of job->es and takes a reference on it, or fails the
 * job (or marks it skipped).  Called with r->lock held.
 */
static void
job_resolve(struct reconciler *r, struct rc_job *job)
{
	const struct externalsecret	*es = job->es;
	struct rc_store			*g;
	const char			*kind;

	kind = es->store_kind == STORE_CLUSTER ? "ClusterSecretStore" :
	    "SecretStore";
	g = reconcile_store_find(r, es->store_kind,
	    es->store_kind == STORE_CLUSTER ? "" : es->ns, es->store_name);
	job->ready = 0;
	job->reason = REASON_SYNC_ERROR;
	if (g == NULL) {
		snprintf(job->message, sizeof(job->message),
		    "%s \"%s\" not found", kind, es->store_name);
		goto fail;
	}
	if (g->skipped) {
		job->skipped = 1;
		return;
	}
	if (es->store_kind == STORE_CLUSTER &&
	    !store_allows_namespace(r->cur->set, g->st, es->ns)) {
		snprintf(job->message, sizeof(job->message), "namespace %s is "
		    "not allowed by ClusterSecretStore %s conditions", es->ns,
		    es->store_name);
		goto fail;
	}
	if (g->prov == NULL) {
		snprintf(job->message, sizeof(job->message),
		    "provider \"%s\" is not loaded", g->st->provider);
		goto fail;
	}
	if (!g->valid) {
		snprintf(job->message, sizeof(job->message),
		    "%s \"%s\" is invalid: unable to validate store", kind,
		    es->store_name);
		goto fail;
	}
	g->refs++;
	job->gen = g;
	job->reason = NULL;
	return;
fail:
	snprintf(job->detail, sizeof(job->detail), "%s", job->message);
}

/* Logs a failed sync: the first failures, then at powers of two. */
static void
job_log(const struct rc_es *e, const struct rc_job *job)
{
	int	 f = e->failures;

	if ((f & (f - 1)) == 0)
		log_warnx("externalsecret %s/%s: %s (failure %d)", e->ns,
		    e->name, job->detail, f);
	else if (log_enabled(XS_LOG_DEBUG))
		log_debug("externalsecret %s/%s: %s (failure %d)", e->ns,
		    e->name, job->detail, f);
}

/* Records the outcome of job; called with r->lock held. */
static void
job_finish(struct reconciler *r, struct rc_job *job, int64_t took_ms,
    struct removals *rm)
{
	struct rc_es	*e = job->e;
	int64_t		 now, due;
	int		 ok = 0;

	e->busy = 0;
	if (job->aborted) {
		if (!e->removed)
			schedule(r, e, reconcile_mono_ms(), SCHED_URGENT);
		goto out;
	}
	if (!e->attempted) {
		e->attempted = 1;
		if (r->unattempted > 0 && --r->unattempted == 0)
			r->ready = 1;
	}
	e->skipped = job->skipped;
	ok = job->skipped || job->ready == 1;
	if (!job->skipped) {
		e->sync_calls++;
		e->duration_s = (double)took_ms / 1000.0;
		if (ok) {
			if (e->failures > 0)
				log_info("externalsecret %s/%s: synced again "
				    "after %d failure%s", e->ns, e->name,
				    e->failures, e->failures == 1 ? "" : "s");
			e->failures = 0;
			e->synced = 1;
			e->synced_hash = job->es->spec_hash;
			e->refresh_ms = job->start_wall_ms;
		} else {
			e->sync_errors++;
			e->failures++;
			job_log(e, job);
		}
		if (e->invalid == NULL)
			reconcile_status_set(&e->status, job->ready,
			    job->reason, job->message);
		r->status_dirty = 1;
	}
	if (e->once_pending) {
		e->once_pending = 0;
		r->once_left--;
	}
	/* The spec moved to another target while this job ran. */
	if (!e->removed && e->es != job->es &&
	    strcmp(e->es->target_name, job->es->target_name) != 0)
		removal_add(rm, e->ns, e->name, job->es->target_name,
		    job->es->creation);
out:
	if (e->removed) {
		if (strcmp(e->es->target_name, job->es->target_name) != 0)
			removal_add(rm, e->ns, e->name, job->es->target_name,
			    job->es->creation);
		es_drop(r, e, rm);
		return;
	}
	if (job->aborted || r->once)
		return;
	now = reconcile_mono_ms();
	if (e->again) {
		e->again = 0;
		schedule(r, e, now, SCHED_URGENT);
		return;
	}
	due = reconcile_next_due(e->es, ok, e->failures, now);
	if (due >= 0)
		schedule(r, e, due, SCHED_PERIODIC);
}

/*
 * Records the outcomes of n jobs (under one hold of r->lock), runs the
 * removals they call for and drops their references.  Called without
 * r->lock, by a worker for one job and by the writer for a batch.
 */
void
reconcile_jobs_finish(struct reconciler *r, struct rc_job **jobs, size_t n)
{
	struct removals	 rm;
	int64_t		 now;
	size_t		 i;

	memset(&rm, 0, sizeof(rm));
	pthread_mutex_lock(&r->lock);
	now = reconcile_mono_ms();
	for (i = 0; i < n; i++) {
		if (r->stopping && jobs[i]->ready != 1 &&
		    jobs[i]->gen != NULL)
			jobs[i]->aborted = 1;	/* a fetch may be cut short */
		job_finish(r, jobs[i], now - jobs[i]->t0_ms, &rm);
	}
	pthread_cond_signal(&r->sched_cond);
	pthread_cond_broadcast(&r->done_cond);
	pthread_mutex_unlock(&r->lock);
	removals_run(r, &rm);
	for (i = 0; i < n; i++)
		reconcile_set_unref(jobs[i]->set);
}

/*
 * Runs one sync; called and returns with r->lock held.  When the sync hands
 * its write to the writer, the writer finishes the job.
 */
static void
run_job(struct reconciler *r, struct rc_es *e)
{
	struct rc_job	 job, *jp = &job;
	struct removals	 rm;

	memset(&job, 0, sizeof(job));
	memset(&rm, 0, sizeof(rm));
	if (e->removed) {
		/* Removed while it waited in the queue. */
		es_drop(r, e, &rm);
		pthread_mutex_unlock(&r->lock);
		removals_run(r, &rm);
		pthread_mutex_lock(&r->lock);
		return;
	}
	e->again = 0;	/* this run sees the latest spec */
	job.r = r;
	job.e = e;
	job.es = e->es;
	job.set = e->set;
	__atomic_add_fetch(&job.set->refs, 1, __ATOMIC_SEQ_CST);
	job.start_wall_ms = reconcile_wall_ms();
	job_resolve(r, &job);
	pthread_mutex_unlock(&r->lock);

	job.t0_ms = reconcile_mono_ms();
	if (job.gen != NULL) {
		reconcile_sync(&job);
		reconcile_store_unref(r, job.gen);
	}
	if (!job.handed)
		reconcile_jobs_finish(r, &jp, 1);
	pthread_mutex_lock(&r->lock);
}

/*
 * The next due object that can be synced now, marked busy, or NULL.
 * Locked.
 */
static struct rc_es *
take_due(struct reconciler *r, int64_t now)
{
	struct rc_es	*e;
	uint64_t	 id;

	while (sched_pop_due(r->sched, now, &id) == 1) {
		if ((e = es_by_id(r, id)) == NULL || e->removed ||
		    e->es == NULL)
			continue;
		if (e->busy) {
			e->again = 1;
			continue;
		}
		e->busy = 1;
		r->shared = 1;
		return e;
	}
	return NULL;
}

/*
 * A worker takes what the scheduler queued, else the next due object
 * itself: under load, workers go from one sync to the next without a
 * round trip through the scheduler thread.  It wakes the scheduler only
 * when it runs out of work, so that the scheduler can sleep until the next
 * due time (or see that a burst is over).
 */
static void *
worker_main(void *arg)
{
	struct reconciler	*r = arg;
	struct rc_es		*e;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		if (r->stopping)
			break;
		if (r->qlen > 0) {
			e = r->queue[r->qhead];
			r->qhead = (r->qhead + 1) %
			    (size_t)r->cfg.concurrency;
			r->qlen--;
		} else if ((e = take_due(r, reconcile_mono_ms())) == NULL) {
			pthread_cond_signal(&r->sched_cond);
			pthread_cond_wait(&r->work_cond, &r->lock);
			continue;
		}
		r->busy++;
		run_job(r, e);
		r->busy--;
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Moves due objects to the queue while workers are free.  Locked. */
static void
dispatch(struct reconciler *r, int64_t now)
{
	struct rc_es	*e;
	size_t		 cap = (size_t)r->cfg.concurrency;

	while (r->busy + (int)r->qlen < r->nworkers &&
	    (e = take_due(r, now)) != NULL) {
		r->queue[(r->qhead + r->qlen) % cap] = e;
		r->qlen++;
		pthread_cond_signal(&r->work_cond);
	}
}

/*
 * Whether the scheduler should rewrite the status file.  Not during
 * reconcile_once: it writes the file when the round is over, and a round
 * of tens of thousands of objects would otherwise copy and write them all
 * every few hundred ms for no reader.  Locked.
 */
static int
status_due(const struct reconciler *r)
{
	return r->status_dirty && r->cfg.status_file != NULL && !r->once;
}

static void *
sched_main(void *arg)
{
	struct reconciler	*r = arg;
	int64_t			 now, next, deadline;

	pthread_mutex_lock(&r->lock);
	while (!r->stopping) {
		now = reconcile_mono_ms();
		dispatch(r, now);
		next = sched_next_due(r->sched);
		if (r->shared && r->busy == 0 && r->qlen == 0 &&
		    (next < 0 || next > now)) {
			/* The burst is over: stop sharing its results. */
			r->shared = 0;
			pthread_mutex_unlock(&r->lock);
			reconcile_fetch_flush(r, 0);
			pthread_mutex_lock(&r->lock);
			continue;	/* stop may have come meanwhile */
		}
		if (status_due(r) &&
		    now >= r->status_written_ms + r->status_gap_ms) {
			pthread_mutex_unlock(&r->lock);
			write_status_file(r);
			pthread_mutex_lock(&r->lock);
			continue;
		}
		/* With every worker busy, a finished job wakes us. */
		deadline = r->busy + (int)r->qlen < r->nworkers ? next : -1;
		if (status_due(r) && (deadline < 0 ||
		    deadline > r->status_written_ms + r->status_gap_ms))
			deadline = r->status_written_ms + r->status_gap_ms;
		if (deadline < 0 || deadline > now)
			reconcile_wait_until(&r->sched_cond, &r->lock,
			    deadline);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static int
cond_init_mono(pthread_cond_t *c)
{
	pthread_condattr_t	 a;
	int			 rc;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	rc = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return rc;
}

/*
 * The target lock: a deletion, which waits for it alone, goes ahead of
 * batches not yet started, so that a busy cold sync cannot starve it.
 */
static int
rwlock_init_writers_first(pthread_rwlock_t *l)
{
	pthread_rwlockattr_t	 a;
	int			 rc;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	rc = pthread_rwlock_init(l, &a);
	pthread_rwlockattr_destroy(&a);
	return rc;
}

/*
 * Creates an idle reconciler; cfg is copied, the objects it points to are
 * borrowed and must outlive it.  NULL with a message in err.
 */
struct reconciler *
reconcile_new(const struct reconcile_config *cfg, char *err, size_t errlen)
{
	struct reconciler	*r;
	size_t			 n;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		goto nomem;
	r->cfg = *cfg;
	if (r->cfg.concurrency <= 0)
		r->cfg.concurrency = 4;
	n = cfg->providers != NULL ? cfg->providers->nproviders : 0;
	r->nbuckets = ES_BUCKETS_MIN;
	r->status_gap_ms = STATUS_DEBOUNCE_MS;
	r->nfetch_buckets = reconcile_fetch_buckets();
	if ((r->table = calloc(r->nbuckets, sizeof(*r->table))) == NULL ||
	    (r->fetches = calloc(r->nfetch_buckets,
	    sizeof(*r->fetches))) == NULL ||
	    (r->queue = calloc((size_t)r->cfg.concurrency,
	    sizeof(*r->queue))) == NULL ||
	    (r->api_calls = calloc(n * CALL_N * 2 + 1,
	    sizeof(*r->api_calls))) == NULL ||
	    (r->sched = sched_new()) == NULL)
		goto nomem;
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->fetch_lock, NULL);
	pthread_mutex_init(&r->status_file_lock, NULL);
	pthread_mutex_init(&r->write_lock, NULL);
	if (cond_init_mono(&r->sched_cond) != 0 ||
	    cond_init_mono(&r->work_cond) != 0 ||
	    cond_init_mono(&r->done_cond) != 0 ||
	    cond_init_mono(&r->fetch_cond) != 0 ||
	    cond_init_mono(&r->write_space) != 0 ||
	    rwlock_init_writers_first(&r->target_lock) != 0) {
		snprintf(err, errlen, "reconciler: cannot create condition "
		    "variables or the target lock");
		reconcile_free(r);
		return NULL;
	}
	return r;
nomem:
	snprintf(err, errlen, "reconciler: out of memory");
	if (r != NULL) {
		free(r->table);
		free(r->fetches);
		free(r->queue);
		free(r->api_calls);
		free(r);
	}
	return NULL;
}

static int
secret_cmp(const void *a, const void *b)
{
	const struct k8s_secret	*x = *(const struct k8s_secret * const *)a;
	const struct k8s_secret	*y = *(const struct k8s_secret * const *)b;
	int			 c;

	if ((c = strcmp(x->ns, y->ns)) != 0)
		return c;
	return strcmp(x->name, y->name);
}

/* rs->secrets: the Secrets of rs->set by namespace, then name. */
static void
sort_secrets(struct rc_set *rs)
{
	const struct manifest_set	*set = rs->set;
	size_t				 i;

	if (set->nsecrets == 0)
		return;
	rs->secrets = calloc(set->nsecrets, sizeof(*rs->secrets));
	if (rs->secrets == NULL) {
		rs->unsorted = 1;
		return;
	}
	for (i = 0; i < set->nsecrets; i++)
		rs->secrets[i] = &set->secrets[i];
	qsort(rs->secrets, set->nsecrets, sizeof(*rs->secrets), secret_cmp);
}

/*
 * The Secrets of rs in namespace ns, or all of them when ns is NULL: the
 * count, and the first one's index in *first.
 */
static size_t
secrets_in(const struct rc_set *rs, const char *ns, size_t *first)
{
	size_t	lo = 0, hi = rs->set->nsecrets, mid, end;

	*first = 0;
	if (ns == NULL)
		return hi;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(rs->secrets[mid]->ns, ns) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < rs->set->nsecrets &&
	    strcmp(rs->secrets[end]->ns, ns) == 0; end++)
		;
	*first = lo;
	return end - lo;
}

static int
secret_same(const struct k8s_secret *a, const struct k8s_secret *b)
{
	size_t	i;

	if (strcmp(a->ns, b->ns) != 0 || strcmp(a->name, b->name) != 0 ||
	    a->ndata != b->ndata)
		return 0;
	for (i = 0; i < a->ndata; i++)
		if (strcmp(a->data[i].key, b->data[i].key) != 0 ||
		    a->data[i].len != b->data[i].len ||
		    memcmp(a->data[i].value, b->data[i].value,
		    a->data[i].len) != 0)
			return 0;
	return 1;
}

/*
 * Whether every Secret that store st may read is the same in sets a and
 * b: those of its namespace for a SecretStore (the host refuses it any
 * other), all of them for a ClusterSecretStore.  Compared byte for byte.
 */
static int
store_secrets_same(const struct rc_set *a, const struct rc_set *b,
    const struct store *st)
{
	const char	*ns = st->kind == STORE_CLUSTER ? NULL : st->ns;
	size_t		 fa, fb, n, i;

	if (a->unsorted || b->unsorted)
		return 0;
	n = secrets_in(a, ns, &fa);
	if (secrets_in(b, ns, &fb) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!secret_same(a->secrets[fa + i], b->secrets[fb + i]))
			return 0;
	return 1;
}

/*
 * The generations of the new set: kept when the store's spec and every
 * Secret it may read are unchanged, else new.  A changed Secret so rebuilds
 * the clients of its own namespace's stores and of cluster stores only.
 */
static struct rc_store *
apply_stores(struct reconciler *r, struct rc_set *rs, int *changed_any)
{
	const struct manifest_set	*set = rs->set;
	struct rc_store			*list = NULL, **tail = &list, *g, *old;
	size_t				 i;

	for (i = 0; i < set->nstores; i++) {
		const struct store *st = &set->stores[i];

		old = reconcile_store_find(r, st->kind, st->ns, st->name);
		if (old != NULL && old->st->spec_hash == st->spec_hash &&
		    !old->retired && store_secrets_same(old->set, rs, st)) {
			old->retired = 2;	/* kept: moved below */
			continue;
		}
		if ((g = reconcile_store_new(r, rs, st)) == NULL) {
			log_warnx("store %s: out of memory", st->name);
			continue;
		}
		*changed_any = 1;
		*tail = g;
		tail = &g->next;
	}
	return list;
}

/* Whether es refers to a store that apply created anew. */
static int
store_is_new(struct rc_store *fresh, const struct externalsecret *es)
{
	struct rc_store	*g;

	for (g = fresh; g != NULL; g = g->next) {
		if (g->st->kind != es->store_kind ||
		    strcmp(g->st->name, es->store_name) != 0)
			continue;
		if (es->store_kind == STORE_CLUSTER ||
		    strcmp(g->st->ns, es->ns) == 0)
			return 1;
	}
	return 0;
}

static void
invalid_message(const struct manifest_error *me, char *buf, size_t len)
{
	if (me->field != NULL && *me->field != '\0')
		snprintf(buf, len, "%s: %s", me->field, me->message);
	else
		snprintf(buf, len, "%s", me->message);
}

/*
 * The first sync of an object at start-up comes within START_SPREAD_MS,
 * at an offset fixed by its name: a restart with many objects spreads its
 * first calls instead of firing them at one instant.
 */
static int64_t
start_jitter(const struct externalsecret *es)
{
	char	 key[320];

	snprintf(key, sizeof(key), "%s/%s", es->ns, es->name);
	return sched_jitter(key, START_SPREAD_MS * 10);
}

static void
apply_es(struct reconciler *r, struct rc_set *rs, struct rc_store *fresh,
    int64_t now, struct removals *rm)
{
	const struct manifest_set	*set = rs->set;
	struct rc_es			*e;
	size_t				 i;
	char				 msg[STATUS_MSG_MAX];

	for (i = 0; i < set->ness; i++) {
		const struct externalsecret *es = &set->ess[i];

		if ((e = es_find(r, es->ns, es->name)) == NULL &&
		    (e = es_new(r, es->ns, es->name)) == NULL) {
			log_warnx("externalsecret %s/%s: out of memory",
			    es->ns, es->name);
			continue;
		}
		e->seen = 1;
		e->removed = 0;		/* back before its worker finished */
		free(e->invalid);
		e->invalid = NULL;
		/* Moved to another target: the old one goes (a busy
		 * worker's job does it when it finishes, see job_finish). */
		if (e->es != NULL && !e->busy &&
		    strcmp(e->es->target_name, es->target_name) != 0)
			removal_add(rm, e->ns, e->name, e->es->target_name,
			    e->es->creation);
		if (e->es == NULL && !r->applied)
			schedule(r, e, now + start_jitter(es), SCHED_URGENT);
		else if (e->es == NULL || e->es->spec_hash != es->spec_hash) {
			e->failures = 0;
			schedule(r, e, now, SCHED_URGENT);
		} else if (store_is_new(fresh, es))
			schedule(r, e, now, SCHED_URGENT);
		__atomic_add_fetch(&rs->refs, 1, __ATOMIC_SEQ_CST);
		reconcile_set_unref(e->set);
		e->set = rs;
		e->es = es;
	}
	for (i = 0; i < set->nerrors; i++) {
		const struct manifest_error *me = &set->errors[i];

		if (strcmp(me->kind, "ExternalSecret") != 0 ||
		    *me->ns == '\0' || *me->name == '\0')
			continue;
		if ((e = es_find(r, me->ns, me->name)) == NULL &&
		    (e = es_new(r, me->ns, me->name)) == NULL)
			continue;
		if (e->seen && e->es != NULL && e->set == rs)
			continue;	/* valid in this set after all */
		if (e->invalid != NULL && e->seen)
			continue;	/* the first error tells */
		e->seen = 1;
		e->removed = 0;
		if (e->es == NULL && !e->attempted) {
			e->attempted = 1;	/* nothing to sync */
			r->unattempted--;
		}
		invalid_message(me, msg, sizeof(msg));
		free(e->invalid);
		e->invalid = strdup(msg);
		reconcile_status_set(&e->status, 0, REASON_SYNC_ERROR, msg);
	}
}

/*
 * Whether set has a document that failed before its kind, namespace and
 * name were known (an unreadable file, broken YAML): it may be an
 * ExternalSecret, so nothing counts as removed.
 */
static int
has_unknown_documents(const struct manifest_set *set)
{
	size_t	 i;

	for (i = 0; i < set->nerrors; i++)
		if (*set->errors[i].kind == '\0' ||
		    *set->errors[i].name == '\0')
			return 1;
	return 0;
}

/*
 * Unschedules the objects not seen in the new set and collects the Owner
 * targets to delete; with keep set, unseen objects stay as they were.
 * Locked.
 */
static void
apply_removed(struct reconciler *r, struct removals *rm, int keep)
{
	struct rc_es	*e, *next;
	size_t		 i, kept = 0;

	for (i = 0; i < r->nbuckets; i++) {
		for (e = r->table[i]; e != NULL; e = next) {
			next = e->next;
			if (e->seen || keep) {
				kept += !e->seen;
				e->seen = 0;
				continue;
			}
			sched_remove(r->sched, e->id);
			if (e->busy) {
				e->removed = 1;	/* its worker finishes */
				continue;
			}
			es_drop(r, e, rm);
		}
	}
	if (kept > 0)
		log_warnx("manifests: some documents could not be read; "
		    "keeping %zu ExternalSecret%s missing from them, and "
		    "their targets, until they can", kept, kept == 1 ? "" :
		    "s");
}

struct sweep {
	struct reconciler	*r;
	struct removals		*rm;
};

static void
sweep_one(const char *ns, const char *name, void *arg)
{
	struct sweep	*sw = arg;
	struct rc_es	*e;
	char		 owner[320], *slash;
	int		 creation;

	if (target_owner(sw->r->cfg.targets, ns, name, owner, sizeof(owner),
	    &creation) != TARGET_OK || creation != CREATE_OWNER)
		return;
	if ((slash = strchr(owner, '/')) == NULL)
		return;
	*slash = '\0';
	e = es_find(sw->r, owner, slash + 1);
	if (e != NULL && (e->es == NULL ||
	    strcmp(e->es->target_name, name) == 0))
		return;
	removal_add(sw->rm, owner, slash + 1, name, CREATE_OWNER);
}

/*
 * Owner targets left by ExternalSecrets that are gone (the daemon was not
 * running when they went).  Called on the first apply whose manifests were
 * all readable, with r->lock held.
 */
static void
sweep_targets(struct reconciler *r, struct removals *rm)
{
	struct sweep	 sw;

	sw.r = r;
	sw.rm = rm;
	target_list(r->cfg.targets, sweep_one, &sw);
}

/*
 * Replaces the manifest set, taking ownership of set; see the design
 * comment above.  Main thread only (it alone changes the store list).
 */
void
reconcile_apply(struct reconciler *r, struct manifest_set *set)
{
	struct rc_set	*rs;
	struct rc_store	*fresh, *g, **pp, *dead = NULL, *last;
	struct removals	 rm;
	int		 changed = 0, keep;

	if (set == NULL)
		return;
	if ((rs = calloc(1, sizeof(*rs))) == NULL) {
		log_warnx("reload: out of memory; keeping the previous "
		    "manifests");
		manifest_free(set);
		return;
	}
	rs->set = set;
	rs->refs = 1;
	sort_secrets(rs);
	memset(&rm, 0, sizeof(rm));

	/* Validation calls provider code: outside the lock.  Only this
	 * thread changes r->stores, so reading it here is safe. */
	fresh = apply_stores(r, rs, &changed);
	reconcile_fetch_plan(r, set);

	pthread_mutex_lock(&r->lock);
	for (pp = &r->stores; *pp != NULL;) {
		g = *pp;
		if (g->retired == 2) {
			g->retired = 0;
			pp = &g->next;
			continue;
		}
		*pp = g->next;
		g->retired = 1;
		g->next = dead;
		dead = g;
	}
	for (last = fresh; last != NULL && last->next != NULL;
	    last = last->next)
		;
	if (last != NULL) {
		last->next = r->stores;
		r->stores = fresh;
	}
	keep = has_unknown_documents(set);
	apply_es(r, rs, fresh, reconcile_mono_ms(), &rm);
	apply_removed(r, &rm, keep);
	if (!r->swept && !keep && r->cfg.targets != NULL) {
		sweep_targets(r, &rm);
		r->swept = 1;
	}
	r->applied = 1;
	reconcile_set_unref(r->cur);
	r->cur = rs;
	if (r->unattempted == 0)
		r->ready = 1;
	r->status_dirty = 1;
	pthread_cond_signal(&r->sched_cond);
	pthread_mutex_unlock(&r->lock);

	while (dead != NULL) {
		g = dead;
		dead = g->next;
		reconcile_store_unref(r, g);
	}
	removals_run(r, &rm);
}

static int
threads_start(struct reconciler *r)
{
	int	 i;

	if ((r->workers = calloc((size_t)r->cfg.concurrency,
	    sizeof(*r->workers))) == NULL)
		return -1;
	r->stopping = 0;
	if (reconcile_writer_start(r) == -1) {
		log_warnx("reconciler: cannot start the writers");
		free(r->workers);
		r->workers = NULL;
		return -1;
	}
	for (i = 0; i < r->cfg.concurrency; i++) {
		if (pthread_create(&r->workers[i], NULL, worker_main, r) != 0)
			break;
		r->nworkers++;
	}
	if (r->nworkers == 0 ||
	    pthread_create(&r->sched_thread, NULL, sched_main, r) != 0) {
		log_warnx("reconciler: cannot start threads");
		pthread_mutex_lock(&r->lock);
		r->stopping = 1;
		pthread_cond_broadcast(&r->work_cond);
		pthread_mutex_unlock(&r->lock);
		for (i = 0; i < r->nworkers; i++)
			pthread_join(r->workers[i], NULL);
		reconcile_writer_stop(r);
		free(r->workers);
		r->workers = NULL;
		r->nworkers = 0;
		return -1;
	}
	r->running = 1;
	return 0;
}

static void
threads_stop(struct reconciler *r)
{
	struct rc_es	*e;
	struct removals	 rm;
	int		 i;

	if (!r->running)
		return;
	memset(&rm, 0, sizeof(rm));
	pthread_mutex_lock(&r->lock);
	r->stopping = 1;
	pthread_cond_broadcast(&r->work_cond);
	pthread_cond_broadcast(&r->sched_cond);
	pthread_cond_broadcast(&r->done_cond);
	pthread_mutex_unlock(&r->lock);
	for (i = 0; i < r->nworkers; i++)
		pthread_join(r->workers[i], NULL);
	pthread_join(r->sched_thread, NULL);
	reconcile_writer_stop(r);	/* after the writes they were handed */
	free(r->workers);
	r->workers = NULL;
	r->nworkers = 0;

	/* Queued but not started: back into the schedule, first. */
	pthread_mutex_lock(&r->lock);
	while (r->qlen > 0) {
		e = r->queue[r->qhead];
		r->qhead = (r->qhead + 1) % (size_t)r->cfg.concurrency;
		r->qlen--;
		e->busy = 0;
		if (e->removed)
			es_drop(r, e, &rm);
		else
			schedule(r, e, reconcile_mono_ms(), SCHED_URGENT);
	}
	r->stopping = 0;
	r->running = 0;
	pthread_mutex_unlock(&r->lock);
	removals_run(r, &rm);
	reconcile_fetch_flush(r, 1);
}

/*
 * Starts the metrics server (when configured), the scheduler and the
 * workers.  0, or -1 when a socket or thread cannot be had.
 */
int
reconcile_start(struct reconciler *r)
{
	struct metrics_ops	 ops;
	char			 err[256];

	if (r->running)
		return 0;
	if (r->cfg.metrics_addr != NULL && r->metrics == NULL) {
		memset(&ops, 0, sizeof(ops));
		ops.render = reconcile_metrics_render;
		ops.ready = reconcile_metrics_ready;
		ops.arg = r;
		r->metrics = metrics_start(r->cfg.metrics_addr, &ops, err,
		    sizeof(err));
		if (r->metrics == NULL) {
			log_warnx("metrics: %s", err);
			return -1;
		}
		/* Port 0 asks the kernel for one; say which it gave. */
		log_info("metrics: listening on %s, port %d",
		    r->cfg.metrics_addr, metrics_port(r->metrics));
	}
	return threads_start(r);
}

static void
progress(struct reconciler *r, size_t total, int64_t t0, int final)
{
	size_t	 done, failed = 0, i;
	struct rc_es *e;
	double	 secs;

	done = total - r->once_left;
	for (i = 0; i < r->nbuckets; i++)
		for (e = r->table[i]; e != NULL; e = e->next)
			if (e->es != NULL && e->attempted && !e->skipped &&
			    e->status.ready != 1)
				failed++;
	secs = (double)(reconcile_mono_ms() - t0) / 1000.0;
	fprintf(stderr, "\rsynced %zu/%zu, %zu failed, %.0f/s", done, total,
	    failed, secs > 0 ? (double)done / secs : 0.0);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/*
 * Syncs every ExternalSecret once, each in one attempt, and returns the
 * number not Ready.  Starts the threads for the round unless they run.
 * Prints progress when cfg.progress is set and stderr is a terminal.
 */
int
reconcile_once(struct reconciler *r)
{
	struct rc_es	*e;
	size_t		 i, total = 0;
	int64_t		 t0, now, last = 0, due;
	int		 started = 0, show, notready = 0;

	show = r->cfg.progress && isatty(STDERR_FILENO);
	t0 = reconcile_mono_ms();
	pthread_mutex_lock(&r->lock);
	r->once = 1;
	for (i = 0; i < r->nbuckets; i++) {
		for (e = r->table[i]; e != NULL; e = e->next) {
			if (e->es == NULL || e->removed || e->once_pending)
				continue;
			e->once_pending = 1;
			r->once_left++;
			total++;
			schedule(r, e, t0, SCHED_URGENT);
		}
	}
	pthread_cond_signal(&r->sched_cond);
	pthread_mutex_unlock(&r->lock);

	if (!r->running) {
		if (threads_start(r) == -1)
			return (int)total;
		started = 1;
	}
	pthread_mutex_lock(&r->lock);
	while (r->once_left > 0) {
		reconcile_wait_until(&r->done_cond, &r->lock,
		    show ? reconcile_mono_ms() + PROGRESS_EVERY_MS : -1);
		now = reconcile_mono_ms();
		if (show && now - last >= PROGRESS_EVERY_MS) {
			progress(r, total, t0, 0);
			last = now;
		}
	}
	if (show)
		progress(r, total, t0, 1);
	r->once = 0;
	for (i = 0; i < r->nbuckets; i++)
		for (e = r->table[i]; e != NULL; e = e->next)
			if (!e->skipped && e->status.ready != 1)
				notready++;
	pthread_mutex_unlock(&r->lock);
	if (started) {
		threads_stop(r);
#ifdef __GLIBC__
		/* The workers' malloc arenas keep the pages of their HTTP
		 * and TLS state; give them back before the status snapshots,
		 * which would otherwise grow the main heap on top of them. */
		malloc_trim(0);
#endif
	}

	/* Back on the timer, should the daemon go on after the round. */
	pthread_mutex_lock(&r->lock);
	now = reconcile_mono_ms();
	for (i = 0; i < r->nbuckets; i++)
		for (e = r->table[i]; e != NULL; e = e->next)
			if (e->es != NULL && (due = reconcile_next_due(e->es,
			    e->skipped || e->status.ready == 1, e->failures,
			    now)) >= 0)
				schedule(r, e, due, SCHED_PERIODIC);
	pthread_mutex_unlock(&r->lock);
	write_status_file(r);
	return notready;
}

static void
close_idle_clients(struct reconciler *r)
{
	struct rc_store	*g;
	struct rc_client *c;

	for (g = r->stores; g != NULL; g = g->next) {
		pthread_mutex_lock(&r->lock);
		c = NULL;
		if (g->client_state == CLIENT_READY && g->client->users == 0) {
			c = g->client;
			g->client = NULL;
			g->client_state = CLIENT_NONE;
		}
		pthread_mutex_unlock(&r->lock);
		if (c != NULL) {
			host_enter(g->prov->desc);
			g->prov->desc->close(c->handle);
			host_enter(NULL);
			free(c);
		}
	}
}

/*
 * Stops taking work, lets running syncs finish their writes, joins the
 * threads, writes the status file and closes idle clients.
 */
void
reconcile_stop(struct reconciler *r)
{
	threads_stop(r);
	if (r->metrics != NULL) {
		metrics_stop(r->metrics);
		r->metrics = NULL;
	}
	write_status_file(r);
	close_idle_clients(r);
}

/* Bytes that str_put takes for s. */
static size_t
str_bytes(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 1;
}

/* Copies s (NULL as "") to *pool, moves *pool past it, returns the copy. */
static const char *
str_put(char **pool, const char *s)
{
	char	*p = *pool;
	size_t	 len = str_bytes(s);

	if (s != NULL)
		memcpy(p, s, len);
	else
		*p = '\0';
	*pool += len;
	return p;
}

/* The bytes of e's strings in a snapshot. */
static size_t
es_bytes(const struct rc_es *e)
{
	size_t	 n;

	n = str_bytes(e->ns) + str_bytes(e->name) +
	    str_bytes(e->status.message);
	if (e->es != NULL)
		n += str_bytes(e->es->store_name) +
		    str_bytes(e->es->target_name);
	return n;
}

static void
fill_es(struct status_entry *s, const struct rc_es *e, char **pool)
{
	s->kind = "ExternalSecret";
	s->ns = str_put(pool, e->ns);
	s->name = str_put(pool, e->name);
	s->store = s->binding = "";
	if (e->es != NULL) {
		s->store = str_put(pool, e->es->store_name);
		s->binding = str_put(pool, e->es->target_name);
	}
	s->ready = e->status.ready;
	s->reason = e->status.reason;
	s->message = str_put(pool, e->status.message);
	s->transition_ms = e->status.transition_ms;
	s->refresh_ms = e->refresh_ms;
	s->synced_version = e->synced ? e->synced_hash : 0;
}

static size_t
store_bytes(const struct rc_store *g)
{
	return str_bytes(g->st->ns) + str_bytes(g->st->name) +
	    str_bytes(g->status.message);
}

static void
fill_store(struct status_entry *s, const struct rc_store *g, char **pool)
{
	s->kind = g->st->kind == STORE_CLUSTER ? "ClusterSecretStore" :
	    "SecretStore";
	s->ns = str_put(pool, g->st->ns);
	s->name = str_put(pool, g->st->name);
	s->store = s->binding = "";
	s->ready = g->status.ready;
	s->reason = g->status.reason ? g->status.reason : "";
	s->message = str_put(pool, g->status.message);
	s->transition_ms = g->status.transition_ms;
}

/*
 * The snapshot: the entries, then their strings, in one allocation that
 * the caller frees.  It holds only what the status shows, about a tenth of
 * a kilobyte an object, and r->lock is held only while it is copied.
 * Called with r->lock held.
 */
static int
snapshot(struct reconciler *r, struct status_entry **out, size_t *n)
{
	struct status_entry	*v;
	struct rc_store		*g;
	struct rc_es		*e;
	size_t			 i, k = 0, cap = 0, bytes = 0;
	char			*pool;

	for (g = r->stores; g != NULL; g = g->next)
		if (!g->skipped) {
			cap++;
			bytes += store_bytes(g);
		}
	for (i = 0; i < r->nbuckets; i++)
		for (e = r->table[i]; e != NULL; e = e->next)
			if (!e->skipped && !e->removed) {
				cap++;
				bytes += es_bytes(e);
			}
	if ((v = calloc(1, (cap + 1) * sizeof(*v) + bytes)) == NULL)
		return -1;
	pool = (char *)(v + cap + 1);
	for (g = r->stores; g != NULL; g = g->next)
		if (!g->skipped)
			fill_store(&v[k++], g, &pool);
	for (i = 0; i < r->nbuckets; i++)
		for (e = r->table[i]; e != NULL; e = e->next)
			if (!e->skipped && !e->removed)
				fill_es(&v[k++], e, &pool);
	*out = v;
	*n = k;
	return 0;
}

/* A snapshot of every status for the table; the caller frees *out. */
int
reconcile_status(struct reconciler *r, struct status_entry **out,
    size_t *n)
{
	int	 rc;

	pthread_mutex_lock(&r->lock);
	rc = snapshot(r, out, n);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* Writes the status file if there is one; any thread, without r->lock. */
static void
write_status_file(struct reconciler *r)
{
	struct status_entry	*v;
	size_t			 n;
	int64_t			 t0, took;
	int			 rc;

	if (r->cfg.status_file == NULL)
		return;
	pthread_mutex_lock(&r->status_file_lock);
	pthread_mutex_lock(&r->lock);
	r->status_dirty = 0;
	r->status_written_ms = t0 = reconcile_mono_ms();
	rc = snapshot(r, &v, &n);
	pthread_mutex_unlock(&r->lock);
	if (rc == 0) {
		if (status_write_file(r->cfg.status_file, v, n) == -1)
			log_warn("status file %s", r->cfg.status_file);
		free(v);
	}
	took = reconcile_mono_ms() - t0;
	pthread_mutex_lock(&r->lock);
	r->status_gap_ms = took * 4 > STATUS_DEBOUNCE_MS ? took * 4 :
	    STATUS_DEBOUNCE_MS;
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_unlock(&r->status_file_lock);
}

/* Stops r if it runs and frees everything it holds; NULL is a no-op. */
void
reconcile_free(struct reconciler *r)
{
	struct rc_store	*g;
	struct rc_es	*e;
	size_t		 i;

	if (r == NULL)
		return;
	if (r->running)
		reconcile_stop(r);
	reconcile_fetch_flush(r, 1);
	while ((g = r->stores) != NULL) {
		r->stores = g->next;
		reconcile_store_unref(r, g);
	}
	for (i = 0; r->table != NULL && i < r->nbuckets; i++) {
		while ((e = r->table[i]) != NULL) {
			r->table[i] = e->next;
			es_free(e);
		}
	}
	reconcile_set_unref(r->cur);
	sched_free(r->sched);
	free(r->table);
	free(r->fetches);
	free(r->wants);
	free(r->queue);
	free(r->api_calls);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->fetch_lock);
	pthread_mutex_destroy(&r->status_file_lock);
	pthread_rwlock_destroy(&r->target_lock);
	pthread_mutex_destroy(&r->write_lock);
	pthread_cond_destroy(&r->write_space);
	pthread_cond_destroy(&r->sched_cond);
	pthread_cond_destroy(&r->work_cond);
	pthread_cond_destroy(&r->done_cond);
	pthread_cond_destroy(&r->fetch_cond);
	free(r);
}
