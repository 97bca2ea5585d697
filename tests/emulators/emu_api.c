/*
 * The KMS and STS actions of alibaba-emu, and what surrounds them: the
 * faults injected through the control API, the counters per action and
 * result code, and Alibaba's responses.
 *
 * A call goes through api_serve: bounds (header count, body size), the
 * parameters (query and form body), the action and its API version, the
 * authentication (none for AssumeRoleWithOIDC, which is anonymous), the
 * faults, then the action.  Every answer is counted once, under its action
 * and its result code ("OK" or the error code).
 *
 * Faults: a short list under a mutex; the first one that matches the action
 * fires.  A fault with a count wears out; one with a ratio fires at random;
 * one with neither fires until removed.
 *
 * Every AssumeRoleWithOIDC that issues credentials is also timed on the
 * monotonic clock, the last EMU_STS_TIMES kept, so that the benchmark can
 * tell how often a client renews from the server's side, whatever its own
 * clocks say.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "emu.h"

#define EMU_MAX_LATENCY		60000
#define EMU_MAX_FILTERS		10
#define EMU_STS_TIMES		1024

enum fault_mode {
	F_THROTTLE,
	F_5XX,
	F_LATENCY,
	F_NOTFOUND,
	F_ECHO
};

static const char *const fault_modes[] = {
	"throttle", "5xx", "latency", "notfound", "echo", NULL
};

struct fault {
	int	 action;	/* -1: every action */
	int	 mode;
	long	 count;		/* -1: no count */
	double	 ratio;		/* < 0: no ratio */
	long	 latency_ms;
	int	 code;
	long	 time_left_ms;
};

const struct emu_code emu_codes[C_MAX] = {
	[C_OK] = { "OK", 200, "" },
	[C_NOT_FOUND] = { "Forbidden.ResourceNotFound", 404,
	    "The resource not exists." },
	[C_THROTTLED] = { "Rejected.Throttling", 429, "QPS Limit Exceeded" },
	[C_THROTTLED_USER] = { "Throttling.User", 400,
	    "Request was denied due to user flow control." },
	[C_UNAVAILABLE] = { "ServiceUnavailableTemporary", 503,
	    "Service is temporarily unavailable." },
	[C_INTERNAL] = { "InternalFailure", 500,
	    "The request processing has failed due to some unknown error." },
	[C_KEY_NOT_FOUND] = { "InvalidAccessKeyId.NotFound", 404,
	    "Specified access key is not found." },
	[C_TOKEN_EXPIRED] = { "InvalidSecurityToken.Expired", 400,
	    "Specified SecurityToken is expired." },
	[C_TOKEN_MISMATCH] = { "InvalidSecurityToken.MismatchWithAccessKey",
	    400, "Specified SecurityToken mismatch with the AccessKey." },
	[C_TOKEN_MISSING] = { "MissingSecurityToken", 400,
	    "SecurityToken is mandatory for this action." },
	[C_SIG_MISMATCH] = { "SignatureDoesNotMatch", 400,
	    "Specified signature is not matched with our calculation." },
	[C_SIG_INCOMPLETE] = { "IncompleteSignature", 400,
	    "The request signature does not conform to Aliyun standards." },
	[C_NONCE_USED] = { "SignatureNonceUsed", 400,
	    "Specified signature nonce was used already." },
	[C_TS_EXPIRED] = { "InvalidTimeStamp.Expired", 400,
	    "Specified time stamp or date value is expired." },
	[C_TS_ILLEGAL] = { "IllegalTimestamp", 400,
	    "The input parameter Timestamp is not in the UTC format." },
	[C_MISSING_PARAM] = { "MissingParameter", 400,
	    "A required parameter is missing." },
	[C_INVALID_PARAM] = { "InvalidParameter", 400,
	    "A parameter is not valid." },
	[C_NO_ACTION] = { "InvalidAction.NotFound", 404,
	    "Specified api is not found, please check your url and method." },
	[C_BAD_VERSION] = { "InvalidVersion", 400,
	    "Specified parameter Version is not valid." },
	[C_OIDC_INVALID] = { "AuthenticationFail.OIDCToken.Invalid", 401,
	    "The OIDC token is invalid." },
	[C_OIDC_NOPERM] = { "AuthenticationFail.NoPermission", 401,
	    "No such OIDC Provider registered." },
	[C_NO_ROLE] = { "EntityNotExist.Role", 404,
	    "The specified Role not exists." },
	[C_SESSION_NAME] = { "InvalidParameter.RoleSessionName", 400,
	    "The parameter RoleSessionName is wrongly formed." },
	[C_DURATION] = { "InvalidParameter.DurationSeconds", 400,
	    "The Min/Max value of DurationSeconds is 15min/12hr." },
	[C_TOO_LARGE] = { "RequestEntityTooLarge", 413,
	    "The request body is too large." },
	[C_TOO_MANY_HEADERS] = { "InvalidHeader.TooMany", 431,
	    "The request carries too many headers." },
};

