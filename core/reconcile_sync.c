/*
 * The sync of one ExternalSecret, as a worker runs it once the scheduler
 * has handed it over and its store has been resolved (reconcile.c).
 *
 * 1. Fetch: dataFrom entries in order, then data[], each through
 *    reconcile_fetch (rate-limited, shared with identical fetches).  Keys
 *    from dataFrom are renamed by rewrite[] or, without rewrites, made
 *    valid by conversionStrategy; values are decoded by decodingStrategy.
 *    A later key replaces an earlier one.  Everything lands in secure
 *    memory.
 * 2. Not found: deletionPolicy decides.  Retain makes it an error; Delete
 *    deletes the target once all of its data is gone (an error while only
 *    part is); Merge drops the missing keys.
 * 3. Write: creationPolicy None writes nothing; any other hands the data
 *    to the writer (reconcile_write.c), which completes the job, and the
 *    worker goes on to its next sync.
 *
 * Any error leaves the target exactly as it was: nothing is written until
 * every fetch has succeeded.  The status message is one of ESO's stable
 * messages; the detail (which key, what the provider said) goes to the log
 * through job->detail.  Provider messages are never secret material by the
 * ABI's contract, and values never leave secure memory except into the
 * target.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manifest.h"
#include "reconcile_int.h"

/*
 * Sets the job's outcome to not ready: reason, message (one of ESO's
 * stable MSG_* texts, for the status) and the detail for the log, from
 * fmt.  Neither may hold a secret.  By whichever thread finishes the job.
 */
void
reconcile_job_fail(struct rc_job *job, const char *reason,
    const char *message, const char *fmt, ...)
{
	va_list	ap;

	job->ready = 0;
	job->reason = reason;
	snprintf(job->message, sizeof(job->message), "%s", message);
	va_start(ap, fmt);
	vsnprintf(job->detail, sizeof(job->detail), fmt, ap);
	va_end(ap);
}

/* Sets the job's outcome to ready, with reason and message. */
void
reconcile_job_done(struct rc_job *job, const char *reason,
    const char *message)
{
	job->ready = 1;
	job->reason = reason;
	snprintf(job->message, sizeof(job->message), "%s", message);
	job->detail[0] = '\0';
}

/* Frees the keys and zeroes and frees the values of d; d is left empty. */
void
reconcile_data_free(struct rc_data *d)
{
	size_t	 i;

	for (i = 0; i < d->n; i++) {
		free(d->items[i].key);
		xs_secure_free(d->items[i].data);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

/* Adds or replaces key (both arguments taken).  0 or -1. */
static int
data_put(struct rc_data *d, char *key, uint8_t *val, size_t len)
{
	struct result_item	*ni;
	size_t			 i, ncap;

	for (i = 0; i < d->n; i++) {
		if (strcmp(d->items[i].key, key) == 0) {
			free(key);
			xs_secure_free(d->items[i].data);
			d->items[i].data = val;
			d->items[i].len = len;
			return 0;
		}
	}
	if (d->n == d->cap) {
		ncap = d->cap ? d->cap * 2 : 8;
		if ((ni = reallocarray(d->items, ncap, sizeof(*ni))) == NULL) {
			free(key);
			xs_secure_free(val);
			return -1;
		}
		d->items = ni;
		d->cap = ncap;
	}
	d->items[d->n].key = key;
	d->items[d->n].data = val;
	d->items[d->n].len = len;
	d->n++;
	return 0;
}

static void
remote_ref(const struct remote_ref *in, struct xs_remote_ref *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->metadata = in->metadata;
	out->key = in->key;
	out->property = in->property;
	out->version = in->version;
}

/* Renames or converts a dataFrom key; NULL with job failed. */
static char *
data_from_key(struct rc_job *job, const struct es_data_from *df, size_t i,
    const char *key)
{
	char	*nk, err[128];

	if (df->nrewrites > 0) {
		nk = reconcile_rewrite(df->rewrites, df->nrewrites, key, err,
		    sizeof(err));
		if (nk == NULL) {
			reconcile_job_fail(job, REASON_SYNC_ERROR,
			    MSG_GET_FAILED, "dataFrom[%zu]: %s", i, err);
			return NULL;
		}
	} else if ((nk = reconcile_convert(df->ref.conversion, key)) ==
	    NULL) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_GET_FAILED,
		    "dataFrom[%zu]: key too long", i);
		return NULL;
	}
	if (!name_is_secret_key(nk) || strlen(nk) > 253) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_GET_FAILED,
		    "dataFrom[%zu]: key \"%.64s\" is not a valid secret key",
		    i, nk);
		free(nk);
		return NULL;
	}
	return nk;
}

