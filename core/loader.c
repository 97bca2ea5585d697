/*
 * The provider loader.
 *
 * A provider is "<name>.so" in the provider directory, loaded by absolute
 * path.  Everything that can be checked without running the module's code
 * is checked first, because opening a shared object runs its constructors:
 *
 *   1. the path is absolute and its file name is "<name>.so" with a valid
 *      provider name, not yet taken by an earlier module;
 *   2. the directory and each directory above it is owned by root or the
 *      daemon's user and is not group- or world-writable (a root-owned
 *      directory with the sticky bit, such as /tmp, is accepted above the
 *      module's own directory);
 *   3. the file itself is a regular file, not a symbolic link, with the
 *      same owner and mode rules.
 *
 * Then the module is opened with dlopen(RTLD_NOW | RTLD_LOCAL |
 * RTLD_NODELETE), so that an unresolved symbol fails here and not at the
 * first call (libltdl itself opens lazily), and with libltdl, local and
 * resident, without extension guessing or search paths.  Its entry
 * function returns a constant descriptor, which is checked (ABI version,
 * size, name, required functions, endpoint patterns) and copied into host
 * memory, zero-filled past the module's size, so that the rest of the
 * daemon may read every field of the current ABI.
 *
 * libltdl is not thread-safe: every call into it is made under loader_mu.
 * lt_dlexit is never called and no module is ever unloaded; a refused
 * module that was already opened stays mapped but unused.
 *
 * Each refusal is logged as exactly one line
 * "provider <path>: refused: <reason>".
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <ltdl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "http.h"
#include "log.h"

#define LOADER_MAX_MODULES	256
#define LOADER_MAX_ENDPOINTS	64
#define PROVIDER_NAME_MAX	63

/* The size of an ABI 1.0 descriptor: everything up to close. */
#define PROVIDER_MIN_SIZE \
	(offsetof(struct xs_provider, close) + sizeof(void (*)(void *)))

static pthread_mutex_t	loader_mu = PTHREAD_MUTEX_INITIALIZER;
static int		loader_ltdl_ok;

/* 1 when name is 1 to 63 characters of [a-z0-9_-]. */
static int
name_valid(const char *name, size_t len)
{
	return len > 0 && len <= PROVIDER_NAME_MAX &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") >= len;
}

/* The owner and mode rules for one file or directory.  0 or -1. */
static int
mode_ok(const struct stat *sb, const char *what, const char *path,
    int sticky_ok, char *why, size_t whylen)
{
	if (sb->st_uid != 0 && sb->st_uid != geteuid()) {
		snprintf(why, whylen, "%s %s is owned by uid %lu, neither "
		    "root nor the daemon's user", what, path,
		    (unsigned long)sb->st_uid);
		return -1;
	}
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !(sticky_ok && sb->st_uid == 0 && (sb->st_mode & S_ISVTX))) {
		snprintf(why, whylen, "%s %s is group- or world-writable",
		    what, path);
		return -1;
	}
	return 0;
}

/*
 * Checks dir (absolute) and every directory above it.  The directory
 * itself must be a real directory; the others are resolved.  0 or -1.
 */
