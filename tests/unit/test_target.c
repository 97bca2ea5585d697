/*
 * Tests of the local target writer: the atomic-writer layout, modes under a
 * permissive umask, unchanged content left alone, keys removed, symbolic
 * links planted in the tree never followed, names and keys refused, I/O
 * errors (injected EIO; ENOSPC and a read-only file system on a private
 * tmpfs when this process may mount one) leaving the old version in place,
 * cleanup of a crashed write's temporaries, ownership, deletion and listing.
 *
 * syncfs is replaced below so that a chosen call fails with EIO: the code
 * under test is linked into this program, so it calls this definition.
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "model.h"
#include "target.h"
#include "output_test.h"
#include "tap.h"

static int	sync_fail_at;	/* 0: never; N: the Nth call fails */
static int	sync_calls;

int
syncfs(int fd)
{
	sync_calls++;
	if (sync_fail_at > 0 && sync_calls == sync_fail_at) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_syncfs, fd);
}

static char	base[PATH_MAX];		/* the test's scratch directory */
static char	out[PATH_MAX];		/* the output directory */

static char *
path(const char *f, ...) __attribute__((format(printf, 1, 2)));

/* A path under out; four rotating buffers. */
static char *
path(const char *f, ...)
{
	static char	buf[4][PATH_MAX * 2];
	static int	n;
	char		rel[PATH_MAX];
	va_list		ap;

	va_start(ap, f);
	vsnprintf(rel, sizeof(rel), f, ap);
	va_end(ap);
	n = (n + 1) % 4;
	fmt(buf[n], sizeof(buf[n]), "%s/%s", out, rel);
	return buf[n];
}

/* Builds target data from "key=value" strings (values not copied). */
static struct target_data
mkdata(struct result_item *items, const char **kv, size_t n)
{
	struct target_data	d = { items, n };
	size_t			i;
	char			*eq;

	for (i = 0; i < n; i++) {
		eq = strchr(kv[i], '=');
		items[i].key = strndup(kv[i], (size_t)(eq - kv[i]));
		items[i].data = (uint8_t *)eq + 1;
		items[i].len = strlen(eq + 1);
	}
	return d;
}

static void
freedata(struct target_data *d)
{
	size_t	i;

	for (i = 0; i < d->nitems; i++)
		free(d->items[i].key);
}

static int
write_kv(struct target_root *root, const char *ns, const char *name,
    const char **kv, size_t n, int *changed, char *err, size_t errlen)
{
	struct result_item	items[16];
	struct target_data	d = mkdata(items, kv, n);
	int			r;

	r = target_write(root, ns, name, &d, changed, err, errlen);
	freedata(&d);
	return r;
}

/* Reads a file the way a consumer does, following links; "<absent>" if
 * it cannot be opened. */
static const char *
slurp(const char *p)
{
	static char	buf[4096];
	ssize_t		n;
	int		fd;

	buf[0] = '\0';
	if ((fd = open(p, O_RDONLY)) == -1)
		return "<absent>";
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	close(fd);
	return buf;
}

static void
spit(const char *p, const char *s)
{
	FILE	*fp = fopen(p, "w");

	if (fp == NULL)
		return;
	fputs(s, fp);
	fclose(fp);
}

static int
mode_of(const char *p)
{
	struct stat	st;

	if (lstat(p, &st) == -1)
		return -1;
	return (int)(st.st_mode & 07777);
}

static const char *
link_of(const char *p)
{
	static char	buf[4][PATH_MAX];
	static int	n;
	ssize_t		len;

	n = (n + 1) % 4;
	if ((len = readlink(p, buf[n], sizeof(buf[n]) - 1)) == -1)
		return "<none>";
	buf[n][len] = '\0';
	return buf[n];
}

