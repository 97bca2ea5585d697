/*
 * The Alibaba provider's store validation: one configuration per rule,
 * each breaking exactly that rule, plus the endpoint and STS endpoint
 * forms and the environment fallbacks of RRSA.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "test_alibaba_host.h"
#include "../../providers/alibaba/alibaba.h"

#define REFS(ns) \
	"\"auth\":{\"secretRef\":{" \
	"\"accessKeyIDSecretRef\":{\"name\":\"ak\",\"key\":\"id\"" ns "}," \
	"\"accessKeySecretSecretRef\":{\"name\":\"ak\",\"key\":\"secret\"" \
	ns "}}}"
#define ROLE	"acs:ram::1234567890123456:role/xsecrets"
#define OIDC	"acs:ram::1234567890123456:oidc-provider/ack-rrsa-c1"
#define RRSA(extra) \
	"\"auth\":{\"rrsa\":{\"roleArn\":\"" ROLE "\"," \
	"\"oidcProviderArn\":\"" OIDC "\"" extra "}}"
/* base64 of "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" */
#define CA_B64	"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VS" \
	"VElGSUNBVEUtLS0tLQo="

struct vcase {
	const char	*name;
	const char	*ns;		/* "" for a ClusterSecretStore */
	const char	*json;
	int32_t		 rc;
	const char	*says;		/* in the error, or NULL */
};

