/*
 * Unit tests of the reconciler (core/reconcile*.c).
 *
 * A test provider lives in this program: a struct xs_provider whose
 * functions serve a scripted table of keys (values, or status codes such as
 * XS_ERR_NOT_FOUND), count every call, record the order and time of calls,
 * and can block callers until the test lets them go.  It is put into a
 * struct provider_set by hand, next to the real host table, real manifests
 * (manifest_load_buffer) and a real output directory (target_open) in a
 * temporary directory.
 *
 * syncfs is replaced below, to count the writer's barriers and to hold
 * them while a test looks at what goes on meanwhile: the code under test
 * is linked into this program, so it calls this definition.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/syscall.h>

#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "log.h"
#include "manifest.h"
#include "reconcile.h"
#include "reconcile_int.h"
#include "sched.h"
#include "status.h"
#include "target.h"
#include "tap.h"

static pthread_mutex_t	sf_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	sf_cv = PTHREAD_COND_INITIALIZER;
static int		sf_calls;
static int		sf_hold;	/* syncfs waits while set */

int
syncfs(int fd)
{
	pthread_mutex_lock(&sf_mu);
	sf_calls++;
	while (sf_hold)
		pthread_cond_wait(&sf_cv, &sf_mu);
	pthread_mutex_unlock(&sf_mu);
	return (int)syscall(SYS_syncfs, fd);
}

#define TP_MAXKEYS	512
#define TP_MAXSTAMPS	4096

struct tp_key {
	char	 key[64];
	char	 val[256];	/* map values: "k=v;k2=v2" */
	int32_t	 rc;
	int	 calls;
	int	 fail_first;	/* answer XS_ERR_UNAVAILABLE this often */
};

/* The test provider's script and counters. */
static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct tp_key	 keys[TP_MAXKEYS];
	int		 nkeys;
	int		 get_calls, map_calls, find_calls;
	int		 auth_calls, close_calls, validate_calls;
	int32_t		 auth_rc;
	int		 auth_fail_gets;	/* gets answering XS_ERR_AUTH */
	int		 sleep_ms;
	int64_t		 stamps[TP_MAXSTAMPS];
	int		 nstamps;
	char		 order[64][64];
	int		 norder;
	int		 block;		/* get_secret waits while set */
	int		 blocked;	/* callers waiting */
	struct reconciler *watch;	/* its shared fetches are counted */
	size_t		 max_fetches;	/* the most seen at a call */
} tp;

static const struct xs_host *H;
static char tmpdir[128];
static int ndir;

struct tp_client {
	const struct xs_host	*host;
};

static void
tp_reset(void)
{
	pthread_mutex_lock(&tp.mu);
	tp.nkeys = 0;
	tp.get_calls = tp.map_calls = tp.find_calls = 0;
	tp.auth_calls = tp.close_calls = tp.validate_calls = 0;
	tp.auth_rc = XS_OK;
	tp.auth_fail_gets = 0;
	tp.sleep_ms = 0;
	tp.nstamps = 0;
	tp.norder = 0;
	tp.block = 0;
	tp.blocked = 0;
	tp.watch = NULL;
	tp.max_fetches = 0;
	pthread_mutex_unlock(&tp.mu);
}

static struct tp_key *
tp_find(const char *key)
{
	int	 i;

	for (i = 0; i < tp.nkeys; i++)
		if (strcmp(tp.keys[i].key, key) == 0)
			return &tp.keys[i];
	return NULL;
}

/* Sets key to a value (rc XS_OK) or to an error status. */
static void
tp_set(const char *key, const char *val, int32_t rc)
{
	struct tp_key	*k;

	pthread_mutex_lock(&tp.mu);
	if ((k = tp_find(key)) == NULL && tp.nkeys < TP_MAXKEYS) {
		k = &tp.keys[tp.nkeys++];
		memset(k, 0, sizeof(*k));
		snprintf(k->key, sizeof(k->key), "%s", key);
	}
	if (k != NULL) {
		snprintf(k->val, sizeof(k->val), "%s", val ? val : "");
		k->rc = rc;
	}
	pthread_mutex_unlock(&tp.mu);
}

static int
tp_calls(const char *key)
{
	struct tp_key	*k;
	int		 n;

	pthread_mutex_lock(&tp.mu);
	n = (k = tp_find(key)) != NULL ? k->calls : 0;
	pthread_mutex_unlock(&tp.mu);
	return n;
}

static int32_t
tp_validate(const struct xs_host *host, const struct xs_store *st,
    struct xs_diag *d)
{
	const struct xs_value	*cfg = host->store_config(st);

	pthread_mutex_lock(&tp.mu);
	tp.validate_calls++;
	pthread_mutex_unlock(&tp.mu);
	if (host->value_get(cfg, "invalid") != NULL) {
		host->error(d, "the store says it is invalid");
		return XS_ERR_INVALID;
	}
	return XS_OK;
}

static int32_t
tp_auth(const struct xs_host *host, const struct xs_store *st,
    void **client, struct xs_diag *d)
{
	struct tp_client	*c;
	int32_t			 rc;

	pthread_mutex_lock(&tp.mu);
	tp.auth_calls++;
	rc = tp.auth_rc;
	pthread_mutex_unlock(&tp.mu);
	if (rc != XS_OK) {
		host->error(d, "bad credentials");
		return rc;
	}
	if ((c = host->calloc(1, sizeof(*c))) == NULL)
		return XS_ERR_NOMEM;
	c->host = host;
	*client = c;
	return XS_OK;
}

static void
tp_close(void *client)
{
	struct tp_client	*c = client;

	pthread_mutex_lock(&tp.mu);
	tp.close_calls++;
	pthread_mutex_unlock(&tp.mu);
	c->host->free(c);
}

/* Common entry of every fetch: counts, records, blocks, sleeps. */
static int32_t
tp_enter(const char *key, int *count, struct tp_key *out)
{
	struct timespec	 ts;
	struct tp_key	*k;
	int		 sleep_ms;
	size_t		 nf = 0;

	if (tp.watch != NULL) {
		pthread_mutex_lock(&tp.watch->fetch_lock);
		nf = tp.watch->nfetches;
		pthread_mutex_unlock(&tp.watch->fetch_lock);
	}
	pthread_mutex_lock(&tp.mu);
	if (nf > tp.max_fetches)
		tp.max_fetches = nf;
	(*count)++;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (tp.nstamps < TP_MAXSTAMPS)
		tp.stamps[tp.nstamps++] = (int64_t)ts.tv_sec * 1000 +
		    ts.tv_nsec / 1000000;
	if (tp.norder < 64)
		snprintf(tp.order[tp.norder++], sizeof(tp.order[0]), "%s",
		    key);
	while (tp.block) {
		tp.blocked++;
		pthread_cond_broadcast(&tp.cv);
		pthread_cond_wait(&tp.cv, &tp.mu);
		tp.blocked--;
	}
	if (tp.auth_fail_gets > 0) {
		tp.auth_fail_gets--;
		pthread_mutex_unlock(&tp.mu);
		return XS_ERR_AUTH;
	}
	sleep_ms = tp.sleep_ms;
	if ((k = tp_find(key)) != NULL) {
		k->calls++;
		*out = *k;
		if (k->fail_first > 0) {
			k->fail_first--;
			out->rc = XS_ERR_UNAVAILABLE;
		}
	} else {
		memset(out, 0, sizeof(*out));
		out->rc = XS_ERR_NOT_FOUND;
	}
	pthread_mutex_unlock(&tp.mu);
	if (sleep_ms > 0)
		usleep((useconds_t)sleep_ms * 1000);
	return out->rc;
}

static int32_t
tp_get(void *client, const struct xs_remote_ref *ref, struct xs_result *r,
    struct xs_diag *d)
{
	struct tp_client	*c = client;
	struct tp_key		 k;
	int32_t			 rc;

	if ((rc = tp_enter(ref->key, &tp.get_calls, &k)) != XS_OK) {
		c->host->error(d, "key %s: status %d", ref->key, rc);
		return rc;
	}
	return c->host->result_set(r, (const uint8_t *)k.val, strlen(k.val));
}

static int32_t
tp_get_map(void *client, const struct xs_remote_ref *ref,
    struct xs_result *r, struct xs_diag *d)
{
	struct tp_client	*c = client;
	struct tp_key		 k;
	char			*p, *eq, *save = NULL;
	int32_t			 rc;