/* Counts entries of a directory whose names start with prefix. */
static int
count_prefix(const char *dir, const char *prefix)
{
	struct dirent	*de;
	DIR		*d;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
		    strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Data directories ("..<time>.<random>") of a target directory. */
static int
count_data_dirs(const char *dir)
{
	return count_prefix(dir, "..2");
}

static void
test_layout(struct target_root *root)
{
	const char	*kv[] = { "user=admin", "pass=s3cr3t" };
	char		 err[256], ddir[PATH_MAX];
	const char	*d;
	int		 changed = -1;

	is_int(write_kv(root, "ns", "db", kv, 2, &changed, err, sizeof(err)),
	    TARGET_OK, "write a new target");
	is_int(changed, 1, "a new target is reported changed");
	is_str(slurp(path("ns/db/user")), "admin", "key user readable");
	is_str(slurp(path("ns/db/pass")), "s3cr3t", "key pass readable");
	is_str(link_of(path("ns/db/user")), "..data/user",
	    "user links through ..data");
	d = link_of(path("ns/db/..data"));
	ok(strncmp(d, "..20", 4) == 0 && strchr(d, '/') == NULL,
	    "..data names a timestamped directory (%s)", d);
	fmt(ddir, sizeof(ddir), "ns/db/%s", d);
	is_int(mode_of(path("%s", ddir)), 0700, "data directory is 0700");
	is_int(mode_of(path("%s/pass", ddir)), 0600,
	    "key file is 0600 under umask 000");
	is_int(mode_of(path("ns")), 0700, "namespace directory is 0700");
	is_int(mode_of(path("ns/db")), 0700, "target directory is 0700");
	is_int(count_data_dirs(path("ns/db")), 1, "one data directory");
}

static void
test_read(struct target_root *root)
{
	struct target_data	d;
	char			err[256];

	is_int(target_read(root, "ns", "db", &d, err, sizeof(err)), TARGET_OK,
	    "read back");
	is_int(d.nitems, 2, "two keys read");
	if (d.nitems == 2) {
		is_str(d.items[0].key, "pass", "keys sorted: pass");
		ok(d.items[0].len == 6 &&
		    memcmp(d.items[0].data, "s3cr3t", 6) == 0, "pass bytes");
		is_str(d.items[1].key, "user", "keys sorted: user");
	}
	target_data_free(&d);
	is_int(target_read(root, "ns", "nothere", &d, err, sizeof(err)),
	    TARGET_ABSENT, "absent target reads as absent");
	is_int(target_read(root, "other", "db", &d, err, sizeof(err)),
	    TARGET_ABSENT, "absent namespace reads as absent");
}

static void
test_unchanged_and_update(struct target_root *root)
{
	const char	*kv[] = { "pass=s3cr3t", "user=admin" };
	const char	*kv2[] = { "pass=n3w", "host=db.local" };
	char		 err[256], before[PATH_MAX];
	int		 changed = -1;

	fmt(before, sizeof(before), "%s",
	    link_of(path("ns/db/..data")));
	is_int(write_kv(root, "ns", "db", kv, 2, &changed, err, sizeof(err)),
	    TARGET_OK, "rewrite the same content");
	is_int(changed, 0, "same content is not written");
	is_str(link_of(path("ns/db/..data")), before,
	    "..data still names the same directory");

	is_int(write_kv(root, "ns", "db", kv2, 2, &changed, err,
	    sizeof(err)), TARGET_OK, "write new content");
	is_int(changed, 1, "new content is reported changed");
	ok(strcmp(link_of(path("ns/db/..data")), before) != 0,
	    "..data switched to a new directory");
	is_str(slurp(path("ns/db/pass")), "n3w", "changed key updated");
	is_str(slurp(path("ns/db/host")), "db.local", "new key present");
	is_int(mode_of(path("ns/db/user")), -1, "removed key's link gone");
	is_int(count_data_dirs(path("ns/db")), 1, "old data directory gone");
	is_int(count_prefix(path("ns/db"), "..data_tmp"), 0,
	    "no ..data_tmp left");
}

static void
test_modes_tightened(struct target_root *root)
{
	const char	*kv[] = { "pass=n3w", "host=db.local" };
	char		 err[256], ddir[PATH_MAX];
	int		 changed = -1;

	fmt(ddir, sizeof(ddir), "ns/db/%s",
	    link_of(path("ns/db/..data")));
	chmod(path("ns"), 0755);
	chmod(path("ns/db"), 0777);
	chmod(path("%s", ddir), 0755);
	chmod(path("%s/pass", ddir), 0644);
	is_int(write_kv(root, "ns", "db", kv, 2, &changed, err, sizeof(err)),
	    TARGET_OK, "write over loose modes");
	is_int(changed, 0, "content unchanged");
	is_int(mode_of(path("ns")), 0700, "namespace 0755 tightened");
	is_int(mode_of(path("ns/db")), 0700, "target 0777 tightened");
	is_int(mode_of(path("%s", ddir)), 0700, "data dir 0755 tightened");
	is_int(mode_of(path("%s/pass", ddir)), 0600, "key 0644 tightened");
}

static void
test_symlinks(struct target_root *root)
{
	const char	*kv[] = { "a=new" };
	char		 err[256], elsewhere[PATH_MAX], victim[PATH_MAX];
	char		 ddir[PATH_MAX];
	struct target_data d;
	int		 changed, ndirs;

	fmt(elsewhere, sizeof(elsewhere), "%s/elsewhere", base);
	fmt(victim, sizeof(victim), "%s/victim", base);
	mkdir(elsewhere, 0700);
	spit(victim, "PRECIOUS");

	/* The namespace directory is a link to elsewhere. */
	symlink(elsewhere, path("evil"));
	is_int(write_kv(root, "evil", "t", kv, 1, &changed, err, sizeof(err)),
	    TARGET_ERR, "namespace symlink refused");
	ok(strstr(err, "evil/t") != NULL && strstr(err, "namespace") != NULL,
	    "error names target and step: %s", err);
	is_int(count_prefix(elsewhere, ""), 0, "nothing written elsewhere");

	/* The target directory is a link to elsewhere. */
	symlink(elsewhere, path("ns/evil"));
	is_int(write_kv(root, "ns", "evil", kv, 1, &changed, err,
	    sizeof(err)), TARGET_ERR, "target symlink refused");
	is_int(count_prefix(elsewhere, ""), 0, "nothing written elsewhere");
	is_int(target_delete(root, "ns", "evil", err, sizeof(err)),
	    TARGET_ERR, "delete through target symlink refused");
	is_str(link_of(path("ns/evil")), elsewhere, "planted link kept");

	/* ..data points outside the target. */
	is_int(write_kv(root, "ns", "s", kv, 1, &changed, err, sizeof(err)),
	    TARGET_OK, "write target s");
	spit(path("../elsewhere/a"), "OUTSIDE");
	unlink(path("ns/s/..data"));
	symlink(elsewhere, path("ns/s/..data"));
	is_int(target_read(root, "ns", "s", &d, err, sizeof(err)), TARGET_ERR,
	    "read refuses ..data pointing outside");
	is_int(write_kv(root, "ns", "s", kv, 1, &changed, err, sizeof(err)),
	    TARGET_OK, "write replaces a hijacked ..data");
	is_int(changed, 1, "hijacked ..data counts as a change");
	is_str(slurp(path("../elsewhere/a")), "OUTSIDE",
	    "file behind hijacked ..data untouched");
	is_str(slurp(path("ns/s/a")), "new", "target readable again");

	/* A key link replaced by a link to a victim file. */
	unlink(path("ns/s/a"));
	symlink(victim, path("ns/s/a"));
	is_int(write_kv(root, "ns", "s", kv, 1, &changed, err, sizeof(err)),
	    TARGET_OK, "write over a hijacked key link");
	is_int(changed, 1, "hijacked key link counts as a change");
	is_str(slurp(victim), "PRECIOUS", "victim behind key link untouched");
	is_str(link_of(path("ns/s/a")), "..data/a", "key link restored");

	/* A key file in the data directory replaced by a link. */
	fmt(ddir, sizeof(ddir), "ns/s/%s", link_of(path("ns/s/..data")));
	unlink(path("%s/a", ddir));
	symlink(victim, path("%s/a", ddir));
	is_int(target_read(root, "ns", "s", &d, err, sizeof(err)), TARGET_ERR,
	    "read refuses a linked key file");
	is_int(write_kv(root, "ns", "s", kv, 1, &changed, err, sizeof(err)),
	    TARGET_OK, "write over a linked key file");
	is_int(changed, 1, "linked key file counts as a change");
	is_str(slurp(victim), "PRECIOUS", "victim behind key file untouched");
	is_str(slurp(path("ns/s/a")), "new", "key rewritten");

	/* ..data is a real directory planted by someone else. */
	ndirs = count_data_dirs(path("ns/s"));
	unlink(path("ns/s/..data"));
	mkdir(path("ns/s/..data"), 0700);
	is_int(write_kv(root, "ns", "s", kv, 1, &changed, err, sizeof(err)),
	    TARGET_ERR, "..data as a directory is an error");
	is_int(count_data_dirs(path("ns/s")), ndirs,
	    "failed write leaves no new data directory");
	rmdir(path("ns/s/..data"));
}

static void
test_invalid(struct target_root *root)
{
	static const char *bad_ns[] = { "", "A", "-a", "a-", "a_b", "a/b",
	    "..", ".", "a.b" };
	static const char *bad_names[] = { "", "..", ".", "a/b", "a..b",
	    ".a", "a.", "UP", "a_b" };
	static const char *bad_keys[] = { "", ".", "..", "..data", "..x",
	    "a/b", "a b", "a\n" };
	char		 err[256], longs[300], kvbuf[320];
	const char	*kv[2];
	size_t		 i;
	int		 changed;

	kv[0] = "k=v";
	for (i = 0; i < sizeof(bad_ns) / sizeof(bad_ns[0]); i++)
		ok(write_kv(root, bad_ns[i], "t", kv, 1, &changed, err,
		    sizeof(err)) == TARGET_ERR, "namespace \"%s\" refused",
		    bad_ns[i]);
	memset(longs, 'a', 64);
	longs[64] = '\0';
	ok(write_kv(root, longs, "t", kv, 1, &changed, err, sizeof(err)) ==
	    TARGET_ERR, "64-byte namespace refused");
	longs[63] = '\0';
	ok(write_kv(root, longs, "t", kv, 1, &changed, err, sizeof(err)) ==
	    TARGET_OK, "63-byte namespace accepted");

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		ok(write_kv(root, "ns", bad_names[i], kv, 1, &changed, err,
		    sizeof(err)) == TARGET_ERR, "name \"%s\" refused",
		    bad_names[i]);
	/* 253 bytes: labels of 63 joined by dots, then 254. */
	memset(longs, 'b', 253);
	longs[63] = longs[127] = longs[191] = '.';
	longs[253] = '\0';
	ok(write_kv(root, "ns", longs, kv, 1, &changed, err, sizeof(err)) ==
	    TARGET_OK, "253-byte name accepted");
	longs[253] = 'b';
	longs[254] = '\0';
	ok(write_kv(root, "ns", longs, kv, 1, &changed, err, sizeof(err)) ==
	    TARGET_ERR, "254-byte name refused");

	for (i = 0; i < sizeof(bad_keys) / sizeof(bad_keys[0]); i++) {
		fmt(kvbuf, sizeof(kvbuf), "%s=v", bad_keys[i]);
		kv[0] = kvbuf;
		ok(write_kv(root, "ns", "keys", kv, 1, &changed, err,
		    sizeof(err)) == TARGET_ERR, "key \"%s\" refused",
		    strcmp(bad_keys[i], "a\n") == 0 ? "a\\n" : bad_keys[i]);
	}
	ok(strstr(err, "ns/keys: invalid key \"a?\"") != NULL,
	    "refused key shown without control characters: %s", err);
	memset(kvbuf, 'k', 254);
	strcpy(kvbuf + 254, "=v");
	kv[0] = kvbuf;
	ok(write_kv(root, "ns", "keys", kv, 1, &changed, err, sizeof(err)) ==
	    TARGET_ERR, "254-byte key refused");
	strcpy(kvbuf + 253, "=v");
	ok(write_kv(root, "ns", "keys", kv, 1, &changed, err, sizeof(err)) ==
	    TARGET_OK, "253-byte key accepted");
	kv[0] = "k=1";
	kv[1] = "k=2";
	ok(write_kv(root, "ns", "dup", kv, 2, &changed, err, sizeof(err)) ==
	    TARGET_ERR, "duplicate keys refused");
	kv[0] = ".hidden=h";
	kv[1] = "A-_.9=x";
	ok(write_kv(root, "ns", "dots", kv, 2, &changed, err, sizeof(err)) ==
	    TARGET_OK, "keys .hidden and A-_.9 accepted");
	is_str(slurp(path("ns/dots/.hidden")), "h", ".hidden readable");
	is_int(mode_of(path("a_b")), -1, "no directory for a refused name");
}

/*
 * A barrier (syncfs) failing at each step of a write: before ..data is
 * switched the new data directory is dropped, after it the old one is
 * switched back; either way the old version stays and no temporary is
 * left.
 */
static void
test_eio(struct target_root *root)
{
	const char	*v1[] = { "a=old-a", "b=old-b" };
	const char	*v2[] = { "a=NEWSECRET", "c=NEWSECRET" };
	char		 err[256];
	int		 changed, at, r;

	write_kv(root, "ns", "eio", v1, 2, &changed, err, sizeof(err));
	/* One barrier before the switch, one after it. */
	sync_calls = 0;
	write_kv(root, "ns", "eio", v1, 2, &changed, err, sizeof(err));
	is_int(sync_calls, 0, "no barrier when nothing changed");
	for (at = 1; at <= 2; at++) {
		sync_calls = 0;
		sync_fail_at = at;
		r = write_kv(root, "ns", "eio", v2, 2, &changed, err,
		    sizeof(err));
		sync_fail_at = 0;
		is_int(r, TARGET_ERR, "EIO on syncfs is an error");
		ok(strstr(err, "ns/eio") && strstr(err, "Input/output error"),
		    "error names target, step and cause: %s", err);
		ok(strstr(err, "NEWSECRET") == NULL, "no secret in error");
		ok(strcmp(slurp(path("ns/eio/a")), "old-a") == 0 &&
		    strcmp(slurp(path("ns/eio/b")), "old-b") == 0 &&
		    mode_of(path("ns/eio/c")) == -1,
		    "old version intact after EIO at syncfs %d", at);
		is_int(count_data_dirs(path("ns/eio")), 1,
		    "unfinished data directory removed");
		ok(mode_of(path("ns/eio/..data_tmp")) == -1 &&
		    mode_of(path("ns/eio/..key_tmp")) == -1,
		    "no temporary link left");
	}
	sync_calls = 0;
	is_int(write_kv(root, "ns", "eio", v2, 2, &changed, err, sizeof(err)),
	    TARGET_OK, "write succeeds once syncfs works");
	is_int(sync_calls, 2, "two barriers for a write");
	is_str(slurp(path("ns/eio/c")), "NEWSECRET", "new version in place");
}

/*
 * ENOSPC and EROFS on a small private tmpfs: needs CAP_SYS_ADMIN, skipped
 * otherwise.
 */
/*
 * A namespace directory that is a mount point: its file system gets a
 * barrier of its own, before and after the switch.  Called in the private
 * mount namespace test_tmpfs made.
 */
static void
test_mount_point(void)
{
	const char		*kv[] = { "k=v" };
	struct result_item	 items[1];
	struct target_data	 d = mkdata(items, kv, 1);
	struct target_req	 req;
	struct target_root	*root;
	struct target_batch	*b;
	char			 err[TARGET_ERR_MAX], mnt[PATH_MAX];
	size_t			 s1, s2;
	int			 c1 = 0, c2 = 0;

	fmt(mnt, sizeof(mnt), "%s/mounted", out);
	mkdir(mnt, 0700);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700") == -1) {
		ok(1, "# SKIP cannot mount a tmpfs: %s", strerror(errno));
		freedata(&d);
		return;
	}
	root = target_open(out, err, sizeof(err));
	b = target_batch_new(root);
	memset(&req, 0, sizeof(req));
	req.data = &d;
	req.ns = "mounted";
	req.name = "a";
	target_batch_stage(b, &req, &s1, err, sizeof(err));
	req.ns = "plain";
	target_batch_stage(b, &req, &s2, err, sizeof(err));
	sync_calls = 0;
	target_batch_commit(b);
	is_int(sync_calls, 4, "two file systems: a barrier each, twice");
	ok(target_batch_result(b, s1, &c1, err, sizeof(err)) == TARGET_OK &&
	    target_batch_result(b, s2, &c2, err, sizeof(err)) == TARGET_OK &&
	    c1 && c2, "both writes made");
	target_batch_free(b);
	target_close(root);
	freedata(&d);
	umount2(mnt, MNT_DETACH);
}

