/*
 * The Alibaba provider end to end through its descriptor, against a fake
 * KMS and STS that check every request's signature from what is actually
 * sent (URL query and headers), as the service does: AccessKey trimming,
 * V3 and V1 signing, stages and versions, binary values, properties,
 * extract, find with paging and tags, fresh nonces on retries, RRSA with a
 * refresh after an expired token, and no secret in any output.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tap.h"
#include "test_alibaba_host.h"
#include "../../providers/alibaba/alibaba.h"

#define CANARY	"CANARY-7f3a9"
#define ROLE	"acs:ram::1234567890123456:role/xsecrets"
#define OIDC	"acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1"

/* What the fake service saw and how it behaves. */
static struct {
	const char	*key_id, *key_secret;	/* expected AccessKey */
	int		 sig_bad;		/* signature mismatches */
	int		 kms_calls, sts_calls, list_calls;
	int		 throttle;		/* answer 429 this many times */
	int		 expire_token;		/* refuse this many tokens */
	char		 nonces[8][64];
	int		 nnonces;
	char		 last_stage[64], last_version[64];
	char		 last_filters[512];
	int		 v1_seen;
	int		 token_seen;
} fk;

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return c - 'a' + 10;
}

/* Splits a query into decoded parameters; storage in store. */
static size_t
parse_query(const char *url, struct sign_param *p, size_t max, char *store,
    size_t storelen)
{
	const char	*q = strchr(url, '?');
	size_t		 n = 0, o = 0;
	int		 in_value;

	if (q == NULL)
		return 0;
	for (q++; *q != '\0' && n < max;) {
		p[n].key = store + o;
		in_value = 0;
		while (*q != '\0' && *q != '&' && o + 2 < storelen) {
			if (*q == '=' && !in_value) {
				store[o++] = '\0';
				p[n].value = store + o;
				in_value = 1;
				q++;
			} else if (*q == '%') {
				store[o++] = (char)(hexval(q[1]) * 16 +
				    hexval(q[2]));
				q += 3;
			} else
				store[o++] = *q++;
		}
		if (!in_value) {
			store[o++] = '\0';
			p[n].value = store + o;
		}
		store[o++] = '\0';
		n++;
		if (*q == '&')
			q++;
	}
	return n;
}

static const char *
param(const struct sign_param *p, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].key, key) == 0)
			return p[i].value;
	return NULL;
}

/* Checks a V3 request the way KMS does; returns the AccessKey id or NULL. */
static int
check_v3(const struct th_request *req, const struct sign_param *q, size_t nq,
    const char *secret)
{
	struct sign_v3_req	sr;
	struct buf		sh;
	const char		*auth;
	char			hash[65], sig[65], want[512], bodysha[65];
	int			good;

	auth = th_header(req, "Authorization");
	if (auth == NULL)
		return 0;
	sign_sha256_hex(&th_host, req->body, req->body_len, bodysha);
	if (strcmp(bodysha, th_header(req, "x-acs-content-sha256")) != 0)
		return 0;
	memset(&sr, 0, sizeof(sr));
	sr.method = "POST";
	sr.query = q;
	sr.nquery = nq;
	sr.headers = req->headers;
	sr.nheaders = req->nheaders;
	sr.body_sha256 = bodysha;
	buf_init(&sh, &th_host);
	sign_v3(&th_host, &sr, secret, hash, sig, &sh);
	snprintf(want, sizeof(want), "ACS3-HMAC-SHA256 Credential=%s,"
	    "SignedHeaders=%s,Signature=%s", fk.key_id, sh.p, sig);
	/* Everything Alibaba signs must have been signed. */
	good = strcmp(auth, want) == 0 && strstr(sh.p, "host") != NULL &&
	    strstr(sh.p, "content-type") != NULL;
	buf_free(&sh);
	return good;
}

static int
check_v1(const struct sign_param *q, size_t nq, const char *secret)
{
	struct sign_param	p[SIGN_MAX_PARAMS];
	const char		*got = NULL;
	char			sig[29];
	size_t			i, n = 0;

	for (i = 0; i < nq; i++) {
		if (strcmp(q[i].key, "Signature") == 0)
			got = q[i].value;
		else
			p[n++] = q[i];
	}
	if (got == NULL || sign_v1(&th_host, "POST", p, n, secret, sig) == -1)
		return 0;
	return strcmp(got, sig) == 0 && strcmp(param(q, nq, "AccessKeyId"),
	    fk.key_id) == 0 && strcmp(param(q, nq, "Format"), "JSON") == 0;
}

