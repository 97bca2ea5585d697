/*
 * The writers: a few threads that make every target write, in batches.
 *
 * A worker that has fetched a sync's data hands it over
 * (reconcile_write_submit) and goes on to its next fetch.  Each target
 * belongs to one writer, chosen by a hash of its namespace and name, so
 * that its writes keep their order and a merge sees every earlier write of
 * its target.  There is a writer for each CPU, up to WRITERS_MAX: creating
 * a target's entries costs the kernel more than anything else the daemon
 * does, and one thread would leave the other CPUs idle on a disk.
 *
 * A writer takes what is queued for it, at most WRITE_BATCH_MAX writes and
 * never two of one target, stages each in a target batch, commits the
 * batch (two syncfs(2) calls however many writes it holds: see
 * core/target.c) and completes the jobs under one hold of r->lock.
 * Batches grow with the load, so the cost of durability per target falls
 * as the load rises, and an idle writer costs nothing.
 *
 * A writer holds r->target_lock shared while it stages and commits a
 * batch; a deletion of a target holds it alone, so that writes and
 * deletions of the output tree never interleave.
 *
 * The queues are bounded (WRITE_QUEUE_MAX in all): a worker that finds
 * its writer's queue full waits.  That bounds the fetched secret data held
 * in memory when the disk is slower than the provider.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "manifest.h"
#include "reconcile_int.h"
#include "target.h"

/* A sync whose data is fetched, waiting for or in a batch. */
struct rc_write {
	struct rc_write	*next;
	struct rc_job	 job;
	struct rc_data	 data;		/* freed once staged */
	size_t		 slot;		/* in the target batch */
	int		 staged;
};

static int
item_cmp(const void *a, const void *b)
{
	const struct result_item *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* Whether two item lists hold the same keys and bytes (sorts both). */
static int
items_same(struct result_item *a, size_t na, struct result_item *b,
    size_t nb)
{
	size_t	 i;

	if (na != nb)
		return 0;
	if (na > 1) {		/* an empty list may be NULL */
		qsort(a, na, sizeof(*a), item_cmp);
		qsort(b, nb, sizeof(*b), item_cmp);
	}
	for (i = 0; i < na; i++) {
		if (strcmp(a[i].key, b[i].key) != 0 || a[i].len != b[i].len ||
		    (a[i].len > 0 && memcmp(a[i].data, b[i].data,
		    a[i].len) != 0))
			return 0;
	}
	return 1;
}

/* Whether writing items would change an immutable target. */
static int
immutable_conflict(struct rc_job *job, struct result_item *items, size_t n)
{
	const struct externalsecret	*es = job->es;
	struct target_data		 cur;
	char				 err[256];
	int				 rc, same;

	memset(&cur, 0, sizeof(cur));
	rc = target_read(job->r->cfg.targets, es->ns, es->target_name, &cur,
	    err, sizeof(err));
	if (rc != TARGET_OK)
		return 0;
	same = items_same(items, n, cur.items, cur.nitems);
	target_data_free(&cur);
	return !same;
}

/* Fails the job with what staging a write said. */
static void
stage_failed(struct rc_job *job, int rc, const char *err)
{
	const struct externalsecret	*es = job->es;

	if (rc == TARGET_OWNED)
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_OWNED, "%s",
		    err);
	else
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_UPDATE,
		    "target %s/%s: %s", es->ns, es->target_name, err);
}

/*
 * Owner and Orphan: the target is ours alone.  A target whose owner record
 * names another ExternalSecret is refused, and immutable refuses a change.
 */
