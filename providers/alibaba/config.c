/*
 * The store configuration of the Alibaba provider: spec.provider.alibaba.
 *
 * config_load reads the tree into a struct ali_config and applies ESO's
 * rules (regionID required; exactly one of auth.secretRef and auth.rrsa;
 * both AccessKey references), then the syntax checks ESO lacked: ARNs,
 * session names, durations, endpoints and the CA bundle.  validate_store
 * and auth both call it, so a store that validates is a store that auth
 * understands.
 *
 * One rule guards the daemon's own identity: a namespaced SecretStore may
 * set oidcTokenFilePath (ESO's documentation does) only to a projected
 * service-account token, under /var/run/secrets/, or to the daemon's own
 * ALIBABA_CLOUD_OIDC_TOKEN_FILE; anything else would let a namespace choose
 * which of the daemon's files is read and sent to STS.  A
 * ClusterSecretStore (written by the cluster's administrators) may name
 * any absolute path.  The
 * STS endpoint is never a store field at all: it comes from the daemon's
 * environment, so no store can redirect where the OIDC token goes.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alibaba.h"

#define PATH_PREFIX	"spec.provider.alibaba."
#define TOKEN_DIR	"/var/run/secrets/"

/* Reports a problem at a node: "<where>: <path>: <text>". */
static int32_t __attribute__((format(printf, 5, 6)))
bad(const struct xs_host *h, struct xs_diag *d, const struct xs_value *at,
    const char *path, const char *fmt, ...)
{
	va_list	 ap;
	char	 text[400], where[128];

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (at != NULL && h->value_where(at, where, sizeof(where)) != NULL)
		h->error(d, "%s: " PATH_PREFIX "%s: %s", where, path, text);
	else
		h->error(d, PATH_PREFIX "%s: %s", path, text);
	return XS_ERR_INVALID;
}

/* Warns about keys of map that are not in known. */
static void
unknown_keys(const struct xs_host *h, const struct xs_value *map,
    const char *path, const char *const *known, struct xs_diag *d)
{
	const char	*key;
	size_t		 i, j;

	for (i = 0; i < h->value_count(map); i++) {
		key = NULL;
		h->value_at(map, i, &key);
		if (key == NULL)
			continue;
		for (j = 0; known[j] != NULL; j++)
			if (strcmp(key, known[j]) == 0)
				break;
		if (known[j] == NULL)
			h->warn(d, PATH_PREFIX "%s%.64s: unknown field, "
			    "ignored", path, key);
	}
}

/*
 * The string at key of map: *out NULL when absent.  -1 when present but
 * not a non-empty string (reported).
 */
static int
str_field(const struct xs_host *h, const struct xs_value *map,
    const char *key, const char *path, const char **out, struct xs_diag *d)
{
	const struct xs_value	*v;

	*out = NULL;
	if ((v = h->value_get(map, key)) == NULL ||
	    h->value_type(v) == XS_VALUE_NULL)
		return 0;
	if (h->value_type(v) != XS_VALUE_STRING ||
	    (*out = h->value_string(v, NULL)) == NULL || (*out)[0] == '\0') {
		bad(h, d, v, path, "must be a non-empty string");
		return -1;
	}
	return 0;
}

static int
all_chars(const char *s, const char *extra)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(extra, *s) == NULL)
			return 0;
	return 1;
}

int
config_arn_ok(const char *arn, const char *kind)
{
	const char	*p = arn, *name;
	size_t		 n;

	if (strncmp(p, "acs:ram::", 9) != 0)
		return 0;
	p += 9;
	for (n = 0; p[n] >= '0' && p[n] <= '9'; n++)
		;
	if (n == 0 || n > 32 || p[n] != ':')
		return 0;
	p += n + 1;
	n = strlen(kind);
	if (strncmp(p, kind, n) != 0 || p[n] != '/')
		return 0;
	name = p + n + 1;
	n = strlen(name);
	return n >= 1 && n <= 128 && all_chars(name, "._-@");
}

