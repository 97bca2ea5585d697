/*
 * Tests of the host API table (core/host.c): the table's header, memory,
 * diagnostics, results and their caps, store accessors, the tree and JSON
 * wrappers, credential lookups under the namespace rules (table-driven), and
 * the provider log: prefix, level check, one line per message, and the rate
 * limit of repeated lines.  The log is read back by pointing stderr at a
 * pipe.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "logcapture.h"
#include "log.h"
#include "tap.h"
#include "value.h"

static const struct xs_host *host;
static const struct xs_provider prov_a = { .name = "alpha" };
static const struct xs_provider prov_b = { .name = "beta" };

static void
test_table(void)
{
	is_int(host->abi_major, XS_ABI_MAJOR, "table abi_major");
	is_int(host->abi_minor, XS_ABI_MINOR, "table abi_minor");
	is_int(host->size, sizeof(struct xs_host), "table size");
	ok(host->getenv != NULL && host->log != NULL &&
	    host->http_request != NULL && host->base64_decode != NULL,
	    "table entries set, first to last");
	ok(host_init(NULL) == host, "host_init twice gives the same table");
}

static void
test_memory(void)
{
	char	*s, *p;
	uint8_t	*z;

	s = host->strdup("abc");
	is_str(s, "abc", "strdup");
	host->free(s);
	z = host->calloc(4, 4);
	ok(z != NULL && z[0] == 0 && z[15] == 0, "calloc zeroes");
	host->free(z);
	p = host->alloc(0);
	ok(p != NULL, "alloc(0) is not NULL");
	p = host->realloc(p, 100);
	ok(p != NULL, "realloc");
	host->free(p);
	p = host->secure_alloc(32);
	ok(p != NULL, "secure_alloc");
	memset(p, 'x', 32);
	host->cleanse(p, 32);
	ok(p[0] == 0 && p[31] == 0, "cleanse zeroes");
	host->secure_free(p);
	host->secure_free(NULL);
	ok(host->strdup(NULL) == NULL, "strdup(NULL)");
}

static void
test_diag(void)
{
	struct xs_diag	d;
	char		long_msg[2000];
	int		i;

	diag_init(&d);
	is_str(d.error, "", "diag_init: no error");
	host->error(&d, "first %d", 1);
	host->error(&d, "second");
	is_str(d.error, "first 1", "only the first error is kept");

	diag_init(&d);
	memset(long_msg, 'e', sizeof(long_msg) - 1);
	long_msg[sizeof(long_msg) - 1] = '\0';
	host->error(&d, "%s", long_msg);
	is_int(strlen(d.error), DIAG_MSG_MAX - 1, "error truncated");

	diag_init(&d);
	host->error(&d, "line one\nforged: line\r");
	is_str(d.error, "line one?forged: line?",
	    "control characters replaced in errors");

	for (i = 0; i < DIAG_MAX_WARN + 3; i++)
		host->warn(&d, "warning %d", i);
	is_int(d.nwarnings, DIAG_MAX_WARN, "warnings capped");
	is_str(d.warnings[0], "warning 0", "first warning kept");
	is_str(d.warnings[DIAG_MAX_WARN - 1], "warning 7", "last kept");
	host->error(NULL, "no diag");
	host->warn(NULL, "no diag");
	ok(1, "NULL diag accepted");
}

static void
test_results(void)
{
	struct xs_result r;
	uint8_t		 src[4] = "abc";
	uint8_t		*big;
	char		 key[16];
	size_t		 i;
	int32_t		 rc = XS_OK;

	result_init(&r);
	is_int(host->result_set(&r, src, 3), XS_OK, "result_set");
	src[0] = 'X';
	ok(r.nitems == 1 && r.has_value && r.items[0].key == NULL &&
	    r.items[0].len == 3 && memcmp(r.items[0].data, "abc", 3) == 0,
	    "result_set keeps a copy");
	is_int((int)r.cap, 1, "a single value takes a single slot");
	is_int(host->result_set(&r, (const uint8_t *)"zz", 2), XS_OK,
	    "result_set again");
	ok(r.nitems == 1 && r.items[0].len == 2 && r.total == 2,
	    "a second result_set replaces the value");
	is_int(host->result_set(&r, NULL, 0), XS_OK, "empty value");
	is_int(host->result_set(&r, NULL, 3), XS_ERR_INTERNAL,
	    "NULL data with a length refused");
	result_clear(&r);
	ok(r.nitems == 0 && r.items == NULL && r.total == 0, "result_clear");

	result_init(&r);
	is_int(host->result_put(&r, "a", (const uint8_t *)"1", 1), XS_OK,
	    "result_put a");
	is_int(host->result_put(&r, "b", (const uint8_t *)"22", 2), XS_OK,
	    "result_put b");
	is_int(host->result_put(&r, "a", (const uint8_t *)"333", 3), XS_OK,
	    "result_put a again");
	ok(r.nitems == 2 && r.items[0].len == 3 && r.total == 3 + 1 + 2 + 1,
	    "a repeated key replaces its value");
	is_int(host->result_put(&r, NULL, src, 1), XS_ERR_INTERNAL,
	    "NULL key refused");
	result_clear(&r);

	result_init(&r);
	for (i = 0; i < RESULT_MAX_ITEMS && rc == XS_OK; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		rc = host->result_put(&r, key, (const uint8_t *)"v", 1);
	}
	is_int(rc, XS_OK, "RESULT_MAX_ITEMS keys accepted");
	for (i = 0; i < r.nitems && i < RESULT_MAX_ITEMS; i++) {
		snprintf(key, sizeof(key), "k%d", (int)i);
		if (strcmp(r.items[i].key, key) != 0 || r.items[i].len != 1)
			break;
	}
	is_int((int)i, RESULT_MAX_ITEMS, "every key kept as the array grew");
	is_int(host->result_put(&r, "one-more", (const uint8_t *)"v", 1),
	    XS_ERR_PROTOCOL, "one key more is refused");
	is_int(r.nitems, RESULT_MAX_ITEMS, "and not added");
	result_clear(&r);

	big = calloc(1, RESULT_MAX_BYTES + 1);
	result_init(&r);
	is_int(host->result_set(&r, big, RESULT_MAX_BYTES + 1),
	    XS_ERR_PROTOCOL, "a value over RESULT_MAX_BYTES is refused");
	is_int(host->result_put(&r, "a", big, RESULT_MAX_BYTES / 2), XS_OK,
	    "half the byte cap");
	is_int(host->result_put(&r, "b", big, RESULT_MAX_BYTES / 2),
	    XS_ERR_PROTOCOL, "the other half plus the keys is refused");
	is_int(host->result_put(&r, "a", big, RESULT_MAX_BYTES - 1), XS_OK,
	    "replacing a value counts only the new size");
	result_clear(&r);
	free(big);
	(void)log_read();
}

static void
test_store_and_tree(void)
{
	struct xs_value	*cfg, *child, *v = NULL;
	struct store	 s = { .kind = STORE_NAMESPACED, .ns = "team-a",
			     .name = "st" };
	struct xs_store	 st = { .store = &s };
	struct xs_diag	 d;
	const char	*key, *str;
	char		*js, where[64];
	size_t		 len;

	cfg = value_new(XS_VALUE_MAP, 0, "store.yaml", 3, 5);
	child = value_new(XS_VALUE_STRING, 0, "store.yaml", 4, 7);
	value_set_string(child, "cn-hangzhou", 11);
	value_append(cfg, "regionID", child);
	s.provider_cfg = cfg;

	ok(host->store_config(&st) == cfg, "store_config");
	is_str(host->store_name(&st), "st", "store_name");
	is_str(host->store_namespace(&st), "team-a", "store_namespace");
	is_int(host->store_is_cluster(&st), 0, "a SecretStore");
	s.kind = STORE_CLUSTER;
	s.ns = "";
	is_str(host->store_namespace(&st), "", "cluster store namespace");
	is_int(host->store_is_cluster(&st), 1, "a ClusterSecretStore");
	ok(host->store_config(NULL) == NULL && host->store_name(NULL) == NULL,
	    "store accessors accept NULL");

	is_int(host->value_type(cfg), XS_VALUE_MAP, "value_type");
	is_int(host->value_type(NULL), -1, "value_type(NULL)");
	is_int(host->value_count(cfg), 1, "value_count");
	ok(host->value_at(cfg, 0, &key) == child && key != NULL &&
	    strcmp(key, "regionID") == 0, "value_at gives the key");
	ok(host->value_at(cfg, 1, &key) == NULL && key == NULL,
	    "value_at past the end");
	str = host->value_string(host->value_get(cfg, "regionID"), &len);
	ok(str != NULL && strcmp(str, "cn-hangzhou") == 0 && len == 11,
	    "value_get + value_string");
	ok(host->value_string(cfg, &len) == NULL && len == 0,
	    "value_string of a map is NULL");
	is_str(host->value_where(child, where, sizeof(where)),
	    "store.yaml:4:7", "value_where");

	js = host->json_print(cfg, &len);
	is_str(js, "{\"regionID\":\"cn-hangzhou\"}", "json_print");
	host->secure_free(js);	/* secure even for a plain tree */
	value_free(cfg);

	diag_init(&d);
	is_int(host->json_parse("{\"a\":[1,\"x\",true]}", 18, &v, &d), XS_OK,
	    "json_parse");
	ok(host->value_type(host->value_path(v, "a.1")) == XS_VALUE_STRING,
	    "value_path a.1");
	str = host->value_string(host->value_path(v, "a.0"), &len);
	ok(str != NULL && strcmp(str, "1") == 0, "a number keeps its text");
	host->json_free(v);
	v = NULL;
	is_int(host->json_parse("{\"a\":", 5, &v, &d), XS_ERR_PROTOCOL,
	    "malformed JSON is XS_ERR_PROTOCOL");
	ok(v == NULL && d.error[0] != '\0', "with a message");
}

