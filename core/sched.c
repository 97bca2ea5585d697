/*
 * The reconciler's timer structure.
 *
 * Two binary min-heaps hold the scheduled objects: one for urgent entries
 * (new or changed objects) and one for periodic ones (refreshes and
 * retries).  Each heap is ordered by due time, ties broken by the order of
 * insertion, so that equal due times run first come, first served.  Popping
 * looks at the urgent heap first: an urgent entry that is due always goes
 * ahead of a periodic one, however much earlier the periodic one was due.
 *
 * An open-addressing hash table maps each object id to its heap and slot,
 * and is kept in step with every move inside the heaps.  So add, remove and
 * update are O(log n), a lookup is O(1), and nothing is ever scanned.
 *
 * Jitter and backoff are pure functions of their arguments: the offsets come
 * from a 64-bit FNV-1a hash of the key, finished with a mixing step so that
 * close keys ("ns/a", "ns/b") land far apart.  The same object therefore
 * gets the same offset after a restart or a reload, and a large set of
 * objects spreads evenly over the jitter window.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sched.h"

#define SCHED_NHEAPS	2
#define SCHED_MINSLOTS	16
#define SCHED_DAY_MS	(24LL * 3600 * 1000)

struct sched_ent {
	uint64_t	 id;
	int64_t		 due_ms;
	uint64_t	 seq;		/* insertion order, for ties */
};

struct sched_heap {
	struct sched_ent	*ents;
	size_t			 len;
	size_t			 cap;
};

/* A slot of the id table; used is 0 for a free slot. */
struct sched_slot {
	uint64_t	 id;
	uint32_t	 pos;		/* index in its heap */
	uint8_t		 heap;		/* SCHED_URGENT or SCHED_PERIODIC */
	uint8_t		 used;
};

struct sched {
	struct sched_heap	 heaps[SCHED_NHEAPS];
	struct sched_slot	*slots;
	size_t			 nslots;	/* a power of two */
	size_t			 nused;
	uint64_t		 seq;
};

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t
fnv1a(const char *s, uint64_t h)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
key_hash(const char *key, uint64_t salt)
{
	uint64_t	 h;

	h = fnv1a(key != NULL ? key : "", 0xcbf29ce484222325ULL);
	return mix64(h ^ mix64(salt));
}

/* The table slot holding id, or the free slot where it would go. */
static size_t
slot_find(const struct sched *s, uint64_t id)
{
	size_t	 i, mask;

	mask = s->nslots - 1;
	i = mix64(id) & mask;
	while (s->slots[i].used && s->slots[i].id != id)
		i = (i + 1) & mask;
	return i;
}

static int
slots_grow(struct sched *s)
{
	struct sched_slot	*old, *nw;
	size_t			 i, j, oldn, n;

	oldn = s->nslots;
	n = oldn * 2;
	if (n > SIZE_MAX / sizeof(*nw) || n > UINT32_MAX)
		return -1;
	if ((nw = calloc(n, sizeof(*nw))) == NULL)
		return -1;
	old = s->slots;
	s->slots = nw;
	s->nslots = n;
	for (i = 0; i < oldn; i++) {
		if (!old[i].used)
			continue;
		j = slot_find(s, old[i].id);
		s->slots[j] = old[i];
	}
	free(old);
	return 0;
}

/*
 * Frees slot i and shifts later members of its probe run back, so that no
 * tombstones are needed and lookups stay short.
 */
static void
slot_delete(struct sched *s, size_t i)
{
	size_t	 j, home, mask;

	mask = s->nslots - 1;
	j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!s->slots[j].used)
			break;
		home = mix64(s->slots[j].id) & mask;
		/* Move j into the hole unless its home lies in (i, j]. */
		if (i <= j ? (home > i && home <= j) :
		    (home > i || home <= j))
			continue;
		s->slots[i] = s->slots[j];
		i = j;
	}
	s->slots[i].used = 0;
	s->nused--;
}

static int
ent_before(const struct sched_ent *a, const struct sched_ent *b)
{
	if (a->due_ms != b->due_ms)
		return a->due_ms < b->due_ms;
	return a->seq < b->seq;
}

