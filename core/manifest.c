/*
 * Manifest loading: files and directories of YAML documents into the
 * resource model of model.h.
 *
 * A load walks the path (directories recursively, entries in byte order,
 * hidden entries skipped, symlinked directories never followed, at most
 * MANIFEST_MAX_FILES files and MANIFEST_MAX_DEPTH levels), reads each file
 * whole into secure memory (at most VALUE_MAX_FILE bytes), and hands it to
 * the YAML reader, which returns one value tree per document.  Each tree is
 * then read against the schema of its kind:
 *
 *	document -> kind dispatch -> metadata -> spec, field by field
 *
 * Every field is read by the type the schema expects (a plain `yes` is the
 * string "yes", and an error where a boolean is expected).  Each problem
 * becomes one struct manifest_error with the node's file:line:column and
 * the field path; a document with any error is dropped whole, and the rest
 * of the load goes on.  Objects of the same kind, namespace and name are
 * refused after the first, through a hash set of the names seen.
 *
 * All trees are built in secure memory: a document is known to be a Secret
 * only after it is parsed.  Error messages name fields and rules, never
 * values.
 *
 * A directory is walked first; its files are then loaded in parallel, each
 * into a set of its own (one thread per CPU, at most LOAD_THREADS), and the
 * sets are merged in walk order.  Names are checked for duplicates within
 * each file as it loads and across files as they merge, so the first object
 * of a name in walk order wins, as in a serial load.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "crypto.h"
#include "ere.h"
#include "log.h"
#include "manifest.h"
#include "yamldoc.h"

#define MANIFEST_MAX_FILES	100000
#define MANIFEST_MAX_DEPTH	32
#define MANIFEST_PATH_MAX	256	/* field paths in errors */
#define LOAD_THREADS		4	/* files parsed at once, at most */

#define API_V1			"external-secrets.io/v1"
#define API_V1BETA1		"external-secrets.io/v1beta1"
#define API_GROUP		"external-secrets.io/"

#define STORE_REFRESH_MS	(5 * 60 * 1000)
#define ES_REFRESH_MS		(60 * 60 * 1000)
#define MAX_SECONDS		(INT64_MAX / 1000)
#define MAX_RETRIES		1000000
#define MAX_BURST		1000000

/* One name seen, for duplicate detection: "Kind/ns/name". */
struct seen {
	char		*key;
	uint64_t	 hash;
};

struct walklist;

struct loadctx {
	struct manifest_set *set;
	struct walklist	*wl;		/* a walk collects files here */
	const char	*file;
	size_t		 nwalked;
	size_t		 cap_files, cap_stores, cap_ess, cap_secrets, cap_ns,
			 cap_errors;
	struct seen	*seen;
	size_t		 nseen, cap_seen;
	EVP_MD_CTX	*md;
	int		 stopped;	/* too many files */
};

/* The document being read. */
struct doc {
	struct loadctx		*lc;
	struct xs_value		*root;
	const char		*kind;
	const char		*ns;
	const char		*name;
	const char		*api;
	int			 nerr;
};

static const char *const creation_names[] = {
	"Owner", "Orphan", "Merge", "CreateOrMerge", "None", NULL
};
static const char *const deletion_names[] = {
	"Retain", "Delete", "Merge", NULL
};
static const char *const refresh_names[] = {
	"Periodic", "OnChange", "CreatedOnce", NULL
};
static const char *const decoding_names[] = {
	"None", "Base64", "Base64URL", "Auto", NULL
};
static const char *const conversion_names[] = {
	"Default", "Unicode", NULL
};
static const char *const metadata_names[] = { "None", "Fetch", NULL };
static const char *const store_kind_names[] = {
	"SecretStore", "ClusterSecretStore", NULL
};
static const char *const label_op_names[] = {
	"In", "NotIn", "Exists", "DoesNotExist", NULL
};

/* Grows an array of n elements of size sz to hold one more. */
static int
grow(void *arrp, size_t *cap, size_t n, size_t sz)
{
	void	**arr = arrp, *p;
	size_t	  ncap;

	if (n < *cap)
		return 0;
	ncap = *cap == 0 ? 16 : *cap * 2;
	if (ncap > SIZE_MAX / sz || (p = realloc(*arr, ncap * sz)) == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/*
 * A copy for an error field, with control characters replaced: names and
 * keys quoted in errors come from the manifest and must not forge lines.
 */
static char *
dup_or_empty(const char *s)
{
	char	*p, *c;

	p = xstrdup(s != NULL ? s : "");
	for (c = p; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return p;
}

/* Records one error.  Out of memory here is fatal: the set would lie. */
static void
add_error(struct loadctx *lc, const char *file, uint32_t line, uint32_t col,
    const char *kind, const char *ns, const char *name, const char *field,
    const char *msg)
{
	struct manifest_set	*set = lc->set;
	struct manifest_error	*e;

	if (grow(&set->errors, &lc->cap_errors, set->nerrors,
	    sizeof(*set->errors)) == -1)
		fatal("manifest errors");
	e = &set->errors[set->nerrors++];
	e->file = dup_or_empty(file);
	e->line = line;
	e->column = col;
	e->kind = dup_or_empty(kind);
	e->ns = dup_or_empty(ns);
	e->name = dup_or_empty(name);
	e->field = dup_or_empty(field);
	e->message = dup_or_empty(msg);
}

static void
doc_error(struct doc *d, const struct xs_value *at, const char *field,
    const char *fmt, ...) XS_PRINTF(4, 5);

/* An error about the node at (the document root when NULL). */
static void
doc_error(struct doc *d, const struct xs_value *at, const char *field,
    const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	if (at == NULL)
		at = d->root;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	add_error(d->lc, at->file ? at->file : d->lc->file, at->line,
	    at->column, d->kind, d->ns, d->name, field, msg);
	d->nerr++;
}

static const char *
pathf(char *buf, size_t len, const char *fmt, ...) XS_PRINTF(3, 4);

/* Formats a field path; a path too long for buf is cut short. */
static const char *
pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return buf;
}

/* "prefix.key", or "key" when prefix is empty. */
static const char *
fpath(char *buf, size_t len, const char *prefix, const char *key)
{
	return pathf(buf, len, "%s%s%s", prefix, *prefix ? "." : "", key);
}

static const char *
type_name(const struct xs_value *v)
{
	switch (v->type) {
	case XS_VALUE_MAP:
		return "a mapping";
	case XS_VALUE_SEQ:
		return "a list";
	default:
		return "a scalar";
	}
}

/* A plain scalar YAML reads as null: the field counts as absent. */
static int
is_null(const struct xs_value *v)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t	i;

	if (v->type == XS_VALUE_NULL)
		return 1;
	if (v->type != XS_VALUE_STRING || v->quoted)
		return 0;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(v->str, nulls[i]) == 0)
			return 1;
	return 0;
}

static const struct xs_value *
field(const struct xs_value *map, const char *key)
{
	const struct xs_value	*v = value_get(map, key);

	return v == NULL || is_null(v) ? NULL : v;
}

/*
 * Fetches map.key expecting type; *out is NULL when absent.  Returns -1
 * (and records an error) when the field is missing but required, or of
 * another type.
 */
static int
get_typed(struct doc *d, const struct xs_value *map, const char *key,
    const char *prefix, int type, int required, const struct xs_value **out)
{
	char			 path[MANIFEST_PATH_MAX];
	const struct xs_value	*v = field(map, key);
	static const char *const want[] = {
		[XS_VALUE_STRING] = "a string", [XS_VALUE_MAP] = "a mapping",
		[XS_VALUE_SEQ] = "a list",
	};

	*out = NULL;
	if (v == NULL) {
		if (!required)
			return 0;
		doc_error(d, map, fpath(path, sizeof(path), prefix, key),
		    "required field is missing");
		return -1;
	}
	if (v->type != type) {
		doc_error(d, v, fpath(path, sizeof(path), prefix, key),
		    "must be %s, not %s", want[type], type_name(v));
		return -1;
	}
	if (type == XS_VALUE_STRING && strlen(v->str) != v->len) {
		doc_error(d, v, fpath(path, sizeof(path), prefix, key),
		    "must not contain NUL bytes");
		return -1;
	}
	*out = v;
	return 0;
}

static int
get_str(struct doc *d, const struct xs_value *map, const char *key,
    const char *prefix, int required, char **out)
{
	const struct xs_value	*v;

	*out = NULL;
	if (get_typed(d, map, key, prefix, XS_VALUE_STRING, required,
	    &v) == -1)
		return -1;
	if (v != NULL)
		*out = xstrdup(v->str);
	return 0;
}

/* A plain scalar of the given text (YAML true/false, integers). */
static const char *
plain(const struct xs_value *v)
{
	if (v->type != XS_VALUE_STRING || v->quoted)
		return NULL;
	return v->str;
}

