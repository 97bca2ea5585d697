/*
 * The manifest loader: every kind, defaults, validation messages, store
 * conditions, Secrets, duplicates, and the hostile corpus in
 * tests/data/manifests plus generated monsters (20 MiB file, 2 MiB
 * scalar), each failing alone while the valid documents next to it load.
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "manifest.h"
#include "tap.h"

#define ES_HEAD								\
	"apiVersion: external-secrets.io/v1\n"				\
	"kind: ExternalSecret\n"					\
	"metadata:\n"							\
	"  name: x\n"							\
	"  namespace: team-a\n"						\
	"spec:\n"							\
	"  secretStoreRef:\n"						\
	"    name: s\n"

#define ES_DATA								\
	"  data:\n"							\
	"    - secretKey: k\n"						\
	"      remoteRef:\n"						\
	"        key: remote\n"

#define STORE_HEAD							\
	"apiVersion: external-secrets.io/v1\n"				\
	"kind: SecretStore\n"						\
	"metadata:\n"							\
	"  name: s\n"							\
	"  namespace: team-a\n"

static struct manifest_set *
load(const char *text)
{
	return manifest_load_buffer("t.yaml", text, strlen(text));
}

/* The error whose field is field (any when NULL) and message has msg. */
static const struct manifest_error *
find_err(const struct manifest_set *set, const char *field, const char *msg)
{
	size_t	i;

	for (i = 0; i < set->nerrors; i++)
		if ((field == NULL || strcmp(set->errors[i].field, field) == 0)
		    && strstr(set->errors[i].message, msg) != NULL)
			return &set->errors[i];
	return NULL;
}

static void
show_errors(const struct manifest_set *set)
{
	char	buf[1024];
	size_t	i;

	for (i = 0; i < set->nerrors; i++) {
		manifest_error_str(&set->errors[i], buf, sizeof(buf));
		printf("#   %s\n", buf);
	}
}

/* Loads text and checks it fails with msg at field, dropping the object. */
static void
expect_error(const char *text, const char *field, const char *msg)
{
	struct manifest_set	*set = load(text);
	const struct manifest_error *e = find_err(set, field, msg);

	if (!ok(e != NULL && set->ness == 0 && set->nstores == 0,
	    "%s: %s", field, msg))
		show_errors(set);
	else
		ok(e->line > 0 && strcmp(e->file, "t.yaml") == 0,
		    "  error has file and line (%u)", e->line);
	manifest_free(set);
}

static void
expect_ok(const char *text, const char *what)
{
	struct manifest_set	*set = load(text);

	if (!ok(set->nerrors == 0 && set->ness + set->nstores +
	    set->nsecrets + set->nnamespaces > 0, "accepted: %s", what))
		show_errors(set);
	manifest_free(set);
}

static void
test_defaults(void)
{
	struct manifest_set		*set;
	const struct externalsecret	*es;
	const struct store		*st;

	set = load("apiVersion: external-secrets.io/v1\n"
	    "kind: SecretStore\nmetadata:\n  name: s\nspec:\n  provider:\n"
	    "    fake: {}\n---\n"
	    "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\n"
	    "metadata:\n  name: x\nspec:\n  secretStoreRef:\n    name: s\n"
	    ES_DATA);
	show_errors(set);
	is_int(set->nerrors, 0, "defaults: no errors");
	is_int(set->ness, 1, "one ExternalSecret");
	is_int(set->nstores, 1, "one store");
	es = &set->ess[0];
	is_str(es->ns, "default", "namespace defaults to default");
	is_str(es->target_name, "x", "target name defaults to the name");
	is_int(es->creation, CREATE_OWNER, "creationPolicy Owner");
	is_int(es->deletion, DELETE_RETAIN, "deletionPolicy Retain");
	is_int(es->refresh_ms, 3600000, "refreshInterval 1h");
	is_int(es->refresh_policy, REFRESH_PERIODIC, "refreshPolicy Periodic");
	is_int(es->store_kind, STORE_NAMESPACED, "store kind SecretStore");
	is_int(es->immutable, 0, "not immutable");
	is_int(es->data[0].ref.decoding, DECODE_NONE, "decoding None");
	is_int(es->data[0].ref.conversion, CONVERT_DEFAULT,
	    "conversion Default");
	ok(es->data[0].ref.property == NULL, "no property");
	ok(es->doc == NULL && es->data[0].node == NULL,
	    "the document tree is not kept once loaded");
	is_str(es->origin.api_version, "external-secrets.io/v1",
	    "api version recorded");
	is_int(es->origin.line, 9, "origin line of the second document");
	st = manifest_store(set, STORE_NAMESPACED, "default", "s");
	ok(st != NULL, "store found in its namespace");
	ok(manifest_store(set, STORE_NAMESPACED, "other", "s") == NULL,
	    "store not found in another namespace");
	is_int(st->refresh_ms, 300000, "store refresh 5 min");
	is_int(st->max_retries, -1, "retries unset");
	ok(st->rate_qps == 0 && st->rate_burst == 0, "no rate annotations");
	is_str(st->provider, "fake", "provider name");
	ok(st->provider_cfg != NULL && st->provider_cfg->type ==
	    XS_VALUE_MAP, "provider config kept");
	ok(st->controller == NULL, "no controller");
	manifest_free(set);
}

