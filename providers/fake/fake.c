/*
 * The fake provider: serves secrets written in the store itself, like the
 * External Secrets Operator's provider of the same name.
 *
 *	spec:
 *	  provider:
 *	    fake:
 *	      data:
 *	      - key: db
 *	        value: '{"user":"app","password":"s3cret"}'
 *	        version: v1
 *	      - key: api
 *	        valueMap: {token: abc, region: eu}
 *
 * It is built on the public ABI alone (include/xsecrets/provider.h): no core
 * header, no library.  auth copies the entries into the client, the values
 * in secure memory, so that the client does not depend on the store tree;
 * a valueMap is kept as the compact JSON text of its object.  Every later
 * call only reads the client, so get_secret and get_secret_map are safe to
 * run concurrently on one client.
 *
 * Lookups: a remoteRef with a version matches the entry with that key and
 * version; without one it matches the entry of that key that has no version
 * or, when every entry of the key has one, the last of them.  A property
 * parses the value as JSON and selects a node with host->value_path.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xsecrets/provider.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"0"
#endif

struct fake_entry {
	char		*key;
	char		*version;	/* NULL when the entry has none */
	uint8_t		*value;		/* secure, NUL-ended */
	size_t		 len;
};

struct fake_client {
	const struct xs_host	*host;
	struct fake_entry	*entries;
	size_t			 nentries;
};

static const struct xs_value *
entry_field(const struct xs_host *host, const struct xs_value *e,
    const char *name)
{
	return host->value_get(e, name);
}

static int
is_scalar(const struct xs_host *host, const struct xs_value *v)
{
	int32_t	t = host->value_type(v);

	return t == XS_VALUE_STRING || t == XS_VALUE_NUMBER ||
	    t == XS_VALUE_BOOL;
}

/*
 * Checks one data[] entry; XS_OK or XS_ERR_INVALID with a message naming
 * the entry and where it was written.  Never quotes a value.
 */
static int32_t
check_entry(const struct xs_host *host, const struct xs_value *e, size_t i,
    struct xs_diag *d)
{
	const struct xs_value	*key, *value, *map, *version, *m;
	char			 where[256];
	size_t			 j;

	if (host->value_type(e) != XS_VALUE_MAP) {
		host->error(d, "fake: data[%zu] at %s: must be a map with "
		    "key and value", i, host->value_where(e, where,
		    sizeof(where)));
		return XS_ERR_INVALID;
	}
	key = entry_field(host, e, "key");
	value = entry_field(host, e, "value");
	map = entry_field(host, e, "valueMap");
	version = entry_field(host, e, "version");
	host->value_where(e, where, sizeof(where));
	if (key == NULL || host->value_type(key) != XS_VALUE_STRING ||
	    host->value_string(key, NULL) == NULL ||
	    *host->value_string(key, NULL) == '\0') {
		host->error(d, "fake: data[%zu] at %s: key must be a non-empty "
		    "string", i, where);
		return XS_ERR_INVALID;
	}
	if ((value == NULL) == (map == NULL)) {
		host->error(d, "fake: data[%zu] at %s: exactly one of value "
		    "and valueMap is required", i, where);
		return XS_ERR_INVALID;
	}
	if (value != NULL && !is_scalar(host, value)) {
		host->error(d, "fake: data[%zu] at %s: value must be a string",
		    i, host->value_where(value, where, sizeof(where)));
		return XS_ERR_INVALID;
	}
	if (map != NULL) {
		if (host->value_type(map) != XS_VALUE_MAP) {
			host->error(d, "fake: data[%zu] at %s: valueMap must "
			    "be a map of strings", i,
			    host->value_where(map, where, sizeof(where)));
			return XS_ERR_INVALID;
		}
		for (j = 0; j < host->value_count(map); j++) {
			m = host->value_at(map, j, NULL);
			if (!is_scalar(host, m)) {
				host->error(d, "fake: data[%zu] at %s: "
				    "valueMap members must be strings", i,
				    host->value_where(m, where,
				    sizeof(where)));
				return XS_ERR_INVALID;
			}
		}
	}
	if (version != NULL && !is_scalar(host, version)) {
		host->error(d, "fake: data[%zu] at %s: version must be a "
		    "string", i, host->value_where(version, where,
		    sizeof(where)));
		return XS_ERR_INVALID;
	}
	return XS_OK;
}