static void
answer(struct th_response *resp, int status, const char *body)
{
	resp->status = status;
	snprintf(resp->body, sizeof(resp->body), "%s", body);
}

static void
serve_sts(const struct th_request *req, struct th_response *resp)
{
	fk.sts_calls++;
	snprintf(resp->body, sizeof(resp->body), "{\"Credentials\":{"
	    "\"AccessKeyId\":\"STS.k%d\",\"AccessKeySecret\":\"s%d\","
	    "\"SecurityToken\":\"t%d\",\"Expiration\":\"2030-01-01T00:00:00Z"
	    "\"}}", fk.sts_calls, fk.sts_calls, fk.sts_calls);
	fk.key_id = fk.sts_calls == 1 ? "STS.k1" : "STS.k2";
	fk.key_secret = fk.sts_calls == 1 ? "s1" : "s2";
}

static void
serve_list(const struct sign_param *q, size_t nq, struct th_response *resp)
{
	int	page = atoi(param(q, nq, "PageNumber")), i, first, last, o;
	char	*b = resp->body;
	size_t	len = sizeof(resp->body);

	fk.list_calls++;
	snprintf(fk.last_filters, sizeof(fk.last_filters), "%s",
	    param(q, nq, "Filters") ? param(q, nq, "Filters") : "");
	first = (page - 1) * 100;
	last = first + 100 > 150 ? 150 : first + 100;
	o = snprintf(b, len, "{\"PageNumber\":%d,\"TotalCount\":150,"
	    "\"SecretList\":{\"Secret\":[", page);
	for (i = first; i < last; i++) {
		o += snprintf(b + o, len - (size_t)o, "%s{\"SecretName\":"
		    "\"app-%d\",\"Tags\":{\"Tag\":[{\"TagKey\":\"env\","
		    "\"TagValue\":\"%s\"}]}}", i > first ? "," : "", i,
		    i % 2 ? "prod" : "dev");
	}
	snprintf(b + o, len - (size_t)o, "]}}");
}

static void
serve_get(const struct sign_param *q, size_t nq, struct th_response *resp)
{
	const char	*name = param(q, nq, "SecretName");
	const char	*stage = param(q, nq, "VersionStage");
	const char	*ver = param(q, nq, "VersionId");

	snprintf(fk.last_stage, sizeof(fk.last_stage), "%s",
	    stage ? stage : "");
	snprintf(fk.last_version, sizeof(fk.last_version), "%s",
	    ver ? ver : "");
	if (strcmp(name, "db") == 0)
		answer(resp, 200, "{\"SecretName\":\"db\",\"SecretData\":"
		    "\"" CANARY "\",\"SecretDataType\":\"text\"}");
	else if (strcmp(name, "json") == 0)
		answer(resp, 200, "{\"SecretData\":\"{\\\"user\\\":\\\"u\\\","
		    "\\\"port\\\":5432,\\\"nested\\\":{\\\"a\\\":[1,2]},"
		    "\\\"dot.key\\\":\\\"d\\\"}\","
		    "\"SecretDataType\":\"text\"}");
	else if (strcmp(name, "bin") == 0)
		/* bytes 00 01 ff 41 */
		answer(resp, 200, "{\"SecretData\":\"AAH/QQ==\","
		    "\"SecretDataType\":\"binary\"}");
	else if (strcmp(name, "badbin") == 0)
		answer(resp, 200, "{\"SecretData\":\"!!!\","
		    "\"SecretDataType\":\"binary\"}");
	else if (strncmp(name, "app-", 4) == 0) {
		snprintf(resp->body, sizeof(resp->body), "{\"SecretData\":"
		    "\"value-of-%s\"}", name);
	} else
		answer(resp, 404, "{\"RequestId\":\"R-99\",\"Code\":"
		    "\"Forbidden.ResourceNotFound\",\"Message\":\"no " CANARY
		    "\"}");
}