static void
test_full_es(void)
{
	struct manifest_set		*set;
	const struct externalsecret	*es;
	const struct es_data_from	*f;

	set = load("apiVersion: external-secrets.io/v1beta1\n"
	    "kind: ExternalSecret\nmetadata:\n  name: x\n  namespace: team-a\n"
	    "spec:\n  refreshInterval: 1h30m\n  refreshPolicy: OnChange\n"
	    "  secretStoreRef:\n    name: cs\n    kind: ClusterSecretStore\n"
	    "  target:\n    name: out.name\n    creationPolicy: Orphan\n"
	    "    deletionPolicy: Delete\n    immutable: true\n"
	    "  data:\n  - secretKey: a\n    remoteRef:\n      key: k1\n"
	    "      property: a.b\\.c\n      version: v2\n"
	    "      decodingStrategy: Base64URL\n      metadataPolicy: Fetch\n"
	    "  dataFrom:\n  - extract:\n      key: k2\n"
	    "      conversionStrategy: Unicode\n"
	    "    rewrite:\n    - regexp:\n        source: \"^db_(.*)\"\n"
	    "        target: \"$1\"\n"
	    "  - find:\n      name:\n        regexp: \"^app-\"\n"
	    "      path: /x\n      tags:\n        env: prod\n"
	    "      decodingStrategy: Auto\n");
	show_errors(set);
	is_int(set->nerrors, 0, "full ExternalSecret: no errors");
	if (set->ness != 1) {
		ok(0, "full ExternalSecret: loaded (%zu)", set->ness);
		manifest_free(set);
		return;
	}
	es = &set->ess[0];
	is_str(es->origin.api_version, "external-secrets.io/v1beta1",
	    "v1beta1 recorded");
	is_int(es->refresh_ms, 5400000, "1h30m");
	is_int(es->refresh_policy, REFRESH_ONCHANGE, "OnChange");
	is_int(es->store_kind, STORE_CLUSTER, "ClusterSecretStore ref");
	is_str(es->store_name, "cs", "store name");
	is_str(es->target_name, "out.name", "target name");
	is_int(es->creation, CREATE_ORPHAN, "Orphan");
	is_int(es->deletion, DELETE_DELETE, "Delete with Orphan allowed");
	is_int(es->immutable, 1, "immutable");
	is_str(es->data[0].ref.property, "a.b\\.c", "property kept raw");
	is_str(es->data[0].ref.version, "v2", "version");
	is_int(es->data[0].ref.decoding, DECODE_BASE64URL, "Base64URL");
	is_int(es->data[0].ref.metadata, 1, "metadataPolicy Fetch");
	is_int(es->ndata_from, 2, "two dataFrom entries");
	f = &es->data_from[0];
	is_int(f->type, DATAFROM_EXTRACT, "extract");
	is_str(f->ref.key, "k2", "extract key");
	is_int(f->ref.conversion, CONVERT_UNICODE, "Unicode");
	is_int(f->nrewrites, 1, "one rewrite");
	is_str(f->rewrites[0].source, "^db_(.*)", "rewrite source");
	is_str(f->rewrites[0].target, "$1", "rewrite target");
	f = &es->data_from[1];
	is_int(f->type, DATAFROM_FIND, "find");
	is_str(f->find_name, "^app-", "find name regexp");
	is_str(f->find_path, "/x", "find path");
	ok(f->nfind_tags == 1 && strcmp(f->find_tags[0].key, "env") == 0 &&
	    strcmp(f->find_tags[0].value, "prod") == 0, "find tags");
	is_int(f->ref.decoding, DECODE_AUTO, "find decoding Auto");
	manifest_free(set);
}

static void
test_eso_messages(void)
{
	expect_error(ES_HEAD, "spec",
	    "either data or dataFrom should be specified");
	expect_error(ES_HEAD "  target:\n    creationPolicy: Merge\n"
	    "    deletionPolicy: Delete\n" ES_DATA,
	    "spec.target.deletionPolicy",
	    "deletionPolicy=Delete must not be used when the controller "
	    "doesn't own the secret. Please set creationPolicy=Owner");
	expect_error(ES_HEAD "  target:\n    creationPolicy: None\n"
	    "    deletionPolicy: Delete\n" ES_DATA,
	    "spec.target.deletionPolicy", "Please set creationPolicy=Owner");
	expect_error(ES_HEAD "  target:\n    creationPolicy: None\n"
	    "    deletionPolicy: Merge\n" ES_DATA,
	    "spec.target.deletionPolicy",
	    "deletionPolicy=Merge must not be used with creationPolicy=None. "
	    "There is no Secret to merge with");
	expect_error(ES_HEAD "  dataFrom:\n  - extract:\n      key: a\n"
	    "    find:\n      path: b\n", "spec.dataFrom[0]",
	    "extract, find, or generatorRef cannot be set at the same time");
	expect_error(ES_HEAD "  dataFrom:\n  - extract:\n      key: a\n"
	    "    sourceRef:\n      generatorRef:\n        kind: Password\n",
	    "spec.dataFrom[0]",
	    "extract, find, or generatorRef cannot be set at the same time");
	expect_error(ES_HEAD "  dataFrom:\n  - sourceRef:\n"
	    "      storeRef:\n        name: other\n",
	    "spec.dataFrom[0].sourceRef",
	    "dataFrom.sourceRef is not supported");
	expect_error(ES_HEAD "  target:\n    template:\n      type: Opaque\n"
	    ES_DATA, "spec.target.template",
	    "spec.target.template is not supported");
	expect_error(ES_HEAD ES_DATA "    - secretKey: k\n      remoteRef:\n"
	    "        key: other\n", "spec.data[1].secretKey",
	    "duplicate secretKey found: k");
	expect_ok(ES_HEAD "  target:\n    creationPolicy: Merge\n"
	    "    deletionPolicy: Merge\n" ES_DATA, "Merge with Merge");
}

