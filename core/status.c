/*
 * Status of ExternalSecrets and stores: the JSON status file and the table
 * that --once prints.
 *
 * The file mirrors what ESO puts in each object's status, grouped by kind:
 *
 *	{"externalSecrets": [{"metadata": {"name", "namespace"},
 *	    "status": {"conditions": [{"type": "Ready", "status", "reason",
 *	    "message", "lastTransitionTime"}], "refreshTime",
 *	    "binding": {"name"}, "syncedResourceVersion"}}],
 *	 "secretStores": [...], "clusterSecretStores": [...]}
 *
 * Stores carry only metadata and the Ready condition.  The file is
 * replaced, never rewritten in place: a temporary beside it (O_EXCL,
 * O_NOFOLLOW, 0600) is written, fsynced and renamed over it, and the
 * directory is fsynced, so a reader sees the old file or the new one.
 * Nothing here sees secret material: messages are built by the callers
 * from stable, redacted reasons.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "status.h"

#define KIND_ES		"ExternalSecret"
#define KIND_SS		"SecretStore"
#define KIND_CSS	"ClusterSecretStore"
#define TMP_SUFFIX	".tmp"
#define COL_GAP		3

/*
 * Formats wall-clock ms as RFC 3339 UTC to the second into buf and returns
 * buf; "" when it does not fit.
 */
