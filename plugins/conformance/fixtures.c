/*
 * The fixtures file: what a provider's author tells the harness about the
 * provider.  It is one JSON object (see xsecrets-conformance(1), FIXTURES):
 *
 *	stores		[{name, namespace, cluster, valid, auth, config}]
 *	secrets		[{store, key, property, version, value | map}]
 *	missing		[{store, key, property, version}]
 *	credentials	[{namespace, name, key, value}]
 *	http		[{method, match, status, body, headers}]: the routes
 *			of the fake server; or {mode, routes, allow}, mode
 *			"fake" (the default) or "passthrough", which sends
 *			requests to the real servers allow admits
 *	env		{"NAME": "value"}: what host->getenv serves
 *	faults		{"401": "AUTH", ...}: expected codes, overriding
 *			the defaults of the robustness group
 *	secret_words	["..."]: more strings that must never be logged
 *
 * Every expected value, map member and credential value is also a secret
 * word.  The file is read once per process and kept until exit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "conformance.h"

#define FIXTURES_MAX	(4 * 1024 * 1024)
#define WORD_MIN	4	/* shorter values are too common to grep */

static const struct {
	const char	*name;
	int32_t		 rc;
} statuses[] = {
	{ "OK", XS_OK },
	{ "NOT_FOUND", XS_ERR_NOT_FOUND },
	{ "INVALID", XS_ERR_INVALID },
	{ "AUTH", XS_ERR_AUTH },
	{ "DENIED", XS_ERR_DENIED },
	{ "UNAVAILABLE", XS_ERR_UNAVAILABLE },
	{ "THROTTLED", XS_ERR_THROTTLED },
	{ "PROTOCOL", XS_ERR_PROTOCOL },
	{ "NOMEM", XS_ERR_NOMEM },
	{ "UNSUPPORTED", XS_ERR_UNSUPPORTED },
	{ "INTERNAL", XS_ERR_INTERNAL },
};

int32_t
status_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (strcmp(statuses[i].name, name) == 0)
			return statuses[i].rc;
	return 1;
}

const char *
status_name(int32_t rc)
{
	size_t	i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (statuses[i].rc == rc)
			return statuses[i].name;
	return "(undocumented)";
}

int
status_valid(int32_t rc)
{
	return rc <= XS_OK && rc >= XS_ERR_INTERNAL;
}

static char *
get_str(const cJSON *o, const char *name)
{
	const cJSON	*j = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsString(j))
		return NULL;
	return strdup(j->valuestring);
}

static void
add_word(struct fixtures *fx, const char *w)
{
	char	**p;

	if (w == NULL || strlen(w) < WORD_MIN)
		return;
	p = realloc(fx->secret_words, (fx->nsecret_words + 1) * sizeof(*p));
	if (p == NULL)
		return;
	fx->secret_words = p;
	if ((p[fx->nsecret_words] = strdup(w)) != NULL)
		fx->nsecret_words++;
}

/* Allocates an array for the members of a JSON array. */
static void *
array_for(const cJSON *a, size_t size, size_t *n)
{
	*n = cJSON_IsArray(a) ? (size_t)cJSON_GetArraySize(a) : 0;
	return calloc(*n + 1, size);
}

static int
load_stores(struct fixtures *fx, const cJSON *a, char *err, size_t errlen)
{
	const cJSON	*j, *c;
	struct fx_store	*s;
	char		 where[64];
	size_t		 i = 0;

	if ((fx->stores = array_for(a, sizeof(*s), &fx->nstores)) == NULL)
		return -1;
	cJSON_ArrayForEach(j, a) {
		s = &fx->stores[i];
		s->name = get_str(j, "name");
		s->ns = get_str(j, "namespace");
		s->cluster = cJSON_IsTrue(cJSON_GetObjectItem(j, "cluster"));
		c = cJSON_GetObjectItem(j, "valid");
		s->valid = c == NULL || cJSON_IsTrue(c);
		c = cJSON_GetObjectItem(j, "auth");
		s->auth = cJSON_IsString(c) ? status_parse(c->valuestring) :
		    XS_OK;
		if (s->auth == 1 || (s->auth != XS_OK && !s->valid)) {
			snprintf(err, errlen, "stores[%zu].auth: a status "
			    "name, for a valid store", i);
			return -1;
		}
		if (s->ns == NULL)
			s->ns = strdup(s->cluster ? "" : "default");
		snprintf(where, sizeof(where), "stores[%zu].config", i);
		c = cJSON_GetObjectItem(j, "config");
		if (s->name == NULL || c == NULL ||
		    (s->config = tree_from_json(c, where)) == NULL) {
			snprintf(err, errlen, "stores[%zu]: needs a name and "
			    "a config", i);
			return -1;
		}
		i++;
	}
	return 0;
}