static void
test_refresh(void)
{
	struct manifest_set	*set;

	set = load(ES_HEAD "  refreshInterval: 0\n" ES_DATA);
	ok(set->ness == 1 && set->ess[0].refresh_ms == 0,
	    "unquoted 0 accepted, means once");
	manifest_free(set);
	set = load(ES_HEAD "  refreshInterval: \"1.5h\"\n" ES_DATA);
	ok(set->ness == 1 && set->ess[0].refresh_ms == 5400000, "1.5h");
	manifest_free(set);
	expect_error(ES_HEAD "  refreshInterval: -1s\n" ES_DATA,
	    "spec.refreshInterval", "must not be negative");
	expect_error(ES_HEAD "  refreshInterval: 30\n" ES_DATA,
	    "spec.refreshInterval", "must be a duration");
	expect_error(ES_HEAD "  refreshInterval: 1hh\n" ES_DATA,
	    "spec.refreshInterval", "must be a duration");
	expect_error(ES_HEAD "  refreshInterval: [1h]\n" ES_DATA,
	    "spec.refreshInterval", "must be a duration");

	set = load(STORE_HEAD "spec:\n  refreshInterval: 30\n"
	    "  provider:\n    fake: {}\n");
	ok(set->nstores == 1 && set->stores[0].refresh_ms == 30000,
	    "v1 store: integer seconds");
	manifest_free(set);
	set = load(STORE_HEAD "spec:\n  refreshInterval: 10m\n"
	    "  provider:\n    fake: {}\n");
	ok(set->nstores == 1 && set->stores[0].refresh_ms == 600000,
	    "v1 store: duration string");
	manifest_free(set);
	set = load(STORE_HEAD "spec:\n  refreshInterval: 0\n"
	    "  provider:\n    fake: {}\n");
	ok(set->nstores == 1 && set->stores[0].refresh_ms == 300000,
	    "store: 0 means the default");
	manifest_free(set);
	set = load("apiVersion: external-secrets.io/v1beta1\n"
	    "kind: SecretStore\nmetadata:\n  name: s\nspec:\n"
	    "  refreshInterval: 60\n  provider:\n    fake: {}\n");
	ok(set->nstores == 1 && set->stores[0].refresh_ms == 60000,
	    "v1beta1 store: integer seconds");
	manifest_free(set);
	expect_error("apiVersion: external-secrets.io/v1beta1\n"
	    "kind: SecretStore\nmetadata:\n  name: s\nspec:\n"
	    "  refreshInterval: 10m\n  provider:\n    fake: {}\n",
	    "spec.refreshInterval", "number of seconds");

	set = load(STORE_HEAD "spec:\n  retrySettings:\n    maxRetries: 3\n"
	    "    retryInterval: 10s\n  controller: dev\n"
	    "  provider:\n    fake: {}\n");
	ok(set->nstores == 1 && set->stores[0].max_retries == 3 &&
	    set->stores[0].retry_interval_ms == 10000 &&
	    strcmp(set->stores[0].controller, "dev") == 0,
	    "retrySettings and controller");
	manifest_free(set);
	expect_error(STORE_HEAD "spec:\n  retrySettings:\n    maxRetries: "
	    "many\n  provider:\n    fake: {}\n",
	    "spec.retrySettings.maxRetries", "must be an integer");
}

static void
test_wrong_types(void)
{
	expect_error(ES_HEAD "  data:\n    secretKey: k\n",
	    "spec.data", "must be a list, not a mapping");
	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\nmetadata:\n  name: x\nspec:\n"
	    "  secretStoreRef: s\n" ES_DATA, "spec.secretStoreRef",
	    "must be a mapping, not a scalar");
	expect_error(ES_HEAD "  data:\n    - secretKey: k\n      remoteRef:\n"
	    "        key: {a: b}\n", "spec.data[0].remoteRef.key",
	    "must be a string, not a mapping");
	expect_error(ES_HEAD "  data:\n    - secretKey: k\n      remoteRef:\n"
	    "        property: p\n", "spec.data[0].remoteRef.key",
	    "required field is missing");
	expect_error(ES_HEAD "  data:\n    - secretKey: k\n",
	    "spec.data[0].remoteRef", "required field is missing");
	expect_error(ES_HEAD "  data:\n    - just-a-string\n",
	    "spec.data[0]", "must be a mapping");
	expect_error(ES_HEAD "  target:\n    immutable: yes\n" ES_DATA,
	    "spec.target.immutable", "must be true or false");
	expect_error(ES_HEAD "  target: [a]\n" ES_DATA, "spec.target",
	    "must be a mapping, not a list");
	expect_error(ES_HEAD "  target:\n    creationPolicy: Bogus\n" ES_DATA,
	    "spec.target.creationPolicy", "must be one of Owner, Orphan");
	expect_error(ES_HEAD "  refreshPolicy: Sometimes\n" ES_DATA,
	    "spec.refreshPolicy", "must be one of Periodic");
	expect_error(ES_HEAD "  data:\n    - secretKey: k\n      remoteRef:\n"
	    "        key: a\n        decodingStrategy: base64\n",
	    "spec.data[0].remoteRef.decodingStrategy", "must be one of");
	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\nmetadata:\n  name: [x]\nspec: {}\n",
	    "metadata.name", "must be a string, not a list");
	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\nspec: {}\n", "metadata",
	    "required field is missing");
	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\nmetadata:\n  name: x\n", "spec",
	    "required field is missing");
	expect_error("kind: ExternalSecret\n", "apiVersion",
	    "required field is missing");
	expect_error(STORE_HEAD "spec:\n  provider:\n    a: {}\n    b: {}\n",
	    "spec.provider", "exactly one key");
	expect_error(STORE_HEAD "spec:\n  provider: {}\n",
	    "spec.provider", "exactly one key");
	expect_error(STORE_HEAD "spec:\n  provider:\n    fake: yes\n",
	    "spec.provider.fake", "must be a mapping");
	expect_error(STORE_HEAD "spec: {}\n", "spec.provider",
	    "required field is missing");
	expect_error("- a\n- b\n", "", "must be a mapping");
	expect_error("apiVersion: external-secrets.io/v1alpha1\n"
	    "kind: ExternalSecret\n", "apiVersion", "unsupported version");
}