static void
test_tmpfs(void)
{
	struct target_root *root;
	const char	*v1[] = { "a=small" };
	struct result_item items[1];
	struct target_data d;
	char		 err[256], mnt[PATH_MAX], *big;
	int		 changed, r;

	fmt(mnt, sizeof(mnt), "%s/tmpfs", base);
	mkdir(mnt, 0700);
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700") == -1) {
		ok(1, "# SKIP cannot mount a tmpfs: %s", strerror(errno));
		return;
	}
	if ((root = target_open(mnt, err, sizeof(err))) == NULL) {
		ok(0, "open tmpfs root: %s", err);
		goto done;
	}
	is_int(write_kv(root, "ns", "full", v1, 1, &changed, err,
	    sizeof(err)), TARGET_OK, "small write on tmpfs");

	big = malloc(256 * 1024);
	memset(big, 'X', 256 * 1024);
	items[0].key = (char *)"a";
	items[0].data = (uint8_t *)big;
	items[0].len = 256 * 1024;
	d.items = items;
	d.nitems = 1;
	r = target_write(root, "ns", "full", &d, &changed, err, sizeof(err));
	is_int(r, TARGET_ERR, "write larger than the disk fails");
	ok(strstr(err, "No space left") != NULL && strstr(err, "ns/full"),
	    "ENOSPC reported: %s", err);
	fmt(err, sizeof(err), "%s/ns/full/a", mnt);
	is_str(slurp(err), "small", "old version survives ENOSPC");
	fmt(err, sizeof(err), "%s/ns/full", mnt);
	is_int(count_data_dirs(err), 1, "no partial data directory left");

	if (mount("none", mnt, "none", MS_REMOUNT | MS_RDONLY, NULL) == -1) {
		ok(1, "# SKIP cannot remount read-only: %s", strerror(errno));
	} else {
		items[0].len = 10;
		r = target_write(root, "ns", "full", &d, &changed, err,
		    sizeof(err));
		is_int(r, TARGET_ERR, "write to read-only file system fails");
		ok(strstr(err, "Read-only") != NULL, "EROFS reported: %s",
		    err);
		fmt(err, sizeof(err), "%s/ns/full/a", mnt);
		is_str(slurp(err), "small", "old version survives EROFS");
	}
	free(big);
	target_close(root);
	test_mount_point();
 done:
	umount2(mnt, MNT_DETACH);
}

