/*
 * Value trees (see value.h).
 *
 * A node owns its string, its keys and its children.  The keys and items
 * arrays grow by doubling; their capacity is not stored but derived from
 * count (0, then 4, 8, 16, ...), which keeps struct xs_value as the header
 * defines it.  A secure tree takes every allocation, arrays included, from
 * xs_secure_alloc so that xs_secure_free zeroes it all; a plain tree uses
 * malloc.  The two never mix inside one tree.
 *
 * Trees are at most VALUE_MAX_DEPTH deep when they come from the parsers,
 * so the recursive walks below are bounded.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "value.h"

#define VALUE_MIN_CAP	4

static void *
mem_alloc(int secure, size_t len)
{
	if (secure)
		return xs_secure_alloc(len);
	return calloc(1, len == 0 ? 1 : len);
}

static void
mem_free(int secure, void *p)
{
	if (secure)
		xs_secure_free(p);
	else
		free(p);
}

static char *
mem_strndup(int secure, const char *s, size_t len)
{
	char	*p;

	if (len == SIZE_MAX || (p = mem_alloc(secure, len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/*
 * A new node of type, without children or text; NULL when out of
 * memory.  file is borrowed and must outlive the tree.
 */
struct xs_value *
value_new(int32_t type, int secure, const char *file, uint32_t line,
    uint32_t column)
{
	struct xs_value	*v;

	if ((v = mem_alloc(secure, sizeof(*v))) == NULL)
		return NULL;
	v->type = type;
	v->secure = secure ? 1 : 0;
	v->file = file;
	v->line = line;
	v->column = column;
	return v;
}

/*
 * Copies len bytes of s (which may hold NUL bytes) as the node's text,
 * in the tree's kind of memory, replacing any earlier text.  0 or -1.
 */
int
value_set_string(struct xs_value *v, const char *s, size_t len)
{
	char	*p;

	if ((p = mem_strndup(v->secure, s, len)) == NULL)
		return -1;
	if (v->str != NULL)
		mem_free(v->secure, v->str);
	v->str = p;
	v->len = len;
	return 0;
}

/* Whether an array holding n entries is full (capacity derived from n). */
static int
array_full(size_t n)
{
	if (n == 0)
		return 1;
	if (n < VALUE_MIN_CAP)
		return 0;
	return (n & (n - 1)) == 0;
}

/* Grows *arr (n entries of size sz) to twice its capacity. */
static int
array_grow(int secure, void **arr, size_t n, size_t sz)
{
	size_t	 cap = n == 0 ? VALUE_MIN_CAP : n * 2;
	void	*p;

	if (cap > SIZE_MAX / sz)
		return -1;
	if ((p = mem_alloc(secure, cap * sz)) == NULL)
		return -1;
	if (n > 0)
		memcpy(p, *arr, n * sz);
	mem_free(secure, *arr);
	*arr = p;
	return 0;
}

/*
 * Appends child to a MAP under a copy of key, or to a SEQ (key NULL).
 * The parent owns child on success; on -1 the caller still does.
 */
int
value_append(struct xs_value *parent, const char *key,
    struct xs_value *child)
{
	char	*k = NULL;
	int	 sec = parent->secure;

	if (parent->type == XS_VALUE_MAP) {
		if (key == NULL ||
		    (k = mem_strndup(sec, key, strlen(key))) == NULL)
			return -1;
	} else if (parent->type != XS_VALUE_SEQ || key != NULL)
		return -1;

	/* A failed grow leaves count and both arrays valid. */
	if (array_full(parent->count)) {
		if (array_grow(sec, (void **)&parent->items, parent->count,
		    sizeof(*parent->items)) == -1)
			goto fail;
		if (k != NULL && array_grow(sec, (void **)&parent->keys,
		    parent->count, sizeof(*parent->keys)) == -1)
			goto fail;
	}
	if (k != NULL)
		parent->keys[parent->count] = k;
	parent->items[parent->count++] = child;
	return 0;

fail:
	mem_free(sec, k);
	return -1;
}

/*
 * Frees a node and everything below it; secure trees are zeroed first.
 * NULL is a no-op.
 */
void
value_free(struct xs_value *v)
{
	size_t	i;
	int	sec;

	if (v == NULL)
		return;
	sec = v->secure;
	for (i = 0; i < v->count; i++) {
		value_free(v->items[i]);
		if (v->keys != NULL)
			mem_free(sec, v->keys[i]);
	}
	mem_free(sec, v->keys);
	mem_free(sec, v->items);
	mem_free(sec, v->str);
	mem_free(sec, v);
}

/*
 * The member key of a MAP (the first, if a tree built by hand has
 * two), or NULL.  Linear in the member count.
 */
