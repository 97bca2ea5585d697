/*
 * Manifest loading: files and directories of YAML documents into a
 * struct manifest_set (core/model.h).
 *
 * A PATH is a file or a directory, walked recursively for *.yaml and *.yml
 * (symlinked directories are not followed; hidden entries are skipped).
 * Each document is parsed on its own; one that is malformed, hostile or
 * invalid becomes a struct manifest_error and the others load normally.
 */
#ifndef XS_MANIFEST_H
#define XS_MANIFEST_H

#include <stdint.h>

#include "model.h"

/*
 * Loads every manifest under path.  Returns a new set (never NULL unless out
 * of memory); problems are in set->errors.  A path that cannot be read at all
 * is one error.  Loads share no state: two may run at once.
 */
struct manifest_set *manifest_load(const char *path);
void		 manifest_free(struct manifest_set *set);

/* Loads from a buffer, as if it were the file named name (for tests). */
struct manifest_set *manifest_load_buffer(const char *name,
		    const char *buf, size_t len);

/* Formats one error: "file:line:col: Kind ns/name: field: message". */
const char	*manifest_error_str(const struct manifest_error *e, char *buf,
		    size_t len);

/* Lookups within a set; NULL when absent. ns is ignored for cluster. */
const struct store *manifest_store(const struct manifest_set *set,
		    int kind, const char *ns, const char *name);
const struct k8s_secret *manifest_secret(const struct manifest_set *set,
		    const char *ns, const char *name);
const struct k8s_namespace *manifest_namespace(
		    const struct manifest_set *set, const char *name);

/*
 * Whether a ClusterSecretStore's conditions let namespace ns use it, using
 * the set's Namespace labels.  1 yes, 0 no.
 */
int		 store_allows_namespace(const struct manifest_set *set,
		    const struct store *st, const char *ns);

/* Go's time.ParseDuration grammar, into milliseconds (sub-millisecond
 * values round up to 1 unless zero).  0 or -1 on a bad string. */
int		 duration_parse(const char *s, int64_t *ms);

/* Kubernetes name rules.  1 valid, 0 not. */
int		 name_is_dns1123_subdomain(const char *s);	/* names */
int		 name_is_dns1123_label(const char *s);		/* namespaces */
int		 name_is_secret_key(const char *s);	/* [-._a-zA-Z0-9]+,
							   not . or .. */

#endif /* XS_MANIFEST_H */
