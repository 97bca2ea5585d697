/*
 * Tests of the status file and table: the JSON document parsed back with
 * cJSON, the file replaced (new inode, 0600 under umask 000, a planted
 * link or temporary not followed), errors reported, and the exact text of
 * the table.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "status.h"
#include "output_test.h"
#include "tap.h"

static char	base[PATH_MAX];

static void
set(struct status_entry *e, const char *kind, const char *ns,
    const char *name, const char *store, int ready, const char *reason,
    const char *msg)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ns = ns;
	e->name = name;
	e->store = store;
	e->binding = name;
	e->ready = ready;
	e->reason = reason;
	e->message = msg;
}

static char *
slurp(const char *p)
{
	static char	buf[65536];
	FILE		*fp;
	size_t		 n;

	if ((fp = fopen(p, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static const char *
str_at(cJSON *o, const char *a, const char *b, const char *c)
{
	cJSON	*v = o;

	if (a)
		v = cJSON_GetObjectItemCaseSensitive(v, a);
	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	if (c)
		v = cJSON_GetObjectItemCaseSensitive(v, c);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void
test_time(void)
{
	char	buf[32];

	is_str(status_time(0, buf, sizeof(buf)), "1970-01-01T00:00:00Z",
	    "epoch");
	is_str(status_time(1796292000999LL, buf, sizeof(buf)),
	    "2026-12-03T10:00:00Z", "a time in 2026, milliseconds dropped");
	is_str(status_time(-1, buf, sizeof(buf)), "1969-12-31T23:59:59Z",
	    "negative times round down");
	is_str(status_time(0, buf, 5), "", "too small a buffer gives \"\"");
}

static void
test_json(const char *file)
{
	struct status_entry	 e[3];
	cJSON			*doc, *arr, *es, *cond, *css;
	char			*text;

	set(&e[0], "ExternalSecret", "payments", "db", "vault", 1,
	    REASON_SYNCED, "secret synced");
	e[0].transition_ms = 1796292000000LL;
	e[0].refresh_ms = 1796292060000LL;
	e[0].synced_version = 42;
	e[0].binding = "db-secret";
	set(&e[1], "SecretStore", "payments", "vault", "", 0,
	    REASON_INVALID_CONFIG, "quote \" and newline\n");
	set(&e[2], "ClusterSecretStore", "", "global", "", -1,
	    REASON_UNKNOWN, "");

	is_int(status_write_file(file, e, 3), 0, "write status file");
	text = slurp(file);
	doc = text ? cJSON_Parse(text) : NULL;
	ok(doc != NULL, "status file is JSON");
	arr = cJSON_GetObjectItemCaseSensitive(doc, "externalSecrets");
	is_int(cJSON_GetArraySize(arr), 1, "one ExternalSecret");
	es = cJSON_GetArrayItem(arr, 0);
	is_str(str_at(es, "metadata", "name", NULL), "db", "es name");
	is_str(str_at(es, "metadata", "namespace", NULL), "payments",
	    "es namespace");
	cond = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(es, "status"), "conditions"), 0);
	is_str(str_at(cond, "type", NULL, NULL), "Ready", "condition type");
	is_str(str_at(cond, "status", NULL, NULL), "True", "condition status");
	is_str(str_at(cond, "reason", NULL, NULL), "SecretSynced", "reason");
	is_str(str_at(cond, "message", NULL, NULL), "secret synced",
	    "message");
	is_str(str_at(cond, "lastTransitionTime", NULL, NULL),
	    "2026-12-03T10:00:00Z", "lastTransitionTime");
	is_str(str_at(es, "status", "refreshTime", NULL),
	    "2026-12-03T10:01:00Z", "refreshTime");
	is_str(str_at(es, "status", "binding", "name"), "db-secret",
	    "binding name");
	is_str(str_at(es, "status", "syncedResourceVersion", NULL), "42",
	    "syncedResourceVersion");

	arr = cJSON_GetObjectItemCaseSensitive(doc, "secretStores");
	is_int(cJSON_GetArraySize(arr), 1, "one SecretStore");
	cond = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, 0),
	    "status"), "conditions"), 0);
	is_str(str_at(cond, "status", NULL, NULL), "False", "store False");
	is_str(str_at(cond, "message", NULL, NULL), "quote \" and newline\n",
	    "message escaped and read back intact");
	ok(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cond,
	    "lastTransitionTime")), "unset transition time is null");

	arr = cJSON_GetObjectItemCaseSensitive(doc, "clusterSecretStores");
	is_int(cJSON_GetArraySize(arr), 1, "one ClusterSecretStore");
	css = cJSON_GetArrayItem(arr, 0);
	ok(str_at(css, "metadata", "namespace", NULL) == NULL,
	    "cluster store has no namespace");
	cond = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(css, "status"), "conditions"), 0);
	is_str(str_at(cond, "status", NULL, NULL), "Unknown", "store Unknown");
	cJSON_Delete(doc);
}

/*
 * The exact text of escapes amid plain runs, and of NULL strings (written
 * as ""); then a file much larger than the write buffer, read back whole.
 */