/* Secrets the credential table reads. */
static struct kv creds_a[] = {
	{ "id", "AKID-A", 6 },
	{ "secret", "s3cr3t-value", 12 },
};
static struct kv creds_b[] = {
	{ "id", "AKID-B", 6 },
};
static struct k8s_secret secrets[] = {
	{ .ns = "team-a", .name = "creds", .data = creds_a, .ndata = 2 },
	{ .ns = "team-b", .name = "creds", .data = creds_b, .ndata = 1 },
};
static struct manifest_set set = { .secrets = secrets, .nsecrets = 2 };

static const struct {
	const char	*what;
	int		 cluster;
	const char	*ns, *name, *key;
	int32_t		 rc;
	const char	*value;		/* on XS_OK */
	const char	*msg;		/* part of the error */
} creds[] = {
	{ "own namespace implied", 0, NULL, "creds", "id", XS_OK, "AKID-A",
	  NULL },
	{ "own namespace named", 0, "team-a", "creds", "secret", XS_OK,
	  "s3cr3t-value", NULL },
	{ "empty namespace is the store's", 0, "", "creds", "id", XS_OK,
	  "AKID-A", NULL },
	{ "other namespace refused", 0, "team-b", "creds", "id",
	  XS_ERR_INVALID, NULL, "team-b/creds" },
	{ "cluster store without namespace", 1, NULL, "creds", "id",
	  XS_ERR_INVALID, NULL, "must set a namespace" },
	{ "cluster store with empty namespace", 1, "", "creds", "id",
	  XS_ERR_INVALID, NULL, "must set a namespace" },
	{ "cluster store names one", 1, "team-b", "creds", "id", XS_OK,
	  "AKID-B", NULL },
	{ "missing Secret", 0, NULL, "nope", "id", XS_ERR_NOT_FOUND, NULL,
	  "Secret team-a/nope not found" },
	{ "missing key", 0, NULL, "creds", "missing", XS_ERR_NOT_FOUND, NULL,
	  "Secret team-a/creds has no key \"missing\"" },
	{ "missing key, cluster", 1, "team-b", "creds", "secret",
	  XS_ERR_NOT_FOUND, NULL, "team-b/creds" },
	{ "no name", 0, NULL, NULL, "id", XS_ERR_INVALID, NULL, "name" },
	{ "empty key", 0, NULL, "creds", "", XS_ERR_INVALID, NULL, "key" },
};

