/*
 * The load, contract and robustness groups: the checks that run provider
 * code.  Each group runs in its own child process (main.c), loads the module
 * itself with RTLD_NOW | RTLD_LOCAL as the daemon does, refuses it as the
 * daemon would, and drives it through the instrumented host of chost.c with
 * the fixtures the author wrote.
 *
 * Every provider call goes through call_end, which collects what the
 * contract says about any call: the code is a documented one, an error
 * carries a message, and no fixture secret shows in the message or in the
 * log.  Those findings are reported once, by the checks that own them.
 */
#include "config.h"

#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

#define THREADS		4
#define ALLOC_RUNS_MAX	5000
#define ENDPOINTS_MAX	64
#define FAULT_REQUESTS_MAX	5
#define TIMEOUT_MS_MAX	60000

static struct fixtures	 fx;
static const struct xs_host *host;
static const struct xs_provider *prov;

/* Findings of call_end, and which call first showed each. */
static char	 bad_code[256], no_message[256], leaked_secret[256];
static pthread_mutex_t call_mtx = PTHREAD_MUTEX_INITIALIZER;

static void
note(char *slot, size_t len, const char *what)
{
	pthread_mutex_lock(&call_mtx);
	if (slot[0] == '\0')
		snprintf(slot, len, "%s", what);
	pthread_mutex_unlock(&call_mtx);
}

static int
has_secret(const char *text)
{
	size_t	i;

	for (i = 0; i < fx.nsecret_words; i++)
		if (strstr(text, fx.secret_words[i]) != NULL)
			return 1;
	return 0;
}

/* Records what the contract says about every call; returns rc. */
static int32_t
call_end(const char *what, int32_t rc, const struct xs_diag *d)
{
	int	i;

	if (!status_valid(rc))
		note(bad_code, sizeof(bad_code), what);
	if (rc != XS_OK && d != NULL && d->error[0] == '\0')
		note(no_message, sizeof(no_message), what);
	if (d != NULL) {
		if (has_secret(d->error))
			note(leaked_secret, sizeof(leaked_secret), what);
		for (i = 0; i < d->nwarnings; i++)
			if (has_secret(d->warnings[i]))
				note(leaked_secret, sizeof(leaked_secret),
				    what);
	}
	return rc;
}

static void
log_scan(const char *line, void *arg)
{
	int	*found = arg;

	if (has_secret(line))
		*found = 1;
}

/*
 * Loads the module as the daemon does and checks the descriptor enough to
 * call it.  NULL with a reason when the daemon would refuse it.
 */