static void
test_cleanup(struct target_root *root)
{
	const char	*kv[] = { "a=1", "b=2" };
	char		 err[256], stale[PATH_MAX];
	int		 changed;

	write_kv(root, "ns", "crash", kv, 2, &changed, err, sizeof(err));
	fmt(stale, sizeof(stale), "%s",
	    path("ns/crash/..2020_01_01_00_00_00.123456789"));
	mkdir(stale, 0700);
	spit(path("ns/crash/..2020_01_01_00_00_00.123456789/a"), "stale");
	symlink("..2020_01_01_00_00_00.123456789",
	    path("ns/crash/..data_tmp"));
	symlink("..data/zz", path("ns/crash/..key_tmp"));
	symlink("..data/zz", path("ns/crash/zz"));
	unlink(path("ns/crash/b"));
	spit(path("ns/crash/README"), "not ours");
	chmod(path("ns/crash"), 0750);
	chmod(path("ns/crash/a"), 0644);

	target_cleanup(root);
	is_int(mode_of(stale), -1, "stale data directory removed");
	is_int(mode_of(path("ns/crash/..data_tmp")), -1,
	    "stale ..data_tmp removed");
	is_int(mode_of(path("ns/crash/..key_tmp")), -1,
	    "stale ..key_tmp removed");
	is_int(mode_of(path("ns/crash/zz")), -1, "dangling key link removed");
	is_str(link_of(path("ns/crash/b")), "..data/b",
	    "missing key link restored");
	is_str(slurp(path("ns/crash/a")), "1", "current data kept");
	is_int(count_data_dirs(path("ns/crash")), 1, "one data directory");
	is_str(slurp(path("ns/crash/README")), "not ours",
	    "foreign file left alone");
	is_int(mode_of(path("ns/crash")), 0700, "target mode tightened");
	is_int(mode_of(path("ns/crash/..data/a")), 0600,
	    "key file mode tightened");
}