/* Puts a fetched value under key (taken), decoded; -1 with job failed. */
static int
put_decoded(struct rc_job *job, struct rc_data *d, char *key,
    const struct result_item *it, int decoding, const char *where)
{
	uint8_t	*val;
	size_t	 len;

	if (reconcile_decode(job->r->cfg.host, decoding, it->data, it->len,
	    &val, &len) == -1) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_GET_FAILED,
		    "%s: value of key \"%.64s\" cannot be decoded", where, key);
		free(key);
		return -1;
	}
	if (data_put(d, key, val, len) == -1) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_GET_FAILED,
		    "%s: out of memory", where);
		return -1;
	}
	return 0;
}

/*
 * Handles a fetch's status: 0 to use the result, 1 when the remote data
 * does not exist and deletionPolicy lets the sync go on without it, -1
 * with the job failed.
 */
static int
fetch_status(struct rc_job *job, int32_t rc, const char *what,
    const char *err, int *missing)
{
	if (rc == XS_OK)
		return 0;
	if (rc == XS_ERR_NOT_FOUND && job->es->deletion != DELETE_RETAIN) {
		(*missing)++;
		return 1;
	}
	reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_GET_FAILED, "%s: %s",
	    what, err);
	return -1;
}

static int
fetch_data_from(struct rc_job *job, size_t i, struct rc_data *d,
    int *missing)
{
	const struct es_data_from	*df = &job->es->data_from[i];
	struct xs_remote_ref		 ref;
	struct xs_find			 find;
	struct xs_tag			*tags = NULL;
	struct rc_fetch			*f = NULL;
	char				 what[320], err[DIAG_MSG_MAX], *key;
	size_t				 k;
	int32_t				 rc;
	int				 ret = -1;

	if (df->type == DATAFROM_EXTRACT) {
		remote_ref(&df->ref, &ref);
		snprintf(what, sizeof(what), "dataFrom[%zu].extract %.256s",
		    i, df->ref.key);
		rc = reconcile_fetch(job->r, job->gen, CALL_GET_MAP, &ref,
		    NULL, job->es->refresh_ms, &f, err, sizeof(err));
	} else {
		memset(&find, 0, sizeof(find));
		find.size = sizeof(find);
		find.name_regexp = df->find_name;
		find.path = df->find_path;
		if (df->nfind_tags > 0) {
			tags = calloc(df->nfind_tags, sizeof(*tags));
			if (tags == NULL) {
				reconcile_job_fail(job, REASON_SYNC_ERROR,
				    MSG_GET_FAILED, "out of memory");
				return -1;
			}
			for (k = 0; k < df->nfind_tags; k++) {
				tags[k].key = df->find_tags[k].key;
				tags[k].value = df->find_tags[k].value;
			}
		}
		find.tags = tags;
		find.ntags = df->nfind_tags;
		snprintf(what, sizeof(what), "dataFrom[%zu].find", i);
		rc = reconcile_fetch(job->r, job->gen, CALL_FIND, NULL, &find,
		    job->es->refresh_ms, &f, err, sizeof(err));
	}
	switch (fetch_status(job, rc, what, err, missing)) {
	case 1:
		ret = 0;
		/* FALLTHROUGH */
	case -1:
		goto out;
	}
	for (k = 0; k < f->res.nitems; k++) {
		if (f->res.items[k].key == NULL)
			continue;
		if ((key = data_from_key(job, df, i, f->res.items[k].key)) ==
		    NULL)
			goto out;
		if (put_decoded(job, d, key, &f->res.items[k],
		    df->ref.decoding, what) == -1)
			goto out;
	}
	ret = 0;
out:
	reconcile_fetch_release(job->r, f);
	free(tags);
	return ret;
}

static int
fetch_data(struct rc_job *job, size_t i, struct rc_data *d, int *missing)
{
	const struct es_data	*ed = &job->es->data[i];
	struct xs_remote_ref	 ref;
	struct rc_fetch		*f = NULL;
	char			 what[320], err[DIAG_MSG_MAX], *key;
	int32_t			 rc;
	int			 ret = -1;

	remote_ref(&ed->ref, &ref);
	snprintf(what, sizeof(what), "data[%zu] %.256s", i, ed->ref.key);
	rc = reconcile_fetch(job->r, job->gen, CALL_GET, &ref, NULL,
	    job->es->refresh_ms, &f, err, sizeof(err));
	switch (fetch_status(job, rc, what, err, missing)) {
	case 1:
		ret = 0;
		/* FALLTHROUGH */
	case -1:
		goto out;
	}
	if (!f->res.has_value || f->res.nitems == 0) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_GET_FAILED,
		    "%s: the provider returned no value", what);
		goto out;
	}
	if ((key = strdup(ed->secret_key)) == NULL) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_GET_FAILED,
		    "out of memory");
		goto out;
	}
	ret = put_decoded(job, d, key, &f->res.items[0], ed->ref.decoding,
	    what);
out:
	reconcile_fetch_release(job->r, f);
	return ret;
}