static int
get_bool(struct doc *d, const struct xs_value *map, const char *key,
    const char *prefix, int *out)
{
	char			 path[MANIFEST_PATH_MAX];
	const struct xs_value	*v = field(map, key);
	const char		*s;

	if (v == NULL)
		return 0;
	s = plain(v);
	if (s != NULL && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0))
		*out = 1;
	else if (s != NULL && (strcmp(s, "false") == 0 ||
	    strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0))
		*out = 0;
	else {
		doc_error(d, v, fpath(path, sizeof(path), prefix, key),
		    "must be true or false");
		return -1;
	}
	return 0;
}

/* Parses a plain decimal integer in [min, max]; 0 or -1. */
static int
parse_int(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || strspn(s, "+-0123456789") != strlen(s))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
get_int(struct doc *d, const struct xs_value *map, const char *key,
    const char *prefix, long long min, long long max, long long *out)
{
	char			 path[MANIFEST_PATH_MAX];
	const struct xs_value	*v = field(map, key);

	if (v == NULL)
		return 0;
	if (parse_int(plain(v), min, max, out) == -1) {
		doc_error(d, v, fpath(path, sizeof(path), prefix, key),
		    "must be an integer from %lld to %lld", min, max);
		return -1;
	}
	return 0;
}

/* An enum field: its index in names, or def when absent. */
static int
get_enum(struct doc *d, const struct xs_value *map, const char *key,
    const char *prefix, const char *const *names, int def, int *out)
{
	char			 path[MANIFEST_PATH_MAX], list[256];
	const struct xs_value	*v;
	size_t			 i, off = 0;

	*out = def;
	if (get_typed(d, map, key, prefix, XS_VALUE_STRING, 0, &v) == -1)
		return -1;
	if (v == NULL)
		return 0;
	for (i = 0; names[i] != NULL; i++) {
		if (strcmp(v->str, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
		    i ? ", " : "", names[i]);
		if (off >= sizeof(list))
			off = sizeof(list) - 1;
	}
	doc_error(d, v, fpath(path, sizeof(path), prefix, key),
	    "must be one of %s", list);
	return -1;
}

/* A mapping of strings to strings (labels, tags, matchLabels). */
static int
get_kvs(struct doc *d, const struct xs_value *map, const char *key,
    const char *prefix, struct kv **out, size_t *n)
{
	char			 path[MANIFEST_PATH_MAX];
	char			 sub[MANIFEST_PATH_MAX];
	const struct xs_value	*m;
	size_t			 i;
	int			 rc = 0;

	*out = NULL;
	*n = 0;
	if (get_typed(d, map, key, prefix, XS_VALUE_MAP, 0, &m) == -1)
		return -1;
	if (m == NULL || m->count == 0)
		return 0;
	fpath(path, sizeof(path), prefix, key);
	*out = xcalloc(m->count, sizeof(**out));
	for (i = 0; i < m->count; i++) {
		if (m->items[i]->type != XS_VALUE_STRING ||
		    strlen(m->items[i]->str) != m->items[i]->len) {
			fpath(sub, sizeof(sub), path, m->keys[i]);
			doc_error(d, m->items[i], sub, "must be a string");
			rc = -1;
			continue;
		}
		(*out)[*n].key = xstrdup(m->keys[i]);
		(*out)[*n].value = xstrdup(m->items[i]->str);
		(*out)[*n].len = m->items[i]->len;
		(*n)++;
	}
	return rc;
}

/* A list of strings. */
static int
get_strs(struct doc *d, const struct xs_value *map, const char *key,
    const char *prefix, char ***out, size_t *n)
{
	char			 path[MANIFEST_PATH_MAX];
	const struct xs_value	*s, *it;
	size_t			 i;
	int			 rc = 0;

	*out = NULL;
	*n = 0;
	if (get_typed(d, map, key, prefix, XS_VALUE_SEQ, 0, &s) == -1)
		return -1;
	if (s == NULL || s->count == 0)
		return 0;
	*out = xcalloc(s->count, sizeof(**out));
	for (i = 0; i < s->count; i++) {
		it = s->items[i];
		if (it->type != XS_VALUE_STRING || strlen(it->str) != it->len) {
			pathf(path, sizeof(path), "%s%s%s[%zu]", prefix,
			    *prefix ? "." : "", key, i);
			doc_error(d, it, path, "must be a string");
			rc = -1;
			continue;
		}
		(*out)[(*n)++] = xstrdup(it->str);
	}
	return rc;
}

static int
check_regex(struct doc *d, const struct xs_value *at, const char *path,
    const char *re)
{
	regex_t	r;
	char	why[128];

	if (ere_check(re, why, sizeof(why)) == -1) {
		doc_error(d, at, path, "regular expression %s", why);
		return -1;
	}
	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0) {
		doc_error(d, at, path, "invalid regular expression");
		return -1;
	}
	regfree(&r);
	return 0;
}

static void
free_kvs(struct kv *kv, size_t n, int secure)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(kv[i].key);
		if (secure)
			xs_secure_free(kv[i].value);
		else
			free(kv[i].value);
	}
	free(kv);
}

