/*
 * The reconciler: keeps every ExternalSecret's target in sync with its
 * provider.  It owns the current manifest set, one client per store
 * generation, the schedule of due times, the worker pool and the status of
 * every object.  See core/reconcile.c for the design.
 */
#ifndef XS_RECONCILE_H
#define XS_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "host.h"
#include "model.h"
#include "status.h"
#include "target.h"

struct reconcile_config {
	const struct xs_host	*host;
	const struct provider_set *providers;
	struct target_root	*targets;
	const char		*status_file;	/* NULL: none */
	const char		*controller;	/* class; NULL: default */
	int			 concurrency;	/* workers; > 0 */
	int			 writers;	/* 0: one a CPU, up to 4 */
	const char		*metrics_addr;	/* "127.0.0.1:9464"; NULL: off */
	int			 progress;	/* --once progress on stderr */
};

struct reconciler;

/* NULL with a message in err when a resource (thread, socket) fails. */
struct reconciler *reconcile_new(const struct reconcile_config *cfg,
	    char *err, size_t errlen);

/*
 * Replaces the manifest set (taking ownership of set).  New and changed
 * objects are scheduled ahead of periodic refreshes; clients of changed or
 * removed stores are closed once idle; Owner targets of removed
 * ExternalSecrets are deleted.  Work in flight is neither lost nor done
 * twice.  Called from the main thread.
 */
void	reconcile_apply(struct reconciler *r, struct manifest_set *set);

/*
 * Syncs every ExternalSecret once, in parallel, and returns when all are
 * done: the number that are not Ready.  For --once.
 */
int	reconcile_once(struct reconciler *r);

/* Starts the scheduler and the workers; returns at once.  0 or -1. */
int	reconcile_start(struct reconciler *r);

/* Finishes in-flight work (no write is cut short) and joins threads. */
void	reconcile_stop(struct reconciler *r);

/*
 * A snapshot of every object's status (ExternalSecrets and stores), for the
 * table.  The entries' strings are in the same allocation: the caller
 * frees *out, and with it everything, with free.
 */
int	reconcile_status(struct reconciler *r, struct status_entry **out,
	    size_t *n);

void	reconcile_free(struct reconciler *r);

#endif /* XS_RECONCILE_H */