static void
test_names(void)
{
	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\nmetadata:\n  name: Bad_Name\nspec:\n"
	    "  secretStoreRef:\n    name: s\n" ES_DATA, "metadata.name",
	    "invalid name");
	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ExternalSecret\nmetadata:\n  name: x\n"
	    "  namespace: ../etc\nspec:\n  secretStoreRef:\n    name: s\n"
	    ES_DATA, "metadata.namespace", "invalid namespace");
	expect_error(ES_HEAD "  data:\n    - secretKey: ../x\n"
	    "      remoteRef:\n        key: a\n", "spec.data[0].secretKey",
	    "invalid secret key");
	expect_error(ES_HEAD "  data:\n    - secretKey: ..\n"
	    "      remoteRef:\n        key: a\n", "spec.data[0].secretKey",
	    "invalid secret key");
	expect_error(ES_HEAD "  target:\n    name: a/b\n" ES_DATA,
	    "spec.target.name", "invalid name");
	expect_error(ES_HEAD "  dataFrom:\n  - find:\n      name:\n"
	    "        regexp: \"(\"\n", "spec.dataFrom[0].find.name.regexp",
	    "invalid regular expression");
	/* Refused before regcomp, which would take 700 MiB for this. */
	expect_error(ES_HEAD "  dataFrom:\n  - find:\n      name:\n"
	    "        regexp: \"e++++++++++++++++++++\"\n",
	    "spec.dataFrom[0].find.name.regexp", "regular expression "
	    "repeats too much");
	expect_error(ES_HEAD "  dataFrom:\n  - extract: {key: k}\n"
	    "    rewrite:\n    - regexp: {source: \"(a)\\\\1\", "
	    "target: x}\n", "spec.dataFrom[0].rewrite[0].regexp.source",
	    "regular expression has a back-reference");
}

static void
test_error_format(void)
{
	struct manifest_set	*set;
	char			 buf[512];

	set = load(ES_HEAD "  data:\n    - secretKey: a\n      remoteRef:\n"
	    "        key: a\n    - secretKey: b\n      remoteRef:\n"
	    "        property: p\n");
	ok(set->nerrors == 1, "one error");
	is_str(manifest_error_str(&set->errors[0], buf, sizeof(buf)),
	    "t.yaml:15:9: ExternalSecret team-a/x: "
	    "spec.data[1].remoteRef.key: required field is missing",
	    "error names file:line:col, object, field");
	manifest_free(set);

	set = load("a: [\n");
	ok(set->nerrors == 1 && set->errors[0].line > 0, "syntax error");
	manifest_error_str(&set->errors[0], buf, sizeof(buf));
	ok(strncmp(buf, "t.yaml:", 7) == 0 && strstr(buf, "YAML:") != NULL,
	    "syntax error text: %s", buf);
	manifest_free(set);
}

static void
test_cross_namespace(void)
{
	expect_error(STORE_HEAD "spec:\n  provider:\n    alibaba:\n"
	    "      auth:\n        secretRef:\n          accessKeyID:\n"
	    "            name: creds\n            key: id\n"
	    "            namespace: kube-system\n",
	    "spec.provider.alibaba.auth.secretRef.accessKeyID",
	    "cross-namespace reference to Secret kube-system/creds is not "
	    "allowed");
	expect_ok(STORE_HEAD "spec:\n  provider:\n    alibaba:\n"
	    "      auth:\n        secretRef:\n          accessKeyID:\n"
	    "            name: creds\n            key: id\n"
	    "            namespace: team-a\n", "same-namespace reference");
	expect_ok(STORE_HEAD "spec:\n  provider:\n    alibaba:\n"
	    "      refs:\n        - name: creds\n          key: id\n",
	    "reference without a namespace");
	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ClusterSecretStore\nmetadata:\n  name: c\nspec:\n"
	    "  provider:\n    alibaba:\n      ref:\n        name: creds\n"
	    "        key: id\n", "spec.provider.alibaba.ref",
	    "must set namespace");
}

static void
test_duplicates(void)
{
	struct manifest_set	*set;
	const struct manifest_error *e;

	set = load(ES_HEAD ES_DATA "---\n" ES_HEAD ES_DATA "---\n"
	    STORE_HEAD "spec:\n  provider:\n    fake: {}\n---\n"
	    "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\n"
	    "metadata:\n  name: s\nspec:\n  provider:\n    fake: {}\n");
	is_int(set->ness, 1, "first ExternalSecret kept");
	is_int(set->nstores, 2, "store and cluster store of one name");
	e = find_err(set, "metadata.name", "duplicate ExternalSecret");
	ok(e != NULL && e->line == 14, "second one refused at its line");
	is_int(set->nerrors, 1, "only one error");
	manifest_free(set);
}