static void
test_credentials(void)
{
	struct store	 nsd = { .kind = STORE_NAMESPACED, .ns = "team-a",
			     .name = "st" };
	struct store	 cls = { .kind = STORE_CLUSTER, .ns = "",
			     .name = "cst" };
	struct xs_store	 st = { .set = &set };
	struct xs_secret_ref ref;
	struct xs_diag	 d;
	uint8_t		*out;
	size_t		 i, len;
	int32_t		 rc;

	for (i = 0; i < sizeof(creds) / sizeof(creds[0]); i++) {
		st.store = creds[i].cluster ? &cls : &nsd;
		ref.ns = creds[i].ns;
		ref.name = creds[i].name;
		ref.key = creds[i].key;
		diag_init(&d);
		out = (uint8_t *)"junk";
		rc = host->credential_get(&st, &ref, &out, &len, &d);
		is_int(rc, creds[i].rc, creds[i].what);
		if (creds[i].rc == XS_OK) {
			ok(out != NULL && len == strlen(creds[i].value) &&
			    memcmp(out, creds[i].value, len) == 0,
			    "%s: value", creds[i].what);
			host->secure_free(out);
			continue;
		}
		ok(out == NULL && strstr(d.error, creds[i].msg) != NULL,
		    "%s: message \"%s\"", creds[i].what, d.error);
		ok(strstr(d.error, "AKID") == NULL &&
		    strstr(d.error, "s3cr3t") == NULL,
		    "%s: no secret in the message", creds[i].what);
	}
	st.store = NULL;
	is_int(host->credential_get(&st, &ref, &out, &len, NULL),
	    XS_ERR_INVALID, "no store");
}