static void
test_owner(struct target_root *root)
{
	const char	*kv[] = { "k=owned" };
	char		 err[256], buf[128];
	int		 creation = -1, changed = 0;

	is_int(target_owner(root, "ns", "db", buf, sizeof(buf), &creation),
	    TARGET_ABSENT, "no owner recorded yet");
	is_int(target_set_owner(root, "ns", "db", "ns/db-es", CREATE_ORPHAN,
	    err, sizeof(err)), TARGET_OK, "record owner");
	is_int(target_owner(root, "ns", "db", buf, sizeof(buf), &creation),
	    TARGET_OK, "owner read back");
	is_str(buf, "ns/db-es", "owner name");
	is_int(creation, CREATE_ORPHAN, "creation policy");
	fmt(buf, sizeof(buf), "ns/db-es:%d", CREATE_ORPHAN);
	is_str(link_of(path("ns/db/..owner")), buf,
	    "..owner is a link to the record");
	is_int(mode_of(path("ns/db/..owner_tmp")), -1, "no ..owner_tmp left");
	is_int(target_set_owner(root, "ns", "db", "ns/other", CREATE_OWNER,
	    err, sizeof(err)), TARGET_OK, "replace owner");
	target_owner(root, "ns", "db", buf, sizeof(buf), &creation);
	ok(strcmp(buf, "ns/other") == 0 && creation == CREATE_OWNER,
	    "replaced owner read back");
	write_kv(root, "ns", "db", kv, 1, &changed, err, sizeof(err));
	ok(changed == 1 && target_owner(root, "ns", "db", buf, sizeof(buf),
	    &creation) == TARGET_OK && strcmp(buf, "ns/other") == 0,
	    "owner record survives a write");
	is_int(target_owner(root, "ns", "db", buf, 4, &creation), TARGET_ERR,
	    "owner longer than the buffer is an error");
	/* A record in a regular file, as earlier versions wrote it. */
	unlink(path("ns/db/..owner"));
	fmt(buf, sizeof(buf), "ns/legacy\n%d\n", CREATE_ORPHAN);
	spit(path("ns/db/..owner"), buf);
	ok(target_owner(root, "ns", "db", buf, sizeof(buf), &creation) ==
	    TARGET_OK && strcmp(buf, "ns/legacy") == 0 &&
	    creation == CREATE_ORPHAN, "an owner file of earlier versions "
	    "is read");
	is_int(target_set_owner(root, "ns", "db", "ns/db-es", CREATE_OWNER,
	    err, sizeof(err)), TARGET_OK, "replace the owner file");
	fmt(buf, sizeof(buf), "ns/db-es:%d", CREATE_OWNER);
	is_str(link_of(path("ns/db/..owner")), buf,
	    "the owner file became a link");
	unlink(path("ns/db/..owner"));
	spit(path("ns/db/..owner"), "garbage");
	is_int(target_owner(root, "ns", "db", buf, sizeof(buf), &creation),
	    TARGET_ERR, "malformed ..owner file is an error");
	unlink(path("ns/db/..owner"));
	symlinkat("ns/x:not a number", AT_FDCWD, path("ns/db/..owner"));
	is_int(target_owner(root, "ns", "db", buf, sizeof(buf), &creation),
	    TARGET_ERR, "malformed ..owner link is an error");
	is_int(target_owner(root, "ns", "nothere", buf, sizeof(buf),
	    &creation), TARGET_ABSENT, "absent target has no owner");
}

