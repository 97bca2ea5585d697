/*
 * Tests of the provider loader (core/loader.c) with the fixture modules of
 * tests/fixtures/loader, each breaking one rule.  The modules are copied
 * from the build tree ($top_builddir) into a private temporary directory
 * with the modes each case needs.  Every refusal must give exactly one log
 * line "provider <path>: refused: <reason>", the valid module must still
 * load, and a module refused for its permissions must not have run any
 * code (each fixture's constructor creates a marker file).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "log.h"
#include "logcapture.h"
#include "tap.h"

static char	tmp[64];		/* "/tmp/xs-loader-XXXXXX" */
static char	fixtures[PATH_MAX];

/* Copies fixture name.so to dir/as with mode; 0 or -1. */
static int
install(const char *name, const char *dir, const char *as, mode_t mode)
{
	char	src[PATH_MAX * 2], dst[PATH_MAX * 2], buf[65536];
	ssize_t	n;
	int	in, out, rc = 0;

	snprintf(src, sizeof(src), "%s/%s.so", fixtures, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, as);
	if ((in = open(src, O_RDONLY)) == -1)
		return -1;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			rc = -1;
	if (n < 0 || fchmod(out, mode) == -1)
		rc = -1;
	close(in);
	close(out);
	return rc;
}

/* Makes tmp/name with mode (whatever the umask); its path in buf. */
static const char *
mkdir_mode(const char *name, mode_t mode, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", tmp, name);
	if (mkdir(buf, 0700) == -1 || chmod(buf, mode) == -1)
		abort();
	return buf;
}

static const struct {
	const char	*fixture;
	const char	*reason;
} broken[] = {
	{ "badmajor", "ABI major version 2, the host speaks 1" },
	{ "badminor", "needs ABI 1.99" },
	{ "smallsize", "descriptor size 16 is smaller" },
	{ "noentry", "no xs_provider_entry symbol" },
	{ "badname", "provider name \"other\" does not match" },
	{ "nullfn", "required function get_secret missing" },
	{ "undef", "xs_fixture_undefined" },
	{ "badendpoint", "endpoint pattern 0" },
};

/* The one "refused" line of path in log, with reason. */
static void
refused_once(const char *log, const char *path, const char *reason)
{
	char	line[PATH_MAX + 64];

	snprintf(line, sizeof(line), "provider %s: refused: ", path);
	is_int(log_count(log, line), 1, path);
	ok(strstr(log, line) != NULL &&
	    strstr(strstr(log, line), reason) != NULL &&
	    strstr(strstr(log, line), reason) < strchr(strstr(log, line),
	    '\n'), "  reason: %s", reason);
}

static void
test_dir(struct provider_set *set)
{
	const struct provider *p;
	const char	*log;
	char		 a[PATH_MAX], path[PATH_MAX * 2];
	char		 link[PATH_MAX * 2];
	size_t		 i;

	mkdir_mode("a", 0755, a, sizeof(a));
	ok(install("good", a, "good.so", 0644) == 0, "install good.so");
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		snprintf(path, sizeof(path), "%s.so", broken[i].fixture);
		install(broken[i].fixture, a, path, 0644);
	}
	snprintf(path, sizeof(path), "%s/good.so", a);
	snprintf(link, sizeof(link), "%s/link.so", a);
	ok(symlink(path, link) == 0, "a symlink link.so to good.so");
	snprintf(path, sizeof(path), "%s/dir.so", a);
	mkdir(path, 0755);
	install("good", a, "Upper.so", 0644);
	install("good", a, "notes.txt", 0644);

	(void)log_read();
	is_int(loader_load_dir(a, set), 0, "load a directory");
	log = log_read();
	is_int(set->nproviders, 1, "one provider loaded");
	p = loader_find(set, "good");
	ok(p != NULL && strcmp(p->desc->name, "good") == 0 &&
	    strcmp(p->desc->version, "0.0-test") == 0, "the good one");
	snprintf(path, sizeof(path), "%s/good.so", a);
	ok(p != NULL && strcmp(p->path, path) == 0, "by its absolute path");
	ok(p != NULL && p->desc->get_secret != NULL &&
	    p->desc->find_secrets == NULL, "descriptor copied");
	ok(loader_find(set, "badmajor") == NULL, "refused ones not in set");
	is_int(log_count(log, "refused"), sizeof(broken) / sizeof(broken[0])
	    + 3, "one refusal line per bad module");
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.so", a, broken[i].fixture);
		refused_once(log, path, broken[i].reason);
	}
	refused_once(log, link, "is a symbolic link");
	snprintf(path, sizeof(path), "%s/dir.so", a);
	refused_once(log, path, "not a regular file");
	snprintf(path, sizeof(path), "%s/Upper.so", a);
	refused_once(log, path, "file name is not <name>.so");
	ok(strstr(log, "notes.txt") == NULL, "other files ignored");
}