/* Puts e at pos of heap h and records the position in the table. */
static void
heap_place(struct sched *s, int h, size_t pos, const struct sched_ent *e)
{
	size_t	 i;

	s->heaps[h].ents[pos] = *e;
	i = slot_find(s, e->id);
	s->slots[i].pos = (uint32_t)pos;
	s->slots[i].heap = (uint8_t)h;
}

static void
heap_up(struct sched *s, int h, size_t pos)
{
	struct sched_heap	*hp = &s->heaps[h];
	struct sched_ent	 e;
	size_t			 parent;

	e = hp->ents[pos];
	while (pos > 0) {
		parent = (pos - 1) / 2;
		if (!ent_before(&e, &hp->ents[parent]))
			break;
		heap_place(s, h, pos, &hp->ents[parent]);
		pos = parent;
	}
	heap_place(s, h, pos, &e);
}

static void
heap_down(struct sched *s, int h, size_t pos)
{
	struct sched_heap	*hp = &s->heaps[h];
	struct sched_ent	 e;
	size_t			 child;

	e = hp->ents[pos];
	for (;;) {
		child = 2 * pos + 1;
		if (child >= hp->len)
			break;
		if (child + 1 < hp->len &&
		    ent_before(&hp->ents[child + 1], &hp->ents[child]))
			child++;
		if (!ent_before(&hp->ents[child], &e))
			break;
		heap_place(s, h, pos, &hp->ents[child]);
		pos = child;
	}
	heap_place(s, h, pos, &e);
}

/* Removes the entry at pos of heap h; the caller frees its table slot. */
static void
heap_delete(struct sched *s, int h, size_t pos)
{
	struct sched_heap	*hp = &s->heaps[h];
	uint64_t		 moved;

	hp->len--;
	if (pos == hp->len)
		return;
	/* The last entry fills the hole, then moves up or down. */
	moved = hp->ents[hp->len].id;
	hp->ents[pos] = hp->ents[hp->len];
	heap_up(s, h, pos);
	heap_down(s, h, s->slots[slot_find(s, moved)].pos);
}

static int
heap_reserve(struct sched_heap *hp)
{
	struct sched_ent	*nw;
	size_t			 n;

	if (hp->len < hp->cap)
		return 0;
	n = hp->cap == 0 ? SCHED_MINSLOTS : hp->cap * 2;
	if (n > SIZE_MAX / sizeof(*nw) || n > UINT32_MAX)
		return -1;
	if ((nw = realloc(hp->ents, n * sizeof(*nw))) == NULL)
		return -1;
	hp->ents = nw;
	hp->cap = n;
	return 0;
}

/*
 * Returns a new, empty scheduler, or NULL when out of memory.  The caller
 * frees it with sched_free.
 */
