/*
 * Unit test of the emulator's signature code against every published test
 * vector (V3-A to V3-D, V1-A to V1-E), plus the encoding and parsing rules
 * the vectors rely on.  If this passes, the emulator verifies requests the
 * way Alibaba's gateway does; the live test then proves it rejects altered
 * ones.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "emu_sign.h"
#include "tap.h"

#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define V3_DATE		"2023-10-26T10:22:32Z"
#define V3_NONCE	"3156853299f313e23d1673dc12e1703d"
#define V1_NONCE	"3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
#define V1_TIME		"2016-02-23T12:46:24Z"

/* Checks hash(canonical request) and the signature of one V3 request. */
static void
check_v3(const char *name, const char *secret, const char *query,
    const struct emu_header *h, size_t nh, const char *signed_headers,
    const char *body, const char *want_hash, const char *want_sig, int same)
{
	struct emu_params	 q = { .n = 0 };
	char			 payload[65], sig[65], hash[65];
	char			*canon, *sts;

	ok(emu_params_parse(&q, query, strlen(query)) == 0, "%s: query", name);
	emu_sha256_hex(body, strlen(body), payload);
	canon = emu_v3_canonical_request("POST", "/", &q, h, nh,
	    signed_headers, payload);
	sts = canon ? emu_v3_string_to_sign(canon) : NULL;
	if (!ok(canon != NULL && sts != NULL, "%s: built", name))
		goto out;
	emu_sha256_hex(canon, strlen(canon), hash);
	if (want_hash != NULL)
		is_str(hash, want_hash, "canonical request hash");
	ok(strncmp(sts, "ACS3-HMAC-SHA256\n", 17) == 0 &&
	    strcmp(sts + 17, hash) == 0, "%s: string to sign", name);
	ok(emu_v3_sign(secret, sts, sig, sizeof(sig)) == 0, "%s: sign", name);
	if (same)
		is_str(sig, want_sig, "signature");
	else
		ok(strcmp(sig, want_sig) != 0, "%s: signature differs", name);
out:
	free(canon);
	free(sts);
	emu_params_free(&q);
}

static void
test_v3(void)
{
	struct emu_header	 a[] = {
		{ "host", "ecs.cn-shanghai.aliyuncs.com" },
		{ "x-acs-action", "RunInstances" },
		{ "x-acs-content-sha256", EMPTY_SHA256 },
		{ "x-acs-date", V3_DATE },
		{ "x-acs-signature-nonce", V3_NONCE },
		{ "x-acs-version", "2014-05-26" },
	};
	struct emu_header	 b[] = {
		{ "host", "kms.cn-hangzhou.aliyuncs.com" },
		{ "x-acs-action", "GetSecretValue" },
		{ "x-acs-content-sha256", EMPTY_SHA256 },
		{ "x-acs-date", V3_DATE },
		{ "x-acs-signature-nonce", V3_NONCE },
		{ "x-acs-version", "2016-01-20" },
	};
	struct emu_header	 c[] = {
		{ "host", "kms.cn-hangzhou.aliyuncs.com" },
		{ "x-acs-accesskey-id", "STS.testid" },
		{ "x-acs-action", "GetSecretValue" },
		{ "x-acs-content-sha256", EMPTY_SHA256 },
		{ "x-acs-date", V3_DATE },
		{ "x-acs-security-token", "CAIS+token/with=chars" },
		{ "x-acs-signature-nonce", V3_NONCE },
		{ "x-acs-version", "2016-01-20" },
	};
	const char	*dbody = "SecretName=db-password&VersionStage=ACSCurrent";
	char		 dhash[65];
	struct emu_header	 d[] = {
		{ "content-type", "application/x-www-form-urlencoded" },
		{ "host", "kms.cn-hangzhou.aliyuncs.com" },
		{ "x-acs-action", "GetSecretValue" },
		{ "x-acs-content-sha256", dhash },
		{ "x-acs-date", V3_DATE },
		{ "x-acs-signature-nonce", V3_NONCE },
		{ "x-acs-version", "2016-01-20" },
	};
	const char	*sh = "host;x-acs-action;x-acs-content-sha256;"
	    "x-acs-date;x-acs-signature-nonce;x-acs-version";

	check_v3("V3-A", "YourAccessKeySecret",
	    "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"
	    "&RegionId=cn-shanghai", a, 6, sh, "",
	    "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
	    "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
	    1);
	check_v3("V3-B", "testsecret",
	    "SecretName=my%2Fsecret%20name%2A~%2B&VersionStage=ACSCurrent",
	    b, 6, sh, "",
	    "5818ba404bcf6834cef085708b2d101f99ebb82a7d8d213b8e7d2e25798f2397",
	    "e3fbabe4ee0442da6cdee747e2999c74000dab76a0f64285c7bd596638e202ad",
	    1);
	check_v3("V3-C", "testsecret", "SecretName=db-password", c, 8,
	    "host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;"
	    "x-acs-date;x-acs-security-token;x-acs-signature-nonce;"
	    "x-acs-version", "",
	    "a3b9f76187003555d11e85c923f3cbea6f4877ed2adedc4af75fa25c194e75c6",
	    "d6076e83caefcccc745f134489504d73546d3a2d75d32ab5961f447572190d2a",
	    1);
	emu_sha256_hex(dbody, strlen(dbody), dhash);
	is_str(dhash,
	    "d5edbf4b2d09bb03ba2535f4f3d8e21264d7ddcc86a8bb6804d506c0b5a9d317",
	    "V3-D: body sha256");
	check_v3("V3-D", "testsecret", "", d, 7,
	    "content-type;host;x-acs-action;x-acs-content-sha256;"
	    "x-acs-date;x-acs-signature-nonce;x-acs-version", dbody, NULL,
	    "905b14f2eeb5093706f1d673d7ade06055682ca02e601e404ea4e94e53a8e23d",
	    1);

	/* An altered header value must change the signature. */
	b[1].val = "ListSecrets";
	check_v3("V3-B altered", "testsecret",
	    "SecretName=my%2Fsecret%20name%2A~%2B&VersionStage=ACSCurrent",
	    b, 6, sh, "", NULL,
	    "e3fbabe4ee0442da6cdee747e2999c74000dab76a0f64285c7bd596638e202ad",
	    0);
}