	if ((rc = tp_enter(ref->key, &tp.map_calls, &k)) != XS_OK) {
		c->host->error(d, "key %s: status %d", ref->key, rc);
		return rc;
	}
	for (p = strtok_r(k.val, ";", &save); p != NULL;
	    p = strtok_r(NULL, ";", &save)) {
		if ((eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		rc = c->host->result_put(r, p, (const uint8_t *)eq + 1,
		    strlen(eq + 1));
		if (rc != XS_OK)
			return rc;
	}
	return XS_OK;
}

static int32_t
tp_find_secrets(void *client, const struct xs_find *f, struct xs_result *r,
    struct xs_diag *d)
{
	struct tp_client	*c = client;
	regex_t			 re;
	int			 i;
	int32_t			 rc = XS_OK;
	size_t			 nf = 0;

	if (tp.watch != NULL) {
		pthread_mutex_lock(&tp.watch->fetch_lock);
		nf = tp.watch->nfetches;
		pthread_mutex_unlock(&tp.watch->fetch_lock);
	}
	pthread_mutex_lock(&tp.mu);
	if (nf > tp.max_fetches)
		tp.max_fetches = nf;
	tp.find_calls++;
	if (f->name_regexp != NULL &&
	    regcomp(&re, f->name_regexp, REG_EXTENDED | REG_NOSUB) != 0) {
		pthread_mutex_unlock(&tp.mu);
		c->host->error(d, "bad regexp");
		return XS_ERR_INVALID;
	}
	for (i = 0; i < tp.nkeys && rc == XS_OK; i++) {
		if (tp.keys[i].rc != XS_OK || (f->name_regexp != NULL &&
		    regexec(&re, tp.keys[i].key, 0, NULL, 0) != 0))
			continue;
		rc = c->host->result_put(r, tp.keys[i].key,
		    (const uint8_t *)tp.keys[i].val, strlen(tp.keys[i].val));
	}
	if (f->name_regexp != NULL)
		regfree(&re);
	pthread_mutex_unlock(&tp.mu);
	return rc;
}

static const struct xs_provider tp_desc = {
	.abi_major = XS_ABI_MAJOR,
	.abi_minor = XS_ABI_MINOR,
	.size = sizeof(struct xs_provider),
	.default_rate = 0,
	.name = "test",
	.version = "1",
	.validate_store = tp_validate,
	.auth = tp_auth,
	.get_secret = tp_get,
	.get_secret_map = tp_get_map,
	.close = tp_close,
	.find_secrets = tp_find_secrets,
};

static struct provider tp_mod = { "/nonexistent/test.so", &tp_desc };
static struct provider_set tp_set_ = { &tp_mod, 1 };

/* One reconciler over a fresh output directory. */
struct fixture {
	struct reconciler	*r;
	struct target_root	*root;
	char			 out[256];
	char			 status[256];
};

static const char STORE[] =
    "apiVersion: external-secrets.io/v1\n"
    "kind: SecretStore\n"
    "metadata: {name: s, namespace: default}\n"
    "spec: {provider: {test: {}}}\n";

static struct manifest_set *
load(const char *yaml)
{
	struct manifest_set	*set;
	char			 buf[256];
	size_t			 i;

	set = manifest_load_buffer("test.yaml", yaml, strlen(yaml));
	if (set == NULL)
		return NULL;
	for (i = 0; i < set->nerrors; i++)
		printf("# manifest: %s\n", manifest_error_str(&set->errors[i],
		    buf, sizeof(buf)));
	return set;
}

/*
 * A reconciler over a fresh output directory, or over out (a directory
 * an earlier fixture used) to play a restart.
 */
static void
fx_open_at(struct fixture *fx, int concurrency, const char *out,
    int writers)
{
	struct reconcile_config	 cfg;
	char			 err[256];

	memset(fx, 0, sizeof(*fx));
	ndir++;
	if (out != NULL)
		snprintf(fx->out, sizeof(fx->out), "%s", out);
	else
		snprintf(fx->out, sizeof(fx->out), "%s/out%d", tmpdir, ndir);
	snprintf(fx->status, sizeof(fx->status), "%s/status%d.json", tmpdir,
	    ndir);
	if ((fx->root = target_open(fx->out, err, sizeof(err))) == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = H;
	cfg.providers = &tp_set_;
	cfg.targets = fx->root;
	cfg.status_file = fx->status;
	cfg.concurrency = concurrency;
	cfg.writers = writers;
	if ((fx->r = reconcile_new(&cfg, err, sizeof(err))) == NULL) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
}

static void
fx_open(struct fixture *fx, int concurrency)
{
	fx_open_at(fx, concurrency, NULL, 0);
}

static void
fx_open_writers(struct fixture *fx, int concurrency, int writers)
{
	fx_open_at(fx, concurrency, NULL, writers);
}

static void
fx_close(struct fixture *fx)
{
	reconcile_free(fx->r);
	target_close(fx->root);
}

/*
 * Copies the status of kind ns/name into *out; 1 found, 0 not.  Its
 * strings live in the snapshot, which is kept until the next call.
 */
static int
status_of(struct fixture *fx, const char *kind, const char *ns,
    const char *name, struct status_entry *out)
{
	static struct status_entry	*v;
	size_t				 n, i;
	int				 found = 0;

	free(v);
	if (reconcile_status(fx->r, &v, &n) == -1) {
		v = NULL;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(v[i].kind, kind) == 0 && strcmp(v[i].ns, ns) == 0 &&
		    strcmp(v[i].name, name) == 0) {
			*out = v[i];
			found = 1;
		}
	}
	return found;
}

/*
 * The status of ExternalSecret ns/name, in a static entry whose message is
 * a static copy: it outlives the snapshot, so that two calls can stand in
 * one expression.
 */
static const struct status_entry *
es_status(struct fixture *fx, const char *ns, const char *name)
{
	static struct status_entry	 st;
	static char			 msg[STATUS_MSG_MAX];

	if (!status_of(fx, "ExternalSecret", ns, name, &st)) {
		memset(&st, 0, sizeof(st));
		st.message = "(none)";
		st.reason = "(none)";
	}
	snprintf(msg, sizeof(msg), "%s", st.message);
	st.message = msg;
	return &st;
}

#define es_message(fx, ns, name)	(es_status(fx, ns, name)->message)
#define es_reason(fx, ns, name)		(es_status(fx, ns, name)->reason)

/* The value of key in target ns/name, in a static buffer; NULL if none. */
static const char *
tval(struct fixture *fx, const char *ns, const char *name, const char *key)
{
	static char		 buf[512];
	struct target_data	 d;
	char			 err[256];
	const char		*ret = NULL;
	size_t			 i;

	if (target_read(fx->root, ns, name, &d, err, sizeof(err)) !=
	    TARGET_OK)
		return NULL;
	for (i = 0; i < d.nitems; i++) {
		if (strcmp(d.items[i].key, key) == 0) {
			snprintf(buf, sizeof(buf), "%.*s", (int)d.items[i].len,
			    (const char *)d.items[i].data);
			ret = buf;
		}
	}
	target_data_free(&d);
	return ret;
}

static int
tkeys(struct fixture *fx, const char *ns, const char *name)
{
	struct target_data	 d;
	char			 err[256];
	int			 n;

	if (target_read(fx->root, ns, name, &d, err, sizeof(err)) !=
	    TARGET_OK)
		return -1;
	n = (int)d.nitems;
	target_data_free(&d);
	return n;
}

/* Where ..data points: changes only when the target is rewritten. */
static const char *
tversion(struct fixture *fx, const char *ns, const char *name)
{
	static char	 buf[PATH_MAX];
	char		 path[PATH_MAX];
	ssize_t		 n;

	snprintf(path, sizeof(path), "%s/%s/%s/..data", fx->out, ns, name);
	if ((n = readlink(path, buf, sizeof(buf) - 1)) < 0)
		return "";
	buf[n] = '\0';
	return buf;
}

/* An ExternalSecret document with one data[] entry per key in keys. */
static char *
es_doc(const char *ns, const char *name, const char *spec_extra,
    const char *data)
{
	static char	 buf[8192];

	snprintf(buf, sizeof(buf),
	    "---\napiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\n"
	    "metadata: {name: %s, namespace: %s}\n"
	    "spec:\n"
	    "  secretStoreRef: {name: s}\n"
	    "%s"
	    "%s", name, ns, spec_extra ? spec_extra : "", data);
	return buf;
}

static char *
cat(const char *a, const char *b)
{
	char	*s;

	if (asprintf(&s, "%s%s", a, b) == -1)
		exit(1);
	return s;
}

/* Appends doc to the manifest text *y (reallocated). */
static void
append(char **y, const char *doc)
{
	char	*z = cat(*y, doc);

	free(*y);
	*y = z;
}

static int
once(struct fixture *fx, const char *yaml)
{
	reconcile_apply(fx->r, load(yaml));
	return reconcile_once(fx->r);
}

#define DATA1(k) "  data:\n  - secretKey: v\n    remoteRef: {key: " k "}\n"

static void
test_owner_basic(void)
{
	struct fixture	 fx;
	char		*y, ver[PATH_MAX], owner[320];
	int		 creation;

	tp_reset();
	tp_set("k1", "one", XS_OK);
	fx_open(&fx, 2);
	y = cat(STORE, es_doc("default", "a", NULL, DATA1("k1")));
	reconcile_apply(fx.r, load(y));
	is_int(reconcile_metrics_ready(fx.r), 0,
	    "readyz: not ready before the first round");
	is_int(reconcile_once(fx.r), 0, "owner: every ExternalSecret ready");
	is_int(reconcile_metrics_ready(fx.r), 1,
	    "readyz: ready after the first round");
	is_int(sched_len(fx.r->sched), 1,
	    "once: the object is back on the timer after the round");
	is_str(tval(&fx, "default", "a", "v"), "one", "owner: value written");
	is_str(es_reason(&fx, "default", "a"), REASON_SYNCED,
	    "owner: reason SecretSynced");
	is_str(es_message(&fx, "default", "a"), "secret synced",
	    "owner: message");
	ok(target_owner(fx.root, "default", "a", owner, sizeof(owner),
	    &creation) == TARGET_OK && strcmp(owner, "default/a") == 0 &&
	    creation == CREATE_OWNER,
	    "owner: ..owner names the ExternalSecret");
	snprintf(ver, sizeof(ver), "%s", tversion(&fx, "default", "a"));

	/* Same content: no write. */
	is_int(reconcile_once(fx.r), 0, "owner: second round ready");
	is_str(tversion(&fx, "default", "a"), ver,
	    "owner: unchanged content is not rewritten");
	is_int(tp_calls("k1"), 2, "owner: one provider call per round");

	/* New content: written. */
	tp_set("k1", "two", XS_OK);
	reconcile_once(fx.r);
	is_str(tval(&fx, "default", "a", "v"), "two", "owner: change written");
	ok(strcmp(tversion(&fx, "default", "a"), ver) != 0,
	    "owner: changed content gets a new data directory");

	/* Provider failure: last good value kept, status says why. */
	tp_set("k1", NULL, XS_ERR_UNAVAILABLE);
	is_int(reconcile_once(fx.r), 1, "error: counted as not ready");
	is_str(tval(&fx, "default", "a", "v"), "two",
	    "error: last good value kept");
	is_str(es_message(&fx, "default", "a"),
	    "could not get secret data from provider",
	    "error: ESO's stable message");
	fx_close(&fx);
	free(y);
}

static void
test_refresh_policies(void)
{
	struct fixture	 fx;
	char		*y, dir[256];

	tp_reset();
	tp_set("co", "first", XS_OK);
	fx_open(&fx, 1);
	y = cat(STORE, es_doc("default", "co", "  refreshPolicy: "
	    "CreatedOnce\n", DATA1("co")));
	is_int(once(&fx, y), 0, "CreatedOnce: created");
	tp_set("co", "second", XS_OK);
	is_int(reconcile_once(fx.r), 0, "CreatedOnce: still ready");
	is_str(tval(&fx, "default", "co", "v"), "first",
	    "CreatedOnce: not updated after the first success");
	is_int(tp_calls("co"), 1, "CreatedOnce: no call after it");
	fx_close(&fx);

	/* A restart finds the target it created. */
	snprintf(dir, sizeof(dir), "%s", fx.out);
	fx_open_at(&fx, 1, dir, 0);
	is_int(once(&fx, y), 0, "CreatedOnce: ready after a restart");
	is_int(tp_calls("co"), 1, "CreatedOnce: no call after a restart");
	fx_close(&fx);
	free(y);
}

static void
test_all_or_nothing(void)
{
	struct fixture	 fx;
	char		*y;

	tp_reset();
	tp_set("x", "1", XS_OK);
	tp_set("y", "2", XS_OK);
	fx_open(&fx, 2);
	y = cat(STORE, es_doc("default", "a", NULL,
	    "  data:\n"
	    "  - secretKey: x\n    remoteRef: {key: x}\n"
	    "  - secretKey: y\n    remoteRef: {key: y}\n"));
	once(&fx, y);
	tp_set("x", "10", XS_OK);
	tp_set("y", NULL, XS_ERR_DENIED);
	reconcile_once(fx.r);
	is_str(tval(&fx, "default", "a", "x"), "1",
	    "all-or-nothing: a good key is not written when another fails");
	is_str(tval(&fx, "default", "a", "y"), "2",
	    "all-or-nothing: the failing key keeps its value");
	fx_close(&fx);
	free(y);
}

static void
test_deletion_policies(void)
{
	struct fixture	 fx;
	char		*y, *z;
	const char	*two =
	    "  data:\n"
	    "  - secretKey: x\n    remoteRef: {key: dx}\n"
	    "  - secretKey: y\n    remoteRef: {key: dy}\n";

	tp_reset();
	tp_set("dx", "1", XS_OK);
	tp_set("dy", "2", XS_OK);
	fx_open(&fx, 2);
	y = cat(STORE, es_doc("default", "ret", NULL, two));
	z = cat(y, es_doc("default", "del", "  target: {deletionPolicy: "
	    "Delete}\n", two));
	free(y);
	y = cat(z, es_doc("default", "mrg", "  target: {deletionPolicy: "
	    "Merge}\n", two));
	free(z);
	is_int(once(&fx, y), 0, "deletion: first sync");

	/* One of two remote secrets gone. */
	tp_set("dy", NULL, XS_ERR_NOT_FOUND);
	reconcile_once(fx.r);
	is_str(tval(&fx, "default", "ret", "y"), "2",
	    "Retain: target kept when a remote secret is gone");
	is_str(es_message(&fx, "default", "ret"),
	    "could not get secret data from provider",
	    "Retain: not found is an error");
	is_str(tval(&fx, "default", "del", "y"), "2",
	    "Delete: target kept while only part is gone");
	is_str(es_reason(&fx, "default", "del"), REASON_SYNC_ERROR,
	    "Delete: part gone is an error");
	is_int(tkeys(&fx, "default", "mrg"), 1,
	    "Merge: the missing key is dropped");
	is_str(tval(&fx, "default", "mrg", "x"), "1",
	    "Merge: the other key stays");

	/* All gone. */
	tp_set("dx", NULL, XS_ERR_NOT_FOUND);
	reconcile_once(fx.r);
	is_int(tkeys(&fx, "default", "del"), -1,
	    "Delete: target deleted when all remote data is gone");
	is_str(es_reason(&fx, "default", "del"), REASON_DELETED,
	    "Delete: reason SecretDeleted");
	is_str(es_message(&fx, "default", "del"),
	    "secret deleted due to DeletionPolicy=Delete", "Delete: message");
	is_str(tval(&fx, "default", "ret", "x"), "1",
	    "Retain: target kept when all is gone");
	fx_close(&fx);
	free(y);
}

static void
test_creation_policies(void)
{
	struct fixture		 fx;
	struct target_data	 td;
	struct result_item	 it;
	char			*y, *z, err[256], owner[320];
	int			 changed, creation;

	tp_reset();
	tp_set("c", "val", XS_OK);
	fx_open(&fx, 2);
	y = cat(STORE, es_doc("default", "orphan", "  target: "
	    "{creationPolicy: Orphan}\n", DATA1("c")));
	z = cat(y, es_doc("default", "merge", "  target: "
	    "{creationPolicy: Merge}\n", DATA1("c")));
	free(y);
	y = cat(z, es_doc("default", "com", "  target: "
	    "{creationPolicy: CreateOrMerge}\n", DATA1("c")));
	free(z);
	z = cat(y, es_doc("default", "none", "  target: "
	    "{creationPolicy: None}\n", DATA1("c")));
	free(y);
	y = cat(z, es_doc("default", "owner", NULL, DATA1("c")));
	free(z);

	is_int(once(&fx, y), 1, "creation: only Merge not ready");
	is_str(tval(&fx, "default", "orphan", "v"), "val", "Orphan: created");
	ok(target_owner(fx.root, "default", "orphan", owner, sizeof(owner),
	    &creation) == TARGET_OK && creation == CREATE_ORPHAN,
	    "Orphan: recorded as Orphan");
	is_int(tkeys(&fx, "default", "merge"), -1, "Merge: never creates");
	is_str(es_reason(&fx, "default", "merge"), REASON_MISSING,
	    "Merge: reason SecretMissing");
	is_str(es_message(&fx, "default", "merge"),
	    "secret will not be created due to CreationPolicy=Merge",
	    "Merge: message");
	is_str(tval(&fx, "default", "com", "v"), "val",
	    "CreateOrMerge: created when absent");
	is_int(tkeys(&fx, "default", "none"), -1, "None: nothing written");
	is_str(es_reason(&fx, "default", "none"), REASON_SYNCED,
	    "None: ready");

	/* Merge into an existing target keeps its other keys. */
	it.key = (char *)"other";
	it.data = (uint8_t *)"keep";
	it.len = 4;
	td.items = &it;
	td.nitems = 1;
	target_write(fx.root, "default", "merge", &td, &changed, err,
	    sizeof(err));
	is_int(reconcile_once(fx.r), 0, "Merge: ready once the target exists");
	is_str(tval(&fx, "default", "merge", "v"), "val", "Merge: key merged");
	is_str(tval(&fx, "default", "merge", "other"), "keep",
	    "Merge: existing key kept");

	/* Removal: Owner target deleted, Orphan kept. */
	reconcile_apply(fx.r, load(STORE));
	is_int(tkeys(&fx, "default", "owner"), -1,
	    "Owner: target deleted with its ExternalSecret");
	is_str(tval(&fx, "default", "orphan", "v"), "val",
	    "Orphan: target kept after its ExternalSecret went");
	is_str(tval(&fx, "default", "merge", "other"), "keep",
	    "Merge: target kept after its ExternalSecret went");
	fx_close(&fx);
	free(y);
}

static void
test_removals(void)
{
	struct fixture	 fx;
	char		*y, *z, *w, dir[256];

	tp_reset();
	tp_set("r", "1", XS_OK);
	fx_open(&fx, 1);
	y = cat(STORE, es_doc("default", "mv", "  target: {name: t1}\n",
	    DATA1("r")));
	z = cat(y, es_doc("default", "orph", "  target: {creationPolicy: "
	    "Orphan}\n", DATA1("r")));
	free(y);
	y = cat(z, es_doc("default", "own", NULL, DATA1("r")));
	once(&fx, y);
	free(z);
	/* z: mv moved to t2, orph kept, own gone (for the restarts). */
	z = cat(STORE, es_doc("default", "mv", "  target: {name: t2}\n",
	    DATA1("r")));
	w = cat(z, es_doc("default", "orph", "  target: {creationPolicy: "
	    "Orphan}\n", DATA1("r")));
	free(z);
	z = w;
	w = cat(z, es_doc("default", "own", NULL, DATA1("r")));
	once(&fx, w);
	free(w);
	is_int(tkeys(&fx, "default", "t1"), -1,
	    "rename: the old Owner target is deleted");
	is_str(tval(&fx, "default", "t2", "v"), "1",
	    "rename: the new target is written");
	is_str(tval(&fx, "default", "own", "v"), "1",
	    "removal: set up a target for the restart test");
	fx_close(&fx);

	/* A restart without "own": its Owner target is swept. */
	snprintf(dir, sizeof(dir), "%s", fx.out);
	fx_open_at(&fx, 1, dir, 0);
	free(y);
	y = cat(z, "---\nkind: [broken\n");
	reconcile_apply(fx.r, load(y));
	is_str(tval(&fx, "default", "own", "v"), "1",
	    "unreadable document: no target is swept");
	reconcile_apply(fx.r, load(z));
	is_int(tkeys(&fx, "default", "own"), -1,
	    "sweep: an Owner target of a vanished ExternalSecret is deleted "
	    "on the first clean apply after a start");
	is_str(tval(&fx, "default", "orph", "v"), "1",
	    "sweep: Orphan targets stay");
	is_str(tval(&fx, "default", "t2", "v"), "1",
	    "sweep: targets of present ExternalSecrets stay");
	fx_close(&fx);
	free(y);
	free(z);
}

static void
test_ownership_immutable(void)
{
	struct fixture	 fx;
	char		*y, *z;

	tp_reset();
	tp_set("o", "1", XS_OK);
	fx_open(&fx, 1);
	y = cat(STORE, es_doc("default", "first", NULL, DATA1("o")));
	once(&fx, y);
	z = cat(y, es_doc("default", "second", "  target: {name: first}\n",
	    DATA1("o")));
	once(&fx, z);
	is_str(es_message(&fx, "default", "second"),
	    "target is owned by another ExternalSecret",
	    "ownership: a target owned by another ExternalSecret is refused");
	free(y);
	free(z);
	fx_close(&fx);

	fx_open(&fx, 1);
	y = cat(STORE, es_doc("default", "imm", "  target: {immutable: true}"
	    "\n", DATA1("o")));
	is_int(once(&fx, y), 0, "immutable: first write");
	tp_set("o", "2", XS_OK);
	is_int(reconcile_once(fx.r), 1, "immutable: change refused");
	is_str(es_message(&fx, "default", "imm"),
	    "could not update secret, target is immutable",
	    "immutable: message");
	is_str(tval(&fx, "default", "imm", "v"), "1",
	    "immutable: content unchanged");
	tp_set("o", "1", XS_OK);
	is_int(reconcile_once(fx.r), 0, "immutable: same content is fine");
	free(y);
	fx_close(&fx);
}

static void
test_data_from(void)
{
	struct fixture	 fx;
	char		*y, *z;

	tp_reset();
	tp_set("m", "db/user=u;db/pass=p;caf\xc3\xa9=c", XS_OK);
	tp_set("b64", "aGVsbG8=", XS_OK);
	tp_set("b64url", "aGk_Pz8-", XS_OK);
	tp_set("plain", "not base64!", XS_OK);
	fx_open(&fx, 2);
	y = cat(STORE, es_doc("default", "conv", NULL,
	    "  dataFrom:\n  - extract: {key: m}\n"));
	z = cat(y, es_doc("default", "uni", NULL,
	    "  dataFrom:\n  - extract: {key: m, conversionStrategy: "
	    "Unicode}\n"));
	free(y);
	y = cat(z, es_doc("default", "rw", NULL,
	    "  dataFrom:\n  - extract: {key: m}\n    rewrite:\n"
	    "    - regexp: {source: \"^db/(.*)\", target: \"app-${1}\"}\n"
	    "    - regexp: {source: \"caf.*\", target: \"coffee\"}\n"));
	free(z);
	z = cat(y, es_doc("default", "dec", NULL,
	    "  data:\n"
	    "  - secretKey: a\n    remoteRef: {key: b64, decodingStrategy: "
	    "Base64}\n"
	    "  - secretKey: b\n    remoteRef: {key: b64url, "
	    "decodingStrategy: Base64URL}\n"
	    "  - secretKey: c\n    remoteRef: {key: b64, decodingStrategy: "
	    "Auto}\n"
	    "  - secretKey: d\n    remoteRef: {key: plain, decodingStrategy: "
	    "Auto}\n"
	    "  - secretKey: e\n    remoteRef: {key: b64}\n"));
	free(y);
	y = cat(z, es_doc("default", "badb64", NULL,
	    "  data:\n  - secretKey: a\n    remoteRef: {key: plain, "
	    "decodingStrategy: Base64}\n"));
	free(z);
	z = cat(y, es_doc("default", "badkey", NULL,
	    "  dataFrom:\n  - extract: {key: m}\n    rewrite:\n"
	    "    - regexp: {source: \"^db/\", target: \"x/\"}\n"));
	free(y);
	y = z;
	z = cat(y, es_doc("default", "find", NULL,
	    "  dataFrom:\n  - find: {name: {regexp: \"^b64\"}}\n"));
	free(y);
	once(&fx, z);

	is_str(tval(&fx, "default", "conv", "db_user"), "u",
	    "extract: Default conversion of /");
	is_str(tval(&fx, "default", "conv", "caf_"), "c",
	    "extract: Default conversion of a multibyte character");
	is_str(tval(&fx, "default", "uni", "caf_U00e9_"), "c",
	    "extract: Unicode conversion");
	is_str(tval(&fx, "default", "rw", "app-user"), "u",
	    "rewrite: ${1} substitution");
	is_str(tval(&fx, "default", "rw", "coffee"), "c",
	    "rewrite: applied in order");
	is_int(tkeys(&fx, "default", "rw"), 3, "rewrite: three keys");
	is_str(tval(&fx, "default", "dec", "a"), "hello", "decoding: Base64");
	is_str(tval(&fx, "default", "dec", "b"), "hi?\?\?>",
	    "decoding: Base64URL");
	is_str(tval(&fx, "default", "dec", "c"), "hello", "decoding: Auto");
	is_str(tval(&fx, "default", "dec", "d"), "not base64!",
	    "decoding: Auto keeps what is not base64");
	is_str(tval(&fx, "default", "dec", "e"), "aGVsbG8=", "decoding: None");
	is_str(es_reason(&fx, "default", "badb64"), REASON_SYNC_ERROR,
	    "decoding: Base64 of a non-base64 value fails");
	is_str(tval(&fx, "default", "find", "b64url"), "aGk_Pz8-",
	    "find: matching secrets become keys");
	is_int(tkeys(&fx, "default", "find"), 2, "find: only the matches");
	is_int(tp_calls("m"), 1,
	    "dedup: four extracts of one key share one call");
	is_str(es_reason(&fx, "default", "badkey"), REASON_SYNC_ERROR,
	    "rewrite: an invalid resulting key fails the sync");
	is_int(tkeys(&fx, "default", "badkey"), -1,
	    "rewrite: nothing written for an invalid key");
	fx_close(&fx);
	free(z);
}

static void
test_transforms(void)
{
	struct rewrite	 rw[2];
	static char	 big[64 * 1024];
	char		*s, err[128];
	uint8_t		*out;
	size_t		 len;

	rw[0].source = (char *)"a";
	rw[0].target = (char *)"<$0>";
	s = reconcile_rewrite(rw, 1, "banana", err, sizeof(err));
	is_str(s, "b<a>n<a>n<a>", "rewrite: every match replaced, $0");
	free(s);
	rw[0].source = (char *)"x*";
	rw[0].target = (char *)"-";
	s = reconcile_rewrite(rw, 1, "abc", err, sizeof(err));
	is_str(s, "-a-b-c-", "rewrite: empty matches as Go does");
	free(s);
	rw[0].source = (char *)"^(.)(.)";
	rw[0].target = (char *)"$2$1$$${9}$x";
	s = reconcile_rewrite(rw, 1, "ab-c", err, sizeof(err));
	is_str(s, "ba$-c", "rewrite: $$, unmatched and named groups");
	free(s);
	rw[0].source = (char *)"$";
	rw[0].target = (char *)"-x";
	s = reconcile_rewrite(rw, 1, "ab", err, sizeof(err));
	is_str(s, "ab-x", "rewrite: an empty match at the end");
	free(s);
	rw[0].source = (char *)"b*$";
	rw[0].target = (char *)"<$0>";
	s = reconcile_rewrite(rw, 1, "abb", err, sizeof(err));
	is_str(s, "a<bb>", "rewrite: no empty match right after a match");
	free(s);
	rw[0].source = (char *)"(";
	s = reconcile_rewrite(rw, 1, "abc", err, sizeof(err));
	ok(s == NULL, "rewrite: a bad regexp is an error");
	free(s);
	rw[0].source = (char *)"^";
	rw[0].target = (char *)"p-";
	rw[1].source = (char *)"-$";
	rw[1].target = (char *)"";
	s = reconcile_rewrite(rw, 2, "k-", err, sizeof(err));
	is_str(s, "p-k", "rewrite: anchors and order");
	free(s);
	rw[0].source = (char *)".";
	rw[0].target = (char *)"$0$0";
	s = reconcile_rewrite(rw, 1, "abcdefgh", err, sizeof(err));
	is_str(s, "aabbccddeeffgghh", "rewrite: $0 twice doubles a key");
	free(s);
	rw[1] = rw[0];
	memset(big, 'k', 1500);		/* 3,000 after one, 6,000 after two */
	big[1500] = '\0';
	s = reconcile_rewrite(rw, 2, big, err, sizeof(err));
	ok(s == NULL && strstr(err, "key too long") != NULL,
	    "rewrite: a key grown past 4 KiB is refused (%s)", err);
	free(s);
	rw[0].target = (char *)"";
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = reconcile_rewrite(rw, 1, big, err, sizeof(err));
	ok(s == NULL && strstr(err, "key longer than") != NULL,
	    "rewrite: a 64 KiB key is refused before any match (%s)", err);
	free(s);
	s = reconcile_rewrite(rw, 0, big, err, sizeof(err));
	ok(s != NULL && strlen(s) == sizeof(big) - 1,
	    "rewrite: none asked, any key passes");
	free(s);

	s = reconcile_convert(CONVERT_DEFAULT, "a/b c.d-e_f");
	is_str(s, "a_b_c.d-e_f", "convert: Default");
	free(s);
	s = reconcile_convert(CONVERT_UNICODE, "a/\xe2\x82\xac");
	is_str(s, "a_U002f__U20ac_", "convert: Unicode");
	free(s);

	ok(reconcile_decode(H, DECODE_BASE64URL, (const uint8_t *)"-_8=", 4,
	    &out, &len) == 0 && len == 2 && out[0] == 0xfb && out[1] == 0xff,
	    "decode: Base64URL");
	xs_secure_free(out);
	ok(reconcile_decode(H, DECODE_AUTO, (const uint8_t *)"a b", 3, &out,
	    &len) == 0 && len == 3 && memcmp(out, "a b", 3) == 0,
	    "decode: Auto keeps what is not base64");
	xs_secure_free(out);
	ok(reconcile_decode(H, DECODE_BASE64, (const uint8_t *)"!!", 2, &out,
	    &len) == -1, "decode: Base64 refuses garbage");
	xs_secure_free(out);
}

static void
test_stores(void)
{
	struct fixture		 fx;
	struct status_entry	 st;
	char			*y;
	const char		*css =
	    "---\napiVersion: external-secrets.io/v1\n"
	    "kind: ClusterSecretStore\n"
	    "metadata: {name: cs}\n"
	    "spec:\n  provider: {test: {}}\n"
	    "  conditions:\n  - namespaces: [allowed]\n"
	    "  - namespaceRegexes: [\"^team-\"]\n"
	    "  - namespaceSelector: {matchLabels: {tier: gold}}\n"
	    "---\napiVersion: v1\nkind: Namespace\n"
	    "metadata: {name: golden, labels: {tier: gold}}\n"
	    "---\napiVersion: external-secrets.io/v1\n"
	    "kind: SecretStore\n"
	    "metadata: {name: other, namespace: elsewhere}\n"
	    "spec: {provider: {test: {}}}\n"
	    "---\napiVersion: external-secrets.io/v1\n"
	    "kind: SecretStore\n"
	    "metadata: {name: broken, namespace: default}\n"
	    "spec: {provider: {test: {invalid: yes}}}\n"
	    "---\napiVersion: external-secrets.io/v1\n"
	    "kind: SecretStore\n"
	    "metadata: {name: ali, namespace: default}\n"
	    "spec: {provider: {alibaba: {}}}\n";
	const char	*cref = "  data:\n  - secretKey: v\n    remoteRef: "
	    "{key: k}\n";
	char		 doc[512];
	const char	*nss[] = { "allowed", "team-a", "golden", "denied" };
	size_t		 i;
	char		*z;

	tp_reset();
	tp_set("k", "v", XS_OK);
	fx_open(&fx, 2);
	y = cat(STORE, css);
	for (i = 0; i < 4; i++) {
		snprintf(doc, sizeof(doc),
		    "---\napiVersion: external-secrets.io/v1\n"
		    "kind: ExternalSecret\n"
		    "metadata: {name: e, namespace: %s}\n"
		    "spec:\n  secretStoreRef: {name: cs, kind: "
		    "ClusterSecretStore}\n%s", nss[i], cref);
		z = cat(y, doc);
		free(y);
		y = z;
	}
	z = cat(y, "---\napiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\n"
	    "metadata: {name: cross, namespace: default}\n"
	    "spec:\n  secretStoreRef: {name: other}\n"
	    "  data:\n  - secretKey: v\n    remoteRef: {key: k}\n");
	free(y);
	y = cat(z, "---\napiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\n"
	    "metadata: {name: inv, namespace: default}\n"
	    "spec:\n  secretStoreRef: {name: broken}\n"
	    "  data:\n  - secretKey: v\n    remoteRef: {key: k}\n"
	    "---\napiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\n"
	    "metadata: {name: ali, namespace: default}\n"
	    "spec:\n  secretStoreRef: {name: ali}\n"
	    "  data:\n  - secretKey: v\n    remoteRef: {key: k}\n");
	free(z);
	is_int(once(&fx, y), 4, "stores: four not ready");
	is_str(tval(&fx, "allowed", "e", "v"), "v",
	    "conditions: namespaces[] admits");
	is_str(tval(&fx, "team-a", "e", "v"), "v",
	    "conditions: namespaceRegexes admits");
	is_str(tval(&fx, "golden", "e", "v"), "v",
	    "conditions: namespaceSelector admits");
	is_int(tkeys(&fx, "denied", "e"), -1,
	    "conditions: other namespaces get nothing");
	is_str(es_message(&fx, "denied", "e"),
	    "namespace denied is not allowed by ClusterSecretStore cs "
	    "conditions", "conditions: message");
	is_int(tkeys(&fx, "default", "cross"), -1,
	    "namespaced store: not found from another namespace");
	is_str(es_message(&fx, "default", "cross"),
	    "SecretStore \"other\" not found",
	    "namespaced store: message");
	is_str(es_reason(&fx, "default", "inv"), REASON_SYNC_ERROR,
	    "invalid store: error");
	ok(status_of(&fx, "SecretStore", "default", "broken", &st) &&
	    st.ready == 0 && strcmp(st.reason, REASON_INVALID_CONFIG) == 0 &&
	    strcmp(st.message, "unable to validate store") == 0,
	    "invalid store: InvalidProviderConfig");
	is_str(es_message(&fx, "default", "ali"),
	    "provider \"alibaba\" is not loaded", "missing provider: message");
	ok(status_of(&fx, "SecretStore", "default", "ali", &st) &&
	    st.ready == 0 && strcmp(st.reason, REASON_UNKNOWN) == 0,
	    "missing provider: store ValidationUnknown");
	ok(status_of(&fx, "SecretStore", "default", "s", &st) &&
	    st.ready == 1 && strcmp(st.reason, REASON_VALID) == 0,
	    "store: Valid");
	is_int(tp.get_calls, 1, "stores: refused syncs call nothing, the "
	    "three admitted ones share one call");
	fx_close(&fx);
	free(y);
}

static void
test_controller_class(void)
{
	struct fixture		 fx;
	struct status_entry	 st;
	char			*y;

	tp_reset();
	tp_set("k", "v", XS_OK);
	fx_open(&fx, 1);
	y = cat("apiVersion: external-secrets.io/v1\n"
	    "kind: SecretStore\n"
	    "metadata: {name: s, namespace: default}\n"
	    "spec: {controller: other, provider: {test: {}}}\n",
	    es_doc("default", "theirs", NULL, DATA1("k")));
	is_int(once(&fx, y), 0,
	    "controller: another class's objects are not counted");
	is_int(tp.get_calls + tp.validate_calls, 0,
	    "controller: another class's store is not used");
	ok(!status_of(&fx, "ExternalSecret", "default", "theirs", &st) &&
	    !status_of(&fx, "SecretStore", "default", "s", &st),
	    "controller: another class's objects are not reported");
	is_int(tkeys(&fx, "default", "theirs"), -1,
	    "controller: nothing written");
	fx_close(&fx);
	free(y);
}

static char *
many(int nes, int nkeys, const char *store_doc)
{
	char	*y, data[128], name[32];
	int	 i;

	y = cat(store_doc, "");
	for (i = 0; i < nes; i++) {
		snprintf(name, sizeof(name), "es%d", i);
		snprintf(data, sizeof(data), "  data:\n  - secretKey: v\n"
		    "    remoteRef: {key: key%d}\n", i % nkeys);
		append(&y, es_doc("default", name, NULL, data));
	}
	return y;
}

/*
 * A changed Secret rebuilds the clients of the stores that may read it:
 * the SecretStores of its namespace and the ClusterSecretStores, and no
 * other.  An unchanged reload rebuilds none.
 */
#define CS_STORES							\
    "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\n"	\
    "metadata: {name: s, namespace: a}\n"				\
    "spec: {provider: {test: {}}}\n"					\
    "---\napiVersion: external-secrets.io/v1\nkind: SecretStore\n"	\
    "metadata: {name: s, namespace: b}\n"				\
    "spec: {provider: {test: {}}}\n"					\
    "---\napiVersion: external-secrets.io/v1\n"				\
    "kind: ClusterSecretStore\n"					\
    "metadata: {name: cs}\n"						\
    "spec: {provider: {test: {}}}\n"					\
    "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"	\
    "metadata: {name: ea, namespace: a}\n"				\
    "spec:\n  secretStoreRef: {name: s}\n" DATA1("k")			\
    "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"	\
    "metadata: {name: eb, namespace: b}\n"				\
    "spec:\n  secretStoreRef: {name: s}\n" DATA1("k")			\
    "---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"	\
    "metadata: {name: ec, namespace: a}\n"				\
    "spec:\n  secretStoreRef: {name: cs, kind: ClusterSecretStore}\n"	\
    DATA1("k")
#define CS_SECRET(ns, v)						\
    "---\napiVersion: v1\nkind: Secret\n"				\
    "metadata: {name: creds, namespace: " ns "}\n"			\
    "stringData: {id: " v "}\n"

static void
test_client_secrets(void)
{
	struct fixture	 fx;
	const char	*base = CS_STORES CS_SECRET("a", "one")
			    CS_SECRET("b", "two");

	tp_reset();
	tp_set("k", "v", XS_OK);
	fx_open(&fx, 2);
	is_int(once(&fx, base), 0, "client secrets: first round");
	is_int(tp.auth_calls, 3, "client secrets: a client per store");
	is_int(once(&fx, base), 0, "client secrets: unchanged reload");
	is_int(tp.auth_calls, 3, "client secrets: no client rebuilt");
	is_int(once(&fx, CS_STORES CS_SECRET("a", "one")
	    CS_SECRET("b", "changed")), 0, "client secrets: b's Secret "
	    "changed");
	is_int(tp.auth_calls, 5, "client secrets: the store of b and the "
	    "cluster store rebuilt, not the store of a");
	is_int(tp.close_calls, 2, "client secrets: their old clients closed");
	is_int(once(&fx, CS_STORES CS_SECRET("a", "one")
	    CS_SECRET("b", "changed") CS_SECRET("c", "new")), 0,
	    "client secrets: a Secret added in a namespace without a store");
	is_int(tp.auth_calls, 6, "client secrets: only the cluster store "
	    "rebuilt");
	is_int(once(&fx, CS_STORES CS_SECRET("b", "changed")
	    CS_SECRET("c", "new")), 0, "client secrets: a's Secret removed");
	is_int(tp.auth_calls, 8, "client secrets: the store of a and the "
	    "cluster store rebuilt");
	fx_close(&fx);
}

static void
test_dedup(void)
{
	struct fixture	 fx;
	char		*y, key[16];
	int		 i;

	tp_reset();
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		tp_set(key, key, XS_OK);
	}
	tp.sleep_ms = 2;
	fx_open(&fx, 4);
	y = many(100, 10, STORE);
	is_int(once(&fx, y), 0, "dedup: 100 ExternalSecrets synced");
	is_int(tp.get_calls, 10, "dedup: 100 ExternalSecrets on 10 keys, "
	    "10 calls");
	is_int(tp.auth_calls, 1, "clients: one auth for the store");
	is_int(reconcile_once(fx.r), 0, "dedup: second round");
	is_int(tp.get_calls, 20, "dedup: 10 more calls in the next round");
	is_int(tp.auth_calls, 1, "clients: reused across rounds");
	fx_close(&fx);
	is_int(tp.close_calls, 1, "clients: closed once at the end");
	free(y);
}

/*
 * A shared result goes once it has served every fetch the manifests make
 * of it: one worker syncing objects of distinct keys never holds more
 * than the result it is fetching, and objects sharing keys still share
 * one call per key whatever the order.
 */
static void
test_fetch_release(void)
{
	struct fixture	 fx;
	char		*y, *z, key[32], data[256];
	int		 i;

	tp_reset();
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		tp_set(key, key, XS_OK);
	}
	fx_open(&fx, 1);
	tp.watch = fx.r;
	y = many(20, 20, STORE);
	is_int(once(&fx, y), 0, "release: 20 objects of distinct keys");
	is_int(tp.get_calls, 20, "release: one call each");
	is_int((int)tp.max_fetches, 1, "release: each result freed by its "
	    "only reader");
	free(y);

