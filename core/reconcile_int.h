/*
 * Internals of the reconciler shared by core/reconcile*.c and its unit
 * tests.  Nothing outside the reconciler includes this header.
 *
 * Locking: r->lock guards the object table, the schedule, the work queue,
 * the store generations' reference counts and client states, the status
 * fields and the counters.  r->fetch_lock guards the table of shared
 * fetches.  r->write_lock guards the writers' queues.  r->target_lock
 * keeps writes and deletions of the output tree apart: each writer holds
 * it shared for a batch (the writers write different targets), a deletion
 * holds it alone for one target.  r->lock is never held while waiting for
 * the others, and no lock but r->target_lock is held across a write; none
 * is held across a provider call or a sleep.
 */
#ifndef XS_RECONCILE_INT_H
#define XS_RECONCILE_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"
#include "metrics.h"
#include "model.h"
#include "ratelimit.h"
#include "reconcile.h"
#include "sched.h"
#include "status.h"

#define WRITE_QUEUE_MAX		512	/* syncs waiting for the writers */
#define WRITERS_MAX		4	/* writer threads, at most */
#define WRITE_BATCH_MAX		128	/* writes made durable together */
#define BACKOFF_BASE_MS		5000	/* first retry of a failing sync */
#define AUTH_RETRY_BASE_MS	5000	/* first retry of a failing auth */
#define AUTH_RETRY_MAX_MS	(5 * 60 * 1000)
#define DEDUP_TTL_MS		60000	/* longest life of a shared fetch */
#define RETRY_MAX		10	/* retrySettings.maxRetries, at most */
#define RETRY_INTERVAL_MS	1000	/* retrySettings without an interval */
#define STATUS_DEBOUNCE_MS	200
#define START_SPREAD_MS		1000	/* first syncs after a start */
#define PROGRESS_EVERY_MS	100

/* ESO's stable status messages of an ExternalSecret. */
#define MSG_SYNCED	"secret synced"
#define MSG_GET_FAILED	"could not get secret data from provider"
#define MSG_UPDATE	"could not update secret"
#define MSG_IMMUTABLE	"could not update secret, target is immutable"
#define MSG_OWNED	"target is owned by another ExternalSecret"
#define MSG_DELETE	"could not delete secret"
#define MSG_DELETED	"secret deleted due to DeletionPolicy=Delete"
#define MSG_MISSING	"secret will not be created due to CreationPolicy=Merge"

/* Provider calls, for externalsecret_provider_api_calls_count. */
#define CALL_VALIDATE		0
#define CALL_AUTH		1
#define CALL_GET		2
#define CALL_GET_MAP		3
#define CALL_FIND		4
#define CALL_N			5

/* A manifest set shared by the objects that point into it. */
struct rc_set {
	struct manifest_set	*set;
	int			 refs;
	const struct k8s_secret	**secrets;	/* by namespace, name */
	int			 unsorted;	/* no memory for secrets */
};

/* Ready condition of an object, in ESO's terms. */
struct rc_status {
	int		 ready;		/* 1, 0, -1 unknown */
	const char	*reason;	/* REASON_*; "" before any */
	char		*message;	/* owned; never a secret */
	int64_t		 transition_ms;
};

/* A provider client; closed once replaced and unused. */
struct rc_client {
	void		*handle;
	int		 users;		/* calls in progress */
	int		 detached;	/* no longer the generation's */
};

#define CLIENT_NONE	0
#define CLIENT_BUILDING	1
#define CLIENT_READY	2
#define CLIENT_FAILED	3

/*
 * One generation of a store: a SecretStore or ClusterSecretStore as one
 * manifest set defined it.  A change of its spec (or of the Secrets holding
 * credentials) makes a new generation; the old one is retired and freed
 * when the last job using it lets go.
 */
struct rc_store {
	struct rc_store	*next;		/* r->stores: the live ones */
	uint64_t	 serial;	/* unique among generations */
	int		 refs;		/* 1 while live, + one per job */
	int		 retired;
	struct rc_set	*set;		/* holds st */
	const struct store *st;
	const struct provider *prov;	/* NULL: not loaded */
	struct xs_store	 handle;
	int		 valid;		/* validate_store said XS_OK */
	int		 skipped;	/* another controller's store */
	int		 client_state;	/* CLIENT_* */
	struct rc_client *client;	/* when CLIENT_READY */
	int32_t		 auth_rc;	/* when CLIENT_FAILED */
	char		 auth_error[DIAG_MSG_MAX + 32];
	int		 auth_failures;
	int64_t		 auth_retry_ms;	/* monotonic: no new auth before */
	struct ratelimit rl;
	struct rc_status status;
};

