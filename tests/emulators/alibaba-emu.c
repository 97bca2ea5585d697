/*
 * alibaba-emu: a local Alibaba Cloud KMS (2016-01-20) and STS (2015-04-01)
 * server for tests, benchmarks and the demo.  It checks signatures as
 * strictly as Alibaba's gateway does, so a client that works against it
 * signs correctly.
 *
 * Usage:
 *	alibaba-emu [--config FILE] [--port N] [--port-file FILE]
 *	    [--tls-cert PEM --tls-key PEM] [--sts-lifetime SECONDS]
 *	    [--nonce-cap N] [--max-connections N] [--verbose]
 *
 * It listens on 127.0.0.1 only, on port N (0, the default, picks a free one)
 * and, once ready, writes "port=N" to the port file (atomically) and to
 * stdout.  With a certificate and key it speaks HTTPS only.  SIGINT or
 * SIGTERM stops it.  One thread serves each connection; keep-alive works.
 *
 * The configuration file is JSON:
 *
 *	{ "access_keys": [ { "id": "testid", "secret": "testsecret" } ],
 *	  "secrets": {
 *	    "db": { "secret_type": "Generic", "tags": { "team": "pay" },
 *	            "versions": [ { "id": "v1", "stages": [ "ACSCurrent" ],
 *	                            "type": "text", "data": "s3cret" } ] } },
 *	  "oidc": { "provider_arn": "acs:ram::123:oidc-provider/ack",
 *	            "role_arn": "acs:ram::123:role/app",
 *	            "token_file": "/path/token", "lifetime_seconds": 3600 } }
 *
 * Versions are applied in order, as successive rotations: a later version
 * taking ACSCurrent leaves ACSPrevious to the one that held it.  A "binary"
 * version holds its data base64-encoded, and is returned as is with
 * SecretDataType binary.  The OIDC token file is read again at every
 * AssumeRoleWithOIDC; its content, without trailing white space, is the only
 * token accepted.  lifetime_seconds (or --sts-lifetime, which wins) replaces
 * the requested DurationSeconds, so that tests can get short-lived
 * credentials.
 *
 * API (any path but /_emu/): GetSecretValue and ListSecrets signed with
 * ACS3-HMAC-SHA256 (V3) or HMAC-SHA1 (V1), and the anonymous
 * AssumeRoleWithOIDC.  Checks, in order: the timestamp (format, then skew
 * of 15 minutes), the access key, the STS security token, the V3 signed
 * header list (host, the x-acs-* headers of the scheme, and every
 * content-type or x-acs-* header present), the signature, then the nonce.
 * Nonces are remembered 15 minutes in a table of fixed size (--nonce-cap,
 * 2^20 entries by default, about 24 MB); when a bucket is full its oldest
 * nonce is forgotten first.  Errors carry Alibaba's codes, HTTP statuses and
 * JSON body; SignatureDoesNotMatch echoes the server's string to sign (V1)
 * or canonical request (V3), security token included, as Alibaba does.
 *
 * Bounds: request bodies 256 KiB (413 RequestEntityTooLarge), 64 headers
 * (431), 128 KiB of request line and headers, 64 parameters, 512
 * connections (--max-connections), 100000 secrets of 32 versions, 4096
 * live STS credentials, 16 faults.
 *
 * Control API (unsigned, for tests only):
 *	GET    /_emu/stats		counts per action and per result code
 *	POST   /_emu/reset-stats	zero the counts
 *	PUT    /_emu/secret?name=X	add or rotate a version; body
 *		{"id", "data", "type": "text"|"binary", "stages": [...],
 *		 "tags": {...}}.  Stages default to ["ACSCurrent"]; a version
 *		 taking ACSCurrent passes ACSPrevious to the former current.
 *	DELETE /_emu/secret?name=X	remove a secret
 *	POST   /_emu/fault		inject a fault; body {"action": name or
 *		"*", "mode": "throttle"|"5xx"|"latency"|"notfound"|"echo",
 *		"count": N or "ratio": 0..1 (neither: until removed),
 *		"latency_ms": N, "code": error code, "time_left_ms": N}.
 *		throttle: 429 Rejected.Throttling, or with code Throttling.User
 *		400 and "x-ratelimit-user-api: TimeLeft:<ms>"; 5xx: 503
 *		ServiceUnavailableTemporary or code InternalFailure (500);
 *		notfound: 404 Forbidden.ResourceNotFound; latency: delay, then
 *		serve; echo: 400 SignatureDoesNotMatch echoing the valid request's
 *		string to sign (with its security token).  Faults apply after
 *		authentication.
 *	DELETE /_emu/fault		remove every fault
 *	POST   /_emu/sts-expire		expire every STS credential issued
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "emu_sign.h"

#define EMU_MAX_BODY		EMU_MAX_PARAMS_BYTES
#define EMU_MAX_HEADERS		64
#define EMU_MAX_SIGNED		32
#define EMU_SKEW		900	/* seconds either way */
#define EMU_NONCE_TTL		900
#define EMU_NONCE_SHARDS	16
#define EMU_NONCE_PROBE		16
#define EMU_MAX_SECRETS		100000
#define EMU_MAX_VERSIONS	32
#define EMU_MAX_STAGES		8
#define EMU_MAX_TAGS		20
#define EMU_MAX_KEYS		64
#define EMU_MAX_STS		4096
#define EMU_STS_KEEP		3600	/* keep expired credentials so long */
#define EMU_MAX_FAULTS		16
#define EMU_MAX_TOKEN		(64 * 1024)
#define EMU_MAX_CONFIG		(64 * 1024 * 1024)
#define EMU_MAX_LATENCY		60000
#define EMU_MAX_FILTERS		10

/* Result codes: what the emulator can answer, and how often it did. */
enum code {
	C_OK,
	C_NOT_FOUND,
	C_THROTTLED,
	C_THROTTLED_USER,
	C_UNAVAILABLE,
	C_INTERNAL,
	C_KEY_NOT_FOUND,
	C_TOKEN_EXPIRED,
	C_TOKEN_MISMATCH,
	C_TOKEN_MISSING,
	C_SIG_MISMATCH,
	C_SIG_INCOMPLETE,
	C_NONCE_USED,
	C_TS_EXPIRED,
	C_TS_ILLEGAL,
	C_MISSING_PARAM,
	C_INVALID_PARAM,
	C_NO_ACTION,
	C_BAD_VERSION,
	C_OIDC_INVALID,
	C_OIDC_NOPERM,
	C_NO_ROLE,
	C_SESSION_NAME,
	C_DURATION,
	C_TOO_LARGE,
	C_TOO_MANY_HEADERS,
	C_MAX
};