/*
 * The name an owner record gives the ExternalSecret ns/name:
 * "namespace/name", in buf.
 */
void
reconcile_owner_name(const char *ns, const char *name, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/%s", ns, name);
}

/* deletionPolicy=Delete with every remote secret gone. */
static void
delete_owned(struct rc_job *job)
{
	const struct externalsecret	*es = job->es;
	struct target_root		*root = job->r->cfg.targets;
	char				 me[320], owner[320], err[256];
	int				 creation;

	reconcile_owner_name(es->ns, es->name, me, sizeof(me));
	if (target_owner(root, es->ns, es->target_name, owner, sizeof(owner),
	    &creation) == TARGET_OK) {
		if (strcmp(owner, me) != 0) {
			reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_OWNED,
			    "target %s/%s is owned by externalsecret %s",
			    es->ns, es->target_name, owner);
			return;
		}
		if (target_delete(root, es->ns, es->target_name, err,
		    sizeof(err)) == TARGET_ERR) {
			reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_DELETE,
			    "target %s/%s: %s", es->ns, es->target_name, err);
			return;
		}
		log_info("externalsecret %s/%s: remote data gone, target "
		    "%s/%s deleted (deletionPolicy Delete)", es->ns, es->name,
		    es->ns, es->target_name);
	}
	reconcile_job_done(job, REASON_DELETED, MSG_DELETED);
}

/* CreatedOnce: whether this ExternalSecret already created its target. */
static int
already_created(struct rc_job *job)
{
	const struct externalsecret	*es = job->es;
	char				 me[320], owner[320];
	int				 creation;

	if (job->e->synced)
		return 1;
	reconcile_owner_name(es->ns, es->name, me, sizeof(me));
	return target_owner(job->r->cfg.targets, es->ns, es->target_name,
	    owner, sizeof(owner), &creation) == TARGET_OK &&
	    strcmp(owner, me) == 0;
}

/*
 * Syncs job->es through job->gen and fills in the job's outcome (ready,
 * reason, message, and the detail for the log), or hands the job to the
 * writer (job->handed), which then completes it.  Runs in a worker with no
 * lock held; job->set and job->gen are referenced by the caller.
 */
void
reconcile_sync(struct rc_job *job)
{
	const struct externalsecret	*es = job->es;
	struct rc_data			 d;
	size_t				 i;
	int				 missing = 0;

	memset(&d, 0, sizeof(d));
	if (es->refresh_policy == REFRESH_CREATEDONCE &&
	    es->creation != CREATE_NONE && already_created(job)) {
		reconcile_job_done(job, REASON_SYNCED, MSG_SYNCED);
		return;
	}
	for (i = 0; i < es->ndata_from; i++)
		if (fetch_data_from(job, i, &d, &missing) == -1)
			goto out;
	for (i = 0; i < es->ndata; i++)
		if (fetch_data(job, i, &d, &missing) == -1)
			goto out;

	if (es->deletion == DELETE_DELETE && d.n == 0) {
		pthread_rwlock_wrlock(&job->r->target_lock);
		delete_owned(job);
		pthread_rwlock_unlock(&job->r->target_lock);
		goto out;
	}
	if (es->deletion == DELETE_DELETE && missing > 0) {
		reconcile_job_fail(job, REASON_SYNC_ERROR, MSG_GET_FAILED,
		    "%d of %zu remote secrets not found; the target is kept "
		    "until all are gone", missing, es->ndata + es->ndata_from);
		goto out;
	}
	if (es->creation == CREATE_NONE)
		reconcile_job_done(job, REASON_SYNCED, MSG_SYNCED);
	else
		reconcile_write_submit(job, &d);
out:
	reconcile_data_free(&d);
}

/*
 * An ExternalSecret with creationPolicy Owner went away (or moved to
 * another target): deletes its target ns/target when the target's owner
 * record names it.  Called without r->lock; takes the target's lock.
 */
void
reconcile_remove_target(struct reconciler *r, const char *ns,
    const char *name, const char *target, int creation)
{
	char		 me[320], owner[320], err[256];
	int		 ocreation;

	if (creation != CREATE_OWNER)
		return;
	reconcile_owner_name(ns, name, me, sizeof(me));
	pthread_rwlock_wrlock(&r->target_lock);
	if (target_owner(r->cfg.targets, ns, target, owner, sizeof(owner),
	    &ocreation) == TARGET_OK && strcmp(owner, me) == 0 &&
	    ocreation == CREATE_OWNER) {
		if (target_delete(r->cfg.targets, ns, target, err,
		    sizeof(err)) == TARGET_ERR)
			log_warnx("externalsecret %s: could not delete its "
			    "target %s/%s: %s", me, ns, target, err);
		else
			log_info("externalsecret %s: gone, target %s/%s "
			    "deleted (creationPolicy Owner)", me, ns, target);
	}
	pthread_rwlock_unlock(&r->target_lock);
}