static void
free_strs(char **s, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

/*
 * Refuses a second object of the same kind, namespace and name.  Returns 0
 * when the name is new (and remembers it), -1 when it was seen.
 */
static int
seen_add(struct loadctx *lc, const char *kind, const char *ns,
    const char *name)
{
	char		*key;
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i, cap;
	struct seen	*tab;
	const char	*p;

	if (asprintf(&key, "%s/%s/%s", kind, ns, name) == -1)
		fatal("asprintf");
	for (p = key; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	if ((lc->nseen + 1) * 2 > lc->cap_seen) {
		cap = lc->cap_seen == 0 ? 256 : lc->cap_seen * 2;
		tab = xcalloc(cap, sizeof(*tab));
		for (i = 0; i < lc->cap_seen; i++) {
			struct seen	*e = &lc->seen[i], *slot;

			if (e->key == NULL)
				continue;
			for (slot = &tab[e->hash & (cap - 1)];
			    slot->key != NULL;
			    slot = &tab[(slot - tab + 1) & (cap - 1)])
				;
			*slot = *e;
		}
		free(lc->seen);
		lc->seen = tab;
		lc->cap_seen = cap;
	}
	for (i = h & (lc->cap_seen - 1); lc->seen[i].key != NULL;
	    i = (i + 1) & (lc->cap_seen - 1)) {
		if (lc->seen[i].hash == h &&
		    strcmp(lc->seen[i].key, key) == 0) {
			free(key);
			return -1;
		}
	}
	lc->seen[i].key = key;
	lc->seen[i].hash = h;
	lc->nseen++;
	return 0;
}

/*
 * metadata: name (required), namespace (default "default", or "" for
 * cluster-scoped kinds), labels and annotations.  name_rule checks the
 * name.
 */
static int
read_metadata(struct doc *d, int namespaced, int (*name_rule)(const char *),
    char **name, char **ns)
{
	const struct xs_value	*meta, *v, *nsv = NULL;
	int			 rc = 0;

	*name = *ns = NULL;
	if (get_typed(d, d->root, "metadata", "", XS_VALUE_MAP, 1,
	    &meta) == -1)
		return -1;
	if (namespaced) {
		if (get_typed(d, meta, "namespace", "metadata",
		    XS_VALUE_STRING, 0, &nsv) == -1)
			return -1;
		d->ns = nsv ? nsv->str : "default";
	}
	if (get_typed(d, meta, "name", "metadata", XS_VALUE_STRING, 1,
	    &v) == -1)
		return -1;
	d->name = v->str;
	if (!name_rule(v->str)) {
		doc_error(d, v, "metadata.name", "invalid name: must be a "
		    "lowercase RFC 1123 %s",
		    name_rule == name_is_dns1123_label ? "label" : "subdomain");
		rc = -1;
	}
	if (nsv != NULL && !name_is_dns1123_label(nsv->str)) {
		doc_error(d, nsv, "metadata.namespace", "invalid namespace: "
		    "must be a lowercase RFC 1123 label");
		rc = -1;
	}
	*name = xstrdup(v->str);
	*ns = xstrdup(d->ns);
	return rc;
}

/* The digest that changes when the object's spec or metadata does. */
static uint64_t
object_hash(const struct xs_value *root)
{
	const struct xs_value	*meta = value_get(root, "metadata");
	uint64_t		 h;

	h = value_hash(value_get(root, "spec"), 0);
	h = value_hash(value_get(meta, "name"), h);
	h = value_hash(value_get(meta, "namespace"), h);
	h = value_hash(value_get(meta, "labels"), h);
	h = value_hash(value_get(meta, "annotations"), h);
	return h;
}

/* Stores ------------------------------------------------------------- */

static void
conds_free(struct store_condition *c, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		free_kvs(c[i].match_labels, c[i].nmatch_labels, 0);
		for (j = 0; j < c[i].nexprs; j++) {
			free(c[i].exprs[j].key);
			free_strs(c[i].exprs[j].values, c[i].exprs[j].nvalues);
		}
		free(c[i].exprs);
		free_strs(c[i].namespaces, c[i].nnamespaces);
		free_strs(c[i].regexes, c[i].nregexes);
	}
	free(c);
}

static void
store_free(struct store *st)
{
	free(st->ns);
	free(st->name);
	free(st->provider);
	free(st->controller);
	conds_free(st->conds, st->nconds);
	value_free(st->doc);
	memset(st, 0, sizeof(*st));
}

static int
read_expr(struct doc *d, const struct xs_value *m, const char *path,
    struct label_expr *e)
{
	const struct xs_value	*v;
	char			*key;

	if (m->type != XS_VALUE_MAP) {
		doc_error(d, m, path, "must be a mapping");
		return -1;
	}
	if (get_str(d, m, "key", path, 1, &key) == -1)
		return -1;
	e->key = key;
	if (get_typed(d, m, "operator", path, XS_VALUE_STRING, 1, &v) == -1 ||
	    get_enum(d, m, "operator", path, label_op_names, 0, &e->op) == -1 ||
	    get_strs(d, m, "values", path, &e->values, &e->nvalues) == -1)
		return -1;
	if ((e->op == LABEL_IN || e->op == LABEL_NOTIN) && e->nvalues == 0) {
		doc_error(d, m, path, "operator %s needs values",
		    label_op_names[e->op]);
		return -1;
	}
	if ((e->op == LABEL_EXISTS || e->op == LABEL_DOESNOTEXIST) &&
	    e->nvalues != 0) {
		doc_error(d, m, path, "operator %s takes no values",
		    label_op_names[e->op]);
		return -1;
	}
	return 0;
}

static int
read_selector(struct doc *d, const struct xs_value *cm, const char *prefix,
    struct store_condition *c)
{
	char			 path[MANIFEST_PATH_MAX];
	char			 sub[MANIFEST_PATH_MAX];
	const struct xs_value	*sel, *exprs;
	size_t			 i;
	int			 rc = 0;

	if (get_typed(d, cm, "namespaceSelector", prefix, XS_VALUE_MAP, 0,
	    &sel) == -1)
		return -1;
	if (sel == NULL)
		return 0;
	c->has_selector = 1;
	fpath(path, sizeof(path), prefix, "namespaceSelector");
	if (get_kvs(d, sel, "matchLabels", path, &c->match_labels,
	    &c->nmatch_labels) == -1 ||
	    get_typed(d, sel, "matchExpressions", path, XS_VALUE_SEQ, 0,
	    &exprs) == -1)
		return -1;
	if (exprs == NULL || exprs->count == 0)
		return 0;
	c->exprs = xcalloc(exprs->count, sizeof(*c->exprs));
	for (i = 0; i < exprs->count; i++) {
		pathf(sub, sizeof(sub), "%s.matchExpressions[%zu]", path, i);
		if (read_expr(d, exprs->items[i], sub, &c->exprs[i]) == -1)
			rc = -1;
		c->nexprs++;
	}
	return rc;
}

static int
read_conditions(struct doc *d, const struct xs_value *spec, struct store *st)
{
	char			 path[MANIFEST_PATH_MAX];
	char			 sub[MANIFEST_PATH_MAX];
	const struct xs_value	*conds, *cm;
	struct store_condition	*c;
	size_t			 i, j;
	int			 rc = 0;

	if (get_typed(d, spec, "conditions", "spec", XS_VALUE_SEQ, 0,
	    &conds) == -1)
		return -1;
	if (conds == NULL || conds->count == 0)
		return 0;
	st->conds = xcalloc(conds->count, sizeof(*st->conds));
	for (i = 0; i < conds->count; i++) {
		cm = conds->items[i];
		c = &st->conds[st->nconds++];
		pathf(path, sizeof(path), "spec.conditions[%zu]", i);
		if (cm->type != XS_VALUE_MAP) {
			doc_error(d, cm, path, "must be a mapping");
			rc = -1;
			continue;
		}
		if (read_selector(d, cm, path, c) == -1 ||
		    get_strs(d, cm, "namespaces", path, &c->namespaces,
		    &c->nnamespaces) == -1 ||
		    get_strs(d, cm, "namespaceRegexes", path, &c->regexes,
		    &c->nregexes) == -1) {
			rc = -1;
			continue;
		}
		for (j = 0; j < c->nregexes; j++) {
			pathf(sub, sizeof(sub), "%s.namespaceRegexes[%zu]",
			    path, j);
			if (check_regex(d, value_get(cm, "namespaceRegexes")->
			    items[j], sub, c->regexes[j]) == -1)
				rc = -1;
		}
	}
	return rc;
}

/*
 * spec.refreshInterval of a store: integer seconds (v1beta1 and v1) or a
 * duration string (v1); 0 or absent means the 5 minute default.
 */
static int
read_store_refresh(struct doc *d, const struct xs_value *spec,
    struct store *st)
{
	const struct xs_value	*v = field(spec, "refreshInterval");
	long long		 secs;
	int64_t			 ms;

	st->refresh_ms = STORE_REFRESH_MS;
	if (v == NULL)
		return 0;
	if (parse_int(plain(v), 0, MAX_SECONDS, &secs) == 0)
		ms = secs * 1000;
	else if (strcmp(d->api, API_V1) == 0 && v->type == XS_VALUE_STRING &&
	    duration_parse(v->str, &ms) == 0 && ms >= 0)
		;
	else {
		doc_error(d, v, "spec.refreshInterval", "must be %s",
		    strcmp(d->api, API_V1) == 0 ? "a number of seconds or a "
		    "non-negative duration such as 5m" :
		    "a non-negative number of seconds");
		return -1;
	}
	if (ms > 0)
		st->refresh_ms = ms;
	return 0;
}

static int
read_retry(struct doc *d, const struct xs_value *spec, struct store *st)
{
	const struct xs_value	*rs, *v;
	long long		 n = -1;

	st->max_retries = -1;
	if (get_typed(d, spec, "retrySettings", "spec", XS_VALUE_MAP, 0,
	    &rs) == -1)
		return -1;
	if (rs == NULL)
		return 0;
	if (get_int(d, rs, "maxRetries", "spec.retrySettings", 0, MAX_RETRIES,
	    &n) == -1)
		return -1;
	st->max_retries = (int)n;
	if (get_typed(d, rs, "retryInterval", "spec.retrySettings",
	    XS_VALUE_STRING, 0, &v) == -1)
		return -1;
	if (v != NULL && (duration_parse(v->str, &st->retry_interval_ms) ==
	    -1 || st->retry_interval_ms < 0)) {
		doc_error(d, v, "spec.retrySettings.retryInterval",
		    "must be a non-negative duration such as 10s");
		return -1;
	}
	return 0;
}

static int
read_rate(struct doc *d, struct store *st)
{
	const struct xs_value	*ann, *v;
	char			*end;
	double			 q;
	long long		 b;

	ann = value_get(value_get(d->root, "metadata"), "annotations");
	if ((v = value_get(ann, "xsecrets.io/rate-limit")) != NULL) {
		errno = 0;
		q = v->type == XS_VALUE_STRING ? strtod(v->str, &end) : 0;
		if (v->type != XS_VALUE_STRING || errno != 0 || end == v->str ||
		    *end != '\0' || !isfinite(q) || q <= 0) {
			doc_error(d, v, "metadata.annotations."
			    "xsecrets.io/rate-limit",
			    "must be a number of requests per second above 0");
			return -1;
		}
		st->rate_qps = q;
	}
	if ((v = value_get(ann, "xsecrets.io/rate-burst")) != NULL) {
		if (v->type != XS_VALUE_STRING ||
		    parse_int(v->str, 1, MAX_BURST, &b) == -1) {
			doc_error(d, v, "metadata.annotations."
			    "xsecrets.io/rate-burst",
			    "must be an integer from 1 to %d", MAX_BURST);
			return -1;
		}
		st->rate_burst = (int)b;
	}
	return 0;
}

/*
 * Walks a provider configuration for credential references, maps with
 * "name" and "key": a namespaced store's must stay in its namespace, a
 * cluster store's must name one.
 */
static int
check_refs(struct doc *d, const struct xs_value *v, char *path, size_t len,
    const struct store *st)
{
	const char	*ns, *name;
	size_t		 i, plen = strlen(path);
	int		 rc = 0;

	if (v->type != XS_VALUE_MAP && v->type != XS_VALUE_SEQ)
		return 0;
	name = value_get_str(v, "name");
	if (v->type == XS_VALUE_MAP && name != NULL &&
	    value_get_str(v, "key") != NULL) {
		ns = value_get_str(v, "namespace");
		if (st->kind == STORE_NAMESPACED && ns != NULL &&
		    strcmp(ns, st->ns) != 0) {
			doc_error(d, v, path, "cross-namespace reference to "
			    "Secret %s/%s is not allowed", ns, name);
			rc = -1;
		}
		if (st->kind == STORE_CLUSTER && ns == NULL &&
		    value_get(v, "namespace") == NULL && v->count == 2) {
			doc_error(d, v, path, "a ClusterSecretStore's "
			    "reference to Secret %s must set namespace", name);
			rc = -1;
		}
	}
	for (i = 0; i < v->count; i++) {
		if (v->type == XS_VALUE_MAP)
			snprintf(path + plen, len - plen, ".%s", v->keys[i]);
		else
			snprintf(path + plen, len - plen, "[%zu]", i);
		if (check_refs(d, v->items[i], path, len, st) == -1)
			rc = -1;
		path[plen] = '\0';
	}
	return rc;
}

static int
read_provider(struct doc *d, const struct xs_value *spec, struct store *st)
{
	char			 path[MANIFEST_PATH_MAX];
	const struct xs_value	*prov;

	if (get_typed(d, spec, "provider", "spec", XS_VALUE_MAP, 1,
	    &prov) == -1)
		return -1;
	if (prov->count != 1) {
		doc_error(d, prov, "spec.provider",
		    "must have exactly one key, the provider's name");
		return -1;
	}
	pathf(path, sizeof(path), "spec.provider.%s", prov->keys[0]);
	if (prov->items[0]->type != XS_VALUE_MAP) {
		doc_error(d, prov->items[0], path, "must be a mapping");
		return -1;
	}
	st->provider = xstrdup(prov->keys[0]);
	st->provider_cfg = prov->items[0];
	return check_refs(d, prov->items[0], path, sizeof(path), st);
}

static void
read_store(struct doc *d, int kind)
{
	struct loadctx		*lc = d->lc;
	struct manifest_set	*set = lc->set;
	struct store		 st;
	const struct xs_value	*spec;
	int			 rc = 0;

	memset(&st, 0, sizeof(st));
	st.kind = kind;
	st.max_retries = -1;
	if (read_metadata(d, kind == STORE_NAMESPACED,
	    name_is_dns1123_subdomain, &st.name, &st.ns) == -1 ||
	    get_typed(d, d->root, "spec", "", XS_VALUE_MAP, 1, &spec) == -1)
		goto fail;
	if (read_provider(d, spec, &st) == -1)
		rc = -1;
	if (read_store_refresh(d, spec, &st) == -1)
		rc = -1;
	if (read_retry(d, spec, &st) == -1)
		rc = -1;
	if (get_str(d, spec, "controller", "spec", 0, &st.controller) == -1)
		rc = -1;
	if (kind == STORE_CLUSTER && read_conditions(d, spec, &st) == -1)
		rc = -1;
	if (read_rate(d, &st) == -1)
		rc = -1;
	if (rc == -1)
		goto fail;
	if (seen_add(lc, d->kind, st.ns, st.name) == -1) {
		doc_error(d, NULL, "metadata.name", "duplicate %s", d->kind);
		goto fail;
	}
	st.origin.file = lc->file;
	st.origin.line = d->root->line;
	st.origin.column = d->root->column;
	st.origin.api_version = strcmp(d->api, API_V1) == 0 ? API_V1 :
	    API_V1BETA1;
	st.spec_hash = object_hash(d->root);
	st.doc = d->root;
	d->root = NULL;
	if (grow(&set->stores, &lc->cap_stores, set->nstores,
	    sizeof(*set->stores)) == -1)
		fatal("manifest stores");
	set->stores[set->nstores++] = st;
	return;

fail:
	store_free(&st);
}

/* ExternalSecrets ---------------------------------------------------- */

static void
ref_free(struct remote_ref *r)
{
	free(r->key);
	free(r->property);
	free(r->version);
}

static void
es_free(struct externalsecret *es)
{
	size_t	i, j;

	free(es->ns);
	free(es->name);
	free(es->store_name);
	free(es->target_name);
	for (i = 0; i < es->ndata; i++) {
		free(es->data[i].secret_key);
		ref_free(&es->data[i].ref);
	}
	free(es->data);
	for (i = 0; i < es->ndata_from; i++) {
		ref_free(&es->data_from[i].ref);
		free(es->data_from[i].find_name);
		free(es->data_from[i].find_path);
		free_kvs(es->data_from[i].find_tags,
		    es->data_from[i].nfind_tags, 0);
		for (j = 0; j < es->data_from[i].nrewrites; j++) {
			free(es->data_from[i].rewrites[j].source);
			free(es->data_from[i].rewrites[j].target);
		}
		free(es->data_from[i].rewrites);
	}
	free(es->data_from);
	value_free(es->doc);
	memset(es, 0, sizeof(*es));
}

/*
 * An ExternalSecret keeps only what was read from its document: every field
 * is a copy, and its origin names the file and line.  Dropping the tree
 * (and the node pointers into it) is what keeps tens of thousands of them
 * within a few megabytes.
 */
static void
es_forget_doc(struct externalsecret *es)
{
	size_t	i;

	for (i = 0; i < es->ndata; i++)
		es->data[i].node = NULL;
	for (i = 0; i < es->ndata_from; i++)
		es->data_from[i].node = NULL;
	es->doc = NULL;
}

/* decodingStrategy and conversionStrategy of a remoteRef, extract or find. */
static int
read_strategies(struct doc *d, const struct xs_value *m, const char *path,
    struct remote_ref *r)
{
	if (get_enum(d, m, "decodingStrategy", path, decoding_names,
	    DECODE_NONE, &r->decoding) == -1 ||
	    get_enum(d, m, "conversionStrategy", path, conversion_names,
	    CONVERT_DEFAULT, &r->conversion) == -1)
		return -1;
	return 0;
}

static int
read_remote_ref(struct doc *d, const struct xs_value *m, const char *path,
    struct remote_ref *r)
{
	if (get_str(d, m, "key", path, 1, &r->key) == -1 ||
	    get_str(d, m, "property", path, 0, &r->property) == -1 ||
	    get_str(d, m, "version", path, 0, &r->version) == -1 ||
	    read_strategies(d, m, path, r) == -1 ||
	    get_enum(d, m, "metadataPolicy", path, metadata_names, 0,
	    &r->metadata) == -1)
		return -1;
	if (*r->key == '\0') {
		doc_error(d, value_get(m, "key"), path, "key must not be "
		    "empty");
		return -1;
	}
	return 0;
}

static int
read_data(struct doc *d, const struct xs_value *spec,
    struct externalsecret *es)
{
	char			 path[MANIFEST_PATH_MAX];
	char			 sub[MANIFEST_PATH_MAX];
	const struct xs_value	*seq, *m, *rr;
	struct es_data		*e;
	size_t			 i;
	int			 rc = 0;

	if (get_typed(d, spec, "data", "spec", XS_VALUE_SEQ, 0, &seq) == -1)
		return -1;
	if (seq == NULL || seq->count == 0)
		return 0;
	es->data = xcalloc(seq->count, sizeof(*es->data));
	for (i = 0; i < seq->count; i++) {
		m = seq->items[i];
		pathf(path, sizeof(path), "spec.data[%zu]", i);
		e = &es->data[es->ndata++];
		e->node = m;
		if (m->type != XS_VALUE_MAP) {
			doc_error(d, m, path, "must be a mapping");
			rc = -1;
			continue;
		}
		if (value_get(m, "sourceRef") != NULL) {
			doc_error(d, value_get(m, "sourceRef"),
			    fpath(sub, sizeof(sub), path, "sourceRef"),
			    "data.sourceRef is not supported");
			rc = -1;
			continue;
		}
		if (get_str(d, m, "secretKey", path, 1, &e->secret_key) == -1 ||
		    get_typed(d, m, "remoteRef", path, XS_VALUE_MAP, 1,
		    &rr) == -1) {
			rc = -1;
			continue;
		}
		fpath(sub, sizeof(sub), path, "secretKey");
		if (!name_is_secret_key(e->secret_key)) {
			doc_error(d, value_get(m, "secretKey"), sub,
			    "invalid secret key: must match [-._a-zA-Z0-9]+, "
			    "at most 253 characters, not . or ..");
			rc = -1;
		}
		if (read_remote_ref(d, rr, fpath(sub, sizeof(sub), path,
		    "remoteRef"), &e->ref) == -1)
			rc = -1;
	}
	return rc;
}

static int
data_cmp(const void *a, const void *b)
{
	const struct es_data	*x = *(const struct es_data *const *)a;
	const struct es_data	*y = *(const struct es_data *const *)b;
	int			 c = strcmp(x->secret_key, y->secret_key);

	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

/*
 * Refuses a secretKey used twice, at its second use.  Sorting keeps a
 * hostile list of thousands of entries from costing n squared.
 */
static int
check_secret_keys(struct doc *d, struct externalsecret *es)
{
	char		 path[MANIFEST_PATH_MAX];
	struct es_data	**v;
	size_t		 i, n = 0;
	int		 rc = 0;

	v = xcalloc(es->ndata, sizeof(*v));
	for (i = 0; i < es->ndata; i++)
		if (es->data[i].secret_key != NULL)
			v[n++] = &es->data[i];
	qsort(v, n, sizeof(*v), data_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(v[i - 1]->secret_key, v[i]->secret_key) != 0)
			continue;
		pathf(path, sizeof(path), "spec.data[%zu].secretKey",
		    (size_t)(v[i] - es->data));
		doc_error(d, value_get(v[i]->node, "secretKey"), path,
		    "duplicate secretKey found: %s", v[i]->secret_key);
		rc = -1;
	}
	free(v);
	return rc;
}

static int
read_rewrites(struct doc *d, const struct xs_value *m, const char *path,
    struct es_data_from *f)
{
	char			 sub[MANIFEST_PATH_MAX], rp[MANIFEST_PATH_MAX];
	const struct xs_value	*seq, *rw, *re;
	struct rewrite		*r;
	size_t			 i;

	if (get_typed(d, m, "rewrite", path, XS_VALUE_SEQ, 0, &seq) == -1)
		return -1;
	if (seq == NULL || seq->count == 0)
		return 0;
	f->rewrites = xcalloc(seq->count, sizeof(*f->rewrites));
	for (i = 0; i < seq->count; i++) {
		rw = seq->items[i];
		pathf(sub, sizeof(sub), "%s.rewrite[%zu]", path, i);
		r = &f->rewrites[f->nrewrites++];
		if (rw->type != XS_VALUE_MAP) {
			doc_error(d, rw, sub, "must be a mapping");
			return -1;
		}
		if (value_get(rw, "transform") != NULL) {
			doc_error(d, value_get(rw, "transform"), sub,
			    "rewrite.transform is not supported");
			return -1;
		}
		if (get_typed(d, rw, "regexp", sub, XS_VALUE_MAP, 1, &re) == -1)
			return -1;
		fpath(rp, sizeof(rp), sub, "regexp");
		if (get_str(d, re, "source", rp, 1, &r->source) == -1 ||
		    get_str(d, re, "target", rp, 1, &r->target) == -1)
			return -1;
		fpath(rp, sizeof(rp), sub, "regexp.source");
		if (check_regex(d, value_get(re, "source"), rp,
		    r->source) == -1)
			return -1;
	}
	return 0;
}

static int
read_find(struct doc *d, const struct xs_value *fm, const char *path,
    struct es_data_from *f)
{
	char			 sub[MANIFEST_PATH_MAX];
	const struct xs_value	*name;

	f->type = DATAFROM_FIND;
	if (get_typed(d, fm, "name", path, XS_VALUE_MAP, 0, &name) == -1 ||
	    get_str(d, fm, "path", path, 0, &f->find_path) == -1 ||
	    get_kvs(d, fm, "tags", path, &f->find_tags, &f->nfind_tags) == -1 ||
	    read_strategies(d, fm, path, &f->ref) == -1)
		return -1;
	if (name == NULL)
		return 0;
	fpath(sub, sizeof(sub), path, "name");
	if (get_str(d, name, "regexp", sub, 0, &f->find_name) == -1)
		return -1;
	fpath(sub, sizeof(sub), path, "name.regexp");
	if (f->find_name != NULL && check_regex(d, value_get(name, "regexp"),
	    sub, f->find_name) == -1)
		return -1;
	return 0;
}

static int
read_data_from_one(struct doc *d, const struct xs_value *m, const char *path,
    struct es_data_from *f)
{
	char			 sub[MANIFEST_PATH_MAX];
	const struct xs_value	*ex, *fm, *src;
	int			 n;

	if (m->type != XS_VALUE_MAP) {
		doc_error(d, m, path, "must be a mapping");
		return -1;
	}
	ex = field(m, "extract");
	fm = field(m, "find");
	src = field(m, "sourceRef");
	n = (ex != NULL) + (fm != NULL) +
	    (src != NULL && value_get(src, "generatorRef") != NULL);
	if (n > 1) {
		doc_error(d, m, path,
		    "extract, find, or generatorRef cannot be set at the same "
		    "time");
		return -1;
	}
	if (src != NULL) {
		doc_error(d, src, fpath(sub, sizeof(sub), path, "sourceRef"),
		    "dataFrom.sourceRef is not supported");
		return -1;
	}
	if (n == 0) {
		doc_error(d, m, path, "either extract or find should be "
		    "specified");
		return -1;
	}
	if (ex != NULL) {
		f->type = DATAFROM_EXTRACT;
		fpath(sub, sizeof(sub), path, "extract");
		if (get_typed(d, m, "extract", path, XS_VALUE_MAP, 1,
		    &ex) == -1 || read_remote_ref(d, ex, sub, &f->ref) == -1)
			return -1;
	} else {
		fpath(sub, sizeof(sub), path, "find");
		if (get_typed(d, m, "find", path, XS_VALUE_MAP, 1, &fm) == -1 ||
		    read_find(d, fm, sub, f) == -1)
			return -1;
	}
	return read_rewrites(d, m, path, f);
}

static int
read_data_from(struct doc *d, const struct xs_value *spec,
    struct externalsecret *es)
{
	char			 path[MANIFEST_PATH_MAX];
	const struct xs_value	*seq;
	size_t			 i;
	int			 rc = 0;

	if (get_typed(d, spec, "dataFrom", "spec", XS_VALUE_SEQ, 0,
	    &seq) == -1)
		return -1;
	if (seq == NULL || seq->count == 0)
		return 0;
	es->data_from = xcalloc(seq->count, sizeof(*es->data_from));
	for (i = 0; i < seq->count; i++) {
		pathf(path, sizeof(path), "spec.dataFrom[%zu]", i);
		es->data_from[i].node = seq->items[i];
		es->ndata_from++;
		if (read_data_from_one(d, seq->items[i], path,
		    &es->data_from[i]) == -1)
			rc = -1;
	}
	return rc;
}

static int
read_es_refresh(struct doc *d, const struct xs_value *spec,
    struct externalsecret *es)
{
	const struct xs_value	*v = field(spec, "refreshInterval");

	es->refresh_ms = ES_REFRESH_MS;
	if (v == NULL)
		return 0;
	/* An unquoted 0 is read as the string "0": valid either way. */
	if (v->type != XS_VALUE_STRING || duration_parse(v->str,
	    &es->refresh_ms) == -1) {
		doc_error(d, v, "spec.refreshInterval", "must be a duration "
		    "such as 1h, 30m, 1h30m or 0");
		return -1;
	}
	if (es->refresh_ms < 0) {
		doc_error(d, v, "spec.refreshInterval",
		    "must not be negative");
		return -1;
	}
	return 0;
}

static int
read_target(struct doc *d, const struct xs_value *spec,
    struct externalsecret *es)
{
	const struct xs_value	*t, *tmpl, *v;
	int			 rc = 0;

	es->creation = CREATE_OWNER;
	es->deletion = DELETE_RETAIN;
	if (get_typed(d, spec, "target", "spec", XS_VALUE_MAP, 0, &t) == -1)
		return -1;
	if (t != NULL) {
		if (get_typed(d, t, "name", "spec.target", XS_VALUE_STRING, 0,
		    &v) == -1)
			return -1;
		if (v != NULL && !name_is_dns1123_subdomain(v->str)) {
			doc_error(d, v, "spec.target.name", "invalid name: "
			    "must be a lowercase RFC 1123 subdomain");
			rc = -1;
		}
		if (v != NULL)
			es->target_name = xstrdup(v->str);
		if (get_enum(d, t, "creationPolicy", "spec.target",
		    creation_names, CREATE_OWNER, &es->creation) == -1 ||
		    get_enum(d, t, "deletionPolicy", "spec.target",
		    deletion_names, DELETE_RETAIN, &es->deletion) == -1 ||
		    get_bool(d, t, "immutable", "spec.target",
		    &es->immutable) == -1 ||
		    get_typed(d, t, "template", "spec.target", XS_VALUE_MAP, 0,
		    &tmpl) == -1)
			return -1;
		/* Writing untemplated keys instead would be worse than none. */
		if (tmpl != NULL) {
			doc_error(d, tmpl, "spec.target.template",
			    "spec.target.template is not supported");
			rc = -1;
		}
	}
	if (es->target_name == NULL)
		es->target_name = xstrdup(es->name);
	if (es->deletion == DELETE_DELETE && (es->creation == CREATE_MERGE ||
	    es->creation == CREATE_NONE || es->creation ==
	    CREATE_CREATEORMERGE)) {
		doc_error(d, t, "spec.target.deletionPolicy",
		    "deletionPolicy=Delete must not be used when the "
		    "controller doesn't own the secret. Please set "
		    "creationPolicy=Owner");
		rc = -1;
	}
	if (es->deletion == DELETE_MERGE && es->creation == CREATE_NONE) {
		doc_error(d, t, "spec.target.deletionPolicy",
		    "deletionPolicy=Merge must not be used with "
		    "creationPolicy=None. There is no Secret to merge with");
		rc = -1;
	}
	return rc;
}

static int
read_store_ref(struct doc *d, const struct xs_value *spec,
    struct externalsecret *es)
{
	const struct xs_value	*ref;

	if (get_typed(d, spec, "secretStoreRef", "spec", XS_VALUE_MAP, 1,
	    &ref) == -1 ||
	    get_str(d, ref, "name", "spec.secretStoreRef", 1,
	    &es->store_name) == -1 ||
	    get_enum(d, ref, "kind", "spec.secretStoreRef", store_kind_names,
	    STORE_NAMESPACED, &es->store_kind) == -1)
		return -1;
	if (!name_is_dns1123_subdomain(es->store_name)) {
		doc_error(d, value_get(ref, "name"), "spec.secretStoreRef.name",
		    "invalid name: must be a lowercase RFC 1123 subdomain");
		return -1;
	}
	return 0;
}

static void
read_es(struct doc *d)
{
	struct loadctx		*lc = d->lc;
	struct manifest_set	*set = lc->set;
	struct externalsecret	 es;
	const struct xs_value	*spec;
	int			 rc = 0;

	memset(&es, 0, sizeof(es));
	if (read_metadata(d, 1, name_is_dns1123_subdomain, &es.name,
	    &es.ns) == -1 ||
	    get_typed(d, d->root, "spec", "", XS_VALUE_MAP, 1, &spec) == -1)
		goto fail;
	if (read_store_ref(d, spec, &es) == -1)
		rc = -1;
	if (read_es_refresh(d, spec, &es) == -1)
		rc = -1;
	if (get_enum(d, spec, "refreshPolicy", "spec", refresh_names,
	    REFRESH_PERIODIC, &es.refresh_policy) == -1)
		rc = -1;
	if (read_target(d, spec, &es) == -1)
		rc = -1;
	if (read_data(d, spec, &es) == -1 ||
	    check_secret_keys(d, &es) == -1)
		rc = -1;
	if (read_data_from(d, spec, &es) == -1)
		rc = -1;
	if (rc == 0 && es.ndata == 0 && es.ndata_from == 0) {
		doc_error(d, spec, "spec",
		    "either data or dataFrom should be specified");
		rc = -1;
	}
	if (rc == -1)
		goto fail;
	if (seen_add(lc, d->kind, es.ns, es.name) == -1) {
		doc_error(d, NULL, "metadata.name", "duplicate ExternalSecret");
		goto fail;
	}
	es.origin.file = lc->file;
	es.origin.line = d->root->line;
	es.origin.column = d->root->column;
	es.origin.api_version = strcmp(d->api, API_V1) == 0 ? API_V1 :
	    API_V1BETA1;
	es.spec_hash = object_hash(d->root);
	es_forget_doc(&es);
	if (grow(&set->ess, &lc->cap_ess, set->ness, sizeof(*set->ess)) == -1)
		fatal("manifest externalsecrets");
	set->ess[set->ness++] = es;
	return;

fail:
	es_free(&es);
}

/* Secrets and Namespaces --------------------------------------------- */

/*
 * Secret data as the API server reads it: standard base64 with padding,
 * line breaks ignored (a folded YAML block may carry them).  The result
 * is in secure memory; NULL when the text is not base64.
 */
static char *
b64_decode(const char *s, size_t len, size_t *outlen)
{
	char	*flat, *out;
	size_t	 i, n = 0;

	if ((flat = xs_secure_alloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++)
		if (s[i] != '\n' && s[i] != '\r')
			flat[n++] = s[i];
	out = (char *)crypto_base64_decode(flat, n, 0, outlen);
	xs_secure_free(flat);
	return out;
}

static void
secret_free(struct k8s_secret *s)
{
	free(s->ns);
	free(s->name);
	free_kvs(s->data, s->ndata, 1);
	memset(s, 0, sizeof(*s));
}

/* Adds key and value (secure, taken); duplicates are merged later. */
static void
secret_put(struct k8s_secret *s, const char *key, char *value, size_t len)
{
	s->data[s->ndata].key = xstrdup(key);
	s->data[s->ndata].value = value;
	s->data[s->ndata].len = len;
	s->ndata++;
}

/* A key of a Secret being merged, with where it came from. */
struct kv_ref {
	const char	*key;
	size_t		 i;
};

static int
kv_ref_cmp(const void *a, const void *b)
{
	const struct kv_ref	*x = a, *y = b;
	int			 c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Sorts the keys and keeps the last of each: stringData was added after
 * data, so it wins.  Sorting keeps this n log n however many keys a
 * hostile Secret has.
 */
static void
secret_merge(struct k8s_secret *s)
{
	struct kv	*out;
	struct kv_ref	*refs;
	size_t		 i, n = 0;

	if (s->ndata < 2)
		return;
	refs = xcalloc(s->ndata, sizeof(*refs));
	out = xcalloc(s->ndata, sizeof(*out));
	for (i = 0; i < s->ndata; i++) {
		refs[i].key = s->data[i].key;
		refs[i].i = i;
	}
	qsort(refs, s->ndata, sizeof(*refs), kv_ref_cmp);
	for (i = 0; i < s->ndata; i++) {
		if (n > 0 && strcmp(out[n - 1].key, refs[i].key) == 0) {
			free(out[n - 1].key);
			xs_secure_free(out[n - 1].value);
			n--;
		}
		out[n++] = s->data[refs[i].i];
	}
	free(refs);
	free(s->data);
	s->data = out;
	s->ndata = n;
}

static int
read_secret_map(struct doc *d, const char *which, int base64,
    struct k8s_secret *s)
{
	char			 path[MANIFEST_PATH_MAX];
	const struct xs_value	*m, *v;
	char			*val;
	size_t			 i, len;
	int			 rc = 0;

	if (get_typed(d, d->root, which, "", XS_VALUE_MAP, 0, &m) == -1)
		return -1;
	if (m == NULL)
		return 0;
	for (i = 0; i < m->count; i++) {
		v = m->items[i];
		fpath(path, sizeof(path), which, m->keys[i]);
		if (!name_is_secret_key(m->keys[i])) {
			doc_error(d, v, path, "invalid secret key: must "
			    "match [-._a-zA-Z0-9]+, not . or ..");
			rc = -1;
			continue;
		}
		if (is_null(v))
			continue;	/* a null value: no key */
		if (v->type != XS_VALUE_STRING) {
			doc_error(d, v, path, "must be a string, not %s",
			    type_name(v));
			rc = -1;
			continue;
		}
		len = v->len;
		if (base64)
			val = b64_decode(v->str, v->len, &len);
		else
			val = xs_secure_strndup(v->str, v->len);
		if (val == NULL) {
			doc_error(d, v, path, base64 ? "is not valid base64" :
			    "out of memory");
			rc = -1;
			continue;
		}
		secret_put(s, m->keys[i], val, len);
	}
	return rc;
}

static void
read_secret(struct doc *d)
{
	struct loadctx		*lc = d->lc;
	struct manifest_set	*set = lc->set;
	struct k8s_secret	 s;
	size_t			 n;

	memset(&s, 0, sizeof(s));
	if (read_metadata(d, 1, name_is_dns1123_subdomain, &s.name,
	    &s.ns) == -1)
		goto fail;
	n = value_get(d->root, "data") ? value_get(d->root, "data")->count : 0;
	n += value_get(d->root, "stringData") ?
	    value_get(d->root, "stringData")->count : 0;
	s.data = xcalloc(n, sizeof(*s.data));
	if (read_secret_map(d, "data", 1, &s) == -1 ||
	    read_secret_map(d, "stringData", 0, &s) == -1)
		goto fail;
	secret_merge(&s);
	if (seen_add(lc, d->kind, s.ns, s.name) == -1) {
		doc_error(d, NULL, "metadata.name", "duplicate Secret");
		goto fail;
	}
	s.origin.file = lc->file;
	s.origin.line = d->root->line;
	s.origin.column = d->root->column;
	s.origin.api_version = "v1";
	if (grow(&set->secrets, &lc->cap_secrets, set->nsecrets,
	    sizeof(*set->secrets)) == -1)
		fatal("manifest secrets");
	set->secrets[set->nsecrets++] = s;
	return;

fail:
	secret_free(&s);
}

static void
namespace_free(struct k8s_namespace *ns)
{
	free(ns->name);
	free_kvs(ns->labels, ns->nlabels, 0);
	memset(ns, 0, sizeof(*ns));
}

static void
read_namespace(struct doc *d)
{
	struct loadctx		*lc = d->lc;
	struct manifest_set	*set = lc->set;
	struct k8s_namespace	 ns;
	const struct xs_value	*meta;
	char			*empty = NULL;

	memset(&ns, 0, sizeof(ns));
	if (read_metadata(d, 0, name_is_dns1123_label, &ns.name,
	    &empty) == -1)
		goto fail;
	meta = value_get(d->root, "metadata");
	if (get_kvs(d, meta, "labels", "metadata", &ns.labels,
	    &ns.nlabels) == -1)
		goto fail;
	if (seen_add(lc, d->kind, "", ns.name) == -1) {
		doc_error(d, NULL, "metadata.name", "duplicate Namespace");
		goto fail;
	}
	free(empty);
	ns.origin.file = lc->file;
	ns.origin.line = d->root->line;
	ns.origin.column = d->root->column;
	ns.origin.api_version = "v1";
	if (grow(&set->namespaces, &lc->cap_ns, set->nnamespaces,
	    sizeof(*set->namespaces)) == -1)
		fatal("manifest namespaces");
	set->namespaces[set->nnamespaces++] = ns;
	return;

fail:
	free(empty);
	namespace_free(&ns);
}

/* Documents ---------------------------------------------------------- */

static void
read_document(struct loadctx *lc, struct xs_value *root)
{
	struct doc		 d;
	const struct xs_value	*api, *kind;
	int			 esgroup, core;

	memset(&d, 0, sizeof(d));
	d.lc = lc;
	d.root = root;
	d.kind = d.ns = d.name = "";
	if (root->type != XS_VALUE_MAP) {
		doc_error(&d, root, "", "a manifest must be a mapping, not %s",
		    type_name(root));
		goto done;
	}
	if (get_typed(&d, root, "apiVersion", "", XS_VALUE_STRING, 1,
	    &api) == -1 ||
	    get_typed(&d, root, "kind", "", XS_VALUE_STRING, 1, &kind) == -1)
		goto done;
	d.api = api->str;
	esgroup = strcmp(d.api, API_V1) == 0 || strcmp(d.api, API_V1BETA1) == 0;
	core = strcmp(d.api, "v1") == 0;
	if (esgroup && strcmp(kind->str, "SecretStore") == 0)
		d.kind = "SecretStore";
	else if (esgroup && strcmp(kind->str, "ClusterSecretStore") == 0)
		d.kind = "ClusterSecretStore";
	else if (esgroup && strcmp(kind->str, "ExternalSecret") == 0)
		d.kind = "ExternalSecret";
	else if (core && strcmp(kind->str, "Secret") == 0)
		d.kind = "Secret";
	else if (core && strcmp(kind->str, "Namespace") == 0)
		d.kind = "Namespace";
	else if (strncmp(d.api, API_GROUP, strlen(API_GROUP)) == 0 &&
	    !esgroup) {
		doc_error(&d, api, "apiVersion", "unsupported version; use "
		    API_V1 " or " API_V1BETA1);
		goto done;
	} else {
		log_debug("%s:%u: skipping %.64s %.64s", lc->file, root->line,
		    d.api, kind->str);
		goto done;
	}

	if (strcmp(d.kind, "SecretStore") == 0)
		read_store(&d, STORE_NAMESPACED);
	else if (strcmp(d.kind, "ClusterSecretStore") == 0)
		read_store(&d, STORE_CLUSTER);
	else if (strcmp(d.kind, "ExternalSecret") == 0)
		read_es(&d);
	else if (strcmp(d.kind, "Secret") == 0)
		read_secret(&d);
	else
		read_namespace(&d);
done:
	value_free(d.root);
}

static int
on_yaml_doc(void *arg, struct yaml_doc *yd)
{
	struct loadctx	*lc = arg;

	if (yd->error != NULL)
		add_error(lc, lc->file, yd->line, yd->column, "", "", "", "",
		    yd->error);
	else
		read_document(lc, yd->root);
	return 0;
}

/* Files -------------------------------------------------------------- */

static const char *
add_file(struct loadctx *lc, const char *path)
{
	struct manifest_set	*set = lc->set;

	if (grow(&set->files, &lc->cap_files, set->nfiles,
	    sizeof(*set->files)) == -1)
		fatal("manifest files");
	set->files[set->nfiles] = xstrdup(path);
	return set->files[set->nfiles++];
}

static void
load_buffer(struct loadctx *lc, const char *path, const char *buf,
    size_t len)
{
	uint64_t	n = len;

	lc->file = add_file(lc, path);
	EVP_DigestUpdate(lc->md, path, strlen(path) + 1);
	EVP_DigestUpdate(lc->md, &n, sizeof(n));
	EVP_DigestUpdate(lc->md, buf, len);
	yaml_parse(lc->file, buf, len, 1, on_yaml_doc, lc);
}

static void
file_error(struct loadctx *lc, const char *path, const char *msg)
{
	add_error(lc, path, 0, 0, "", "", "", "", msg);
}

static void
load_file(struct loadctx *lc, const char *path)
{
	char		 msg[256], *buf = NULL;
	struct stat	 sb;
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1 || fstat(fd, &sb) == -1) {
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		file_error(lc, path, msg);
		goto done;
	}
	if (!S_ISREG(sb.st_mode)) {
		file_error(lc, path, "not a regular file");
		goto done;
	}
	if (sb.st_size > VALUE_MAX_FILE) {
		snprintf(msg, sizeof(msg), "file is larger than %d bytes",
		    VALUE_MAX_FILE);
		file_error(lc, path, msg);
		goto done;
	}
	/* One byte more than fstat said, to notice a file still growing. */
	cap = (size_t)sb.st_size + 1;
	if ((buf = xs_secure_alloc(cap)) == NULL) {
		file_error(lc, path, "out of memory");
		goto done;
	}
	while (len < cap && (n = read(fd, buf + len, cap - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(msg, sizeof(msg), "cannot read: %s",
			    strerror(errno));
			file_error(lc, path, msg);
			goto done;
		}
		len += (size_t)n;
	}
	if (len == cap) {
		file_error(lc, path, "file changed while being read");
		goto done;
	}
	load_buffer(lc, path, buf, len);
done:
	xs_secure_free(buf);
	if (fd != -1)
		close(fd);
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void	walk(struct loadctx *, const char *, int);

/* One entry of a directory walk: a file to load, or an error. */
struct walk_item {
	char		*path;
	char		*error;		/* NULL: a file */
	struct loadctx	 lc;		/* the file's own load */
};

struct walklist {
	struct walk_item *v;
	size_t		 n;
	size_t		 cap;
	size_t		 next;		/* the next file a thread takes */
};

/* Adds path to the walk's list: a file to load, or error when not NULL. */
static void
walk_add(struct loadctx *lc, const char *path, const char *error)
{
	struct walklist	*wl = lc->wl;
	struct walk_item *it;

	if (grow(&wl->v, &wl->cap, wl->n, sizeof(*wl->v)) == -1)
		fatal("manifest walk");
	it = &wl->v[wl->n++];
	memset(it, 0, sizeof(*it));
	it->path = xstrdup(path);
	it->error = error != NULL ? xstrdup(error) : NULL;
}

/* One directory entry: recurse, list it to be loaded, or skip it. */
static void
walk_entry(struct loadctx *lc, const char *path, int depth)
{
	struct stat	sb;

	if (lstat(path, &sb) == -1)
		return;
	if (S_ISLNK(sb.st_mode)) {
		if (stat(path, &sb) == -1 || S_ISDIR(sb.st_mode)) {
			log_debug("%s: not following symbolic link", path);
			return;
		}
	}
	if (S_ISDIR(sb.st_mode))
		walk(lc, path, depth + 1);
	else if (S_ISREG(sb.st_mode) && (has_suffix(path, ".yaml") ||
	    has_suffix(path, ".yml"))) {
		if (++lc->nwalked > MANIFEST_MAX_FILES) {
			if (!lc->stopped)
				walk_add(lc, path, "too many manifest "
				    "files; the rest are not read");
			lc->stopped = 1;
			return;
		}
		walk_add(lc, path, NULL);
	}
}

static void
walk(struct loadctx *lc, const char *dir, int depth)
{
	DIR		*dp;
	struct dirent	*de;
	char		**names = NULL, *path;
	size_t		  n = 0, cap = 0, i;

	if (depth > MANIFEST_MAX_DEPTH) {
		walk_add(lc, dir, "directories nested too deep");
		return;
	}
	if ((dp = opendir(dir)) == NULL) {
		walk_add(lc, dir, "cannot open directory");
		return;
	}
	while ((de = readdir(dp)) != NULL && n < MANIFEST_MAX_FILES) {
		if (de->d_name[0] == '.')
			continue;
		if (grow(&names, &cap, n, sizeof(*names)) == -1)
			fatal("manifest walk");
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (n > 1)		/* names is NULL in an empty directory */
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		if (!lc->stopped) {
			if (asprintf(&path, "%s%s%s", dir,
			    has_suffix(dir, "/") ? "" : "/", names[i]) == -1)
				fatal("asprintf");
			walk_entry(lc, path, depth);
			free(path);
		}
		free(names[i]);
	}
	free(names);
}

static struct manifest_set *
load_begin(struct loadctx *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->set = xcalloc(1, sizeof(*lc->set));
	if ((lc->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(lc->md, EVP_sha256(), NULL) != 1)
		fatal("manifest digest");
	return lc->set;
}

static struct manifest_set *
load_end(struct loadctx *lc)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;
	size_t		i;

	EVP_DigestFinal_ex(lc->md, md, &mdlen);
	EVP_MD_CTX_free(lc->md);
	for (i = 0; i < 8 && i < mdlen; i++)
		lc->set->digest = lc->set->digest << 8 | md[i];
	for (i = 0; i < lc->cap_seen; i++)
		free(lc->seen[i].key);
	free(lc->seen);
	return lc->set;
}

/* Loads the walk's files, one at a time, until none is left. */
static void *
load_thread(void *arg)
{
	struct walklist	*wl = arg;
	struct walk_item *it;
	size_t		 i;

	while ((i = __atomic_fetch_add(&wl->next, 1, __ATOMIC_RELAXED)) <
	    wl->n) {
		it = &wl->v[i];
		if (it->error != NULL)
			continue;
		load_begin(&it->lc);
		load_file(&it->lc, it->path);
		load_end(&it->lc);
	}
	return NULL;
}

/* Loads every file of wl, on up to LOAD_THREADS threads. */
static void
load_parallel(struct walklist *wl)
{
	pthread_t	 t[LOAD_THREADS - 1];
	long		 ncpu;
	size_t		 n, i, started = 0;

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	n = ncpu < 1 ? 1 : ncpu > LOAD_THREADS ? LOAD_THREADS : (size_t)ncpu;
	if (n > wl->n)
		n = wl->n;
	for (i = 0; i + 1 < n; i++)
		if (pthread_create(&t[started], NULL, load_thread, wl) == 0)
			started++;
	load_thread(wl);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

/* Appends what object of kind ns/name at o refused as a duplicate. */
static int
merge_seen(struct loadctx *lc, const char *kind, const char *ns,
    const char *name, const struct origin *o)
{
	char	msg[64];

	if (seen_add(lc, kind, ns, name) == 0)
		return 0;
	snprintf(msg, sizeof(msg), "duplicate %s", kind);
	add_error(lc, o->file, o->line, o->column, kind, ns, name,
	    "metadata.name", msg);
	return -1;
}

/* Moves the set of one file into lc's, in order; frees the rest. */
static void
merge(struct loadctx *lc, struct walk_item *it)
{
	struct manifest_set	*set = lc->set, *from = it->lc.set;
	struct store		*st;
	struct externalsecret	*es;
	struct k8s_secret	*sec;
	struct k8s_namespace	*ns;
	size_t			 i;

	EVP_DigestUpdate(lc->md, &from->digest, sizeof(from->digest));
	for (i = 0; i < from->nfiles; i++) {
		if (grow(&set->files, &lc->cap_files, set->nfiles,
		    sizeof(*set->files)) == -1)
			fatal("manifest files");
		set->files[set->nfiles++] = from->files[i];
	}
	for (i = 0; i < from->nerrors; i++) {
		if (grow(&set->errors, &lc->cap_errors, set->nerrors,
		    sizeof(*set->errors)) == -1)
			fatal("manifest errors");
		set->errors[set->nerrors++] = from->errors[i];
	}
	for (i = 0; i < from->nstores; i++) {
		st = &from->stores[i];
		if (merge_seen(lc, st->kind == STORE_CLUSTER ?
		    "ClusterSecretStore" : "SecretStore", st->ns, st->name,
		    &st->origin) == -1) {
			store_free(st);
			continue;
		}
		if (grow(&set->stores, &lc->cap_stores, set->nstores,
		    sizeof(*set->stores)) == -1)
			fatal("manifest stores");
		set->stores[set->nstores++] = *st;
	}
	for (i = 0; i < from->ness; i++) {
		es = &from->ess[i];
		if (merge_seen(lc, "ExternalSecret", es->ns, es->name,
		    &es->origin) == -1) {
			es_free(es);
			continue;
		}
		if (grow(&set->ess, &lc->cap_ess, set->ness,
		    sizeof(*set->ess)) == -1)
			fatal("manifest externalsecrets");
		set->ess[set->ness++] = *es;
	}
	for (i = 0; i < from->nsecrets; i++) {
		sec = &from->secrets[i];
		if (merge_seen(lc, "Secret", sec->ns, sec->name,
		    &sec->origin) == -1) {
			secret_free(sec);
			continue;
		}
		if (grow(&set->secrets, &lc->cap_secrets, set->nsecrets,
		    sizeof(*set->secrets)) == -1)
			fatal("manifest secrets");
		set->secrets[set->nsecrets++] = *sec;
	}
	for (i = 0; i < from->nnamespaces; i++) {
		ns = &from->namespaces[i];
		if (merge_seen(lc, "Namespace", "", ns->name,
		    &ns->origin) == -1) {
			namespace_free(ns);
			continue;
		}
		if (grow(&set->namespaces, &lc->cap_ns, set->nnamespaces,
		    sizeof(*set->namespaces)) == -1)
			fatal("manifest namespaces");
		set->namespaces[set->nnamespaces++] = *ns;
	}
	free(from->files);
	free(from->errors);
	free(from->stores);
	free(from->ess);
	free(from->secrets);
	free(from->namespaces);
	free(from);
	it->lc.set = NULL;
}

/* Walks dir, loads its files in parallel, and merges them into lc. */
static void
load_dir(struct loadctx *lc, const char *dir)
{
	struct walklist	 wl;
	struct walk_item *it;
	size_t		 i;

	memset(&wl, 0, sizeof(wl));
	lc->wl = &wl;
	walk(lc, dir, 0);
	lc->wl = NULL;
	load_parallel(&wl);
	for (i = 0; i < wl.n; i++) {
		it = &wl.v[i];
		if (it->error != NULL)
			file_error(lc, it->path, it->error);
		else
			merge(lc, it);
		free(it->path);
		free(it->error);
	}
	free(wl.v);
}

/*
 * Loads a file or a directory tree; see manifest.h.  The set and
 * everything in it belong to the caller (manifest_free).
 */
struct manifest_set *
manifest_load(const char *path)
{
	struct loadctx	lc;
	struct stat	sb;
	char		msg[256];

	load_begin(&lc);
	if (stat(path, &sb) == -1) {
		snprintf(msg, sizeof(msg), "cannot read: %s", strerror(errno));
		file_error(&lc, path, msg);
	} else if (S_ISDIR(sb.st_mode))
		load_dir(&lc, path);
	else
		load_file(&lc, path);
	return load_end(&lc);
}

/*
 * Loads buf as if it were the file name; buf is only read.
 */
struct manifest_set *
manifest_load_buffer(const char *name, const char *buf, size_t len)
{
	struct loadctx	lc;

	load_begin(&lc);
	if (len > VALUE_MAX_FILE)
		file_error(&lc, name, "file is too large");
	else
		load_buffer(&lc, name, buf, len);
	return load_end(&lc);
}

/*
 * Frees a set, zeroing Secret values and document trees.  NULL is a
 * no-op.
 */
void
manifest_free(struct manifest_set *set)
{
	size_t	i;

	if (set == NULL)
		return;
	for (i = 0; i < set->nstores; i++)
		store_free(&set->stores[i]);
	for (i = 0; i < set->ness; i++)
		es_free(&set->ess[i]);
	for (i = 0; i < set->nsecrets; i++)
		secret_free(&set->secrets[i]);
	for (i = 0; i < set->nnamespaces; i++)
		namespace_free(&set->namespaces[i]);
	for (i = 0; i < set->nerrors; i++) {
		free(set->errors[i].file);
		free(set->errors[i].kind);
		free(set->errors[i].ns);
		free(set->errors[i].name);
		free(set->errors[i].field);
		free(set->errors[i].message);
	}
	for (i = 0; i < set->nfiles; i++)
		free(set->files[i]);
	free(set->stores);
	free(set->ess);
	free(set->secrets);
	free(set->namespaces);
	free(set->errors);
	free(set->files);
	free(set);
}

/*
 * Formats e into buf as "file:line:col: Kind ns/name: field: message"
 * (parts the error lacks are left out); returns buf.
 */
const char *
manifest_error_str(const struct manifest_error *e, char *buf, size_t len)
{
	char	where[PATH_MAX + 32], obj[512];

	if (e->line > 0)
		snprintf(where, sizeof(where), "%s:%u:%u", e->file, e->line,
		    e->column);
	else
		snprintf(where, sizeof(where), "%s", e->file);
	obj[0] = '\0';
	if (*e->kind != '\0' && *e->name != '\0')
		snprintf(obj, sizeof(obj), " %s %s%s%s:", e->kind, e->ns,
		    *e->ns ? "/" : "", e->name);
	else if (*e->kind != '\0')
		snprintf(obj, sizeof(obj), " %s:", e->kind);
	snprintf(buf, len, "%s:%s%s%s%s %s", where, obj, *e->field ? " " : "",
	    e->field, *e->field ? ":" : "", e->message);
	return buf;
}

/*
 * The store of that kind, namespace (ignored for cluster stores) and
 * name, or NULL.
 */
const struct store *
manifest_store(const struct manifest_set *set, int kind, const char *ns,
    const char *name)
{
	size_t	i;

	for (i = 0; i < set->nstores; i++) {
		if (set->stores[i].kind != kind ||
		    strcmp(set->stores[i].name, name) != 0)
			continue;
		if (kind == STORE_CLUSTER || strcmp(set->stores[i].ns, ns) == 0)
			return &set->stores[i];
	}
	return NULL;
}

/*
 * The Secret ns/name, or NULL.
 */
const struct k8s_secret *
manifest_secret(const struct manifest_set *set, const char *ns,
    const char *name)
{
	size_t	i;

	for (i = 0; i < set->nsecrets; i++)
		if (strcmp(set->secrets[i].ns, ns) == 0 &&
		    strcmp(set->secrets[i].name, name) == 0)
			return &set->secrets[i];
	return NULL;
}

/*
 * The Namespace manifest called name, or NULL.
 */
const struct k8s_namespace *
manifest_namespace(const struct manifest_set *set, const char *name)
{
	size_t	i;

	for (i = 0; i < set->nnamespaces; i++)
		if (strcmp(set->namespaces[i].name, name) == 0)
			return &set->namespaces[i];
	return NULL;
}