	tp.get_calls = 0;
	tp.max_fetches = 0;
	y = many(30, 3, STORE);
	reconcile_apply(fx.r, load(y));
	is_int(reconcile_once(fx.r), 0, "release: 30 objects on 3 keys");
	is_int(tp.get_calls, 3, "release: still one call a key");
	ok(tp.max_fetches <= 3, "release: at most the 3 shared results held "
	    "(%zu)", tp.max_fetches);
	free(y);

	/* Every kind of fetch is counted in the plan as it is made. */
	tp.max_fetches = 0;
	y = cat(STORE, "");
	for (i = 0; i < 4; i++) {
		snprintf(data, sizeof(data), "  dataFrom:\n"
		    "  - extract: {key: key%d, version: v1}\n"
		    "  - find: {name: {regexp: \"^key%d$\"}, path: p,"
		    " tags: {env: t%d}}\n"
		    "  data:\n  - secretKey: v\n"
		    "    remoteRef: {key: key1%d, property: p%d}\n",
		    i, i, i, i, i);
		snprintf(key, sizeof(key), "mixed%d", i);
		z = cat(y, es_doc("default", key, NULL, data));
		free(y);
		y = z;
	}
	tp_set("key0", "a=1", XS_OK);
	tp_set("key1", "b=2", XS_OK);
	tp_set("key2", "c=3", XS_OK);
	tp_set("key3", "d=4", XS_OK);
	reconcile_apply(fx.r, load(y));
	is_int(reconcile_once(fx.r), 0, "release: extract, find and data");
	is_int((int)tp.max_fetches, 1, "release: each freed by its reader");
	tp.watch = NULL;
	fx_close(&fx);
	free(y);
}

