/*
 * The resource model: SecretStores, ClusterSecretStores, ExternalSecrets,
 * Secrets and Namespaces, as read from manifests (core/manifest.c) and used
 * by the reconciler.  Every object keeps its source document so that errors
 * and providers can point at file:line:column.
 *
 * A struct manifest_set is built by one load and is immutable afterwards; a
 * reload builds a new one.  Objects of one set are compared with those of
 * the previous set by their kind, namespace and name, and by spec_hash.
 */
#ifndef XS_MODEL_H
#define XS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "value.h"

#define STORE_NAMESPACED	0	/* SecretStore */
#define STORE_CLUSTER		1	/* ClusterSecretStore */

#define REFRESH_PERIODIC	0
#define REFRESH_ONCHANGE	1
#define REFRESH_CREATEDONCE	2

#define CREATE_OWNER		0
#define CREATE_ORPHAN		1
#define CREATE_MERGE		2
#define CREATE_CREATEORMERGE	3
#define CREATE_NONE		4

#define DELETE_RETAIN		0
#define DELETE_DELETE		1
#define DELETE_MERGE		2

#define DECODE_NONE		0
#define DECODE_BASE64		1
#define DECODE_BASE64URL	2
#define DECODE_AUTO		3

#define CONVERT_DEFAULT		0
#define CONVERT_UNICODE		1

#define DATAFROM_EXTRACT	0
#define DATAFROM_FIND		1

/* Where an object came from. */
struct origin {
	const char	*file;		/* shared with the set's file list */
	uint32_t	 line;
	uint32_t	 column;
	const char	*api_version;	/* "external-secrets.io/v1", ... */
};

struct kv {
	char		*key;
	char		*value;
	size_t		 len;		/* of value */
};

/* ClusterSecretStore spec.conditions[]: entries are ORed. */
struct store_condition {
	struct kv	*match_labels;		/* namespaceSelector */
	size_t		 nmatch_labels;
	struct label_expr *exprs;		/* matchExpressions */
	size_t		 nexprs;
	int		 has_selector;
	char		**namespaces;
	size_t		 nnamespaces;
	char		**regexes;		/* unanchored POSIX ERE */
	size_t		 nregexes;
};

#define LABEL_IN		0
#define LABEL_NOTIN		1
#define LABEL_EXISTS		2
#define LABEL_DOESNOTEXIST	3

struct label_expr {
	char		*key;
	int		 op;
	char		**values;
	size_t		 nvalues;
};

struct store {
	struct origin	 origin;
	int		 kind;		/* STORE_* */
	char		*ns;		/* "" for a cluster store */
	char		*name;
	char		*provider;	/* the key under spec.provider */
	const struct xs_value *provider_cfg;	/* its value, in doc */
	struct xs_value	*doc;		/* the whole document, owned */
	int64_t		 refresh_ms;	/* spec.refreshInterval; 5 min */
	char		*controller;	/* NULL: none */
	int		 max_retries;	/* spec.retrySettings; -1: unset */
	int64_t		 retry_interval_ms;
	struct store_condition *conds;
	size_t		 nconds;
	double		 rate_qps;	/* xsecrets.io/rate-limit; 0: the
					   provider's default */
	int		 rate_burst;	/* xsecrets.io/rate-burst; 0: auto */
	uint64_t	 spec_hash;	/* of spec; a change rebuilds clients */
};

struct remote_ref {
	char		*key;
	char		*property;	/* NULL when absent */
	char		*version;
	int		 decoding;	/* DECODE_* */
	int		 conversion;	/* CONVERT_* */
	int		 metadata;	/* 1: metadataPolicy Fetch */
};

struct es_data {
	char		*secret_key;
	struct remote_ref ref;
	const struct xs_value *node;	/* NULL once loaded */
};

struct rewrite {
	char		*source;	/* POSIX ERE */
	char		*target;	/* $1 .. $9 and ${1} substitutions */
};

struct es_data_from {
	int		 type;		/* DATAFROM_* */
	struct remote_ref ref;		/* extract */
	char		*find_name;	/* find.name.regexp, or NULL */
	char		*find_path;
	struct kv	*find_tags;
	size_t		 nfind_tags;
	struct rewrite	*rewrites;
	size_t		 nrewrites;
	const struct xs_value *node;	/* NULL once loaded */
};

struct externalsecret {
	struct origin	 origin;
	char		*ns;
	char		*name;
	char		*store_name;
	int		 store_kind;	/* STORE_* */
	int64_t		 refresh_ms;	/* 0: once; default 1h */
	int		 refresh_policy;	/* REFRESH_* */
	char		*target_name;	/* default metadata.name */
	int		 creation;	/* CREATE_* */
	int		 deletion;	/* DELETE_* */
	int		 immutable;	/* spec.target.immutable */
	struct es_data	*data;
	size_t		 ndata;
	struct es_data_from *data_from;
	size_t		 ndata_from;
	struct xs_value	*doc;		/* NULL: not kept, see origin */
	uint64_t	 spec_hash;	/* of spec and metadata.name/ns */
};

/* A Kubernetes Secret holding credentials; values in secure memory. */
struct k8s_secret {
	struct origin	 origin;
	char		*ns;
	char		*name;
	struct kv	*data;		/* data (decoded) and stringData */
	size_t		 ndata;
};

struct k8s_namespace {
	struct origin	 origin;
	char		*name;
	struct kv	*labels;
	size_t		 nlabels;
};

/*
 * A problem found while loading: the document is skipped, the rest loads.
 * kind, ns and name are "" when the document did not get that far.
 */
struct manifest_error {
	char		*file;
	uint32_t	 line;
	uint32_t	 column;
	char		*kind;
	char		*ns;
	char		*name;
	char		*field;		/* "spec.data[0].remoteRef.key" */
	char		*message;
};

struct manifest_set {
	char		**files;	/* every file read; origins point here */
	size_t		 nfiles;
	struct store	*stores;	/* namespaced and cluster */
	size_t		 nstores;
	struct externalsecret *ess;
	size_t		 ness;
	struct k8s_secret *secrets;
	size_t		 nsecrets;
	struct k8s_namespace *namespaces;
	size_t		 nnamespaces;
	struct manifest_error *errors;
	size_t		 nerrors;
	uint64_t	 digest;	/* over every file's content */
};

#endif /* XS_MODEL_H */