const struct xs_value *
value_get(const struct xs_value *map, const char *key)
{
	size_t	i;

	if (map == NULL || key == NULL || map->type != XS_VALUE_MAP)
		return NULL;
	for (i = 0; i < map->count; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->items[i];
	return NULL;
}

/*
 * The text of a STRING node ("" when it has none); NULL for any other
 * type.  The pointer lives as long as the node.
 */
const char *
value_str(const struct xs_value *v)
{
	if (v == NULL || v->type != XS_VALUE_STRING)
		return NULL;
	return v->str != NULL ? v->str : "";
}

/*
 * The text of the STRING member key of map, or NULL.
 */
const char *
value_get_str(const struct xs_value *map, const char *key)
{
	return value_str(value_get(map, key));
}

/*
 * Follows dotted keys through MAPs only; no escapes, no indices.
 * Segments longer than 255 bytes find nothing.
 */
const struct xs_value *
value_lookup(const struct xs_value *root, const char *dotted)
{
	char		 seg[256];
	const char	*p, *dot;
	size_t		 n;

	for (p = dotted; root != NULL && p != NULL; p = dot ? dot + 1 : NULL) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(seg))
			return NULL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		root = value_get(root, seg);
	}
	return root;
}

/* Parses a sequence index: decimal digits only, no sign, no leading 0. */
static int
parse_index(const char *s, size_t *out)
{
	size_t	v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (SIZE_MAX - 9) / 10)
			return -1;
		v = v * 10 + (size_t)(*s - '0');
	}
	*out = v;
	return 0;
}

/*
 * Follows a property path: MAP members by key, SEQ items by decimal
 * index, "\." for a literal dot.  "" is v itself; NULL when any step
 * fails.
 */
const struct xs_value *
value_path(const struct xs_value *v, const char *path)
{
	char		 seg[1024];
	const char	*p = path;
	size_t		 n, idx;

	if (v == NULL || path == NULL)
		return NULL;
	if (*p == '\0')
		return v;
	while (v != NULL) {
		/* One segment, "\." standing for a literal dot. */
		for (n = 0; *p != '\0' && *p != '.'; p++) {
			if (p[0] == '\\' && p[1] == '.')
				p++;
			if (n + 1 >= sizeof(seg))
				return NULL;
			seg[n++] = *p;
		}
		seg[n] = '\0';
		if (v->type == XS_VALUE_MAP)
			v = value_get(v, seg);
		else if (v->type == XS_VALUE_SEQ && parse_index(seg, &idx) == 0)
			v = idx < v->count ? v->items[idx] : NULL;
		else
			return NULL;
		if (*p == '\0')
			return v;
		p++;
	}
	return NULL;
}

/*
 * Writes "file:line:column" of v into buf ("-" for NULL); returns buf.
 */
const char *
value_where(const struct xs_value *v, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (v == NULL)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s:%u:%u", v->file ? v->file : "-",
		    v->line, v->column);
	return buf;
}

/*
 * A deep copy of v with its positions and secure flag; the caller
 * frees it with value_free.  NULL when out of memory.
 */
struct xs_value *
value_copy(const struct xs_value *v)
{
	struct xs_value	*c, *child;
	size_t		 i;

	if (v == NULL)
		return NULL;
	if ((c = value_new(v->type, v->secure, v->file, v->line,
	    v->column)) == NULL)
		return NULL;
	c->quoted = v->quoted;
	if (v->str != NULL && value_set_string(c, v->str, v->len) == -1)
		goto fail;
	for (i = 0; i < v->count; i++) {
		if ((child = value_copy(v->items[i])) == NULL)
			goto fail;
		if (value_append(c, v->keys ? v->keys[i] : NULL,
		    child) == -1) {
			value_free(child);
			goto fail;
		}
	}
	return c;

fail:
	value_free(c);
	return NULL;
}

/* FNV-1a over bytes, then a final avalanche in value_hash. */
static uint64_t
hash_bytes(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*s = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
hash_u64(uint64_t h, uint64_t x)
{
	return hash_bytes(h, &x, sizeof(x));
}

static uint64_t
hash_tree(const struct xs_value *v, uint64_t h)
{
	size_t	i;

	if (v == NULL)
		return hash_u64(h, 0xffff);
	h = hash_u64(h, (uint64_t)v->type);
	if (v->str != NULL) {
		h = hash_u64(h, v->len);
		h = hash_bytes(h, v->str, v->len);
	}
	h = hash_u64(h, v->count);
	for (i = 0; i < v->count; i++) {
		if (v->keys != NULL) {
			h = hash_u64(h, strlen(v->keys[i]));
			h = hash_bytes(h, v->keys[i], strlen(v->keys[i]));
		}
		h = hash_tree(v->items[i], h);
	}
	return h;
}

/*
 * A 64-bit digest of types, keys and texts below v (not positions), so
 * that equal content hashes alike wherever it sits in a file.  Not a
 * cryptographic hash.
 */
uint64_t
value_hash(const struct xs_value *v, uint64_t seed)
{
	uint64_t	h;

	h = hash_tree(v, 0xcbf29ce484222325ULL ^ seed);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}