static const struct {
	const char	*name;
	int		 status;
	const char	*message;
} codes[C_MAX] = {
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

enum action {
	A_GET,
	A_LIST,
	A_ASSUME,
	A_OTHER,
	A_MAX
};

static const char *const action_names[A_MAX] = {
	"GetSecretValue", "ListSecrets", "AssumeRoleWithOIDC", "Unknown"
};

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

struct version {
	char	*id;
	char	*stages[EMU_MAX_STAGES];
	size_t	 nstages;
	char	*data;
	int	 binary;
	time_t	 created;
};

struct tag {
	char	*key;
	char	*val;
};

struct secret {
	char		*name;
	char		*type;
	struct version	 v[EMU_MAX_VERSIONS];
	size_t		 nv;
	unsigned int	 next_id;
	struct tag	 tags[EMU_MAX_TAGS];
	size_t		 ntags;
	time_t		 created;
	time_t		 updated;
};

struct access_key {
	char	*id;
	char	*secret;
};

struct sts_cred {
	char	 id[32];
	char	 secret[32];
	char	*token;
	time_t	 expires;
};

struct nonce_slot {
	uint64_t	 h1;
	uint64_t	 h2;
	time_t		 t;	/* 0: empty */
};

struct nonce_shard {
	pthread_mutex_t		 lock;
	struct nonce_slot	*slot;
	size_t			 cap;
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

/* Per request: the raw URI (kept by the URI callback) and the body. */
struct req {
	char	*uri;
	char	*body;
	size_t	 bodylen;
	int	 started;
	int	 too_large;
};

/* One API call being answered. */
struct call {
	struct MHD_Connection	*conn;
	struct req		*r;
	const char		*method;
	struct emu_params	 query;
	struct emu_params	 form;
	struct emu_params	 all;
	const char		*host;
	int			 action;
	char			 request_id[40];
	char			*echo;		/* server's string to sign */
	char			 errmsg[256];
};

static struct {
	/* Fixed after start-up. */
	struct access_key	 keys[EMU_MAX_KEYS];
	size_t			 nkeys;
	char			*oidc_provider;
	char			*oidc_role;
	char			*oidc_token_file;
	long			 lifetime;	/* 0: as requested */
	int			 verbose;

	pthread_rwlock_t	 store_lock;
	struct secret		**secrets;	/* sorted by name */
	size_t			 nsecrets;
	size_t			 secrets_cap;

	pthread_mutex_t		 sts_lock;
	struct sts_cred		 sts[EMU_MAX_STS];	/* oldest first */
	size_t			 nsts;

	struct nonce_shard	 nonces[EMU_NONCE_SHARDS];

	pthread_mutex_t		 fault_lock;
	struct fault		 faults[EMU_MAX_FAULTS];
	size_t			 nfaults;

	unsigned long		 stats[A_MAX][C_MAX];
} emu = {
	.store_lock = PTHREAD_RWLOCK_INITIALIZER,
	.sts_lock = PTHREAD_MUTEX_INITIALIZER,
	.fault_lock = PTHREAD_MUTEX_INITIALIZER,
};

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "alibaba-emu: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void *
xzalloc(size_t n)
{
	void	*p;

	if ((p = calloc(1, n)) == NULL)
		die("out of memory");
	return p;
}

/* "YYYY-MM-DDTHH:MM:SSZ" for t. */
static void
fmt_time(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Parses exactly "YYYY-MM-DDTHH:MM:SSZ"; -1 when malformed. */
static int
parse_time(const char *s, time_t *out)
{
	struct tm	 tm;
	int		 i;

	if (strlen(s) != 20)
		return -1;
	for (i = 0; i < 20; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return -1;
		} else if (i == 10) {
			if (s[i] != 'T')
				return -1;
		} else if (i == 13 || i == 16) {
			if (s[i] != ':')
				return -1;
		} else if (i == 19) {
			if (s[i] != 'Z')
				return -1;
		} else if (s[i] < '0' || s[i] > '9')
			return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Strict decimal in [min, max]; -1 otherwise. */
static int
parse_long(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (s == NULL || *s == '\0' || *s == ' ' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void
random_chars(char *out, size_t n, const char *alphabet)
{
	unsigned char	 rnd[64];
	size_t		 i, alen = strlen(alphabet);

	while (n > 0) {
		size_t	 chunk = n < sizeof(rnd) ? n : sizeof(rnd);

		if (RAND_bytes(rnd, (int)chunk) != 1)
			die("RAND_bytes failed");
		for (i = 0; i < chunk; i++)
			*out++ = alphabet[rnd[i] % alen];
		n -= chunk;
	}
	*out = '\0';
}

/*
 * The secret store.  Secrets live in an array sorted by name under a
 * read-write lock: lookups take the read lock, the control API the write
 * lock.
 */

static void
version_clear(struct version *v)
{
	size_t	 i;

	free(v->id);
	for (i = 0; i < v->nstages; i++)
		free(v->stages[i]);
	free(v->data);
	memset(v, 0, sizeof(*v));
}

static void
secret_free(struct secret *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nv; i++)
		version_clear(&s->v[i]);
	for (i = 0; i < s->ntags; i++) {
		free(s->tags[i].key);
		free(s->tags[i].val);
	}
	free(s->name);
	free(s->type);
	free(s);
}

/* Index of name, or of where it would go, in the sorted array. */
static size_t
store_index(const char *name, int *found)
{
	size_t	 lo = 0, hi = emu.nsecrets, mid;
	int	 r;

	*found = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = strcmp(emu.secrets[mid]->name, name);
		if (r == 0) {
			*found = 1;
			return mid;
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct secret *
store_find(const char *name)
{
	size_t	 i;
	int	 found;

	i = store_index(name, &found);
	return found ? emu.secrets[i] : NULL;
}

/* Finds or creates a secret; NULL when the store is full. */
static struct secret *
store_get_or_add(const char *name)
{
	struct secret	**ns, *s;
	size_t		  i, ncap;
	int		  found;

	i = store_index(name, &found);
	if (found)
		return emu.secrets[i];
	if (emu.nsecrets >= EMU_MAX_SECRETS)
		return NULL;
	if (emu.nsecrets == emu.secrets_cap) {
		ncap = emu.secrets_cap ? 2 * emu.secrets_cap : 64;
		if ((ns = realloc(emu.secrets, ncap * sizeof(*ns))) == NULL)
			return NULL;
		emu.secrets = ns;
		emu.secrets_cap = ncap;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	if ((s->name = strdup(name)) == NULL ||
	    (s->type = strdup("Generic")) == NULL) {
		secret_free(s);
		return NULL;
	}
	s->created = s->updated = time(NULL);
	s->next_id = 1;
	memmove(&emu.secrets[i + 1], &emu.secrets[i],
	    (emu.nsecrets - i) * sizeof(*emu.secrets));
	emu.secrets[i] = s;
	emu.nsecrets++;
	return s;
}

static void
store_remove(const char *name)
{
	size_t	 i;
	int	 found;

	i = store_index(name, &found);
	if (!found)
		return;
	secret_free(emu.secrets[i]);
	memmove(&emu.secrets[i], &emu.secrets[i + 1],
	    (emu.nsecrets - i - 1) * sizeof(*emu.secrets));
	emu.nsecrets--;
}

static int
version_has_stage(const struct version *v, const char *stage)
{
	size_t	 i;

	for (i = 0; i < v->nstages; i++)
		if (strcmp(v->stages[i], stage) == 0)
			return 1;
	return 0;
}

static void
version_drop_stage(struct version *v, const char *stage)
{
	size_t	 i;

	for (i = 0; i < v->nstages; i++) {
		if (strcmp(v->stages[i], stage) != 0)
			continue;
		free(v->stages[i]);
		v->stages[i] = v->stages[--v->nstages];
		return;
	}
}

static int
version_add_stage(struct version *v, const char *stage)
{
	if (version_has_stage(v, stage))
		return 0;
	if (v->nstages >= EMU_MAX_STAGES)
		return -1;
	if ((v->stages[v->nstages] = strdup(stage)) == NULL)
		return -1;
	v->nstages++;
	return 0;
}

static struct version *
secret_version(struct secret *s, const char *id)
{
	size_t	 i;

	for (i = 0; i < s->nv; i++)
		if (strcmp(s->v[i].id, id) == 0)
			return &s->v[i];
	return NULL;
}

/* Checks that s is valid base64 (the form of binary data). */
static int
valid_base64(const char *s)
{
	unsigned char	*out;
	size_t		 len = strlen(s);
	int		 r;

	if (len % 4 != 0)
		return 0;
	if ((out = malloc(len / 4 * 3 + 1)) == NULL)
		return 0;
	r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	free(out);
	return r >= 0;
}

/*
 * Parses a version spec {"id", "data", "type", "stages"} into v.  When
 * stages is absent, defstage (or none) is used.  Returns 0 or -1 with err.
 */
static int
version_parse(const cJSON *j, struct version *v, const char *defstage,
    char *err, size_t errlen)
{
	const cJSON	*id, *data, *type, *stages, *st;

	memset(v, 0, sizeof(*v));
	id = cJSON_GetObjectItemCaseSensitive(j, "id");
	data = cJSON_GetObjectItemCaseSensitive(j, "data");
	type = cJSON_GetObjectItemCaseSensitive(j, "type");
	stages = cJSON_GetObjectItemCaseSensitive(j, "stages");
	if (!cJSON_IsString(data)) {
		snprintf(err, errlen, "version needs a string \"data\"");
		return -1;
	}
	if (id != NULL && (!cJSON_IsString(id) || *id->valuestring == '\0')) {
		snprintf(err, errlen, "version \"id\" must be a string");
		return -1;
	}
	if (type != NULL && !(cJSON_IsString(type) &&
	    (strcmp(type->valuestring, "text") == 0 ||
	    strcmp(type->valuestring, "binary") == 0))) {
		snprintf(err, errlen, "version \"type\" is text or binary");
		return -1;
	}
	v->binary = type != NULL && strcmp(type->valuestring, "binary") == 0;
	if (v->binary && !valid_base64(data->valuestring)) {
		snprintf(err, errlen, "binary data must be base64");
		return -1;
	}
	if ((v->data = strdup(data->valuestring)) == NULL ||
	    (id != NULL && (v->id = strdup(id->valuestring)) == NULL))
		goto oom;
	v->created = time(NULL);
	if (stages == NULL) {
		if (defstage != NULL && version_add_stage(v, defstage) == -1)
			goto oom;
		return 0;
	}
	if (!cJSON_IsArray(stages)) {
		snprintf(err, errlen, "\"stages\" must be an array");
		goto fail;
	}
	cJSON_ArrayForEach(st, stages) {
		if (!cJSON_IsString(st) || *st->valuestring == '\0' ||
		    version_add_stage(v, st->valuestring) == -1) {
			snprintf(err, errlen, "bad or too many stages");
			goto fail;
		}
	}
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	version_clear(v);
	return -1;
}

static int
secret_set_tags(struct secret *s, const cJSON *tags, char *err,
    size_t errlen)
{
	const cJSON	*t;
	size_t		 i;

	if (!cJSON_IsObject(tags)) {
		snprintf(err, errlen, "\"tags\" must be an object");
		return -1;
	}
	for (i = 0; i < s->ntags; i++) {
		free(s->tags[i].key);
		free(s->tags[i].val);
	}
	s->ntags = 0;
	cJSON_ArrayForEach(t, tags) {
		if (!cJSON_IsString(t) || s->ntags >= EMU_MAX_TAGS) {
			snprintf(err, errlen, "tags: strings, at most %d",
			    EMU_MAX_TAGS);
			return -1;
		}
		s->tags[s->ntags].key = strdup(t->string);
		s->tags[s->ntags].val = strdup(t->valuestring);
		s->ntags++;
		if (s->tags[s->ntags - 1].key == NULL ||
		    s->tags[s->ntags - 1].val == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* Makes room for one more version by dropping the oldest stageless one. */
static int
secret_make_room(struct secret *s)
{
	size_t	 i;

	if (s->nv < EMU_MAX_VERSIONS)
		return 0;
	for (i = 0; i < s->nv; i++) {
		if (s->v[i].nstages != 0)
			continue;
		version_clear(&s->v[i]);
		memmove(&s->v[i], &s->v[i + 1],
		    (s->nv - i - 1) * sizeof(s->v[0]));
		s->nv--;
		return 0;
	}
	return -1;
}

/*
 * Adds v (taken over) to s, or replaces the version with its id.  Every
 * stage of v leaves the other versions; when v takes ACSCurrent, the former
 * current version becomes ACSPrevious.  Returns 0 or -1 with err.
 */
static int
secret_put_version(struct secret *s, struct version *v, char *err,
    size_t errlen)
{
	struct version	*old;
	char		 idbuf[32];
	size_t		 i, j;

	while (v->id == NULL) {
		snprintf(idbuf, sizeof(idbuf), "v%u", s->next_id++);
		if (secret_version(s, idbuf) == NULL &&
		    (v->id = strdup(idbuf)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if ((old = secret_version(s, v->id)) == NULL) {
		if (secret_make_room(s) == -1) {
			snprintf(err, errlen, "too many versions with stages");
			return -1;
		}
		old = &s->v[s->nv++];
	} else
		version_clear(old);
	if (version_has_stage(v, "ACSCurrent")) {
		for (i = 0; i < s->nv; i++)
			if (&s->v[i] != old)
				version_drop_stage(&s->v[i], "ACSPrevious");
		for (i = 0; i < s->nv; i++)
			if (&s->v[i] != old &&
			    version_has_stage(&s->v[i], "ACSCurrent"))
				version_add_stage(&s->v[i], "ACSPrevious");
	}
	for (j = 0; j < v->nstages; j++)
		for (i = 0; i < s->nv; i++)
			if (&s->v[i] != old)
				version_drop_stage(&s->v[i], v->stages[j]);
	*old = *v;
	memset(v, 0, sizeof(*v));
	s->updated = time(NULL);
	return 0;
}

/* Loads {"secret_type", "tags", "versions"} for the secret name. */
static void
config_secret(const char *name, const cJSON *j)
{
	const cJSON	*vs, *vj, *type, *tags;
	struct secret	*s;
	struct version	 v;
	char		 err[128];

	if (!cJSON_IsObject(j) || *name == '\0')
		die("config: secret \"%s\" must be an object", name);
	if ((s = store_get_or_add(name)) == NULL)
		die("config: too many secrets");
	type = cJSON_GetObjectItemCaseSensitive(j, "secret_type");
	if (cJSON_IsString(type)) {
		free(s->type);
		if ((s->type = strdup(type->valuestring)) == NULL)
			die("out of memory");
	}
	tags = cJSON_GetObjectItemCaseSensitive(j, "tags");
	if (tags != NULL && secret_set_tags(s, tags, err, sizeof(err)) == -1)
		die("config: secret %s: %s", name, err);
	vs = cJSON_GetObjectItemCaseSensitive(j, "versions");
	if (!cJSON_IsArray(vs))
		die("config: secret %s: \"versions\" must be an array", name);
	cJSON_ArrayForEach(vj, vs) {
		if (version_parse(vj, &v, NULL, err, sizeof(err)) == -1 ||
		    secret_put_version(s, &v, err, sizeof(err)) == -1)
			die("config: secret %s: %s", name, err);
	}
}

static char *
config_string(const cJSON *obj, const char *key, int required)
{
	const cJSON	*j;
	char		*s;

	j = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (j == NULL && !required)
		return NULL;
	if (!cJSON_IsString(j) || *j->valuestring == '\0')
		die("config: \"%s\" must be a non-empty string", key);
	if ((s = strdup(j->valuestring)) == NULL)
		die("out of memory");
	return s;
}

static char *
read_file(const char *path, size_t max, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = malloc(max + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (len <= max &&
	    (n = read(fd, buf + len, max + 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (n == -1 || len > max) {
		free(buf);
		errno = n == -1 ? errno : EFBIG;
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static void
config_load(const char *path)
{
	const cJSON	*keys, *k, *secrets, *s, *oidc, *life;
	cJSON		*root;
	char		*text;
	size_t		 len;

	if ((text = read_file(path, EMU_MAX_CONFIG, &len)) == NULL)
		die("config %s: %s", path, strerror(errno));
	if ((root = cJSON_ParseWithLength(text, len)) == NULL)
		die("config %s: not valid JSON", path);
	free(text);
	keys = cJSON_GetObjectItemCaseSensitive(root, "access_keys");
	cJSON_ArrayForEach(k, keys) {
		if (emu.nkeys >= EMU_MAX_KEYS)
			die("config: at most %d access keys", EMU_MAX_KEYS);
		emu.keys[emu.nkeys].id = config_string(k, "id", 1);
		emu.keys[emu.nkeys].secret = config_string(k, "secret", 1);
		emu.nkeys++;
	}
	secrets = cJSON_GetObjectItemCaseSensitive(root, "secrets");
	cJSON_ArrayForEach(s, secrets)
		config_secret(s->string, s);
	if ((oidc = cJSON_GetObjectItemCaseSensitive(root, "oidc")) != NULL) {
		emu.oidc_provider = config_string(oidc, "provider_arn", 1);
		emu.oidc_role = config_string(oidc, "role_arn", 1);
		emu.oidc_token_file = config_string(oidc, "token_file", 1);
		life = cJSON_GetObjectItemCaseSensitive(oidc,
		    "lifetime_seconds");
		if (life != NULL && emu.lifetime == 0) {
			if (!cJSON_IsNumber(life) || life->valuedouble < 1 ||
			    life->valuedouble > 43200)
				die("config: lifetime_seconds is 1 to 43200");
			emu.lifetime = (long)life->valuedouble;
		}
	}
	cJSON_Delete(root);
}

/*
 * Nonces.  A sharded open-addressing table of 128-bit digests with the time
 * they were seen.  A nonce is "used" while its slot is younger than the TTL.
 * Inserting looks at EMU_NONCE_PROBE slots and takes an empty or expired
 * one, or else the oldest: memory stays fixed and only the oldest nonces of
 * a crowded bucket are forgotten early.
 */

static void
nonce_init(size_t cap)
{
	size_t	 i, per = cap / EMU_NONCE_SHARDS;

	if (per < EMU_NONCE_PROBE)
		per = EMU_NONCE_PROBE;
	for (i = 0; i < EMU_NONCE_SHARDS; i++) {
		pthread_mutex_init(&emu.nonces[i].lock, NULL);
		emu.nonces[i].slot = xzalloc(per * sizeof(struct nonce_slot));
		emu.nonces[i].cap = per;
	}
}

/* Returns 1 when nonce was seen in the last 15 minutes, else records it. */
static int
nonce_used(const char *key_id, const char *nonce)
{
	unsigned char		 md[SHA256_DIGEST_LENGTH];
	struct nonce_shard	*sh;
	struct nonce_slot	*s, *pick, *empty = NULL, *oldest = NULL;
	uint64_t		 h1, h2;
	time_t			 now = time(NULL);
	size_t			 i, idx;
	EVP_MD_CTX		*ctx;

	/* The key id scopes the nonce; the NUL keeps the two apart. */
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, key_id, strlen(key_id) + 1) != 1 ||
	    EVP_DigestUpdate(ctx, nonce, strlen(nonce)) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return 1;
	}
	EVP_MD_CTX_free(ctx);
	memcpy(&h1, md, 8);
	memcpy(&h2, md + 8, 8);
	sh = &emu.nonces[h1 % EMU_NONCE_SHARDS];
	idx = (size_t)(h1 / EMU_NONCE_SHARDS) % sh->cap;
	pthread_mutex_lock(&sh->lock);
	for (i = 0; i < EMU_NONCE_PROBE; i++) {
		s = &sh->slot[(idx + i) % sh->cap];
		if (s->t == 0 || now - s->t >= EMU_NONCE_TTL) {
			if (empty == NULL)
				empty = s;
		} else if (s->h1 == h1 && s->h2 == h2) {
			pthread_mutex_unlock(&sh->lock);
			return 1;
		} else if (oldest == NULL || s->t < oldest->t)
			oldest = s;
	}
	pick = empty != NULL ? empty : oldest;
	pick->h1 = h1;
	pick->h2 = h2;
	pick->t = now;
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

/*
 * STS credentials, oldest first.  Expired ones are kept an hour so that a
 * late caller learns "expired" rather than "not found".
 */

static void
sts_prune(time_t now)
{
	size_t	 drop = 0, i;

	while (drop < emu.nsts && emu.sts[drop].expires + EMU_STS_KEEP < now)
		drop++;
	if (drop == 0 && emu.nsts == EMU_MAX_STS)
		drop = 1;
	for (i = 0; i < drop; i++)
		free(emu.sts[i].token);
	memmove(&emu.sts[0], &emu.sts[drop],
	    (emu.nsts - drop) * sizeof(emu.sts[0]));
	emu.nsts -= drop;
}

/* Issues credentials valid for lifetime seconds into out (token is new). */
static int
sts_issue(long lifetime, struct sts_cred *out)
{
	static const char	 alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 raw[96];
	struct sts_cred		*c;
	time_t			 now = time(NULL);
	size_t			 tlen = 4 + 4 * sizeof(raw) / 3 + 1;

	memset(out, 0, sizeof(*out));
	memcpy(out->id, "STS.", 4);
	random_chars(out->id + 4, 24, alnum);
	random_chars(out->secret, 30, alnum);
	if (RAND_bytes(raw, sizeof(raw)) != 1 ||
	    (out->token = malloc(tlen)) == NULL)
		return -1;
	/* Base64 gives "+", "/" and "=", which clients must encode. */
	memcpy(out->token, "CAIS", 4);
	EVP_EncodeBlock((unsigned char *)out->token + 4, raw, sizeof(raw));
	out->expires = now + lifetime;
	pthread_mutex_lock(&emu.sts_lock);
	sts_prune(now);
	c = &emu.sts[emu.nsts++];
	*c = *out;
	if ((c->token = strdup(out->token)) == NULL) {
		emu.nsts--;
		pthread_mutex_unlock(&emu.sts_lock);
		free(out->token);
		return -1;
	}
	pthread_mutex_unlock(&emu.sts_lock);
	return 0;
}

/*
 * Looks up an access key.  Copies its secret into secret (64 bytes) and,
 * for STS keys, checks the token.  Returns C_OK or an error code.
 */
static int
key_lookup(const char *id, const char *token, char *secret, size_t len)
{
	size_t	 i;
	int	 code = C_KEY_NOT_FOUND;

	if (strncmp(id, "STS.", 4) != 0) {
		for (i = 0; i < emu.nkeys; i++) {
			if (strcmp(emu.keys[i].id, id) != 0)
				continue;
			snprintf(secret, len, "%s", emu.keys[i].secret);
			return C_OK;
		}
		return C_KEY_NOT_FOUND;
	}
	pthread_mutex_lock(&emu.sts_lock);
	for (i = 0; i < emu.nsts; i++) {
		if (strcmp(emu.sts[i].id, id) != 0)
			continue;
		if (token == NULL)
			code = C_TOKEN_MISSING;
		else if (strcmp(token, emu.sts[i].token) != 0)
			code = C_TOKEN_MISMATCH;
		else if (time(NULL) >= emu.sts[i].expires)
			code = C_TOKEN_EXPIRED;
		else {
			snprintf(secret, len, "%s", emu.sts[i].secret);
			code = C_OK;
		}
		break;
	}
	pthread_mutex_unlock(&emu.sts_lock);
	return code;
}

/* Faults: the first matching fault fires; counted ones wear out. */
static int
fault_pick(int action, struct fault *out)
{
	struct fault	*f;
	unsigned int	 rnd;
	size_t		 i;
	int		 fired = 0;

	pthread_mutex_lock(&emu.fault_lock);
	for (i = 0; i < emu.nfaults && !fired; i++) {
		f = &emu.faults[i];
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
			memmove(f, f + 1, (emu.nfaults - i - 1) * sizeof(*f));
			emu.nfaults--;
		}
	}
	pthread_mutex_unlock(&emu.fault_lock);
	return fired;
}

static void
stats_count(int action, int code)
{
	__atomic_fetch_add(&emu.stats[action][code], 1, __ATOMIC_RELAXED);
}

/*
 * Responses.
 */

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

/* Sends j (deleted here) with status. */
static enum MHD_Result
send_json(struct MHD_Connection *conn, int status, cJSON *j,
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
	if (emu.verbose)
		fprintf(stderr, "alibaba-emu: %s -> %d %s\n",
		    action_names[c->action], codes[code].status,
		    codes[code].name);
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "RequestId", c->request_id);
	cJSON_AddStringToObject(j, "HostId", c->host);
	cJSON_AddStringToObject(j, "Code", codes[code].name);
	cJSON_AddStringToObject(j, "Message",
	    message != NULL ? message : codes[code].message);
	cJSON_AddStringToObject(j, "Recommend",
	    "https://api.aliyun.com/troubleshoot");
	cJSON_AddNumberToObject(j, "HttpStatus", codes[code].status);
	return send_json(c->conn, codes[code].status, j, hname, hval);
}

static enum MHD_Result
send_ok(struct call *c, cJSON *j)
{
	stats_count(c->action, C_OK);
	if (emu.verbose)
		fprintf(stderr, "alibaba-emu: %s -> 200 OK\n",
		    action_names[c->action]);
	cJSON_AddStringToObject(j, "RequestId", c->request_id);
	return send_json(c->conn, 200, j, "x-acs-request-id", c->request_id);
}

/*
 * Authentication.
 */

static const char *
header(struct call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name);
}

/* Timestamp checks shared by both schemes. */
static int
check_time(struct call *c, const char *ts)
{
	time_t	 t, now = time(NULL);

	if (parse_time(ts, &t) == -1)
		return C_TS_ILLEGAL;
	if (t > now + EMU_SKEW || t < now - EMU_SKEW)
		return C_TS_EXPIRED;
	return C_OK;
}

/* Builds the SignatureDoesNotMatch message around the server's view. */
static void
set_echo(struct call *c, const char *what, const char *text)
{
	size_t	 len = strlen(what) + strlen(text) + 80;

	free(c->echo);
	if ((c->echo = malloc(len)) != NULL)
		snprintf(c->echo, len, "Specified signature is not matched "
		    "with our calculation. %s%s", what, text);
}

/*
 * The last steps of both schemes: keep the server's view for the error
 * message, compare the signatures in constant time, then spend the nonce
 * (only a correctly signed request may use one up).
 */
static int
sig_conclude(struct call *c, const char *what, const char *text,
    const char *want, const char *sig, const char *id, const char *nonce)
{
	size_t	 len = strlen(want);

	set_echo(c, what, text);
	if (len != strlen(sig) || CRYPTO_memcmp(want, sig, len) != 0)
		return C_SIG_MISMATCH;
	return nonce_used(id, nonce) ? C_NONCE_USED : C_OK;
}

/* Splits "Credential=..,SignedHeaders=..,Signature=.." into its parts. */
static int
v3_parse_auth(const char *auth, char *cred, char *signed_headers,
    char *sig, size_t len)
{
	const char	*p, *end, *eq;
	char		*dst;
	size_t		 n;

	*cred = *signed_headers = *sig = '\0';
	for (p = auth; *p != '\0'; p = *end ? end + 1 : end) {
		while (*p == ' ')
			p++;
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		if ((eq = memchr(p, '=', end - p)) == NULL)
			return -1;
		if (eq - p == 10 && strncmp(p, "Credential", 10) == 0)
			dst = cred;
		else if (eq - p == 13 && strncmp(p, "SignedHeaders", 13) == 0)
			dst = signed_headers;
		else if (eq - p == 9 && strncmp(p, "Signature", 9) == 0)
			dst = sig;
		else
			return -1;
		n = end - eq - 1;
		while (n > 0 && eq[n] == ' ')
			n--;
		if (n >= len)
			return -1;
		memcpy(dst, eq + 1, n);
		dst[n] = '\0';
	}
	return *cred && *signed_headers && *sig ? 0 : -1;
}

/* The raw path of the request, without the query, as a new string. */
static char *
raw_path(struct call *c)
{
	const char	*u = c->r->uri, *q;

	if ((q = strchr(u, '?')) == NULL)
		q = u + strlen(u);
	if (q == u)
		return strdup("/");
	return strndup(u, q - u);
}

struct unsigned_hdr {
	const struct emu_header	*hdrs;
	size_t			 nh;
	char			 name[64];	/* the first one found */
};

/* Finds a content-type or x-acs-* header left out of SignedHeaders. */
static enum MHD_Result
find_unsigned(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct unsigned_hdr	*un = cls;
	size_t			 i;

	if (strcasecmp(key, "content-type") != 0 &&
	    strncasecmp(key, "x-acs-", 6) != 0)
		return MHD_YES;
	for (i = 0; i < un->nh; i++)
		if (strcasecmp(un->hdrs[i].name, key) == 0)
			return MHD_YES;
	snprintf(un->name, sizeof(un->name), "%s", key);
	return MHD_NO;
}

static int
v3_verify(struct call *c, const char *auth)
{
	static const char *const required[] = { "host", "x-acs-action",
	    "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
	    "x-acs-content-sha256", NULL };
	struct emu_header	 hdrs[EMU_MAX_SIGNED];
	char			 cred[256], sh[1024], shcopy[1024], sig[256];
	char			 secret[64], body_hash[65], want[65];
	char			*canon = NULL, *sts = NULL, *path = NULL;
	char			*name, *save;
	const char		*date, *nonce, *csha, *token;
	struct unsigned_hdr	 un;
	size_t			 nh = 0, i, j;
	int			 code;

	if (v3_parse_auth(auth, cred, sh, sig, 256) == -1 ||
	    strlen(sh) >= sizeof(sh))
		return C_SIG_INCOMPLETE;
	date = header(c, "x-acs-date");
	nonce = header(c, "x-acs-signature-nonce");
	csha = header(c, "x-acs-content-sha256");
	token = header(c, "x-acs-security-token");
	if (date == NULL || nonce == NULL || csha == NULL || *nonce == '\0') {
		snprintf(c->errmsg, sizeof(c->errmsg), "x-acs-date, "
		    "x-acs-signature-nonce and x-acs-content-sha256 are "
		    "required.");
		return C_SIG_INCOMPLETE;
	}
	if ((code = check_time(c, date)) != C_OK)
		return code;
	if ((code = key_lookup(cred, token, secret, sizeof(secret))) != C_OK)
		return code;

	/* The signed header list, and the headers that must be in it. */
	snprintf(shcopy, sizeof(shcopy), "%s", sh);
	for (name = strtok_r(shcopy, ";", &save); name != NULL;
	    name = strtok_r(NULL, ";", &save)) {
		if (nh == EMU_MAX_SIGNED)
			return C_SIG_INCOMPLETE;
		hdrs[nh].name = name;
		if ((hdrs[nh].val = header(c, name)) == NULL) {
			snprintf(c->errmsg, sizeof(c->errmsg),
			    "Signed header %s is absent.", name);
			return C_SIG_INCOMPLETE;
		}
		nh++;
	}
	for (i = 0; required[i] != NULL; i++) {
		for (j = 0; j < nh && strcmp(hdrs[j].name, required[i]); j++)
			;
		if (j == nh) {
			snprintf(c->errmsg, sizeof(c->errmsg),
			    "Header %s must be signed.", required[i]);
			return C_SIG_INCOMPLETE;
		}
	}
	un.hdrs = hdrs;
	un.nh = nh;
	un.name[0] = '\0';
	MHD_get_connection_values(c->conn, MHD_HEADER_KIND, find_unsigned,
	    &un);
	if (un.name[0] != '\0') {
		snprintf(c->errmsg, sizeof(c->errmsg), "Header %s is present "
		    "but not signed.", un.name);
		return C_SIG_INCOMPLETE;
	}

	emu_sha256_hex(c->r->body ? c->r->body : "", c->r->bodylen,
	    body_hash);
	if (strcmp(body_hash, csha) != 0) {
		snprintf(c->errmsg, sizeof(c->errmsg), "The x-acs-content-"
		    "sha256 header does not match the request body.");
		return C_SIG_MISMATCH;
	}
	if ((path = raw_path(c)) == NULL ||
	    (canon = emu_v3_canonical_request(c->method, path, &c->query,
	    hdrs, nh, sh, body_hash)) == NULL ||
	    (sts = emu_v3_string_to_sign(canon)) == NULL ||
	    emu_v3_sign(secret, sts, want, sizeof(want)) == -1) {
		code = C_INTERNAL;
		goto out;
	}
	code = sig_conclude(c, "server canonical request is:", canon, want,
	    sig, cred, nonce);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	free(path);
	free(canon);
	free(sts);
	return code;
}

static int
v1_verify(struct call *c, const char *sig)
{
	static const char *const required[] = { "AccessKeyId",
	    "SignatureMethod", "SignatureVersion", "SignatureNonce",
	    "Timestamp", "Format", NULL };
	const char	*id, *token, *nonce;
	char		 secret[64], want[64];
	char		*sts;
	size_t		 i;
	int		 code;

	for (i = 0; required[i] != NULL; i++) {
		if (emu_params_get(&c->all, required[i]) == NULL) {
			snprintf(c->errmsg, sizeof(c->errmsg),
			    "%s is mandatory for this action.", required[i]);
			return C_MISSING_PARAM;
		}
	}
	if (strcmp(emu_params_get(&c->all, "SignatureMethod"),
	    "HMAC-SHA1") != 0 ||
	    strcmp(emu_params_get(&c->all, "SignatureVersion"), "1.0") != 0) {
		snprintf(c->errmsg, sizeof(c->errmsg), "SignatureMethod must "
		    "be HMAC-SHA1 and SignatureVersion 1.0.");
		return C_SIG_INCOMPLETE;
	}
	if (strcmp(emu_params_get(&c->all, "Format"), "JSON") != 0) {
		snprintf(c->errmsg, sizeof(c->errmsg), "Format must be JSON "
		    "(the emulator does not answer XML).");
		return C_INVALID_PARAM;
	}
	code = check_time(c, emu_params_get(&c->all, "Timestamp"));
	if (code != C_OK)
		return code;
	id = emu_params_get(&c->all, "AccessKeyId");
	token = emu_params_get(&c->all, "SecurityToken");
	nonce = emu_params_get(&c->all, "SignatureNonce");
	if ((code = key_lookup(id, token, secret, sizeof(secret))) != C_OK)
		return code;
	if ((sts = emu_v1_string_to_sign(c->method, &c->all)) == NULL ||
	    emu_v1_sign(secret, sts, want, sizeof(want)) == -1) {
		code = C_INTERNAL;
		goto out;
	}
	code = sig_conclude(c, "server string to sign is:", sts, want, sig,
	    id, nonce);
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	free(sts);
	return code;
}

static int
authenticate(struct call *c)
{
	const char	*auth, *sig;

	auth = header(c, "Authorization");
	if (auth != NULL && strncmp(auth, "ACS3-HMAC-SHA256 ", 17) == 0)
		return v3_verify(c, auth + 17);
	if (auth != NULL) {
		snprintf(c->errmsg, sizeof(c->errmsg), "Only "
		    "ACS3-HMAC-SHA256 is accepted in Authorization.");
		return C_SIG_INCOMPLETE;
	}
	if ((sig = emu_params_get(&c->all, "Signature")) != NULL)
		return v1_verify(c, sig);
	snprintf(c->errmsg, sizeof(c->errmsg), "The request is not signed.");
	return C_SIG_INCOMPLETE;
}

/*
 * Actions.
 */

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
	pthread_rwlock_rdlock(&emu.store_lock);
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
		pthread_rwlock_unlock(&emu.store_lock);
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
	pthread_rwlock_unlock(&emu.store_lock);
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
	pthread_rwlock_rdlock(&emu.store_lock);
	for (i = 0; i < emu.nsecrets; i++) {
		if (!filter_match(emu.secrets[i], f, nf))
			continue;
		if (total >= (page - 1) * size && total < page * size)
			cJSON_AddItemToArray(arr,
			    list_entry(emu.secrets[i], tags));
		total++;
	}
	pthread_rwlock_unlock(&emu.store_lock);
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

	if ((want = read_file(emu.oidc_token_file, EMU_MAX_TOKEN, &len)) ==
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
	if (emu.oidc_provider == NULL ||
	    strcmp(provider, emu.oidc_provider) != 0)
		return send_error(c, C_OIDC_NOPERM, NULL, NULL, NULL);
	if (strcmp(role, emu.oidc_role) != 0)
		return send_error(c, C_NO_ROLE, NULL, NULL, NULL);
	if (!oidc_token_ok(token))
		return send_error(c, C_OIDC_INVALID, NULL, NULL, NULL);
	if (emu.lifetime > 0)
		duration = emu.lifetime;
	if (sts_issue(duration, &cred) == -1)
		return send_error(c, C_INTERNAL, NULL, NULL, NULL);

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

static int
action_index(const char *name)
{
	int	 i;

	for (i = 0; i < A_OTHER; i++)
		if (strcmp(action_names[i], name) == 0)
			return i;
	return A_OTHER;
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
	ct = header(c, "Content-Type");
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

static enum MHD_Result
serve_api(struct call *c)
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
	if ((name = header(c, "x-acs-action")) == NULL)
		name = emu_params_get(&c->all, "Action");
	if ((version = header(c, "x-acs-version")) == NULL)
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
	} else if ((code = authenticate(c)) != C_OK) {
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

/*
 * The control API.
 */

static enum MHD_Result
ctl_reply(struct MHD_Connection *conn, int status, const char *error)
{
	cJSON	*j = cJSON_CreateObject();

	if (error != NULL)
		cJSON_AddStringToObject(j, "error", error);
	else
		cJSON_AddTrueToObject(j, "ok");
	return send_json(conn, status, j, NULL, NULL);
}

static enum MHD_Result
ctl_stats(struct MHD_Connection *conn)
{
	cJSON		*j, *acts, *codes_all, *a, *ac;
	unsigned long	 n, total = 0, atotal, bycode[C_MAX] = { 0 };
	int		 i, k;

	j = cJSON_CreateObject();
	acts = cJSON_AddObjectToObject(j, "actions");
	for (i = 0; i < A_MAX; i++) {
		a = cJSON_AddObjectToObject(acts, action_names[i]);
		ac = cJSON_AddObjectToObject(a, "codes");
		atotal = 0;
		for (k = 0; k < C_MAX; k++) {
			n = __atomic_load_n(&emu.stats[i][k],
			    __ATOMIC_RELAXED);
			if (n == 0)
				continue;
			cJSON_AddNumberToObject(ac, codes[k].name, (double)n);
			atotal += n;
			bycode[k] += n;
		}
		cJSON_AddNumberToObject(a, "total", (double)atotal);
		total += atotal;
	}
	codes_all = cJSON_AddObjectToObject(j, "codes");
	for (k = 0; k < C_MAX; k++)
		if (bycode[k] != 0)
			cJSON_AddNumberToObject(codes_all, codes[k].name,
			    (double)bycode[k]);
	cJSON_AddNumberToObject(j, "total", (double)total);
	return send_json(conn, 200, j, NULL, NULL);
}

static enum MHD_Result
ctl_secret_put(struct MHD_Connection *conn, struct req *r, const char *name)
{
	const cJSON	*tags, *type;
	struct secret	*s;
	struct version	 v;
	cJSON		*j;
	char		 err[128], *ntype;
	int		 rc = -1;

	if ((j = cJSON_ParseWithLength(r->body ? r->body : "",
	    r->bodylen)) == NULL)
		return ctl_reply(conn, 400, "body is not JSON");
	if (version_parse(j, &v, "ACSCurrent", err, sizeof(err)) == -1) {
		cJSON_Delete(j);
		return ctl_reply(conn, 400, err);
	}
	tags = cJSON_GetObjectItemCaseSensitive(j, "tags");
	type = cJSON_GetObjectItemCaseSensitive(j, "secret_type");
	pthread_rwlock_wrlock(&emu.store_lock);
	if ((s = store_get_or_add(name)) == NULL)
		snprintf(err, sizeof(err), "too many secrets");
	else if (tags == NULL ||
	    secret_set_tags(s, tags, err, sizeof(err)) == 0)
		rc = secret_put_version(s, &v, err, sizeof(err));
	if (rc == 0 && cJSON_IsString(type) &&
	    (ntype = strdup(type->valuestring)) != NULL) {
		free(s->type);
		s->type = ntype;
	}
	pthread_rwlock_unlock(&emu.store_lock);
	version_clear(&v);
	cJSON_Delete(j);
	return ctl_reply(conn, rc == 0 ? 200 : 400, rc == 0 ? NULL : err);
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
	else if (strcmp(code->valuestring, codes[f->code].name) != 0)
		return -1;
	return 0;
}

static enum MHD_Result
ctl_fault_add(struct MHD_Connection *conn, struct req *r)
{
	struct fault	 f;
	const char	*err;
	cJSON		*j;
	int		 rc;

	if ((j = cJSON_ParseWithLength(r->body ? r->body : "",
	    r->bodylen)) == NULL)
		return ctl_reply(conn, 400, "body is not JSON");
	rc = fault_parse(j, &f, &err);
	cJSON_Delete(j);
	if (rc == -1)
		return ctl_reply(conn, 400, err);
	pthread_mutex_lock(&emu.fault_lock);
	if (emu.nfaults < EMU_MAX_FAULTS)
		emu.faults[emu.nfaults++] = f;
	else
		rc = -1;
	pthread_mutex_unlock(&emu.fault_lock);
	return ctl_reply(conn, rc == 0 ? 200 : 400,
	    rc == 0 ? NULL : "too many faults");
}

static enum MHD_Result
serve_control(struct MHD_Connection *conn, struct req *r, const char *url,
    const char *method)
{
	struct emu_params	 q = { .n = 0 };
	const char		*qs, *name;
	enum MHD_Result		 ret;
	size_t			 i;

	if (strcmp(url, "/_emu/stats") == 0 && strcmp(method, "GET") == 0)
		return ctl_stats(conn);
	if (strcmp(url, "/_emu/reset-stats") == 0 &&
	    strcmp(method, "POST") == 0) {
		for (i = 0; i < A_MAX * C_MAX; i++)
			__atomic_store_n(&emu.stats[i / C_MAX][i % C_MAX], 0,
			    __ATOMIC_RELAXED);
		return ctl_reply(conn, 200, NULL);
	}
	if (strcmp(url, "/_emu/fault") == 0 && strcmp(method, "POST") == 0)
		return ctl_fault_add(conn, r);
	if (strcmp(url, "/_emu/fault") == 0 && strcmp(method, "DELETE") == 0) {
		pthread_mutex_lock(&emu.fault_lock);
		emu.nfaults = 0;
		pthread_mutex_unlock(&emu.fault_lock);
		return ctl_reply(conn, 200, NULL);
	}
	if (strcmp(url, "/_emu/sts-expire") == 0 &&
	    strcmp(method, "POST") == 0) {
		pthread_mutex_lock(&emu.sts_lock);
		for (i = 0; i < emu.nsts; i++)
			emu.sts[i].expires = time(NULL) - 1;
		pthread_mutex_unlock(&emu.sts_lock);
		return ctl_reply(conn, 200, NULL);
	}
	if (strcmp(url, "/_emu/secret") != 0)
		return ctl_reply(conn, 404, "no such control endpoint");
	if ((qs = strchr(r->uri, '?')) == NULL ||
	    emu_params_parse(&q, qs + 1, strlen(qs + 1)) == -1 ||
	    (name = emu_params_get(&q, "name")) == NULL || *name == '\0') {
		emu_params_free(&q);
		return ctl_reply(conn, 400, "name= is required");
	}
	if (strcmp(method, "PUT") == 0)
		ret = ctl_secret_put(conn, r, name);
	else if (strcmp(method, "DELETE") == 0) {
		pthread_rwlock_wrlock(&emu.store_lock);
		store_remove(name);
		pthread_rwlock_unlock(&emu.store_lock);
		ret = ctl_reply(conn, 200, NULL);
	} else
		ret = ctl_reply(conn, 405, "PUT or DELETE");
	emu_params_free(&q);
	return ret;
}

/*
 * libmicrohttpd glue.
 */

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->uri = strdup(uri)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req	*r = *con_cls;

	if (r == NULL)
		return;
	free(r->uri);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void
body_append(struct req *r, const char *data, size_t len)
{
	char	*nb;

	if (r->too_large || r->bodylen + len > EMU_MAX_BODY) {
		r->too_large = 1;
		return;
	}
	if ((nb = realloc(r->body, r->bodylen + len + 1)) == NULL) {
		r->too_large = 1;
		return;
	}
	memcpy(nb + r->bodylen, data, len);
	r->body = nb;
	r->bodylen += len;
	r->body[r->bodylen] = '\0';
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct req	*r = *con_cls;
	struct call	 c;
	const char	*host;
	enum MHD_Result	 ret;
	unsigned char	 rnd[16];

	if (r == NULL)
		return MHD_NO;
	if (!r->started) {
		r->started = 1;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		body_append(r, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (strncmp(url, "/_emu/", 6) == 0)
		return serve_control(conn, r, url, method);

	memset(&c, 0, sizeof(c));
	c.conn = conn;
	c.r = r;
	c.method = method;
	c.action = A_OTHER;
	host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	c.host = host != NULL ? host : "localhost";
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	snprintf(c.request_id, sizeof(c.request_id),
	    "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
	    "%02X%02X%02X%02X%02X%02X", rnd[0], rnd[1], rnd[2], rnd[3],
	    rnd[4], rnd[5], rnd[6], rnd[7], rnd[8], rnd[9], rnd[10], rnd[11],
	    rnd[12], rnd[13], rnd[14], rnd[15]);
	ret = serve_api(&c);
	emu_params_free(&c.query);
	emu_params_free(&c.form);
	emu_params_free(&c.all);
	free(c.echo);
	return ret;
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: alibaba-emu [--config FILE] [--port N] [--port-file FILE]\n"
"           [--tls-cert PEM --tls-key PEM] [--sts-lifetime SECONDS]\n"
"           [--nonce-cap N] [--max-connections N] [--verbose]\n"
"\n"
"A local Alibaba Cloud KMS and STS for tests, on 127.0.0.1 only.  It checks\n"
"V3 (ACS3-HMAC-SHA256) and V1 (HMAC-SHA1) signatures, timestamps, nonces and\n"
"STS tokens, and serves GetSecretValue, ListSecrets and AssumeRoleWithOIDC.\n"
"Port 0 (the default) picks a free port; \"port=N\" goes to stdout and to the\n"
"port file once the server is ready.  --sts-lifetime overrides the lifetime\n"
"of issued STS credentials.  The configuration format is described at the\n"
"top of alibaba-emu.c.\n"
"\n"
"Control API (unsigned, tests only):\n"
"  GET    /_emu/stats              counts per action and result code\n"
"  POST   /_emu/reset-stats        zero the counts\n"
"  PUT    /_emu/secret?name=X      add or rotate a version, body\n"
"                 {\"id\", \"data\", \"type\", \"stages\", \"tags\"}\n"
"  DELETE /_emu/secret?name=X      remove a secret\n"
"  POST   /_emu/fault              inject a fault, body {\"action\",\n"
"                 \"mode\": throttle|5xx|latency|notfound|echo,\n"
"                 \"count\" | \"ratio\", \"latency_ms\", \"code\",\n"
"                 \"time_left_ms\"}\n"
"  DELETE /_emu/fault              remove every fault\n"
"  POST   /_emu/sts-expire         expire every issued STS credential\n");
}

static void
write_port_file(const char *path, unsigned int port)
{
	char	 tmp[PATH_MAX];
	FILE	*f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		die("port file name too long");
	if ((f = fopen(tmp, "w")) == NULL)
		die("%s: %s", tmp, strerror(errno));
	fprintf(f, "port=%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) == -1)
		die("%s: %s", path, strerror(errno));
}

static void
free_all(void)
{
	size_t	 i;

	for (i = 0; i < emu.nsecrets; i++)
		secret_free(emu.secrets[i]);
	free(emu.secrets);
	for (i = 0; i < emu.nkeys; i++) {
		free(emu.keys[i].id);
		free(emu.keys[i].secret);
	}
	for (i = 0; i < emu.nsts; i++)
		free(emu.sts[i].token);
	for (i = 0; i < EMU_NONCE_SHARDS; i++)
		free(emu.nonces[i].slot);
	free(emu.oidc_provider);
	free(emu.oidc_role);
	free(emu.oidc_token_file);
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "sts-lifetime", required_argument, NULL, 'l' },
		{ "nonce-cap", required_argument, NULL, 'n' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct MHD_OptionItem	 mo[12];
	const union MHD_DaemonInfo *info;
	struct sockaddr_in	 sin;
	struct MHD_Daemon	*d;
	const char		*config = NULL, *port_file = NULL;
	const char		*cert_path = NULL, *key_path = NULL;
	char			*cert = NULL, *key = NULL;
	long			 port = 0, nonce_cap = 1 << 20, maxconn = 512;
	size_t			 len, nmo = 0;
	unsigned int		 flags;
	sigset_t		 set;
	int			 ch, sig;

	while ((ch = getopt_long(argc, argv, "c:p:f:C:K:l:n:m:vh", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			config = optarg;
			break;
		case 'p':
			if (parse_long(optarg, 0, 65535, &port) == -1)
				die("bad --port %s", optarg);
			break;
		case 'f':
			port_file = optarg;
			break;
		case 'C':
			cert_path = optarg;
			break;
		case 'K':
			key_path = optarg;
			break;
		case 'l':
			if (parse_long(optarg, 1, 43200, &emu.lifetime) == -1)
				die("bad --sts-lifetime %s", optarg);
			break;
		case 'n':
			if (parse_long(optarg, 1024, 1 << 26, &nonce_cap) == -1)
				die("bad --nonce-cap %s", optarg);
			break;
		case 'm':
			if (parse_long(optarg, 1, 65536, &maxconn) == -1)
				die("bad --max-connections %s", optarg);
			break;
		case 'v':
			emu.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (cert_path == NULL) != (key_path == NULL)) {
		usage(stderr);
		return 2;
	}
	if (config != NULL)
		config_load(config);
	nonce_init((size_t)nonce_cap);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &sin };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_URI_LOG_CALLBACK,
	    (intptr_t)on_uri, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)on_done, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    maxconn, NULL };
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    120, NULL };
	mo[nmo++] = (struct MHD_OptionItem){
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, 128 * 1024, NULL };
	if (cert_path != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			die("libmicrohttpd was built without TLS");
		if ((cert = read_file(cert_path, 1 << 20, &len)) == NULL)
			die("%s: %s", cert_path, strerror(errno));
		if ((key = read_file(key_path, 1 << 20, &len)) == NULL)
			die("%s: %s", key_path, strerror(errno));
		flags |= MHD_USE_TLS;
		mo[nmo++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_CERT, 0, cert };
		mo[nmo++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_KEY, 0, key };
	}
	mo[nmo++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	/* Threads inherit the mask; main waits for the signals below. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_ARRAY, mo, MHD_OPTION_END);
	if (d == NULL)
		die("cannot start the server on 127.0.0.1:%ld", port);
	if ((info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) ==
	    NULL)
		die("cannot learn the bound port");
	if (port_file != NULL)
		write_port_file(port_file, info->port);
	printf("port=%u\n", info->port);
	fflush(stdout);

	while (sigwait(&set, &sig) != 0)
		;
	MHD_stop_daemon(d);
	if (key != NULL)
		OPENSSL_cleanse(key, strlen(key));
	free(cert);
	free(key);
	free_all();
	return 0;
}