static void *
once_thread(void *arg)
{
	struct fixture	*fx = arg;

	return (void *)(intptr_t)reconcile_once(fx->r);
}

/*
 * The writer: while a barrier is held (a slow disk), the workers go on
 * fetching every ExternalSecret, and once it is let go the writes land in
 * a few batches, two syncfs each, not two per target.
 */
static void
test_group_commit(void)
{
	struct fixture	 fx;
	pthread_t	 t;
	void		*ret;
	char		*y, key[16], path[PATH_MAX + 32];
	int		 i, fetched, found = 0, calls;

	tp_reset();
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		tp_set(key, key, XS_OK);
	}
	fx_open(&fx, 8);
	y = many(200, 200, STORE);
	reconcile_apply(fx.r, load(y));
	pthread_mutex_lock(&sf_mu);
	sf_hold = 1;
	sf_calls = 0;
	pthread_mutex_unlock(&sf_mu);
	pthread_create(&t, NULL, once_thread, &fx);
	for (i = 0; i < 1000; i++) {
		pthread_mutex_lock(&tp.mu);
		fetched = tp.get_calls;
		pthread_mutex_unlock(&tp.mu);
		if (fetched == 200)
			break;
		usleep(10000);
	}
	is_int(fetched, 200, "writer: every fetch made while a write waits "
	    "for the disk");
	pthread_mutex_lock(&sf_mu);
	sf_hold = 0;
	pthread_cond_broadcast(&sf_cv);
	pthread_mutex_unlock(&sf_mu);
	pthread_join(t, &ret);
	is_int((int)(intptr_t)ret, 0, "writer: all 200 synced");
	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "%s/default/es%d/v", fx.out, i);
		found += access(path, F_OK) == 0;
	}
	is_int(found, 200, "writer: every target written");
	pthread_mutex_lock(&sf_mu);
	calls = sf_calls;
	pthread_mutex_unlock(&sf_mu);
	ok(calls >= 2 && calls <= 10, "writer: 200 targets made durable "
	    "with %d syncfs calls", calls);
	fx_close(&fx);
	free(y);
}