static void
fake(const struct th_request *req, struct th_response *resp, void *arg)
{
	struct sign_param	q[SIGN_MAX_PARAMS];
	char			store[8192];
	const char		*action, *tok;
	size_t			nq;
	int			good;

	nq = parse_query(req->url, q, SIGN_MAX_PARAMS, store, sizeof(store));
	if (param(q, nq, "Action") != NULL &&
	    strcmp(param(q, nq, "Action"), "AssumeRoleWithOIDC") == 0) {
		serve_sts(req, resp);
		return;
	}
	fk.kms_calls++;
	if (param(q, nq, "Signature") != NULL) {
		fk.v1_seen++;
		good = check_v1(q, nq, fk.key_secret);
		action = param(q, nq, "Action");
		tok = param(q, nq, "SecurityToken");
	} else {
		good = check_v3(req, q, nq, fk.key_secret);
		action = th_header(req, "x-acs-action");
		tok = th_header(req, "x-acs-security-token");
		if (fk.nnonces < 8)
			snprintf(fk.nonces[fk.nnonces++], 64, "%s",
			    th_header(req, "x-acs-signature-nonce"));
	}
	if (!good) {
		fk.sig_bad++;
		answer(resp, 400, "{\"Code\":\"SignatureDoesNotMatch\","
		    "\"Message\":\"StringToSign " CANARY "\"}");
		return;
	}
	if (tok != NULL)
		fk.token_seen++;
	if (fk.expire_token > 0 && tok != NULL) {
		fk.expire_token--;
		answer(resp, 400,
		    "{\"Code\":\"InvalidSecurityToken.Expired\"}");
		return;
	}
	if (fk.throttle > 0) {
		fk.throttle--;
		answer(resp, 429, "{\"Code\":\"Rejected.Throttling\"}");
		return;
	}
	if (strcmp(action, "ListSecrets") == 0)
		serve_list(q, nq, resp);
	else
		serve_get(q, nq, resp);
}

static const struct xs_provider	*prov;

static void *
open_client(const char *json, const char *ns, const char *id,
    const char *secret, struct xs_store **stp)
{
	struct xs_store	*st;
	struct xs_diag	 d;
	void		*c = NULL;
	int32_t		 rc;

	st = th_store(json, "kms", ns);
	th_store_cred(st, "ak", "id", id);
	th_store_cred(st, "ak", "secret", secret);
	th_diag_init(&d);
	rc = prov->auth(&th_host, st, &c, &d);
	if (rc != XS_OK)
		printf("# auth: %d %s\n", rc, d.error);
	*stp = st;
	return c;
}

static int32_t
get(void *c, const char *key, const char *prop, const char *version,
    struct xs_result *r, struct xs_diag *d)
{
	struct xs_remote_ref	ref;

	memset(&ref, 0, sizeof(ref));
	ref.size = sizeof(ref);
	ref.key = key;
	ref.property = prop;
	ref.version = version;
	th_result_clear(r);
	th_diag_init(d);
	return prov->get_secret(c, &ref, r, d);
}

#define STORE_AK(extra) "{\"regionID\":\"cn-hangzhou\"" extra "," \
	"\"auth\":{\"secretRef\":{" \
	"\"accessKeyIDSecretRef\":{\"name\":\"ak\",\"key\":\"id\"}," \
	"\"accessKeySecretSecretRef\":{\"name\":\"ak\",\"key\":\"secret\"}}}}"

