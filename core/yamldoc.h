/*
 * YAML streams to value trees (core/yaml.c), for the manifest loader.
 * (Not named yaml.h: that would hide libyaml's own header.)
 *
 * Every scalar becomes an XS_VALUE_STRING (quoted set when it was quoted
 * or a block scalar): no YAML 1.1 typing happens here, the schema reader
 * decides what a scalar means.  Aliases are expanded into copies, counted
 * against VALUE_MAX_NODES; duplicate keys, merge keys, unknown tags,
 * non-scalar keys and every limit of value.h are errors of the document.
 */
#ifndef XS_YAMLDOC_H
#define XS_YAMLDOC_H

#include <stddef.h>
#include <stdint.h>

#include "value.h"

#define YAML_MAX_DOCS	10000	/* documents per stream */

/*
 * What yaml_parse reports for each document: either root (owned by the
 * callee from then on; NULL for an empty or comment-only document, which
 * is not reported at all) or an error at line:column with a message.
 */
struct yaml_doc {
	struct xs_value	*root;
	uint32_t	 line;		/* where the document or error is */
	uint32_t	 column;
	const char	*error;		/* NULL when root is set */
};

/* Called once per document; a non-zero return stops the stream. */
typedef int	(*yaml_doc_fn)(void *arg, struct yaml_doc *doc);

/*
 * Parses buf as a stream of YAML documents named file (borrowed; stored in
 * every node).  Trees are built in secure memory when secure is set.  A
 * document that breaks a rule is reported as an error and the stream goes
 * on; a syntax error, nesting past VALUE_MAX_DEPTH, or a stream limit
 * (documents, directives) is reported and ends the stream.  Returns 0 when
 * the whole stream was read, -1 when it ended early.
 */
int	yaml_parse(const char *file, const char *buf, size_t len, int secure,
	    yaml_doc_fn fn, void *arg);

/*
 * How many blocks libyaml has freed and reallocated in this thread through
 * our yaml_free and yaml_realloc, which zero each block first (yaml.c).
 * For tests: both stay 0 if libyaml does not call them.
 */
void	yaml_alloc_counts(uint64_t *frees, uint64_t *reallocs);

#endif /* XS_YAMLDOC_H */