static int
dir_ok(const char *dir, char *why, size_t whylen)
{
	struct stat	 sb;
	char		*real, *slash;
	int		 rc = -1, first = 1;

	if (lstat(dir, &sb) == -1) {
		snprintf(why, whylen, "directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(why, whylen, "%s is not a directory", dir);
		return -1;
	}
	if ((real = realpath(dir, NULL)) == NULL) {
		snprintf(why, whylen, "directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	for (;;) {
		if (stat(real[0] != '\0' ? real : "/", &sb) == -1) {
			snprintf(why, whylen, "directory %s: %s",
			    real[0] != '\0' ? real : "/", strerror(errno));
			goto done;
		}
		if (mode_ok(&sb, "directory", real[0] != '\0' ? real : "/",
		    !first, why, whylen) == -1)
			goto done;
		if (real[0] == '\0')
			break;
		first = 0;
		slash = strrchr(real, '/');
		*slash = '\0';
	}
	rc = 0;
 done:
	free(real);
	return rc;
}

/* The checks that need no code of the module.  0 or -1 with why. */
static int
file_ok(const char *path, char *name, size_t namelen, char *why,
    size_t whylen)
{
	struct stat	 sb;
	const char	*base;
	char		 dir[PATH_MAX];
	size_t		 len;

	if (path[0] != '/' || strlen(path) >= sizeof(dir)) {
		snprintf(why, whylen, "not an absolute path");
		return -1;
	}
	base = strrchr(path, '/') + 1;
	len = strlen(base);
	if (len < 4 || strcmp(base + len - 3, ".so") != 0 ||
	    !name_valid(base, len - 3) || len - 3 >= namelen) {
		snprintf(why, whylen, "file name is not <name>.so with a "
		    "name of 1 to %d characters [a-z0-9_-]",
		    PROVIDER_NAME_MAX);
		return -1;
	}
	memcpy(name, base, len - 3);
	name[len - 3] = '\0';
	memcpy(dir, path, (size_t)(base - path));
	dir[base - path - 1 > 0 ? base - path - 1 : 1] = '\0';
	if (dir_ok(dir, why, whylen) == -1)
		return -1;
	if (lstat(path, &sb) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (S_ISLNK(sb.st_mode)) {
		snprintf(why, whylen, "is a symbolic link");
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -1;
	}
	return mode_ok(&sb, "file", path, 0, why, whylen);
}

/* The endpoint patterns of d: bounded, each valid.  0 or -1. */
static int
endpoints_ok(const struct xs_provider *d, char *why, size_t whylen)
{
	size_t	i;

	for (i = 0; d->endpoints != NULL && d->endpoints[i] != NULL; i++) {
		if (i >= LOADER_MAX_ENDPOINTS) {
			snprintf(why, whylen, "more than %d endpoint "
			    "patterns", LOADER_MAX_ENDPOINTS);
			return -1;
		}
		if (!http_pattern_valid(d->endpoints[i]) ||
		    strncmp(d->endpoints[i], "http://", 7) == 0) {
			snprintf(why, whylen, "endpoint pattern %zu is not "
			    "[https://]host[:port|:*]", i);
			return -1;
		}
	}
	return 0;
}

/* Checks a descriptor against the host's ABI.  0 or -1 with why. */
static int
desc_ok(const struct xs_provider *d, const char *name, char *why,
    size_t whylen)
{
	if (d == NULL)
		snprintf(why, whylen, "%s returned NULL", XS_PROVIDER_ENTRY);
	else if (d->abi_major != XS_ABI_MAJOR)
		snprintf(why, whylen, "ABI major version %u, the host speaks "
		    "%u", d->abi_major, XS_ABI_MAJOR);
	else if (d->abi_minor > XS_ABI_MINOR)
		snprintf(why, whylen, "needs ABI %u.%u, the host has %u.%u",
		    d->abi_major, d->abi_minor, XS_ABI_MAJOR, XS_ABI_MINOR);
	else if (d->size < PROVIDER_MIN_SIZE)
		snprintf(why, whylen, "descriptor size %u is smaller than "
		    "ABI %u.0's %zu", d->size, XS_ABI_MAJOR,
		    PROVIDER_MIN_SIZE);
	else if (d->name == NULL ||
	    !name_valid(d->name, strnlen(d->name, PROVIDER_NAME_MAX + 1)))
		snprintf(why, whylen, "provider name is not 1 to %d "
		    "characters [a-z0-9_-]", PROVIDER_NAME_MAX);
	else if (strcmp(d->name, name) != 0)
		snprintf(why, whylen, "provider name \"%s\" does not match "
		    "the file name", d->name);
	else if (d->version == NULL)
		snprintf(why, whylen, "no version");
	else if (d->validate_store == NULL || d->auth == NULL ||
	    d->get_secret == NULL || d->close == NULL)
		snprintf(why, whylen, "required function %s missing",
		    d->validate_store == NULL ? "validate_store" :
		    d->auth == NULL ? "auth" :
		    d->get_secret == NULL ? "get_secret" : "close");
	else
		return endpoints_ok(d, why, whylen);
	return -1;
}

/* Opens path and gets its descriptor, under loader_mu.  0 or -1 + why. */
static int
module_open(const char *path, const struct xs_provider **out, char *why,
    size_t whylen)
{
	lt_dladvise		 advise;
	lt_dlhandle		 h = NULL;
	void			*dl, *sym;
	xs_provider_entry_fn	 entry;
	const char		*err;

	if (!loader_ltdl_ok) {
		if (lt_dlinit() != 0) {
			snprintf(why, whylen, "libltdl: %s", lt_dlerror());
			return -1;
		}
		loader_ltdl_ok = 1;
	}
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE)) ==
	    NULL) {
		err = dlerror();
		snprintf(why, whylen, "cannot load: %s", err != NULL ? err :
		    "unknown error");
		return -1;
	}
	if (lt_dladvise_init(&advise) == 0 &&
	    lt_dladvise_local(&advise) == 0 &&
	    lt_dladvise_resident(&advise) == 0)
		h = lt_dlopenadvise(path, advise);
	lt_dladvise_destroy(&advise);
	dlclose(dl);		/* libltdl holds it now; NODELETE anyway */
	if (h == NULL) {
		err = lt_dlerror();
		snprintf(why, whylen, "cannot load: %s", err != NULL ? err :
		    "unknown error");
		return -1;
	}
	if ((sym = lt_dlsym(h, XS_PROVIDER_ENTRY)) == NULL) {
		snprintf(why, whylen, "no %s symbol", XS_PROVIDER_ENTRY);
		return -1;
	}
	*(void **)&entry = sym;
	*out = entry();
	return 0;
}

