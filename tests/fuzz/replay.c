/*
 * Runs a fuzz harness's LLVMFuzzerTestOneInput over files, without
 * libFuzzer: make check links every harness with this driver and replays
 * its seed corpus and the inputs that once found a bug, so that neither
 * the harness nor a fix can rot.  Speaks TAP, one line per file.
 *
 *	replay_NAME [FILE | DIR]...
 *
 * Without arguments it reads FUZZ_CORPUS: the harness's corpus
 * directories in the source tree, separated by colons.  A crash or an
 * abort fails the test run, as it would stop libFuzzer.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX_INPUT	(1024 * 1024)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	ntests;

static int	replay(const char *);

/* Reads path whole (at most REPLAY_MAX_INPUT bytes); NULL on error. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	uint8_t	*buf;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if ((buf = malloc(REPLAY_MAX_INPUT)) != NULL) {
		*len = fread(buf, 1, REPLAY_MAX_INPUT, fp);
		if (ferror(fp)) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(fp);
	return buf;
}

/* The last two components of path, to name it in TAP lines. */
static const char *
shown(const char *path)
{
	const char	*p = path + strlen(path);
	int		 slashes = 0;

	while (p > path && (p[-1] != '/' || ++slashes < 2))
		p--;
	return p;
}

/* Runs the harness over one file; 1 when it could not be read. */
static int
replay_file(const char *path)
{
	uint8_t	*buf;
	size_t	 len = 0;

	if ((buf = slurp(path, &len)) == NULL) {
		printf("not ok %d - %s: %s\n", ++ntests, path,
		    strerror(errno));
		return 1;
	}
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok %d - %s\n", ++ntests, shown(path));
	fflush(stdout);
	return 0;
}

/* scandir's filter: no dot files (nor . and ..). */
static int
skip_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Every file under dir, in name order; the number that could not be read. */
static int
replay_dir(const char *dir)
{
	struct dirent	**list;
	char		  path[4096];
	int		  i, n, bad = 0;

	if ((n = scandir(dir, &list, skip_dot, alphasort)) == -1) {
		printf("not ok %d - %s: %s\n", ++ntests, dir, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		bad += replay(path);
		free(list[i]);
	}
	free(list);
	return bad;
}

/* A file, or every file under a directory; the number unreadable. */
static int
replay(const char *path)
{
	struct stat	sb;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		return replay_dir(path);
	return replay_file(path);
}

int
main(int argc, char **argv)
{
	char	 dirs[] = FUZZ_CORPUS, *p, *dir;
	int	 i, bad = 0;

	if (argc < 2)
		for (p = dirs; (dir = strsep(&p, ":")) != NULL;)
			bad += replay(dir);
	for (i = 1; i < argc; i++)
		bad += replay(argv[i]);
	if (ntests == 0) {
		printf("not ok 1 - no input\n");
		ntests = bad = 1;
	}
	printf("1..%d\n", ntests);
	return bad != 0;
}