/*
 * Group commit: many writes staged in one batch are made durable by two
 * syncfs calls in all; a write that fails to stage (a foreign owner, a bad
 * key) leaves the others alone; nothing is visible before the commit.
 */
static void
test_batch(struct target_root *root)
{
	const char		*kv[] = { "k=batched" }, *bad[] = { "..x=v" };
	struct result_item	 items[16], bitems[16];
	struct target_data	 d = mkdata(items, kv, 1);
	struct target_data	 bd = mkdata(bitems, bad, 1);
	struct target_req	 req;
	struct target_batch	*b;
	char			 err[TARGET_ERR_MAX], name[32];
	size_t			 slot[20], bslot;
	int			 i, changed, okc = 0, r;

	is_int(target_set_owner(root, "batch", "taken", "batch/someone",
	    CREATE_OWNER, err, sizeof(err)), TARGET_OK,
	    "a target owned by another");
	b = target_batch_new(root);
	memset(&req, 0, sizeof(req));
	req.ns = "batch";
	req.data = &d;
	req.owner = "batch/me";
	req.creation = CREATE_OWNER;
	req.exclusive = 1;
	for (i = 0; i < 20; i++) {
		fmt(name, sizeof(name), "t%d", i);
		req.name = name;
		okc += target_batch_stage(b, &req, &slot[i], err,
		    sizeof(err)) == TARGET_OK;
	}
	is_int(okc, 20, "20 writes staged");
	req.name = "taken";
	r = target_batch_stage(b, &req, &bslot, err, sizeof(err));
	is_int(r, TARGET_OWNED, "a foreign owner's target is refused");
	ok(strstr(err, "batch/taken") && strstr(err, "batch/someone"),
	    "the refusal names target and owner: %s", err);
	req.name = "badkey";
	req.data = &bd;
	is_int(target_batch_stage(b, &req, &bslot, err, sizeof(err)),
	    TARGET_ERR, "a bad key fails its own write");
	is_str(slurp(path("batch/t0/k")), "<absent>",
	    "nothing readable before the commit");
	sync_calls = 0;
	target_batch_commit(b);
	is_int(sync_calls, 2, "two syncfs for a batch of 20");
	for (i = okc = 0; i < 20; i++) {
		fmt(name, sizeof(name), "batch/t%d/k", i);
		okc += target_batch_result(b, slot[i], &changed, err,
		    sizeof(err)) == TARGET_OK && changed &&
		    strcmp(slurp(path("%s", name)), "batched") == 0;
	}
	is_int(okc, 20, "every write of the batch is in place");
	target_batch_free(b);
	is_str(link_of(path("batch/taken/..owner")), "batch/someone:0",
	    "the foreign owner's record is untouched");
	is_int(mode_of(path("batch/badkey/..data")), -1,
	    "the failed write left nothing");

	/* The same content again: nothing to do, no barrier. */
	b = target_batch_new(root);
	req.name = "t3";
	req.data = &d;
	target_batch_stage(b, &req, &slot[0], err, sizeof(err));
	sync_calls = 0;
	target_batch_commit(b);
	is_int(sync_calls, 0, "an unchanged batch needs no syncfs");
	ok(target_batch_result(b, slot[0], &changed, err, sizeof(err)) ==
	    TARGET_OK && !changed, "and reports no change");
	target_batch_free(b);

	/* Staged, then dropped: the old version stays, nothing is left. */
	b = target_batch_new(root);
	req.data = &bd;
	freedata(&bd);
	bd = mkdata(bitems, kv, 1);
	bitems[0].data = (uint8_t *)"dropped";
	bitems[0].len = 7;
	target_batch_stage(b, &req, &slot[0], err, sizeof(err));
	target_batch_free(b);
	is_str(slurp(path("batch/t3/k")), "batched",
	    "a batch freed uncommitted changes nothing");
	is_int(count_data_dirs(path("batch/t3")), 1,
	    "and leaves no data directory");

	/*
	 * A new target records its owner directly, not through ..owner_tmp;
	 * when its barrier fails, the record goes with the rest.
	 */
	b = target_batch_new(root);
	req.name = "fresh";
	req.data = &d;
	target_batch_stage(b, &req, &slot[0], err, sizeof(err));
	fmt(name, sizeof(name), "batch/me:%d", CREATE_OWNER);
	ok(strcmp(link_of(path("batch/fresh/..owner")), name) == 0 &&
	    mode_of(path("batch/fresh/..owner_tmp")) == -1,
	    "a new target's owner record is staged as ..owner");
	sync_calls = 0;
	sync_fail_at = 1;
	target_batch_commit(b);
	sync_fail_at = 0;
	is_int(target_batch_result(b, slot[0], &changed, err, sizeof(err)),
	    TARGET_ERR, "its failed barrier fails the write");
	target_batch_free(b);
	ok(mode_of(path("batch/fresh/..owner")) == -1 &&
	    mode_of(path("batch/fresh/..data")) == -1 &&
	    count_data_dirs(path("batch/fresh")) == 0,
	    "and leaves neither owner record nor data");
	freedata(&d);
	freedata(&bd);
}

