/*
 * YAML streams to value trees, on top of libyaml's event parser.
 *
 * libyaml checks the encoding (UTF-8 or UTF-16 with a BOM, no control
 * characters, NUL included) and the syntax, but it has no nesting limit,
 * accepts duplicate keys and leaves aliases as references, so a few
 * hundred bytes of aliases can stand for billions of nodes.  This file
 * builds the tree itself and holds each document to value.h's limits:
 *
 *	depth	 an explicit stack of at most VALUE_MAX_DEPTH open
 *		 collections, so no recursion follows the input;
 *	nodes	 every scalar and collection counts one, an alias counts
 *		 the size of the subtree it copies, at most VALUE_MAX_NODES;
 *	bytes	 scalars at most VALUE_MAX_SCALAR each, and at most
 *		 YAML_MAX_BYTES of scalar text per document, aliases included,
 *		 so that expansion is bounded in memory as well as in count.
 *
 * Anchors are registered when their node is complete (an alias inside its
 * own anchor is therefore unknown, which rules out cycles) and kept in a
 * hash table, as are the keys of every mapping, so that duplicate checks
 * and alias lookups stay linear in the document's size.
 *
 * A rule broken inside a document fails that document only: the remaining
 * events of the document are read and dropped, and the next document is
 * built normally.  A syntax error ends the stream, and so does nesting
 * past the limit, built or skipped: libyaml's scanner spends time
 * proportional to the flow depth on every token, so skipping millions of
 * '[' would take hours.  For the same reason (each %TAG is compared with
 * every earlier one) a stream with more than YAML_MAX_DIRECTIVES lines
 * starting with '%' is refused before libyaml sees it.
 *
 * Scalars may hold secrets (Secret manifests), so the event buffers and
 * libyaml's input buffers are cleansed before they are released, and so is
 * every block libyaml frees: see yaml_free below.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "log.h"
#include "value.h"
#include "yamldoc.h"

/*
 * libyaml allocates only through yaml_malloc, yaml_realloc and yaml_free,
 * exported functions it calls through its PLT.  These definitions take
 * their place in the process, so that every block libyaml frees is zeroed
 * first: the scanner's token strings and the partial copies a growing
 * scalar leaves behind when it is reallocated hold pieces of secrets, and
 * are out of reach of the cleansing of events and input buffers.  The
 * counts let a test prove that libyaml calls these and not its own; they
 * are per thread, since one shared counter bumped on every free by the
 * parallel manifest readers cost them several per cent of their time in
 * a cold start, moving its cache line from core to core.
 */
void	*yaml_malloc(size_t);
void	*yaml_realloc(void *, size_t);
void	 yaml_free(void *);

static __thread uint64_t	yaml_frees, yaml_reallocs;

void *
yaml_malloc(size_t size)
{
	return malloc(size != 0 ? size : 1);
}

void *
yaml_realloc(void *ptr, size_t size)
{
	void	*p;

	if ((p = xs_zrealloc(ptr, size)) != NULL && ptr != NULL)
		yaml_reallocs++;
	return p;
}

void
yaml_free(void *ptr)
{
	if (ptr == NULL)
		return;
	xs_zfree(ptr);
	yaml_frees++;
}

/*
 * How many blocks libyaml freed and reallocated through the above, in the
 * calling thread.
 */
void
yaml_alloc_counts(uint64_t *frees, uint64_t *reallocs)
{
	*frees = yaml_frees;
	*reallocs = yaml_reallocs;
}

#define YAML_MAX_BYTES		(2 * VALUE_MAX_FILE)
#define YAML_ERR_MAX		256
#define YAML_CORE_TAG		"tag:yaml.org,2002:"
#define YAML_MAX_DIRECTIVES	64	/* %YAML and %TAG lines per stream */

