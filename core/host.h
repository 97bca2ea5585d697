/*
 * The host side of the provider ABI: the struct xs_host table handed to
 * every provider, the objects behind its opaque handles, and the loader that
 * finds, checks and loads provider modules.
 */
#ifndef XS_HOST_H
#define XS_HOST_H

#include <pthread.h>
#include <stdint.h>

#include "xsecrets/provider.h"
#include "model.h"

/*
 * What a provider sees as a struct xs_store.  The reconciler builds one per
 * store generation; it owns it and keeps it alive until the client built for
 * it is closed.  set is the manifest set the store came from (for credential
 * lookups); it stays alive at least as long.
 */
struct xs_store {
	const struct store		*store;
	const struct manifest_set	*set;
	const struct xs_provider	*desc;	/* endpoints, log prefix */
};

#define DIAG_MSG_MAX	512
#define DIAG_MAX_WARN	8

/* Error and warnings of one provider call; lives on the caller's stack. */
struct xs_diag {
	char		 error[DIAG_MSG_MAX];	/* "" when none */
	char		 warnings[DIAG_MAX_WARN][DIAG_MSG_MAX];
	int		 nwarnings;
};

void	diag_init(struct xs_diag *d);

/* One key of a result; data in secure memory. */
struct result_item {
	char		*key;		/* NULL for result_set */
	uint8_t		*data;
	size_t		 len;
};

/* What get_secret / get_secret_map / find_secrets produced. */
struct xs_result {
	struct result_item *items;
	size_t		 nitems;
	size_t		 cap;
	int		 has_value;	/* result_set was called */
	size_t		 total;		/* bytes held; capped */
};

#define RESULT_MAX_BYTES	(4 * 1024 * 1024)
#define RESULT_MAX_ITEMS	10000

void	result_init(struct xs_result *r);
/* Zeroes and frees every item; r can be reused after result_init. */
void	result_clear(struct xs_result *r);

/*
 * Names the provider that the calling thread is about to call into, for the
 * prefix of host->log lines; NULL after the call.
 */
void	host_enter(const struct xs_provider *desc);

/*
 * A gate that every HTTP request the calling thread's provider call makes
 * passes, after the endpoint policy and before it is sent: fn(arg) returns
 * 0 to send it, or -1 to fail it with XS_ERR_UNAVAILABLE.  The reconciler
 * takes a rate-limit token in it, so that a call making many requests (a
 * find, a provider's own retry) pays for each.  host_gate(NULL, NULL)
 * after the call.
 */
void	host_gate(int (*fn)(void *), void *arg);

/*
 * Daemon-wide settings of the host API; set once at start-up, before any
 * provider runs.
 */
struct host_config {
	const char	*ca_file;	/* system default when NULL */
	uint32_t	 http_timeout_ms;	/* default 10000 */
	size_t		 http_max_response;	/* default 1 MiB */
	char		**allow;	/* extra endpoint patterns: "host",
					   "*.domain", "http://127.0.0.1:*" */
	size_t		 nallow;
};

/*
 * Builds the host table.  Call once at start-up (it initialises libcurl and
 * OpenSSL globally); host_shutdown undoes it at exit.
 */
const struct xs_host *host_init(const struct host_config *cfg);
void	host_shutdown(void);

/* Counters kept by the host, for metrics: provider HTTP calls. */
struct host_stats {
	uint64_t	http_requests;
	uint64_t	http_errors;
	uint64_t	http_denied;
};
void	host_stats(struct host_stats *out);

/*
 * Endpoint policy, exposed for tests.  Returns 1 when url may be reached by
 * provider (whose descriptor lists default patterns), else 0 with a reason.
 */
int	host_endpoint_allowed(const struct xs_provider *prov, const char *url,
	    char *why, size_t whylen);

/* A loaded provider module. */
struct provider {
	char			*path;		/* absolute path of the .so */
	const struct xs_provider *desc;
};

struct provider_set {
	struct provider	*providers;
	size_t		 nproviders;
};

/*
 * Loads every "<name>.so" in dir (absolute path).  Each module is checked
 * before any of its code runs: permissions of the directory and file (not
 * group- or world-writable, owned by root or the daemon's user, regular file
 * not a symlink), then the entry symbol, then the descriptor (ABI version,
 * size, name matching the file, required functions).  A refused module is
 * logged once with its path and reason, and skipped.  Modules are never
 * unloaded.  Returns 0, or -1 when dir itself is unusable.
 */
int	loader_load_dir(const char *dir, struct provider_set *out);
/* Loads one module by absolute path; 0, or -1 with a reason in why. */
int	loader_load_file(const char *path, struct provider *out, char *why,
	    size_t whylen);
const struct provider *loader_find(const struct provider_set *set,
	    const char *name);
/* Frees what a set holds (paths, descriptor copies); modules stay loaded. */
void	loader_free(struct provider_set *set);

#endif /* XS_HOST_H */