static const struct vcase cases[] = {
	{ "AccessKey store", "team-a",
	    "{\"regionID\":\"cn-hangzhou\"," REFS("") "}", XS_OK, NULL },
	{ "AccessKey cluster store", "",
	    "{\"regionID\":\"cn-hangzhou\"," REFS(",\"namespace\":\"ops\"")
	    "}", XS_OK, NULL },
	{ "RRSA cluster store with a token file", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/var/run/secrets/tokens/oidc-token\",\"sessionName\":\"eso\","
	    "\"durationSeconds\":\"7200\"") "}", XS_OK, NULL },
	{ "RRSA with a numeric duration", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/t\",\"durationSeconds\":900") "}", XS_OK, NULL },
	{ "VPC endpoint, v1 signatures, CA", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"endpoint\":"
	    "\"kms-vpc.cn-hangzhou.aliyuncs.com\",\"signatureVersion\":\"v1\","
	    "\"caBundle\":\"" CA_B64 "\"," REFS("") "}", XS_OK, NULL },
	{ "instance endpoint as URL", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"endpoint\":"
	    "\"https://kst-hzz62f.cryptoservice.kms.aliyuncs.com/\","
	    REFS("") "}", XS_OK, NULL },
	{ "emulator endpoint", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"endpoint\":"
	    "\"http://127.0.0.1:18080\"," REFS("") "}", XS_OK, NULL },

	{ "not a map", "team-a", "[1]", XS_ERR_INVALID, "must be a map" },
	{ "no region", "team-a", "{" REFS("") "}", XS_ERR_INVALID,
	    "regionID: is required" },
	{ "bad region", "team-a", "{\"regionID\":\"cn hangzhou\","
	    REFS("") "}", XS_ERR_INVALID, "regionID" },
	{ "region not a string", "team-a", "{\"regionID\":{\"a\":1},"
	    REFS("") "}", XS_ERR_INVALID, "non-empty string" },
	{ "no auth", "team-a", "{\"regionID\":\"cn-hangzhou\"}",
	    XS_ERR_INVALID, "auth" },
	{ "both auths", "",
	    "{\"regionID\":\"cn-hangzhou\",\"auth\":{\"secretRef\":{},"
	    "\"rrsa\":{}}}", XS_ERR_INVALID, "exactly one" },
	{ "neither auth", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"auth\":{}}", XS_ERR_INVALID,
	    "exactly one" },
	{ "no secret ref", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"auth\":{\"secretRef\":{"
	    "\"accessKeyIDSecretRef\":{\"name\":\"ak\",\"key\":\"id\"}}}}",
	    XS_ERR_INVALID, "accessKeySecretSecretRef: is required" },
	{ "no id ref", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"auth\":{\"secretRef\":{"
	    "\"accessKeySecretSecretRef\":{\"name\":\"ak\",\"key\":\"s\"}}}}",
	    XS_ERR_INVALID, "accessKeyIDSecretRef: is required" },
	{ "ref without key", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"auth\":{\"secretRef\":{"
	    "\"accessKeyIDSecretRef\":{\"name\":\"ak\"},"
	    "\"accessKeySecretSecretRef\":{\"name\":\"ak\",\"key\":\"s\"}}}}",
	    XS_ERR_INVALID, "key must be" },
	{ "ref to another namespace", "team-a",
	    "{\"regionID\":\"cn-hangzhou\"," REFS(",\"namespace\":\"team-b\"")
	    "}", XS_ERR_INVALID, "its own namespace" },
	{ "cluster ref without namespace", "",
	    "{\"regionID\":\"cn-hangzhou\"," REFS("") "}", XS_ERR_INVALID,
	    "must name the Secret's namespace" },
	{ "namespaced store names any file", "team-a",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/etc/shadow\"") "}", XS_ERR_INVALID,
	    "may only name a projected token" },
	{ "namespaced store escapes the token directory", "team-a",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/var/run/secrets/../../etc/shadow\"") "}", XS_ERR_INVALID,
	    NULL },
	{ "namespaced store, documented token volume", "team-a",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/var/run/secrets/tokens/oidc-token\"") "}", XS_OK, NULL },
	{ "RRSA without role", "",
	    "{\"regionID\":\"cn-hangzhou\",\"auth\":{\"rrsa\":{"
	    "\"oidcProviderArn\":\"" OIDC "\",\"oidcTokenFilePath\":\"/t\"}}}",
	    XS_ERR_INVALID, "ALIBABA_CLOUD_ROLE_ARN" },
	{ "RRSA without token file", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA("") "}", XS_ERR_INVALID,
	    "ALIBABA_CLOUD_OIDC_TOKEN_FILE" },
	{ "bad role ARN", "",
	    "{\"regionID\":\"cn-hangzhou\",\"auth\":{\"rrsa\":{"
	    "\"roleArn\":\"acs:ram::12ab:role/x\",\"oidcProviderArn\":\""
	    OIDC "\",\"oidcTokenFilePath\":\"/t\"}}}", XS_ERR_INVALID,
	    "acs:ram::<account>:role/<name>" },
	{ "provider ARN in the role field", "",
	    "{\"regionID\":\"cn-hangzhou\",\"auth\":{\"rrsa\":{"
	    "\"roleArn\":\"" OIDC "\",\"oidcProviderArn\":\"" OIDC "\","
	    "\"oidcTokenFilePath\":\"/t\"}}}", XS_ERR_INVALID, "roleArn" },
	{ "bad provider ARN", "",
	    "{\"regionID\":\"cn-hangzhou\",\"auth\":{\"rrsa\":{"
	    "\"roleArn\":\"" ROLE "\",\"oidcProviderArn\":\"acs:ram::1:"
	    "oidc-provider/\",\"oidcTokenFilePath\":\"/t\"}}}",
	    XS_ERR_INVALID, "oidc-provider" },
	{ "relative token file", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"token\"") "}", XS_ERR_INVALID, "absolute path" },
	{ "token file ending in ..", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/var/..\"") "}", XS_ERR_INVALID, "absolute path" },
	{ "short session name", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/t\",\"sessionName\":\"a\"") "}", XS_ERR_INVALID,
	    "sessionName" },
	{ "session name with a space", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/t\",\"sessionName\":\"a b\"") "}", XS_ERR_INVALID,
	    "sessionName" },
	{ "duration too short", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/t\",\"durationSeconds\":\"899\"") "}", XS_ERR_INVALID,
	    "between 900 and 43200" },
	{ "duration too long", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/t\",\"durationSeconds\":\"43201\"") "}", XS_ERR_INVALID,
	    "between 900 and 43200" },
	{ "duration not a number", "",
	    "{\"regionID\":\"cn-hangzhou\"," RRSA(",\"oidcTokenFilePath\":"
	    "\"/t\",\"durationSeconds\":\"1h\"") "}", XS_ERR_INVALID,
	    "durationSeconds" },
	{ "endpoint with a path", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"endpoint\":"
	    "\"https://kms.cn-hangzhou.aliyuncs.com/x\"," REFS("") "}",
	    XS_ERR_INVALID, "endpoint" },
	{ "endpoint with user info", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"endpoint\":"
	    "\"https://a@evil.example\"," REFS("") "}", XS_ERR_INVALID,
	    "endpoint" },
	{ "endpoint with another scheme", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"endpoint\":"
	    "\"ftp://kms.cn-hangzhou.aliyuncs.com\"," REFS("") "}",
	    XS_ERR_INVALID, "endpoint" },
	{ "bad CA bundle", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"caBundle\":\"bm90IGEgY2VydA==\","
	    REFS("") "}", XS_ERR_INVALID, "caBundle" },
	{ "bad signature version", "team-a",
	    "{\"regionID\":\"cn-hangzhou\",\"signatureVersion\":\"v2\","
	    REFS("") "}", XS_ERR_INVALID, "signatureVersion" },
};