/* One entry of the anchor table or of the mapping-key table. */
struct hent {
	uint64_t	 hash;
	const void	*owner;		/* the mapping; NULL for anchors */
	const char	*name;		/* the anchor (owned) or key */
	struct xs_value	*node;		/* anchors: the anchored node */
	size_t		 nodes;
	size_t		 bytes;
	int		 depth;
};

struct htab {
	struct hent	*ents;
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 n;
};

/* An open collection. */
struct frame {
	struct xs_value	*node;
	char		*anchor;
	size_t		 nodes_start;
	size_t		 bytes_start;
	char		*key;		/* a mapping's pending key */
};

struct builder {
	const char	*file;
	int		 secure;
	struct xs_value	*root;
	struct frame	 stack[VALUE_MAX_DEPTH + 1];
	int		 depth;
	size_t		 nodes;
	size_t		 bytes;
	struct htab	 anchors;
	struct htab	 keys;
	int		 open;		/* collections open, built or not */
	int		 failed;
	char		 err[YAML_ERR_MAX];
	uint32_t	 eline;
	uint32_t	 ecol;
};

static uint64_t
hash_name(const void *owner, const char *name)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ (uint64_t)(uintptr_t)owner;
	const char	*p;

	for (p = name; *p != '\0'; p++) {
		h ^= (unsigned char)*p;
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

static struct hent *
htab_find(const struct htab *t, const void *owner, const char *name)
{
	uint64_t	h = hash_name(owner, name);
	size_t		i;

	if (t->cap == 0)
		return NULL;
	for (i = h & (t->cap - 1); t->ents[i].name != NULL;
	    i = (i + 1) & (t->cap - 1))
		if (t->ents[i].hash == h && t->ents[i].owner == owner &&
		    strcmp(t->ents[i].name, name) == 0)
			return &t->ents[i];
	return NULL;
}

/* Adds an entry (name not present); returns it, or NULL when out of memory. */
static struct hent *
htab_add(struct htab *t, const void *owner, const char *name)
{
	struct hent	*ents, *e;
	size_t		 cap, i, j;

	if ((t->n + 1) * 2 > t->cap) {
		cap = t->cap == 0 ? 64 : t->cap * 2;
		if ((ents = calloc(cap, sizeof(*ents))) == NULL)
			return NULL;
		for (i = 0; i < t->cap; i++) {
			if (t->ents[i].name == NULL)
				continue;
			for (j = t->ents[i].hash & (cap - 1);
			    ents[j].name != NULL; j = (j + 1) & (cap - 1))
				;
			ents[j] = t->ents[i];
		}
		free(t->ents);
		t->ents = ents;
		t->cap = cap;
	}
	for (i = hash_name(owner, name) & (t->cap - 1); t->ents[i].name != NULL;
	    i = (i + 1) & (t->cap - 1))
		;
	e = &t->ents[i];
	e->hash = hash_name(owner, name);
	e->owner = owner;
	e->name = name;
	t->n++;
	return e;
}

static void
htab_free(struct htab *t, int owns_names)
{
	size_t	i;

	if (owns_names)
		for (i = 0; i < t->cap; i++)
			free((char *)t->ents[i].name);
	free(t->ents);
	memset(t, 0, sizeof(*t));
}

static void
fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
    XS_PRINTF(3, 4);

static void
fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list	ap;

	if (b->failed)
		return;
	b->failed = 1;
	b->eline = (uint32_t)m->line + 1;
	b->ecol = (uint32_t)m->column + 1;
	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
}

/* Drops the document being built and every table that refers to it. */
static void
builder_reset(struct builder *b)
{
	int	i;

	for (i = 0; i < b->depth; i++) {
		free(b->stack[i].anchor);
		xs_secure_free(b->stack[i].key);
	}
	value_free(b->root);
	htab_free(&b->anchors, 1);
	htab_free(&b->keys, 0);
	b->root = NULL;
	b->depth = 0;
	b->open = 0;
	b->nodes = 0;
	b->bytes = 0;
	b->failed = 0;
	b->err[0] = '\0';
}