static void
test_secrets(void)
{
	struct manifest_set	*set;
	const struct k8s_secret	*s;
	char			 buf[1024];
	size_t			 i;

	set = load("apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
	    "  namespace: team-a\ndata:\n  id: aHVudGVyMg==\n"
	    "  bin: AAEC\n  over: b2xk\n  empty: \"\"\n"
	    "  folded: |\n    aHVu\n    dGVyMg==\nstringData:\n"
	    "  over: new\n  plain: 0644\n");
	show_errors(set);
	s = manifest_secret(set, "team-a", "creds");
	ok(s != NULL, "Secret loaded");
	is_int(s->ndata, 6, "six keys");
	for (i = 0; i < s->ndata; i++) {
		if (strcmp(s->data[i].key, "id") == 0)
			is_str(s->data[i].value, "hunter2", "base64 decoded");
		if (strcmp(s->data[i].key, "bin") == 0)
			ok(s->data[i].len == 3 && memcmp(s->data[i].value,
			    "\0\1\2", 3) == 0, "binary data kept");
		if (strcmp(s->data[i].key, "over") == 0)
			is_str(s->data[i].value, "new",
			    "stringData overrides data");
		if (strcmp(s->data[i].key, "plain") == 0)
			is_str(s->data[i].value, "0644", "stringData as is");
		if (strcmp(s->data[i].key, "folded") == 0)
			is_str(s->data[i].value, "hunter2",
			    "line breaks in base64 ignored");
		if (strcmp(s->data[i].key, "empty") == 0)
			is_int(s->data[i].len, 0, "empty value");
	}
	ok(manifest_secret(set, "default", "creds") == NULL,
	    "Secret only in its namespace");
	manifest_free(set);

	set = load("apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n"
	    "data:\n  id: \"not base64!hunter2\"\n  short: aGk\n");
	ok(set->nsecrets == 0, "invalid base64 drops the Secret");
	ok(find_err(set, "data.id", "not valid base64") != NULL,
	    "invalid base64 named");
	ok(find_err(set, "data.short", "not valid base64") != NULL,
	    "missing padding refused");
	for (i = 0; i < set->nerrors; i++) {
		manifest_error_str(&set->errors[i], buf, sizeof(buf));
		ok(strstr(buf, "hunter2") == NULL, "no secret in: %s", buf);
	}
	manifest_free(set);
	expect_error("apiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n"
	    "stringData:\n  ../k: v\n", "stringData.../k",
	    "invalid secret key");
}

/*
 * 20,000 nested groups in 40 KB of a manifest: regcomp's recursion
 * overflowed the stack and killed the daemon.  Refused, and the other
 * documents of the file still load.
 */
static void
test_nested_regex(void)
{
	struct manifest_set		*set;
	const struct manifest_error	*e;
	char				*y, *p;
	size_t				 i, n = 20000;

	y = malloc(2 * n + 512);
	if (y == NULL)
		abort();
	p = y + sprintf(y, "apiVersion: external-secrets.io/v1\n"
	    "kind: ClusterSecretStore\nmetadata:\n  name: c\nspec:\n"
	    "  provider:\n    fake: {}\n  conditions:\n"
	    "  - namespaceRegexes: [\"");
	for (i = 0; i < n; i++)
		*p++ = '(';
	*p++ = 'a';
	for (i = 0; i < n; i++)
		*p++ = ')';
	strcpy(p, "\"]\n---\napiVersion: external-secrets.io/v1\n"
	    "kind: SecretStore\nmetadata:\n  name: s\n  namespace: ns\n"
	    "spec:\n  provider:\n    fake: {}\n");
	set = load(y);
	e = find_err(set, "spec.conditions[0].namespaceRegexes[0]",
	    "regular expression");
	ok(e != NULL && e->line == 9, "20,000 nested groups refused, "
	    "at line %u", e != NULL ? e->line : 0);
	is_int(set->nstores, 1, "and the next store still loads");
	manifest_free(set);
	free(y);
}

static void
test_conditions(void)
{
	struct manifest_set	*set;
	const struct store	*open, *cs;

	set = load("apiVersion: v1\nkind: Namespace\nmetadata:\n"
	    "  name: prod-a\n  labels:\n    env: prod\n    tier: web\n---\n"
	    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: dev-a\n"
	    "  labels:\n    env: dev\n---\n"
	    "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\n"
	    "metadata:\n  name: open\nspec:\n  provider:\n    fake: {}\n---\n"
	    "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\n"
	    "metadata:\n  name: cs\n  namespace: ignored\nspec:\n"
	    "  provider:\n    fake: {}\n  conditions:\n"
	    "  - namespaces: [named]\n"
	    "  - namespaceRegexes: [\"^team-\"]\n"
	    "  - namespaceSelector:\n      matchLabels:\n        env: prod\n"
	    "      matchExpressions:\n      - key: tier\n        operator: In\n"
	    "        values: [web, api]\n"
	    "  - namespaceSelector:\n      matchExpressions:\n"
	    "      - key: env\n        operator: DoesNotExist\n");
	show_errors(set);
	is_int(set->nerrors, 0, "conditions: no errors");
	is_int(set->nnamespaces, 2, "two Namespaces");
	open = manifest_store(set, STORE_CLUSTER, "whatever", "open");
	cs = manifest_store(set, STORE_CLUSTER, "", "cs");
	ok(open != NULL && cs != NULL, "cluster stores found");
	is_str(cs->ns, "", "cluster store has no namespace");
	is_int(cs->nconds, 4, "four conditions");
	ok(store_allows_namespace(set, open, "anything"),
	    "no conditions: every namespace");
	ok(store_allows_namespace(set, cs, "named"), "by name");
	ok(store_allows_namespace(set, cs, "team-x"), "by regex");
	ok(store_allows_namespace(set, cs, "prod-a"), "by labels");
	ok(!store_allows_namespace(set, cs, "dev-a"),
	    "labels that match no condition");
	ok(store_allows_namespace(set, cs, "unlabelled"),
	    "no Namespace manifest: no labels, DoesNotExist matches");
	manifest_free(set);

	set = load("apiVersion: v1\nkind: Namespace\nmetadata:\n"
	    "  name: prod-b\n  labels:\n    env: prod\n---\n"
	    "apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\n"
	    "metadata:\n  name: cs\nspec:\n  provider:\n    fake: {}\n"
	    "  conditions:\n  - namespaceRegexes: [\"team\"]\n"
	    "  - namespaceSelector:\n      matchExpressions:\n"
	    "      - key: env\n        operator: NotIn\n"
	    "        values: [prod]\n      - key: env\n"
	    "        operator: Exists\n");
	cs = manifest_store(set, STORE_CLUSTER, "", "cs");
	ok(cs != NULL, "second cluster store");
	ok(store_allows_namespace(set, cs, "my-team-x"), "unanchored regex");
	ok(!store_allows_namespace(set, cs, "prod-b"), "NotIn refuses");
	ok(!store_allows_namespace(set, cs, "other"),
	    "Exists needs the label");
	manifest_free(set);

	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ClusterSecretStore\nmetadata:\n  name: c\nspec:\n"
	    "  provider:\n    fake: {}\n  conditions:\n"
	    "  - namespaceRegexes: [\"a(\"]\n",
	    "spec.conditions[0].namespaceRegexes[0]",
	    "invalid regular expression");
	test_nested_regex();
	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ClusterSecretStore\nmetadata:\n  name: c\nspec:\n"
	    "  provider:\n    fake: {}\n  conditions:\n"
	    "  - namespaceSelector:\n      matchExpressions:\n"
	    "      - key: a\n        operator: In\n",
	    "spec.conditions[0].namespaceSelector.matchExpressions[0]",
	    "needs values");
	expect_error("apiVersion: external-secrets.io/v1\n"
	    "kind: ClusterSecretStore\nmetadata:\n  name: c\nspec:\n"
	    "  provider:\n    fake: {}\n  conditions:\n"
	    "  - namespaceSelector:\n      matchExpressions:\n"
	    "      - key: a\n        operator: Near\n",
	    "spec.conditions[0].namespaceSelector.matchExpressions[0]."
	    "operator", "must be one of In, NotIn, Exists, DoesNotExist");
}

