/*
 * skeleton: a complete xsecrets provider in one file, to copy and adapt.
 *
 * It serves the values written in its own store, so that it runs anywhere,
 * and still shows every part of the contract of xsecrets-provider(7): each
 * function of the descriptor, configuration checks with positions, a
 * credential lookup, secure memory, JSON properties, results, logging and
 * status codes.  A real provider replaces the lookup in find() with HTTP
 * requests through host->http_request.
 *
 *	apiVersion: external-secrets.io/v1
 *	kind: SecretStore
 *	metadata: {name: demo, namespace: default}
 *	spec:
 *	  provider:
 *	    skeleton:
 *	      values:                   # the "remote" secrets
 *	        db: '{"user":"app","password":"s3cret"}'
 *	        token: abc123
 *	      auth:                     # optional: a Secret that must exist
 *	        secretRef: {name: skeleton-creds, key: token}
 *
 * Build it with the Makefile beside this file, which needs nothing but
 * pkg-config and the installed header:
 *
 *	cc $(pkg-config --cflags xsecrets-provider) -o skeleton.so \
 *	    skeleton.c $(pkg-config --libs xsecrets-provider)
 *
 * Rules this file follows, as every provider must: only xs_provider_entry is
 * exported (-fvisibility=hidden and XS_EXPORT); everything comes from the
 * host table (no library, no global state, no stdio, no exit); every error
 * has a message and one of the documented codes; a missing key is
 * XS_ERR_NOT_FOUND and nothing else; no secret value ever reaches a message
 * or a log line.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <xsecrets/provider.h>

/*
 * The client auth builds.  The host keeps the store and its configuration
 * tree alive until close, so the client may point into the tree; it never
 * changes after auth, so concurrent get_secret calls need no lock.
 */
struct skel_client {
	const struct xs_host	*host;
	const struct xs_store	*st;
	const struct xs_value	*values;	/* ...skeleton.values */
};

/*
 * validate_store: checks the configuration only.  No I/O and no credential
 * lookups: xsecretsd --check runs it without network.  The message says
 * where the mistake is, with host->value_where.
 */
static int32_t
skel_validate_store(const struct xs_host *host, const struct xs_store *st,
    struct xs_diag *d)
{
	const struct xs_value	*cfg, *values, *v, *ref;
	const char		*key;
	char			 where[256];
	size_t			 i;

	cfg = host->store_config(st);
	values = host->value_get(cfg, "values");
	if (host->value_type(values) != XS_VALUE_MAP) {
		host->error(d, "skeleton: spec.provider.skeleton.values must "
		    "be a map");
		return XS_ERR_INVALID;
	}
	for (i = 0; i < host->value_count(values); i++) {
		v = host->value_at(values, i, &key);
		if (host->value_type(v) != XS_VALUE_STRING) {
			host->error(d, "skeleton: values.%s at %s: must be a "
			    "string", key, host->value_where(v, where,
			    sizeof(where)));
			return XS_ERR_INVALID;
		}
	}
	ref = host->value_path(cfg, "auth.secretRef");
	if (host->value_get(cfg, "auth") != NULL &&
	    (host->value_string(host->value_get(ref, "name"), NULL) == NULL ||
	    host->value_string(host->value_get(ref, "key"), NULL) == NULL)) {
		host->error(d, "skeleton: auth.secretRef needs a name and a "
		    "key");
		return XS_ERR_INVALID;
	}
	if (host->value_count(values) == 0)
		host->warn(d, "skeleton: store %s serves no value",
		    host->store_name(st));
	return XS_OK;
}

/*
 * Resolves auth.secretRef when the store has one.  The bytes come in
 * secure memory, are ours, and go back with secure_free.  This provider
 * only checks that the credential is not empty; a real one would sign its
 * requests with it or exchange it for a token.
 */
static int32_t
skel_credential(const struct xs_host *host, const struct xs_store *st,
    struct xs_diag *d)
{
	const struct xs_value	*ref;
	struct xs_secret_ref	 sr;
	uint8_t			*cred;
	size_t			 len;
	int32_t			 rc;