/* Whether a tag is one we read; every other tag is refused. */
static int
tag_known(const yaml_char_t *tag)
{
	static const char *const core[] = {
		"str", "int", "float", "bool", "null", "map", "seq",
		"binary", "timestamp",
	};
	const char	*t = (const char *)tag;
	size_t		 i;

	if (t == NULL || strcmp(t, "!") == 0)
		return 1;
	if (strncmp(t, YAML_CORE_TAG, strlen(YAML_CORE_TAG)) != 0)
		return 0;
	t += strlen(YAML_CORE_TAG);
	for (i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		if (strcmp(t, core[i]) == 0)
			return 1;
	return 0;
}

static int
check_tag(struct builder *b, const yaml_event_t *ev, const yaml_char_t *tag)
{
	if (tag_known(tag))
		return 0;
	fail_at(b, &ev->start_mark, "unknown tag %.64s", (const char *)tag);
	return -1;
}

static int
depth_of(const struct xs_value *v)
{
	size_t	i;
	int	d, max = 0;

	for (i = 0; i < v->count; i++)
		if ((d = depth_of(v->items[i])) > max)
			max = d;
	return max + 1;
}

static int
anchor_register(struct builder *b, const yaml_event_t *ev, char *name,
    struct xs_value *node, size_t nodes, size_t bytes)
{
	struct hent	*e;

	if ((e = htab_find(&b->anchors, NULL, name)) != NULL)
		free(name);	/* a redefinition replaces the anchor */
	else if ((e = htab_add(&b->anchors, NULL, name)) == NULL) {
		free(name);
		fail_at(b, &ev->start_mark, "out of memory");
		return -1;
	}
	e->node = node;
	e->nodes = nodes;
	e->bytes = bytes;
	e->depth = depth_of(node);
	return 0;
}

/*
 * Takes a scalar as the pending key of the mapping on top of the stack:
 * refuses merge keys, NUL bytes and duplicates.
 */
static int
take_key(struct builder *b, const yaml_event_t *ev, struct xs_value *k)
{
	struct frame	*f = &b->stack[b->depth - 1];

	if (k->type != XS_VALUE_STRING) {
		fail_at(b, &ev->start_mark, "mapping keys must be scalars");
		return -1;
	}
	if (strlen(k->str) != k->len) {
		fail_at(b, &ev->start_mark, "NUL byte in a mapping key");
		return -1;
	}
	if (!k->quoted && strcmp(k->str, "<<") == 0) {
		fail_at(b, &ev->start_mark,
		    "merge keys (<<) are not supported");
		return -1;
	}
	if (htab_find(&b->keys, f->node, k->str) != NULL) {
		fail_at(b, &ev->start_mark, "duplicate key \"%.64s\"", k->str);
		return -1;
	}
	if ((f->key = xs_secure_strndup(k->str, k->len)) == NULL) {
		fail_at(b, &ev->start_mark, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Attaches a finished or just-opened node to its parent (or makes it the
 * root).  For a mapping expecting a key, only a scalar is accepted, and it
 * becomes the pending key instead.  Takes ownership of v in every case.
 */
static int
attach(struct builder *b, const yaml_event_t *ev, struct xs_value *v)
{
	struct frame	*f;
	struct xs_value	*p;
	int		 rc;

	if (b->depth == 0) {
		b->root = v;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	p = f->node;
	if (p->type == XS_VALUE_MAP && f->key == NULL) {
		rc = take_key(b, ev, v);
		value_free(v);
		return rc;
	}
	if (value_append(p, p->type == XS_VALUE_MAP ? f->key : NULL,
	    v) == -1) {
		value_free(v);
		fail_at(b, &ev->start_mark, "out of memory");
		return -1;
	}
	if (p->type == XS_VALUE_MAP) {
		xs_secure_free(f->key);
		f->key = NULL;
		if (htab_add(&b->keys, p, p->keys[p->count - 1]) == NULL) {
			fail_at(b, &ev->start_mark, "out of memory");
			return -1;
		}
	}
	return 0;
}

static int
count_node(struct builder *b, const yaml_event_t *ev, size_t nodes,
    size_t bytes)
{
	if (nodes > VALUE_MAX_NODES - b->nodes) {
		fail_at(b, &ev->start_mark,
		    "document has more than %d nodes (aliases expanded)",
		    VALUE_MAX_NODES);
		return -1;
	}
	if (bytes > YAML_MAX_BYTES - b->bytes) {
		fail_at(b, &ev->start_mark,
		    "document holds more than %d bytes of scalars "
		    "(aliases expanded)", YAML_MAX_BYTES);
		return -1;
	}
	b->nodes += nodes;
	b->bytes += bytes;
	return 0;
}

static struct xs_value *
node_at(struct builder *b, const yaml_event_t *ev, int32_t type)
{
	struct xs_value	*v;

	v = value_new(type, b->secure, b->file,
	    (uint32_t)ev->start_mark.line + 1,
	    (uint32_t)ev->start_mark.column + 1);
	if (v == NULL)
		fail_at(b, &ev->start_mark, "out of memory");
	return v;
}

static char *
anchor_dup(struct builder *b, const yaml_event_t *ev, const yaml_char_t *a)
{
	char	*s;

	if (a == NULL)
		return NULL;
	if ((s = strdup((const char *)a)) == NULL)
		fail_at(b, &ev->start_mark, "out of memory");
	return s;
}

static int
on_scalar(struct builder *b, const yaml_event_t *ev)
{
	struct xs_value	*v;
	size_t		 len = ev->data.scalar.length;
	char		*anchor;

	if (check_tag(b, ev, ev->data.scalar.tag) == -1)
		return -1;
	if (len > VALUE_MAX_SCALAR) {
		fail_at(b, &ev->start_mark, "scalar longer than %d bytes",
		    VALUE_MAX_SCALAR);
		return -1;
	}
	if (count_node(b, ev, 1, len) == -1 ||
	    (v = node_at(b, ev, XS_VALUE_STRING)) == NULL)
		return -1;
	v->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (value_set_string(v, (const char *)ev->data.scalar.value,
	    len) == -1) {
		value_free(v);
		fail_at(b, &ev->start_mark, "out of memory");
		return -1;
	}
	if (ev->data.scalar.anchor != NULL) {
		if (b->depth > 0 && b->stack[b->depth - 1].node->type ==
		    XS_VALUE_MAP && b->stack[b->depth - 1].key == NULL) {
			fail_at(b, &ev->start_mark,
			    "anchors on mapping keys are not supported");
			value_free(v);
			return -1;
		}
		if ((anchor = anchor_dup(b, ev, ev->data.scalar.anchor)) ==
		    NULL || anchor_register(b, ev, anchor, v, 1, len) == -1) {
			value_free(v);
			return -1;
		}
	}
	return attach(b, ev, v);
}

static int
on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char	*name = (const char *)ev->data.alias.anchor;
	struct hent	*e;
	struct xs_value	*v;

	if ((e = htab_find(&b->anchors, NULL, name)) == NULL) {
		fail_at(b, &ev->start_mark, "unknown anchor \"%.64s\"", name);
		return -1;
	}
	/* e->depth counts the scalar leaves, which do not nest. */
	if (b->depth + e->depth - 1 > VALUE_MAX_DEPTH) {
		fail_at(b, &ev->start_mark, "nesting deeper than %d levels",
		    VALUE_MAX_DEPTH);
		return -1;
	}
	if (count_node(b, ev, e->nodes, e->bytes) == -1)
		return -1;
	if ((v = value_copy(e->node)) == NULL) {
		fail_at(b, &ev->start_mark, "out of memory");
		return -1;
	}
	return attach(b, ev, v);
}

static int
on_start(struct builder *b, const yaml_event_t *ev, int32_t type,
    const yaml_char_t *tag, const yaml_char_t *anchor)
{
	struct frame	*f;
	struct xs_value	*v;

	if (check_tag(b, ev, tag) == -1)
		return -1;
	if (b->depth >= VALUE_MAX_DEPTH) {
		fail_at(b, &ev->start_mark, "nesting deeper than %d levels",
		    VALUE_MAX_DEPTH);
		return -1;
	}
	if (b->depth > 0 && b->stack[b->depth - 1].node->type ==
	    XS_VALUE_MAP && b->stack[b->depth - 1].key == NULL) {
		fail_at(b, &ev->start_mark, "mapping keys must be scalars");
		return -1;
	}
	if (count_node(b, ev, 1, 0) == -1 ||
	    (v = node_at(b, ev, type)) == NULL)
		return -1;
	if (attach(b, ev, v) == -1)
		return -1;
	f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = v;
	f->nodes_start = b->nodes - 1;
	f->bytes_start = b->bytes;
	if (anchor != NULL && (f->anchor = anchor_dup(b, ev, anchor)) == NULL)
		return -1;
	return 0;
}

static int
on_end(struct builder *b, const yaml_event_t *ev)
{
	struct frame	*f = &b->stack[--b->depth];
	int		 rc = 0;

	if (f->anchor != NULL)
		rc = anchor_register(b, ev, f->anchor, f->node,
		    b->nodes - f->nodes_start, b->bytes - f->bytes_start);
	xs_secure_free(f->key);
	memset(f, 0, sizeof(*f));
	return rc;
}

/* Builds one event into the current document; -1 marks it failed. */
static int
on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, ev, XS_VALUE_SEQ,
		    ev->data.sequence_start.tag,
		    ev->data.sequence_start.anchor);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, ev, XS_VALUE_MAP,
		    ev->data.mapping_start.tag,
		    ev->data.mapping_start.anchor);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b, ev);
	default:
		return 0;
	}
}