/* One ExternalSecret, by namespace and name, across reloads. */
struct rc_es {
	struct rc_es	*next;		/* hash chain */
	uint64_t	 id;		/* schedule id */
	char		*ns;		/* one allocation: "ns\0name\0" */
	char		*name;
	const struct externalsecret *es;	/* NULL: never valid */
	struct rc_set	*set;		/* holds es */
	char		*invalid;	/* manifest error; NULL: valid */
	int		 seen;		/* apply: in the new set */
	int		 removed;	/* gone; the worker cleans up */
	int		 busy;		/* queued or being synced */
	int		 again;		/* changed while busy */
	int		 attempted;	/* synced at least once */
	int		 once_pending;	/* reconcile_once waits for it */
	int		 skipped;	/* another controller's store */
	int		 failures;	/* consecutive */
	int		 synced;	/* succeeded at least once */
	uint64_t	 synced_hash;	/* spec_hash of the last success */
	int64_t		 refresh_ms;	/* wall ms of the last success */
	struct rc_status status;
	uint64_t	 sync_calls;
	uint64_t	 sync_errors;
	double		 duration_s;
};

/*
 * How many times the current manifests make one fetch, by a hash of what
 * identifies it (store, call, remote reference or find); see
 * reconcile_fetch_plan.
 */
struct rc_want {
	uint64_t	 hash;		/* 0: a free slot */
	unsigned	 count;
};

/* A provider call whose result is shared by identical fetches. */
struct rc_fetch {
	struct rc_fetch	*next;
	uint64_t	 hash;
	char		*key;
	int		 refs;		/* holders of the result */
	int		 cached;	/* still in the table */
	int		 done;
	unsigned	 want;		/* the plan's count; 0: not in it */
	unsigned	 taken;		/* fetches this result served */
	int32_t		 rc;
	struct xs_result res;
	char		*error;		/* when rc is not XS_OK */
	int64_t		 born_ms;
};

struct reconciler {
	struct reconcile_config cfg;

	pthread_mutex_t	 lock;
	pthread_cond_t	 sched_cond;	/* the scheduler waits on it */
	pthread_cond_t	 work_cond;	/* idle workers wait on it */
	pthread_cond_t	 done_cond;	/* clients built, syncs done, stop */

	struct rc_set	*cur;
	struct rc_es	**table;
	size_t		 nbuckets;
	size_t		 nes;
	struct rc_store	*stores;
	uint64_t	 serial;
	struct sched	*sched;

	struct rc_es	**queue;	/* ring of cfg.concurrency */
	size_t		 qhead;
	size_t		 qlen;
	int		 busy;		/* workers syncing */
	int		 shared;	/* fetch results may be shared */

	pthread_t	 sched_thread;
	pthread_t	*workers;
	int		 nworkers;
	int		 running;
	int		 stopping;
	int		 applied;	/* reconcile_apply ran */
	int		 swept;		/* stale Owner targets removed */
	int		 once;		/* reconcile_once runs */
	size_t		 once_left;
	int		 ready;		/* first round done */
	size_t		 unattempted;

	int		 status_dirty;
	int64_t		 status_written_ms;
	int64_t		 status_gap_ms;	/* debounce, grows with the cost */
	pthread_mutex_t	 status_file_lock;

	pthread_mutex_t	 fetch_lock;
	pthread_cond_t	 fetch_cond;
	struct rc_fetch	**fetches;
	size_t		 nfetch_buckets;
	size_t		 nfetches;
	struct rc_want	*wants;		/* the fetch plan; fetch_lock */
	size_t		 nwants;	/* slots, a power of two */

	/* Counters for metrics. */
	uint64_t	 dedup_hits;
	uint64_t	 auth_calls;
	uint64_t	 rl_waits;
	uint64_t	*api_calls;	/* [provider][CALL_N][ok, error] */

	/* The writers (reconcile_write.c). */
	pthread_rwlock_t target_lock;
	pthread_mutex_t	 write_lock;
	pthread_cond_t	 write_space;	/* workers wait for room */
	struct rc_writer *writers;	/* nwriters of them, running */
	int		 nwriters;
	size_t		 wq_len;	/* queued, all writers together */
	int		 write_stop;
	uint64_t	 write_batches;	/* counters for metrics */
	uint64_t	 writes;