static void
test_duplicate(struct provider_set *set)
{
	const char	*log;
	char		 b[PATH_MAX], path[PATH_MAX * 2];

	mkdir_mode("b", 0755, b, sizeof(b));
	install("good", b, "good.so", 0644);
	is_int(loader_load_dir(b, set), 0, "load a second directory");
	log = log_read();
	snprintf(path, sizeof(path), "%s/good.so", b);
	refused_once(log, path, "duplicate provider name \"good\"");
	is_int(set->nproviders, 1, "the first module stays the only one");
}

static void
test_permissions(void)
{
	struct provider	 p;
	struct stat	 sb;
	const char	*log;
	char		 c[PATH_MAX], w[PATH_MAX], mark[PATH_MAX];
	char		 path[PATH_MAX * 2], why[512];
	struct provider_set set = { 0 };

	snprintf(mark, sizeof(mark), "%s/constructor-ran", tmp);
	setenv("XS_FIXTURE_MARK", mark, 1);
	mkdir_mode("c", 0755, c, sizeof(c));
	install("good", c, "good.so", 0664);
	snprintf(path, sizeof(path), "%s/good.so", c);
	is_int(loader_load_file(path, &p, why, sizeof(why)), -1,
	    "a group-writable module is refused");
	ok(strstr(why, "group- or world-writable") != NULL, "  %s", why);
	ok(stat(mark, &sb) == -1 && errno == ENOENT,
	    "  and none of its code ran");
	chmod(path, 0646);
	is_int(loader_load_file(path, &p, why, sizeof(why)), -1,
	    "a world-writable module is refused");
	if (geteuid() == 0) {
		chmod(path, 0644);
		if (chown(path, 65534, 65534) == 0) {
			is_int(loader_load_file(path, &p, why, sizeof(why)),
			    -1, "a module owned by another user is refused");
			ok(strstr(why, "owned by uid 65534") != NULL, "  %s",
			    why);
			chown(path, 0, 0);
		}
	}
	chmod(path, 0644);
	is_int(loader_load_file(path, &p, why, sizeof(why)), 0,
	    "the same module with mode 0644 loads");
	ok(stat(mark, &sb) == 0, "  and its constructor ran (the marker "
	    "works)");
	free(p.path);
	free((void *)(uintptr_t)p.desc);
	unsetenv("XS_FIXTURE_MARK");

	mkdir_mode("w", 0777, w, sizeof(w));
	install("good", w, "good.so", 0644);
	(void)log_read();
	is_int(loader_load_dir(w, &set), -1,
	    "a world-writable directory is refused");
	log = log_read();
	is_int(log_count(log, "refused"), 1, "  with one line");
	ok(strstr(log, "group- or world-writable") != NULL &&
	    strstr(log, w) != NULL, "  naming the directory");
	snprintf(path, sizeof(path), "%s/good.so", w);
	is_int(loader_load_file(path, &p, why, sizeof(why)), -1,
	    "a module in it is refused when loaded alone");
	chmod(w, 0775);
	is_int(loader_load_dir(w, &set), -1,
	    "a group-writable directory is refused");
	is_int(set.nproviders, 0, "nothing loaded from either");
	(void)log_read();

	is_int(loader_load_dir("relative/dir", &set), -1,
	    "a relative directory is refused");
	is_int(loader_load_file("good.so", &p, why, sizeof(why)), -1,
	    "a relative module path is refused");
	snprintf(path, sizeof(path), "%s/missing", tmp);
	is_int(loader_load_dir(path, &set), -1, "a missing directory");
	(void)log_read();
}

static void
cleanup(const char *dir)
{
	char	cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

int
main(void)
{
	struct provider_set	 set = { 0 };
	const char		*top = getenv("top_builddir");

	snprintf(fixtures, sizeof(fixtures), "%s/tests/fixtures/loader/.libs",
	    top != NULL ? top : ".");
	snprintf(tmp, sizeof(tmp), "/tmp/xs-loader-XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		ok(0, "make a temporary directory");
		return tap_done();
	}
	log_init(XS_LOG_INFO, LOG_FORMAT_TEXT);
	log_capture();
	test_dir(&set);
	test_duplicate(&set);
	test_permissions();
	loader_free(&set);
	cleanup(tmp);
	return tap_done();
}