static void
stage_owned(struct target_batch *b, struct rc_write *w)
{
	struct rc_job			*job = &w->job;
	const struct externalsecret	*es = job->es;
	struct target_req		 req;
	struct target_data		 td;
	char				 me[320], owner[320];
	char				 err[TARGET_ERR_MAX];
	int				 rc, creation;

	reconcile_owner_name(es->ns, es->name, me, sizeof(me));
	if (es->immutable) {
		if (target_owner(job->r->cfg.targets, es->ns, es->target_name,
		    owner, sizeof(owner), &creation) == TARGET_OK &&
		    strcmp(owner, me) != 0) {
			reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_OWNED,
			    "target %s/%s is owned by externalsecret %s",
			    es->ns, es->target_name, owner);
			return;
		}
		if (immutable_conflict(job, w->data.items, w->data.n)) {
			reconcile_job_fail(job, REASON_SYNC_ERROR,
			    MSG_IMMUTABLE, "target %s/%s is immutable and its "
			    "content would change", es->ns, es->target_name);
			return;
		}
	}
	td.items = w->data.items;
	td.nitems = w->data.n;
	memset(&req, 0, sizeof(req));
	req.ns = es->ns;
	req.name = es->target_name;
	req.data = &td;
	req.owner = me;
	req.creation = es->creation;
	req.exclusive = 1;
	if ((rc = target_batch_stage(b, &req, &w->slot, err,
	    sizeof(err))) != TARGET_OK)
		stage_failed(job, rc, err);
	else
		w->staged = 1;
}

/*
 * Merge and CreateOrMerge: our keys over the target's other keys, read
 * now so that earlier writes are in.  Merge does not create a target.
 */
static void
stage_merged(struct target_batch *b, struct rc_write *w)
{
	struct rc_job			*job = &w->job;
	const struct externalsecret	*es = job->es;
	struct target_root		*root = job->r->cfg.targets;
	struct rc_data			*d = &w->data;
	struct target_data		 cur, td;
	struct target_req		 req;
	struct result_item		*all = NULL;
	char				 err[TARGET_ERR_MAX];
	size_t				 i, j, n;
	int				 rc;

	memset(&cur, 0, sizeof(cur));
	rc = target_read(root, es->ns, es->target_name, &cur, err,
	    sizeof(err));
	if (rc == TARGET_ERR) {
		stage_failed(job, rc, err);
		return;
	}
	if (rc == TARGET_ABSENT && es->creation == CREATE_MERGE) {
		job->ready = 0;
		job->reason = REASON_MISSING;
		snprintf(job->message, sizeof(job->message), MSG_MISSING);
		snprintf(job->detail, sizeof(job->detail), "target %s/%s does "
		    "not exist; %s", es->ns, es->target_name, MSG_MISSING);
		return;
	}
	/* The existing keys that we do not set, then ours. */
	if ((all = calloc(cur.nitems + d->n + 1, sizeof(*all))) == NULL) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_UPDATE,
		    "out of memory");
		goto out;
	}
	n = 0;
	for (i = 0; i < cur.nitems; i++) {
		for (j = 0; j < d->n; j++)
			if (strcmp(cur.items[i].key, d->items[j].key) == 0)
				break;
		if (j == d->n)
			all[n++] = cur.items[i];
	}
	for (j = 0; j < d->n; j++)
		all[n++] = d->items[j];
	if (es->immutable && rc == TARGET_OK &&
	    !items_same(all, n, cur.items, cur.nitems)) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_IMMUTABLE,
		    "target %s/%s is immutable and its content would change",
		    es->ns, es->target_name);
		goto out;
	}
	td.items = all;
	td.nitems = n;
	memset(&req, 0, sizeof(req));
	req.ns = es->ns;
	req.name = es->target_name;
	req.data = &td;
	if ((rc = target_batch_stage(b, &req, &w->slot, err,
	    sizeof(err))) != TARGET_OK)
		stage_failed(job, rc, err);
	else
		w->staged = 1;
out:
	free(all);
	target_data_free(&cur);
}

/* The outcome of a staged write once its batch is committed. */
static void
complete(struct target_batch *b, struct rc_write *w)
{
	struct rc_job			*job = &w->job;
	const struct externalsecret	*es = job->es;
	char				 err[TARGET_ERR_MAX];
	int				 changed;

	if (target_batch_result(b, w->slot, &changed, err, sizeof(err)) !=
	    TARGET_OK) {
		stage_failed(job, TARGET_ERR, err);
		return;
	}
	if (changed && log_enabled(XS_LOG_DEBUG))
		log_debug("externalsecret %s/%s: target %s/%s written", es->ns,
		    es->name, es->ns, es->target_name);
	reconcile_job_done(job, REASON_SYNCED, MSG_SYNCED);
}

