/*
 * The Alibaba provider's signing against every published test vector:
 * percent-encoding, ACS3-HMAC-SHA256 (V3-A to V3-D) and HMAC-SHA1 (V1-A to
 * V1-E).  A change that breaks one byte of either canonical form fails here.
 */
#include "config.h"

#include <string.h>

#include "tap.h"
#include "test_alibaba_host.h"
#include "../../providers/alibaba/sign.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
test_pe(void)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "my/secret name*~+", "my%2Fsecret%20name%2A~%2B" },
		{ "AZaz09-_.~", "AZaz09-_.~" },
		{ "a b", "a%20b" },
		{ "2016-02-23T12:46:24Z", "2016-02-23T12%3A46%3A24Z" },
		{ "{\"customer\":\"test\"}",
		    "%7B%22customer%22%3A%22test%22%7D" },
		{ "\xe9\x98\xbf", "%E9%98%BF" },
		{ "=&%", "%3D%26%25" },
		{ "", "" },
	};
	struct buf	b;
	size_t		i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_init(&b, &th_host);
		buf_str(&b, "");
		buf_pe(&b, cases[i].in, strlen(cases[i].in));
		is_str(b.p, cases[i].out, "percent-encoding");
		buf_free(&b);
	}
}

static void
test_canonical_order(void)
{
	/* "/" is "%2F" once encoded, so it sorts before "-". */
	struct sign_param	p[] = {
		{ "a-b", "1" }, { "a/b", "2" }, { "a", "3" }, { "B", "" },
	};
	struct buf		b;

	buf_init(&b, &th_host);
	ok(sign_canonical_query(p, 4, &b) == 0, "canonical query built");
	is_str(b.p, "B=&a=3&a%2Fb=2&a-b=1", "sorted by encoded key");
	buf_free(&b);
}

/* The headers of V3-A and V3-B, with the variable ones given. */
static size_t
v3_headers(struct xs_http_header *h, const char *host, const char *action,
    const char *version, const char *body_sha)
{
	size_t	n = 0;

	h[n].name = "host";
	h[n++].value = host;
	h[n].name = "x-acs-action";
	h[n++].value = action;
	h[n].name = "x-acs-version";
	h[n++].value = version;
	h[n].name = "x-acs-date";
	h[n++].value = "2023-10-26T10:22:32Z";
	h[n].name = "x-acs-signature-nonce";
	h[n++].value = "3156853299f313e23d1673dc12e1703d";
	h[n].name = "x-acs-content-sha256";
	h[n++].value = body_sha;
	return n;
}

static void
check_v3(const char *name, struct sign_v3_req *req, const char *secret,
    const char *want_hash, const char *want_sig, const char *want_signed)
{
	char		hash[65], sig[65], label[128];
	struct buf	sh;

	buf_init(&sh, &th_host);
	ok(sign_v3(&th_host, req, secret, hash, sig, &sh) == 0, "%s: signed",
	    name);
	snprintf(label, sizeof(label), "%s: canonical request hash", name);
	if (want_hash != NULL)
		is_str(hash, want_hash, label);
	snprintf(label, sizeof(label), "%s: signature", name);
	is_str(sig, want_sig, label);
	snprintf(label, sizeof(label), "%s: signed headers", name);
	if (want_signed != NULL)
		is_str(sh.p, want_signed, label);
	buf_free(&sh);
}