/*
 * Several writers: each target belongs to one of them, so that merges of
 * many ExternalSecrets into one target, all in flight at once, keep every
 * key.  Writers chosen by anything but the target would lose some.
 */
static void
test_writers(void)
{
	struct fixture	 fx;
	char		*y, name[32], data[160];
	int		 i, found = 0;

	tp_reset();
	tp_set("k", "v", XS_OK);
	fx_open_writers(&fx, 8, 4);
	y = cat(STORE, "");
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		snprintf(data, sizeof(data), "  target: {name: shared, "
		    "creationPolicy: CreateOrMerge}\n  data:\n"
		    "  - secretKey: k%d\n    remoteRef: {key: k}\n", i);
		append(&y, es_doc("default", name, NULL, data));
		snprintf(name, sizeof(name), "own%d", i);
		append(&y, es_doc("default", name, NULL, DATA1("k")));
	}
	is_int(once(&fx, y), 0, "writers: 120 synced by 4 writers");
	is_int(tkeys(&fx, "default", "shared"), 60,
	    "writers: 60 merges into one target keep every key");
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "own%d", i);
		found += tval(&fx, "default", name, "v") != NULL;
	}
	is_int(found, 60, "writers: every other target written");
	fx_close(&fx);
	free(y);
}

/* ASan's count of live heap bytes, when the program runs under it. */
extern size_t __sanitizer_get_current_allocated_bytes(void)
    __attribute__((weak));