	ref = host->value_path(host->store_config(st), "auth.secretRef");
	if (ref == NULL)
		return XS_OK;
	memset(&sr, 0, sizeof(sr));
	sr.name = host->value_string(host->value_get(ref, "name"), NULL);
	sr.key = host->value_string(host->value_get(ref, "key"), NULL);
	sr.ns = host->value_string(host->value_get(ref, "namespace"), NULL);
	rc = host->credential_get(st, &sr, &cred, &len, d);
	if (rc == XS_ERR_NOT_FOUND) {
		/* The user must create the Secret: that is an auth error. */
		host->error(d, "skeleton: credential %s/%s not found",
		    sr.name != NULL ? sr.name : "", sr.key != NULL ? sr.key :
		    "");
		return XS_ERR_AUTH;
	}
	if (rc != XS_OK)
		return rc;
	if (len == 0) {
		host->error(d, "skeleton: credential %s/%s is empty", sr.name,
		    sr.key);
		rc = XS_ERR_AUTH;
	}
	host->secure_free(cred);
	return rc;
}

/*
 * auth: builds the client of one store.  On XS_OK the client belongs to
 * the host until it calls close; on an error nothing is left allocated.
 */
static int32_t
skel_auth(const struct xs_host *host, const struct xs_store *st,
    void **client, struct xs_diag *d)
{
	struct skel_client	*c;
	int32_t			 rc;

	*client = NULL;
	if ((rc = skel_validate_store(host, st, d)) != XS_OK)
		return rc;
	if ((rc = skel_credential(host, st, d)) != XS_OK)
		return rc;
	if ((c = host->calloc(1, sizeof(*c))) == NULL) {
		host->error(d, "skeleton: out of memory");
		return XS_ERR_NOMEM;
	}
	c->host = host;
	c->st = st;
	c->values = host->value_get(host->store_config(st), "values");
	if (host->log_enabled(XS_LOG_DEBUG))
		host->log(XS_LOG_DEBUG, "store %s: %zu values",
		    host->store_name(st), host->value_count(c->values));
	*client = c;
	return XS_OK;
}

/* The value of key, or NULL.  The place where a real provider calls out. */
static const char *
find(const struct skel_client *c, const char *key, size_t *len)
{
	return c->host->value_string(c->host->value_get(c->values, key), len);
}

static int32_t
out_of_memory(const struct xs_host *host, struct xs_diag *d)
{
	host->error(d, "skeleton: out of memory");
	return XS_ERR_NOMEM;
}

/*
 * Stores one JSON node: a string as its raw text, any other node as its
 * compact JSON.  json_print's text is in secure memory: secure_free it.
 */
static int32_t
put_node(const struct xs_host *host, const struct xs_value *v,
    const char *key, struct xs_result *r, struct xs_diag *d)
{
	const char	*s;
	char		*json = NULL;
	size_t		 len;
	int32_t		 rc;

	if (host->value_type(v) == XS_VALUE_STRING)
		s = host->value_string(v, &len);
	else if ((s = json = host->json_print(v, &len)) == NULL)
		return out_of_memory(host, d);
	if (key == NULL)
		rc = host->result_set(r, (const uint8_t *)s, len);
	else
		rc = host->result_put(r, key, (const uint8_t *)s, len);
	host->secure_free(json);
	return rc == XS_OK ? rc : out_of_memory(host, d);
}

/*
 * Parses the value of ref->key as JSON and returns the node at
 * ref->property (or the whole document).  *tree is to be json_free'd.
 */
static int32_t
json_node(const struct skel_client *c, const struct xs_remote_ref *ref,
    struct xs_value **tree, const struct xs_value **node, struct xs_diag *d)
{
	const struct xs_host	*host = c->host;
	const char		*s;
	size_t			 len;
	int32_t			 rc;

	*tree = NULL;
	if ((s = find(c, ref->key, &len)) == NULL) {
		host->error(d, "skeleton: key %s not found", ref->key);
		return XS_ERR_NOT_FOUND;
	}
	if ((rc = host->json_parse(s, len, tree, d)) == XS_ERR_NOMEM)
		return out_of_memory(host, d);
	if (rc != XS_OK) {
		/* A plain string has no properties: the property is absent. */
		host->error(d, "skeleton: key %s is not JSON", ref->key);
		return XS_ERR_NOT_FOUND;
	}
	*node = ref->property == NULL ? *tree :
	    host->value_path(*tree, ref->property);
	if (*node == NULL) {
		host->error(d, "skeleton: key %s has no property %s",
		    ref->key, ref->property);
		return XS_ERR_NOT_FOUND;
	}
	return XS_OK;
}