int
config_session_ok(const char *s)
{
	size_t	n = strlen(s);

	return n >= 2 && n <= 64 && all_chars(s, ".@_-");
}

static int
region_ok(const char *s)
{
	size_t	n = strlen(s);

	return n >= 2 && n <= 64 && isalpha((unsigned char)s[0]) &&
	    all_chars(s, "-");
}

int
config_endpoint(const char *in, char url[ALI_URL_MAX],
    char hosthdr[ALI_URL_MAX])
{
	const char	*scheme = "https", *p = in, *colon;
	size_t		 hostlen, n, i;
	long		 port = 0;
	char		*end;

	if (strncasecmp(p, "https://", 8) == 0)
		p += 8;
	else if (strncasecmp(p, "http://", 7) == 0) {
		scheme = "http";
		p += 7;
	} else if (strstr(p, "://") != NULL)
		return -1;
	n = strcspn(p, "/");
	if (p[n] == '/' && p[n + 1] != '\0')
		return -1;	/* no path, query or fragment */
	colon = memchr(p, ':', n);
	hostlen = colon != NULL ? (size_t)(colon - p) : n;
	if (hostlen == 0 || hostlen > 253)
		return -1;
	for (i = 0; i < hostlen; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '.' &&
		    p[i] != '-')
			return -1;
	if (colon != NULL) {
		port = strtol(colon + 1, &end, 10);
		if (end != p + n || end == colon + 1 || port < 1 ||
		    port > 65535)
			return -1;
	}
	if (port == (strcmp(scheme, "https") == 0 ? 443 : 80))
		port = 0;
	if (port != 0) {
		snprintf(hosthdr, ALI_URL_MAX, "%.*s:%ld", (int)hostlen, p,
		    port);
	} else
		snprintf(hosthdr, ALI_URL_MAX, "%.*s", (int)hostlen, p);
	snprintf(url, ALI_URL_MAX, "%s://%s", scheme, hosthdr);
	for (p = hosthdr; *p != '\0'; p++)
		if (isupper((unsigned char)*p))
			return -1;	/* the Host header is signed as is */
	return 0;
}

int
config_sts_url(const struct xs_host *h, char url[ALI_URL_MAX],
    struct xs_diag *d)
{
	const char	*ep, *region, *vpc;
	char		 hosthdr[ALI_URL_MAX], tmp[ALI_URL_MAX];

	ep = h->getenv("ALIBABA_CLOUD_STS_ENDPOINT");
	region = h->getenv("ALIBABA_CLOUD_STS_REGION");
	vpc = h->getenv("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED");
	if (ep != NULL && ep[0] != '\0') {
		if (config_endpoint(ep, url, hosthdr) == -1) {
			h->error(d, "ALIBABA_CLOUD_STS_ENDPOINT: not a host "
			    "or http(s)://host[:port] URL");
			return -1;
		}
		return 0;
	}
	if (region != NULL && region[0] != '\0') {
		if (!region_ok(region)) {
			h->error(d, "ALIBABA_CLOUD_STS_REGION: not a region "
			    "ID");
			return -1;
		}
		snprintf(tmp, sizeof(tmp), "%s.%s.aliyuncs.com",
		    vpc != NULL && strcasecmp(vpc, "true") == 0 ?
		    "sts-vpc" : "sts", region);
		return config_endpoint(tmp, url, hosthdr);
	}
	snprintf(url, ALI_URL_MAX, "https://sts.aliyuncs.com");
	return 0;
}

/* Is s valid base64 of a PEM certificate bundle? */
static int
ca_ok(const struct xs_host *h, const char *s)
{
	uint8_t	*pem;
	size_t	 len, n = strlen(s);
	int	 ok;

	if (n > ALI_CA_MAX * 4 / 3 + 4)
		return 0;
	if ((pem = h->base64_decode(s, n, 0, &len)) == NULL)
		return 0;
	ok = memmem(pem, len, "-----BEGIN CERTIFICATE-----", 27) != NULL;
	h->secure_free(pem);
	return ok;
}

