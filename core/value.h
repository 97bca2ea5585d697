/*
 * Value trees: the in-memory form of YAML documents and JSON texts.
 *
 * A tree is made of struct xs_value nodes.  Every node remembers where it
 * came from (file, line, column) so that errors can point at it.  Strings are
 * NUL-terminated and carry their length (they may hold NUL bytes only when
 * they come from JSON).  A tree is owned by its root; value_free frees it all.
 * A tree built with secure set is allocated with secure memory and zeroed on
 * free; manifests holding Secret objects and all provider responses are.
 *
 * Trees are immutable once built, and so safe to read from any thread.
 */
#ifndef XS_VALUE_H
#define XS_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "xsecrets/provider.h"

struct xs_value {
	int32_t		 type;		/* XS_VALUE_* */
	uint32_t	 line;		/* 1-based; 0 when unknown */
	uint32_t	 column;	/* 1-based */
	uint8_t		 secure;	/* allocated with secure memory */
	uint8_t		 quoted;	/* YAML scalar was quoted or a block */
	const char	*file;		/* shared, owned by the root's owner */
	char		*str;		/* STRING, NUMBER, BOOL: the text */
	size_t		 len;		/* length of str */
	size_t		 count;		/* MAP, SEQ: number of children */
	char		**keys;		/* MAP: keys, in document order */
	struct xs_value	**items;	/* MAP, SEQ: children */
};

/* Limits that every parser enforces; exceeding one is an error. */
#define VALUE_MAX_DEPTH		64
#define VALUE_MAX_NODES		100000	/* per document, aliases expanded */
#define VALUE_MAX_SCALAR	(1024 * 1024)
#define VALUE_MAX_FILE		(8 * 1024 * 1024)

/* Constructors; NULL on allocation failure. file is borrowed. */
struct xs_value	*value_new(int32_t type, int secure, const char *file,
		    uint32_t line, uint32_t column);
/* Sets a scalar's text (copied).  0 or -1. */
int		 value_set_string(struct xs_value *v, const char *s,
		    size_t len);
/* Appends a child (taking ownership) to a MAP (key copied) or SEQ (key
 * NULL).  0 or -1; on -1 the child is not taken. */
int		 value_append(struct xs_value *parent, const char *key,
		    struct xs_value *child);
void		 value_free(struct xs_value *v);

/* Readers; all accept NULL. */
const struct xs_value *value_get(const struct xs_value *map,
		    const char *key);
/* The string of a STRING node, else NULL. */
const char	*value_str(const struct xs_value *v);
/* value_get + value_str. */
const char	*value_get_str(const struct xs_value *map, const char *key);
/* Follows a path of keys separated by '.', e.g. "spec.target.name". */
const struct xs_value *value_lookup(const struct xs_value *root,
		    const char *dotted);
/* The property path of xs_host.value_path: "a.b.0", "\." escapes a dot. */
const struct xs_value *value_path(const struct xs_value *v,
		    const char *path);
/* "file:line:column" into buf; returns buf. */
const char	*value_where(const struct xs_value *v, char *buf,
		    size_t len);
/* A deep copy, with the same secure flag.  NULL on failure. */
struct xs_value	*value_copy(const struct xs_value *v);
/* A stable 64-bit digest of a subtree (types, keys and strings). */
uint64_t	 value_hash(const struct xs_value *v, uint64_t seed);

/*
 * JSON (core/json.c).  json_parse builds a secure tree; errors go to err.
 * json_print returns compact JSON text (secure memory when the tree is) or
 * NULL; the caller frees it with xs_secure_free or free accordingly.
 */
int		 json_parse(const char *text, size_t len,
		    struct xs_value **out, char *err, size_t errlen);
char		*json_print(const struct xs_value *v, size_t *len);

#endif /* XS_VALUE_H */