/* Live heap bytes: ASan's count under ASan, else glibc's. */
static size_t
heap_bytes(void)
{
	struct mallinfo2	mi;

	if (__sanitizer_get_current_allocated_bytes != NULL)
		return __sanitizer_get_current_allocated_bytes();
	mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

/*
 * Long runs: two thousand rounds with half of the fetches failing, and the
 * live heap after the last is what it was after the hundredth.
 */
static void
test_memory_flat(void)
{
	struct fixture	 fx;
	char		*y, key[16];
	size_t		 m1, m2;
	int		 i, notready = 0;

	tp_reset();
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		tp_set(key, key, i % 2 ? XS_ERR_UNAVAILABLE : XS_OK);
	}
	fx_open(&fx, 4);
	fx.r->cfg.status_file = NULL;	/* an fsync a round: too slow */
	y = many(20, 20, STORE);
	reconcile_apply(fx.r, load(y));
	for (i = 0; i < 100; i++)
		notready += reconcile_once(fx.r);
	m1 = heap_bytes();
	for (i = 0; i < 1900; i++)
		notready += reconcile_once(fx.r);
	m2 = heap_bytes();
	is_int(notready, 2000 * 10, "long run: half of the syncs fail, every "
	    "round");
	ok(m2 < m1 + 64 * 1024, "long run: the heap stays flat over 1900 "
	    "rounds (%zu -> %zu bytes)", m1, m2);
	is_int(tp.get_calls, 2000 * 20, "long run: every round fetched");
	fx_close(&fx);
	free(y);
}

/*
 * A shared result serves a fetch only while it is younger than the
 * fetching object's refresh interval: three objects read key k, so the
 * plan keeps its result for all three; the second, 150 ms later with a
 * 100 ms interval, fetches afresh; the third, with 1h, shares.
 */
static void
test_shared_age(void)
{
	struct fixture		 fx;
	struct xs_remote_ref	 ref;
	struct rc_fetch		*f;
	char			*y, err[256];

	tp_reset();
	tp_set("k", "v", XS_OK);
	fx_open(&fx, 1);
	y = cat(STORE, es_doc("default", "a", NULL, DATA1("k")));
	append(&y, es_doc("default", "b", NULL, DATA1("k")));
	append(&y, es_doc("default", "c", NULL, DATA1("k")));
	reconcile_apply(fx.r, load(y));
	memset(&ref, 0, sizeof(ref));
	ref.size = sizeof(ref);
	ref.key = "k";
	reconcile_fetch(fx.r, fx.r->stores, CALL_GET, &ref, NULL, 3600000,
	    &f, err, sizeof(err));
	reconcile_fetch_release(fx.r, f);
	usleep(150000);
	reconcile_fetch(fx.r, fx.r->stores, CALL_GET, &ref, NULL, 100, &f,
	    err, sizeof(err));
	reconcile_fetch_release(fx.r, f);
	is_int(tp_calls("k"), 2, "age: a result older than the refresh "
	    "interval is fetched again");
	reconcile_fetch(fx.r, fx.r->stores, CALL_GET, &ref, NULL, 3600000,
	    &f, err, sizeof(err));
	reconcile_fetch_release(fx.r, f);
	is_int(tp_calls("k"), 2, "age: a fresh one is shared");
	fx_close(&fx);
	free(y);
}

