/*
 * Live test of alibaba-emu, run by test_emu.sh once it has started two
 * emulators (HTTP and HTTPS) on the configuration that script writes.
 *
 *	emu_client HTTP_PORT HTTPS_PORT CA_PEM WRONG_CA_PEM TOKEN_FILE
 *
 * It signs requests with the emulator's signature code (proved against the
 * published vectors by test_emu_sign) through libcurl, and checks that the
 * emulator accepts them, and rejects them, with Alibaba's codes and
 * statuses, once a single thing is wrong: a replayed nonce, a skewed or
 * malformed timestamp, an unknown key, a wrong secret, a parameter altered
 * after signing, a body that does not match its hash, a missing or expired
 * security token.  It then drives the actions, the control API, the faults
 * and the counters, and TLS against the right and the wrong CA.  TAP output.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/rand.h>

#include "emu_sign.h"
#include "tap.h"

#define BODY_MAX	(1024 * 1024)

struct resp {
	long	 status;
	CURLcode cc;
	char	*body;
	size_t	 len;
	char	 ratelimit[128];
	long	 connects;
	cJSON	*json;
};

/* A V3 request; NULL fields take their normal values. */
struct v3 {
	const char	*method;
	const char	*action;
	const char	*version;
	const char	*query;		/* encoded "k=v&..." */
	const char	*body;		/* form body */
	const char	*id;
	const char	*secret;
	const char	*token;
	const char	*date;
	const char	*nonce;
	const char	*sent_query;	/* sent instead of query */
	const char	*body_hash;	/* claimed instead of the real one */
	int		 unsigned_token; /* token header left out of signing */
	int		 curl_ctype;	/* let libcurl add its Content-Type */
};

/* A V1 request: op holds key, value pairs, NULL-terminated. */
struct v1 {
	const char		*method;
	const char		*action;
	const char		*version;
	const char *const	*op;
	const char		*id;
	const char		*secret;
	const char		*token;
	const char		*timestamp;
	const char		*nonce;
	int			 in_body;
	const char		*alter_key;	/* changed after signing */
	const char		*alter_val;
};

static CURL		*curl;
static char		 http_base[64], https_base[64];
static const char	*ca_file, *wrong_ca_file, *token_file;
static const char	*base = http_base;
static const char	*cafile;

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct resp	*r = arg;
	char		*nb;

	if (r->len + sz * n > BODY_MAX)
		return 0;
	if ((nb = realloc(r->body, r->len + sz * n + 1)) == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, sz * n);
	r->len += sz * n;
	r->body[r->len] = '\0';
	return sz * n;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct resp	*r = arg;
	const char	*name = "x-ratelimit-user-api:";
	size_t		 len = sz * n, nl = strlen(name), v;

	if (len > nl && strncasecmp(p, name, nl) == 0) {
		v = len - nl;
		if (v >= sizeof(r->ratelimit))
			v = sizeof(r->ratelimit) - 1;
		memcpy(r->ratelimit, p + nl, v);
		r->ratelimit[v] = '\0';
		while (v > 0 && strchr(" \r\n", r->ratelimit[v - 1]))
			r->ratelimit[--v] = '\0';
		memmove(r->ratelimit, r->ratelimit + (r->ratelimit[0] == ' '),
		    strlen(r->ratelimit));
	}
	return len;
}

static void
resp_free(struct resp *r)
{
	free(r->body);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

/* Sends one request on the shared handle (keep-alive). */
static void
send_req(const char *method, const char *url, struct curl_slist *hdrs,
    const char *body, struct resp *r)
{
	memset(r, 0, sizeof(*r));
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
		    (long)strlen(body));
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	if (cafile != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, cafile);
	r->cc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &r->connects);
	if (r->body != NULL)
		r->json = cJSON_Parse(r->body);
}