static void
test_validate(void)
{
	const struct xs_provider	*p = xs_provider_entry();
	struct xs_store			*st;
	struct xs_diag			 d;
	int32_t				 rc;
	size_t				 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = th_store(cases[i].json, "s", cases[i].ns);
		th_diag_init(&d);
		rc = p->validate_store(&th_host, st, &d);
		ok(rc == cases[i].rc && (cases[i].says == NULL ||
		    strstr(d.error, cases[i].says) != NULL) &&
		    (rc != XS_OK || d.error[0] == '\0'), "validate: %s",
		    cases[i].name);
		if (rc != cases[i].rc || (cases[i].says != NULL &&
		    strstr(d.error, cases[i].says) == NULL))
			printf("#   rc %d, error \"%s\"\n", rc, d.error);
		th_store_free(st);
	}
}

static void
test_warnings(void)
{
	const struct xs_provider	*p = xs_provider_entry();
	struct xs_store			*st;
	struct xs_diag			 d;

	st = th_store("{\"regionID\":\"cn-hangzhou\",\"regionId\":\"x\","
	    "\"endpoint\":\"http://127.0.0.1:1\"," REFS("") "}", "s", "a");
	th_diag_init(&d);
	is_int(p->validate_store(&th_host, st, &d), XS_OK,
	    "unknown field: still valid");
	ok(d.nwarnings == 2 && strstr(d.warnings[0], "regionId") != NULL &&
	    strstr(d.warnings[1], "plain HTTP") != NULL,
	    "warnings for an unknown field and plain HTTP");
	th_store_free(st);
}

static void
test_env(void)
{
	const struct xs_provider	*p = xs_provider_entry();
	struct xs_store			*st;
	struct xs_diag			 d;
	struct ali_config		 c;

	th_init();
	th_set_env("ALIBABA_CLOUD_ROLE_ARN", ROLE);
	th_set_env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC);
	th_set_env("ALIBABA_CLOUD_OIDC_TOKEN_FILE",
	    "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token");
	st = th_store("{\"regionID\":\"cn-hangzhou\",\"auth\":{\"rrsa\":{}}}",
	    "s", "team-a");
	th_diag_init(&d);
	is_int(config_load(&th_host, st, &c, &d), XS_OK,
	    "RRSA fields from the environment");
	ok(c.use_rrsa && strcmp(c.role_arn, ROLE) == 0 &&
	    strcmp(c.provider_arn, OIDC) == 0 &&
	    strstr(c.token_file, "rrsa-tokens") != NULL &&
	    strcmp(c.session_name, "xsecrets") == 0 && c.duration == 3600,
	    "environment values and defaults used");
	th_store_free(st);

	th_set_env("ALIBABA_CLOUD_STS_ENDPOINT", "not a host!");
	st = th_store("{\"regionID\":\"cn-hangzhou\",\"auth\":{\"rrsa\":{}}}",
	    "s", "");
	th_diag_init(&d);
	is_int(p->validate_store(&th_host, st, &d), XS_ERR_INVALID,
	    "a malformed STS endpoint variable is reported");
	th_store_free(st);
	th_init();
}