/* Makes key fail its next n calls with XS_ERR_UNAVAILABLE. */
static void
tp_fail_first(const char *key, int n)
{
	struct tp_key	*k;

	pthread_mutex_lock(&tp.mu);
	if ((k = tp_find(key)) != NULL)
		k->fail_first = n;
	pthread_mutex_unlock(&tp.mu);
}

/*
 * spec.retrySettings: a transient failure is retried maxRetries times,
 * retryInterval apart; a permanent one is not; without the setting a
 * failure is not retried within the sync.
 */
static void
test_retry_settings(void)
{
	struct fixture	 fx;
	char		*y;
	int64_t		 gap;
	const char	*store =
	    "apiVersion: external-secrets.io/v1\n"
	    "kind: SecretStore\n"
	    "metadata: {name: s, namespace: default}\n"
	    "spec:\n  provider: {test: {}}\n"
	    "  retrySettings: {maxRetries: 2, retryInterval: 100ms}\n";

	tp_reset();
	tp_set("flaky", "ok", XS_OK);
	tp_set("gone", NULL, XS_ERR_NOT_FOUND);
	tp_fail_first("flaky", 2);
	fx_open(&fx, 1);
	y = cat(store, es_doc("default", "a", NULL, DATA1("flaky")));
	is_int(once(&fx, y), 0, "retry: two failures, then synced");
	is_int(tp_calls("flaky"), 3, "retry: three calls in one sync");
	gap = tp.nstamps >= 3 ? tp.stamps[2] - tp.stamps[1] : 0;
	ok(gap >= 90, "retry: retryInterval apart (%lld ms)", (long long)gap);
	tp_fail_first("flaky", 3);
	is_int(reconcile_once(fx.r), 1, "retry: three failures: not synced");
	is_int(tp_calls("flaky"), 6, "retry: at most maxRetries retries");
	free(y);

	y = cat(store, es_doc("default", "b", NULL, DATA1("gone")));
	reconcile_apply(fx.r, load(y));
	reconcile_once(fx.r);
	is_int(tp_calls("gone"), 1, "retry: a missing secret is not retried");
	fx_close(&fx);
	free(y);

	tp_reset();
	tp_set("flaky", "ok", XS_OK);
	tp_fail_first("flaky", 1);
	fx_open(&fx, 1);
	y = cat(STORE, es_doc("default", "a", NULL, DATA1("flaky")));
	is_int(once(&fx, y), 1, "retry: none without retrySettings");
	is_int(tp_calls("flaky"), 1, "retry: one call");
	fx_close(&fx);
	free(y);
}

static void
test_rate_limit(void)
{
	struct fixture	 fx;
	char		*y, key[16];
	const char	*store =
	    "apiVersion: external-secrets.io/v1\n"
	    "kind: SecretStore\n"
	    "metadata:\n  name: s\n  namespace: default\n"
	    "  annotations: {xsecrets.io/rate-limit: \"20\", "
	    "xsecrets.io/rate-burst: \"2\"}\n"
	    "spec: {provider: {test: {}}}\n";
	int		 i, j, worst, inwin;

	tp_reset();
	for (i = 0; i < 30; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		tp_set(key, "v", XS_OK);
	}
	fx_open(&fx, 8);
	y = many(30, 30, store);
	is_int(once(&fx, y), 0, "rate: 30 syncs");
	/*
	 * At most rate * window + burst calls start in any 500 ms window;
	 * the provider's clock is read a little later, which may bring one
	 * more into a window (under valgrind, which runs one thread at a
	 * time).  Without the limit, all 30 fall into one.
	 */
	worst = 0;
	for (i = 0; i < tp.nstamps; i++) {
		inwin = 0;
		for (j = i; j < tp.nstamps; j++)
			if (tp.stamps[j] - tp.stamps[i] < 500)
				inwin++;
		if (inwin > worst)
			worst = inwin;
	}
	printf("# busiest 500 ms window: %d calls\n", worst);
	ok(worst <= 20 / 2 + 2 + 1, "rate: never above 20/s with burst 2");
	ok(tp.stamps[tp.nstamps - 1] - tp.stamps[0] >= (30 - 2) * 1000 / 20 -
	    50, "rate: 30 calls take at least (30 - burst) / 20 s");
	fx_close(&fx);
	free(y);
}

static void
test_backoff(void)
{
	struct externalsecret	 es;
	int64_t			 t, due, cap;
	int			 calls, f;

	memset(&es, 0, sizeof(es));
	es.ns = (char *)"default";
	es.name = (char *)"daily";
	es.refresh_ms = 24LL * 3600 * 1000;
	es.refresh_policy = REFRESH_PERIODIC;
	cap = es.refresh_ms;
	/* A daily secret failing for 10 days. */
	t = 0;
	calls = 0;
	for (f = 1; t < 10 * cap; f++) {
		due = reconcile_next_due(&es, 0, f, t);
		if (due - t > cap)
			break;
		t = due;
		calls++;
	}
	ok(due - t <= cap, "backoff: never longer than the refresh interval");
	ok(calls <= 10 + 16, "backoff: a failing daily secret costs about "
	    "one call a day (%d in 10 days)", calls);
	es.refresh_ms = 60000;
	ok(reconcile_next_due(&es, 0, 30, 0) <= 60000,
	    "backoff: capped by a short refresh interval");
	ok(reconcile_next_due(&es, 0, 1, 0) >= BACKOFF_BASE_MS,
	    "backoff: first retry after the base delay");
	due = reconcile_next_due(&es, 1, 0, 1000);
	ok(due >= 61000 && due <= 61000 + 6000,
	    "refresh: interval plus at most a tenth of jitter");
	is_int(reconcile_next_due(&es, 1, 0, 1000),
	    reconcile_next_due(&es, 1, 0, 1000),
	    "refresh: jitter deterministic");
	es.refresh_policy = REFRESH_ONCHANGE;
	is_int(reconcile_next_due(&es, 1, 0, 0), -1,
	    "OnChange: not scheduled after a success");
	es.refresh_policy = REFRESH_PERIODIC;
	es.refresh_ms = 0;
	is_int(reconcile_next_due(&es, 1, 0, 0), -1,
	    "refreshInterval 0: synced once");
}

static void
wait_blocked(int n)
{
	pthread_mutex_lock(&tp.mu);
	while (tp.blocked < n)
		pthread_cond_wait(&tp.cv, &tp.mu);
	pthread_mutex_unlock(&tp.mu);
}

static void
unblock(void)
{
	pthread_mutex_lock(&tp.mu);
	tp.block = 0;
	pthread_cond_broadcast(&tp.cv);
	pthread_mutex_unlock(&tp.mu);
}

/* Waits (bounded) until cond holds; 1 when it did. */
#define WAIT_FOR(cond) ({						\
	int n_ = 0;							\
	while (!(cond) && n_++ < 1000)					\
		usleep(10000);						\
	(cond);								\
})

static int
get_calls(void)
{
	int	 n;

	pthread_mutex_lock(&tp.mu);
	n = tp.get_calls;
	pthread_mutex_unlock(&tp.mu);
	return n;
}

static void
test_urgent_first(void)
{
	struct fixture	 fx;
	char		*y, *z;
	const char	*fast = "  refreshInterval: 50ms\n";
	int		 i, first;

	tp_reset();
	tp_set("p", "v", XS_OK);
	tp_set("new", "v", XS_OK);
	fx_open(&fx, 1);
	y = cat(STORE, es_doc("default", "p1", fast, DATA1("p")));
	append(&y, es_doc("default", "p2", fast, DATA1("p")));
	append(&y, es_doc("default", "p3", fast, DATA1("p")));
	reconcile_apply(fx.r, load(y));
	reconcile_start(fx.r);
	ok(WAIT_FOR(get_calls() >= 3), "urgent: periodic objects run");

	/* Hold the only worker while the periodic ones fall due. */
	pthread_mutex_lock(&tp.mu);
	tp.block = 1;
	pthread_mutex_unlock(&tp.mu);
	wait_blocked(1);
	usleep(300000);
	z = cat(y, es_doc("default", "fresh", "  refreshInterval: 1h\n",
	    DATA1("new")));
	reconcile_apply(fx.r, load(z));
	pthread_mutex_lock(&tp.mu);
	first = tp.norder;
	pthread_mutex_unlock(&tp.mu);
	unblock();
	ok(WAIT_FOR(tp_calls("new") == 1), "urgent: new object synced");
	reconcile_stop(fx.r);
	/* order[first - 1] is the blocked call; the next one is urgent. */
	ok(first < 64 && strcmp(tp.order[first], "new") == 0,
	    "urgent: a new object goes ahead of due periodic ones "
	    "(next call: %s)", first < 64 ? tp.order[first] : "?");
	for (i = 0; i < tp.norder && i < 8; i++)
		printf("# call %d: %s\n", i, tp.order[i]);
	fx_close(&fx);
	free(y);
	free(z);
}

