/*
 * libFuzzer harness for the Alibaba provider's reading of what KMS and STS
 * answer: every response the provider parses comes from the input.  The
 * provider runs through its descriptor, on the unit tests' host
 * (tests/unit/test_alibaba_host.c), whose HTTP answers every request with
 * the input's status and body; retries do not sleep.
 *
 * Input: byte 0 picks the call, byte 1 the HTTP status (its high bit: the
 * rest starts with one header line, "Name: value\n"), the rest is the
 * body (at most 8191 bytes):
 *	0  get_secret                  GetSecretValue
 *	1  get_secret with a property  GetSecretValue, then the JSON path
 *	2  get_secret_map              GetSecretValue, then each member
 *	3  find_secrets                ListSecrets, page after page
 *	4  RRSA auth, then get_secret  AssumeRoleWithOIDC, then KMS with the
 *	                               credentials it returned
 *
 * Nothing may crash, leak (secure memory is counted too) or loop without
 * bound.  See tests/fuzz/README.md.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_alibaba_host.h"
#include "../../providers/alibaba/alibaba.h"
#include "../../providers/alibaba/errors.h"
#include "../../providers/alibaba/rrsa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define STORE_AK "{\"regionID\":\"cn-hangzhou\",\"auth\":{\"secretRef\":{" \
	"\"accessKeyIDSecretRef\":{\"name\":\"ak\",\"key\":\"id\"}," \
	"\"accessKeySecretSecretRef\":{\"name\":\"ak\",\"key\":\"secret\"}}}}"

static const int statuses[] = {
	200, 200, 200, 200, 204, 299, 302, 400, 401, 403, 404, 409, 429, 500,
	502, 503, 504, 100, 0, 999,
};

static struct {
	const uint8_t	*body;
	size_t		 len;
	int		 status;
	char		 hname[64], hvalue[256];
	int		 calls;
} in;

static const struct xs_provider	*prov;
static char			 rrsa_json[512];

static void
no_sleep(int64_t ms)
{
	(void)ms;
}

/* The provider's retry policy, but retries do not sleep. */
static struct errors_policy	fuzz_policy;

/* Every request gets the input's answer. */
static void
answer(const struct th_request *req, struct th_response *resp, void *arg)
{
	(void)req;
	(void)arg;
	in.calls++;
	resp->rc = XS_OK;
	resp->status = in.status;
	memcpy(resp->body, in.body, in.len);
	resp->body[in.len] = '\0';
	resp->len = in.len;
	memcpy(resp->hname, in.hname, sizeof(resp->hname));
	memcpy(resp->hvalue, in.hvalue, sizeof(resp->hvalue));
}

/* Takes "Name: value\n" off the front of the body. */
static void
take_header(void)
{
	const uint8_t	*nl, *colon;
	size_t		 n, v;

	if ((nl = memchr(in.body, '\n', in.len)) == NULL ||
	    (colon = memchr(in.body, ':', nl - in.body)) == NULL)
		return;
	n = colon - in.body;
	for (colon++; colon < nl && *colon == ' '; colon++)
		;
	v = nl - colon;
	if (n >= sizeof(in.hname) || v >= sizeof(in.hvalue) ||
	    memchr(in.body, '\0', nl - in.body) != NULL)
		return;
	memcpy(in.hname, in.body, n);
	memcpy(in.hvalue, colon, v);
	in.len -= nl + 1 - in.body;
	in.body = nl + 1;
}

/* Once: the provider, a token file for RRSA, no sleeping. */
static void
setup(void)
{
	char	 dir[] = "/tmp/fuzz-alibaba.XXXXXX", path[64];
	FILE	*fp;

	th_init();
	th_set_http(answer, NULL);
	prov = xs_provider_entry();
	fuzz_policy = errors_default_policy;
	fuzz_policy.sleep = no_sleep;
	rrsa_policy = &fuzz_policy;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/token", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs("header.payload.signature\n", fp);
	fclose(fp);
	snprintf(rrsa_json, sizeof(rrsa_json), "{\"regionID\":\"cn-hangzhou\","
	    "\"auth\":{\"rrsa\":{\"roleArn\":\"acs:ram::1234567890123456:"
	    "role/fuzz\",\"oidcProviderArn\":\"acs:ram::1234567890123456:"
	    "oidc-provider/fuzz\",\"oidcTokenFilePath\":\"%s\"}}}", path);
}

static void
call(void *c, int op, struct xs_result *r, struct xs_diag *d)
{
	struct xs_remote_ref	ref;
	struct xs_tag		tag = { "team", "fuzz" };
	struct xs_find		f;

	memset(&ref, 0, sizeof(ref));
	ref.size = sizeof(ref);
	ref.key = "db";
	ref.property = op == 1 ? "a.b\\.c.0" : NULL;
	th_result_clear(r);
	th_diag_init(d);
	switch (op) {
	case 2:
		prov->get_secret_map(c, &ref, r, d);
		break;
	case 3:
		memset(&f, 0, sizeof(f));
		f.size = sizeof(f);
		f.name_regexp = "^d";
		f.path = NULL;
		f.tags = &tag;
		f.ntags = 1;
		prov->find_secrets(c, &f, r, d);
		break;
	default:
		prov->get_secret(c, &ref, r, d);
		break;
	}
	th_result_clear(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int		 ready;
	struct xs_store		*st;
	struct xs_result	 r;
	struct xs_diag		 d;
	void			*c = NULL;
	int			 op;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (len < 2 || len - 2 >= sizeof(((struct th_response *)0)->body))
		return 0;
	op = data[0] % 5;
	in.status = statuses[(data[1] & 0x7f) % (sizeof(statuses) /
	    sizeof(statuses[0]))];
	in.body = data + 2;
	in.len = len - 2;
	in.calls = 0;
	memset(in.hname, 0, sizeof(in.hname));
	memset(in.hvalue, 0, sizeof(in.hvalue));
	if (data[1] & 0x80)
		take_header();

	st = op == 4 ? th_store(rrsa_json, "kms", "") :
	    th_store(STORE_AK, "kms", "fuzz");
	th_store_cred(st, "ak", "id", "LTAI5tFuzzFuzzFuzzFuzz");
	th_store_cred(st, "ak", "secret", "fuzz-secret-0123456789abcdef");
	th_diag_init(&d);
	th_result_init(&r);
	if (prov->auth(&th_host, st, &c, &d) == XS_OK) {
		((struct ali_client *)c)->policy = &fuzz_policy;
		call(c, op, &r, &d);
		prov->close(c);
	}
	th_store_free(st);
	/* Each call is bounded: attempts, and pages for find. */
	if (in.calls > 1000)
		abort();
	if (th_secure_live() != 0)
		abort();
	return 0;
}
