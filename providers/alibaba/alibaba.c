/*
 * The Alibaba Cloud KMS provider: its descriptor and the calls the host
 * makes into it.
 *
 * auth builds a client from a checked configuration: the endpoint (the
 * region's public KMS gateway unless the store names a VPC or KMS-instance
 * gateway), the CA bundle for private-CA instance gateways, and either an
 * AccessKey read from the referenced Secrets (trimmed: a trailing newline
 * is the most common mistake) or a shared RRSA session that is warmed by
 * one exchange before auth returns.
 *
 * get_secret and get_secret_map read one secret with GetSecretValue
 * (secret_fetch); a property selects a node of its JSON value.  A client
 * holds no mutable state of its own, so calls on it may run concurrently;
 * the RRSA session has its own lock.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "alibaba.h"

#define ALI_DEFAULT_RATE	100
#define REF_MAX			1024

static int
host_ok(const struct xs_host *h)
{
	return h != NULL && h->abi_major == XS_ABI_MAJOR &&
	    h->size >= sizeof(struct xs_host);
}

static int32_t
alibaba_validate_store(const struct xs_host *h, const struct xs_store *st,
    struct xs_diag *d)
{
	struct ali_config	c;

	if (!host_ok(h))
		return XS_ERR_INTERNAL;
	return config_load(h, st, &c, d);
}

/* Copies s without surrounding blanks into secure memory, or NULL. */
static char *
trimmed(const struct xs_host *h, const uint8_t *s, size_t len)
{
	char	*out;

	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	while (len > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' ||
	    s[0] == '\r')) {
		s++;
		len--;
	}
	if ((out = h->secure_alloc(len + 1)) == NULL)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

/* Reads one AccessKey part; *out in secure memory, trimmed, non-empty. */
static int32_t
key_part(const struct xs_host *h, const struct xs_store *st,
    const struct xs_secret_ref *ref, const char *what, char **out,
    struct xs_diag *d)
{
	uint8_t	*raw = NULL;
	size_t	 len = 0;
	int32_t	 rc;

	if ((rc = h->credential_get(st, ref, &raw, &len, d)) != XS_OK)
		return rc == XS_ERR_NOT_FOUND ? XS_ERR_AUTH : rc;
	*out = trimmed(h, raw, len);
	h->secure_free(raw);
	if (*out == NULL)
		return XS_ERR_NOMEM;
	if ((*out)[0] == '\0' || strlen(*out) != strcspn(*out, "\r\n")) {
		h->error(d, "the %s in Secret %s key %s is empty or spans "
		    "lines", what, ref->name, ref->key);
		return XS_ERR_AUTH;
	}
	return XS_OK;
}

static int32_t
auth_key(struct ali_client *c, const struct ali_config *cfg,
    struct xs_diag *d)
{
	int32_t	rc;

	if ((rc = key_part(c->host, c->st, &cfg->id_ref, "AccessKey ID",
	    &c->key.id, d)) != XS_OK)
		return rc;
	return key_part(c->host, c->st, &cfg->secret_ref, "AccessKey secret",
	    &c->key.secret, d);
}

static int32_t
auth_rrsa(struct ali_client *c, const struct ali_config *cfg,
    struct xs_diag *d)
{
	struct rrsa_params	p;
	struct ali_creds	warm;
	char			url[ALI_URL_MAX];
	int32_t			rc;

	if (config_sts_url(c->host, url, d) == -1)
		return XS_ERR_INVALID;
	p.role_arn = cfg->role_arn;
	p.provider_arn = cfg->provider_arn;
	p.session_name = cfg->session_name;
	p.token_file = cfg->token_file;
	p.duration = cfg->duration;
	p.sts_url = url;
	if ((rc = rrsa_open(c->host, &p, &c->rrsa)) != XS_OK)
		return rc;
	memset(&warm, 0, sizeof(warm));
	rc = rrsa_get(c->rrsa, c->st, 0, &warm, d);
	creds_clear(c->host, &warm);
	return rc;
}

static void
alibaba_close(void *client)
{
	struct ali_client	*c = client;

	if (c == NULL)
		return;
	creds_clear(c->host, &c->key);
	rrsa_close(c->rrsa);
	if (c->ca_pem != NULL)
		c->host->secure_free(c->ca_pem);
	c->host->free(c);
}

static int32_t
load_ca(struct ali_client *c, const char *b64)
{
	const struct xs_host	*h = c->host;
	uint8_t			*pem;
	size_t			 len;

	pem = h->base64_decode(b64, strlen(b64), 0, &len);
	if (pem == NULL)
		return XS_ERR_INVALID;
	c->ca_pem = h->secure_alloc(len + 1);
	if (c->ca_pem != NULL) {
		memcpy(c->ca_pem, pem, len);
		c->ca_pem[len] = '\0';
		c->ca_len = len;
	}
	h->secure_free(pem);
	return c->ca_pem != NULL ? XS_OK : XS_ERR_NOMEM;
}