/* Signs a V1 parameter list given as NULL-terminated key, value pairs. */
static void
check_v1(const char *name, const char *method, const char *secret,
    const char *const *kv, const char *want_sts, const char *want_cqs,
    const char *want_sig)
{
	struct emu_params	 ps = { .n = 0 };
	char			 sig[64];
	char			*sts, *cqs;

	for (; kv[0] != NULL; kv += 2)
		emu_params_add(&ps, kv[0], kv[1]);
	sts = emu_v1_string_to_sign(method, &ps);
	cqs = emu_canon_query(&ps, "Signature");
	if (!ok(sts != NULL && cqs != NULL, "%s: built", name))
		goto out;
	if (want_sts != NULL)
		is_str(sts, want_sts, "string to sign");
	if (want_cqs != NULL)
		is_str(cqs, want_cqs, "canonical query");
	ok(emu_v1_sign(secret, sts, sig, sizeof(sig)) == 0, "%s: sign", name);
	if (want_sig != NULL)
		is_str(sig, want_sig, "signature");
	else
		ok(strcmp(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=") != 0,
		    "%s: signature differs", name);
out:
	free(sts);
	free(cqs);
	emu_params_free(&ps);
}

static void
test_v1(void)
{
	const char *const	 a[] = {
		"AccessKeyId", "testid", "Action", "DescribeRegions",
		"Format", "XML", "SignatureMethod", "HMAC-SHA1",
		"SignatureNonce", V1_NONCE, "SignatureVersion", "1.0",
		"Timestamp", V1_TIME, "Version", "2014-05-26",
		"Signature", "ignored", NULL,
	};
	const char *const	 b[] = {
		"AccessKeyId", "testid", "Action", "DescribeRegions",
		"Format", "XML", "SignatureMethod", "HMAC-SHA1",
		"SignatureNonce", V1_NONCE, "SignatureVersion", "1.0",
		"TimeStamp", V1_TIME, "Version", "2014-05-26", NULL,
	};
	const char *const	 c[] = {
		"AccessKeyId", "testId", "Action", "SendSms",
		"Format", "XML", "OutId", "123",
		"PhoneNumbers", "15300000001", "RegionId", "cn-hangzhou",
		"SignName", "\xe9\x98\xbf\xe9\x87\x8c\xe4\xba\x91\xe7\x9f\xad"
		"\xe4\xbf\xa1\xe6\xb5\x8b\xe8\xaf\x95\xe4\xb8\x93\xe7\x94\xa8",
		"SignatureMethod", "HMAC-SHA1",
		"SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466",
		"SignatureVersion", "1.0", "TemplateCode", "SMS_71390007",
		"TemplateParam", "{\"customer\":\"test\"}",
		"Timestamp", "2017-07-12T02:42:19Z", "Version", "2017-05-25",
		NULL,
	};
	const char *const	 d[] = {
		"Action", "GetSecretValue", "Format", "JSON",
		"Version", "2016-01-20", "AccessKeyId", "testid",
		"SignatureMethod", "HMAC-SHA1", "SignatureVersion", "1.0",
		"SignatureNonce", V1_NONCE, "Timestamp", V1_TIME,
		"SecretName", "my/secret name*~+", "VersionStage", "ACSCurrent",
		NULL,
	};
	const char *const	 e[] = {
		"Action", "GetSecretValue", "Format", "JSON",
		"Version", "2016-01-20", "AccessKeyId", "testid",
		"SignatureMethod", "HMAC-SHA1", "SignatureVersion", "1.0",
		"SignatureNonce", V1_NONCE, "Timestamp", V1_TIME,
		"SecretName", "db-password", "VersionStage", "ACSCurrent",
		"SecurityToken", "CAIS+token/with=chars", NULL,
	};
	const char *const	 altered[] = {
		"AccessKeyId", "testid", "Action", "DescribeRegions",
		"Format", "XML", "SignatureMethod", "HMAC-SHA1",
		"SignatureNonce", V1_NONCE, "SignatureVersion", "1.0",
		"Timestamp", V1_TIME, "Version", "2014-05-27", NULL,
	};

	check_v1("V1-A", "GET", "testsecret", a,
	    "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions"
	    "%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
	    "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
	    "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46"
	    "%253A24Z%26Version%3D2014-05-26", NULL,
	    "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
	check_v1("V1-B", "GET", "testsecret", b, NULL, NULL,
	    "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
	check_v1("V1-C", "GET", "testSecret", c, NULL, NULL,
	    "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
	check_v1("V1-D GET", "GET", "testsecret", d, NULL,
	    "AccessKeyId=testid&Action=GetSecretValue&Format=JSON"
	    "&SecretName=my%2Fsecret%20name%2A~%2B&SignatureMethod=HMAC-SHA1"
	    "&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
	    "&SignatureVersion=1.0&Timestamp=2016-02-23T12%3A46%3A24Z"
	    "&Version=2016-01-20&VersionStage=ACSCurrent",
	    "BZHZ61vGh9E1QM+hDKv5EYdkm/0=");
	check_v1("V1-D POST", "POST", "testsecret", d, NULL, NULL,
	    "9G/AVLpKlFNeDNqYYQbvsjsMTBo=");
	check_v1("V1-E", "POST", "testsecret", e, NULL, NULL,
	    "XujLA36VQKzVXLOas7oSALNCXZA=");
	check_v1("V1-A altered", "GET", "testsecret", altered, NULL, NULL,
	    NULL);
}

static void
test_encoding(void)
{
	struct emu_params	 ps = { .n = 0 };
	char			*s;

	s = emu_pct_encode("a b*~+/=:\xc3\xa9", 11);
	is_str(s, "a%20b%2A~%2B%2F%3D%3A%C3%A9", "percent-encoding");
	free(s);

	ok(emu_params_parse(&ps, "A=1+2&B=%41%2b&C&D=", 19) == 0,
	    "parse a form");
	is_int(ps.n, 4, "four pairs");
	is_str(emu_params_get(&ps, "A"), "1 2", "+ is a space");
	is_str(emu_params_get(&ps, "B"), "A+", "%XX decoded");
	is_str(emu_params_get(&ps, "C"), "", "key without value");
	s = emu_canon_query(&ps, NULL);
	is_str(s, "A=1%202&B=A%2B&C=&D=", "canonical query");
	free(s);
	emu_params_free(&ps);

	ok(emu_params_parse(&ps, "A=%4", 4) == -1, "truncated escape refused");
	emu_params_free(&ps);
	ok(emu_params_parse(&ps, "A=%zz", 5) == -1, "bad escape refused");
	emu_params_free(&ps);
	ok(emu_params_parse(&ps, "=x", 2) == -1, "empty key refused");
	emu_params_free(&ps);
}

static void
test_bounds(void)
{
	struct emu_params	 ps = { .n = 0 };
	char			 buf[8 * (EMU_MAX_PARAMS + 1)];
	size_t			 i, len = 0;

	for (i = 0; i <= EMU_MAX_PARAMS; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%sk%zu=1", i ? "&" : "", i);
	ok(emu_params_parse(&ps, buf, len) == -1, "parameter count bounded");
	emu_params_free(&ps);
}

int
main(void)
{
	test_v3();
	test_v1();
	test_encoding();
	test_bounds();
	return tap_done();
}