	struct metrics	*metrics;
};

/*
 * One writer thread and its queue.  A target always goes to the same
 * writer, so that its writes keep their order.
 */
struct rc_writer {
	struct reconciler *r;
	pthread_t	 thread;
	pthread_cond_t	 work;		/* the writer waits for work */
	struct rc_write	*head;
	struct rc_write	**tail;
	size_t		 len;
};

/* The target data being assembled: keys malloc'ed, values secure. */
struct rc_data {
	struct result_item *items;
	size_t		 n;
	size_t		 cap;
};

/* One sync of one ExternalSecret, as a worker performs it. */
struct rc_job {
	struct reconciler *r;
	struct rc_es	*e;
	const struct externalsecret *es;
	struct rc_set	*set;		/* a reference, for es */
	struct rc_store	*gen;		/* a reference, or NULL */
	int		 aborted;	/* stopping: no outcome */
	int		 handed;	/* a writer owns it now */
	int		 skipped;
	int		 ready;
	const char	*reason;
	char		 message[STATUS_MSG_MAX];
	char		 detail[DIAG_MSG_MAX + 128];	/* for the log */
	int64_t		 start_wall_ms;
	int64_t		 t0_ms;		/* monotonic, for the duration */
};

/* reconcile.c */
int64_t	 reconcile_mono_ms(void);
int64_t	 reconcile_wall_ms(void);
uint64_t reconcile_hash_name(const char *ns, const char *name);
void	 reconcile_wait_until(pthread_cond_t *cond, pthread_mutex_t *mtx,
	    int64_t deadline_ms);
void	 reconcile_set_unref(struct rc_set *s);
void	 reconcile_status_set(struct rc_status *st, int ready,
	    const char *reason, const char *message);
void	 reconcile_count_call(struct reconciler *r,
	    const struct xs_provider *desc, int call, int ok);
int64_t	 reconcile_next_due(const struct externalsecret *es, int ok,
	    int failures, int64_t now_ms);
void	 reconcile_jobs_finish(struct reconciler *r, struct rc_job **jobs,
	    size_t n);

/* reconcile_store.c */
struct rc_store *reconcile_store_new(struct reconciler *r, struct rc_set *set,
	    const struct store *st);
void	 reconcile_store_unref(struct reconciler *r, struct rc_store *g);
struct rc_store *reconcile_store_find(struct reconciler *r, int kind,
	    const char *ns, const char *name);
int32_t	 reconcile_fetch(struct reconciler *r, struct rc_store *g, int call,
	    const struct xs_remote_ref *ref, const struct xs_find *find,
	    int64_t max_age_ms, struct rc_fetch **out, char *err,
	    size_t errlen);
void	 reconcile_fetch_release(struct reconciler *r, struct rc_fetch *f);
void	 reconcile_fetch_flush(struct reconciler *r, int all);
void	 reconcile_fetch_plan(struct reconciler *r,
	    const struct manifest_set *set);
const char *reconcile_call_name(int call);
size_t	 reconcile_fetch_buckets(void);

/* reconcile_sync.c */
void	 reconcile_sync(struct rc_job *job);
void	 reconcile_remove_target(struct reconciler *r, const char *ns,
	    const char *name, const char *target, int creation);
void	 reconcile_data_free(struct rc_data *d);
void	 reconcile_owner_name(const char *ns, const char *name, char *buf,
	    size_t len);
void	 reconcile_job_fail(struct rc_job *job, const char *reason,
	    const char *message, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	 reconcile_job_done(struct rc_job *job, const char *reason,
	    const char *message);

/* reconcile_write.c */
int	 reconcile_writer_start(struct reconciler *r);
void	 reconcile_writer_stop(struct reconciler *r);
void	 reconcile_write_submit(struct rc_job *job, struct rc_data *d);

/* reconcile_data.c: key and value transforms, pure. */
int	 reconcile_decode(const struct xs_host *host, int strategy,
	    const uint8_t *in, size_t len, uint8_t **out, size_t *outlen);
char	*reconcile_rewrite(const struct rewrite *rw, size_t n,
	    const char *key, char *err, size_t errlen);
char	*reconcile_convert(int strategy, const char *key);

/* reconcile_metrics.c */
void	 reconcile_metrics_render(struct mbuf *b, void *arg);
int	 reconcile_metrics_ready(void *arg);

#endif /* XS_RECONCILE_INT_H */