/* Checks the whole configuration and returns its data sequence. */
static int32_t
check_config(const struct xs_host *host, const struct xs_value *cfg,
    const struct xs_value **datap, struct xs_diag *d)
{
	const struct xs_value	*data;
	char			 where[256];
	size_t			 i;
	int32_t			 rc;

	if (host->value_type(cfg) != XS_VALUE_MAP) {
		host->error(d, "fake: spec.provider.fake must be a map");
		return XS_ERR_INVALID;
	}
	data = host->value_get(cfg, "data");
	if (data == NULL) {
		host->error(d, "fake: spec.provider.fake.data is required");
		return XS_ERR_INVALID;
	}
	if (host->value_type(data) != XS_VALUE_SEQ) {
		host->error(d, "fake: spec.provider.fake.data at %s: must be a "
		    "list", host->value_where(data, where, sizeof(where)));
		return XS_ERR_INVALID;
	}
	for (i = 0; i < host->value_count(data); i++) {
		rc = check_entry(host, host->value_at(data, i, NULL), i, d);
		if (rc != XS_OK)
			return rc;
	}
	*datap = data;
	return XS_OK;
}

static int32_t
fake_validate_store(const struct xs_host *host, const struct xs_store *st,
    struct xs_diag *d)
{
	const struct xs_value	*data;

	return check_config(host, host->store_config(st), &data, d);
}

static void
fake_close(void *arg)
{
	struct fake_client	*c = arg;
	const struct xs_host	*host;
	size_t			 i;

	if (c == NULL)
		return;
	host = c->host;
	for (i = 0; i < c->nentries; i++) {
		host->free(c->entries[i].key);
		host->free(c->entries[i].version);
		host->secure_free(c->entries[i].value);
	}
	host->free(c->entries);
	host->free(c);
}

