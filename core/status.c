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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "status.h"

#define KIND_ES		"ExternalSecret"
#define KIND_SS		"SecretStore"
#define KIND_CSS	"ClusterSecretStore"
#define TMP_SUFFIX	".tmp"
#define COL_GAP		3
#define WRITE_BUF	65536	/* stdio's own is a page: many writes */

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

/* An entry's string; NULL reads as "". */
static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

/*
 * Writes s as a JSON string, escaped.  The runs between characters that
 * need escaping go out in one fwrite each: a status file of tens of
 * thousands of objects is mostly such runs.
 */
static void
put_str(FILE *fp, const char *s)
{
	const char	*run;
	unsigned char	 c;

	putc('"', fp);
	for (run = s = str(s); (c = (unsigned char)*s) != '\0'; s++) {
		if (c != '"' && c != '\\' && c >= 0x20 && c != 0x7f)
			continue;
		fwrite(run, 1, (size_t)(s - run), fp);
		if (c == '"' || c == '\\')
			fprintf(fp, "\\%c", c);
		else
			fprintf(fp, "\\u%04x", c);
		run = s + 1;
	}
	fwrite(run, 1, (size_t)(s - run), fp);
	putc('"', fp);
}

/* Writes a time string, or null when ms is 0 (never). */
static void
put_time(FILE *fp, int64_t ms)
{
	char	buf[32];

	if (ms == 0)
		fputs("null", fp);
	else
		put_str(fp, status_time(ms, buf, sizeof(buf)));
}

static void
put_entry(FILE *fp, const struct status_entry *e, int es)
{
	fputs("{\"metadata\":{\"name\":", fp);
	put_str(fp, e->name);
	if (*str(e->ns) != '\0') {
		fputs(",\"namespace\":", fp);
		put_str(fp, e->ns);
	}
	fputs("},\"status\":{\"conditions\":[{\"type\":\"Ready\","
	    "\"status\":", fp);
	put_str(fp, ready_word(e->ready));
	fputs(",\"reason\":", fp);
	put_str(fp, e->reason);
	fputs(",\"message\":", fp);
	put_str(fp, e->message);
	fputs(",\"lastTransitionTime\":", fp);
	put_time(fp, e->transition_ms);
	fputs("}]", fp);
	if (es) {
		fputs(",\"refreshTime\":", fp);
		put_time(fp, e->refresh_ms);
		fputs(",\"binding\":{\"name\":", fp);
		put_str(fp, e->binding);
		fprintf(fp, "},\"syncedResourceVersion\":\"%" PRIu64 "\"",
		    e->synced_version);
	}
	fputs("}}", fp);
}

/* Writes the entries of one kind as the JSON array named field. */
static void
put_kind(FILE *fp, const char *field, const char *kind,
    const struct status_entry *e, size_t n, int last)
{
	size_t	i;
	int	first = 1;

	fprintf(fp, "  \"%s\": [", field);
	for (i = 0; i < n; i++) {
		if (e[i].kind == NULL || strcmp(e[i].kind, kind) != 0)
			continue;
		fputs(first ? "\n    " : ",\n    ", fp);
		put_entry(fp, &e[i], strcmp(kind, KIND_ES) == 0);
		first = 0;
	}
	fprintf(fp, "%s]%s\n", first ? "" : "\n  ", last ? "" : ",");
}

/*
 * The whole document, streamed to fp: one line per object, so that the
 * file is cheap to write for tens of thousands of them.
 */
static void
put_status(FILE *fp, const struct status_entry *e, size_t n)
{
	fputs("{\n", fp);
	put_kind(fp, "externalSecrets", KIND_ES, e, n, 0);
	put_kind(fp, "secretStores", KIND_SS, e, n, 0);
	put_kind(fp, "clusterSecretStores", KIND_CSS, e, n, 1);
	fputs("}\n", fp);
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

/* Writes the entries to a new tmp under dfd and renames it to base. */
static int
replace_file(int dfd, const char *base, const struct status_entry *e,
    size_t n)
{
	FILE	*fp;
	char	 tmp[NAME_MAX + 1], *buf = NULL;
	int	 fd, e2;

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
	if (fchmod(fd, 0600) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		e2 = errno;
		close(fd);
		goto fail;
	}
	if ((buf = malloc(WRITE_BUF)) != NULL)
		setvbuf(fp, buf, _IOFBF, WRITE_BUF);
	put_status(fp, e, n);
	if (fflush(fp) == EOF || ferror(fp) || fsync(fd) == -1) {
		e2 = errno != 0 ? errno : EIO;
		fclose(fp);
		goto fail;
	}
	if (fclose(fp) == EOF || renameat(dfd, tmp, dfd, base) == -1) {
		e2 = errno;
		goto fail;
	}
	free(buf);
	return fsync(dfd);
 fail:
	free(buf);
	unlinkat(dfd, tmp, 0);
	errno = e2;
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
	char	base[NAME_MAX + 1];
	int	dfd, r, saved;

	if ((dfd = open_parent(path, base, sizeof(base))) == -1)
		return -1;
	r = replace_file(dfd, base, e, n);
	saved = errno;
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

	if ((c = strcmp(str((*x)->ns), str((*y)->ns))) != 0)
		return c;
	return strcmp(str((*x)->name), str((*y)->name));
}

/*
 * Prints s padded to width; control characters shown as '?'.  Runs of
 * printable characters go out in one fwrite each.
 */
static void
print_cell(FILE *fp, const char *s, size_t width)
{
	const char	*run, *p;

	for (run = p = s; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x20 && *p != 0x7f)
			continue;
		fwrite(run, 1, (size_t)(p - run), fp);
		putc('?', fp);
		run = p + 1;
	}
	fwrite(run, 1, (size_t)(p - run), fp);
	if (width > 0)
		fprintf(fp, "%*s", (int)(width - (size_t)(p - s) + COL_GAP),
		    "");
}

#define NCOLS	6

static void
row_cells(const struct status_entry *e, const char *cells[NCOLS])
{
	cells[0] = str(e->ns);
	cells[1] = str(e->name);
	cells[2] = str(e->store);
	cells[3] = ready_word(e->ready);
	cells[4] = str(e->reason);
	cells[5] = str(e->message);
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