static void
test_accesskey(void)
{
	struct xs_store		*st;
	struct xs_result	 r;
	struct xs_diag		 d;
	struct xs_remote_ref	 ref;
	void			*c;

	th_result_init(&r);
	fk.key_id = "AKID";
	fk.key_secret = "SECRET";
	c = open_client(STORE_AK(""), "team-a", " AKID\n", "SECRET \r\n",
	    &st);
	ok(c != NULL, "auth with an AccessKey");

	is_int(get(c, "db", NULL, NULL, &r, &d), XS_OK, "get_secret");
	ok(r.has_value && strcmp(r.value, CANARY) == 0, "value returned");
	is_int(fk.sig_bad, 0, "V3 signature accepted, key trimmed");
	is_str(fk.last_stage, "ACSCurrent", "default stage ACSCurrent");

	get(c, "db", NULL, "stage:ACSPrevious", &r, &d);
	is_str(fk.last_stage, "ACSPrevious", "stage: selects a VersionStage");
	get(c, "db", NULL, "v7", &r, &d);
	ok(strcmp(fk.last_version, "v7") == 0 && fk.last_stage[0] == '\0',
	    "other versions are a VersionId");

	is_int(get(c, "bin", NULL, NULL, &r, &d), XS_OK, "binary value");
	ok(r.len == 4 && memcmp(r.value, "\x00\x01\xff\x41", 4) == 0,
	    "binary value decoded");
	is_int(get(c, "badbin", NULL, NULL, &r, &d), XS_ERR_PROTOCOL,
	    "bad base64 in a binary value");

	is_int(get(c, "json", "user", NULL, &r, &d), XS_OK, "property");
	is_str(r.value, "u", "string property raw");
	get(c, "json", "port", NULL, &r, &d);
	is_str(r.value, "5432", "number property as JSON text");
	get(c, "json", "nested", NULL, &r, &d);
	is_str(r.value, "{\"a\":[1,2]}", "object property as JSON text");
	get(c, "json", "nested.a.1", NULL, &r, &d);
	is_str(r.value, "2", "property path into an array");
	get(c, "json", "dot\\.key", NULL, &r, &d);
	is_str(r.value, "d", "escaped dot in a property");
	is_int(get(c, "json", "missing", NULL, &r, &d), XS_ERR_NOT_FOUND,
	    "missing property: not found");
	is_int(get(c, "db", "user", NULL, &r, &d), XS_ERR_INVALID,
	    "property of a non-JSON value: invalid");
	ok(strstr(d.error, CANARY) == NULL, "the value is not in the error");

	is_int(get(c, "gone", NULL, NULL, &r, &d), XS_ERR_NOT_FOUND,
	    "Forbidden.ResourceNotFound: not found");
	ok(strstr(d.error, CANARY) == NULL && strstr(d.error, "R-99") ==
	    NULL && strstr(d.error, "gone") != NULL,
	    "not-found message: %s", d.error);

	memset(&ref, 0, sizeof(ref));
	ref.size = sizeof(ref);
	ref.key = "json";
	th_result_clear(&r);
	th_diag_init(&d);
	is_int(prov->get_secret_map(c, &ref, &r, &d), XS_OK,
	    "get_secret_map");
	ok(r.nitems == 4 && strcmp(th_result_get(&r, "user"), "u") == 0 &&
	    strcmp(th_result_get(&r, "port"), "5432") == 0 &&
	    strcmp(th_result_get(&r, "nested"), "{\"a\":[1,2]}") == 0,
	    "extract keeps JSON text for non-strings");
	ref.key = "db";
	th_result_clear(&r);
	is_int(prov->get_secret_map(c, &ref, &r, &d), XS_ERR_INVALID,
	    "extract of a non-JSON value: invalid");
	ref.key = "db";
	ref.metadata = 1;
	th_diag_init(&d);
	is_int(prov->get_secret(c, &ref, &r, &d), XS_ERR_UNSUPPORTED,
	    "metadataPolicy Fetch: unsupported");

	/* Every attempt is signed afresh. */
	fk.nnonces = 0;
	fk.throttle = 2;
	is_int(get(c, "db", NULL, NULL, &r, &d), XS_OK,
	    "throttled twice, then served");
	ok(fk.nnonces == 3 && strcmp(fk.nonces[0], fk.nonces[1]) != 0 &&
	    strcmp(fk.nonces[1], fk.nonces[2]) != 0,
	    "each attempt has its own nonce");

	th_result_clear(&r);
	prov->close(c);
	th_store_free(st);

	fk.key_secret = "OTHER";
	c = open_client(STORE_AK(""), "team-a", "AKID", "SECRET", &st);
	fk.sig_bad = 0;
	is_int(get(c, "db", NULL, NULL, &r, &d), XS_ERR_AUTH,
	    "wrong secret: auth");
	ok(strstr(d.error, "no trailing newline") != NULL &&
	    strstr(d.error, CANARY) == NULL, "says what to check: %s",
	    d.error);
	th_result_clear(&r);
	prov->close(c);
	th_store_free(st);
	fk.key_secret = "SECRET";

	c = open_client(STORE_AK(""), "team-a", " \n", "SECRET", &st);
	ok(c == NULL, "an empty AccessKey ID is refused");
	th_store_free(st);
}

static void
test_v1(void)
{
	struct xs_store		*st;
	struct xs_result	 r;
	struct xs_diag		 d;
	void			*c;

	th_result_init(&r);
	fk.key_id = "AKID";
	fk.key_secret = "SECRET";
	fk.sig_bad = fk.v1_seen = 0;
	c = open_client(STORE_AK(",\"signatureVersion\":\"v1\","
	    "\"endpoint\":\"kms-vpc.cn-hangzhou.aliyuncs.com\""), "team-a",
	    "AKID", "SECRET", &st);
	is_int(get(c, "db", NULL, NULL, &r, &d), XS_OK, "V1 get_secret");
	ok(fk.v1_seen == 1 && fk.sig_bad == 0, "V1 signature accepted");
	th_result_clear(&r);
	prov->close(c);
	th_store_free(st);
}