/* Whether a finished document holds nothing (empty or comments only). */
static int
doc_empty(const struct xs_value *root)
{
	return root == NULL || (root->type == XS_VALUE_STRING &&
	    !root->quoted && root->len == 0);
}

/* Finishes the current document: reports it, unless it is empty. */
static int
doc_end(struct builder *b, yaml_doc_fn fn, void *arg)
{
	struct yaml_doc	doc;
	int		rc = 0;

	memset(&doc, 0, sizeof(doc));
	if (b->failed) {
		doc.line = b->eline;
		doc.column = b->ecol;
		doc.error = b->err;
		rc = fn(arg, &doc);
	} else if (!doc_empty(b->root)) {
		doc.root = b->root;
		doc.line = b->root->line;
		doc.column = b->root->column;
		b->root = NULL;
		rc = fn(arg, &doc);
	}
	builder_reset(b);
	return rc;
}

/*
 * Whether the stream must stop because of its nesting.  libyaml's scanner
 * costs time proportional to the flow depth for every token, so a document
 * of millions of '[' would take hours to skip: past VALUE_MAX_DEPTH open
 * collections, built or being skipped, the rest of the stream is dropped.
 */
static int
too_deep(struct builder *b, const yaml_event_t *ev)
{
	if (ev->type == YAML_SEQUENCE_START_EVENT ||
	    ev->type == YAML_MAPPING_START_EVENT)
		b->open++;
	else if (ev->type == YAML_SEQUENCE_END_EVENT ||
	    ev->type == YAML_MAPPING_END_EVENT)
		b->open--;
	if (b->open <= VALUE_MAX_DEPTH)
		return 0;
	fail_at(b, &ev->start_mark, "nesting deeper than %d levels",
	    VALUE_MAX_DEPTH);
	return 1;
}