const char *const emu_actions[A_MAX] = {
	"GetSecretValue", "ListSecrets", "AssumeRoleWithOIDC", "Unknown"
};

struct emu_oidc		 emu_oidc;
int			 emu_verbose;

static pthread_mutex_t	 fault_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fault	 faults[EMU_MAX_FAULTS];
static size_t		 nfaults;

static unsigned long	 stats[A_MAX][C_MAX];

static pthread_mutex_t	 issued_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t		 issued_ms[EMU_STS_TIMES];	/* a ring */
static unsigned long	 nissued;

/*
 * The busiest windows of KMS requests (GetSecretValue and ListSecrets, the
 * calls a store's rate limit covers): for each width, the most requests
 * answered within any span of that width, from a ring of their times.
 */
#define BUSY_RING	(1 << 16)
#define BUSY_NWIDTHS	2

static const int64_t	 busy_width_ms[BUSY_NWIDTHS] = { 100, 1000 };
static pthread_mutex_t	 busy_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t		 busy_ns[BUSY_RING];
static unsigned long	 nbusy, busy_lo[BUSY_NWIDTHS];
static unsigned long	 busiest[BUSY_NWIDTHS];

/* Notes a KMS request now; the clock is read under the lock, so the ring
 * is in order. */
static void
busy_note(void)
{
	struct timespec	 ts;
	int64_t		 now;
	unsigned long	*lo;
	int		 w;

	pthread_mutex_lock(&busy_lock);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	busy_ns[nbusy++ % BUSY_RING] = now;
	for (w = 0; w < BUSY_NWIDTHS; w++) {
		lo = &busy_lo[w];
		if (nbusy - *lo > BUSY_RING)	/* saturated: a lower bound */
			*lo = nbusy - BUSY_RING;
		while (busy_ns[*lo % BUSY_RING] <=
		    now - busy_width_ms[w] * 1000000)
			(*lo)++;
		if (nbusy - *lo > busiest[w])
			busiest[w] = nbusy - *lo;
	}
	pthread_mutex_unlock(&busy_lock);
}

/*
 * {"requests": N, "widths_ms": [...], "busiest": [...]}: the KMS requests
 * since the last reset, and the most of them within any span of each
 * width.
 */
cJSON *
api_busiest(void)
{
	cJSON	*j, *wa, *ba;
	int	 w;

	j = cJSON_CreateObject();
	wa = cJSON_CreateArray();
	ba = cJSON_CreateArray();
	pthread_mutex_lock(&busy_lock);
	cJSON_AddNumberToObject(j, "requests", (double)nbusy);
	for (w = 0; w < BUSY_NWIDTHS; w++) {
		cJSON_AddItemToArray(wa,
		    cJSON_CreateNumber((double)busy_width_ms[w]));
		cJSON_AddItemToArray(ba, cJSON_CreateNumber((double)busiest[w]));
	}
	pthread_mutex_unlock(&busy_lock);
	cJSON_AddItemToObject(j, "widths_ms", wa);
	cJSON_AddItemToObject(j, "busiest", ba);
	return j;
}

static void
stats_count(int action, int code)
{
	__atomic_fetch_add(&stats[action][code], 1, __ATOMIC_RELAXED);
	if (action == A_GET || action == A_LIST)
		busy_note();
}