/*
 * Writes a batch of n syncs (a list through next) and finishes their jobs;
 * frees them.  Holds r->target_lock shared for the writes.
 */
static void
write_batch(struct reconciler *r, struct rc_write *list, size_t n)
{
	struct target_batch	*b;
	struct rc_write		*w, *next;
	struct rc_job		**jobs;
	size_t			 i;

	jobs = calloc(n, sizeof(*jobs));
	pthread_rwlock_rdlock(&r->target_lock);
	if ((b = target_batch_new(r->cfg.targets)) == NULL) {
		for (w = list; w != NULL; w = w->next)
			reconcile_job_fail(&w->job, REASON_SYNC_ERROR,
			    MSG_UPDATE, "out of memory");
	} else {
		for (w = list; w != NULL; w = w->next) {
			if (w->job.es->creation == CREATE_OWNER ||
			    w->job.es->creation == CREATE_ORPHAN)
				stage_owned(b, w);
			else
				stage_merged(b, w);
			/* Staged: the bytes are on disk, or gone. */
			reconcile_data_free(&w->data);
		}
		target_batch_commit(b);
		for (w = list; w != NULL; w = w->next)
			if (w->staged)
				complete(b, w);
		target_batch_free(b);
	}
	pthread_rwlock_unlock(&r->target_lock);

	if (jobs != NULL) {
		for (i = 0, w = list; w != NULL; w = w->next)
			jobs[i++] = &w->job;
		reconcile_jobs_finish(r, jobs, i);
	} else {
		/* Out of memory for the array: one at a time. */
		for (w = list; w != NULL; w = w->next) {
			struct rc_job	*jp = &w->job;

			reconcile_jobs_finish(r, &jp, 1);
		}
	}
	free(jobs);
	for (w = list; w != NULL; w = next) {
		next = w->next;
		reconcile_data_free(&w->data);
		free(w);
	}
}

/* Whether list already holds a write of w's target. */
static int
same_target(const struct rc_write *list, const struct rc_write *w)
{
	const struct externalsecret	*a, *b = w->job.es;

	for (; list != NULL; list = list->next) {
		a = list->job.es;
		if (strcmp(a->target_name, b->target_name) == 0 &&
		    strcmp(a->ns, b->ns) == 0)
			return 1;
	}
	return 0;
}

/* The most syncs one writer's queue holds. */
static size_t
queue_max(const struct reconciler *r)
{
	return WRITE_QUEUE_MAX / (size_t)r->nwriters;
}

/*
 * Takes the next batch off w's queue: at most WRITE_BATCH_MAX writes, in
 * order, up to the first that would write a target the batch already
 * writes.  Called with r->write_lock held; *n gets the count.
 */
static struct rc_write *
take_batch(struct rc_writer *w, size_t *n)
{
	struct reconciler	*r = w->r;
	struct rc_write		*list = NULL, **tail = &list, *x;

	*n = 0;
	while ((x = w->head) != NULL && *n < WRITE_BATCH_MAX) {
		if (*n > 0 && same_target(list, x))
			break;
		w->head = x->next;
		w->len--;
		__atomic_sub_fetch(&r->wq_len, 1, __ATOMIC_RELAXED);
		x->next = NULL;
		*tail = x;
		tail = &x->next;
		(*n)++;
	}
	if (w->head == NULL)
		w->tail = &w->head;
	pthread_cond_broadcast(&r->write_space);
	return list;
}

