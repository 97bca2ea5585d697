/*
 * The local target writer: DIR/<ns>/<name>/ in the kubelet's atomic-writer
 * layout.
 *
 * Writes are made in batches (target_batch_*), so that many targets share
 * the cost of making them durable.  Each write goes through these steps,
 * each from a directory descriptor and never through a symbolic link
 * planted in the tree:
 *
 *	1. stage: compare the new content with the data directory named by
 *	   ..data; when keys, bytes and links are the same, stop: nothing
 *	   changed.  Otherwise make a fresh data directory
 *	   "..<UTC time>.<number>" (0700), write every key into it (0600,
 *	   O_EXCL, O_NOFOLLOW), make sure each "<key>" is a link to
 *	   "..data/<key>" (a link for a key the old version lacks dangles,
 *	   so to a reader the key does not exist yet), and write the owner
 *	   record, a symbolic link, to ..owner_tmp when it changes (to
 *	   ..owner itself in a target directory this write made);
 *	2. barrier: one syncfs(2) of each file system the batch writes to
 *	   (the output directory's, unless a namespace or target directory
 *	   is a mount point) makes every staged file and directory durable;
 *	3. switch: rename ..owner_tmp over ..owner, and point a new link
 *	   ..data_tmp at the data directory and rename it over ..data: this
 *	   is the one atomic step that switches readers from the old version,
 *	   its keys included, to the new one;
 *	4. barrier again, so that the switch is durable before the old data
 *	   is removed and the write is reported;
 *	5. remove links of keys that are gone, and the old data directory.
 *
 * The first barrier orders the writes: a crash can never leave ..data
 * naming a data directory whose files did not reach the disk.  One barrier
 * costs about as much as one fsync(2), where fsyncing each file and
 * directory of each target cost six.
 *
 * A reader that resolves <key> always goes through ..data, so it sees the
 * old version or the new one, never a mix.  A failure before the switch
 * removes the new data directory and the links it added, and leaves the
 * old version in place; after it, the target is switched back.  A crash
 * at any instant leaves temporaries that target_cleanup removes at
 * start-up (data directories that ..data does not name, ..data_tmp, the
 * temporary key and owner links), and links it then repairs.
 *
 * Every internal name starts with "..", and keys may not, so a key can
 * never collide with them.  Namespaces and names follow Kubernetes' DNS-1123
 * rules, so no path built from them leaves the output directory.  The
 * namespace and target directories must be real directories owned by us;
 * anything else is refused, never followed.  Modes are forced to 0600 for
 * files and 0700 for directories whatever the umask, and wrong modes found
 * on existing entries are tightened.
 *
 * Secret bytes read back for comparison live in a stack buffer that is
 * zeroed after use; content returned by target_read is in secure memory.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "target.h"

#define DATA_LINK	"..data"
#define DATA_TMP	"..data_tmp"
#define KEY_TMP		"..key_tmp"
#define OWNER_FILE	"..owner"
#define OWNER_TMP	"..owner_tmp"
#define LINK_PREFIX	"..data/"

#define NS_MAX		63	/* DNS-1123 label */
#define NAME_MAX_LEN	253	/* DNS-1123 subdomain */
#define KEY_MAX		253	/* Kubernetes' limit for a Secret key */
#define OWNER_MAX	512	/* bytes of an ..owner file */
#define DIR_MODE	0700
#define FILE_MODE	0600
#define IO_CHUNK	8192
#define SHOW_MAX	65	/* bytes of a refused name shown in errors */

struct target_root {
	int	 fd;
	char	*path;
};

/*
 * Set by target_open, read-only afterwards: our effective user id, and
 * whether the umask leaves the owner's bits alone, in which case a file or
 * directory we create gets exactly the mode asked and needs no fchmod.
 */
static uid_t	euid;
static int	mode_exact;

/* One operation on one target: its descriptors and where errors go. */
struct tgt {
	const char	*ns;
	const char	*name;
	int		 nsfd;
	int		 fd;
	char		*err;
	size_t		 errlen;
};