/* Copies a scalar's text into secure memory, NUL-terminated. */
static uint8_t *
secure_copy(const struct xs_host *host, const char *s, size_t len)
{
	uint8_t	*p;

	if ((p = host->secure_alloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Fills one client entry from a checked data[] entry. */
static int32_t
copy_entry(const struct xs_host *host, const struct xs_value *e,
    struct fake_entry *out)
{
	const struct xs_value	*v;
	const char		*s;
	size_t			 len;
	char			*text;

	out->key = host->strdup(host->value_string(host->value_get(e, "key"),
	    NULL));
	if (out->key == NULL)
		return XS_ERR_NOMEM;
	if ((v = host->value_get(e, "version")) != NULL) {
		out->version = host->strdup(host->value_string(v, NULL));
		if (out->version == NULL)
			return XS_ERR_NOMEM;
	}
	if ((v = host->value_get(e, "value")) != NULL) {
		s = host->value_string(v, &len);
		out->value = secure_copy(host, s, len);
		out->len = len;
	} else {
		text = host->json_print(host->value_get(e, "valueMap"), &len);
		if (text == NULL)
			return XS_ERR_NOMEM;
		out->value = secure_copy(host, text, len);
		out->len = len;
		host->secure_free(text);
	}
	return out->value == NULL ? XS_ERR_NOMEM : XS_OK;
}

static int32_t
fake_auth(const struct xs_host *host, const struct xs_store *st,
    void **client, struct xs_diag *d)
{
	const struct xs_value	*data;
	struct fake_client	*c;
	size_t			 i, n;
	int32_t			 rc;

	*client = NULL;
	if ((rc = check_config(host, host->store_config(st), &data, d)) !=
	    XS_OK)
		return rc;
	if ((c = host->calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->host = host;
	n = host->value_count(data);
	if (n > 0 &&
	    (c->entries = host->calloc(n, sizeof(*c->entries))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		c->nentries++;
		rc = copy_entry(host, host->value_at(data, i, NULL),
		    &c->entries[i]);
		if (rc != XS_OK)
			goto nomem;
	}
	*client = c;
	return XS_OK;

nomem:
	fake_close(c);
	host->error(d, "fake: out of memory");
	return XS_ERR_NOMEM;
}

/* The entry a remoteRef names, or NULL. */
static const struct fake_entry *
find_entry(const struct fake_client *c, const struct xs_remote_ref *ref)
{
	const struct fake_entry	*e, *last = NULL, *plain = NULL;
	size_t			 i;

	for (i = 0; i < c->nentries; i++) {
		e = &c->entries[i];
		if (strcmp(e->key, ref->key) != 0)
			continue;
		if (ref->version != NULL) {
			if (e->version != NULL &&
			    strcmp(e->version, ref->version) == 0)
				return e;
			continue;
		}
		if (e->version == NULL)
			plain = e;
		last = e;
	}
	return plain != NULL ? plain : last;
}

static void
not_found(const struct xs_host *host, const struct xs_remote_ref *ref,
    struct xs_diag *d)
{
	if (ref->version != NULL)
		host->error(d, "fake: key %s version %s not found", ref->key,
		    ref->version);
	else
		host->error(d, "fake: key %s not found", ref->key);
}

/*
 * Parses an entry's value as JSON.  Returns XS_OK, XS_ERR_NOMEM, or notjson
 * when the value is not JSON at all: a property of a plain string does not
 * exist, while a map of one is a bad request.
 */
static int32_t
parse_entry(const struct fake_client *c, const struct fake_entry *e,
    struct xs_value **tree, int32_t notjson, struct xs_diag *d)
{
	const struct xs_host	*host = c->host;
	int32_t			 rc;

	rc = host->json_parse((const char *)e->value, e->len, tree, d);
	if (rc == XS_ERR_NOMEM) {
		host->error(d, "fake: out of memory");
		return rc;
	}
	if (rc != XS_OK) {
		host->error(d, "fake: key %s: value is not JSON", e->key);
		return notjson;
	}
	return XS_OK;
}

/*
 * Stores a node: a string as its raw text, anything else as its JSON text.
 */
static int32_t
put_node(const struct xs_host *host, const struct xs_value *v,
    struct xs_result *r, const char *key, struct xs_diag *d)
{
	const char	*s;
	char		*text = NULL;
	size_t		 len;
	int32_t		 rc;

	if (host->value_type(v) == XS_VALUE_STRING)
		s = host->value_string(v, &len);
	else if ((s = text = host->json_print(v, &len)) == NULL) {
		host->error(d, "fake: out of memory");
		return XS_ERR_NOMEM;
	}
	if (key == NULL)
		rc = host->result_set(r, (const uint8_t *)s, len);
	else
		rc = host->result_put(r, key, (const uint8_t *)s, len);
	host->secure_free(text);
	if (rc != XS_OK)
		host->error(d, "fake: out of memory");
	return rc;
}

static int32_t
fake_get_secret(void *client, const struct xs_remote_ref *ref,
    struct xs_result *r, struct xs_diag *d)
{
	const struct fake_client *c = client;
	const struct xs_host	*host = c->host;
	const struct fake_entry	*e;
	const struct xs_value	*node;
	struct xs_value		*tree;
	int32_t			 rc;

	if ((e = find_entry(c, ref)) == NULL) {
		not_found(host, ref, d);
		return XS_ERR_NOT_FOUND;
	}
	if (ref->property == NULL) {
		rc = host->result_set(r, e->value, e->len);
		if (rc != XS_OK)
			host->error(d, "fake: out of memory");
		return rc;
	}
	if ((rc = parse_entry(c, e, &tree, XS_ERR_NOT_FOUND, d)) != XS_OK)
		return rc;
	if ((node = host->value_path(tree, ref->property)) == NULL) {
		host->error(d, "fake: key %s: property %s not found", e->key,
		    ref->property);
		rc = XS_ERR_NOT_FOUND;
	} else
		rc = put_node(host, node, r, NULL, d);
	host->json_free(tree);
	return rc;
}

static int32_t
fake_get_secret_map(void *client, const struct xs_remote_ref *ref,
    struct xs_result *r, struct xs_diag *d)
{
	const struct fake_client *c = client;
	const struct xs_host	*host = c->host;
	const struct fake_entry	*e;
	const struct xs_value	*obj, *m;
	struct xs_value		*tree;
	const char		*name;
	size_t			 i;
	int32_t			 rc;

	if ((e = find_entry(c, ref)) == NULL) {
		not_found(host, ref, d);
		return XS_ERR_NOT_FOUND;
	}
	if ((rc = parse_entry(c, e, &tree, XS_ERR_INVALID, d)) != XS_OK)
		return rc;
	obj = tree;
	if (ref->property != NULL &&
	    (obj = host->value_path(tree, ref->property)) == NULL) {
		host->error(d, "fake: key %s: property %s not found", e->key,
		    ref->property);
		rc = XS_ERR_NOT_FOUND;
		goto out;
	}
	if (host->value_type(obj) != XS_VALUE_MAP) {
		host->error(d, "fake: key %s: value is not a JSON object",
		    e->key);
		rc = XS_ERR_INVALID;
		goto out;
	}
	for (i = 0; i < host->value_count(obj) && rc == XS_OK; i++) {
		m = host->value_at(obj, i, &name);
		rc = put_node(host, m, r, name, d);
	}
out:
	host->json_free(tree);
	return rc;
}

static const struct xs_provider fake_provider = {
	.abi_major = XS_ABI_MAJOR,
	.abi_minor = XS_ABI_MINOR,
	.size = sizeof(struct xs_provider),
	.default_rate = 0,
	.name = "fake",
	.version = PACKAGE_VERSION,
	.endpoints = NULL,
	.validate_store = fake_validate_store,
	.auth = fake_auth,
	.get_secret = fake_get_secret,
	.get_secret_map = fake_get_secret_map,
	.close = fake_close,
	.find_secrets = NULL,
};

/*
 * The module's one exported symbol: the constant descriptor above.  Safe
 * to call at any time, from any thread.
 */
XS_EXPORT const struct xs_provider *xs_provider_entry(void);

const struct xs_provider *
xs_provider_entry(void)
{
	return &fake_provider;
}