static int
load_secrets(struct fixtures *fx, const cJSON *a, int missing, char *err,
    size_t errlen)
{
	struct fx_secret *list, *s;
	const cJSON	*j, *m, *c;
	size_t		 i = 0, n;

	if ((list = array_for(a, sizeof(*s), &n)) == NULL)
		return -1;
	if (missing) {
		fx->missing = list;
		fx->nmissing = n;
	} else {
		fx->secrets = list;
		fx->nsecrets = n;
	}
	cJSON_ArrayForEach(j, a) {
		s = &list[i];
		s->store = get_str(j, "store");
		s->key = get_str(j, "key");
		s->property = get_str(j, "property");
		s->version = get_str(j, "version");
		s->value = get_str(j, "value");
		m = cJSON_GetObjectItem(j, "map");
		if (s->store == NULL || s->key == NULL ||
		    fixtures_store(fx, s->store) == NULL ||
		    (!missing && (s->value == NULL) == (m == NULL))) {
			snprintf(err, errlen, "%s[%zu]: needs a known store, a "
			    "key%s", missing ? "missing" : "secrets", i,
			    missing ? "" : " and one of value and map");
			return -1;
		}
		if (s->value != NULL)
			s->len = strlen(s->value);
		add_word(fx, s->value);
		if (m != NULL) {
			s->map = 1;
			if ((s->members = tree_from_json(m, "map")) == NULL)
				return -1;
			cJSON_ArrayForEach(c, m)
				add_word(fx, cJSON_GetStringValue(c));
		}
		i++;
	}
	return 0;
}

static int
load_routes(struct fixtures *fx, const cJSON *a)
{
	const cJSON	*j, *h, *c;
	struct fx_route	*r;
	char		*m;
	size_t		 i = 0, k;

	if ((fx->routes = array_for(a, sizeof(*r), &fx->nroutes)) == NULL)
		return -1;
	cJSON_ArrayForEach(j, a) {
		r = &fx->routes[i++];
		m = get_str(j, "method");
		r->method = m == NULL ? -1 : strcmp(m, "POST") == 0 ?
		    XS_HTTP_POST : XS_HTTP_GET;
		free(m);
		if ((r->match = get_str(j, "match")) == NULL)
			r->match = strdup("");
		c = cJSON_GetObjectItem(j, "status");
		r->status = cJSON_IsNumber(c) ? c->valueint : 200;
		if ((r->body = get_str(j, "body")) == NULL)
			r->body = strdup("");
		if (r->match == NULL || r->body == NULL)
			return -1;
		r->len = strlen(r->body);
		h = cJSON_GetObjectItem(j, "headers");
		r->nheaders = (size_t)cJSON_GetArraySize(h);
		r->hnames = calloc(r->nheaders + 1, sizeof(char *));
		r->hvalues = calloc(r->nheaders + 1, sizeof(char *));
		if (r->hnames == NULL || r->hvalues == NULL)
			return -1;
		k = 0;
		cJSON_ArrayForEach(c, h) {
			r->hnames[k] = strdup(c->string);
			r->hvalues[k++] = strdup(cJSON_IsString(c) ?
			    c->valuestring : "");
		}
	}
	return 0;
}

static int
load_allow(struct fixtures *fx, const cJSON *a, char *err, size_t errlen)
{
	const cJSON	*c;
	size_t		 i = 0;

	if ((fx->allow = array_for(a, sizeof(char *), &fx->nallow)) == NULL)
		return -1;
	cJSON_ArrayForEach(c, a) {
		if (!cJSON_IsString(c) ||
		    !chttp_pattern_valid(c->valuestring)) {
			snprintf(err, errlen, "http.allow[%zu]: not a pattern "
			    "[scheme://]host[:port|:*]", i);
			return -1;
		}
		if ((fx->allow[i++] = strdup(c->valuestring)) == NULL)
			return -1;
	}
	if (fx->nallow == 0) {
		snprintf(err, errlen, "http.allow: passthrough needs at least "
		    "one pattern");
		return -1;
	}
	return 0;
}

/* "http": an array of routes, or {mode, routes, allow}. */
static int
load_http(struct fixtures *fx, const cJSON *h, char *err, size_t errlen)
{
	const cJSON	*mode;

	fx->http_mode = HTTP_FAKE;
	if (h == NULL || cJSON_IsArray(h))
		return load_routes(fx, h);
	mode = cJSON_GetObjectItemCaseSensitive(h, "mode");
	if (!cJSON_IsObject(h) || (mode != NULL && !cJSON_IsString(mode))) {
		snprintf(err, errlen, "http: an array of routes, or an object "
		    "with a mode");
		return -1;
	}
	if (mode != NULL && strcmp(mode->valuestring, "passthrough") == 0)
		fx->http_mode = HTTP_PASSTHROUGH;
	else if (mode != NULL && strcmp(mode->valuestring, "fake") != 0) {
		snprintf(err, errlen, "http.mode: \"fake\" or "
		    "\"passthrough\"");
		return -1;
	}
	if (fx->http_mode == HTTP_FAKE) {
		if (cJSON_GetObjectItem(h, "allow") != NULL) {
			snprintf(err, errlen, "http.allow: only with "
			    "\"mode\": \"passthrough\"");
			return -1;
		}
		return load_routes(fx, cJSON_GetObjectItem(h, "routes"));
	}
	if (cJSON_GetObjectItem(h, "routes") != NULL) {
		snprintf(err, errlen, "http.routes: a passthrough server "
		    "answers itself");
		return -1;
	}
	return load_allow(fx, cJSON_GetObjectItem(h, "allow"), err, errlen);
}