static void
test_log(void)
{
	const char	*s;
	int		 i;

	log_init(XS_LOG_INFO, LOG_FORMAT_TEXT);
	log_capture();
	host_enter(&prov_a);
	is_int(host->log_enabled(XS_LOG_INFO), 1, "info enabled");
	is_int(host->log_enabled(XS_LOG_DEBUG), 0, "debug not enabled");
	host->log(XS_LOG_DEBUG, "hidden %d", 1);
	host->log(XS_LOG_INFO, "hello %s", "world");
	s = log_read();
	ok(strstr(s, "info: provider alpha: hello world\n") != NULL,
	    "a line with the provider's name as prefix");
	ok(strstr(s, "hidden") == NULL, "debug line dropped at info level");

	host->log(XS_LOG_WARN, "two\nlines");
	s = log_read();
	ok(strstr(s, "provider alpha: two?lines\n") != NULL &&
	    log_count(s, "\n") == 1, "a newline cannot forge a second line");

	host->log(42, "level out of range");
	ok(strstr(log_read(), "debug: ") == NULL, "levels are clamped");

	for (i = 0; i < 20; i++)
		host->log(XS_LOG_WARN, "backend down");
	host->log(XS_LOG_WARN, "something else");
	host_enter(&prov_b);
	host->log(XS_LOG_WARN, "backend down");
	host_enter(NULL);
	s = log_read();
	is_int(log_count(s, "provider alpha: backend down"), 5,
	    "a repeated line is printed 5 times a minute");
	is_int(log_count(s, "provider alpha: something else"), 1,
	    "other lines still printed");
	is_int(log_count(s, "provider beta: backend down"), 1,
	    "the limit is per provider");
	is_int(log_count(s, "suppressed"), 0,
	    "no report before the window ends");

	/* Enough other lines to push the repeated one out of the table. */
	host_enter(&prov_b);
	for (i = 0; i < 64; i++)
		host->log(XS_LOG_WARN, "filler %d", i);
	s = log_read();
	is_int(log_count(s, "filler"), 64, "64 different lines printed");
	ok(strstr(s, "provider alpha: suppressed 15 repeats") != NULL,
	    "a line pushed out reports what it suppressed");
	is_int(log_count(s, "suppressed"), 1,
	    "only where something was suppressed");

	host_enter(&prov_a);
	for (i = 0; i < 7; i++)
		host->log(XS_LOG_WARN, "flaky");
	host_enter(NULL);
	host_shutdown();
	s = log_read();
	ok(strstr(s, "provider alpha: suppressed 2 repeats") != NULL,
	    "host_shutdown reports pending suppressed lines");
}

static void
test_misc(void)
{
	int64_t	a, b;

	setenv("XS_TEST_HOST_ENV", "value-1", 1);
	is_str(host->getenv("XS_TEST_HOST_ENV"), "value-1", "getenv");
	ok(host->getenv("XS_TEST_NOT_SET_ANYWHERE") == NULL, "getenv unset");
	ok(host->now_ms() > 1600000000000LL, "now_ms is wall-clock ms");
	a = host->monotonic_ms();
	b = host->monotonic_ms();
	ok(b >= a, "monotonic_ms does not go back");
}

int
main(void)
{
	host = host_init(NULL);
	test_table();
	test_memory();
	test_diag();
	test_results();
	test_store_and_tree();
	test_credentials();
	test_misc();
	test_log();
	return tap_done();
}