static void *
writer_main(void *arg)
{
	struct rc_writer	*w = arg;
	struct reconciler	*r = w->r;
	struct rc_write		*list;
	size_t			 n;

	pthread_mutex_lock(&r->write_lock);
	for (;;) {
		while (w->head == NULL && !r->write_stop)
			pthread_cond_wait(&w->work, &r->write_lock);
		if (w->head == NULL)
			break;		/* stopping, and everything written */
		list = take_batch(w, &n);
		__atomic_add_fetch(&r->write_batches, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&r->writes, n, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&r->write_lock);
		write_batch(r, list, n);
		pthread_mutex_lock(&r->write_lock);
	}
	pthread_mutex_unlock(&r->write_lock);
	return NULL;
}

/* How many writers: as configured, else one a CPU; 1 to WRITERS_MAX. */
static int
writers_wanted(const struct reconciler *r)
{
	long	n = r->cfg.writers;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > WRITERS_MAX ? WRITERS_MAX : (int)n;
}

/* Stops the first n writers of r->writers and frees the array. */
static void
writers_join(struct reconciler *r, int n)
{
	int	i;

	pthread_mutex_lock(&r->write_lock);
	r->write_stop = 1;
	for (i = 0; i < n; i++)
		pthread_cond_signal(&r->writers[i].work);
	pthread_mutex_unlock(&r->write_lock);
	for (i = 0; i < n; i++) {
		pthread_join(r->writers[i].thread, NULL);
		pthread_cond_destroy(&r->writers[i].work);
	}
	free(r->writers);
	r->writers = NULL;
}

/* Starts the writer threads.  0 or -1. */
int
reconcile_writer_start(struct reconciler *r)
{
	struct rc_writer	*w;
	int			 i, n = writers_wanted(r);

	if ((r->writers = calloc((size_t)n, sizeof(*r->writers))) == NULL)
		return -1;
	r->write_stop = 0;
	for (i = 0; i < n; i++) {
		w = &r->writers[i];
		w->r = r;
		w->tail = &w->head;
		if (pthread_cond_init(&w->work, NULL) != 0)
			break;
		if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
			pthread_cond_destroy(&w->work);
			break;
		}
	}
	if (i < n) {
		writers_join(r, i);
		return -1;
	}
	pthread_mutex_lock(&r->write_lock);
	r->nwriters = n;
	pthread_mutex_unlock(&r->write_lock);
	return 0;
}

/*
 * Stops the writers once they have written everything queued.  Call after
 * the workers have stopped, so that nothing more is queued.
 */
void
reconcile_writer_stop(struct reconciler *r)
{
	int	n = r->nwriters;

	if (n == 0)
		return;
	r->nwriters = 0;
	writers_join(r, n);
}

/* The writer of the target ns/name. */
static struct rc_writer *
writer_of(struct reconciler *r, const char *ns, const char *name)
{
	return &r->writers[reconcile_hash_name(ns, name) %
	    (uint64_t)r->nwriters];
}

/*
 * Hands job and its data d (taken: d is left empty) to its target's
 * writer, which completes the job; sets job->handed.  Waits while that
 * writer's queue is full.  Without running writers (a caller that syncs on
 * its own thread), the write is made and the job finished here.
 */
void
reconcile_write_submit(struct rc_job *job, struct rc_data *d)
{
	struct reconciler	*r = job->r;
	struct rc_writer	*wr;
	struct rc_write		*w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_UPDATE,
		    "out of memory");
		return;
	}
	w->job = *job;
	w->job.gen = NULL;	/* the caller drops it; writes need none */
	w->data = *d;
	memset(d, 0, sizeof(*d));
	job->handed = 1;
	if (r->nwriters == 0) {
		__atomic_add_fetch(&r->write_batches, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&r->writes, 1, __ATOMIC_RELAXED);
		write_batch(r, w, 1);
		return;
	}
	wr = writer_of(r, job->es->ns, job->es->target_name);
	pthread_mutex_lock(&r->write_lock);
	while (wr->len >= queue_max(r))
		pthread_cond_wait(&r->write_space, &r->write_lock);
	*wr->tail = w;
	wr->tail = &w->next;
	wr->len++;
	__atomic_add_fetch(&r->wq_len, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&wr->work);
	pthread_mutex_unlock(&r->write_lock);
}