struct writer {
	struct target_root	*root;
	char			 name[16];
	int			 failures;
};

/* Writes its own target 40 times, alternating two versions. */
static void *
write_loop(void *arg)
{
	struct writer	*w = arg;
	const char	*v1[] = { "a=one", "b=one" };
	const char	*v2[] = { "b=two", "c=two" };
	char		 err[256];
	int		 i, changed;

	for (i = 0; i < 40; i++)
		if (write_kv(w->root, "conc", w->name, i % 2 ? v2 : v1, 2,
		    &changed, err, sizeof(err)) != TARGET_OK || !changed)
			w->failures++;
	return NULL;
}

/* Writers of different targets in one namespace, at the same time. */
static void
test_concurrent(struct target_root *root)
{
	struct writer	w[4];
	pthread_t	th[4];
	int		i, failures = 0, good = 1;

	for (i = 0; i < 4; i++) {
		w[i].root = root;
		w[i].failures = 0;
		fmt(w[i].name, sizeof(w[i].name), "t%d", i);
		pthread_create(&th[i], NULL, write_loop, &w[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		failures += w[i].failures;
		good = good &&
		    strcmp(slurp(path("conc/t%d/c", i)), "two") == 0 &&
		    mode_of(path("conc/t%d/a", i)) == -1 &&
		    count_data_dirs(path("conc/t%d", i)) == 1;
	}
	is_int(failures, 0, "concurrent writes of four targets all succeed");
	ok(good, "each ends at its last version, with one data directory");
}

struct seen {
	char	names[16][128];
	int	n;
};

static void
collect(const char *ns, const char *name, void *arg)
{
	struct seen	*s = arg;

	if (s->n < 16)
		fmt(s->names[s->n++], sizeof(s->names[0]), "%s/%s", ns,
		    name);
}

static int
has(const struct seen *s, const char *want)
{
	int	i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->names[i], want) == 0)
			return 1;
	return 0;
}