/* The line and column of a byte offset, for reader (encoding) errors. */
static void
offset_mark(const char *buf, size_t len, size_t off, yaml_mark_t *m)
{
	size_t	i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			m->line++;
			m->column = 0;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80)
			m->column++;
	}
}

static int
report_syntax(struct builder *b, const yaml_parser_t *p, const char *buf,
    size_t len, yaml_doc_fn fn, void *arg)
{
	yaml_mark_t	 m = p->problem_mark;
	const char	*problem = p->problem ? p->problem : "syntax error";

	if (p->error == YAML_READER_ERROR)
		offset_mark(buf, len, p->problem_offset, &m);
	else if (p->error == YAML_MEMORY_ERROR)
		problem = "out of memory";
	b->failed = 0;
	if (p->context != NULL && p->error != YAML_READER_ERROR)
		fail_at(b, &m, "YAML: %s %s", p->context, problem);
	else
		fail_at(b, &m, "YAML: %s", problem);
	return doc_end(b, fn, arg);
}

static void
event_release(yaml_event_t *ev)
{
	if (ev->type == YAML_SCALAR_EVENT)
		xs_cleanse(ev->data.scalar.value, ev->data.scalar.length);
	yaml_event_delete(ev);
}

static void
parser_release(yaml_parser_t *p)
{
	if (p->buffer.start != NULL)
		xs_cleanse(p->buffer.start,
		    (size_t)(p->buffer.end - p->buffer.start));
	if (p->raw_buffer.start != NULL)
		xs_cleanse(p->raw_buffer.start,
		    (size_t)(p->raw_buffer.end - p->raw_buffer.start));
	yaml_parser_delete(p);
}