/* Notes the monotonic time of credentials just issued. */
static void
issued_note(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	pthread_mutex_lock(&issued_lock);
	issued_ms[nissued++ % EMU_STS_TIMES] = (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000;
	pthread_mutex_unlock(&issued_lock);
}

/*
 * The issues as {"issued": N, "times_ms": [...]}: how many credentials
 * AssumeRoleWithOIDC issued, and the monotonic times in ms of the last
 * EMU_STS_TIMES of them, oldest first.
 */
cJSON *
api_sts_times(void)
{
	cJSON		*j, *a;
	unsigned long	 i, first;

	j = cJSON_CreateObject();
	pthread_mutex_lock(&issued_lock);
	cJSON_AddNumberToObject(j, "issued", (double)nissued);
	a = cJSON_AddArrayToObject(j, "times_ms");
	first = nissued > EMU_STS_TIMES ? nissued - EMU_STS_TIMES : 0;
	for (i = first; i < nissued; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(
		    (double)issued_ms[i % EMU_STS_TIMES]));
	pthread_mutex_unlock(&issued_lock);
	return j;
}

/* The counters as {"actions": {name: {"codes", "total"}}, "codes", "total"}. */
cJSON *
api_stats(void)
{
	cJSON		*j, *acts, *codes_all, *a, *ac;
	unsigned long	 n, total = 0, atotal, bycode[C_MAX] = { 0 };
	int		 i, k;

	j = cJSON_CreateObject();
	acts = cJSON_AddObjectToObject(j, "actions");
	for (i = 0; i < A_MAX; i++) {
		a = cJSON_AddObjectToObject(acts, emu_actions[i]);
		ac = cJSON_AddObjectToObject(a, "codes");
		atotal = 0;
		for (k = 0; k < C_MAX; k++) {
			n = __atomic_load_n(&stats[i][k],
			    __ATOMIC_RELAXED);
			if (n == 0)
				continue;
			cJSON_AddNumberToObject(ac, emu_codes[k].name, (double)n);
			atotal += n;
			bycode[k] += n;
		}
		cJSON_AddNumberToObject(a, "total", (double)atotal);
		total += atotal;
	}
	codes_all = cJSON_AddObjectToObject(j, "codes");
	for (k = 0; k < C_MAX; k++)
		if (bycode[k] != 0)
			cJSON_AddNumberToObject(codes_all, emu_codes[k].name,
			    (double)bycode[k]);
	cJSON_AddNumberToObject(j, "total", (double)total);
	return j;
}

/* Zeroes the counters and forgets the issue and request times. */
void
api_stats_reset(void)
{
	size_t	 i;

	for (i = 0; i < A_MAX * C_MAX; i++)
		__atomic_store_n(&stats[i / C_MAX][i % C_MAX], 0,
		    __ATOMIC_RELAXED);
	pthread_mutex_lock(&issued_lock);
	nissued = 0;
	pthread_mutex_unlock(&issued_lock);
	pthread_mutex_lock(&busy_lock);
	nbusy = 0;
	memset(busy_lo, 0, sizeof(busy_lo));
	memset(busiest, 0, sizeof(busiest));
	pthread_mutex_unlock(&busy_lock);
}

static int
action_index(const char *name)
{
	int	 i;

	for (i = 0; i < A_OTHER; i++)
		if (strcmp(emu_actions[i], name) == 0)
			return i;
	return A_OTHER;
}

static int
fault_parse(const cJSON *j, struct fault *f, const char **err)
{
	const cJSON	*a, *m, *n, *ratio, *lat, *code, *tl;
	int		 i;

	memset(f, 0, sizeof(*f));
	f->count = -1;
	f->ratio = -1;
	f->time_left_ms = 1000;
	f->action = -1;
	a = cJSON_GetObjectItemCaseSensitive(j, "action");
	m = cJSON_GetObjectItemCaseSensitive(j, "mode");
	n = cJSON_GetObjectItemCaseSensitive(j, "count");
	ratio = cJSON_GetObjectItemCaseSensitive(j, "ratio");
	lat = cJSON_GetObjectItemCaseSensitive(j, "latency_ms");
	code = cJSON_GetObjectItemCaseSensitive(j, "code");
	tl = cJSON_GetObjectItemCaseSensitive(j, "time_left_ms");
	*err = "bad fault spec (see --help)";
	if (a != NULL && !cJSON_IsString(a))
		return -1;
	if (a != NULL && strcmp(a->valuestring, "*") != 0 &&
	    (f->action = action_index(a->valuestring)) == A_OTHER)
		return -1;
	if (!cJSON_IsString(m))
		return -1;
	for (i = 0; fault_modes[i] && strcmp(fault_modes[i], m->valuestring);
	    i++)
		;
	if (fault_modes[i] == NULL)
		return -1;
	f->mode = i;
	if (n != NULL && (!cJSON_IsNumber(n) || n->valuedouble < 1))
		return -1;
	if (n != NULL)
		f->count = (long)n->valuedouble;
	if (ratio != NULL && (!cJSON_IsNumber(ratio) ||
	    ratio->valuedouble < 0 || ratio->valuedouble > 1))
		return -1;
	if (ratio != NULL)
		f->ratio = ratio->valuedouble;
	if (lat != NULL && (!cJSON_IsNumber(lat) || lat->valuedouble < 0 ||
	    lat->valuedouble > EMU_MAX_LATENCY))
		return -1;
	if (lat != NULL)
		f->latency_ms = (long)lat->valuedouble;
	if (tl != NULL && (!cJSON_IsNumber(tl) || tl->valuedouble < 0 ||
	    tl->valuedouble > 3600000))
		return -1;
	if (tl != NULL)
		f->time_left_ms = (long)tl->valuedouble;
	f->code = f->mode == F_5XX ? C_UNAVAILABLE : C_THROTTLED;
	if (code == NULL)
		return 0;
	if (!cJSON_IsString(code))
		return -1;
	if (strcmp(code->valuestring, "Throttling.User") == 0)
		f->code = C_THROTTLED_USER;
	else if (strcmp(code->valuestring, "InternalFailure") == 0)
		f->code = C_INTERNAL;
	else if (strcmp(code->valuestring, emu_codes[f->code].name) != 0)
		return -1;
	return 0;
}

/*
 * Adds the fault described by the JSON object j (see --help).  Returns 0,
 * or -1 with *err when it is malformed or the list is full.
 */
int
api_fault_add(const cJSON *j, const char **err)
{
	struct fault	 f;
	int		 rc = -1;

	if (fault_parse(j, &f, err) == -1)
		return -1;
	pthread_mutex_lock(&fault_lock);
	if (nfaults < EMU_MAX_FAULTS) {
		faults[nfaults++] = f;
		rc = 0;
	} else
		*err = "too many faults";
	pthread_mutex_unlock(&fault_lock);
	return rc;
}

/* Removes every fault. */
void
api_fault_clear(void)
{
	pthread_mutex_lock(&fault_lock);
	nfaults = 0;
	pthread_mutex_unlock(&fault_lock);
}

/* Faults: the first matching fault fires; counted ones wear out. */
static int
fault_pick(int action, struct fault *out)
{
	struct fault	*f;
	unsigned int	 rnd;
	size_t		 i;
	int		 fired = 0;

	pthread_mutex_lock(&fault_lock);
	for (i = 0; i < nfaults && !fired; i++) {
		f = &faults[i];
		if (f->action != -1 && f->action != action)
			continue;
		if (f->ratio >= 0) {
			if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
				rnd = 0;
			if ((double)rnd / 4294967296.0 >= f->ratio)
				continue;
		}
		*out = *f;
		fired = 1;
		if (f->count > 0 && --f->count == 0) {
			memmove(f, f + 1, (nfaults - i - 1) * sizeof(*f));
			nfaults--;
		}
	}
	pthread_mutex_unlock(&fault_lock);
	return fired;
}

static enum MHD_Result
send_text(struct MHD_Connection *conn, int status, char *body,
    const char *hname, const char *hval)
{
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;

	if (body == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
	    "application/json;charset=utf-8");
	if (hname != NULL)
		MHD_add_response_header(resp, hname, hval);
	ret = MHD_queue_response(conn, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * Sends j (deleted here) as the JSON answer with status, and one extra
 * header when hname is not NULL.
 */
enum MHD_Result
api_send_json(struct MHD_Connection *conn, int status, cJSON *j,
    const char *hname, const char *hval)
{
	char	*body;

	if (j == NULL)
		return MHD_NO;
	body = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return send_text(conn, status, body, hname, hval);
}

/* Sends Alibaba's error body for code; message NULL for the default. */
static enum MHD_Result
send_error(struct call *c, int code, const char *message, const char *hname,
    const char *hval)
{
	cJSON	*j;

	stats_count(c->action, code);
	if (emu_verbose)
		fprintf(stderr, "alibaba-emu: %s -> %d %s\n",
		    emu_actions[c->action], emu_codes[code].status,
		    emu_codes[code].name);
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "RequestId", c->request_id);
	cJSON_AddStringToObject(j, "HostId", c->host);
	cJSON_AddStringToObject(j, "Code", emu_codes[code].name);
	cJSON_AddStringToObject(j, "Message",
	    message != NULL ? message : emu_codes[code].message);
	cJSON_AddStringToObject(j, "Recommend",
	    "https://api.aliyun.com/troubleshoot");
	cJSON_AddNumberToObject(j, "HttpStatus", emu_codes[code].status);
	return api_send_json(c->conn, emu_codes[code].status, j, hname, hval);
}

static enum MHD_Result
send_ok(struct call *c, cJSON *j)
{
	stats_count(c->action, C_OK);
	if (emu_verbose)
		fprintf(stderr, "alibaba-emu: %s -> 200 OK\n",
		    emu_actions[c->action]);
	cJSON_AddStringToObject(j, "RequestId", c->request_id);
	return api_send_json(c->conn, 200, j, "x-acs-request-id", c->request_id);
}

static enum MHD_Result
apply_fault(struct call *c, const struct fault *f)
{
	char	 hval[64];

	switch (f->mode) {
	case F_THROTTLE:
		if (f->code == C_THROTTLED_USER) {
			snprintf(hval, sizeof(hval), "TimeLeft:%ld",
			    f->time_left_ms);
			return send_error(c, f->code, NULL,
			    "x-ratelimit-user-api", hval);
		}
		return send_error(c, C_THROTTLED, NULL, NULL, NULL);
	case F_5XX:
		return send_error(c, f->code == C_INTERNAL ? C_INTERNAL :
		    C_UNAVAILABLE, NULL, NULL, NULL);
	case F_NOTFOUND:
		return send_error(c, C_NOT_FOUND, NULL, NULL, NULL);
	default:
		return send_error(c, C_SIG_MISMATCH, c->echo, NULL, NULL);
	}
}

/* SecretName, or the name inside acs:kms:<region>:<account>:secret/<name>. */
static const char *
secret_name(const char *s)
{
	const char	*p;

	if (strncmp(s, "acs:kms:", 8) != 0)
		return s;
	if ((p = strstr(s, ":secret/")) == NULL || p[8] == '\0')
		return NULL;
	return p + 8;
}

static cJSON *
stage_list(const struct version *v)
{
	cJSON	*o, *a;
	size_t	 i;

	o = cJSON_CreateObject();
	a = cJSON_AddArrayToObject(o, "VersionStage");
	for (i = 0; i < v->nstages; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(v->stages[i]));
	return o;
}

static enum MHD_Result
do_get(struct call *c)
{
	const char		*name, *vid, *stage;
	const struct secret	*s;
	const struct version	*v = NULL;
	char			 tbuf[32];
	cJSON			*j;
	size_t			 i;

	if ((name = emu_params_get(&c->all, "SecretName")) == NULL)
		return send_error(c, C_MISSING_PARAM,
		    "SecretName is mandatory for this action.", NULL, NULL);
	if ((name = secret_name(name)) == NULL)
		return send_error(c, C_INVALID_PARAM,
		    "SecretName is not a valid secret ARN.", NULL, NULL);
	vid = emu_params_get(&c->all, "VersionId");
	stage = emu_params_get(&c->all, "VersionStage");
	if (vid == NULL && stage == NULL)
		stage = "ACSCurrent";
	store_rdlock();
	if ((s = store_find(name)) != NULL) {
		for (i = 0; i < s->nv && v == NULL; i++) {
			if (vid != NULL && strcmp(s->v[i].id, vid) != 0)
				continue;
			if (stage != NULL && !version_has_stage(&s->v[i],
			    stage))
				continue;
			v = &s->v[i];
		}
	}
	if (v == NULL) {
		store_unlock();
		return send_error(c, C_NOT_FOUND, s == NULL ?
		    "The resource not exists." :
		    "The secret version not exists.", NULL, NULL);
	}
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "SecretName", s->name);
	cJSON_AddStringToObject(j, "VersionId", v->id);
	cJSON_AddStringToObject(j, "SecretData", v->data);
	cJSON_AddStringToObject(j, "SecretDataType",
	    v->binary ? "binary" : "text");
	cJSON_AddStringToObject(j, "SecretType", s->type);
	cJSON_AddItemToObject(j, "VersionStages", stage_list(v));
	fmt_time(v->created, tbuf, sizeof(tbuf));
	cJSON_AddStringToObject(j, "CreateTime", tbuf);
	cJSON_AddStringToObject(j, "AutomaticRotation", "Disabled");
	store_unlock();
	return send_ok(c, j);
}

struct filter {
	int		 kind;	/* 0 SecretName, 1 TagKey, 2 TagValue */
	const cJSON	*values;
};

static int
filter_match(const struct secret *s, const struct filter *f, size_t nf)
{
	const cJSON	*v;
	size_t		 i, t;
	int		 hit;

	for (i = 0; i < nf; i++) {
		hit = 0;
		cJSON_ArrayForEach(v, f[i].values) {
			if (f[i].kind == 0 &&
			    strstr(s->name, v->valuestring) != NULL)
				hit = 1;
			for (t = 0; f[i].kind != 0 && t < s->ntags; t++)
				if (strcmp(f[i].kind == 1 ? s->tags[t].key :
				    s->tags[t].val, v->valuestring) == 0)
					hit = 1;
		}
		if (!hit)
			return 0;
	}
	return 1;
}

/* Parses the Filters parameter; -1 with c->errmsg when it is invalid. */
static int
filters_parse(struct call *c, const cJSON *fj, struct filter *f,
    size_t *nf)
{
	static const char *const kinds[] = { "SecretName", "TagKey",
	    "TagValue", NULL };
	const cJSON	*e, *k, *vals, *v;
	size_t		 i, nv;

	*nf = 0;
	if (!cJSON_IsArray(fj) || cJSON_GetArraySize(fj) > EMU_MAX_FILTERS)
		goto bad;
	cJSON_ArrayForEach(e, fj) {
		k = cJSON_GetObjectItemCaseSensitive(e, "Key");
		vals = cJSON_GetObjectItemCaseSensitive(e, "Values");
		if (!cJSON_IsString(k) || !cJSON_IsArray(vals))
			goto bad;
		for (i = 0; kinds[i] && strcmp(kinds[i], k->valuestring); i++)
			;
		if (kinds[i] == NULL)
			goto bad;
		nv = 0;
		cJSON_ArrayForEach(v, vals)
			if (!cJSON_IsString(v) || ++nv > EMU_MAX_FILTERS)
				goto bad;
		f[*nf].kind = (int)i;
		f[*nf].values = vals;
		(*nf)++;
	}
	return 0;
bad:
	snprintf(c->errmsg, sizeof(c->errmsg), "Filters must be a JSON array "
	    "of at most 10 {Key, Values}; Key is SecretName, TagKey or "
	    "TagValue.");
	return -1;
}

static cJSON *
list_entry(const struct secret *s, int tags)
{
	cJSON	*e, *t, *a, *tag;
	char	 tbuf[32];
	size_t	 i;

	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "SecretName", s->name);
	cJSON_AddStringToObject(e, "SecretType", s->type);
	fmt_time(s->created, tbuf, sizeof(tbuf));
	cJSON_AddStringToObject(e, "CreateTime", tbuf);
	fmt_time(s->updated, tbuf, sizeof(tbuf));
	cJSON_AddStringToObject(e, "UpdateTime", tbuf);
	if (!tags)
		return e;
	t = cJSON_AddObjectToObject(e, "Tags");
	a = cJSON_AddArrayToObject(t, "Tag");
	for (i = 0; i < s->ntags; i++) {
		tag = cJSON_CreateObject();
		cJSON_AddStringToObject(tag, "TagKey", s->tags[i].key);
		cJSON_AddStringToObject(tag, "TagValue", s->tags[i].val);
		cJSON_AddItemToArray(a, tag);
	}
	return e;
}