/* Loads one module by absolute path; see host.h. */
int
loader_load_file(const char *path, struct provider *out, char *why,
    size_t whylen)
{
	const struct xs_provider	*d = NULL;
	struct xs_provider		*copy;
	char				 name[PROVIDER_NAME_MAX + 1];
	int				 rc;

	memset(out, 0, sizeof(*out));
	if (file_ok(path, name, sizeof(name), why, whylen) == -1)
		return -1;
	pthread_mutex_lock(&loader_mu);
	rc = module_open(path, &d, why, whylen);
	pthread_mutex_unlock(&loader_mu);
	if (rc == -1 || desc_ok(d, name, why, whylen) == -1)
		return -1;
	if ((copy = calloc(1, sizeof(*copy))) == NULL ||
	    (out->path = strdup(path)) == NULL) {
		free(copy);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	memcpy(copy, d, d->size < sizeof(*copy) ? d->size : sizeof(*copy));
	out->desc = copy;
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted "*.so" names of dir, at most LOADER_MAX_MODULES.  -1 + why. */
static int
scan_dir(const char *dir, char ***names, size_t *n, char *why,
    size_t whylen)
{
	DIR		*dp;
	struct dirent	*de;
	size_t		 len;
	char		*s;

	*names = NULL;
	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	*names = xcalloc(LOADER_MAX_MODULES, sizeof(char *));
	while ((de = readdir(dp)) != NULL) {
		len = strlen(de->d_name);
		if (len < 3 || strcmp(de->d_name + len - 3, ".so") != 0)
			continue;
		if (*n == LOADER_MAX_MODULES) {
			log_warnx("provider directory %s: more than %d "
			    "modules, the rest ignored", dir,
			    LOADER_MAX_MODULES);
			break;
		}
		s = xstrdup(de->d_name);
		(*names)[(*n)++] = s;
	}
	closedir(dp);
	qsort(*names, *n, sizeof(char *), name_cmp);
	return 0;
}

/* Loads or refuses one file of a directory scan. */
static void
load_one(const char *dir, const char *file, struct provider_set *out)
{
	struct provider	 p, *np;
	const struct provider *dup;
	char		 path[PATH_MAX], why[DIAG_MSG_MAX] = "";
	size_t		 len = strlen(file) - 3;
	char		 name[PROVIDER_NAME_MAX + 1];

	if (snprintf(path, sizeof(path), "%s%s%s", dir,
	    dir[strlen(dir) - 1] == '/' ? "" : "/", file) >=
	    (int)sizeof(path)) {
		log_warnx("provider %s/%s: refused: path too long", dir, file);
		return;
	}
	if (len <= PROVIDER_NAME_MAX) {
		memcpy(name, file, len);
		name[len] = '\0';
		if ((dup = loader_find(out, name)) != NULL) {
			log_warnx("provider %s: refused: duplicate provider "
			    "name \"%s\", already loaded from %s", path,
			    name, dup->path);
			return;
		}
	}
	if (loader_load_file(path, &p, why, sizeof(why)) == -1) {
		log_warnx("provider %s: refused: %s", path, why);
		return;
	}
	if ((np = reallocarray(out->providers, out->nproviders + 1,
	    sizeof(*np))) == NULL) {
		log_warnx("provider %s: refused: out of memory", path);
		free(p.path);
		free((void *)(uintptr_t)p.desc);
		return;
	}
	out->providers = np;
	out->providers[out->nproviders++] = p;
	log_info("provider %s: loaded %s version %s", path, p.desc->name,
	    p.desc->version);
}

/* Loads every "<name>.so" of dir into out; see host.h. */
int
loader_load_dir(const char *dir, struct provider_set *out)
{
	char	**names = NULL, why[DIAG_MSG_MAX] = "";
	size_t	  i, n = 0;

	if (dir == NULL || dir[0] != '/') {
		log_warnx("provider directory %s: refused: not an absolute "
		    "path", dir != NULL ? dir : "(none)");
		return -1;
	}
	if (dir_ok(dir, why, sizeof(why)) == -1 ||
	    scan_dir(dir, &names, &n, why, sizeof(why)) == -1) {
		log_warnx("provider directory %s: refused: %s", dir, why);
		return -1;
	}
	for (i = 0; i < n; i++) {
		load_one(dir, names[i], out);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* The provider called name in set, or NULL. */
const struct provider *
loader_find(const struct provider_set *set, const char *name)
{
	size_t	i;

	for (i = 0; set != NULL && i < set->nproviders; i++)
		if (strcmp(set->providers[i].desc->name, name) == 0)
			return &set->providers[i];
	return NULL;
}

/* Frees the set's bookkeeping; the modules stay loaded. */
void
loader_free(struct provider_set *set)
{
	size_t	i;

	for (i = 0; i < set->nproviders; i++) {
		free(set->providers[i].path);
		free((void *)(uintptr_t)set->providers[i].desc);
	}
	free(set->providers);
	memset(set, 0, sizeof(*set));
}