static void
test_escapes_and_size(const char *file)
{
	static struct status_entry	 many[3000];
	static char			 names[3000][16];
	struct status_entry		 e;
	cJSON				*doc, *arr;
	FILE				*fp;
	char				*text = NULL;
	size_t				 i, len = 0;

	set(&e, "ExternalSecret", "ns", "a", "s", 0, REASON_SYNC_ERROR,
	    "a\"b\\c\001d\177e");
	e.binding = NULL;
	e.store = NULL;
	is_int(status_write_file(file, &e, 1), 0, "write escapes");
	ok(strstr(slurp(file), "\"message\":\"a\\\"b\\\\c\\u0001d"
	    "\\u007fe\"") != NULL, "escapes between plain runs");
	ok(strstr(slurp(file), "\"binding\":{\"name\":\"\"}") != NULL,
	    "a NULL string is written as \"\"");

	for (i = 0; i < 3000; i++) {
		fmt(names[i], sizeof(names[i]), "es-%zu", i);
		set(&many[i], "ExternalSecret", "ns", names[i], "s", 1,
		    REASON_SYNCED, "secret synced");
	}
	is_int(status_write_file(file, many, 3000), 0, "write a large file");
	if ((fp = fopen(file, "r")) != NULL) {
		text = malloc(1 << 21);
		len = text != NULL ? fread(text, 1, (1 << 21) - 1, fp) : 0;
		fclose(fp);
	}
	ok(len > 65536 * 4, "large file: larger than the write buffer");
	if (text != NULL)
		text[len] = '\0';
	doc = text != NULL ? cJSON_Parse(text) : NULL;
	arr = cJSON_GetObjectItemCaseSensitive(doc, "externalSecrets");
	is_int(cJSON_GetArraySize(arr), 3000, "large file: every entry");
	is_str(str_at(cJSON_GetArrayItem(arr, 2999), "metadata", "name",
	    NULL), "es-2999", "large file: the last entry intact");
	cJSON_Delete(doc);
	free(text);
}

static void
test_atomic(const char *file)
{
	struct status_entry	e;
	struct stat		st1, st2;
	char			tmp[PATH_MAX], victim[PATH_MAX];
	FILE			*fp;

	set(&e, "ExternalSecret", "ns", "a", "s", 1, REASON_SYNCED, "");
	chmod(file, 0644);
	stat(file, &st1);
	is_int(status_write_file(file, &e, 1), 0, "rewrite status file");
	stat(file, &st2);
	ok(st1.st_ino != st2.st_ino, "file replaced, not rewritten in place");
	is_int(st2.st_mode & 07777, 0600, "0600 under umask 000");

	/* A link planted at the file's name is replaced, not followed. */
	fmt(victim, sizeof(victim), "%s/victim", base);
	fp = fopen(victim, "w");
	fputs("PRECIOUS", fp);
	fclose(fp);
	unlink(file);
	symlink(victim, file);
	is_int(status_write_file(file, &e, 1), 0, "write over a link");
	is_str(slurp(victim), "PRECIOUS", "link target untouched");
	lstat(file, &st2);
	ok(S_ISREG(st2.st_mode), "status file is a regular file again");

	/* So is a link planted at the temporary's name. */
	fmt(tmp, sizeof(tmp), "%s.tmp", file);
	symlink(victim, tmp);
	is_int(status_write_file(file, &e, 1), 0, "write past a planted tmp");
	is_str(slurp(victim), "PRECIOUS", "planted tmp not followed");
	ok(access(tmp, F_OK) == -1, "no temporary left");

	fmt(tmp, sizeof(tmp), "%s/missing/status.json", base);
	errno = 0;
	ok(status_write_file(tmp, &e, 1) == -1 && errno == ENOENT,
	    "missing directory: -1 with ENOENT");
	ok(status_write_file(base, &e, 1) == -1, "directory as file: -1");
}

static void
test_table(void)
{
	struct status_entry	 e[5];
	char			*buf = NULL;
	size_t			 len = 0;
	FILE			*fp;

	set(&e[0], "ExternalSecret", "prod", "web", "vault", 1,
	    REASON_SYNCED, "secret synced");
	set(&e[1], "SecretStore", "prod", "vault", "", 1, REASON_VALID, "");
	set(&e[2], "ExternalSecret", "dev", "zeta", "fake-store", 0,
	    REASON_SYNC_ERROR, "could not get secret data from provider");
	set(&e[3], "ExternalSecret", "dev", "api", "fake-store", -1,
	    REASON_SYNC_ERROR, "\ttwo\nlines\177");
	set(&e[4], "ClusterSecretStore", "", "global", "", 1,
	    REASON_VALID, "");
	fp = open_memstream(&buf, &len);
	status_print_table(fp, e, 5);
	fclose(fp);
	is_str(buf,
	    "NAMESPACE   NAME   STORE        READY     REASON              "
	    "MESSAGE\n"
	    "dev         api    fake-store   Unknown   SecretSyncedError   "
	    "?two?lines?\n"
	    "dev         zeta   fake-store   False     SecretSyncedError   "
	    "could not get secret data from provider\n"
	    "prod        web    vault        True      SecretSynced        "
	    "secret synced\n",
	    "table of ExternalSecrets, sorted, sized to content");
	free(buf);

	buf = NULL;
	fp = open_memstream(&buf, &len);
	status_print_table(fp, e, 0);
	fclose(fp);
	is_str(buf, "NAMESPACE   NAME   STORE   READY   REASON   MESSAGE\n",
	    "empty table: header only");
	free(buf);
}

int
main(void)
{
	char	file[PATH_MAX + 32];

	umask(0);
	scratch_dir(base, sizeof(base), "test_status");
	fmt(file, sizeof(file), "%s/status.json", base);
	test_time();
	test_json(file);
	test_escapes_and_size(file);
	test_atomic(file);
	test_table();
	scratch_remove(base);
	return tap_done();
}