static enum MHD_Result
do_list(struct call *c)
{
	struct filter	 f[EMU_MAX_FILTERS];
	const char	*ps, *fs, *ft;
	cJSON		*fj = NULL, *j, *arr;
	long		 page = 1, size = 10, total = 0;
	size_t		 i, nf = 0;
	int		 tags;

	ps = emu_params_get(&c->all, "PageNumber");
	if (ps != NULL && parse_long(ps, 1, INT_MAX, &page) == -1)
		return send_error(c, C_INVALID_PARAM,
		    "PageNumber must be a positive integer.", NULL, NULL);
	ps = emu_params_get(&c->all, "PageSize");
	if (ps != NULL && parse_long(ps, 1, 100, &size) == -1)
		return send_error(c, C_INVALID_PARAM,
		    "PageSize must be between 1 and 100.", NULL, NULL);
	ft = emu_params_get(&c->all, "FetchTags");
	tags = ft != NULL && strcmp(ft, "true") == 0;
	if ((fs = emu_params_get(&c->all, "Filters")) != NULL &&
	    ((fj = cJSON_Parse(fs)) == NULL ||
	    filters_parse(c, fj, f, &nf) == -1)) {
		cJSON_Delete(fj);
		return send_error(c, C_INVALID_PARAM, c->errmsg[0] ?
		    c->errmsg : "Filters is not valid JSON.", NULL, NULL);
	}
	j = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(cJSON_AddObjectToObject(j, "SecretList"),
	    "Secret");
	store_rdlock();
	for (i = 0; i < store_count(); i++) {
		if (!filter_match(store_at(i), f, nf))
			continue;
		if (total >= (page - 1) * size && total < page * size)
			cJSON_AddItemToArray(arr,
			    list_entry(store_at(i), tags));
		total++;
	}
	store_unlock();
	cJSON_Delete(fj);
	cJSON_AddNumberToObject(j, "PageNumber", (double)page);
	cJSON_AddNumberToObject(j, "PageSize", (double)size);
	cJSON_AddNumberToObject(j, "TotalCount", (double)total);
	return send_ok(c, j);
}