static int
dns_name_ok(const char *s)
{
	size_t	n = strlen(s);

	return n >= 1 && n <= 253 && isalnum((unsigned char)s[0]) &&
	    isalnum((unsigned char)s[n - 1]) && all_chars(s, ".-") &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

/* One {name, key, namespace} reference; path is "auth.secretRef.X". */
static int32_t
secret_ref(const struct xs_host *h, const struct xs_store *st,
    const struct xs_value *parent, const char *field,
    struct xs_secret_ref *out, struct xs_diag *d)
{
	const struct xs_value	*v;
	char			 path[128];
	const char		*ns = h->store_namespace(st);

	snprintf(path, sizeof(path), "auth.secretRef.%s", field);
	if ((v = h->value_get(parent, field)) == NULL)
		return bad(h, d, parent, path, "is required");
	if (h->value_type(v) != XS_VALUE_MAP)
		return bad(h, d, v, path, "must be a map of name, key and "
		    "namespace");
	if (str_field(h, v, "name", path, &out->name, d) == -1 ||
	    str_field(h, v, "key", path, &out->key, d) == -1 ||
	    str_field(h, v, "namespace", path, &out->ns, d) == -1)
		return XS_ERR_INVALID;
	if (out->name == NULL || !dns_name_ok(out->name))
		return bad(h, d, v, path, "name must be a Secret's name");
	if (out->key == NULL || strlen(out->key) > 253 ||
	    !all_chars(out->key, "-._"))
		return bad(h, d, v, path, "key must be a key of the Secret");
	if (out->ns != NULL && !dns_name_ok(out->ns))
		return bad(h, d, v, path, "namespace is not a valid name");
	if (h->store_is_cluster(st) && out->ns == NULL)
		return bad(h, d, v, path, "a ClusterSecretStore must name "
		    "the Secret's namespace");
	if (!h->store_is_cluster(st) && out->ns != NULL &&
	    strcmp(out->ns, ns) != 0)
		return bad(h, d, v, path, "a SecretStore may only reference "
		    "Secrets in its own namespace");
	return XS_OK;
}

static int32_t
load_secret_ref(const struct xs_host *h, const struct xs_store *st,
    const struct xs_value *sr, struct ali_config *c, struct xs_diag *d)
{
	static const char *const known[] = { "accessKeyIDSecretRef",
	    "accessKeySecretSecretRef", NULL };
	int32_t	rc;

	if (h->value_type(sr) != XS_VALUE_MAP)
		return bad(h, d, sr, "auth.secretRef", "must be a map");
	unknown_keys(h, sr, "auth.secretRef.", known, d);
	if ((rc = secret_ref(h, st, sr, "accessKeyIDSecretRef", &c->id_ref,
	    d)) != XS_OK)
		return rc;
	return secret_ref(h, st, sr, "accessKeySecretSecretRef",
	    &c->secret_ref, d);
}

/* A field of auth.rrsa, or its environment fallback. */
static int
rrsa_field(const struct xs_host *h, const struct xs_value *rr,
    const char *key, const char *env, const char **out, struct xs_diag *d)
{
	char	path[64];

	snprintf(path, sizeof(path), "auth.rrsa.%s", key);
	if (str_field(h, rr, key, path, out, d) == -1)
		return -1;
	if (*out == NULL && env != NULL)
		*out = h->getenv(env);
	if (*out != NULL && (*out)[0] == '\0')
		*out = NULL;
	if (*out == NULL) {
		bad(h, d, rr, path, env != NULL ? "is required (or %s in the "
		    "daemon's environment)" : "is required%s", env != NULL ?
		    env : "");
		return -1;
	}
	return 0;
}

static int32_t
load_duration(const struct xs_host *h, const struct xs_value *rr,
    struct ali_config *c, struct xs_diag *d)
{
	const struct xs_value	*v;
	const char		*s;
	char			*end;
	unsigned long		 n;

	c->duration = ALI_DEFAULT_DURATION;
	if ((v = h->value_get(rr, "durationSeconds")) == NULL)
		return XS_OK;
	s = h->value_string(v, NULL);
	if (s == NULL || (h->value_type(v) != XS_VALUE_STRING &&
	    h->value_type(v) != XS_VALUE_NUMBER) || !isdigit((unsigned char)*s))
		return bad(h, d, v, "auth.rrsa.durationSeconds", "must be a "
		    "number of seconds");
	n = strtoul(s, &end, 10);
	if (*end != '\0' || n < 900 || n > 43200)
		return bad(h, d, v, "auth.rrsa.durationSeconds", "must be "
		    "between 900 and 43200");
	c->duration = (uint32_t)n;
	return XS_OK;
}

/*
 * Whether a namespaced store may read token file path: one of the
 * projected token volumes, or the file the daemon was given.
 */
static int
token_file_ok(const struct xs_host *h, const char *path)
{
	const char	*own = h->getenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE");

	if (own != NULL && strcmp(path, own) == 0)
		return 1;
	return strncmp(path, TOKEN_DIR, strlen(TOKEN_DIR)) == 0 &&
	    strstr(path, "/..") == NULL && strstr(path, "/./") == NULL;
}

static int32_t
load_rrsa(const struct xs_host *h, const struct xs_store *st,
    const struct xs_value *rr, struct ali_config *c, struct xs_diag *d)
{
	static const char *const known[] = { "oidcProviderArn",
	    "oidcTokenFilePath", "roleArn", "sessionName", "durationSeconds",
	    NULL };
	char	url[ALI_URL_MAX];
	size_t	n;

	if (h->value_type(rr) != XS_VALUE_MAP)
		return bad(h, d, rr, "auth.rrsa", "must be a map");
	unknown_keys(h, rr, "auth.rrsa.", known, d);
	if (rrsa_field(h, rr, "roleArn", "ALIBABA_CLOUD_ROLE_ARN",
	    &c->role_arn, d) == -1 ||
	    rrsa_field(h, rr, "oidcProviderArn",
	    "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", &c->provider_arn, d) == -1 ||
	    rrsa_field(h, rr, "oidcTokenFilePath",
	    "ALIBABA_CLOUD_OIDC_TOKEN_FILE", &c->token_file, d) == -1)
		return XS_ERR_INVALID;
	if (str_field(h, rr, "sessionName", "auth.rrsa.sessionName",
	    &c->session_name, d) == -1)
		return XS_ERR_INVALID;
	if (c->session_name == NULL)
		c->session_name = ALI_DEFAULT_SESSION;
	if (!config_arn_ok(c->role_arn, "role"))
		return bad(h, d, rr, "auth.rrsa.roleArn", "must be "
		    "acs:ram::<account>:role/<name>");
	if (!config_arn_ok(c->provider_arn, "oidc-provider"))
		return bad(h, d, rr, "auth.rrsa.oidcProviderArn", "must be "
		    "acs:ram::<account>:oidc-provider/<name>");
	n = strlen(c->token_file);
	if (c->token_file[0] != '/' || strstr(c->token_file, "/../") ||
	    n > 1024 || (n >= 3 && strcmp(c->token_file + n - 3, "/..") == 0))
		return bad(h, d, rr, "auth.rrsa.oidcTokenFilePath", "must be "
		    "an absolute path without \"..\"");
	if (!h->store_is_cluster(st) && !token_file_ok(h, c->token_file))
		return bad(h, d, rr, "auth.rrsa.oidcTokenFilePath", "a "
		    "SecretStore may only name a projected token under "
		    TOKEN_DIR " or ALIBABA_CLOUD_OIDC_TOKEN_FILE");
	if (!config_session_ok(c->session_name))
		return bad(h, d, rr, "auth.rrsa.sessionName", "must be 2 to "
		    "64 characters of A-Z a-z 0-9 . @ _ -");
	if (load_duration(h, rr, c, d) != XS_OK)
		return XS_ERR_INVALID;
	if (config_sts_url(h, url, d) == -1)
		return XS_ERR_INVALID;
	c->use_rrsa = 1;
	return XS_OK;
}

static int32_t
load_auth(const struct xs_host *h, const struct xs_store *st,
    const struct xs_value *cfg, struct ali_config *c, struct xs_diag *d)
{
	static const char *const known[] = { "secretRef", "rrsa", NULL };
	const struct xs_value	*auth, *sr, *rr;

	auth = h->value_get(cfg, "auth");
	if (auth == NULL || h->value_type(auth) != XS_VALUE_MAP)
		return bad(h, d, auth != NULL ? auth : cfg, "auth", "is "
		    "required: set secretRef or rrsa");
	unknown_keys(h, auth, "auth.", known, d);
	sr = h->value_get(auth, "secretRef");
	rr = h->value_get(auth, "rrsa");
	if ((sr == NULL) == (rr == NULL))
		return bad(h, d, auth, "auth", "set exactly one of secretRef "
		    "and rrsa");
	if (sr != NULL)
		return load_secret_ref(h, st, sr, c, d);
	return load_rrsa(h, st, rr, c, d);
}

static int32_t
load_endpoint(const struct xs_host *h, const struct xs_value *cfg,
    struct ali_config *c, struct xs_diag *d)
{
	const struct xs_value	*v = h->value_get(cfg, "endpoint");
	char			 url[ALI_URL_MAX], hosthdr[ALI_URL_MAX];

	if (c->endpoint == NULL)
		return XS_OK;
	if (config_endpoint(c->endpoint, url, hosthdr) == -1)
		return bad(h, d, v, "endpoint", "must be a lower-case host, "
		    "host:port or http(s)://host[:port] without a path");
	if (strncmp(url, "http://", 7) == 0)
		h->warn(d, PATH_PREFIX "endpoint: plain HTTP is refused "
		    "unless the daemon's allow-list admits it");
	return XS_OK;
}

int32_t
config_load(const struct xs_host *h, const struct xs_store *st,
    struct ali_config *c, struct xs_diag *d)
{
	static const char *const known[] = { "regionID", "endpoint",
	    "caBundle", "signatureVersion", "auth", NULL };
	const struct xs_value	*cfg = h->store_config(st);
	const char		*sv;
	int32_t			 rc;

	memset(c, 0, sizeof(*c));
	if (h->value_type(cfg) != XS_VALUE_MAP) {
		h->error(d, "spec.provider.alibaba: must be a map");
		return XS_ERR_INVALID;
	}
	unknown_keys(h, cfg, "", known, d);
	if (str_field(h, cfg, "regionID", "regionID", &c->region, d) == -1 ||
	    str_field(h, cfg, "endpoint", "endpoint", &c->endpoint, d) ==
	    -1 || str_field(h, cfg, "caBundle", "caBundle", &c->ca_bundle,
	    d) == -1 || str_field(h, cfg, "signatureVersion",
	    "signatureVersion", &sv, d) == -1)
		return XS_ERR_INVALID;
	if (c->region == NULL)
		return bad(h, d, cfg, "regionID", "is required");
	if (!region_ok(c->region))
		return bad(h, d, h->value_get(cfg, "regionID"), "regionID",
		    "must be a region ID such as cn-hangzhou");
	if ((rc = load_endpoint(h, cfg, c, d)) != XS_OK)
		return rc;
	if (c->ca_bundle != NULL && !ca_ok(h, c->ca_bundle))
		return bad(h, d, h->value_get(cfg, "caBundle"), "caBundle",
		    "must be base64 of PEM certificates");
	if (sv != NULL && strcasecmp(sv, "v1") == 0)
		c->sigv1 = 1;
	else if (sv != NULL && strcasecmp(sv, "v3") != 0)
		return bad(h, d, h->value_get(cfg, "signatureVersion"),
		    "signatureVersion", "must be v3 or v1");
	return load_auth(h, st, cfg, c, d);
}