static void
test_endpoints(void)
{
	static const struct {
		const char	*in, *url, *host;
	} good[] = {
		{ "kms.cn-hangzhou.aliyuncs.com",
		    "https://kms.cn-hangzhou.aliyuncs.com",
		    "kms.cn-hangzhou.aliyuncs.com" },
		{ "https://kms-vpc.cn-shanghai.aliyuncs.com:443/",
		    "https://kms-vpc.cn-shanghai.aliyuncs.com",
		    "kms-vpc.cn-shanghai.aliyuncs.com" },
		{ "http://127.0.0.1:18080", "http://127.0.0.1:18080",
		    "127.0.0.1:18080" },
		{ "kst-1.cryptoservice.kms.aliyuncs.com:8443",
		    "https://kst-1.cryptoservice.kms.aliyuncs.com:8443",
		    "kst-1.cryptoservice.kms.aliyuncs.com:8443" },
	};
	static const char *const badin[] = { "", "https://", "a b",
	    "https://h/p", "h:0", "h:70000", "h:", "https://u@h",
	    "gopher://h", "h?x=1", "KMS.example.com" };
	char	url[ALI_URL_MAX], host[ALI_URL_MAX];
	size_t	i;
	int	bad = 0;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ok(config_endpoint(good[i].in, url, host) == 0 &&
		    strcmp(url, good[i].url) == 0 &&
		    strcmp(host, good[i].host) == 0, "endpoint %s -> %s",
		    good[i].in, url);
	}
	for (i = 0; i < sizeof(badin) / sizeof(badin[0]); i++) {
		if (config_endpoint(badin[i], url, host) != -1) {
			printf("# accepted %s\n", badin[i]);
			bad++;
		}
	}
	is_int(bad, 0, "malformed endpoints refused");
}

static void
test_sts_url(void)
{
	char		url[ALI_URL_MAX];
	struct xs_diag	d;

	th_init();
	th_diag_init(&d);
	ok(config_sts_url(&th_host, url, &d) == 0 &&
	    strcmp(url, "https://sts.aliyuncs.com") == 0, "STS default");
	th_set_env("ALIBABA_CLOUD_STS_REGION", "cn-beijing");
	ok(config_sts_url(&th_host, url, &d) == 0 &&
	    strcmp(url, "https://sts.cn-beijing.aliyuncs.com") == 0,
	    "STS regional: %s", url);
	th_set_env("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true");
	ok(config_sts_url(&th_host, url, &d) == 0 &&
	    strcmp(url, "https://sts-vpc.cn-beijing.aliyuncs.com") == 0,
	    "STS VPC: %s", url);
	th_set_env("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9999/");
	ok(config_sts_url(&th_host, url, &d) == 0 &&
	    strcmp(url, "http://127.0.0.1:9999") == 0,
	    "STS endpoint variable wins: %s", url);
	th_init();
}

static void
test_syntax(void)
{
	ok(config_arn_ok(ROLE, "role"), "role ARN");
	ok(config_arn_ok(OIDC, "oidc-provider"), "OIDC provider ARN");
	ok(!config_arn_ok("acs:ram::123:role/", "role"), "empty role name");
	ok(!config_arn_ok("acs:ram:cn:123:role/x", "role"), "region in ARN");
	ok(!config_arn_ok("acs:ram::123:role/a/b", "role"), "path in name");
	ok(config_session_ok("a.b@c_d-e"), "session name characters");
	ok(!config_session_ok("x"), "session name too short");
	ok(!config_session_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaa"), "session name too long");
}

int
main(void)
{
	th_init();
	test_validate();
	test_warnings();
	test_env();
	test_endpoints();
	test_sts_url();
	test_syntax();
	is_int(th_secure_live(), 0, "no secure memory leaked");
	return tap_done();
}