static int
is_alnum_lower(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes. */
static int
valid_label(const char *s, size_t len)
{
	size_t	i;

	if (len == 0 || len > NS_MAX)
		return 0;
	if (!is_alnum_lower((unsigned char)s[0]) ||
	    !is_alnum_lower((unsigned char)s[len - 1]))
		return 0;
	for (i = 1; i + 1 < len; i++)
		if (!is_alnum_lower((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
valid_ns(const char *s)
{
	return s != NULL && valid_label(s, strlen(s));
}

/* DNS-1123 subdomain: dot-separated labels, at most 253 bytes in all. */
static int
valid_name(const char *s)
{
	const char	*dot;
	size_t		 len;

	if (s == NULL || (len = strlen(s)) == 0 || len > NAME_MAX_LEN)
		return 0;
	for (;;) {
		dot = strchr(s, '.');
		if (dot == NULL)
			return valid_label(s, strlen(s));
		if (!valid_label(s, (size_t)(dot - s)))
			return 0;
		s = dot + 1;
	}
}

/*
 * A Secret key: [-._a-zA-Z0-9]+, not "." and not starting with "..", which
 * is kept for the writer's own entries (and rules out "..").
 */
static int
valid_key(const char *s)
{
	size_t	i, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > KEY_MAX)
		return 0;
	if (strcmp(s, ".") == 0 || strncmp(s, "..", 2) == 0)
		return 0;
	for (i = 0; i < len; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '.' || s[i] == '_')
			continue;
		return 0;
	}
	return 1;
}

/* A data directory's name: "..", then no '/', and none of the fixed names. */
static int
is_data_dir_name(const char *s)
{
	if (strncmp(s, "..", 2) != 0 || s[2] == '\0' || strchr(s, '/'))
		return 0;
	return strcmp(s, DATA_LINK) != 0 && strcmp(s, DATA_TMP) != 0 &&
	    strcmp(s, KEY_TMP) != 0 && strcmp(s, OWNER_FILE) != 0 &&
	    strcmp(s, OWNER_TMP) != 0;
}

/*
 * A refused name as it may appear in a message: at most SHOW_MAX - 1 bytes,
 * control and non-ASCII bytes as '?'.  buf has SHOW_MAX bytes.
 */
static const char *
show(const char *s, char *buf)
{
	size_t	i;

	if (s == NULL)
		s = "";
	for (i = 0; s[i] != '\0' && i < SHOW_MAX - 1; i++)
		buf[i] = s[i] < 0x20 || s[i] > 0x7e ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

/* Records a failed step with errno e; returns TARGET_ERR. */
static int
tgt_fail(struct tgt *t, const char *step, const char *what, int e)
{
	snprintf(t->err, t->errlen, "target %s/%s: %s%s%s: %s", t->ns,
	    t->name, step, what ? " " : "", what ? what : "", strerror(e));
	return TARGET_ERR;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, p, len > IO_CHUNK * 16 ? IO_CHUNK * 16 : len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads up to len bytes; returns how many (less only at end of file). */
static ssize_t
read_full(int fd, void *buf, size_t len)
{
	uint8_t	*p = buf;
	size_t	 got = 0;
	ssize_t	 n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * Forces mode on an open file or directory we own; its device goes to *dev
 * unless dev is NULL.
 */
static int
fix_mode(int fd, mode_t mode, dev_t *dev)
{
	struct stat	st;

	if (fstat(fd, &st) == -1)
		return -1;
	if (st.st_uid != euid) {
		errno = EPERM;
		return -1;
	}
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) == -1)
		return -1;
	if (dev != NULL)
		*dev = st.st_dev;
	return 0;
}

/*
 * Opens the directory name under dirfd without following a link, creating
 * it (0700) when create is set; tightens its mode.  Returns the descriptor,
 * or -1 with errno (ENOENT when absent and not created).  *made tells
 * whether it was created.  Unless dev is NULL, *dev is the directory's
 * device, or 0 when it was created: then it is dirfd's, and no fstat is
 * spent on a directory this call made.
 */
static int
open_subdir_dev(int dirfd, const char *name, int create, int *made,
    dev_t *dev)
{
	int	fd, e;

	if (dev != NULL)
		*dev = 0;

	*made = 0;
	if (create) {
		if (mkdirat(dirfd, name, DIR_MODE) == 0)
			*made = 1;
		else if (errno != EEXIST)
			return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP)
			errno = ENOTDIR;
		return -1;
	}
	if (*made ? !mode_exact && fchmod(fd, DIR_MODE) == -1 :
	    fix_mode(fd, DIR_MODE, dev) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int
open_subdir(int dirfd, const char *name, int create, int *made)
{
	return open_subdir_dev(dirfd, name, create, made, NULL);
}

/* Opens a directory stream on a copy of fd; the caller keeps fd. */
static DIR *
dir_stream(int fd)
{
	DIR	*d;
	int	 dfd;

	dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd == -1)
		return NULL;
	if ((d = fdopendir(dfd)) == NULL)
		close(dfd);
	return d;
}

static int
is_dot(const char *s)
{
	return strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
}

/*
 * Calls fn(fd, name, arg) for each entry of the directory fd but "." and
 * "..".  fn returns 0, or an errno value: the walk goes on and the first
 * such value is kept.  Returns 0, or -1 with errno set to that value or to
 * the error of reading the directory.
 */
static int
each_entry(int fd, int (*fn)(int, const char *, void *), void *arg)
{
	struct dirent	*de;
	DIR		*d;
	int		 e = 0, r;

	if ((d = dir_stream(fd)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (is_dot(de->d_name))
			continue;
		if ((r = fn(fd, de->d_name, arg)) != 0 && e == 0)
			e = r;
	}
	closedir(d);
	errno = e;
	return e ? -1 : 0;
}

static int
unlink_entry(int fd, const char *name, void *arg)
{
	if (unlinkat(fd, name, 0) == -1 && errno != ENOENT)
		return errno;
	return 0;
}

/*
 * Reads the link name under fd into buf.  Returns 1, 0 when absent or not
 * a link, -1 on error.
 */
static int
read_link(int fd, const char *name, char *buf, size_t len)
{
	ssize_t	n;

	n = readlinkat(fd, name, buf, len - 1);
	if (n == -1)
		return errno == ENOENT || errno == EINVAL ? 0 : -1;
	if ((size_t)n >= len - 1) {
		errno = ENAMETOOLONG;
		return -1;
	}
	buf[n] = '\0';
	return 1;
}

/* The data directory that ..data names, in buf: 1, 0 when none, -1. */
static int
current_data(int fd, char *buf, size_t len)
{
	int	r;

	if ((r = read_link(fd, DATA_LINK, buf, len)) != 1)
		return r;
	return is_data_dir_name(buf) ? 1 : 0;
}

/* Removes the data directory name under fd with the files in it. */
static int
remove_data_dir(int fd, const char *name)
{
	int	dfd, made, e = 0;

	dfd = open_subdir(fd, name, 0, &made);
	if (dfd == -1)
		return errno == ENOENT ? 0 : -1;
	if (each_entry(dfd, unlink_entry, NULL) == -1)
		e = errno;
	close(dfd);
	if (e == 0 && unlinkat(fd, name, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		e = errno;
	errno = e;
	return e ? -1 : 0;
}

/* Replaces the link name under fd by a link to dest, through tmp. */
static int
put_link(int fd, const char *dest, const char *tmp, const char *name)
{
	int	e;

	if (unlinkat(fd, tmp, 0) == -1 && errno != ENOENT)
		return -1;
	if (symlinkat(dest, fd, tmp) == -1)
		return -1;
	if (renameat(fd, tmp, fd, name) == -1) {
		e = errno;
		unlinkat(fd, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/* Whether name under fd is a link to "..data/<name>". */
static int
key_linked(int fd, const char *name)
{
	char	buf[KEY_MAX + sizeof(LINK_PREFIX) + 1];

	if (read_link(fd, name, buf, sizeof(buf)) != 1)
		return 0;
	return strncmp(buf, LINK_PREFIX, strlen(LINK_PREFIX)) == 0 &&
	    strcmp(buf + strlen(LINK_PREFIX), name) == 0;
}

static int
ensure_key_link(int fd, const char *key)
{
	char	dest[KEY_MAX + sizeof(LINK_PREFIX) + 1];

	if (key_linked(fd, key))
		return 0;
	snprintf(dest, sizeof(dest), "%s%s", LINK_PREFIX, key);
	return put_link(fd, dest, KEY_TMP, key);
}

static int
prune_link(int fd, const char *name, void *arg)
{
	struct stat	st;
	int		dfd = *(int *)arg;

	if (strncmp(name, "..", 2) == 0 || !key_linked(fd, name))
		return 0;
	if (dfd != -1 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode))
		return 0;
	return unlink_entry(fd, name, NULL);
}

/*
 * Removes the links "<k>" -> "..data/<k>" under fd whose key k is not
 * present in the data directory dfd (-1: none).  Other entries are left
 * alone: they are not ours.
 */
static int
prune_key_links(int fd, int dfd)
{
	return each_entry(fd, prune_link, &dfd);
}

/* Orders item pointers by key. */
static int
item_cmp(const void *a, const void *b)
{
	const struct result_item *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

/* Checks keys and builds the sorted index; rejects duplicates. */
static int
check_items(struct tgt *t, const struct target_data *data,
    const struct result_item ***sorted)
{
	const struct result_item **v;
	char			   shown[SHOW_MAX];
	size_t			   i;

	*sorted = NULL;
	if (data->nitems > RESULT_MAX_ITEMS)
		return tgt_fail(t, "too many keys", NULL, E2BIG);
	v = calloc(data->nitems + 1, sizeof(*v));
	if (v == NULL)
		return tgt_fail(t, "allocating", NULL, errno);
	for (i = 0; i < data->nitems; i++) {
		if (!valid_key(data->items[i].key)) {
			free(v);
			snprintf(t->err, t->errlen, "target %s/%s: invalid "
			    "key \"%s\"", t->ns, t->name,
			    show(data->items[i].key, shown));
			return TARGET_ERR;
		}
		v[i] = &data->items[i];
	}
	qsort(v, data->nitems, sizeof(*v), item_cmp);
	for (i = 1; i < data->nitems; i++) {
		if (strcmp(v[i - 1]->key, v[i]->key) == 0) {
			snprintf(t->err, t->errlen, "target %s/%s: duplicate "
			    "key \"%s\"", t->ns, t->name, v[i]->key);
			free(v);
			return TARGET_ERR;
		}
	}
	*sorted = v;
	return TARGET_OK;
}

/* Whether the file key under dfd holds exactly the item's bytes. */
static int
same_file(int dfd, const struct result_item *it)
{
	uint8_t		buf[IO_CHUNK];
	struct stat	st;
	size_t		off = 0, n;
	int		fd, same = 0;

	fd = openat(dfd, it->key, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return 0;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != euid || (uint64_t)st.st_size != it->len)
		goto done;
	if ((st.st_mode & 07777) != FILE_MODE && fchmod(fd, FILE_MODE) == -1)
		goto done;
	while (off < it->len) {
		n = it->len - off < sizeof(buf) ? it->len - off : sizeof(buf);
		if (read_full(fd, buf, n) != (ssize_t)n ||
		    memcmp(buf, it->data + off, n) != 0)
			goto done;
		off += n;
	}
	same = read_full(fd, buf, 1) == 0;
 done:
	xs_cleanse(buf, sizeof(buf));
	close(fd);
	return same;
}

struct count {
	int	links;		/* count only links "<k>" -> "..data/<k>" */
	size_t	n;
};

static int
count_entry(int fd, const char *name, void *arg)
{
	struct count	*c = arg;

	if (!c->links || (strncmp(name, "..", 2) != 0 && key_linked(fd, name)))
		c->n++;
	return 0;
}

/* Whether directory fd holds exactly n entries (or key links). */
static int
has_entries(int fd, int links, size_t n)
{
	struct count	c = { links, 0 };

	return each_entry(fd, count_entry, &c) == 0 && c.n == n;
}

/*
 * Whether the target already holds exactly these items: the same set of
 * keys with the same bytes, every key linked, no stale key link.
 */
static int
unchanged(struct tgt *t, const char *cur, const struct result_item **v,
    size_t n)
{
	size_t	i;
	int	dfd, made, same = 0;

	dfd = open_subdir(t->fd, cur, 0, &made);
	if (dfd == -1)
		return 0;
	if (!has_entries(dfd, 0, n))
		goto done;
	for (i = 0; i < n; i++)
		if (!same_file(dfd, v[i]) || !key_linked(t->fd, v[i]->key))
			goto done;
	same = has_entries(t->fd, 1, n);
 done:
	close(dfd);
	return same;
}

/*
 * Makes a new, empty data directory; its name goes to buf.  The number
 * after the time only needs to be new within the target directory, which
 * mkdirat's EEXIST checks: nothing depends on it being unpredictable.
 */
static int
make_data_dir(int fd, char *buf, size_t len)
{
	static unsigned	 seq;
	struct timespec	 now;
	struct tm	 tm;
	unsigned	 n;
	char		 ts[40];
	int		 tries;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "..%Y_%m_%d_%H_%M_%S", &tm);
	for (tries = 0; tries < 16; tries++) {
		n = __atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED);
		snprintf(buf, len, "%s.%09u", ts,
		    ((unsigned)now.tv_nsec + n * 7919u) % 1000000000u);
		if (mkdirat(fd, buf, DIR_MODE) == 0)
			return !mode_exact && fchmodat(fd, buf, DIR_MODE, 0) ==
			    -1 ? -1 : 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/*
 * Writes the new file path under dfd with the bytes of it: O_EXCL, never
 * through a link, 0600.  The batch's barrier makes it durable.
 */
static int
write_key(int dfd, const char *path, const struct result_item *it)
{
	int	fd, e;

	fd = openat(dfd, path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW |
	    O_CLOEXEC, FILE_MODE);
	if (fd == -1)
		return -1;
	if ((!mode_exact && fchmod(fd, FILE_MODE) == -1) ||
	    write_all(fd, it->data, it->len) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

/*
 * Opens the directory name under parent into *fd, creating it when create
 * is set (*made tells whether it was; made may be NULL); what names it in
 * errors.  Unless dev is NULL, *dev is set as open_subdir_dev sets it.  A
 * batch's barrier makes a new entry durable.
 */
static int
open_level(struct tgt *t, int parent, const char *name, int create,
    const char *what, int *fd, int *made, dev_t *dev)
{
	char	step[64];
	int	m;

	if ((*fd = open_subdir_dev(parent, name, create, &m, dev)) == -1) {
		if (errno == ENOENT && !create)
			return TARGET_ABSENT;
		snprintf(step, sizeof(step), "opening %s directory", what);
		return tgt_fail(t, step, NULL, errno);
	}
	if (made != NULL)
		*made = m;
	return TARGET_OK;
}

/* Checks the namespace and name of t; TARGET_OK or TARGET_ERR. */
static int
tgt_check(struct tgt *t)
{
	char	shown[SHOW_MAX];

	if (!valid_ns(t->ns)) {
		snprintf(t->err, t->errlen, "target: invalid namespace \"%s\"",
		    show(t->ns, shown));
		return TARGET_ERR;
	}
	if (!valid_name(t->name)) {
		snprintf(t->err, t->errlen, "target %s: invalid name \"%s\"",
		    t->ns, show(t->name, shown));
		return TARGET_ERR;
	}
	return TARGET_OK;
}

/*
 * Opens the existing namespace and target directories into t.  TARGET_OK,
 * TARGET_ABSENT (missing) or TARGET_ERR.
 */
static int
tgt_open(struct target_root *root, struct tgt *t)
{
	int	r;

	t->nsfd = t->fd = -1;
	if ((r = tgt_check(t)) != TARGET_OK)
		return r;
	if ((r = open_level(t, root->fd, t->ns, 0, "namespace", &t->nsfd,
	    NULL, NULL)) != TARGET_OK)
		return r;
	return open_level(t, t->nsfd, t->name, 0, "target", &t->fd, NULL,
	    NULL);
}

static void
tgt_close(struct tgt *t)
{
	if (t->fd != -1)
		close(t->fd);
	if (t->nsfd != -1)
		close(t->nsfd);
	t->fd = t->nsfd = -1;
}

/*
 * The new data directory dname with every key in it.  Each file is made
 * through the path "dname/key" from the target directory: make_data_dir
 * has just created dname, 0700, in a directory only we can write to, so
 * the path cannot lead elsewhere, and opening dname itself is not needed.
 */
static int
fill_data_dir(struct tgt *t, const char *dname,
    const struct result_item **v, size_t n)
{
	char	path[NAME_MAX + KEY_MAX + 2];
	size_t	i;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dname, v[i]->key);
		if (write_key(t->fd, path, v[i]) == -1)
			return tgt_fail(t, "writing key", v[i]->key, errno);
	}
	return TARGET_OK;
}

/*
 * A link for every key, made before the switch.  A link to a key the old
 * version lacks dangles until ..data is switched, so a reader sees the new
 * key appear with the rest of the new version, never before.  In a target
 * directory this write made (fresh), no name can be taken yet.
 */
static int
link_keys(struct tgt *t, const struct result_item **v, size_t n, int fresh)
{
	char	dest[KEY_MAX + sizeof(LINK_PREFIX) + 1];
	size_t	i;

	for (i = 0; i < n; i++) {
		if (fresh) {
			snprintf(dest, sizeof(dest), "%s%s", LINK_PREFIX,
			    v[i]->key);
			if (symlinkat(dest, t->fd, v[i]->key) == 0)
				continue;
		}
		if (ensure_key_link(t->fd, v[i]->key) == -1)
			return tgt_fail(t, "linking key", v[i]->key, errno);
	}
	return TARGET_OK;
}

/*
 * Undoes the key links of a staged write: removes the links of keys that
 * the old data directory old ("" if none) does not hold.
 */
static void
unlink_new_keys(struct tgt *t, const char *old)
{
	int	dfd = -1, made;

	if (old[0] != '\0' && (dfd = open_subdir(t->fd, old, 0, &made)) == -1)
		return;
	if (prune_key_links(t->fd, dfd) == -1)
		log_warn("target %s/%s: removing links of new keys", t->ns,
		    t->name);
	if (dfd != -1)
		close(dfd);
}

/* No link for keys gone from data directory dname. */
static int
prune_keys(struct tgt *t, const char *dname)
{
	int	dfd, made, r = TARGET_OK;

	dfd = open_subdir(t->fd, dname, 0, &made);
	if (dfd == -1)
		return tgt_fail(t, "opening data directory", NULL, errno);
	if (prune_key_links(t->fd, dfd) == -1)
		r = tgt_fail(t, "removing links of old keys", NULL, errno);
	close(dfd);
	return r;
}

/*
 * The process's umask, read from /proc/self/status: umask(2) cannot read it
 * without setting it, which would race with other threads creating files.
 * 0777 when it cannot be read, so that modes are then always forced.
 */
static mode_t
proc_umask(void)
{
	FILE		*fp;
	char		 line[128];
	unsigned	 m;
	mode_t		 r = 0777;

	if ((fp = fopen("/proc/self/status", "re")) == NULL)
		return r;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (sscanf(line, "Umask: %o", &m) == 1) {
			r = (mode_t)(m & 0777);
			break;
		}
	fclose(fp);
	return r;
}

static void	clean_target(int fd, const char *cur, const char *label);

/*
 * Switches a target back to its old data directory old ("" if none) after
 * a failure that followed the switch, removes the new one and repairs the
 * links; best effort.
 */
static void
roll_back(struct tgt *t, const char *old)
{
	char	label[NS_MAX + NAME_MAX_LEN + 2];

	snprintf(label, sizeof(label), "%s/%s", t->ns, t->name);
	if (old[0] != '\0' ? put_link(t->fd, old, DATA_TMP, DATA_LINK) == -1 :
	    unlinkat(t->fd, DATA_LINK, 0) == -1)
		log_warn("target %s: switching back to the old version",
		    label);
	clean_target(t->fd, old, label);
}

/*
 * Opens the output directory, creating it 0700 when missing (an existing
 * one keeps the mode its operator gave it).  The caller owns the result and
 * frees it with target_close.  NULL with a message in err on failure.
 */
struct target_root *
target_open(const char *dir, char *err, size_t errlen)
{
	struct target_root	*root;
	int			 made = 0;

	euid = geteuid();
	mode_exact = (proc_umask() & 0700) == 0;
	if (mkdir(dir, DIR_MODE) == 0)
		made = 1;
	else if (errno != EEXIST) {
		snprintf(err, errlen, "output directory %s: %s", dir,
		    strerror(errno));
		return NULL;
	}
	if ((root = calloc(1, sizeof(*root))) == NULL ||
	    (root->path = strdup(dir)) == NULL) {
		snprintf(err, errlen, "output directory %s: %s", dir,
		    strerror(errno));
		free(root);
		return NULL;
	}
	root->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root->fd == -1 || (made && fchmod(root->fd, DIR_MODE) == -1)) {
		snprintf(err, errlen, "output directory %s: %s", dir,
		    strerror(errno));
		target_close(root);
		return NULL;
	}
	return root;
}

/* Closes and frees root; NULL is a no-op. */
void
target_close(struct target_root *root)
{
	if (root == NULL)
		return;
	if (root->fd != -1)
		close(root->fd);
	free(root->path);
	free(root);
}

/*
 * Batches.  A batch holds its writes' target directories open from stage
 * to clean-up, and each namespace directory once.
 */
#define ITEM_DONE	0	/* nothing (more) to do; see rc */
#define ITEM_STAGED	1
#define ITEM_SWITCHED	2

struct bitem {
	struct tgt	 t;
	char		 ns[NS_MAX + 1];
	char		 name[NAME_MAX_LEN + 1];
	int		 state;		/* ITEM_* */
	int		 rc;		/* TARGET_OK or TARGET_ERR */
	int		 fresh;		/* this write made the directory */
	int		 owner_staged;	/* ..owner_tmp is written */
	int		 owner_direct;	/* fresh: ..owner itself is */
	dev_t		 dev;		/* of the target directory */
	char		 old[NAME_MAX + 1];	/* ..data before; "" */
	char		 dname[NAME_MAX + 1];	/* staged; "" none */
	char		 err[TARGET_ERR_MAX];
};

struct bns {
	char		 name[NS_MAX + 1];
	int		 fd;
	dev_t		 dev;
};

struct target_batch {
	struct target_root *root;
	struct bitem	**items;	/* each on its own: t points into it */
	size_t		 n;
	size_t		 cap;
	struct bns	*ns;
	size_t		 nns;
	size_t		 nscap;
};

/* A new, empty batch of writes under root; NULL when out of memory. */
struct target_batch *
target_batch_new(struct target_root *root)
{
	struct target_batch	*b;

	if ((b = calloc(1, sizeof(*b))) != NULL)
		b->root = root;
	return b;
}

/*
 * The namespace directory of t, opened or created once per batch; its
 * device goes to *dev.
 */
static int
batch_nsfd(struct target_batch *b, struct tgt *t, dev_t *dev)
{
	struct bns	*nv;
	struct stat	 st;
	size_t		 i, ncap;
	int		 fd, r;

	for (i = 0; i < b->nns; i++)
		if (strcmp(b->ns[i].name, t->ns) == 0) {
			*dev = b->ns[i].dev;
			return b->ns[i].fd;
		}
	if (b->nns == b->nscap) {
		ncap = b->nscap ? b->nscap * 2 : 8;
		if ((nv = reallocarray(b->ns, ncap, sizeof(*nv))) == NULL) {
			tgt_fail(t, "allocating", NULL, errno);
			return -1;
		}
		b->ns = nv;
		b->nscap = ncap;
	}
	if ((r = open_level(t, b->root->fd, t->ns, 1, "namespace", &fd,
	    NULL, dev)) != TARGET_OK)
		return -1;
	if (*dev == 0) {
		if (fstat(fd, &st) == -1) {
			tgt_fail(t, "opening namespace directory", NULL, errno);
			close(fd);
			return -1;
		}
		*dev = st.st_dev;
	}
	snprintf(b->ns[b->nns].name, sizeof(b->ns[b->nns].name), "%s",
	    t->ns);
	b->ns[b->nns].dev = *dev;
	b->ns[b->nns++].fd = fd;
	return fd;
}

/* A new item, its names copied; NULL when out of memory. */
static struct bitem *
batch_item(struct target_batch *b, const char *ns, const char *name,
    size_t *slot)
{
	struct bitem	*it, **nv;
	size_t		 ncap;

	if (b->n == b->cap) {
		ncap = b->cap ? b->cap * 2 : 16;
		if ((nv = reallocarray(b->items, ncap, sizeof(*nv))) == NULL)
			return NULL;
		b->items = nv;
		b->cap = ncap;
	}
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return NULL;
	*slot = b->n;
	b->items[b->n++] = it;
	snprintf(it->ns, sizeof(it->ns), "%s", ns != NULL ? ns : "");
	snprintf(it->name, sizeof(it->name), "%s", name != NULL ? name : "");
	it->t.ns = ns != NULL && strlen(ns) < sizeof(it->ns) ? it->ns : ns;
	it->t.name = name != NULL && strlen(name) < sizeof(it->name) ?
	    it->name : name;
	it->t.nsfd = it->t.fd = -1;
	it->t.err = it->err;
	it->t.errlen = sizeof(it->err);
	it->rc = TARGET_OK;
	return it;
}

/*
 * Reads the owner record under fd into buf and *creation.  TARGET_OK,
 * TARGET_ABSENT, or TARGET_ERR (unreadable or malformed: the caller must
 * not treat the target as orphaned, nor as someone else's).
 */
static int	read_owner(int fd, char *buf, size_t len, int *creation);

/*
 * Stages the owner record "owner" (creation) in ..owner_tmp unless ..owner
 * already says so; in a directory this write made, ..owner is written
 * directly, as nothing can read it before ..data exists.  TARGET_OK,
 * TARGET_OWNED when exclusive is set and ..owner names another owner, or
 * TARGET_ERR.
 *
 * The record is the target of a symbolic link, "owner:creation": one
 * call makes it, with no file content to allocate, and it is replaced by
 * rename(2) as a file would be.  It names an ExternalSecret, nothing
 * secret.  A record in a regular file, as earlier versions wrote it, is
 * still read, and replaced by a link at the next change.
 */
static int
stage_owner(struct bitem *it, const char *owner, int creation,
    int exclusive)
{
	char	buf[OWNER_MAX], cur[NS_MAX + NAME_MAX_LEN + 2];
	int	n, ccur;

	n = snprintf(buf, sizeof(buf), "%s:%d", owner, creation);
	if (n < 0 || (size_t)n >= sizeof(buf) || strchr(owner, '\n'))
		return tgt_fail(&it->t, "recording owner", NULL, EINVAL);
	if (it->fresh) {
		if (symlinkat(buf, it->t.fd, OWNER_FILE) == -1)
			return tgt_fail(&it->t, "writing " OWNER_FILE, NULL,
			    errno);
		it->owner_direct = 1;
		return TARGET_OK;
	}
	switch (read_owner(it->t.fd, cur, sizeof(cur), &ccur)) {
	case TARGET_OK:
		if (strcmp(cur, owner) != 0 && exclusive) {
			snprintf(it->err, sizeof(it->err), "target %s/%s is "
			    "owned by externalsecret %s", it->t.ns,
			    it->t.name, cur);
			return TARGET_OWNED;
		}
		if (strcmp(cur, owner) == 0 && ccur == creation)
			return TARGET_OK;
		break;
	case TARGET_ABSENT:
		break;
	default:
		log_warnx("target %s/%s: " OWNER_FILE " is unreadable or "
		    "malformed; rewriting it", it->t.ns, it->t.name);
		break;
	}
	if (unlinkat(it->t.fd, OWNER_TMP, 0) == -1 && errno != ENOENT)
		return tgt_fail(&it->t, "removing " OWNER_TMP, NULL, errno);
	if (symlinkat(buf, it->t.fd, OWNER_TMP) == -1)
		return tgt_fail(&it->t, "writing " OWNER_TMP, NULL, errno);
	it->owner_staged = 1;
	return TARGET_OK;
}

/* Undoes what stage did for it: the new data directory, links, owner. */
static void
item_abort(struct bitem *it)
{
	if (it->owner_staged)
		unlinkat(it->t.fd, OWNER_TMP, 0);
	if (it->owner_direct)
		unlinkat(it->t.fd, OWNER_FILE, 0);
	it->owner_staged = it->owner_direct = 0;
	if (it->dname[0] != '\0') {
		if (remove_data_dir(it->t.fd, it->dname) == -1)
			log_warn("target %s/%s: removing unfinished data "
			    "directory", it->t.ns, it->t.name);
		unlink_new_keys(&it->t, it->old);
	}
	it->dname[0] = '\0';
}

static void
item_fail(struct bitem *it, const char *step, int e)
{
	item_abort(it);
	tgt_fail(&it->t, step, NULL, e);
	it->rc = TARGET_ERR;
	it->state = ITEM_DONE;
}

/*
 * Stages the write req describes for the batch; see the steps at the top.
 * TARGET_OK (staged, or nothing to change) with *slot set for
 * target_batch_result, TARGET_OWNED when req->exclusive is set and the
 * target's owner record names another owner, or TARGET_ERR; err says why.
 */
int
target_batch_stage(struct target_batch *b, const struct target_req *req,
    size_t *slot, char *err, size_t errlen)
{
	const struct target_data  *data = req->data;
	const struct result_item **v = NULL;
	struct bitem		   *it;
	dev_t			   nsdev;
	int			   r, c;

	if ((it = batch_item(b, req->ns, req->name, slot)) == NULL) {
		snprintf(err, errlen, "target %s/%s: %s", req->ns, req->name,
		    strerror(ENOMEM));
		return TARGET_ERR;
	}
	if ((r = tgt_check(&it->t)) != TARGET_OK)
		goto fail;
	if (data != NULL && (r = check_items(&it->t, data, &v)) != TARGET_OK)
		goto fail;
	if ((it->t.nsfd = batch_nsfd(b, &it->t, &nsdev)) == -1) {
		r = TARGET_ERR;
		goto fail;
	}
	/* A directory made now is on its parent's file system. */
	if ((r = open_level(&it->t, it->t.nsfd, it->t.name, 1, "target",
	    &it->t.fd, &it->fresh, &it->dev)) != TARGET_OK)
		goto fail;
	if (it->dev == 0)
		it->dev = nsdev;
	if (req->owner != NULL && (r = stage_owner(it, req->owner,
	    req->creation, req->exclusive)) != TARGET_OK)
		goto fail;
	if (data == NULL)
		goto staged;
	c = it->fresh ? 0 : current_data(it->t.fd, it->old, sizeof(it->old));
	if (c == -1) {
		r = tgt_fail(&it->t, "reading " DATA_LINK, NULL, errno);
		goto fail;
	}
	if (c == 0)
		it->old[0] = '\0';
	else if (unchanged(&it->t, it->old, v, data->nitems))
		goto staged;
	if (make_data_dir(it->t.fd, it->dname, sizeof(it->dname)) == -1) {
		it->dname[0] = '\0';
		r = tgt_fail(&it->t, "creating data directory", NULL, errno);
		goto fail;
	}
	if ((r = fill_data_dir(&it->t, it->dname, v, data->nitems)) !=
	    TARGET_OK || (r = link_keys(&it->t, v, data->nitems,
	    it->fresh)) != TARGET_OK)
		goto fail;
 staged:
	free(v);
	it->state = it->owner_staged || it->owner_direct ||
	    it->dname[0] != '\0' ? ITEM_STAGED : ITEM_DONE;
	return TARGET_OK;
 fail:
	free(v);
	item_abort(it);
	it->rc = TARGET_ERR;
	it->state = ITEM_DONE;
	snprintf(err, errlen, "%s", it->err);
	return r;
}

/*
 * The barrier: every write so far to the file systems holding the batch's
 * items in state reaches the disk.  One syncfs(2) a file system, usually
 * one in all (a namespace or target directory may be a mount point); on
 * tmpfs it costs nothing.
 */
static int
batch_sync(struct target_batch *b, int state)
{
	struct bitem	*it;
	size_t		 i, j;
	int		 seen;

	for (i = 0; i < b->n; i++) {
		it = b->items[i];
		if (it->state != state)
			continue;
		for (j = seen = 0; j < i && !seen; j++)
			seen = b->items[j]->state == state &&
			    b->items[j]->dev == it->dev;
		if (!seen && syncfs(it->t.fd) == -1)
			return -1;
	}
	return 0;
}

/* Step 3 for one staged item. */
static void
item_switch(struct bitem *it)
{
	if (it->owner_staged &&
	    renameat(it->t.fd, OWNER_TMP, it->t.fd, OWNER_FILE) == -1) {
		item_fail(it, "writing " OWNER_FILE, errno);
		return;
	}
	it->owner_staged = it->owner_direct = 0;
	if (it->dname[0] != '\0' && (it->fresh ? symlinkat(it->dname,
	    it->t.fd, DATA_LINK) : put_link(it->t.fd, it->dname, DATA_TMP,
	    DATA_LINK)) == -1) {
		item_fail(it, "switching " DATA_LINK, errno);
		return;
	}
	it->state = ITEM_SWITCHED;
}

/* Step 5 for one switched item. */
static void
item_clean(struct bitem *it)
{
	char	err[TARGET_ERR_MAX];
	struct tgt t = it->t;

	it->state = ITEM_DONE;
	if (it->dname[0] == '\0' || it->fresh)
		return;
	t.err = err;
	t.errlen = sizeof(err);
	if (prune_keys(&t, it->dname) != TARGET_OK)
		log_warnx("%s", err);
	if (it->old[0] != '\0' && strcmp(it->old, it->dname) != 0 &&
	    remove_data_dir(it->t.fd, it->old) == -1)
		log_warn("target %s/%s: removing old data directory",
		    it->t.ns, it->t.name);
}

/*
 * Makes every staged write of the batch durable and visible: barrier,
 * switch, barrier, clean-up.  A failed barrier fails every write of the
 * batch and leaves each target's old version: before the switch by
 * removing what was staged, after it by switching back.
 */
void
target_batch_commit(struct target_batch *b)
{
	struct bitem	*it;
	size_t		 i, staged = 0;
	int		 e;

	for (i = 0; i < b->n; i++)
		staged += b->items[i]->state == ITEM_STAGED;
	if (staged == 0)
		return;
	if (batch_sync(b, ITEM_STAGED) == -1) {
		e = errno;
		for (i = 0; i < b->n; i++)
			if (b->items[i]->state == ITEM_STAGED)
				item_fail(b->items[i], "syncing staged "
				    "files", e);
		return;
	}
	for (i = 0; i < b->n; i++)
		if (b->items[i]->state == ITEM_STAGED)
			item_switch(b->items[i]);
	if (batch_sync(b, ITEM_SWITCHED) == -1) {
		e = errno;
		for (i = 0; i < b->n; i++) {
			it = b->items[i];
			if (it->state != ITEM_SWITCHED)
				continue;
			if (it->dname[0] != '\0')
				roll_back(&it->t, it->old);
			tgt_fail(&it->t, "syncing the switch", NULL, e);
			it->rc = TARGET_ERR;
			it->state = ITEM_DONE;
			it->dname[0] = '\0';
		}
		return;
	}
	for (i = 0; i < b->n; i++)
		if (b->items[i]->state == ITEM_SWITCHED)
			item_clean(b->items[i]);
}

/*
 * The outcome of the write in slot once the batch is committed: TARGET_OK
 * with *changed telling whether the content changed, or TARGET_ERR with a
 * message in err.
 */
int
target_batch_result(struct target_batch *b, size_t slot, int *changed,
    char *err, size_t errlen)
{
	struct bitem	*it;

	*changed = 0;
	if (slot >= b->n) {
		snprintf(err, errlen, "target: no such write");
		return TARGET_ERR;
	}
	it = b->items[slot];
	if (it->state != ITEM_DONE) {
		snprintf(err, errlen, "target %s/%s: not committed",
		    it->t.ns, it->t.name);
		return TARGET_ERR;
	}
	if (it->rc != TARGET_OK) {
		snprintf(err, errlen, "%s", it->err);
		return TARGET_ERR;
	}
	*changed = it->dname[0] != '\0';
	return TARGET_OK;
}

/* Frees b; a write staged and not committed is undone. */
void
target_batch_free(struct target_batch *b)
{
	size_t	i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		if (b->items[i]->state == ITEM_STAGED)
			item_abort(b->items[i]);
		if (b->items[i]->t.fd != -1)
			close(b->items[i]->t.fd);
		free(b->items[i]);
	}
	for (i = 0; i < b->nns; i++)
		close(b->ns[i].fd);
	free(b->items);
	free(b->ns);
	free(b);
}

/* A batch of one write: stage, commit, result. */
static int
write_one(struct target_root *root, const struct target_req *req,
    int *changed, char *err, size_t errlen)
{
	struct target_batch	*b;
	size_t			 slot;
	int			 r, c = 0;

	if ((b = target_batch_new(root)) == NULL) {
		snprintf(err, errlen, "target %s/%s: %s", req->ns, req->name,
		    strerror(ENOMEM));
		return TARGET_ERR;
	}
	r = target_batch_stage(b, req, &slot, err, errlen);
	if (r == TARGET_OK) {
		target_batch_commit(b);
		r = target_batch_result(b, slot, &c, err, errlen);
	}
	target_batch_free(b);
	if (changed != NULL)
		*changed = c;
	return r;
}

/*
 * Writes ns/name atomically as a batch of one.  data is only read.
 * TARGET_OK with *changed set, or TARGET_ERR with the old version in place
 * and a message in err naming the target, the step and the cause.
 */
int
target_write(struct target_root *root, const char *ns, const char *name,
    const struct target_data *data, int *changed, char *err, size_t errlen)
{
	struct target_req	req = { ns, name, data, NULL, 0, 0 };

	return write_one(root, &req, changed, err, errlen);
}

/* Reads the regular file key under dfd into secure memory. */
static int
read_key(struct tgt *t, int dfd, const char *key, struct result_item *it,
    size_t *total)
{
	struct stat	st;
	int		fd, r = TARGET_ERR;

	fd = openat(dfd, key, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd == -1)
		return tgt_fail(t, "opening key", key, errno);
	if (fstat(fd, &st) == -1) {
		tgt_fail(t, "reading key", key, errno);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		tgt_fail(t, "reading key", key, EINVAL);
		goto done;
	}
	if ((uint64_t)st.st_size > RESULT_MAX_BYTES - *total) {
		tgt_fail(t, "reading key", key, EFBIG);
		goto done;
	}
	it->len = (size_t)st.st_size;
	if ((it->key = strdup(key)) == NULL ||
	    (it->data = xs_secure_alloc(it->len + 1)) == NULL) {
		tgt_fail(t, "allocating", NULL, ENOMEM);
		goto done;
	}
	errno = EIO;
	if (read_full(fd, it->data, it->len) != (ssize_t)it->len) {
		tgt_fail(t, "reading key", key, errno);
		goto done;
	}
	*total += it->len;
	r = TARGET_OK;
 done:
	close(fd);
	return r;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Key names of a data directory: a NULL-terminated, growing vector. */
struct names {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

static int
add_name(int fd, const char *name, void *arg)
{
	struct names	*nm = arg;
	char		**nv;

	if (!valid_key(name))
		return 0;
	if (nm->n + 1 >= nm->cap) {
		if (nm->cap >= RESULT_MAX_ITEMS)
			return E2BIG;
		nm->cap = nm->cap ? nm->cap * 2 : 16;
		if ((nv = realloc(nm->v, nm->cap * sizeof(*nv))) == NULL)
			return ENOMEM;
		nm->v = nv;
	}
	if ((nm->v[nm->n] = strdup(name)) == NULL)
		return ENOMEM;
	nm->v[++nm->n] = NULL;
	return 0;
}

static void
free_names(char **v)
{
	size_t	i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Lists the key names of a data directory, sorted; NULL-terminated. */
static char **
list_keys(int dfd, size_t *n)
{
	struct names	nm = { NULL, 0, 0 };

	*n = 0;
	if (each_entry(dfd, add_name, &nm) == -1) {
		free_names(nm.v);
		return NULL;
	}
	if (nm.v == NULL && (nm.v = calloc(1, sizeof(*nm.v))) == NULL)
		return NULL;
	qsort(nm.v, nm.n, sizeof(*nm.v), name_cmp);
	*n = nm.n;
	return nm.v;
}

/*
 * Reads the version of ns/name that ..data names, keys sorted, bytes in
 * secure memory; the caller frees out with target_data_free.  Bounded by
 * RESULT_MAX_ITEMS keys and RESULT_MAX_BYTES in all.  TARGET_OK,
 * TARGET_ABSENT (no target or no ..data) or TARGET_ERR.
 */
int
target_read(struct target_root *root, const char *ns, const char *name,
    struct target_data *out, char *err, size_t errlen)
{
	struct tgt	 t = { ns, name, -1, -1, err, errlen };
	char		 cur[NAME_MAX + 1], **keys = NULL;
	size_t		 n = 0, i, total = 0;
	int		 dfd = -1, made, r;

	memset(out, 0, sizeof(*out));
	if ((r = tgt_open(root, &t)) != TARGET_OK)
		goto done;
	if ((r = read_link(t.fd, DATA_LINK, cur, sizeof(cur))) != 1) {
		r = r == 0 ? TARGET_ABSENT :
		    tgt_fail(&t, "reading " DATA_LINK, NULL, errno);
		goto done;
	}
	if (!is_data_dir_name(cur)) {
		r = tgt_fail(&t, DATA_LINK, "names no data directory",
		    EINVAL);
		goto done;
	}
	if ((dfd = open_subdir(t.fd, cur, 0, &made)) == -1 ||
	    (keys = list_keys(dfd, &n)) == NULL) {
		r = tgt_fail(&t, "opening data directory", NULL, errno);
		goto done;
	}
	if ((out->items = calloc(n + 1, sizeof(*out->items))) == NULL) {
		r = tgt_fail(&t, "allocating", NULL, errno);
		goto done;
	}
	for (i = 0; i < n; i++) {
		out->nitems++;
		if ((r = read_key(&t, dfd, keys[i], &out->items[i],
		    &total)) != TARGET_OK)
			goto done;
	}
	r = TARGET_OK;
 done:
	if (r != TARGET_OK)
		target_data_free(out);
	free_names(keys);
	if (dfd != -1)
		close(dfd);
	tgt_close(&t);
	return r;
}

/* Frees what target_read returned; the bytes are zeroed. */
void
target_data_free(struct target_data *d)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nitems && d->items != NULL; i++) {
		free(d->items[i].key);
		xs_secure_free(d->items[i].data);
	}
	free(d->items);
	d->items = NULL;
	d->nitems = 0;
}

/* Removes every entry of the target directory; data directories too. */
static int
remove_entry(int fd, const char *name, void *arg)
{
	struct stat	st;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : errno;
	if (S_ISDIR(st.st_mode) && is_data_dir_name(name))
		return remove_data_dir(fd, name) == -1 ? errno : 0;
	return unlink_entry(fd, name, NULL);
}

static int
empty_target_dir(int fd)
{
	return each_entry(fd, remove_entry, NULL);
}

/*
 * Removes ns/name: its links, data directories, owner record and directory.
 * The namespace directory stays, so that a concurrent write of another
 * target in it never loses its parent.  A foreign directory inside the
 * target makes it fail with the rest removed.
 */
int
target_delete(struct target_root *root, const char *ns, const char *name,
    char *err, size_t errlen)
{
	struct tgt	t = { ns, name, -1, -1, err, errlen };
	int		r;

	if ((r = tgt_open(root, &t)) != TARGET_OK)
		goto done;
	if (unlinkat(t.fd, DATA_LINK, 0) == -1 && errno != ENOENT) {
		r = tgt_fail(&t, "removing " DATA_LINK, NULL, errno);
		goto done;
	}
	if (empty_target_dir(t.fd) == -1) {
		r = tgt_fail(&t, "removing entries", NULL, errno);
		goto done;
	}
	if (unlinkat(t.nsfd, name, AT_REMOVEDIR) == -1) {
		r = tgt_fail(&t, "removing target directory", NULL, errno);
		goto done;
	}
	if (fsync(t.nsfd) == -1) {
		r = tgt_fail(&t, "fsync of namespace directory", NULL, errno);
		goto done;
	}
	r = TARGET_OK;
 done:
	tgt_close(&t);
	return r;
}

struct subdirs {
	int	(*valid)(const char *);
	void	(*fn)(int fd, const char *name, void *arg);
	void	*arg;
};

static int
visit_subdir(int fd, const char *name, void *arg)
{
	struct subdirs	*sd = arg;
	struct stat	 st;
	int		 sub, made;

	if (!sd->valid(name) || fstatat(fd, name, &st,
	    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(st.st_mode))
		return 0;
	if ((sub = open_subdir(fd, name, 0, &made)) == -1)
		return 0;
	sd->fn(sub, name, sd->arg);
	close(sub);
	return 0;
}

/*
 * Calls fn for every directory under fd whose name passes valid; the
 * directory is opened (mode tightened) and handed to fn.
 */
static void
each_subdir(int fd, int (*valid)(const char *),
    void (*fn)(int fd, const char *name, void *arg), void *arg)
{
	struct subdirs	sd = { valid, fn, arg };

	(void)each_entry(fd, visit_subdir, &sd);
}

struct list_arg {
	void		(*fn)(const char *, const char *, void *);
	void		*arg;
	const char	*ns;
};

static void
list_name(int fd, const char *name, void *arg)
{
	struct list_arg	*la = arg;

	la->fn(la->ns, name, la->arg);
}

static void
list_ns(int fd, const char *ns, void *arg)
{
	struct list_arg	*la = arg;

	la->ns = ns;
	each_subdir(fd, valid_name, list_name, la);
}

/*
 * Calls fn for each target directory DIR/<ns>/<name> with valid names that
 * is a real directory of ours.  Always 0.
 */
int
target_list(struct target_root *root,
    void (*fn)(const char *ns, const char *name, void *arg), void *arg)
{
	struct list_arg	la = { fn, arg, NULL };

	each_subdir(root->fd, valid_ns, list_ns, &la);
	return 0;
}

/* Tightens the modes of the current data directory and its files. */
static int
tighten_file(int fd, const char *name, void *arg)
{
	int	kfd;

	kfd = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (kfd != -1) {
		(void)fix_mode(kfd, FILE_MODE, NULL);
		close(kfd);
	}
	return 0;
}

/* Links key name of data directory dfd in the target directory *arg. */
static int
link_entry(int dfd, const char *name, void *arg)
{
	int	fd = *(int *)arg;

	if (!valid_key(name))
		return 0;
	(void)tighten_file(dfd, name, NULL);
	return ensure_key_link(fd, name) == -1 ? errno : 0;
}

struct clean {
	const char	*cur;		/* current data directory or "" */
	const char	*label;		/* "ns/name", for messages */
};

/* Removes one entry of a target directory if it is a temporary. */
static int
clean_entry(int fd, const char *name, void *arg)
{
	struct clean	*c = arg;
	struct stat	 st;

	if (strcmp(name, DATA_TMP) == 0 || strcmp(name, KEY_TMP) == 0 ||
	    strcmp(name, OWNER_TMP) == 0) {
		if (unlinkat(fd, name, 0) == -1)
			log_warn("target %s: removing %s", c->label, name);
	} else if (strcmp(name, OWNER_FILE) == 0)
		(void)tighten_file(fd, name, NULL);
	else if (is_data_dir_name(name) && strcmp(name, c->cur) != 0 &&
	    fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode) && remove_data_dir(fd, name) == -1)
		log_warn("target %s: removing %s", c->label, name);
	return 0;
}

/* Removes the temporaries of one target and repairs its key links. */
static void
clean_target(int fd, const char *cur, const char *label)
{
	struct clean	c = { cur, label };
	int		dfd = -1, made;

	(void)each_entry(fd, clean_entry, &c);
	if (cur[0] != '\0' && (dfd = open_subdir(fd, cur, 0, &made)) != -1 &&
	    each_entry(dfd, link_entry, &fd) == -1)
		log_warn("target %s: linking keys", label);
	if (prune_key_links(fd, dfd) == -1)
		log_warn("target %s: removing stale links", label);
	if (dfd != -1)
		close(dfd);
	if (fsync(fd) == -1)
		log_warn("target %s: fsync", label);
}

static void
cleanup_name(int fd, const char *name, void *arg)
{
	char	cur[NAME_MAX + 1], label[NS_MAX + NAME_MAX_LEN + 2];

	snprintf(label, sizeof(label), "%s/%s", (const char *)arg, name);
	if (current_data(fd, cur, sizeof(cur)) != 1)
		cur[0] = '\0';
	clean_target(fd, cur, label);
}

static void
cleanup_ns(int fd, const char *ns, void *arg)
{
	each_subdir(fd, valid_name, cleanup_name, (void *)ns);
}

/*
 * For every target: removes the temporaries of an interrupted write, the
 * data directories ..data does not name, links of keys that are gone;
 * restores missing key links; tightens modes.  Problems are logged; call it
 * at start-up, before any write.
 */
void
target_cleanup(struct target_root *root)
{
	each_subdir(root->fd, valid_ns, cleanup_ns, NULL);
}

/*
 * Records owner ("ns/name", no newline) and the creation policy in
 * ns/name/..owner, replaced atomically; creates the target directory if
 * needed.  TARGET_OK or TARGET_ERR with a message in err.
 */
int
target_set_owner(struct target_root *root, const char *ns, const char *name,
    const char *owner, int creation, char *err, size_t errlen)
{
	struct target_req	req = { ns, name, NULL, owner, creation, 0 };

	return write_one(root, &req, NULL, err, errlen);
}

/*
 * Parses the owner record in buf into out and *creation: "owner:creation"
 * from a link, "owner\ncreation\n" from a file of earlier versions.
 * 0 or -1.
 */
static int
parse_owner(char *buf, int link, char *out, size_t len, int *creation)
{
	char		*sep, *end;
	long		 v;

	sep = link ? strrchr(buf, ':') : strchr(buf, '\n');
	if (sep == NULL || sep == buf || (link && strchr(buf, '\n')))
		return -1;
	*sep++ = '\0';
	if ((size_t)(sep - buf) > len)
		return -1;
	errno = 0;
	v = strtol(sep, &end, 10);
	if (errno != 0 || end == sep || strcmp(end, link ? "" : "\n") != 0 ||
	    v < INT_MIN || v > INT_MAX)
		return -1;
	memcpy(out, buf, (size_t)(sep - buf));
	*creation = (int)v;
	return 0;
}

/* The link, or the regular file of earlier versions; see stage_owner. */
static int
read_owner(int tfd, char *buf, size_t len, int *creation)
{
	char		 content[OWNER_MAX + 1];
	ssize_t		 n;
	int		 fd, r, link = 1;

	n = readlinkat(tfd, OWNER_FILE, content, sizeof(content) - 1);
	if (n == -1 && errno != EINVAL)
		return errno == ENOENT ? TARGET_ABSENT : TARGET_ERR;
	if (n == -1) {
		link = 0;
		fd = openat(tfd, OWNER_FILE, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd == -1)
			return errno == ENOENT ? TARGET_ABSENT : TARGET_ERR;
		n = read_full(fd, content, sizeof(content) - 1);
		close(fd);
	}
	if (n == -1)
		return TARGET_ERR;
	content[n] = '\0';
	r = (size_t)n == strlen(content) &&
	    parse_owner(content, link, buf, len, creation) == 0;
	return r ? TARGET_OK : TARGET_ERR;
}

/*
 * Reads the owner record of ns/name into buf (NUL-terminated) and
 * *creation.  TARGET_OK, TARGET_ABSENT when there is none, TARGET_ERR (and
 * a warning logged) when it cannot be read, is malformed or does not fit:
 * a caller must then not treat the target as orphaned.
 */
int
target_owner(struct target_root *root, const char *ns, const char *name,
    char *buf, size_t len, int *creation)
{
	char		 err[256];
	struct tgt	 t = { ns, name, -1, -1, err, sizeof(err) };
	int		 r;

	if ((r = tgt_open(root, &t)) != TARGET_OK)
		goto done;
	if ((r = read_owner(t.fd, buf, len, creation)) == TARGET_ERR)
		tgt_fail(&t, OWNER_FILE, "is unreadable or malformed", EINVAL);
 done:
	if (r == TARGET_ERR)
		log_warnx("%s", err);
	tgt_close(&t);
	return r;
}