static int32_t
alibaba_auth(const struct xs_host *h, const struct xs_store *st,
    void **client, struct xs_diag *d)
{
	struct ali_config	 cfg;
	struct ali_client	*c;
	char			 def[ALI_URL_MAX];
	int32_t			 rc;

	*client = NULL;
	if (!host_ok(h))
		return XS_ERR_INTERNAL;
	if ((rc = config_load(h, st, &cfg, d)) != XS_OK)
		return rc;
	if ((c = h->calloc(1, sizeof(*c))) == NULL)
		return XS_ERR_NOMEM;
	c->host = h;
	c->st = st;
	c->sigv1 = cfg.sigv1;
	c->policy = &errors_default_policy;
	snprintf(def, sizeof(def), "kms.%s.aliyuncs.com", cfg.region);
	rc = XS_ERR_INVALID;
	if (config_endpoint(cfg.endpoint != NULL ? cfg.endpoint : def, c->url,
	    c->host_hdr) == -1)
		goto fail;
	if (cfg.ca_bundle != NULL && (rc = load_ca(c, cfg.ca_bundle)) != XS_OK)
		goto fail;
	rc = cfg.use_rrsa ? auth_rrsa(c, &cfg, d) : auth_key(c, &cfg, d);
	if (rc != XS_OK)
		goto fail;
	*client = c;
	return XS_OK;
fail:
	alibaba_close(c);
	return rc;
}