const char *
status_time(int64_t ms, char *buf, size_t len)
{
	struct tm	tm;
	time_t		secs;

	if (len == 0)
		return buf;
	secs = (time_t)(ms / 1000 - (ms % 1000 < 0));
	if (gmtime_r(&secs, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
	return buf;
}

static const char *
ready_word(int ready)
{
	if (ready > 0)
		return "True";
	return ready == 0 ? "False" : "Unknown";
}

/* Adds a time string, or null when ms is 0 (never). */
static int
add_time(cJSON *obj, const char *field, int64_t ms)
{
	char	buf[32];

	if (ms == 0)
		return cJSON_AddNullToObject(obj, field) != NULL;
	return cJSON_AddStringToObject(obj, field,
	    status_time(ms, buf, sizeof(buf))) != NULL;
}

static cJSON *
entry_json(const struct status_entry *e, int es)
{
	cJSON	*o, *md, *st, *conds, *c, *b;
	char	 ver[24];

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((md = cJSON_AddObjectToObject(o, "metadata")) == NULL ||
	    cJSON_AddStringToObject(md, "name", e->name) == NULL ||
	    (e->ns[0] != '\0' &&
	    cJSON_AddStringToObject(md, "namespace", e->ns) == NULL))
		goto fail;
	if ((st = cJSON_AddObjectToObject(o, "status")) == NULL ||
	    (conds = cJSON_AddArrayToObject(st, "conditions")) == NULL ||
	    (c = cJSON_CreateObject()) == NULL)
		goto fail;
	cJSON_AddItemToArray(conds, c);
	if (cJSON_AddStringToObject(c, "type", "Ready") == NULL ||
	    cJSON_AddStringToObject(c, "status", ready_word(e->ready)) ==
	    NULL || cJSON_AddStringToObject(c, "reason",
	    e->reason ? e->reason : "") == NULL ||
	    cJSON_AddStringToObject(c, "message", e->message) == NULL ||
	    !add_time(c, "lastTransitionTime", e->transition_ms))
		goto fail;
	if (!es)
		return o;
	snprintf(ver, sizeof(ver), "%" PRIu64, e->synced_version);
	if (!add_time(st, "refreshTime", e->refresh_ms) ||
	    (b = cJSON_AddObjectToObject(st, "binding")) == NULL ||
	    cJSON_AddStringToObject(b, "name", e->binding) == NULL ||
	    cJSON_AddStringToObject(st, "syncedResourceVersion", ver) ==
	    NULL)
		goto fail;
	return o;
 fail:
	cJSON_Delete(o);
	return NULL;
}

/* The whole document as text (free with cJSON_free), or NULL. */
static char *
status_json(const struct status_entry *e, size_t n)
{
	cJSON		*root, *es, *ss, *css, *arr, *item;
	char		*text = NULL;
	size_t		 i;

	if ((root = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((es = cJSON_AddArrayToObject(root, "externalSecrets")) == NULL ||
	    (ss = cJSON_AddArrayToObject(root, "secretStores")) == NULL ||
	    (css = cJSON_AddArrayToObject(root, "clusterSecretStores")) ==
	    NULL)
		goto done;
	for (i = 0; i < n; i++) {
		if (e[i].kind == NULL)
			continue;
		if (strcmp(e[i].kind, KIND_ES) == 0)
			arr = es;
		else if (strcmp(e[i].kind, KIND_SS) == 0)
			arr = ss;
		else if (strcmp(e[i].kind, KIND_CSS) == 0)
			arr = css;
		else
			continue;
		if ((item = entry_json(&e[i], arr == es)) == NULL)
			goto done;
		cJSON_AddItemToArray(arr, item);
	}
	text = cJSON_Print(root);
 done:
	cJSON_Delete(root);
	return text;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Splits path into its directory (opened) and its base name.  Returns the
 * directory descriptor or -1 with errno.
 */
static int
open_parent(const char *path, char *base, size_t len)
{
	const char	*slash = strrchr(path, '/');
	char		 dir[PATH_MAX];
	size_t		 dlen;

	if (slash == NULL) {
		dir[0] = '.';
		dir[1] = '\0';
		slash = path - 1;
	} else {
		dlen = slash == path ? 1 : (size_t)(slash - path);
		if (dlen >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, dlen);
		dir[dlen] = '\0';
	}
	if (slash[1] == '\0' || strlen(slash + 1) + sizeof(TMP_SUFFIX) >
	    len) {
		errno = slash[1] == '\0' ? EISDIR : ENAMETOOLONG;
		return -1;
	}
	memcpy(base, slash + 1, strlen(slash + 1) + 1);
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Writes text to a new tmp under dfd and renames it to base. */
static int
replace_file(int dfd, const char *base, const char *text)
{
	char	tmp[NAME_MAX + 1];
	int	fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s%s", base, TMP_SUFFIX) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (unlinkat(dfd, tmp, 0) == -1 && errno != ENOENT)
		return -1;
	fd = openat(dfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (fchmod(fd, 0600) == -1 || write_all(fd, text, strlen(text)) ==
	    -1 || write_all(fd, "\n", 1) == -1 || fsync(fd) == -1) {
		e = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1 || renameat(dfd, tmp, dfd, base) == -1) {
		e = errno;
		goto fail;
	}
	return fsync(dfd);
 fail:
	unlinkat(dfd, tmp, 0);
	errno = e;
	return -1;
}

/*
 * Replaces the file at path with the JSON of the n entries; entries of an
 * unknown kind are skipped.  0, or -1 with errno set and the old file left
 * in place.
 */
int
status_write_file(const char *path, const struct status_entry *e, size_t n)
{
	char	base[NAME_MAX + 1], *text;
	int	dfd, r, saved;

	if ((dfd = open_parent(path, base, sizeof(base))) == -1)
		return -1;
	if ((text = status_json(e, n)) == NULL) {
		close(dfd);
		errno = ENOMEM;
		return -1;
	}
	r = replace_file(dfd, base, text);
	saved = errno;
	cJSON_free(text);
	close(dfd);
	errno = saved;
	return r;
}

/* Orders ExternalSecret entries by namespace, then name. */
static int
entry_cmp(const void *a, const void *b)
{
	const struct status_entry *const *x = a, *const *y = b;
	int			   c;

	if ((c = strcmp((*x)->ns, (*y)->ns)) != 0)
		return c;
	return strcmp((*x)->name, (*y)->name);
}

/* Prints s padded to width; control characters shown as '?'. */
static void
print_cell(FILE *fp, const char *s, size_t width)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++)
		putc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, fp);
	if (width > 0)
		fprintf(fp, "%*s", (int)(width - n + COL_GAP), "");
}

#define NCOLS	6

static void
row_cells(const struct status_entry *e, const char *cells[NCOLS])
{
	cells[0] = e->ns;
	cells[1] = e->name;
	cells[2] = e->store;
	cells[3] = ready_word(e->ready);
	cells[4] = e->reason ? e->reason : "";
	cells[5] = e->message;
}

static void
print_row(FILE *fp, const char *cells[NCOLS], const size_t width[NCOLS])
{
	int	c;

	for (c = 0; c < NCOLS - 1; c++)
		print_cell(fp, cells[c], width[c]);
	print_cell(fp, cells[NCOLS - 1], 0);
	putc('\n', fp);
}

/*
 * Prints the ExternalSecrets among the n entries as a table to fp, sorted
 * by namespace and name; other kinds are skipped.  Each column is as wide
 * as its widest cell, three spaces apart; the last one is not padded.
 */
void
status_print_table(FILE *fp, const struct status_entry *e, size_t n)
{
	static const char *head[NCOLS] = { "NAMESPACE", "NAME", "STORE",
	    "READY", "REASON", "MESSAGE" };
	const struct status_entry **v;
	const char		   *cells[NCOLS];
	size_t			    width[NCOLS], i, m = 0, len;
	int			    c;

	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < n; i++)
		if (e[i].kind != NULL && strcmp(e[i].kind, KIND_ES) == 0)
			v[m++] = &e[i];
	qsort(v, m, sizeof(*v), entry_cmp);
	for (c = 0; c < NCOLS; c++)
		width[c] = strlen(head[c]);
	for (i = 0; i < m; i++) {
		row_cells(v[i], cells);
		for (c = 0; c < NCOLS; c++)
			if ((len = strlen(cells[c])) > width[c])
				width[c] = len;
	}
	print_row(fp, head, width);
	for (i = 0; i < m; i++) {
		row_cells(v[i], cells);
		print_row(fp, cells, width);
	}
	free(v);
}