static int
valid_session_name(const char *s)
{
	size_t	 len = strlen(s), i;

	if (len < 2 || len > 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr(".@_-", s[i]) != NULL))
			return 0;
	return 1;
}

/* "acs:ram::<digits>:<kind>/<name>" */
static int
valid_ram_arn(const char *s, const char *kind)
{
	size_t	 n;

	if (strncmp(s, "acs:ram::", 9) != 0)
		return 0;
	s += 9;
	if ((n = strspn(s, "0123456789")) == 0 || s[n] != ':')
		return 0;
	s += n + 1;
	n = strlen(kind);
	return strncmp(s, kind, n) == 0 && s[n] == '/' && s[n + 1] != '\0';
}

/* Compares the OIDC token with the token file's current content. */
static int
oidc_token_ok(const char *token)
{
	char	*want;
	size_t	 len;
	int	 ok;

	if ((want = read_file(emu_oidc.token_file, EMU_MAX_TOKEN, &len)) ==
	    NULL)
		return 0;
	while (len > 0 && strchr(" \t\r\n", want[len - 1]) != NULL)
		want[--len] = '\0';
	ok = len > 0 && strlen(token) == len &&
	    CRYPTO_memcmp(token, want, len) == 0;
	OPENSSL_cleanse(want, len);
	free(want);
	return ok;
}