/*
 * Finds the line of the first directive past YAML_MAX_DIRECTIVES, or 0.
 * libyaml checks each %TAG against all earlier ones, so a file of nothing
 * but directives costs time quadratic in its size.  A line starting with
 * '%' is counted whether or not it is a directive; no manifest needs many.
 */
static uint32_t
directive_flood(const char *buf, size_t len)
{
	size_t		i, n = 0;
	uint32_t	line = 1;

	for (i = 0; i < len; i++) {
		if ((i == 0 || buf[i - 1] == '\n') && buf[i] == '%' &&
		    ++n > YAML_MAX_DIRECTIVES)
			return line;
		if (buf[i] == '\n')
			line++;
	}
	return 0;
}

/*
 * See yamldoc.h.  The callback owns each root it is given.  Shares no
 * state with other calls: parses may run at once.
 */
int
yaml_parse(const char *file, const char *buf, size_t len, int secure,
    yaml_doc_fn fn, void *arg)
{
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	yaml_mark_t	 m = { 0, 0, 0 };
	struct builder	*b;
	size_t		 ndocs = 0;
	int		 rc = -1, done = 0;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	b->file = file;
	b->secure = secure;
	if ((m.line = directive_flood(buf, len)) != 0) {
		m.line--;
		fail_at(b, &m, "more than %d directives",
		    YAML_MAX_DIRECTIVES);
		doc_end(b, fn, arg);
		free(b);
		return -1;
	}
	if (!yaml_parser_initialize(&parser)) {
		free(b);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			report_syntax(b, &parser, buf, len, fn, arg);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			rc = 0;
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			builder_reset(b);
			if (++ndocs > YAML_MAX_DOCS) {
				fail_at(b, &ev.start_mark,
				    "more than %d documents in one file",
				    YAML_MAX_DOCS);
				doc_end(b, fn, arg);
				done = 1;
			}
			break;
		case YAML_DOCUMENT_END_EVENT:
			if (doc_end(b, fn, arg) != 0)
				done = 1;
			break;
		default:
			if (!b->failed)
				on_event(b, &ev);
			if (too_deep(b, &ev)) {
				doc_end(b, fn, arg);
				done = 1;
			}
			break;
		}
		event_release(&ev);
	}
	builder_reset(b);
	free(b);
	parser_release(&parser);
	return rc;
}
