/*
 * Status of ExternalSecrets and stores, in ESO's terms: a Ready condition
 * with a reason and a stable message, refreshTime and binding.  The status
 * file is JSON, rewritten atomically (temporary file, fsync, rename); the
 * table is what --once prints.
 */
#ifndef XS_STATUS_H
#define XS_STATUS_H

#include <stdint.h>
#include <stdio.h>

/* ExternalSecret reasons. */
#define REASON_SYNCED		"SecretSynced"
#define REASON_SYNC_ERROR	"SecretSyncedError"
#define REASON_DELETED		"SecretDeleted"
#define REASON_MISSING		"SecretMissing"
/* Store reasons. */
#define REASON_VALID		"Valid"
#define REASON_INVALID_CONFIG	"InvalidProviderConfig"
#define REASON_UNKNOWN		"ValidationUnknown"

#define STATUS_MSG_MAX	256

/*
 * One object's status.  The strings are borrowed: reconcile_status puts
 * them in the same allocation as the entries, so that a snapshot of tens
 * of thousands of objects costs what their names and messages take, not
 * a fixed kilobyte each.
 */
struct status_entry {
	const char	*kind;		/* "ExternalSecret", "SecretStore",
					   "ClusterSecretStore" */
	const char	*ns;		/* "" for cluster objects */
	const char	*name;
	const char	*store;		/* ExternalSecret: its store's name */
	const char	*binding;	/* ExternalSecret: the target name */
	const char	*reason;	/* REASON_* */
	const char	*message;
	int		 ready;		/* 1 True, 0 False, -1 Unknown */
	int64_t		 transition_ms;	/* lastTransitionTime; wall ms */
	int64_t		 refresh_ms;	/* refreshTime; 0: never synced */
	uint64_t	 synced_version;	/* syncedResourceVersion */
};

/*
 * Writes all entries to path as JSON, atomically, mode 0600.  A NULL
 * string is written as "".  0 or -1 with errno set.
 */
int	status_write_file(const char *path, const struct status_entry *e,
	    size_t n);

/*
 * Prints the table of ExternalSecrets (namespace, name, store, ready,
 * reason, message) to fp, sorted by namespace and name, columns sized to
 * their content.
 */
void	status_print_table(FILE *fp, const struct status_entry *e, size_t n);

/* RFC 3339 UTC time ("2026-12-03T10:00:00Z") of wall ms into buf. */
const char *status_time(int64_t ms, char *buf, size_t len);

#endif /* XS_STATUS_H */