static enum MHD_Result
do_assume(struct call *c)
{
	const char	*provider, *role, *session, *token, *ds;
	struct sts_cred	 cred;
	char		 tbuf[32], *arn;
	cJSON		*j, *o;
	long		 duration = 3600;
	size_t		 len;

	provider = emu_params_get(&c->all, "OIDCProviderArn");
	role = emu_params_get(&c->all, "RoleArn");
	session = emu_params_get(&c->all, "RoleSessionName");
	token = emu_params_get(&c->all, "OIDCToken");
	ds = emu_params_get(&c->all, "DurationSeconds");
	if (provider == NULL || role == NULL || session == NULL ||
	    token == NULL)
		return send_error(c, C_MISSING_PARAM, "OIDCProviderArn, "
		    "RoleArn, RoleSessionName and OIDCToken are required.",
		    NULL, NULL);
	if (!valid_ram_arn(provider, "oidc-provider"))
		return send_error(c, C_INVALID_PARAM,
		    "OIDCProviderArn is not a valid ARN.", NULL, NULL);
	if (!valid_ram_arn(role, "role"))
		return send_error(c, C_INVALID_PARAM,
		    "RoleArn is not a valid ARN.", NULL, NULL);
	if (!valid_session_name(session))
		return send_error(c, C_SESSION_NAME, NULL, NULL, NULL);
	if (ds != NULL && parse_long(ds, 900, 43200, &duration) == -1)
		return send_error(c, C_DURATION, NULL, NULL, NULL);
	if (emu_oidc.provider == NULL ||
	    strcmp(provider, emu_oidc.provider) != 0)
		return send_error(c, C_OIDC_NOPERM, NULL, NULL, NULL);
	if (strcmp(role, emu_oidc.role) != 0)
		return send_error(c, C_NO_ROLE, NULL, NULL, NULL);
	if (!oidc_token_ok(token))
		return send_error(c, C_OIDC_INVALID, NULL, NULL, NULL);
	if (emu_oidc.lifetime > 0)
		duration = emu_oidc.lifetime;
	if (auth_sts_issue(duration, &cred) == -1)
		return send_error(c, C_INTERNAL, NULL, NULL, NULL);
	issued_note();

	j = cJSON_CreateObject();
	o = cJSON_AddObjectToObject(j, "Credentials");
	cJSON_AddStringToObject(o, "AccessKeyId", cred.id);
	cJSON_AddStringToObject(o, "AccessKeySecret", cred.secret);
	cJSON_AddStringToObject(o, "SecurityToken", cred.token);
	fmt_time(cred.expires, tbuf, sizeof(tbuf));
	cJSON_AddStringToObject(o, "Expiration", tbuf);
	free(cred.token);
	o = cJSON_AddObjectToObject(j, "AssumedRoleUser");
	len = strlen(role) + strlen(session) + 32;
	if ((arn = malloc(len)) != NULL) {
		snprintf(arn, len, "%.*s:assumed-role/%s/%s",
		    (int)(strstr(role, ":role/") - role), role,
		    strstr(role, ":role/") + 6, session);
		cJSON_AddStringToObject(o, "Arn", arn);
		free(arn);
	}
	cJSON_AddStringToObject(o, "AssumedRoleId", "300000000000000000:emu");
	o = cJSON_AddObjectToObject(j, "OIDCTokenInfo");
	cJSON_AddStringToObject(o, "Issuer", "https://oidc.emulator.local");
	cJSON_AddStringToObject(o, "Subject",
	    "system:serviceaccount:default:emu");
	cJSON_AddStringToObject(o, "ClientIds", "sts.aliyuncs.com");
	OPENSSL_cleanse(&cred, sizeof(cred));
	return send_ok(c, j);
}