static void
test_v3(void)
{
	struct xs_http_header	h[10];
	struct sign_v3_req	req;
	struct sign_param	qa[] = {
		{ "RegionId", "cn-shanghai" },
		{ "ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_"
		    "20230811.vhd" },
	};
	struct sign_param	qb[] = {
		{ "VersionStage", "ACSCurrent" },
		{ "SecretName", "my/secret name*~+" },
	};
	struct sign_param	qc[] = { { "SecretName", "db-password" } };
	const char		*body = "SecretName=db-password&"
	    "VersionStage=ACSCurrent";
	char			bodysha[65];
	struct buf		cq;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.headers = h;
	req.body_sha256 = EMPTY_SHA256;

	/* V3-A */
	req.query = qa;
	req.nquery = 2;
	req.nheaders = v3_headers(h, "ecs.cn-shanghai.aliyuncs.com",
	    "RunInstances", "2014-05-26", EMPTY_SHA256);
	check_v3("V3-A", &req, "YourAccessKeySecret",
	    "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
	    "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
	    "host;x-acs-action;x-acs-content-sha256;x-acs-date;"
	    "x-acs-signature-nonce;x-acs-version");

	/* V3-B */
	buf_init(&cq, &th_host);
	sign_canonical_query(qb, 2, &cq);
	is_str(cq.p, "SecretName=my%2Fsecret%20name%2A~%2B&"
	    "VersionStage=ACSCurrent", "V3-B: canonical query");
	buf_free(&cq);
	req.query = qb;
	req.nquery = 2;
	req.nheaders = v3_headers(h, "kms.cn-hangzhou.aliyuncs.com",
	    "GetSecretValue", "2016-01-20", EMPTY_SHA256);
	check_v3("V3-B", &req, "testsecret",
	    "5818ba404bcf6834cef085708b2d101f99ebb82a7d8d213b8e7d2e25798f2397",
	    "e3fbabe4ee0442da6cdee747e2999c74000dab76a0f64285c7bd596638e202ad",
	    NULL);

	/* V3-C: STS credentials; header names in mixed case still sign. */
	req.query = qc;
	req.nquery = 1;
	req.nheaders = v3_headers(h, "kms.cn-hangzhou.aliyuncs.com",
	    "GetSecretValue", "2016-01-20", EMPTY_SHA256);
	h[req.nheaders].name = "X-Acs-Security-Token";
	h[req.nheaders++].value = "CAIS+token/with=chars";
	h[req.nheaders].name = "x-acs-accesskey-id";
	h[req.nheaders++].value = "STS.testid";
	h[req.nheaders].name = "User-Agent";
	h[req.nheaders++].value = "not signed";
	check_v3("V3-C", &req, "testsecret",
	    "a3b9f76187003555d11e85c923f3cbea6f4877ed2adedc4af75fa25c194e75c6",
	    "d6076e83caefcccc745f134489504d73546d3a2d75d32ab5961f447572190d2a",
	    "host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;"
	    "x-acs-date;x-acs-security-token;x-acs-signature-nonce;"
	    "x-acs-version");

	/* V3-D: form body, content-type signed. */
	sign_sha256_hex(&th_host, body, strlen(body), bodysha);
	is_str(bodysha, "d5edbf4b2d09bb03ba2535f4f3d8e21264d7ddcc86a8bb"
	    "6804d506c0b5a9d317", "V3-D: body sha256");
	req.query = NULL;
	req.nquery = 0;
	req.body_sha256 = bodysha;
	req.nheaders = v3_headers(h, "kms.cn-hangzhou.aliyuncs.com",
	    "GetSecretValue", "2016-01-20", bodysha);
	h[req.nheaders].name = "content-type";
	h[req.nheaders++].value = "application/x-www-form-urlencoded";
	check_v3("V3-D", &req, "testsecret", NULL,
	    "905b14f2eeb5093706f1d673d7ade06055682ca02e601e404ea4e94e53a8e23d",
	    NULL);
}

static void
check_v1(const char *name, const char *method, struct sign_param *p,
    size_t n, const char *secret, const char *want)
{
	char	sig[29], label[128];

	memset(sig, 0, sizeof(sig));
	snprintf(label, sizeof(label), "%s: signature", name);
	ok(sign_v1(&th_host, method, p, n, secret, sig) == 0, "%s: signed",
	    name);
	is_str(sig, want, label);
}

