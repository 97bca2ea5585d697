/*
 * Scheduling primitives of the reconciler: a min-heap of due times keyed by
 * object id, deterministic per-object jitter, and capped exponential
 * backoff.  Not thread-safe: the reconciler serialises access.
 */
#ifndef XS_SCHED_H
#define XS_SCHED_H

#include <stddef.h>
#include <stdint.h>

#define SCHED_URGENT	0	/* new or changed object: runs first */
#define SCHED_PERIODIC	1	/* refresh or retry */

struct sched;

struct sched	*sched_new(void);
void		 sched_free(struct sched *s);

/*
 * Schedules id at due_ms (monotonic ms), replacing any earlier entry for the
 * same id.  Among entries that are due, SCHED_URGENT ones come first, then
 * the earliest.  0, or -1 when out of memory.
 */
int		 sched_add(struct sched *s, uint64_t id, int64_t due_ms,
		    int prio);
/* Removes id if present. */
void		 sched_remove(struct sched *s, uint64_t id);
/* Pops one entry due at now_ms into *id: 1, or 0 when none is due. */
int		 sched_pop_due(struct sched *s, int64_t now_ms, uint64_t *id);
/* The earliest due time, or -1 when empty. */
int64_t		 sched_next_due(const struct sched *s);
size_t		 sched_len(const struct sched *s);
/* Whether id is scheduled; its due time in *due_ms. */
int		 sched_lookup(const struct sched *s, uint64_t id,
		    int64_t *due_ms);

/*
 * A deterministic jitter for key in [0, interval_ms / 10]: the same key
 * always gets the same offset, so restarts and reloads spread the same way.
 */
int64_t		 sched_jitter(const char *key, int64_t interval_ms);

/*
 * The delay before retry number failures (1 for the first retry):
 * base_ms * 2^(failures-1), plus up to 20% jitter derived from key and
 * failures, never more than cap_ms (the object's refresh interval; 0 or
 * less: no cap beyond one day).
 */
int64_t		 sched_backoff(const char *key, int failures,
		    int64_t base_ms, int64_t cap_ms);

#endif /* XS_SCHED_H */
