/*
 * The writer: one thread that makes every target write, in batches.
 *
 * A worker that has fetched a sync's data hands it over
 * (reconcile_write_submit) and goes on to its next fetch.  The writer takes
 * what is queued, at most WRITE_BATCH_MAX writes and never two of one
 * target, stages each in a target batch, commits the batch (two syncfs(2)
 * calls however many writes it holds: see core/target.c) and completes the
 * jobs under one hold of r->lock.  Batches grow with the load, so the cost
 * of durability per target falls as the load rises, and an idle writer
 * costs nothing.
 *
 * The writer holds r->target_lock while it stages and commits a batch;
 * deletions of targets take it too, so that writes and deletions of the
 * output tree never interleave.  A merge reads its target at stage time,
 * under that lock, so it sees every earlier write.
 *
 * The queue is bounded (WRITE_QUEUE_MAX): a worker that finds it full
 * waits.  That bounds the fetched secret data held in memory when the disk
 * is slower than the provider.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	qsort(a, na, sizeof(*a), item_cmp);
	qsort(b, nb, sizeof(*b), item_cmp);
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
 * frees them.  Takes r->target_lock for the writes.
 */
static void
write_batch(struct reconciler *r, struct rc_write *list, size_t n)
{
	struct target_batch	*b;
	struct rc_write		*w, *next;
	struct rc_job		**jobs;
	size_t			 i;

	jobs = calloc(n, sizeof(*jobs));
	pthread_mutex_lock(&r->target_lock);
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
	pthread_mutex_unlock(&r->target_lock);

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

/*
 * Takes the next batch off the queue: at most WRITE_BATCH_MAX writes, in
 * order, up to the first that would write a target the batch already
 * writes.  Called with r->write_lock held; *n gets the count.
 */
static struct rc_write *
take_batch(struct reconciler *r, size_t *n)
{
	struct rc_write	*list = NULL, **tail = &list, *w;

	*n = 0;
	while ((w = r->wq_head) != NULL && *n < WRITE_BATCH_MAX) {
		if (*n > 0 && same_target(list, w))
			break;
		r->wq_head = w->next;
		__atomic_sub_fetch(&r->wq_len, 1, __ATOMIC_RELAXED);
		w->next = NULL;
		*tail = w;
		tail = &w->next;
		(*n)++;
	}
	if (r->wq_head == NULL)
		r->wq_tail = &r->wq_head;
	pthread_cond_broadcast(&r->write_space);
	return list;
}

static void *
writer_main(void *arg)
{
	struct reconciler	*r = arg;
	struct rc_write		*list;
	size_t			 n;

	pthread_mutex_lock(&r->write_lock);
	for (;;) {
		while (r->wq_head == NULL && !r->write_stop)
			pthread_cond_wait(&r->write_cond, &r->write_lock);
		if (r->wq_head == NULL)
			break;		/* stopping, and everything written */
		list = take_batch(r, &n);
		__atomic_add_fetch(&r->write_batches, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&r->writes, n, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&r->write_lock);
		write_batch(r, list, n);
		pthread_mutex_lock(&r->write_lock);
	}
	pthread_mutex_unlock(&r->write_lock);
	return NULL;
}

/* Starts the writer thread.  0 or -1. */
int
reconcile_writer_start(struct reconciler *r)
{
	pthread_mutex_lock(&r->write_lock);
	r->write_stop = 0;
	pthread_mutex_unlock(&r->write_lock);
	if (pthread_create(&r->writer, NULL, writer_main, r) != 0)
		return -1;
	r->writer_running = 1;
	return 0;
}

/*
 * Stops the writer once it has written everything queued.  Call after the
 * workers have stopped, so that nothing more is queued.
 */
void
reconcile_writer_stop(struct reconciler *r)
{
	if (!r->writer_running)
		return;
	pthread_mutex_lock(&r->write_lock);
	r->write_stop = 1;
	pthread_cond_signal(&r->write_cond);
	pthread_mutex_unlock(&r->write_lock);
	pthread_join(r->writer, NULL);
	r->writer_running = 0;
}

/*
 * Hands job and its data d (taken: d is left empty) to the writer, which
 * completes the job; sets job->handed.  Waits while the queue is full.
 * Without a running writer (a caller that syncs on its own thread), the
 * write is made and the job finished here.
 */
void
reconcile_write_submit(struct rc_job *job, struct rc_data *d)
{
	struct reconciler	*r = job->r;
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
	if (!r->writer_running) {
		__atomic_add_fetch(&r->write_batches, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&r->writes, 1, __ATOMIC_RELAXED);
		write_batch(r, w, 1);
		return;
	}
	pthread_mutex_lock(&r->write_lock);
	while (r->wq_len >= WRITE_QUEUE_MAX)
		pthread_cond_wait(&r->write_space, &r->write_lock);
	*r->wq_tail = w;
	r->wq_tail = &w->next;
	__atomic_add_fetch(&r->wq_len, 1, __ATOMIC_RELAXED);
	pthread_cond_signal(&r->write_cond);
	pthread_mutex_unlock(&r->write_lock);
}