static void
test_v1(void)
{
	struct sign_param	a[] = {
		{ "AccessKeyId", "testid" },
		{ "Action", "DescribeRegions" },
		{ "Format", "XML" },
		{ "SignatureMethod", "HMAC-SHA1" },
		{ "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" },
		{ "SignatureVersion", "1.0" },
		{ "Timestamp", "2016-02-23T12:46:24Z" },
		{ "Version", "2014-05-26" },
	};
	struct sign_param	c[] = {
		{ "AccessKeyId", "testId" },
		{ "Action", "SendSms" },
		{ "Format", "XML" },
		{ "OutId", "123" },
		{ "PhoneNumbers", "15300000001" },
		{ "RegionId", "cn-hangzhou" },
		{ "SignName", "\xe9\x98\xbf\xe9\x87\x8c\xe4\xba\x91\xe7\x9f\xad"
		    "\xe4\xbf\xa1\xe6\xb5\x8b\xe8\xaf\x95\xe4\xb8\x93\xe7\x94"
		    "\xa8" },
		{ "SignatureMethod", "HMAC-SHA1" },
		{ "SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466" },
		{ "SignatureVersion", "1.0" },
		{ "TemplateCode", "SMS_71390007" },
		{ "TemplateParam", "{\"customer\":\"test\"}" },
		{ "Timestamp", "2017-07-12T02:42:19Z" },
		{ "Version", "2017-05-25" },
	};
	struct sign_param	dd[] = {
		{ "Action", "GetSecretValue" },
		{ "Format", "JSON" },
		{ "Version", "2016-01-20" },
		{ "AccessKeyId", "testid" },
		{ "SignatureMethod", "HMAC-SHA1" },
		{ "SignatureVersion", "1.0" },
		{ "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf" },
		{ "Timestamp", "2016-02-23T12:46:24Z" },
		{ "SecretName", "my/secret name*~+" },
		{ "VersionStage", "ACSCurrent" },
		{ "SecurityToken", "CAIS+token/with=chars" },
	};
	struct buf		b;

	buf_init(&b, &th_host);
	ok(sign_v1_string("GET", a, 8, &b) == 0, "V1-A: string to sign");
	is_str(b.p, "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions"
	    "%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
	    "%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion"
	    "%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version"
	    "%3D2014-05-26", "V1-A: string to sign text");
	buf_free(&b);
	check_v1("V1-A", "GET", a, 8, "testsecret",
	    "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
	buf_init(&b, &th_host);
	buf_pe(&b, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=", 28);
	is_str(b.p, "OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D", "V1-A: in a URL");
	buf_free(&b);

	a[6].key = "TimeStamp";
	check_v1("V1-B", "GET", a, 8, "testsecret",
	    "CT9X0VtwR86fNWSnsc6v8YGOjuE=");

	check_v1("V1-C", "GET", c, 14, "testSecret",
	    "zJDF+Lrzhj/ThnlvIToysFRq6t4=");

	buf_init(&b, &th_host);
	ok(sign_canonical_query(dd, 10, &b) == 0, "V1-D: canonical query");
	is_str(b.p, "AccessKeyId=testid&Action=GetSecretValue&Format=JSON&"
	    "SecretName=my%2Fsecret%20name%2A~%2B&SignatureMethod=HMAC-SHA1&"
	    "SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&"
	    "SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%3A24Z&"
	    "Version=2016-01-20&VersionStage=ACSCurrent", "V1-D: CQS text");
	buf_free(&b);
	check_v1("V1-D GET", "GET", dd, 10, "testsecret",
	    "BZHZ61vGh9E1QM+hDKv5EYdkm/0=");
	check_v1("V1-D POST", "POST", dd, 10, "testsecret",
	    "9G/AVLpKlFNeDNqYYQbvsjsMTBo=");

	dd[8].value = "db-password";
	check_v1("V1-E", "POST", dd, 11, "testsecret",
	    "XujLA36VQKzVXLOas7oSALNCXZA=");
}

static void
test_misc(void)
{
	char		ts[21], n1[33], n2[33];
	struct buf	b;
	int		i;

	sign_timestamp(1456231584000LL, ts);
	is_str(ts, "2016-02-23T12:46:24Z", "timestamp format");
	ok(sign_nonce(&th_host, n1) == 0 && sign_nonce(&th_host, n2) == 0 &&
	    strlen(n1) == 32 && strcmp(n1, n2) != 0, "nonces are fresh");

	/* The cap holds, and a failed buffer stays failed. */
	buf_init(&b, &th_host);
	b.max = 64;
	for (i = 0; i < 10; i++)
		buf_str(&b, "0123456789");
	ok(b.failed && b.len <= 64, "buffer cap enforced");
	buf_free(&b);
}

int
main(void)
{
	th_init();
	test_pe();
	test_canonical_order();
	test_v3();
	test_v1();
	test_misc();
	is_int(th_secure_live(), 0, "no secure memory leaked");
	return tap_done();
}