/* Counts the request headers, to refuse floods of them. */
static enum MHD_Result
count_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	(*(size_t *)cls)++;
	return MHD_YES;
}

/* Fills the parameters of c from the query and a form body. */
static int
call_params(struct call *c)
{
	const char	*q, *ct;
	size_t		 i;

	if ((q = strchr(c->r->uri, '?')) != NULL &&
	    emu_params_parse(&c->query, q + 1, strlen(q + 1)) == -1)
		return -1;
	ct = call_header(c, "Content-Type");
	if (ct != NULL && c->r->bodylen > 0 && strncasecmp(ct,
	    "application/x-www-form-urlencoded", 33) == 0 &&
	    emu_params_parse(&c->form, c->r->body, c->r->bodylen) == -1)
		return -1;
	for (i = 0; i < c->query.n; i++)
		if (emu_params_add(&c->all, c->query.p[i].key,
		    c->query.p[i].val) == -1)
			return -1;
	for (i = 0; i < c->form.n; i++)
		if (emu_params_add(&c->all, c->form.p[i].key,
		    c->form.p[i].val) == -1)
			return -1;
	return 0;
}

/*
 * Answers the API call c (any path but /_emu/): checks, authenticates,
 * applies faults and runs the action.  c->conn, c->r, c->method, c->host
 * and c->request_id are set by the caller, which frees the parameters and
 * c->echo afterwards.
 */