/*
 * get_secret: one remoteRef.  May run on several threads at once with the
 * same client; it only reads the client.  ref and r are lent for the call.
 * Versions are not supported by this provider: asking for one is an
 * invalid request, not a missing secret.
 */
static int32_t
skel_get_secret(void *client, const struct xs_remote_ref *ref,
    struct xs_result *r, struct xs_diag *d)
{
	const struct skel_client *c = client;
	const struct xs_host	*host = c->host;
	const struct xs_value	*node;
	struct xs_value		*tree;
	const char		*s;
	size_t			 len;
	int32_t			 rc;

	if (ref->version != NULL) {
		host->error(d, "skeleton: key %s: versions are not supported",
		    ref->key);
		return XS_ERR_INVALID;
	}
	if (ref->property == NULL) {
		if ((s = find(c, ref->key, &len)) == NULL) {
			host->error(d, "skeleton: key %s not found",
			    ref->key);
			return XS_ERR_NOT_FOUND;
		}
		rc = host->result_set(r, (const uint8_t *)s, len);
		return rc == XS_OK ? rc : out_of_memory(host, d);
	}
	if ((rc = json_node(c, ref, &tree, &node, d)) == XS_OK)
		rc = put_node(host, node, NULL, r, d);
	if (tree != NULL)
		host->json_free(tree);
	return rc;
}

/*
 * get_secret_map: dataFrom.extract.  The value must be a JSON object; each
 * member becomes one key of the result.
 */
static int32_t
skel_get_secret_map(void *client, const struct xs_remote_ref *ref,
    struct xs_result *r, struct xs_diag *d)
{
	const struct skel_client *c = client;
	const struct xs_host	*host = c->host;
	const struct xs_value	*node, *m;
	struct xs_value		*tree;
	const char		*name;
	size_t			 i;
	int32_t			 rc;

	if ((rc = json_node(c, ref, &tree, &node, d)) != XS_OK)
		goto out;
	if (host->value_type(node) != XS_VALUE_MAP) {
		host->error(d, "skeleton: key %s is not a JSON object",
		    ref->key);
		rc = XS_ERR_INVALID;
		goto out;
	}
	for (i = 0; i < host->value_count(node) && rc == XS_OK; i++) {
		m = host->value_at(node, i, &name);
		rc = put_node(host, m, name, r, d);
	}
out:
	if (tree != NULL)
		host->json_free(tree);
	return rc;
}

/*
 * find_secrets: dataFrom.find.  Only path (a key prefix) is supported;
 * tags and name patterns are not something this provider has.
 */
static int32_t
skel_find_secrets(void *client, const struct xs_find *f,
    struct xs_result *r, struct xs_diag *d)
{
	const struct skel_client *c = client;
	const struct xs_host	*host = c->host;
	const struct xs_value	*v;
	const char		*key;
	size_t			 i;
	int32_t			 rc = XS_OK;

	if (f->name_regexp != NULL || f->ntags > 0) {
		host->error(d, "skeleton: find supports only path");
		return XS_ERR_UNSUPPORTED;
	}
	for (i = 0; i < host->value_count(c->values) && rc == XS_OK; i++) {
		v = host->value_at(c->values, i, &key);
		if (f->path == NULL ||
		    strncmp(key, f->path, strlen(f->path)) == 0)
			rc = put_node(host, v, key, r, d);
	}
	return rc;
}

/* close: frees the client; the host calls it once, after every call. */
static void
skel_close(void *client)
{
	struct skel_client	*c = client;

	if (c != NULL)
		c->host->free(c);
}

static const struct xs_provider skeleton = {
	.abi_major = XS_ABI_MAJOR,
	.abi_minor = 0,			/* needs only 1.0 */
	.size = sizeof(struct xs_provider),
	.default_rate = 0,		/* no remote side to protect */
	.name = "skeleton",		/* the file must be skeleton.so */
	.version = "1.0.0",
	.endpoints = NULL,		/* it makes no HTTP request */
	.validate_store = skel_validate_store,
	.auth = skel_auth,
	.get_secret = skel_get_secret,
	.get_secret_map = skel_get_secret_map,
	.close = skel_close,
	.find_secrets = skel_find_secrets,
};

/*
 * The module's only exported symbol.  It returns constant data and runs no
 * other code, so that the host can check the descriptor first.
 */
XS_EXPORT const struct xs_provider *xs_provider_entry(void);

const struct xs_provider *
xs_provider_entry(void)
{
	return &skeleton;
}
