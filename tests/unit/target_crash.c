/*
 * Helper of target_kill.sh, the crash-safety scenario of the target writer.
 *
 *	target_crash write DIR [count]	write target ns/t, alternating
 *					version A and version B, count
 *					times (default: until killed);
 *					prints "A" or "B" after each write
 *	target_crash check DIR		after a kill: the target must be
 *					exactly A or exactly B; then run
 *					target_cleanup and check that no
 *					temporary is left and every key
 *					link resolves to that version
 *
 * Version A has keys a and b, version B keys b and c, so a torn write shows
 * as a wrong set of keys as well as wrong bytes.  The values are a few
 * hundred kilobytes so that a kill often lands inside a write.  check prints
 * the version found (and whether the kill interrupted a write) and exits 0,
 * or prints why on stderr and exits 1.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "target.h"

#include "output_test.h"

#define NS	"ns"
#define NAME	"t"
#define NKEYS	2

struct version {
	char		 tag;
	const char	*keys[NKEYS];	/* sorted */
	size_t		 lens[NKEYS];
};

static const struct version versions[] = {
	{ 'A', { "a", "b" }, { 300000, 100000 } },
	{ 'B', { "b", "c" }, { 100000, 300000 } },
};

/* The bytes of key k of version v: a header naming both, then filler. */
static uint8_t *
value(const struct version *v, int k)
{
	uint8_t	*p;
	size_t	 i;

	if ((p = malloc(v->lens[k])) == NULL)
		fatal("malloc");
	for (i = 0; i < v->lens[k]; i++)
		p[i] = (uint8_t)(v->tag + (i % 7));
	memcpy(p, v->keys[k], strlen(v->keys[k]));
	return p;
}

static int
do_write(const char *dir, long count)
{
	struct target_root	*root;
	struct result_item	 items[NKEYS];
	struct target_data	 d = { items, NKEYS };
	const struct version	*v;
	char			 err[512];
	long			 n;
	int			 k, changed;

	if ((root = target_open(dir, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	for (n = 0; count < 0 || n < count; n++) {
		v = &versions[n % 2];
		for (k = 0; k < NKEYS; k++) {
			items[k].key = (char *)v->keys[k];
			items[k].data = value(v, k);
			items[k].len = v->lens[k];
		}
		if (target_write(root, NS, NAME, &d, &changed, err,
		    sizeof(err)) != TARGET_OK)
			fatalx("%s", err);
		for (k = 0; k < NKEYS; k++)
			free(items[k].data);
		printf("%c\n", v->tag);
		fflush(stdout);
	}
	target_close(root);
	return 0;
}

/* Which version d is exactly, or NULL. */
static const struct version *
which(const struct target_data *d)
{
	const struct version	*v;
	uint8_t			*want;
	size_t			 i;
	int			 k, same;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		v = &versions[i];
		if (d->nitems != NKEYS)
			continue;
		for (k = 0, same = 1; k < NKEYS && same; k++) {
			want = value(v, k);
			same = strcmp(d->items[k].key, v->keys[k]) == 0 &&
			    d->items[k].len == v->lens[k] &&
			    memcmp(d->items[k].data, want, v->lens[k]) == 0;
			free(want);
		}
		if (same)
			return v;
	}
	return NULL;
}

/* Reads key k through its link, the way a consumer does. */
static int
link_ok(const char *tdir, const struct version *v, int k)
{
	char		 p[PATH_MAX];
	uint8_t		*want, *got;
	ssize_t		 n;
	int		 fd, good;

	fmt(p, sizeof(p), "%s/%s", tdir, v->keys[k]);
	if ((fd = open(p, O_RDONLY)) == -1)
		return 0;
	want = value(v, k);
	if ((got = malloc(v->lens[k] + 1)) == NULL)
		fatal("malloc");
	n = read(fd, got, v->lens[k] + 1);
	good = n == (ssize_t)v->lens[k] && memcmp(got, want, (size_t)n) == 0;
	close(fd);
	free(want);
	free(got);
	return good;
}

/*
 * After cleanup: ..data, one data directory, the key links; no more.  Says
 * why not on stderr unless quiet.
 */
static int
tree_ok(const char *tdir, const struct version *v, int quiet)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		 data[NAME_MAX + 1], p[PATH_MAX];
	ssize_t		 n;
	int		 k, bad = 0;

	fmt(p, sizeof(p), "%s/..data", tdir);
	if ((n = readlink(p, data, sizeof(data) - 1)) == -1)
		return 0;
	data[n] = '\0';
	if ((d = opendir(tdir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, "..data") == 0 ||
		    strcmp(de->d_name, data) == 0)
			continue;
		for (k = 0; k < NKEYS; k++)
			if (strcmp(de->d_name, v->keys[k]) == 0)
				break;
		if (k == NKEYS) {
			if (!quiet)
				fprintf(stderr, "left over: %s\n", de->d_name);
			bad = 1;
		}
	}
	closedir(d);
	for (k = 0; k < NKEYS; k++)
		if (!link_ok(tdir, v, k)) {
			if (!quiet)
				fprintf(stderr, "key %s: bad link\n",
				    v->keys[k]);
			bad = 1;
		}
	fmt(p, sizeof(p), "%s/%s/%s", tdir, data, v->keys[0]);
	if (stat(p, &st) == -1 || (st.st_mode & 07777) != 0600) {
		if (!quiet)
			fprintf(stderr, "key file mode not 0600\n");
		bad = 1;
	}
	return !bad;
}

static int
do_check(const char *dir)
{
	struct target_root	*root;
	struct target_data	 d;
	const struct version	*v, *after;
	char			 err[512], tdir[PATH_MAX];
	int			 r, interrupted;

	if ((root = target_open(dir, err, sizeof(err))) == NULL)
		fatalx("%s", err);
	if ((r = target_read(root, NS, NAME, &d, err, sizeof(err))) !=
	    TARGET_OK) {
		fprintf(stderr, "read: %s\n", r == TARGET_ABSENT ? "absent" :
		    err);
		return 1;
	}
	v = which(&d);
	target_data_free(&d);
	if (v == NULL) {
		fprintf(stderr, "torn: neither version A nor version B\n");
		return 1;
	}
	fmt(tdir, sizeof(tdir), "%s/%s/%s", dir, NS, NAME);
	interrupted = !tree_ok(tdir, v, 1);
	target_cleanup(root);
	if (target_read(root, NS, NAME, &d, err, sizeof(err)) != TARGET_OK) {
		fprintf(stderr, "read after cleanup: %s\n", err);
		return 1;
	}
	after = which(&d);
	target_data_free(&d);
	target_close(root);
	if (after != v) {
		fprintf(stderr, "cleanup changed the version\n");
		return 1;
	}
	if (!tree_ok(tdir, v, 0))
		return 1;
	printf("%c%s\n", v->tag, interrupted ? " (write interrupted)" : "");
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc >= 3 && strcmp(argv[1], "write") == 0)
		return do_write(argv[2], argc > 3 ? atol(argv[3]) : -1);
	if (argc == 3 && strcmp(argv[1], "check") == 0)
		return do_check(argv[2]);
	fprintf(stderr, "usage: target_crash write DIR [count] | "
	    "check DIR\n");
	return 2;
}