static void
test_apply_in_flight(void)
{
	struct fixture	 fx;
	char		*y, *z, *w;

	tp_reset();
	tp_set("old", "o", XS_OK);
	tp_set("newk", "n", XS_OK);
	tp_set("gone", "g", XS_OK);
	tp_set("back", "b", XS_OK);
	fx_open(&fx, 3);
	pthread_mutex_lock(&tp.mu);
	tp.block = 1;
	pthread_mutex_unlock(&tp.mu);
	y = cat(STORE, es_doc("default", "chg", "  refreshInterval: 1h\n",
	    DATA1("old")));
	w = cat(y, es_doc("default", "rm", "  refreshInterval: 1h\n",
	    DATA1("gone")));
	z = cat(w, es_doc("default", "back", "  refreshInterval: 1h\n",
	    DATA1("back")));
	free(w);
	reconcile_apply(fx.r, load(z));
	reconcile_start(fx.r);
	wait_blocked(3);

	/* All are in a provider call: change one, remove the other two,
	 * then bring one of those back. */
	free(y);
	y = cat(STORE, es_doc("default", "chg", "  refreshInterval: 1h\n",
	    DATA1("newk")));
	reconcile_apply(fx.r, load(y));
	w = cat(y, es_doc("default", "back", "  refreshInterval: 1h\n",
	    DATA1("back")));
	reconcile_apply(fx.r, load(w));
	free(w);
	unblock();
	ok(WAIT_FOR(tp_calls("newk") == 1), "in flight: change not lost");
	ok(WAIT_FOR(tkeys(&fx, "default", "rm") == -1),
	    "in flight: a removed Owner target is deleted after the write");
	ok(WAIT_FOR(tval(&fx, "default", "chg", "v") != NULL &&
	    strcmp(tval(&fx, "default", "chg", "v"), "n") == 0),
	    "in flight: the new spec wins");
	ok(WAIT_FOR(tval(&fx, "default", "back", "v") != NULL),
	    "in flight: removed and back again: target written");
	usleep(200000);
	reconcile_stop(fx.r);
	is_str(tval(&fx, "default", "back", "v"), "b",
	    "in flight: removed and back again: target kept");
	is_str(es_reason(&fx, "default", "back"), REASON_SYNCED,
	    "in flight: removed and back again: still reported");
	is_int(tp_calls("old"), 1, "in flight: old spec fetched once");
	is_int(tp_calls("newk"), 1, "in flight: new spec fetched once");
	is_int(tp_calls("gone"), 1, "in flight: removed one not retried");
	fx_close(&fx);
	free(y);
	free(z);
}

struct once_arg {
	struct fixture	*fx;
	int		 notready;
};

static void *
once_main(void *arg)
{
	struct once_arg	*oa = arg;

	oa->notready = reconcile_once(oa->fx->r);
	return NULL;
}

/*
 * reconcile_once writes the status file once, when its round is over:
 * while a sync is held in the provider for several debounce periods, no
 * file appears.
 */
static void
test_once_status(void)
{
	struct fixture	 fx;
	struct once_arg	 oa;
	pthread_t	 t;
	char		*y;
	int		 during;

	tp_reset();
	tp_set("key0", "v", XS_OK);
	tp_set("key1", "v", XS_OK);
	fx_open(&fx, 2);
	y = many(20, 2, STORE);
	reconcile_apply(fx.r, load(y));
	pthread_mutex_lock(&tp.mu);
	tp.block = 1;
	pthread_mutex_unlock(&tp.mu);
	oa.fx = &fx;
	oa.notready = -1;
	if (pthread_create(&t, NULL, once_main, &oa) != 0) {
		printf("Bail out! pthread_create\n");
		exit(1);
	}
	wait_blocked(1);
	usleep(STATUS_DEBOUNCE_MS * 4 * 1000);
	during = access(fx.status, F_OK) == 0;
	unblock();
	pthread_join(t, NULL);
	ok(!during, "once: no status file while the round runs");
	is_int(oa.notready, 0, "once: the round syncs every object");
	ok(access(fx.status, F_OK) == 0, "once: status file written at "
	    "the end");
	is_str(es_reason(&fx, "default", "es19"), REASON_SYNCED,
	    "once: status after the round");
	fx_close(&fx);
	free(y);
}

static void
test_auth(void)
{
	struct fixture		 fx;
	struct status_entry	 st;
	char			*y, key[16];
	int			 i;

	tp_reset();
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		tp_set(key, "v", XS_OK);
	}
	tp.auth_rc = XS_ERR_AUTH;
	fx_open(&fx, 4);
	y = many(5, 5, STORE);
	is_int(once(&fx, y), 5, "auth: failing auth fails every sync");
	is_int(tp.auth_calls, 1, "auth: one attempt for all (single flight)");
	ok(status_of(&fx, "SecretStore", "default", "s", &st) &&
	    strcmp(st.message, "unable to create client") == 0,
	    "auth: store says unable to create client");
	fx_close(&fx);

	tp_reset();
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		tp_set(key, "v", XS_OK);
	}
	fx_open(&fx, 1);
	is_int(once(&fx, y), 0, "reauth: synced");
	tp.auth_fail_gets = 1;
	is_int(reconcile_once(fx.r), 0, "reauth: expired credentials renewed");
	is_int(tp.auth_calls, 2, "reauth: one new client");
	is_int(tp.close_calls, 1, "reauth: the old client closed");
	fx_close(&fx);
	free(y);
}

static void
test_invalid_and_status(void)
{
	struct fixture	 fx;
	struct mbuf	 b;
	char		*y, *bad;
	FILE		*fp;
	char		 buf[65536];
	const char	*wp, *bp;
	size_t		 n;
	int		 nw = 0, nb = 0;

	tp_reset();
	tp_set("i", "good", XS_OK);
	fx_open(&fx, 1);
	y = cat(STORE, es_doc("default", "val", NULL, DATA1("i")));
	is_int(once(&fx, y), 0, "invalid: first a valid spec");
	bad = cat(STORE, es_doc("default", "val", "  target: "
	    "{creationPolicy: Bogus}\n", DATA1("i")));
	reconcile_apply(fx.r, load(bad));
	is_str(tval(&fx, "default", "val", "v"), "good",
	    "invalid: an invalid document does not delete the target");
	is_str(es_reason(&fx, "default", "val"), REASON_SYNC_ERROR,
	    "invalid: reported as SecretSyncedError");
	ok(strstr(es_message(&fx, "default", "val"), "creationPolicy") != NULL,
	    "invalid: the validation message names the field (%s)",
	    es_message(&fx, "default", "val"));
	is_int(reconcile_once(fx.r), 1, "invalid: counted as not ready");

	memset(&b, 0, sizeof(b));
	reconcile_metrics_render(&b, fx.r);
	ok(b.buf != NULL && strstr(b.buf,
	    "externalsecret_sync_calls_total{name=\"val\","
	    "namespace=\"default\"} 2") != NULL, "metrics: sync calls");
	ok(b.buf != NULL && strstr(b.buf,
	    "externalsecret_status_condition{name=\"val\","
	    "namespace=\"default\",condition=\"Ready\",status=\"False\"} 1")
	    != NULL, "metrics: status condition gauge");
	ok(b.buf != NULL && strstr(b.buf,
	    "externalsecret_provider_api_calls_count{call=\"GetSecret\","
	    "provider=\"test\",status=\"success\"} 2") != NULL,
	    "metrics: provider API calls");
	ok(b.buf != NULL && strstr(b.buf, "secretstore_status_condition{"
	    "condition=\"Ready\",name=\"s\",namespace=\"default\","
	    "status=\"True\"} 1") != NULL, "metrics: store condition");
	ok(b.buf != NULL && strstr(b.buf, "xsecrets_dedup_fetches_total") &&
	    strstr(b.buf, "xsecrets_credential_refreshes_total 1"),
	    "metrics: our own families");
	wp = b.buf != NULL ? strstr(b.buf, "\nxsecrets_target_writes_total ") :
	    NULL;
	bp = b.buf != NULL ?
	    strstr(b.buf, "\nxsecrets_target_write_batches_total ") : NULL;
	ok(wp != NULL && bp != NULL &&
	    sscanf(wp, "\nxsecrets_target_writes_total %d", &nw) == 1 &&
	    sscanf(bp, "\nxsecrets_target_write_batches_total %d", &nb) == 1 &&
	    nw >= 1 && nb >= 1 && nb <= nw,
	    "metrics: the writer's writes and batches");
	ok(b.buf != NULL && strstr(b.buf, "xsecrets_write_queue_depth 0"),
	    "metrics: an empty write queue");
	ok(b.buf != NULL && strstr(b.buf, "good") == NULL,
	    "metrics: no secret value");
	mbuf_free(&b);

	n = 0;
	if ((fp = fopen(fx.status, "r")) != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	ok(strstr(buf, "\"val\"") != NULL && strstr(buf, "good") == NULL,
	    "status file: written, without values");
	fx_close(&fx);
	free(y);
	free(bad);
}

int
main(void)
{
	struct host_config	 hc;
	char			 cmd[256];

	log_init(XS_LOG_ERROR, LOG_FORMAT_TEXT);
	pthread_mutex_init(&tp.mu, NULL);
	pthread_cond_init(&tp.cv, NULL);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_reconcile.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	memset(&hc, 0, sizeof(hc));
	H = host_init(&hc);

	test_transforms();
	test_backoff();
	test_owner_basic();
	test_all_or_nothing();
	test_refresh_policies();
	test_deletion_policies();
	test_creation_policies();
	test_ownership_immutable();
	test_removals();
	test_data_from();
	test_stores();
	test_controller_class();
	test_client_secrets();
	test_dedup();
	test_fetch_release();
	test_group_commit();
	test_writers();
	test_memory_flat();
	test_retry_settings();
	test_shared_age();
	test_rate_limit();
	test_auth();
	test_invalid_and_status();
	test_urgent_first();
	test_apply_in_flight();
	test_once_status();

	host_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove the temporary directory");
	return tap_done();
}