/* A remote key or version is bounded and free of control characters. */
static int
ref_text_ok(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > REF_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* The SecretData of a response, decoded when SecretDataType is binary. */
static int32_t
secret_data(struct ali_client *c, const struct xs_value *json,
    const char *name, struct ali_secret *out, struct xs_diag *d)
{
	const struct xs_host	*h = c->host;
	const char		*data, *type;
	size_t			 len = 0;

	data = h->value_string(h->value_get(json, "SecretData"), &len);
	type = h->value_string(h->value_get(json, "SecretDataType"), NULL);
	if (data == NULL) {
		h->error(d, "GetSecretValue \"%.200s\": the response has no "
		    "SecretData", name);
		return XS_ERR_PROTOCOL;
	}
	if (type != NULL && strcmp(type, "binary") == 0) {
		out->data = h->base64_decode(data, len, 0, &out->len);
		if (out->data == NULL) {
			h->error(d, "GetSecretValue \"%.200s\": a binary "
			    "value is not valid base64", name);
			return XS_ERR_PROTOCOL;
		}
		return XS_OK;
	}
	if ((out->data = h->secure_alloc(len + 1)) == NULL)
		return XS_ERR_NOMEM;
	memcpy(out->data, data, len);
	out->data[len] = '\0';
	out->len = len;
	return XS_OK;
}

int32_t
secret_fetch(struct ali_client *c, const char *name, const char *version,
    struct ali_secret *out, struct xs_diag *d)
{
	const struct xs_host	*h = c->host;
	struct sign_param	 p[2];
	struct xs_value		*json = NULL;
	char			 what[256];
	int32_t			 rc;

	memset(out, 0, sizeof(*out));
	if (!ref_text_ok(name) || (version != NULL && version[0] != '\0' &&
	    !ref_text_ok(version))) {
		h->error(d, "remoteRef: the key and version must be 1 to %d "
		    "printable characters", REF_MAX);
		return XS_ERR_INVALID;
	}
	p[0] = (struct sign_param){ "SecretName", name };
	if (version == NULL || version[0] == '\0')
		p[1] = (struct sign_param){ "VersionStage", "ACSCurrent" };
	else if (strncmp(version, "stage:", 6) == 0 && version[6] != '\0')
		p[1] = (struct sign_param){ "VersionStage", version + 6 };
	else
		p[1] = (struct sign_param){ "VersionId", version };
	snprintf(what, sizeof(what), "GetSecretValue \"%.200s\"", name);
	if ((rc = kms_call(c, "GetSecretValue", p, 2, what, &json, d)) !=
	    XS_OK)
		return rc;
	rc = secret_data(c, json, name, out, d);
	h->json_free(json);
	return rc;
}

void
secret_clear(struct ali_client *c, struct ali_secret *s)
{
	if (s->data != NULL)
		c->host->secure_free(s->data);
	s->data = NULL;
	s->len = 0;
}

/*
 * Parses a value as JSON and selects property (NULL: the root).  XS_OK
 * with *root (free with json_free) and *node, XS_ERR_INVALID when the
 * value is not JSON, XS_ERR_NOT_FOUND when the property is absent.
 */
static int32_t
select_node(struct ali_client *c, const struct ali_secret *s,
    const char *name, const char *property, struct xs_value **root,
    const struct xs_value **node, struct xs_diag *d)
{
	const struct xs_host	*h = c->host;

	*root = NULL;
	if (h->json_parse((const char *)s->data, s->len, root, NULL) !=
	    XS_OK) {
		h->error(d, "secret \"%.200s\" is not JSON, so %s", name,
		    property != NULL ? "no property can be selected" :
		    "it cannot be extracted");
		return XS_ERR_INVALID;
	}
	*node = property != NULL ? h->value_path(*root, property) : *root;
	if (*node == NULL) {
		h->error(d, "secret \"%.200s\" has no property \"%.200s\"",
		    name, property);
		h->json_free(*root);
		*root = NULL;
		return XS_ERR_NOT_FOUND;
	}
	return XS_OK;
}

/* Puts or sets a node: strings as they are, others as JSON text. */
static int32_t
emit_node(struct ali_client *c, struct xs_result *r, const char *key,
    const struct xs_value *v)
{
	const struct xs_host	*h = c->host;
	const char		*s;
	char			*text;
	size_t			 len = 0;
	int32_t			 rc;

	if (h->value_type(v) == XS_VALUE_STRING) {
		s = h->value_string(v, &len);
		return key != NULL ? h->result_put(r, key, (const uint8_t *)s,
		    len) : h->result_set(r, (const uint8_t *)s, len);
	}
	if ((text = h->json_print(v, &len)) == NULL)
		return XS_ERR_NOMEM;
	rc = key != NULL ? h->result_put(r, key, (const uint8_t *)text, len) :
	    h->result_set(r, (const uint8_t *)text, len);
	h->secure_free(text);
	return rc;
}

static int32_t
alibaba_get_secret(void *client, const struct xs_remote_ref *ref,
    struct xs_result *r, struct xs_diag *d)
{
	struct ali_client	*c = client;
	const struct xs_host	*h = c->host;
	struct ali_secret	 s;
	struct xs_value		*root;
	const struct xs_value	*node;
	int32_t			 rc;

	if (ref->metadata) {
		h->error(d, "metadataPolicy Fetch is not supported by the "
		    "alibaba provider");
		return XS_ERR_UNSUPPORTED;
	}
	if ((rc = secret_fetch(c, ref->key, ref->version, &s, d)) != XS_OK)
		return rc;
	if (ref->property == NULL || ref->property[0] == '\0')
		rc = h->result_set(r, s.data, s.len);
	else if ((rc = select_node(c, &s, ref->key, ref->property, &root,
	    &node, d)) == XS_OK) {
		rc = emit_node(c, r, NULL, node);
		h->json_free(root);
	}
	secret_clear(c, &s);
	return rc;
}

static int32_t
alibaba_get_secret_map(void *client, const struct xs_remote_ref *ref,
    struct xs_result *r, struct xs_diag *d)
{
	struct ali_client	*c = client;
	const struct xs_host	*h = c->host;
	struct ali_secret	 s;
	struct xs_value		*root = NULL;
	const struct xs_value	*node, *v;
	const char		*key, *prop;
	size_t			 i;
	int32_t			 rc;

	if ((rc = secret_fetch(c, ref->key, ref->version, &s, d)) != XS_OK)
		return rc;
	prop = ref->property != NULL && ref->property[0] != '\0' ?
	    ref->property : NULL;
	if ((rc = select_node(c, &s, ref->key, prop, &root, &node, d)) !=
	    XS_OK)
		goto done;
	if (h->value_type(node) != XS_VALUE_MAP) {
		h->error(d, "secret \"%.200s\" is not a JSON object, so it "
		    "cannot be extracted", ref->key);
		rc = XS_ERR_INVALID;
		goto done;
	}
	for (i = 0; i < h->value_count(node) && rc == XS_OK; i++) {
		key = NULL;
		v = h->value_at(node, i, &key);
		if (key != NULL)
			rc = emit_node(c, r, key, v);
	}
done:
	if (root != NULL)
		h->json_free(root);
	secret_clear(c, &s);
	return rc;
}

static const char *const alibaba_endpoints[] = { "*.aliyuncs.com", NULL };

static const struct xs_provider alibaba_provider = {
	.abi_major = XS_ABI_MAJOR,
	.abi_minor = 0,
	.size = sizeof(struct xs_provider),
	.default_rate = ALI_DEFAULT_RATE,
	.name = "alibaba",
	.version = PACKAGE_VERSION,
	.endpoints = alibaba_endpoints,
	.validate_store = alibaba_validate_store,
	.auth = alibaba_auth,
	.get_secret = alibaba_get_secret,
	.get_secret_map = alibaba_get_secret_map,
	.close = alibaba_close,
	.find_secrets = find_secrets,
};

/* The provider's one exported symbol: its constant descriptor. */
XS_EXPORT const struct xs_provider *
xs_provider_entry(void)
{
	return &alibaba_provider;
}