static const struct xs_provider *
load(const struct options *o, char *why, size_t len)
{
	xs_provider_entry_fn	 entry;
	const struct xs_provider *p;
	void			*h;

	if ((h = dlopen(o->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, len, "dlopen: %s", dlerror());
		return NULL;
	}
	*(void **)&entry = dlsym(h, XS_PROVIDER_ENTRY);
	if (entry == NULL) {
		snprintf(why, len, "no %s symbol", XS_PROVIDER_ENTRY);
		return NULL;
	}
	if ((p = entry()) == NULL) {
		snprintf(why, len, "%s returned NULL", XS_PROVIDER_ENTRY);
		return NULL;
	}
	if (p->abi_major != XS_ABI_MAJOR || p->abi_minor > XS_ABI_MINOR) {
		snprintf(why, len, "ABI %u.%u, the host is %d.%d",
		    p->abi_major, p->abi_minor, XS_ABI_MAJOR, XS_ABI_MINOR);
		return NULL;
	}
	if (p->size < sizeof(*p) || p->name == NULL ||
	    p->validate_store == NULL || p->auth == NULL ||
	    p->get_secret == NULL || p->close == NULL) {
		snprintf(why, len, "descriptor too small or incomplete");
		return NULL;
	}
	return p;
}

/* Sets up a group that runs provider code; 0, or -1 after skipping. */
static int
setup(const struct options *o, const char *const *ids)
{
	char	why[512];
	size_t	i;

	if (o->fixtures == NULL) {
		for (i = 0; ids[i] != NULL; i++)
			result_skip(ids[i], "no --fixtures file");
		return -1;
	}
	if (fixtures_load(o->fixtures, &fx, why, sizeof(why)) == -1 ||
	    (prov = load(o, why, sizeof(why))) == NULL) {
		for (i = 0; ids[i] != NULL; i++)
			result_skip(ids[i], "not loadable: %s", why);
		return -1;
	}
	if ((host = chost_init(&fx, o->seed)) == NULL) {
		for (i = 0; ids[i] != NULL; i++)
			result_skip(ids[i], "passthrough HTTP: libcurl "
			    "failed to initialise");
		return -1;
	}
	return 0;
}

static int
name_ok(const char *s)
{
	size_t	i;

	if (s == NULL || s[0] < 'a' || s[0] > 'z' || strlen(s) > 63)
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* What is wrong with a descriptor whose ABI is right, or NULL. */
static const char *
descriptor_fault(const struct xs_provider *p)
{
	size_t	i;

	if (p->size < sizeof(*p))
		return "size is smaller than struct xs_provider 1.0";
	if (!name_ok(p->name))
		return "name is not [a-z][a-z0-9-]{0,62}";
	if (p->version == NULL || p->version[0] == '\0')
		return "version is empty";
	if (p->validate_store == NULL || p->auth == NULL ||
	    p->get_secret == NULL || p->close == NULL)
		return "a required function is NULL";
	for (i = 0; p->endpoints != NULL && p->endpoints[i] != NULL; i++)
		if (i >= ENDPOINTS_MAX || p->endpoints[i][0] == '\0' ||
		    strstr(p->endpoints[i], "://") != NULL)
			return "endpoints: more than 64, empty or with a "
			    "scheme";
	return NULL;
}

/* The load group: LOAD-001 to LOAD-004. */
void
group_load(const struct options *o)
{
	xs_provider_entry_fn	 entry;
	const struct xs_provider *p;
	const char		*why;
	char			 base[PATH_MAX], *dot;
	void			*h;

	result_begin("LOAD-001");
	if ((h = dlopen(o->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		result_fail("LOAD-001", "dlopen: %s", dlerror());
		return;
	}
	*(void **)&entry = dlsym(h, XS_PROVIDER_ENTRY);
	if (entry == NULL || (p = entry()) == NULL || entry() != p) {
		result_fail("LOAD-001", "%s is missing, returns NULL or not "
		    "the same descriptor each time", XS_PROVIDER_ENTRY);
		return;
	}
	result_pass("LOAD-001");
	result_begin("LOAD-003");
	if (p->abi_major != XS_ABI_MAJOR || p->abi_minor > XS_ABI_MINOR) {
		result_fail("LOAD-003", "ABI %u.%u, the host is %d.%d: the "
		    "daemon refuses this module", p->abi_major, p->abi_minor,
		    XS_ABI_MAJOR, XS_ABI_MINOR);
		result_skip("LOAD-002", "ABI mismatch");
		result_skip("LOAD-004", "ABI mismatch");
		return;
	}
	result_pass("LOAD-003");
	result_begin("LOAD-002");
	if ((why = descriptor_fault(p)) != NULL) {
		result_fail("LOAD-002", "%s", why);
		result_skip("LOAD-004", "descriptor refused");
		return;
	}
	result_pass("LOAD-002");
	result_begin("LOAD-004");
	snprintf(base, sizeof(base), "%s", o->path);
	snprintf(base, sizeof(base), "%s", basename(base));
	if ((dot = strrchr(base, '.')) != NULL && strcmp(dot, ".so") == 0)
		*dot = '\0';
	if (strcmp(base, p->name) != 0)
		result_fail("LOAD-004", "name \"%s\" but the file is %s.so",
		    p->name, base);
	else
		result_pass("LOAD-004");
}

/*
 * Contract group.
 */
struct client {
	struct xs_store	 st;
	void		*c;
};

static struct client	*clients;

static struct client *
client_of(const char *store)
{
	size_t	i;

	for (i = 0; i < fx.nstores; i++)
		if (strcmp(fx.stores[i].name, store) == 0)
			return clients[i].c != NULL ? &clients[i] : NULL;
	return NULL;
}

static void
ref_of(const struct fx_secret *s, struct xs_remote_ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	ref->size = sizeof(*ref);
	ref->key = s->key;
	ref->property = s->property;
	ref->version = s->version;
}

/* Runs get_secret for s; 0 when the value is the expected one. */
static int
fetch(const struct fx_secret *s, char *why, size_t len)
{
	struct xs_remote_ref	 ref;
	struct xs_result	 r;
	struct xs_diag		 d;
	struct client		*c;
	int32_t			 rc;
	int			 ret = -1;

	if ((c = client_of(s->store)) == NULL) {
		snprintf(why, len, "store %s has no client", s->store);
		return -1;
	}
	ref_of(s, &ref);
	res_init(&r);
	diag_reset(&d);
	rc = call_end("get_secret", prov->get_secret(c->c, &ref, &r, &d), &d);
	if (rc != XS_OK)
		snprintf(why, len, "key %s: %s (%.200s)", s->key,
		    status_name(rc), d.error);
	else if (!r.has_value || r.len != s->len ||
	    memcmp(r.data, s->value, s->len) != 0)
		snprintf(why, len, "key %s: XS_OK but not the expected value",
		    s->key);
	else
		ret = 0;
	res_clear(&r);
	return ret;
}

/* Runs get_secret_map for s; 0 when the members are the expected ones. */
static int
fetch_map(const struct fx_secret *s, char *why, size_t len)
{
	struct xs_remote_ref	 ref;
	struct xs_result	 r;
	struct xs_diag		 d;
	struct client		*c;
	const char		*k, *want;
	size_t			 i, j, n, wlen;
	int32_t			 rc;
	int			 ret = -1;

	if ((c = client_of(s->store)) == NULL) {
		snprintf(why, len, "store %s has no client", s->store);
		return -1;
	}
	ref_of(s, &ref);
	res_init(&r);
	diag_reset(&d);
	rc = call_end("get_secret_map", prov->get_secret_map(c->c, &ref, &r,
	    &d), &d);
	n = tree_count(s->members);
	if (rc != XS_OK) {
		snprintf(why, len, "key %s: %s (%.200s)", s->key,
		    status_name(rc), d.error);
		goto out;
	}
	if (r.nitems != n) {
		snprintf(why, len, "key %s: %zu members, want %zu", s->key,
		    r.nitems, n);
		goto out;
	}
	for (i = 0; i < n; i++) {
		want = tree_string(tree_at(s->members, i, &k), &wlen);
		for (j = 0; j < r.nitems; j++)
			if (strcmp(r.keys[j], k) == 0)
				break;
		if (j == r.nitems || want == NULL || r.lens[j] != wlen ||
		    memcmp(r.values[j], want, wlen) != 0) {
			snprintf(why, len, "key %s: member %s missing or not "
			    "the expected value", s->key, k);
			goto out;
		}
	}
	ret = 0;
out:
	res_clear(&r);
	return ret;
}

#define FETCH_VALUES	1
#define FETCH_MAPS	2

/*
 * Fetches every existing secret of the kinds asked for once; 0 or -1 with
 * the first failure.
 */
static int
fetch_all(int kinds, char *why, size_t len)
{
	size_t	i;

	for (i = 0; i < fx.nsecrets; i++) {
		if (fx.secrets[i].map && (prov->get_secret_map == NULL ||
		    !(kinds & FETCH_MAPS)))
			continue;
		if (!fx.secrets[i].map && !(kinds & FETCH_VALUES))
			continue;
		if ((fx.secrets[i].map ? fetch_map(&fx.secrets[i], why, len) :
		    fetch(&fx.secrets[i], why, len)) == -1)
			return -1;
	}
	return 0;
}

/* Asks for every missing key; 0 when each is exactly XS_ERR_NOT_FOUND. */
static int
fetch_missing(char *why, size_t len)
{
	const struct fx_secret	*s;
	struct xs_remote_ref	 ref;
	struct xs_result	 r;
	struct xs_diag		 d;
	struct client		*c;
	size_t			 i;
	int32_t			 rc;

	for (i = 0; i < fx.nmissing; i++) {
		s = &fx.missing[i];
		if ((c = client_of(s->store)) == NULL) {
			snprintf(why, len, "store %s has no client", s->store);
			return -1;
		}
		ref_of(s, &ref);
		res_init(&r);
		diag_reset(&d);
		rc = call_end("get_secret", prov->get_secret(c->c, &ref, &r,
		    &d), &d);
		res_clear(&r);
		if (rc != XS_ERR_NOT_FOUND) {
			snprintf(why, len, "missing key %s: %s, want "
			    "NOT_FOUND", s->key, status_name(rc));
			return -1;
		}
	}
	return 0;
}

static uint64_t
digest(uint64_t h, const void *p, size_t len)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* Folds the code and data of one call of s into h. */
static uint64_t
digest_call(uint64_t h, const struct fx_secret *s)
{
	struct xs_remote_ref	 ref;
	struct xs_result	 r;
	struct xs_diag		 d;
	struct client		*c;
	size_t			 i;
	int32_t			 rc;

	if ((c = client_of(s->store)) == NULL ||
	    (s->map && prov->get_secret_map == NULL))
		return h;
	ref_of(s, &ref);
	res_init(&r);
	diag_reset(&d);
	if (s->map)
		rc = call_end("get_secret_map", prov->get_secret_map(c->c,
		    &ref, &r, &d), &d);
	else
		rc = call_end("get_secret", prov->get_secret(c->c, &ref, &r,
		    &d), &d);
	h = digest(h, &rc, sizeof(rc));
	if (r.has_value)
		h = digest(h, r.data, r.len);
	for (i = 0; i < r.nitems; i++) {
		h = digest(h, r.keys[i], strlen(r.keys[i]) + 1);
		h = digest(h, r.values[i], r.lens[i]);
	}
	res_clear(&r);
	return h;
}

/* A digest of the outcomes of every fixture call, to compare rounds. */
static uint64_t
digest_all(void)
{
	uint64_t	h = 0xcbf29ce484222325ULL;
	size_t		i;

	for (i = 0; i < fx.nsecrets; i++)
		h = digest_call(h, &fx.secrets[i]);
	for (i = 0; i < fx.nmissing; i++)
		h = digest_call(h, &fx.missing[i]);
	return h;
}

static void
check_validate(void)
{
	struct chost_stats	 cs;
	struct xs_diag		 d;
	char			 bad_valid[256] = "", bad_invalid[256] = "";
	size_t			 i, ninvalid = 0;
	int32_t			 rc;

	result_begin("CONTRACT-001");
	chost_reset();
	for (i = 0; i < fx.nstores; i++) {
		clients[i].st.fx = &fx.stores[i];
		diag_reset(&d);
		rc = call_end("validate_store", prov->validate_store(host,
		    &clients[i].st, &d), &d);
		if (fx.stores[i].valid && rc != XS_OK && bad_valid[0] == '\0')
			snprintf(bad_valid, sizeof(bad_valid), "store %s: "
			    "%s (%.120s)", fx.stores[i].name, status_name(rc),
			    d.error);
		if (fx.stores[i].valid)
			continue;
		ninvalid++;
		if ((rc != XS_ERR_INVALID || d.error[0] == '\0') &&
		    bad_invalid[0] == '\0')
			snprintf(bad_invalid, sizeof(bad_invalid), "store %s: "
			    "%s%s", fx.stores[i].name, status_name(rc),
			    d.error[0] == '\0' ? " without a message" : "");
	}
	chost_stats(&cs);
	if (bad_valid[0] != '\0')
		result_fail("CONTRACT-001", "%s", bad_valid);
	else
		result_pass("CONTRACT-001");
	if (ninvalid == 0)
		result_skip("CONTRACT-002", "the fixtures have no invalid "
		    "store");
	else if (bad_invalid[0] != '\0')
		result_fail("CONTRACT-002", "%s, want INVALID with a message",
		    bad_invalid);
	else
		result_pass("CONTRACT-002");
	if (cs.http > 0 || cs.creds > 0)
		result_fail("CONTRACT-003", "validate_store made %ld HTTP "
		    "requests and %ld credential lookups", cs.http, cs.creds);
	else
		result_pass("CONTRACT-003");
}

static void
check_auth(void)
{
	struct xs_diag	 d;
	char		 bad[256] = "";
	void		*c;
	size_t		 i;
	int32_t		 rc;

	result_begin("CONTRACT-004");
	for (i = 0; i < fx.nstores; i++) {
		diag_reset(&d);
		c = NULL;
		rc = call_end("auth", prov->auth(host, &clients[i].st, &c, &d),
		    &d);
		if (fx.stores[i].valid && fx.stores[i].auth == XS_OK &&
		    rc == XS_OK && c != NULL) {
			clients[i].c = c;
			continue;
		}
		if (rc == XS_OK)
			prov->close(c);
		if (bad[0] != '\0')
			continue;
		if (fx.stores[i].valid && fx.stores[i].auth != XS_OK) {
			if (rc != fx.stores[i].auth)
				snprintf(bad, sizeof(bad), "store %s: %s, want "
				    "%s", fx.stores[i].name, status_name(rc),
				    status_name(fx.stores[i].auth));
		} else if (fx.stores[i].valid)
			snprintf(bad, sizeof(bad), "store %s: %s (%.120s)",
			    fx.stores[i].name, status_name(rc), d.error);
		else if (!status_valid(rc))
			snprintf(bad, sizeof(bad), "invalid store %s: "
			    "undocumented code %d", fx.stores[i].name, rc);
	}
	if (bad[0] != '\0')
		result_fail("CONTRACT-004", "%s", bad);
	else
		result_pass("CONTRACT-004");
}

struct worker {
	pthread_t	 t;
	int		 repeat;
	int		 failed;
	char		 why[256];
};

static void *
work(void *arg)
{
	struct worker	*w = arg;
	int		 i;

	for (i = 0; i < w->repeat && !w->failed; i++)
		if (fetch_all(FETCH_VALUES | FETCH_MAPS, w->why,
		    sizeof(w->why)) == -1)
			w->failed = 1;
	return NULL;
}

static void
check_threads(int repeat)
{
	struct worker	 w[THREADS];
	int		 i, n = 0;

	result_begin("CONTRACT-008");
	memset(w, 0, sizeof(w));
	for (i = 0; i < THREADS; i++) {
		w[i].repeat = repeat;
		if (pthread_create(&w[i].t, NULL, work, &w[i]) == 0)
			n++;
		else
			break;
	}
	for (i = 0; i < n; i++)
		pthread_join(w[i].t, NULL);
	for (i = 0; i < n; i++)
		if (w[i].failed) {
			result_fail("CONTRACT-008", "concurrent get_secret: %s",
			    w[i].why);
			return;
		}
	result_pass("CONTRACT-008");
}

static void
check_fetches(const struct options *o)
{
	uint64_t	first;
	char		why[512];
	size_t		i;
	int		r;

	result_begin("CONTRACT-005");
	if (fetch_all(FETCH_VALUES, why, sizeof(why)) == -1)
		result_fail("CONTRACT-005", "%s", why);
	else
		result_pass("CONTRACT-005");
	result_begin("CONTRACT-012");
	for (i = 0; i < fx.nsecrets; i++)
		if (fx.secrets[i].map)
			break;
	if (i == fx.nsecrets)
		result_skip("CONTRACT-012", "the fixtures have no map");
	else if (prov->get_secret_map == NULL)
		result_fail("CONTRACT-012", "the fixtures have maps but "
		    "get_secret_map is NULL");
	else if (fetch_all(FETCH_MAPS, why, sizeof(why)) == -1)
		result_fail("CONTRACT-012", "%s", why);
	else
		result_pass("CONTRACT-012");
	result_begin("CONTRACT-006");
	if (fx.nmissing == 0)
		result_skip("CONTRACT-006", "the fixtures have no missing key");
	else if (fetch_missing(why, sizeof(why)) == -1)
		result_fail("CONTRACT-006", "%s", why);
	else
		result_pass("CONTRACT-006");
	result_begin("CONTRACT-007");
	first = digest_all();
	for (r = 0; r < o->repeat; r++)
		if (digest_all() != first)
			break;
	if (r < o->repeat)
		result_fail("CONTRACT-007", "round %d of the same calls gave "
		    "other codes or values than the first", r + 2);
	else
		result_pass("CONTRACT-007");
	if (check_wanted("CONTRACT-008"))
		check_threads(o->repeat);
}

static void
check_after(void)
{
	struct chost_stats	 cs;
	size_t			 i;
	int			 found = 0;

	result_begin("CONTRACT-010");
	for (i = 0; i < fx.nstores; i++)
		if (clients[i].c != NULL)
			prov->close(clients[i].c);
	chost_stats(&cs);
	if (cs.live != 0 || cs.misuse != 0)
		result_fail("CONTRACT-010", "after close: %ld blocks or "
		    "objects not freed, %ld frees into the wrong family",
		    cs.live, cs.misuse);
	else
		result_pass("CONTRACT-010");
	chost_log_lines(log_scan, &found);
	if (leaked_secret[0] != '\0')
		result_fail("CONTRACT-009", "a fixture secret is in the "
		    "message of %s", leaked_secret);
	else if (found)
		result_fail("CONTRACT-009", "a fixture secret is in a log "
		    "line");
	else
		result_pass("CONTRACT-009");
	if (bad_code[0] != '\0')
		result_fail("CONTRACT-013", "%s returned an undocumented code",
		    bad_code);
	else if (no_message[0] != '\0')
		result_fail("CONTRACT-013", "%s failed without a message",
		    no_message);
	else
		result_pass("CONTRACT-013");
}

/* The contract group: CONTRACT-001 to CONTRACT-013 but 011. */
void
group_contract(const struct options *o)
{
	static const char *const ids[] = {
		"CONTRACT-001", "CONTRACT-002", "CONTRACT-003",
		"CONTRACT-004", "CONTRACT-005", "CONTRACT-006",
		"CONTRACT-007", "CONTRACT-008", "CONTRACT-009",
		"CONTRACT-010", "CONTRACT-012", "CONTRACT-013", NULL
	};

	if (setup(o, ids) == -1)
		return;
	if ((clients = calloc(fx.nstores + 1, sizeof(*clients))) == NULL)
		return;
	check_validate();
	check_auth();
	check_fetches(o);
	check_after();
}

/*
 * Robustness group.  One "run" is what a reconcile does with the first
 * existing secret of the fixtures: auth, get_secret, close.
 */
struct run {
	int32_t		 auth_rc;
	int32_t		 get_rc;
	int		 right;		/* XS_OK, expected value */
	long		 http;		/* get_secret's requests */
	long		 max_timeout;
};

static const struct fx_secret *
first_secret(void)
{
	size_t	i;

	for (i = 0; i < fx.nsecrets; i++)
		if (!fx.secrets[i].map)
			return &fx.secrets[i];
	return NULL;
}

static void
run_once(const struct fx_secret *s, int fault, int status, struct run *out)
{
	struct xs_store		 st;
	struct xs_remote_ref	 ref;
	struct xs_result	 r;
	struct xs_diag		 d;
	struct chost_stats	 before, after;
	void			*c = NULL;

	memset(out, 0, sizeof(*out));
	st.fx = fixtures_store(&fx, s->store);
	diag_reset(&d);
	out->auth_rc = call_end("auth", prov->auth(host, &st, &c, &d), &d);
	out->get_rc = XS_ERR_INTERNAL;
	if (out->auth_rc != XS_OK)
		return;
	ref_of(s, &ref);
	res_init(&r);
	diag_reset(&d);
	chost_fault(fault, status);
	chost_stats(&before);
	out->get_rc = call_end("get_secret", prov->get_secret(c, &ref, &r,
	    &d), &d);
	chost_stats(&after);
	chost_fault(FAULT_NONE, 0);
	out->http = after.http - before.http;
	out->max_timeout = after.max_timeout_ms;
	out->right = out->get_rc == XS_OK && r.has_value && r.len == s->len &&
	    memcmp(r.data, s->value, s->len) == 0;
	res_clear(&r);
	prov->close(c);
}

static void
check_allocs(const struct fx_secret *s)
{
	struct chost_stats	 cs;
	struct run		 run;
	long			 n, i, base_live, worst = 0;
	char			 bad[256] = "";

	result_begin("ROBUST-001");
	chost_reset();
	run_once(s, FAULT_NONE, 0, &run);
	chost_stats(&cs);
	n = cs.ops;
	base_live = cs.live;
	if (n > ALLOC_RUNS_MAX)
		n = ALLOC_RUNS_MAX;
	for (i = 1; i <= n; i++) {
		chost_reset();
		chost_fail_at(i);
		run_once(s, FAULT_NONE, 0, &run);
		chost_stats(&cs);
		if (cs.live - base_live > worst)
			worst = cs.live - base_live;
		if (bad[0] != '\0')
			continue;
		if (!status_valid(run.auth_rc) || !status_valid(run.get_rc))
			snprintf(bad, sizeof(bad), "operation %ld failed: an "
			    "undocumented code", i);
		else if (run.get_rc == XS_OK && !run.right)
			snprintf(bad, sizeof(bad), "operation %ld failed: "
			    "XS_OK with a wrong value", i);
	}
	chost_fail_at(0);
	if (bad[0] != '\0')
		result_fail("ROBUST-001", "%s", bad);
	else
		result_pass("ROBUST-001");
	if (worst > 0)
		result_fail("ROBUST-002", "a failed allocation leaks %ld more "
		    "blocks than a clean run", worst);
	else
		result_pass("ROBUST-002");
}

static const struct {
	const char	*id;
	int		 kind;
	int		 status;
	int32_t		 expect;
} faults[] = {
	{ "timeout", FAULT_TIMEOUT, 0, XS_ERR_UNAVAILABLE },
	{ "tls", FAULT_TLS, 0, XS_ERR_UNAVAILABLE },
	{ "401", FAULT_STATUS, 401, XS_ERR_AUTH },
	{ "403", FAULT_STATUS, 403, XS_ERR_DENIED },
	{ "404", FAULT_STATUS, 404, XS_ERR_NOT_FOUND },
	{ "429", FAULT_STATUS, 429, XS_ERR_THROTTLED },
	{ "500", FAULT_STATUS, 500, XS_ERR_UNAVAILABLE },
	{ "503", FAULT_STATUS, 503, XS_ERR_UNAVAILABLE },
	{ "malformed", FAULT_MALFORMED, 0, XS_ERR_PROTOCOL },
	{ "oversize", FAULT_OVERSIZE, 0, XS_ERR_PROTOCOL },
};

static int32_t
fault_expect(size_t i)
{
	size_t	k;

	for (k = 0; k < fx.nfaults; k++)
		if (strcmp(fx.faults[k].id, faults[i].id) == 0)
			return fx.faults[k].expect;
	return faults[i].expect;
}

static void
check_faults(const struct fx_secret *s)
{
	struct run	 run;
	char		 bad[512] = "", deadline[256] = "";
	size_t		 i, n;
	int32_t		 want;

	result_begin("ROBUST-003");
	chost_reset();
	run_once(s, FAULT_NONE, 0, &run);
	if (run.http == 0) {
		result_skip("ROBUST-003", "get_secret makes no HTTP request");
		result_skip("ROBUST-004", "get_secret makes no HTTP request");
		return;
	}
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		chost_reset();
		run_once(s, faults[i].kind, faults[i].status, &run);
		want = fault_expect(i);
		n = strlen(bad);
		if (run.auth_rc == XS_OK && run.get_rc != want)
			snprintf(bad + n, sizeof(bad) - n, "%s%s: %s, want %s",
			    n > 0 ? "; " : "", faults[i].id,
			    status_name(run.get_rc), status_name(want));
		if (faults[i].kind == FAULT_TIMEOUT &&
		    (run.http > FAULT_REQUESTS_MAX ||
		    run.max_timeout > TIMEOUT_MS_MAX))
			snprintf(deadline, sizeof(deadline), "%ld requests "
			    "(at most %d), longest timeout %ld ms (at most "
			    "%d)", run.http, FAULT_REQUESTS_MAX,
			    run.max_timeout, TIMEOUT_MS_MAX);
	}
	if (bad[0] != '\0')
		result_fail("ROBUST-003", "%s", bad);
	else
		result_pass("ROBUST-003");
	if (deadline[0] != '\0')
		result_fail("ROBUST-004", "under timeouts: %s", deadline);
	else
		result_pass("ROBUST-004");
}

/* The robustness group: ROBUST-001 to ROBUST-004. */
void
group_robust(const struct options *o)
{
	static const char *const ids[] = {
		"ROBUST-001", "ROBUST-002", "ROBUST-003", "ROBUST-004", NULL
	};
	const struct fx_secret	*s;
	size_t			 i;

	if (setup(o, ids) == -1)
		return;
	if ((s = first_secret()) == NULL) {
		for (i = 0; ids[i] != NULL; i++)
			result_skip(ids[i], "the fixtures have no secret");
		return;
	}
	check_allocs(s);
	check_faults(s);
}