static void
test_rate_and_hash(void)
{
	struct manifest_set	*a, *b, *c;

	a = load(STORE_HEAD "  annotations:\n    xsecrets.io/rate-limit: "
	    "\"2.5\"\n    xsecrets.io/rate-burst: \"4\"\nspec:\n"
	    "  provider:\n    fake: {}\n");
	ok(a->nstores == 1 && a->stores[0].rate_qps == 2.5 &&
	    a->stores[0].rate_burst == 4, "rate annotations read");
	b = load(STORE_HEAD "  annotations:\n    xsecrets.io/rate-limit: "
	    "\"2.5\"\n    xsecrets.io/rate-burst: \"5\"\nspec:\n"
	    "  provider:\n    fake: {}\n");
	c = load("# moved down\n\n" STORE_HEAD "  annotations:\n"
	    "    xsecrets.io/rate-limit: \"2.5\"\n"
	    "    xsecrets.io/rate-burst: \"4\"\nspec:\n"
	    "  provider:\n    fake: {}\n");
	ok(a->stores[0].spec_hash != b->stores[0].spec_hash,
	    "an annotation change changes spec_hash");
	ok(a->stores[0].spec_hash == c->stores[0].spec_hash,
	    "moving the document does not");
	ok(a->digest != c->digest, "file digest follows the content");
	manifest_free(a);
	manifest_free(b);
	manifest_free(c);
	a = load(ES_HEAD ES_DATA);
	b = load(ES_HEAD "  refreshInterval: 1h\n" ES_DATA);
	c = load(ES_HEAD ES_DATA);
	ok(a->ess[0].spec_hash != b->ess[0].spec_hash,
	    "a spec change changes the ExternalSecret's spec_hash");
	ok(a->ess[0].spec_hash == c->ess[0].spec_hash &&
	    a->digest == c->digest, "same text, same hashes");
	manifest_free(a);
	manifest_free(b);
	manifest_free(c);

	expect_error(STORE_HEAD "  annotations:\n    xsecrets.io/rate-limit: "
	    "\"0\"\nspec:\n  provider:\n    fake: {}\n",
	    "metadata.annotations.xsecrets.io/rate-limit", "above 0");
	expect_error(STORE_HEAD "  annotations:\n    xsecrets.io/rate-burst: "
	    "\"-1\"\nspec:\n  provider:\n    fake: {}\n",
	    "metadata.annotations.xsecrets.io/rate-burst", "integer");
}

static void
test_other_kinds(void)
{
	struct manifest_set	*set;

	set = load("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
	    "---\napiVersion: apps/v1\nkind: Deployment\n");
	ok(set->nerrors == 0 && set->ness == 0, "other kinds skipped");
	manifest_free(set);
	set = manifest_load("/nonexistent/xsecrets/path");
	ok(set->nerrors == 1 && strstr(set->errors[0].message,
	    "cannot read") != NULL, "unreadable path is one error");
	manifest_free(set);
}

/* The error in set for the file whose name ends in base, or NULL. */
static const struct manifest_error *
file_err(const struct manifest_set *set, const char *base)
{
	size_t	i, n, m = strlen(base);

	for (i = 0; i < set->nerrors; i++) {
		n = strlen(set->errors[i].file);
		if (n >= m && strcmp(set->errors[i].file + n - m, base) == 0)
			return &set->errors[i];
	}
	return NULL;
}

/* How many errors name a file ending in base, each with a line. */
static int
count_file_errs(const struct manifest_set *set, const char *base)
{
	size_t	i, n, m = strlen(base);
	int	count = 0;

	for (i = 0; i < set->nerrors; i++) {
		n = strlen(set->errors[i].file);
		if (n >= m && strcmp(set->errors[i].file + n - m, base) == 0 &&
		    set->errors[i].line > 0)
			count++;
	}
	return count;
}