static void
test_find(void)
{
	struct xs_store		*st;
	struct xs_result	 r;
	struct xs_diag		 d;
	struct xs_find		 f;
	struct xs_tag		 tag = { "env", "prod" };
	void			*c;

	th_result_init(&r);
	th_diag_init(&d);
	fk.key_id = "AKID";
	fk.key_secret = "SECRET";
	c = open_client(STORE_AK(""), "team-a", "AKID", "SECRET", &st);
	memset(&f, 0, sizeof(f));
	f.size = sizeof(f);
	f.name_regexp = "^app-1[0-9]*$";
	f.tags = &tag;
	f.ntags = 1;
	fk.list_calls = 0;
	is_int(prov->find_secrets(c, &f, &r, &d), XS_OK, "find");
	is_int(fk.list_calls, 2, "two pages listed");
	/* app-1, app-1x (10..19), app-1xx (100..149): odd ones are prod. */
	is_int(r.nitems, 1 + 5 + 25, "regexp and tag applied");
	is_str(th_result_get(&r, "app-101"), "value-of-app-101",
	    "found secrets fetched");
	ok(th_result_get(&r, "app-100") == NULL, "other tag left out");
	is_str(fk.last_filters, "[{\"Key\":\"TagKey\",\"Values\":[\"env\"]},"
	    "{\"Key\":\"TagValue\",\"Values\":[\"prod\"]}]",
	    "tag filters sent to KMS");
	th_result_clear(&r);

	f.name_regexp = "([";
	th_diag_init(&d);
	is_int(prov->find_secrets(c, &f, &r, &d), XS_ERR_INVALID,
	    "bad regexp: invalid");
	th_result_clear(&r);
	prov->close(c);
	th_store_free(st);
}

static void
test_rrsa(void)
{
	char		 dir[] = "/tmp/xs-alibaba-read.XXXXXX", path[300];
	char		 json[1024];
	struct xs_store	*st;
	struct xs_result r;
	struct xs_diag	 d;
	FILE		*fp;
	void		*c;

	th_result_init(&r);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/token", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs("jwt.jwt.jwt\n", fp);
	fclose(fp);
	snprintf(json, sizeof(json), "{\"regionID\":\"cn-hangzhou\","
	    "\"auth\":{\"rrsa\":{\"roleArn\":\"" ROLE "\",\"oidcProviderArn\":"
	    "\"" OIDC "\",\"oidcTokenFilePath\":\"%s\"}}}", path);
	fk.sts_calls = fk.token_seen = fk.sig_bad = 0;
	st = th_store(json, "kms", "");
	th_diag_init(&d);
	is_int(prov->auth(&th_host, st, &c, &d), XS_OK, "RRSA auth");
	is_int(fk.sts_calls, 1, "auth made the exchange");
	is_int(get(c, "db", NULL, NULL, &r, &d), XS_OK, "RRSA get_secret");
	ok(fk.token_seen == 1 && fk.sig_bad == 0,
	    "signed with the STS key and token");
	fk.expire_token = 1;
	is_int(get(c, "db", NULL, NULL, &r, &d), XS_OK,
	    "expired token: renewed and retried");
	ok(fk.sts_calls == 2 && fk.sig_bad == 0, "one new exchange");
	th_result_clear(&r);
	prov->close(c);
	th_store_free(st);
	unlink(path);
	rmdir(dir);
}

static void
test_descriptor(void)
{
	ok(prov != NULL && strcmp(prov->name, "alibaba") == 0 &&
	    prov->abi_major == XS_ABI_MAJOR &&
	    prov->size == sizeof(struct xs_provider), "descriptor");
	ok(strcmp(prov->endpoints[0], "*.aliyuncs.com") == 0 &&
	    prov->endpoints[1] == NULL, "default allow-list");
	ok(prov->default_rate > 0 && prov->default_rate < 450,
	    "default rate under the shared quota");
}

int
main(void)
{
	th_init();
	th_set_http(fake, NULL);
	prov = xs_provider_entry();
	test_descriptor();
	test_accesskey();
	test_v1();
	test_find();
	test_rrsa();
	ok(strstr(th_log_text(), CANARY) == NULL, "no value in the log");
	is_int(th_secure_live(), 0, "no secure memory leaked");
	return tap_done();
}