static int
load_env(struct fixtures *fx, const cJSON *o, char *err, size_t errlen)
{
	const cJSON	*c;
	size_t		 i = 0;

	if (o != NULL && !cJSON_IsObject(o)) {
		snprintf(err, errlen, "env: an object of strings");
		return -1;
	}
	fx->nenv = (size_t)cJSON_GetArraySize(o);
	fx->env_names = calloc(fx->nenv + 1, sizeof(char *));
	fx->env_values = calloc(fx->nenv + 1, sizeof(char *));
	if (fx->env_names == NULL || fx->env_values == NULL)
		return -1;
	cJSON_ArrayForEach(c, o) {
		if (!cJSON_IsString(c)) {
			snprintf(err, errlen, "env.%s: not a string",
			    c->string);
			return -1;
		}
		fx->env_names[i] = strdup(c->string);
		fx->env_values[i] = strdup(c->valuestring);
		if (fx->env_names[i] == NULL || fx->env_values[i] == NULL)
			return -1;
		i++;
	}
	return 0;
}

static int
load_faults(struct fixtures *fx, const cJSON *o, char *err, size_t errlen)
{
	const cJSON	*c;
	size_t		 i = 0;

	fx->nfaults = (size_t)cJSON_GetArraySize(o);
	if ((fx->faults = calloc(fx->nfaults + 1, sizeof(*fx->faults))) ==
	    NULL)
		return -1;
	cJSON_ArrayForEach(c, o) {
		fx->faults[i].id = strdup(c->string);
		if (!cJSON_IsString(c) ||
		    (fx->faults[i].expect = status_parse(c->valuestring)) ==
		    1) {
			snprintf(err, errlen, "faults.%s: not a status name",
			    c->string);
			return -1;
		}
		i++;
	}
	return 0;
}

static int
load_creds(struct fixtures *fx, const cJSON *a, char *err, size_t errlen)
{
	const cJSON	*j;
	struct fx_cred	*c;
	size_t		 i = 0;

	if ((fx->creds = array_for(a, sizeof(*c), &fx->ncreds)) == NULL)
		return -1;
	cJSON_ArrayForEach(j, a) {
		c = &fx->creds[i++];
		c->ns = get_str(j, "namespace");
		c->name = get_str(j, "name");
		c->key = get_str(j, "key");
		c->value = get_str(j, "value");
		if (c->ns == NULL)
			c->ns = strdup("default");
		if (c->ns == NULL || c->name == NULL || c->key == NULL ||
		    c->value == NULL) {
			snprintf(err, errlen, "credentials[%zu]: needs a name, "
			    "a key and a value", i - 1);
			return -1;
		}
		add_word(fx, c->value);
	}
	return 0;
}

static char *
slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE	*f;
	char	*buf;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot open", path);
		return NULL;
	}
	if ((buf = malloc(FIXTURES_MAX + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, FIXTURES_MAX + 1, f);
	fclose(f);
	if (n > FIXTURES_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    FIXTURES_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Reads the fixtures file at path into fx (zeroed by the caller).  The
 * result lives until the process exits.  Returns 0, or -1 with a reason.
 */
int
fixtures_load(const char *path, struct fixtures *fx, char *err,
    size_t errlen)
{
	const cJSON	*w;
	cJSON		*root;
	char		*text;
	size_t		 len;
	int		 rc = -1;

	snprintf(err, errlen, "%s: out of memory", path);
	if ((fx->file = strdup(path)) == NULL ||
	    (text = slurp(path, &len, err, errlen)) == NULL)
		return -1;
	root = cJSON_ParseWithLength(text, len);
	free(text);
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "%s: not a JSON object", path);
		goto out;
	}
	if (load_stores(fx, cJSON_GetObjectItem(root, "stores"), err,
	    errlen) == -1 ||
	    load_creds(fx, cJSON_GetObjectItem(root, "credentials"), err,
	    errlen) == -1 ||
	    load_secrets(fx, cJSON_GetObjectItem(root, "secrets"), 0, err,
	    errlen) == -1 ||
	    load_secrets(fx, cJSON_GetObjectItem(root, "missing"), 1, err,
	    errlen) == -1 ||
	    load_http(fx, cJSON_GetObjectItem(root, "http"), err,
	    errlen) == -1 ||
	    load_env(fx, cJSON_GetObjectItem(root, "env"), err,
	    errlen) == -1 ||
	    load_faults(fx, cJSON_GetObjectItem(root, "faults"), err,
	    errlen) == -1)
		goto out;
	cJSON_ArrayForEach(w, cJSON_GetObjectItem(root, "secret_words"))
		add_word(fx, cJSON_GetStringValue(w));
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

const struct fx_store *
fixtures_store(const struct fixtures *fx, const char *name)
{
	size_t	i;

	for (i = 0; i < fx->nstores; i++)
		if (strcmp(fx->stores[i].name, name) == 0)
			return &fx->stores[i];
	return NULL;
}