static void
test_list_delete(void)
{
	struct target_root *root;
	const char	*kv[] = { "k=v" };
	struct target_data d;
	struct seen	 s = { .n = 0 };
	char		 err[256], dir[PATH_MAX];
	int		 changed;

	fmt(dir, sizeof(dir), "%s/list", base);
	if ((root = target_open(dir, err, sizeof(err))) == NULL) {
		ok(0, "open %s: %s", dir, err);
		return;
	}
	write_kv(root, "n1", "a", kv, 1, &changed, err, sizeof(err));
	write_kv(root, "n1", "b", kv, 1, &changed, err, sizeof(err));
	write_kv(root, "n2", "c", kv, 1, &changed, err, sizeof(err));
	fmt(err, sizeof(err), "%s/n1/Bad_Name", dir);
	mkdir(err, 0700);
	fmt(err, sizeof(err), "%s/n2/lnk", dir);
	symlink(base, err);
	target_list(root, collect, &s);
	ok(s.n == 3 && has(&s, "n1/a") && has(&s, "n1/b") && has(&s, "n2/c"),
	    "list finds exactly the three targets (%d)", s.n);

	is_int(target_delete(root, "n1", "a", err, sizeof(err)), TARGET_OK,
	    "delete a target");
	fmt(err, sizeof(err), "%s/n1/a", dir);
	is_int(mode_of(err), -1, "target directory gone");
	is_int(target_delete(root, "n1", "a", err, sizeof(err)),
	    TARGET_ABSENT, "deleting again: absent");
	is_int(target_read(root, "n1", "a", &d, err, sizeof(err)),
	    TARGET_ABSENT, "deleted target reads as absent");
	target_set_owner(root, "n1", "b", "n1/b", CREATE_OWNER, err,
	    sizeof(err));
	is_int(target_delete(root, "n1", "b", err, sizeof(err)), TARGET_OK,
	    "delete a target with an owner record");
	s.n = 0;
	target_list(root, collect, &s);
	ok(s.n == 1 && has(&s, "n2/c"), "list after deletes");
	target_close(root);
}

int
main(void)
{
	struct target_root *root;
	char		 err[256];

	umask(0);
	scratch_dir(base, sizeof(base), "test_target");
	fmt(out, sizeof(out), "%s/out", base);
	if ((root = target_open(out, err, sizeof(err))) == NULL) {
		ok(0, "target_open: %s", err);
		return tap_done();
	}
	is_int(mode_of(out), 0700, "output directory created 0700");

	test_layout(root);
	test_read(root);
	test_unchanged_and_update(root);
	test_modes_tightened(root);
	test_symlinks(root);
	test_invalid(root);
	test_eio(root);
	test_cleanup(root);
	test_owner(root);
	test_batch(root);
	test_concurrent(root);
	test_list_delete();
	target_close(root);
	test_tmpfs();

	scratch_remove(base);
	return tap_done();
}