struct sched *
sched_new(void)
{
	struct sched	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->nslots = SCHED_MINSLOTS;
	if ((s->slots = calloc(s->nslots, sizeof(*s->slots))) == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

/* Frees s and every entry; NULL is a no-op. */
void
sched_free(struct sched *s)
{
	int	 h;

	if (s == NULL)
		return;
	for (h = 0; h < SCHED_NHEAPS; h++)
		free(s->heaps[h].ents);
	free(s->slots);
	free(s);
}

/*
 * Schedules id at due_ms with priority prio (any value other than
 * SCHED_URGENT is taken as SCHED_PERIODIC), replacing an earlier entry for
 * id.  Returns 0, or -1 when out of memory, in which case an earlier entry
 * for id is left as it was.
 */
int
sched_add(struct sched *s, uint64_t id, int64_t due_ms, int prio)
{
	struct sched_ent	 e;
	size_t			 i;
	int			 h;

	h = prio == SCHED_URGENT ? SCHED_URGENT : SCHED_PERIODIC;
	if (heap_reserve(&s->heaps[h]) == -1)
		return -1;
	/* Keep the table at most half full. */
	if ((s->nused + 1) * 2 > s->nslots && slots_grow(s) == -1)
		return -1;

	e.id = id;
	e.due_ms = due_ms;
	e.seq = s->seq++;
	i = slot_find(s, id);
	if (s->slots[i].used) {
		if (s->slots[i].heap == h) {
			s->heaps[h].ents[s->slots[i].pos] = e;
			heap_up(s, h, s->slots[i].pos);
			heap_down(s, h, s->slots[slot_find(s, id)].pos);
			return 0;
		}
		heap_delete(s, s->slots[i].heap, s->slots[i].pos);
	} else {
		s->slots[i].used = 1;
		s->slots[i].id = id;
		s->nused++;
	}
	s->heaps[h].ents[s->heaps[h].len] = e;
	s->heaps[h].len++;
	heap_up(s, h, s->heaps[h].len - 1);
	return 0;
}

/* Removes id if it is scheduled; otherwise does nothing. */
void
sched_remove(struct sched *s, uint64_t id)
{
	size_t	 i;

	i = slot_find(s, id);
	if (!s->slots[i].used)
		return;
	heap_delete(s, s->slots[i].heap, s->slots[i].pos);
	slot_delete(s, slot_find(s, id));
}

/*
 * Pops the entry to run next among those due at now_ms (due_ms <= now_ms)
 * into *id: urgent entries first, then the earliest.  Returns 1, or 0 when
 * nothing is due.
 */
int
sched_pop_due(struct sched *s, int64_t now_ms, uint64_t *id)
{
	struct sched_heap	*hp;
	int			 h;

	for (h = 0; h < SCHED_NHEAPS; h++) {
		hp = &s->heaps[h];
		if (hp->len == 0 || hp->ents[0].due_ms > now_ms)
			continue;
		*id = hp->ents[0].id;
		heap_delete(s, h, 0);
		slot_delete(s, slot_find(s, *id));
		return 1;
	}
	return 0;
}

/* The earliest due time of any entry, or -1 when s is empty. */
int64_t
sched_next_due(const struct sched *s)
{
	int64_t	 due = -1;
	int	 h;

	for (h = 0; h < SCHED_NHEAPS; h++) {
		if (s->heaps[h].len == 0)
			continue;
		if (due == -1 || s->heaps[h].ents[0].due_ms < due)
			due = s->heaps[h].ents[0].due_ms;
	}
	return due;
}

/* The number of scheduled entries. */
size_t
sched_len(const struct sched *s)
{
	return s->nused;
}

/*
 * Returns 1 and the due time in *due_ms (when not NULL) if id is
 * scheduled, else 0.
 */
int
sched_lookup(const struct sched *s, uint64_t id, int64_t *due_ms)
{
	const struct sched_slot	*sl;

	sl = &s->slots[slot_find(s, id)];
	if (!sl->used)
		return 0;
	if (due_ms != NULL)
		*due_ms = s->heaps[sl->heap].ents[sl->pos].due_ms;
	return 1;
}

/*
 * A deterministic offset in [0, interval_ms / 10] for key; 0 when the
 * interval is not positive.  Pure: safe from any thread.
 */
int64_t
sched_jitter(const char *key, int64_t interval_ms)
{
	uint64_t	 span;

	if (interval_ms <= 0)
		return 0;
	span = (uint64_t)(interval_ms / 10) + 1;
	return (int64_t)(key_hash(key, 0) % span);
}

/*
 * The delay before retry number failures (values below 1 count as 1):
 * base_ms doubled for each failure after the first, plus a jitter of up to
 * a fifth of that, derived from key and failures.  The result never exceeds
 * cap_ms, or one day when cap_ms is not positive; a base below 1 ms counts
 * as 1 ms.  Pure: safe from any thread.
 */
int64_t
sched_backoff(const char *key, int failures, int64_t base_ms,
    int64_t cap_ms)
{
	int64_t		 delay, extra;
	int		 shift;

	if (cap_ms <= 0)
		cap_ms = SCHED_DAY_MS;
	if (base_ms < 1)
		base_ms = 1;
	if (failures < 1)
		failures = 1;
	shift = failures - 1;

	/* Doubling past the cap, or past 63 bits, is the cap. */
	if (base_ms >= cap_ms || shift >= 62 || base_ms > (cap_ms >> shift))
		return cap_ms;
	delay = base_ms << shift;
	extra = (int64_t)(key_hash(key, (uint64_t)failures) %
	    ((uint64_t)(delay / 5) + 1));
	if (delay > cap_ms - extra)
		return cap_ms;
	return delay + extra;
}