/* The member at a dotted path ("Credentials.AccessKeyId"), or NULL. */
static const cJSON *
jget(const cJSON *j, const char *path)
{
	char		 key[64];
	const char	*dot;

	while (j != NULL && (dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		j = cJSON_GetObjectItemCaseSensitive(j, key);
		path = dot + 1;
	}
	return cJSON_GetObjectItemCaseSensitive(j, path);
}

static const char *
jstr(const cJSON *j, const char *path)
{
	j = jget(j, path);
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static double
jnum(const cJSON *j, const char *path)
{
	j = jget(j, path);
	return cJSON_IsNumber(j) ? j->valuedouble : -1;
}

/* Item i of the array at path, a number, or -1. */
static double
jat(const cJSON *j, const char *path, int i)
{
	j = cJSON_GetArrayItem(jget(j, path), i);
	return cJSON_IsNumber(j) ? j->valuedouble : -1;
}

static void
now_str(char *buf, size_t len, long offset)
{
	time_t		 t = time(NULL) + offset;
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
fresh_nonce(char *buf)
{
	unsigned char	 rnd[16];
	int		 i;

	RAND_bytes(rnd, sizeof(rnd));
	for (i = 0; i < 16; i++)
		sprintf(buf + 2 * i, "%02x", rnd[i]);
}

static struct curl_slist *
add_header(struct curl_slist *l, const char *name, const char *val)
{
	char	 line[4096];

	snprintf(line, sizeof(line), "%s: %s", name, val);
	return curl_slist_append(l, line);
}

/* Signs and sends a V3 request. */
static void
v3_send(const struct v3 *q, struct resp *r)
{
	struct emu_header	 h[10];
	struct emu_params	 qp = { .n = 0 };
	struct curl_slist	*hl = NULL;
	char			 date[32], nonce[40], hash[65], sig[65];
	char			 sh[512], auth[1024], url[4096];
	char			*canon, *sts;
	const char		*host = strstr(base, "://") + 3;
	const char		*body = q->body;
	size_t			 n = 0, i;

	now_str(date, sizeof(date), 0);
	fresh_nonce(nonce);
	emu_sha256_hex(body ? body : "", body ? strlen(body) : 0, hash);
	if (body != NULL)
		h[n++] = (struct emu_header){ "content-type",
		    "application/x-www-form-urlencoded" };
	h[n++] = (struct emu_header){ "host", host };
	if (q->token != NULL && !q->unsigned_token)
		h[n++] = (struct emu_header){ "x-acs-accesskey-id", q->id };
	h[n++] = (struct emu_header){ "x-acs-action",
	    q->action ? q->action : "GetSecretValue" };
	h[n++] = (struct emu_header){ "x-acs-content-sha256",
	    q->body_hash ? q->body_hash : hash };
	h[n++] = (struct emu_header){ "x-acs-date", q->date ? q->date : date };
	if (q->token != NULL && !q->unsigned_token)
		h[n++] = (struct emu_header){ "x-acs-security-token",
		    q->token };
	h[n++] = (struct emu_header){ "x-acs-signature-nonce",
	    q->nonce ? q->nonce : nonce };
	h[n++] = (struct emu_header){ "x-acs-version",
	    q->version ? q->version : "2016-01-20" };
	sh[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(sh, i ? ";" : "");
		strcat(sh, h[i].name);
	}
	emu_params_parse(&qp, q->query ? q->query : "",
	    q->query ? strlen(q->query) : 0);
	canon = emu_v3_canonical_request(q->method ? q->method : "POST", "/",
	    &qp, h, n, sh, q->body_hash ? q->body_hash : hash);
	sts = emu_v3_string_to_sign(canon);
	emu_v3_sign(q->secret ? q->secret : "testsecret", sts, sig,
	    sizeof(sig));
	snprintf(auth, sizeof(auth), "ACS3-HMAC-SHA256 Credential=%s,"
	    "SignedHeaders=%s,Signature=%s", q->id ? q->id : "testid", sh,
	    sig);
	for (i = 0; i < n; i++)
		if (strcmp(h[i].name, "host") != 0)
			hl = add_header(hl, h[i].name, h[i].val);
	if (q->token != NULL && q->unsigned_token)
		hl = add_header(hl, "x-acs-security-token", q->token);
	if (body == NULL && !q->curl_ctype)
		hl = curl_slist_append(hl, "Content-Type:");
	hl = add_header(hl, "Authorization", auth);
	snprintf(url, sizeof(url), "%s/?%s", base,
	    q->sent_query ? q->sent_query : q->query ? q->query : "");
	send_req(q->method ? q->method : "POST", url, hl,
	    body ? body : (q->method && strcmp(q->method, "GET") == 0) ?
	    NULL : "", r);
	curl_slist_free_all(hl);
	emu_params_free(&qp);
	free(canon);
	free(sts);
}

/* Signs and sends a V1 request. */
static void
v1_send(const struct v1 *q, struct resp *r)
{
	struct emu_params	 ps = { .n = 0 };
	struct curl_slist	*hl = NULL;
	char			 ts[32], nonce[40], sig[64], url[8192];
	char			*sts, *cqs, *esig;
	const char		*method = q->method ? q->method : "GET";
	const char *const	*kv;
	size_t			 i;

	now_str(ts, sizeof(ts), 0);
	fresh_nonce(nonce);
	emu_params_add(&ps, "Action", q->action ? q->action :
	    "GetSecretValue");
	emu_params_add(&ps, "Version", q->version ? q->version :
	    "2016-01-20");
	emu_params_add(&ps, "Format", "JSON");
	emu_params_add(&ps, "AccessKeyId", q->id ? q->id : "testid");
	emu_params_add(&ps, "SignatureMethod", "HMAC-SHA1");
	emu_params_add(&ps, "SignatureVersion", "1.0");
	emu_params_add(&ps, "SignatureNonce", q->nonce ? q->nonce : nonce);
	emu_params_add(&ps, "Timestamp", q->timestamp ? q->timestamp : ts);
	if (q->token != NULL)
		emu_params_add(&ps, "SecurityToken", q->token);
	for (kv = q->op; kv != NULL && kv[0] != NULL; kv += 2)
		emu_params_add(&ps, kv[0], kv[1]);
	sts = emu_v1_string_to_sign(method, &ps);
	emu_v1_sign(q->secret ? q->secret : "testsecret", sts, sig,
	    sizeof(sig));
	if (q->alter_key != NULL)
		for (i = 0; i < ps.n; i++)
			if (strcmp(ps.p[i].key, q->alter_key) == 0) {
				free(ps.p[i].val);
				ps.p[i].val = strdup(q->alter_val);
			}
	emu_params_add(&ps, "Signature", sig);
	cqs = emu_canon_query(&ps, NULL);
	esig = emu_pct_encode(sig, strlen(sig));
	if (q->in_body) {
		snprintf(url, sizeof(url), "%s/", base);
		hl = curl_slist_append(hl,
		    "Content-Type: application/x-www-form-urlencoded");
		send_req(method, url, hl, cqs, r);
	} else {
		snprintf(url, sizeof(url), "%s/?%s", base, cqs);
		send_req(method, url, hl, strcmp(method, "POST") == 0 ? "" :
		    NULL, r);
	}
	curl_slist_free_all(hl);
	emu_params_free(&ps);
	free(sts);
	free(cqs);
	free(esig);
}

/* An unsigned request (control API, AssumeRoleWithOIDC). */
static void
plain(const char *method, const char *path, const char *body,
    const char *ctype, struct resp *r)
{
	struct curl_slist	*hl = NULL;
	char			 url[4096], line[256];

	snprintf(url, sizeof(url), "%s%s", base, path);
	snprintf(line, sizeof(line), "Content-Type: %s",
	    ctype ? ctype : "application/json");
	hl = curl_slist_append(hl, line);
	send_req(method, url, hl, body, r);
	curl_slist_free_all(hl);
}

static void
expect(const struct resp *r, long status, const char *code,
    const char *what)
{
	const char	*got = jstr(r->json, "Code");

	if (!ok(r->status == status && (code == NULL ? got == NULL :
	    got != NULL && strcmp(got, code) == 0), "%s", what))
		printf("#   status %ld body %s\n", r->status,
		    r->body ? r->body : "(none)");
}

static void
test_v3(void)
{
	struct resp	 r;
	struct v3	 q;
	char		 nonce[40], old[32];

	memset(&q, 0, sizeof(q));
	q.query = "SecretName=db-password";
	v3_send(&q, &r);
	expect(&r, 200, NULL, "V3: GetSecretValue accepted");
	is_str(jstr(r.json, "SecretData"), "new-pass", "V3: current value");
	is_str(jstr(r.json, "VersionId"), "v2", "V3: current version");
	is_str(jstr(r.json, "SecretDataType"), "text", "V3: text");
	resp_free(&r);

	v3_send(&q, &r);
	is_int(r.connects, 0, "keep-alive: the connection was reused");
	resp_free(&r);

	q.query = "SecretName=my%2Fsecret%20name%2A~%2B";
	v3_send(&q, &r);
	expect(&r, 200, NULL, "V3: a name that needs percent-encoding");
	is_str(jstr(r.json, "SecretData"), "weird", "V3: its value");
	resp_free(&r);

	memset(&q, 0, sizeof(q));
	q.body = "SecretName=db-password&VersionStage=ACSPrevious";
	v3_send(&q, &r);
	expect(&r, 200, NULL, "V3: parameters in a form body");
	is_str(jstr(r.json, "SecretData"), "old-pass", "V3: ACSPrevious");
	resp_free(&r);

	memset(&q, 0, sizeof(q));
	q.method = "GET";
	q.query = "SecretName=db-password&VersionId=v1";
	v3_send(&q, &r);
	expect(&r, 200, NULL, "V3: GET with a VersionId");
	is_str(jstr(r.json, "SecretData"), "old-pass", "V3: version v1");
	resp_free(&r);

	/* Replay: the same nonce twice. */
	memset(&q, 0, sizeof(q));
	fresh_nonce(nonce);
	q.query = "SecretName=db-password";
	q.nonce = nonce;
	v3_send(&q, &r);
	expect(&r, 200, NULL, "V3: first use of a nonce");
	resp_free(&r);
	v3_send(&q, &r);
	expect(&r, 400, "SignatureNonceUsed", "V3: replayed nonce refused");
	resp_free(&r);

	q.nonce = NULL;
	now_str(old, sizeof(old), -16 * 60);
	q.date = old;
	v3_send(&q, &r);
	expect(&r, 400, "InvalidTimeStamp.Expired", "V3: date 16 min old");
	resp_free(&r);
	now_str(old, sizeof(old), 16 * 60);
	v3_send(&q, &r);
	expect(&r, 400, "InvalidTimeStamp.Expired", "V3: date 16 min ahead");
	resp_free(&r);
	now_str(old, sizeof(old), -10 * 60);
	v3_send(&q, &r);
	expect(&r, 200, NULL, "V3: 10 minutes of skew accepted");
	resp_free(&r);
	q.date = "2026-12-03 10:00:00";
	v3_send(&q, &r);
	expect(&r, 400, "IllegalTimestamp", "V3: malformed date");
	resp_free(&r);
	q.date = NULL;

	q.id = "nosuchkey";
	v3_send(&q, &r);
	expect(&r, 404, "InvalidAccessKeyId.NotFound", "V3: unknown key");
	resp_free(&r);
	q.id = NULL;

	q.secret = "wrongsecret";
	v3_send(&q, &r);
	expect(&r, 400, "SignatureDoesNotMatch", "V3: wrong secret");
	ok(jstr(r.json, "Message") != NULL &&
	    strstr(jstr(r.json, "Message"), "x-acs-signature-nonce:") != NULL,
	    "V3: the message echoes the server's canonical request");
	resp_free(&r);
	q.secret = NULL;

	q.sent_query = "SecretName=db-passwore";
	v3_send(&q, &r);
	expect(&r, 400, "SignatureDoesNotMatch",
	    "V3: query altered after signing");
	resp_free(&r);
	q.sent_query = NULL;

	memset(&q, 0, sizeof(q));
	q.body = "SecretName=db-password";
	q.body_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991"
	    "b7852b855";
	v3_send(&q, &r);
	expect(&r, 400, "SignatureDoesNotMatch",
	    "V3: x-acs-content-sha256 not the body's");
	resp_free(&r);

	memset(&q, 0, sizeof(q));
	q.query = "SecretName=db-password";
	q.curl_ctype = 1;
	v3_send(&q, &r);
	expect(&r, 400, "IncompleteSignature",
	    "V3: the Content-Type libcurl adds must be signed");
	resp_free(&r);
	q.curl_ctype = 0;

	q.version = "2016-01-21";
	v3_send(&q, &r);
	expect(&r, 400, "InvalidVersion", "V3: wrong API version");
	resp_free(&r);

	q.version = NULL;
	q.action = "DeleteSecret";
	v3_send(&q, &r);
	expect(&r, 404, "InvalidAction.NotFound", "V3: unknown action");
	resp_free(&r);
}

static void
test_v1(void)
{
	static const char *const	 get[] = { "SecretName",
	    "db-password", NULL };
	static const char *const	 weird[] = { "SecretName",
	    "my/secret name*~+", "VersionStage", "ACSCurrent", NULL };
	struct resp			 r;
	struct v1			 q;
	char				 nonce[40], old[32];

	memset(&q, 0, sizeof(q));
	q.op = get;
	v1_send(&q, &r);
	expect(&r, 200, NULL, "V1: GET accepted");
	is_str(jstr(r.json, "SecretData"), "new-pass", "V1: value");
	resp_free(&r);

	q.op = weird;
	q.method = "POST";
	v1_send(&q, &r);
	expect(&r, 200, NULL, "V1: POST with the query, encoded name");
	resp_free(&r);

	q.in_body = 1;
	v1_send(&q, &r);
	expect(&r, 200, NULL, "V1: POST with a form body");
	is_str(jstr(r.json, "SecretData"), "weird", "V1: value");
	resp_free(&r);

	memset(&q, 0, sizeof(q));
	q.op = get;
	fresh_nonce(nonce);
	q.nonce = nonce;
	v1_send(&q, &r);
	resp_free(&r);
	v1_send(&q, &r);
	expect(&r, 400, "SignatureNonceUsed", "V1: replayed nonce refused");
	resp_free(&r);
	q.nonce = NULL;

	now_str(old, sizeof(old), -20 * 60);
	q.timestamp = old;
	v1_send(&q, &r);
	expect(&r, 400, "InvalidTimeStamp.Expired", "V1: skewed timestamp");
	resp_free(&r);
	q.timestamp = NULL;

	q.id = "other";
	v1_send(&q, &r);
	expect(&r, 400, "SignatureDoesNotMatch", "V1: another key's secret");
	ok(jstr(r.json, "Message") != NULL &&
	    strstr(jstr(r.json, "Message"), "GET&%2F&AccessKeyId%3Dother")
	    != NULL, "V1: the message echoes the server's string to sign");
	resp_free(&r);
	q.secret = "othersecret";
	v1_send(&q, &r);
	expect(&r, 200, NULL, "V1: the second access key");
	resp_free(&r);
	q.id = "ghost";
	v1_send(&q, &r);
	expect(&r, 404, "InvalidAccessKeyId.NotFound", "V1: unknown key");
	resp_free(&r);
	q.id = NULL;
	q.secret = NULL;

	q.alter_key = "SecretName";
	q.alter_val = "blob";
	v1_send(&q, &r);
	expect(&r, 400, "SignatureDoesNotMatch",
	    "V1: parameter altered after signing");
	resp_free(&r);
}

static void
test_get(void)
{
	struct resp	 r;
	struct v3	 q;

	memset(&q, 0, sizeof(q));
	q.query = "SecretName=blob";
	v3_send(&q, &r);
	expect(&r, 200, NULL, "binary secret");
	is_str(jstr(r.json, "SecretDataType"), "binary", "binary: type");
	is_str(jstr(r.json, "SecretData"), "AAECAwQ=", "binary: base64");
	resp_free(&r);

	q.query = "SecretName=acs%3Akms%3Acn-hangzhou%3A1234567890%3A"
	    "secret%2Fdb-password";
	v3_send(&q, &r);
	expect(&r, 200, NULL, "a secret named by its ARN");
	is_str(jstr(r.json, "SecretName"), "db-password", "ARN: name");
	resp_free(&r);

	q.query = "SecretName=missing";
	v3_send(&q, &r);
	expect(&r, 404, "Forbidden.ResourceNotFound", "missing secret");
	resp_free(&r);
	q.query = "SecretName=db-password&VersionId=v9";
	v3_send(&q, &r);
	expect(&r, 404, "Forbidden.ResourceNotFound", "missing version");
	resp_free(&r);
	q.query = "SecretName=db-password&VersionStage=Custom";
	v3_send(&q, &r);
	expect(&r, 404, "Forbidden.ResourceNotFound", "missing stage");
	resp_free(&r);
	q.query = "VersionStage=ACSCurrent";
	v3_send(&q, &r);
	expect(&r, 400, "MissingParameter", "SecretName required");
	resp_free(&r);
}

/* Sends a signed ListSecrets with the given (encoded) query. */
static void
list(const char *query, struct resp *r)
{
	struct v3	 q;

	memset(&q, 0, sizeof(q));
	q.action = "ListSecrets";
	q.query = query;
	v3_send(&q, r);
}

static void
test_list(void)
{
	struct resp	 r;
	const cJSON	*arr, *first;

	list("PageSize=2&PageNumber=1", &r);
	expect(&r, 200, NULL, "ListSecrets page 1");
	is_int(jnum(r.json, "TotalCount"), 7, "ListSecrets: total");
	arr = jget(r.json, "SecretList.Secret");
	is_int(cJSON_GetArraySize(arr), 2, "ListSecrets: page of two");
	first = cJSON_GetArrayItem(arr, 0);
	is_str(jstr(first, "SecretName"), "app/one", "ListSecrets: by name");
	ok(cJSON_GetObjectItemCaseSensitive(first, "Tags") == NULL,
	    "ListSecrets: no tags unless asked");
	resp_free(&r);

	list("PageSize=2&PageNumber=4", &r);
	arr = jget(r.json, "SecretList.Secret");
	is_int(cJSON_GetArraySize(arr), 1, "ListSecrets: last page");
	resp_free(&r);

	/* Filters=[{"Key":"TagValue","Values":["app"]}] */
	list("FetchTags=true&Filters=%5B%7B%22Key%22%3A%22TagValue%22%2C"
	    "%22Values%22%3A%5B%22app%22%5D%7D%5D", &r);
	expect(&r, 200, NULL, "ListSecrets with a tag filter");
	is_int(jnum(r.json, "TotalCount"), 3, "tag filter: three");
	arr = jget(r.json, "SecretList.Secret");
	first = cJSON_GetArrayItem(arr, 0);
	is_str(jstr(cJSON_GetArrayItem(jget(first, "Tags.Tag"), 0),
	    "TagValue"), "app", "tag filter: tags fetched");
	resp_free(&r);

	/* [{"Key":"SecretName","Values":["db"]},{"Key":"TagKey",...env}] */
	list("Filters=%5B%7B%22Key%22%3A%22SecretName%22%2C%22Values%22%3A"
	    "%5B%22db%22%5D%7D%2C%7B%22Key%22%3A%22TagKey%22%2C%22Values%22"
	    "%3A%5B%22env%22%5D%7D%5D", &r);
	is_int(jnum(r.json, "TotalCount"), 1, "name and tag key filters");
	resp_free(&r);

	list("PageSize=101", &r);
	expect(&r, 400, "InvalidParameter", "PageSize over 100 refused");
	resp_free(&r);
	list("Filters=%5B%7B%22Key%22%3A%22Color%22%7D%5D", &r);
	expect(&r, 400, "InvalidParameter", "unknown filter key refused");
	resp_free(&r);
}

static const char *
read_token(char *buf, size_t len)
{
	FILE	*f = fopen(token_file, "r");
	size_t	 n = 0;

	if (f != NULL) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void
write_token(const char *tok)
{
	FILE	*f = fopen(token_file, "w");

	if (f != NULL) {
		fprintf(f, "%s\n", tok);
		fclose(f);
	}
}

/* Sends AssumeRoleWithOIDC with a form; fields may be overridden. */
static void
assume(const char *token, const char *session, const char *duration,
    const char *role, struct resp *r)
{
	char	 body[8192];
	char	*et;

	et = emu_pct_encode(token, strlen(token));
	snprintf(body, sizeof(body), "DurationSeconds=%s&OIDCProviderArn="
	    "acs%%3Aram%%3A%%3A1234567890%%3Aoidc-provider%%2Fack-rrsa"
	    "&OIDCToken=%s&RoleArn=%s&RoleSessionName=%s", duration, et,
	    role ? role : "acs%3Aram%3A%3A1234567890%3Arole%2Freader",
	    session);
	free(et);
	plain("POST", "/?Action=AssumeRoleWithOIDC&Format=JSON"
	    "&Version=2015-04-01", body, "application/x-www-form-urlencoded",
	    r);
}

/* The client's monotonic clock in ms: the emulator's, on one host. */
static double
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)(ts.tv_nsec / 1000000);
}

/*
 * /_emu/sts-times: one more time for each credential issued, none for a
 * refusal, on the monotonic clock, oldest first.
 */
static void
test_sts_times(void)
{
	struct resp	 r, a;
	const cJSON	*times, *t;
	char		 tok[4096];
	double		 n0, t0, t1, last = -1, prev = -1;
	int		 sorted = 1, count = 0;

	read_token(tok, sizeof(tok));
	tok[strcspn(tok, "\n")] = '\0';
	plain("GET", "/_emu/sts-times", NULL, NULL, &r);
	is_int(r.status, 200, "sts-times served");
	n0 = jnum(r.json, "issued");
	ok(n0 >= 1, "sts-times: the earlier exchanges counted (%g)", n0);
	resp_free(&r);

	t0 = mono_ms();
	assume(tok, "xsecrets-times", "3600", NULL, &a);
	t1 = mono_ms();
	resp_free(&a);
	assume("wrong-token", "xsecrets-times", "3600", NULL, &a);
	resp_free(&a);
	plain("GET", "/_emu/sts-times", NULL, NULL, &r);
	is_int(jnum(r.json, "issued"), n0 + 1,
	    "sts-times: one more issue, none for a refusal");
	times = jget(r.json, "times_ms");
	cJSON_ArrayForEach(t, times) {
		if (!cJSON_IsNumber(t) || t->valuedouble < prev)
			sorted = 0;
		prev = last = cJSON_IsNumber(t) ? t->valuedouble : -1;
		count++;
	}
	ok(count == n0 + 1 && sorted, "sts-times: every time, oldest first");
	ok(last >= t0 - 1 && last <= t1 + 1,
	    "sts-times: the monotonic time of the exchange (%.0f in "
	    "[%.0f, %.0f])", last, t0, t1);
	resp_free(&r);
}

static void
test_sts(void)
{
	struct resp	 r, a;
	struct v3	 q;
	struct v1	 q1;
	static const char *const	 get[] = { "SecretName",
	    "db-password", NULL };
	char		 tok[4096], *id, *secret, *token;
	time_t		 exp;
	struct tm	 tm;

	read_token(tok, sizeof(tok));
	tok[strcspn(tok, "\n")] = '\0';
	assume(tok, "xsecrets-test", "3600", NULL, &a);
	expect(&a, 200, NULL, "AssumeRoleWithOIDC with the file's token");
	id = strdup(jstr(a.json, "Credentials.AccessKeyId") ?
	    jstr(a.json, "Credentials.AccessKeyId") : "");
	secret = strdup(jstr(a.json, "Credentials.AccessKeySecret") ?
	    jstr(a.json, "Credentials.AccessKeySecret") : "");
	token = strdup(jstr(a.json, "Credentials.SecurityToken") ?
	    jstr(a.json, "Credentials.SecurityToken") : "");
	ok(strncmp(id, "STS.", 4) == 0, "STS key id");
	memset(&tm, 0, sizeof(tm));
	ok(jstr(a.json, "Credentials.Expiration") != NULL &&
	    strptime(jstr(a.json, "Credentials.Expiration"),
	    "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL, "Expiration parses");
	exp = timegm(&tm);
	ok(exp > time(NULL) + 300 && exp <= time(NULL) + 600 + 60,
	    "--sts-lifetime 600 overrides DurationSeconds 3600");
	resp_free(&a);

	memset(&q, 0, sizeof(q));
	q.query = "SecretName=db-password";
	q.id = id;
	q.secret = secret;
	q.token = token;
	v3_send(&q, &r);
	expect(&r, 200, NULL, "V3 with STS credentials");
	resp_free(&r);
	q.unsigned_token = 1;
	v3_send(&q, &r);
	expect(&r, 400, "IncompleteSignature",
	    "V3: an unsigned security token refused");
	resp_free(&r);
	q.unsigned_token = 0;
	q.token = NULL;
	v3_send(&q, &r);
	expect(&r, 400, "MissingSecurityToken", "V3: STS key without token");
	resp_free(&r);
	q.token = "CAISforged";
	v3_send(&q, &r);
	expect(&r, 400, "InvalidSecurityToken.MismatchWithAccessKey",
	    "V3: another token");
	resp_free(&r);
	q.token = token;

	memset(&q1, 0, sizeof(q1));
	q1.op = get;
	q1.id = id;
	q1.secret = secret;
	q1.token = token;
	q1.method = "POST";
	q1.in_body = 1;
	v1_send(&q1, &r);
	expect(&r, 200, NULL, "V1 with STS credentials and SecurityToken");
	resp_free(&r);
	q1.token = NULL;
	v1_send(&q1, &r);
	expect(&r, 400, "MissingSecurityToken", "V1: STS key without token");
	resp_free(&r);
	q1.token = token;

	plain("POST", "/_emu/sts-expire", "", NULL, &r);
	resp_free(&r);
	v3_send(&q, &r);
	expect(&r, 400, "InvalidSecurityToken.Expired",
	    "V3: expired STS credentials");
	resp_free(&r);
	v1_send(&q1, &r);
	expect(&r, 400, "InvalidSecurityToken.Expired",
	    "V1: expired STS credentials");
	resp_free(&r);
	free(id);
	free(secret);
	free(token);

	assume("not-the-token", "xsecrets-test", "3600", NULL, &r);
	expect(&r, 401, "AuthenticationFail.OIDCToken.Invalid",
	    "AssumeRoleWithOIDC: wrong token");
	resp_free(&r);
	write_token("rotated.jwt+/=");
	assume(tok, "xsecrets-test", "3600", NULL, &r);
	expect(&r, 401, "AuthenticationFail.OIDCToken.Invalid",
	    "token file rotated: the old token is refused");
	resp_free(&r);
	assume("rotated.jwt+/=", "xsecrets-test", "3600", NULL, &r);
	expect(&r, 200, NULL, "token file rotated: the new token works");
	resp_free(&r);
	assume("rotated.jwt+/=", "bad name!", "3600", NULL, &r);
	expect(&r, 400, "InvalidParameter.RoleSessionName",
	    "AssumeRoleWithOIDC: bad session name");
	resp_free(&r);
	assume("rotated.jwt+/=", "x", "3600", NULL, &r);
	expect(&r, 400, "InvalidParameter.RoleSessionName",
	    "AssumeRoleWithOIDC: session name too short");
	resp_free(&r);
	assume("rotated.jwt+/=", "xsecrets-test", "899", NULL, &r);
	expect(&r, 400, "InvalidParameter.DurationSeconds",
	    "AssumeRoleWithOIDC: DurationSeconds under 900");
	resp_free(&r);
	assume("rotated.jwt+/=", "xsecrets-test", "43201", NULL, &r);
	expect(&r, 400, "InvalidParameter.DurationSeconds",
	    "AssumeRoleWithOIDC: DurationSeconds over 43200");
	resp_free(&r);
	assume("rotated.jwt+/=", "xsecrets-test", "3600",
	    "acs%3Aram%3A%3A1234567890%3Arole%2Fwriter", &r);
	expect(&r, 404, "EntityNotExist.Role",
	    "AssumeRoleWithOIDC: another role");
	resp_free(&r);
	write_token(tok);
}

static void
test_control(void)
{
	struct resp	 r;
	struct v3	 q;

	memset(&q, 0, sizeof(q));
	plain("PUT", "/_emu/secret?name=db-password",
	    "{\"id\":\"v3\",\"data\":\"newest\"}", NULL, &r);
	is_int(r.status, 200, "control: rotate db-password");
	resp_free(&r);
	q.query = "SecretName=db-password";
	v3_send(&q, &r);
	is_str(jstr(r.json, "SecretData"), "newest", "rotation: new current");
	resp_free(&r);
	q.query = "SecretName=db-password&VersionStage=ACSPrevious";
	v3_send(&q, &r);
	is_str(jstr(r.json, "SecretData"), "new-pass",
	    "rotation: the former current is ACSPrevious");
	resp_free(&r);
	q.query = "SecretName=db-password&VersionId=v1";
	v3_send(&q, &r);
	expect(&r, 200, NULL, "rotation: old versions stay readable");
	ok(cJSON_GetArraySize(jget(r.json, "VersionStages.VersionStage")) ==
	    0, "rotation: v1 lost ACSPrevious");
	resp_free(&r);

	plain("PUT", "/_emu/secret?name=fresh",
	    "{\"data\":\"AQID\",\"type\":\"binary\"}", NULL, &r);
	is_int(r.status, 200, "control: create a binary secret");
	resp_free(&r);
	q.query = "SecretName=fresh";
	v3_send(&q, &r);
	is_str(jstr(r.json, "SecretData"), "AQID", "created secret served");
	resp_free(&r);
	plain("PUT", "/_emu/secret?name=fresh",
	    "{\"data\":\"not base64!\",\"type\":\"binary\"}", NULL, &r);
	is_int(r.status, 400, "control: bad binary data refused");
	resp_free(&r);
	plain("DELETE", "/_emu/secret?name=fresh", NULL, NULL, &r);
	is_int(r.status, 200, "control: delete");
	resp_free(&r);
	v3_send(&q, &r);
	expect(&r, 404, "Forbidden.ResourceNotFound", "deleted secret gone");
	resp_free(&r);
	plain("GET", "/_emu/nothing", NULL, NULL, &r);
	is_int(r.status, 404, "control: unknown endpoint");
	resp_free(&r);
}

static void
fault(const char *spec)
{
	struct resp	 r;

	plain("POST", "/_emu/fault", spec, NULL, &r);
	if (!ok(r.status == 200, "fault accepted: %s", spec))
		printf("#   %s\n", r.body ? r.body : "");
	resp_free(&r);
}

static void
faults_clear(void)
{
	struct resp	 r;

	plain("DELETE", "/_emu/fault", NULL, NULL, &r);
	resp_free(&r);
}

static void
test_faults(void)
{
	struct resp	 r;
	struct v3	 q;
	const char	*msg;
	char		 tok[4096];

	memset(&q, 0, sizeof(q));
	q.query = "SecretName=db-password";
	fault("{\"action\":\"GetSecretValue\",\"mode\":\"throttle\","
	    "\"count\":2}");
	v3_send(&q, &r);
	expect(&r, 429, "Rejected.Throttling", "throttle 1 of 2");
	resp_free(&r);
	v3_send(&q, &r);
	expect(&r, 429, "Rejected.Throttling", "throttle 2 of 2");
	resp_free(&r);
	v3_send(&q, &r);
	expect(&r, 200, NULL, "the count wore out");
	resp_free(&r);

	fault("{\"mode\":\"throttle\",\"code\":\"Throttling.User\","
	    "\"time_left_ms\":1500,\"count\":1}");
	v3_send(&q, &r);
	expect(&r, 400, "Throttling.User", "Throttling.User");
	is_str(r.ratelimit, "TimeLeft:1500", "x-ratelimit-user-api header");
	resp_free(&r);

	fault("{\"mode\":\"5xx\",\"count\":1}");
	v3_send(&q, &r);
	expect(&r, 503, "ServiceUnavailableTemporary", "5xx: 503");
	resp_free(&r);
	fault("{\"mode\":\"5xx\",\"code\":\"InternalFailure\",\"count\":1}");
	v3_send(&q, &r);
	expect(&r, 500, "InternalFailure", "5xx: 500");
	resp_free(&r);
	fault("{\"mode\":\"notfound\",\"count\":1}");
	v3_send(&q, &r);
	expect(&r, 404, "Forbidden.ResourceNotFound", "notfound fault");
	resp_free(&r);
	fault("{\"mode\":\"latency\",\"latency_ms\":50,\"count\":1}");
	v3_send(&q, &r);
	expect(&r, 200, NULL, "latency fault still serves");
	resp_free(&r);

	q.token = NULL;
	fault("{\"mode\":\"echo\",\"count\":1}");
	v3_send(&q, &r);
	expect(&r, 400, "SignatureDoesNotMatch", "echo fault");
	msg = jstr(r.json, "Message");
	ok(msg != NULL && strstr(msg, "SecretName=db-password") != NULL,
	    "echo: the message carries the request");
	resp_free(&r);

	fault("{\"action\":\"ListSecrets\",\"mode\":\"5xx\"}");
	v3_send(&q, &r);
	expect(&r, 200, NULL, "a fault on another action does not fire");
	resp_free(&r);
	list(NULL, &r);
	expect(&r, 503, "ServiceUnavailableTemporary",
	    "a fault without count lasts");
	resp_free(&r);
	faults_clear();
	list(NULL, &r);
	expect(&r, 200, NULL, "DELETE /_emu/fault clears faults");
	resp_free(&r);

	fault("{\"mode\":\"notfound\",\"ratio\":0}");
	v3_send(&q, &r);
	expect(&r, 200, NULL, "ratio 0 never fires");
	resp_free(&r);
	faults_clear();
	fault("{\"mode\":\"notfound\",\"ratio\":1}");
	v3_send(&q, &r);
	expect(&r, 404, "Forbidden.ResourceNotFound", "ratio 1 always fires");
	resp_free(&r);
	faults_clear();

	fault("{\"action\":\"AssumeRoleWithOIDC\",\"mode\":\"echo\","
	    "\"count\":1}");
	read_token(tok, sizeof(tok));
	tok[strcspn(tok, "\n")] = '\0';
	assume(tok, "xsecrets-test", "3600", NULL, &r);
	expect(&r, 400, "SignatureDoesNotMatch", "echo fault on STS");
	msg = jstr(r.json, "Message");
	ok(msg != NULL && strstr(msg, "OIDCToken=") != NULL,
	    "echo: the STS message carries the OIDC token");
	resp_free(&r);

	plain("POST", "/_emu/fault", "{\"mode\":\"explode\"}", NULL, &r);
	is_int(r.status, 400, "unknown fault mode refused");
	resp_free(&r);
	plain("POST", "/_emu/fault", "{\"mode\":\"5xx\",\"ratio\":2}", NULL,
	    &r);
	is_int(r.status, 400, "ratio over 1 refused");
	resp_free(&r);
}

/* A signed GetSecretValue of db-password with nonce, or a fresh one. */
static void
signed_get(const char *nonce)
{
	struct resp	 r;
	struct v3	 q;
	char		 fresh[40];

	memset(&q, 0, sizeof(q));
	fresh_nonce(fresh);
	q.query = "SecretName=db-password";
	q.nonce = nonce != NULL ? nonce : fresh;
	v3_send(&q, &r);
	resp_free(&r);
}

static void
test_stats(void)
{
	const cJSON	*code;
	struct resp	 r;
	struct v3	 q;
	char		 nonce[40];

	plain("POST", "/_emu/reset-stats", "", NULL, &r);
	resp_free(&r);
	fresh_nonce(nonce);
	signed_get(nonce);
	signed_get(nonce);		/* refused: the nonce was used */
	memset(&q, 0, sizeof(q));
	q.query = "SecretName=db-password";
	q.id = "nobody";
	v3_send(&q, &r);
	resp_free(&r);
	list(NULL, &r);
	resp_free(&r);

	plain("GET", "/_emu/sts-times", NULL, NULL, &r);
	is_int(jnum(r.json, "issued"), 0, "reset-stats forgets the STS times");
	resp_free(&r);

	plain("GET", "/_emu/stats", NULL, NULL, &r);
	is_int(r.status, 200, "stats served");
	is_int(jnum(r.json, "actions.GetSecretValue.codes.OK"), 1,
	    "stats: GetSecretValue OK");
	is_int(jnum(r.json, "actions.GetSecretValue.codes.SignatureNonceUsed"),
	    1, "stats: SignatureNonceUsed");
	is_int(jnum(r.json, "actions.GetSecretValue.total"), 3,
	    "stats: GetSecretValue total");
	is_int(jnum(r.json, "actions.ListSecrets.total"), 1,
	    "stats: ListSecrets total");
	is_int(jnum(r.json, "total"), 4, "stats: total");
	code = cJSON_GetObjectItemCaseSensitive(jget(r.json, "codes"),
	    "InvalidAccessKeyId.NotFound");
	is_int(cJSON_IsNumber(code) ? code->valueint : -1, 1,
	    "stats: InvalidAccessKeyId.NotFound (a dotted name)");
	resp_free(&r);
}


/*
 * /_emu/busiest: two requests back to back, then one more 1.2 s later:
 * the busiest second holds two of the three.
 */
static void
test_busiest(void)
{
	struct resp	 r;

	plain("POST", "/_emu/reset-stats", "", NULL, &r);
	resp_free(&r);
	signed_get(NULL);
	signed_get(NULL);
	usleep(1200 * 1000);
	signed_get(NULL);
	plain("GET", "/_emu/busiest", NULL, NULL, &r);
	is_int(r.status, 200, "busiest served");
	is_int(jnum(r.json, "requests"), 3, "busiest: three KMS requests");
	is_int(jat(r.json, "widths_ms", 1), 1000, "busiest: the second width");
	is_int(jat(r.json, "busiest", 1), 2,
	    "busiest: two in the busiest second, not three");
	ok(jat(r.json, "busiest", 0) >= 1 && jat(r.json, "busiest", 0) <= 2,
	    "busiest: one or two in the busiest 100 ms");
	resp_free(&r);
	plain("POST", "/_emu/reset-stats", "", NULL, &r);
	resp_free(&r);
	plain("GET", "/_emu/busiest", NULL, NULL, &r);
	is_int(jat(r.json, "busiest", 1), 0, "reset-stats forgets them");
	resp_free(&r);
}

static void
test_bounds(void)
{
	struct resp	 r;
	char		*big;
	size_t		 n = 300 * 1024;

	big = malloc(n + 1);
	memset(big, 'a', n);
	memcpy(big, "SecretName=", 11);
	big[n] = '\0';
	plain("POST", "/?Action=GetSecretValue&Version=2016-01-20", big,
	    "application/x-www-form-urlencoded", &r);
	expect(&r, 413, "RequestEntityTooLarge", "body over the cap refused");
	resp_free(&r);
	free(big);
}

static void
test_tls(void)
{
	struct resp	 r;
	struct v3	 q;

	base = https_base;
	memset(&q, 0, sizeof(q));
	q.query = "SecretName=db-password";
	cafile = ca_file;
	v3_send(&q, &r);
	is_int(r.cc, CURLE_OK, "TLS: the test CA verifies the server");
	expect(&r, 200, NULL, "TLS: signed request served");
	resp_free(&r);

	curl_easy_cleanup(curl);
	curl = curl_easy_init();
	cafile = wrong_ca_file;
	v3_send(&q, &r);
	is_int(r.cc, CURLE_PEER_FAILED_VERIFICATION,
	    "TLS: a client trusting the wrong CA refuses the server");
	resp_free(&r);
	cafile = NULL;
	base = http_base;
}

int
main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: emu_client HTTP_PORT HTTPS_PORT CA "
		    "WRONG_CA TOKEN_FILE\n");
		return 2;
	}
	snprintf(http_base, sizeof(http_base), "http://127.0.0.1:%s",
	    argv[1]);
	snprintf(https_base, sizeof(https_base), "https://127.0.0.1:%s",
	    argv[2]);
	ca_file = argv[3];
	wrong_ca_file = argv[4];
	token_file = argv[5];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if ((curl = curl_easy_init()) == NULL)
		return 1;

	test_v3();
	test_v1();
	test_get();
	test_list();
	test_sts();
	test_sts_times();
	test_control();
	test_faults();
	test_stats();
	test_busiest();
	test_bounds();
	test_tls();

	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return tap_done();
}