static void
check_file_err(const struct manifest_set *set, const char *base,
    const char *msg)
{
	const struct manifest_error	*e = file_err(set, base);

	if (!ok(e != NULL && strstr(e->message, msg) != NULL && e->line > 0,
	    "%s: \"%s\" with a line", base, msg))
		show_errors(set);
}

static int
has_ns(const struct manifest_set *set, const char *name)
{
	return manifest_namespace(set, name) != NULL;
}

/* The valid store and ExternalSecret of valid.yaml, whatever else fails. */
static void
check_valid_loaded(const struct manifest_set *set, const char *what)
{
	ok(manifest_store(set, STORE_NAMESPACED, "team-a", "fake") != NULL &&
	    set->ness == 1 && strcmp(set->ess[0].name, "db") == 0,
	    "%s: valid.yaml still loads", what);
}

static void
test_corpus(void)
{
	struct manifest_set	*set;
	const struct k8s_secret	*s;
	size_t			 i;

	set = manifest_load(XS_TEST_DATA);
	check_valid_loaded(set, "corpus");
	check_file_err(set, "alias-bomb.yaml", "nodes");
	check_file_err(set, "deep-nesting.yaml", "nesting deeper");
	check_file_err(set, "duplicate-keys.yaml", "duplicate key");
	check_file_err(set, "invalid-utf8.yaml", "UTF-8");
	check_file_err(set, "nul-byte.yaml", "control characters");
	check_file_err(set, "unknown-tag.yaml", "unknown tag !vault");
	check_file_err(set, "merge-key.yaml", "merge keys");
	check_file_err(set, "not-a-map.yaml", "must be a mapping");
	check_file_err(set, "syntax-error.yaml", "YAML:");
	is_int(count_file_errs(set, "wrong-types.yaml"), 10,
	    "wrong-types.yaml: one error per document");
	ok(file_err(set, "empty-docs.yaml") == NULL,
	    "empty and comment-only documents: no error");
	ok(file_err(set, "yaml11-scalars.yaml") == NULL,
	    "YAML 1.1 scalars: no error");
	ok(has_ns(set, "team-a"), "Namespace after empty documents loads");
	ok(has_ns(set, "before-error"),
	    "document before a syntax error loads");
	s = manifest_secret(set, "team-a", "yaml11");
	ok(s != NULL && s->ndata == 3, "yaml11 Secret: three keys, ~ is null");
	for (i = 0; s != NULL && i < s->ndata; i++) {
		if (strcmp(s->data[i].key, "flag") == 0)
			is_str(s->data[i].value, "yes", "yes stays yes");
		else if (strcmp(s->data[i].key, "mode") == 0)
			is_str(s->data[i].value, "0644", "0644 stays 0644");
		else
			is_str(s->data[i].value, "1.10", "1.10 stays 1.10");
	}
	is_int(set->nerrors, 19, "one error for each hostile document");
	for (i = 1; i < set->nfiles; i++)
		ok(strcmp(set->files[i - 1], set->files[i]) < 0,
		    "files read in sorted order: %s", set->files[i]);
	manifest_free(set);
}

static void
write_file(const char *path, const char *head, size_t fill, int c,
    const char *tail)
{
	FILE	*f = fopen(path, "w");
	size_t	 i;

	fputs(head, f);
	for (i = 0; i < fill; i++)
		fputc(c, f);
	fputs(tail, f);
	fclose(f);
}

static void
copy_file(const char *from, const char *to)
{
	char	buf[4096];
	size_t	n;
	FILE	*in = fopen(from, "r"), *out = fopen(to, "w");

	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
}