enum MHD_Result
api_serve(struct call *c)
{
	static const char *const versions[A_MAX] = { "2016-01-20",
	    "2016-01-20", "2015-04-01", "" };
	const char	*name, *version, *msg = NULL;
	struct fault	 f;
	size_t		 nhdr = 0;
	int		 code;

	MHD_get_connection_values(c->conn, MHD_HEADER_KIND, count_header,
	    &nhdr);
	if (nhdr > EMU_MAX_HEADERS)
		return send_error(c, C_TOO_MANY_HEADERS, NULL, NULL, NULL);
	if (c->r->too_large)
		return send_error(c, C_TOO_LARGE, NULL, NULL, NULL);
	if (call_params(c) == -1)
		return send_error(c, C_INVALID_PARAM, "The query or form body "
		    "is malformed or has too many parameters.", NULL, NULL);
	if ((name = call_header(c, "x-acs-action")) == NULL)
		name = emu_params_get(&c->all, "Action");
	if ((version = call_header(c, "x-acs-version")) == NULL)
		version = emu_params_get(&c->all, "Version");
	if (name == NULL)
		return send_error(c, C_MISSING_PARAM,
		    "Action is mandatory.", NULL, NULL);
	if ((c->action = action_index(name)) == A_OTHER)
		return send_error(c, C_NO_ACTION, NULL, NULL, NULL);
	if (version == NULL || strcmp(version, versions[c->action]) != 0)
		return send_error(c, C_BAD_VERSION, NULL, NULL, NULL);

	if (c->action == A_ASSUME) {
		/* Anonymous: what the echo fault shows is the whole form. */
		free(c->echo);
		c->echo = emu_canon_query(&c->all, NULL);
	} else if ((code = auth_check(c)) != C_OK) {
		/* A specific reason wins; a plain mismatch shows the echo. */
		if (c->errmsg[0] != '\0')
			msg = c->errmsg;
		else if (code == C_SIG_MISMATCH)
			msg = c->echo;
		return send_error(c, code, msg, NULL, NULL);
	}

	if (fault_pick(c->action, &f)) {
		if (f.mode != F_LATENCY)
			return apply_fault(c, &f);
		usleep((useconds_t)f.latency_ms * 1000);
	}
	switch (c->action) {
	case A_GET:
		return do_get(c);
	case A_LIST:
		return do_list(c);
	default:
		return do_assume(c);
	}
}

/* Frees the OIDC settings; at exit. */
void
api_free(void)
{
	free(emu_oidc.provider);
	free(emu_oidc.role);
	free(emu_oidc.token_file);
}