static void
test_generated(void)
{
	struct manifest_set	*set;
	char			 dir[] = "/tmp/xs-manifest-XXXXXX", p[512],
				 q[512];
	uint64_t		 d1;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(p, sizeof(p), "%s/sub", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/sub/valid.yml", dir);
	copy_file(XS_TEST_DATA "/valid.yaml", p);
	snprintf(p, sizeof(p), "%s/huge.yaml", dir);
	write_file(p, "# 20 MiB\n", 20 * 1024 * 1024, '#', "\n");
	snprintf(p, sizeof(p), "%s/big-scalar.yaml", dir);
	write_file(p, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n"
	    "stringData:\n  k: ", 2 * 1024 * 1024, 'x', "\n");
	snprintf(p, sizeof(p), "%s/.hidden.yaml", dir);
	write_file(p, "not: [valid\n", 0, 0, "");
	snprintf(p, sizeof(p), "%s/notes.txt", dir);
	write_file(p, "not: [valid\n", 0, 0, "");
	/* A hidden directory, reachable only through a symlink. */
	snprintf(p, sizeof(p), "%s/.outside", dir);
	mkdir(p, 0700);
	snprintf(q, sizeof(q), "%s/sub/linked", dir);
	(void)!symlink(p, q);
	snprintf(p, sizeof(p), "%s/.outside/evil.yaml", dir);
	write_file(p, "not: [valid\n", 0, 0, "");

	/* A ConfigMap volume: files are symlinks into a hidden directory. */
	snprintf(p, sizeof(p), "%s/..2026_12_03", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/..2026_12_03/ns.yaml", dir);
	write_file(p, "apiVersion: v1\nkind: Namespace\nmetadata:\n"
	    "  name: from-configmap\n", 0, 0, "");
	snprintf(q, sizeof(q), "%s/ns.yaml", dir);
	(void)!symlink("..2026_12_03/ns.yaml", q);

	set = manifest_load(dir);
	check_valid_loaded(set, "generated");
	ok(has_ns(set, "from-configmap"), "symlinked file followed, once");
	is_int(set->nnamespaces, 1, "hidden directory itself not walked");
	ok(file_err(set, "huge.yaml") != NULL && strstr(file_err(set,
	    "huge.yaml")->message, "larger than") != NULL,
	    "20 MiB file refused");
	check_file_err(set, "big-scalar.yaml", "scalar longer");
	ok(file_err(set, "evil.yaml") == NULL,
	    "symlinked directory not followed");
	ok(file_err(set, ".hidden.yaml") == NULL, "hidden file skipped");
	ok(file_err(set, "notes.txt") == NULL, "other suffixes skipped");
	is_int(set->nerrors, 2, "only the two monsters fail");
	d1 = set->digest;
	manifest_free(set);

	set = manifest_load(dir);
	ok(set->digest == d1, "digest stable across loads");
	manifest_free(set);
	snprintf(p, sizeof(p), "%s/sub/valid.yml", dir);
	write_file(p, "# changed\n", 0, 0, "");
	set = manifest_load(dir);
	ok(set->digest != d1, "digest changes with a file");
	manifest_free(set);

	snprintf(p, sizeof(p), "%s/", dir);
	set = manifest_load(p);
	ok(set->nfiles > 0 && strstr(set->files[0], "//") == NULL,
	    "a trailing slash does not double: %s", set->files[0]);
	manifest_free(set);

	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	(void)!system(p);
}

/* Every error of set as one string, in order. */
static char *
errors_str(const struct manifest_set *set)
{
	char	 line[1024], *all = NULL, *n;
	size_t	 i, len = 0;

	for (i = 0; i < set->nerrors; i++) {
		manifest_error_str(&set->errors[i], line, sizeof(line));
		if ((n = realloc(all, len + strlen(line) + 2)) == NULL)
			break;
		all = n;
		memcpy(all + len, line, strlen(line));
		len += strlen(line);
		all[len++] = '\n';
		all[len] = '\0';
	}
	return all != NULL ? all : strdup("");
}

/*
 * A directory's files load in parallel and merge in walk order: the first
 * object of a name wins across files as within one, the duplicate is
 * refused at its own file and line, objects keep the walk's order, and
 * loads of the same tree give the same set, errors and digest.
 */
static void
test_parallel_dir(void)
{
	struct manifest_set	*set;
	const struct manifest_error *e;
	char			 dir[] = "/tmp/test_manifest_par.XXXXXX";
	char			 p[512], body[512], *first;
	uint64_t		 d1;
	size_t			 i;
	int			 ordered = 1, same = 1;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(p, sizeof(p), "%s/a.yaml", dir);
	write_file(p, STORE_HEAD "spec:\n  provider:\n    fake: {}\n---\n"
	    ES_HEAD ES_DATA "---\napiVersion: v1\nkind: Namespace\n"
	    "metadata:\n  name: team-a\n", 0, 0, "");
	/* b.yaml: the same ExternalSecret and Namespace again, on line 1. */
	snprintf(p, sizeof(p), "%s/b.yaml", dir);
	write_file(p, ES_HEAD ES_DATA "---\napiVersion: v1\nkind: Namespace\n"
	    "metadata:\n  name: team-a\n", 0, 0, "");
	for (i = 0; i < 12; i++) {
		snprintf(p, sizeof(p), "%s/c%02zu.yaml", dir, i);
		snprintf(body, sizeof(body), "apiVersion: external-secrets.io/"
		    "v1\nkind: ExternalSecret\nmetadata:\n  name: e%02zu\n"
		    "  namespace: team-a\nspec:\n  secretStoreRef:\n"
		    "    name: s\n" ES_DATA, i);
		write_file(p, body, 0, 0, "");
	}
	set = manifest_load(dir);
	is_int(set->ness, 13, "parallel: one ExternalSecret per name");
	ok(set->ness > 0 && strstr(set->ess[0].origin.file, "/a.yaml"),
	    "parallel: the first file's object wins");
	for (i = 1; i < set->ness; i++) {
		snprintf(body, sizeof(body), "e%02zu", i - 1);
		ordered &= strcmp(set->ess[i].name, body) == 0;
	}
	ok(ordered, "parallel: objects in walk order");
	is_int(set->nnamespaces, 1, "parallel: one Namespace per name");
	e = find_err(set, "metadata.name", "duplicate ExternalSecret");
	ok(e != NULL && strstr(e->file, "/b.yaml") && e->line == 1,
	    "parallel: the duplicate refused at its file and line");
	ok(find_err(set, "metadata.name", "duplicate Namespace") != NULL,
	    "parallel: a duplicate Namespace across files refused");
	is_int(set->nerrors, 2, "parallel: only the two duplicates fail");
	is_int(set->nfiles, 14, "parallel: every file listed");
	first = errors_str(set);
	d1 = set->digest;
	manifest_free(set);
	for (i = 0; i < 8; i++) {
		char	*again;

		set = manifest_load(dir);
		again = errors_str(set);
		same &= set->digest == d1 && strcmp(again, first) == 0 &&
		    set->ness == 13 && strstr(set->files[0], "/a.yaml");
		free(again);
		manifest_free(set);
	}
	ok(same, "parallel: eight more loads, the same set");
	free(first);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	(void)!system(p);
}

int
main(void)
{
	test_defaults();
	test_full_es();
	test_eso_messages();
	test_refresh();
	test_wrong_types();
	test_names();
	test_error_format();
	test_cross_namespace();
	test_duplicates();
	test_parallel_dir();
	test_secrets();
	test_conditions();
	test_rate_and_hash();
	test_other_kinds();
	test_corpus();
	test_generated();
	return tap_done();
}
